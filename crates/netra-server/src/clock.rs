//! Wall-clock time in Unix seconds, with an offset that tests advance to
//! expire sessions and empty rate-limit windows without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The server's clock. Clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    /// Seconds since 1970-01-01 UTC (plus the test offset).
    pub fn now(&self) -> i64 {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        secs + self.offset.load(Ordering::Relaxed)
    }

    /// Moves the clock forward by `secs` (tests).
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::Relaxed);
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` of Unix seconds (for account times and events).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let day = netra_clinical::registry::date::Day(days as i32);
    format!(
        "{day}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400 + 3_661), "2000-02-29T01:01:01Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn advancing_moves_every_clone() {
        let c = Clock::default();
        let d = c.clone();
        let before = d.now();
        c.advance(3600);
        assert!(d.now() >= before + 3600);
    }
}
