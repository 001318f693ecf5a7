//! Login rate limiting: failed logins are counted per account and per
//! client address in a sliding window; once a key reaches its limit, further
//! attempts are refused (HTTP 429 with `Retry-After`) without checking the
//! password, until the oldest failure leaves the window. A successful login
//! clears the account's count (not the address's).
//!
//! An attempt is counted *before* its password is checked
//! ([`RateLimiter::reserve`]), as a failure, and taken back only when it
//! succeeds: attempts in flight count, so 40 simultaneous guesses check at
//! most the limit's number of passwords, not 40.
//!
//! Refusing before verification matters twice: it stops guessing, and it
//! stops an attacker from making the server compute Argon2 hashes at will.
//! Counts live in memory (one server process); they reset on restart.
//!
//! A refused attempt costs the attacker nothing, so it cannot cost the
//! server a stored row each either: 10 000 refusals a second wrote 10 000
//! security-event rows a second (105 MB in 10 s). [`LogBudget`] writes at
//! most a fixed number of refusal rows per minute and counts the rest into
//! the next row written.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// A limit: at most `max` failures within `window` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Failures allowed in the window.
    pub max: usize,
    /// Window length in seconds.
    pub window: i64,
}

/// Failure counts of one kind of key (accounts, or addresses).
#[derive(Debug)]
pub struct RateLimiter {
    limit: Limit,
    failures: Mutex<HashMap<String, VecDeque<i64>>>,
}

/// At most `max` rows per `window` seconds for one kind of event; the
/// events beyond are counted, and the count goes with the next row written.
#[derive(Debug)]
pub struct LogBudget {
    max: u64,
    window: i64,
    /// (start of the current window, rows written in it, events not
    /// written since the last row).
    state: Mutex<(i64, u64, u64)>,
}

/// Refused logins logged per minute (per server process).
pub const REFUSALS_LOGGED_PER_MINUTE: u64 = 60;

impl LogBudget {
    /// A budget of `max` rows per `window` seconds.
    pub fn new(max: u64, window: i64) -> LogBudget {
        LogBudget {
            max,
            window: window.max(1),
            state: Mutex::new((i64::MIN, 0, 0)),
        }
    }

    /// `Some(events not written since the last row)` when this event is to
    /// be written at `now`, `None` when it is only counted.
    pub fn admit(&self, now: i64) -> Option<u64> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if now >= s.0.saturating_add(self.window) || now < s.0 {
            s.0 = now;
            s.1 = 0;
        }
        if s.1 < self.max {
            s.1 += 1;
            Some(std::mem::take(&mut s.2))
        } else {
            s.2 += 1;
            None
        }
    }
}

/// Keys kept before stale ones are swept (bounds memory under a flood of
/// made-up user names).
const SWEEP_AT: usize = 50_000;

impl RateLimiter {
    /// A limiter with `limit`.
    pub fn new(limit: Limit) -> RateLimiter {
        RateLimiter {
            limit,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<i64>>> {
        // A panic while holding the lock cannot leave the map inconsistent
        // (each operation is a single push or clear), so recover the guard.
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Err(seconds until retry)` when `key` has reached its limit at `now`.
    pub fn check(&self, key: &str, now: i64) -> Result<(), i64> {
        let mut map = self.lock();
        let Some(q) = map.get_mut(key) else {
            return Ok(());
        };
        while q.front().is_some_and(|&t| t <= now - self.limit.window) {
            q.pop_front();
        }
        if q.len() >= self.limit.max {
            let oldest = q.front().copied().unwrap_or(now);
            Err((oldest + self.limit.window - now).max(1))
        } else {
            Ok(())
        }
    }

    /// Counts an attempt of `key` at `now` as a failure before it is
    /// checked, if the limit allows one more: `Err(seconds until retry)`
    /// otherwise (and nothing is counted). Check and count are one step
    /// under the lock, so simultaneous attempts cannot all pass the check.
    pub fn reserve(&self, key: &str, now: i64) -> Result<(), i64> {
        let mut map = self.lock();
        if let Some(q) = map.get_mut(key) {
            while q.front().is_some_and(|&t| t <= now - self.limit.window) {
                q.pop_front();
            }
            if q.len() >= self.limit.max {
                let oldest = q.front().copied().unwrap_or(now);
                return Err((oldest + self.limit.window - now).max(1));
            }
        }
        drop(map);
        self.fail(key, now);
        Ok(())
    }

    /// Takes back one attempt of `key` counted at `at` by
    /// [`RateLimiter::reserve`] (it succeeded, or was not checked).
    pub fn release(&self, key: &str, at: i64) {
        let mut map = self.lock();
        if let Some(q) = map.get_mut(key) {
            if let Some(i) = q.iter().rposition(|&t| t == at) {
                q.remove(i);
            }
            if q.is_empty() {
                map.remove(key);
            }
        }
    }

    /// Counts a failure of `key` at `now`.
    pub fn fail(&self, key: &str, now: i64) {
        let mut map = self.lock();
        if map.len() >= SWEEP_AT {
            let cutoff = now - self.limit.window;
            map.retain(|_, q| q.back().is_some_and(|&t| t > cutoff));
        }
        let q = map.entry(key.to_string()).or_default();
        q.push_back(now);
        while q.len() > self.limit.max {
            q.pop_front();
        }
    }

    /// Forgets `key`'s failures.
    pub fn clear(&self, key: &str) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_within_the_window_and_recovers_after_it() {
        let r = RateLimiter::new(Limit {
            max: 3,
            window: 100,
        });
        for t in [0, 10, 20] {
            assert_eq!(r.check("ana", t), Ok(()));
            r.fail("ana", t);
        }
        // Third failure at 20: the oldest (0) leaves the window at 100.
        assert_eq!(r.check("ana", 30), Err(70));
        assert_eq!(r.check("bob", 30), Ok(()));
        assert_eq!(r.check("ana", 100), Ok(()));
        r.fail("ana", 100);
        assert_eq!(r.check("ana", 101), Err(9));
        r.clear("ana");
        assert_eq!(r.check("ana", 101), Ok(()));
    }

    #[test]
    fn reservations_count_attempts_in_flight_and_can_be_taken_back() {
        let r = RateLimiter::new(Limit {
            max: 2,
            window: 100,
        });
        assert_eq!(r.reserve("ana", 10), Ok(()));
        assert_eq!(r.reserve("ana", 11), Ok(()));
        // Both still in flight: a third is refused until 10 leaves.
        assert_eq!(r.reserve("ana", 12), Err(98));
        // The attempt of 11 succeeded: its place is free again.
        r.release("ana", 11);
        assert_eq!(r.reserve("ana", 12), Ok(()));
        assert_eq!(r.check("ana", 12), Err(98));
        r.release("ana", 10);
        r.release("ana", 12);
        r.release("bob", 12);
        assert_eq!(r.check("ana", 13), Ok(()));
    }

    #[test]
    fn a_log_budget_writes_max_rows_per_window_and_counts_the_rest() {
        let b = LogBudget::new(3, 60);
        assert_eq!(
            (0..5).map(|_| b.admit(100)).collect::<Vec<_>>(),
            [Some(0), Some(0), Some(0), None, None]
        );
        assert_eq!(b.admit(159), None);
        // A new window: the first row carries the three not written.
        assert_eq!(b.admit(160), Some(3));
        assert_eq!(b.admit(161), Some(0));
    }
}
