//! Checking the whole audit chain quickly (`netra audit verify`) on
//! PostgreSQL; SQLite registries are read through `rusqlite` instead
//! ([`crate::sqlite_audit`]), the tests compare both on the same data.
//!
//! Reading one result row per entry cost about 10 µs an entry (65 s for the
//! 6.4 M entries of a 10⁵-patient registry): the driver's per-row work and
//! the `Any` layer's copies, not SQL or SHA-256. Here the database renders
//! a **page** of entries (in `seq` order) as one text and the driver sees
//! one row per page; the text is decoded into borrowed slices (no
//! allocation per entry) and hashed on a second thread while the next page
//! is read.
//!
//! # Page encoding
//!
//! Each entry is `seq,change_set,` followed by six fields — action, table,
//! record key, old values, new values, hash — each either `-` (NULL) or
//! `LEN:TEXT` with `LEN` the byte length of the text. Length prefixes (not
//! separators) make the encoding unambiguous for any stored text: a
//! tampered value that contains separator-like characters cannot shift the
//! fields of the entries after it.
//!
//! Change sets (one per transaction: few) are read once into a map. An
//! entry whose change set row is missing is skipped, as the join of
//! [`crate::audit::SELECT`] skips it, so it shows as a gap in `seq`: the
//! same report as the entry-by-entry check.

use std::collections::HashMap;
use std::sync::mpsc;

use futures_util::TryStreamExt;
use sqlx::{AnyPool, Row};

use crate::StoreError;
use crate::audit::{ChainState, EntryRef, Verification};
use crate::db::Backend;

/// Entries per page: about 2.5 MB of text on the synthetic registry,
/// few enough round trips that their cost vanishes.
pub(crate) const PAGE: i64 = 8192;

/// The query of one page: entries with `seq > $1`, at most `$2` of them.
pub(crate) fn page_sql(backend: Backend) -> String {
    // `concat` skips NULL arguments: a NULL field becomes `-` alone.
    let field = |c: &str| format!("coalesce(octet_length({c}) || ':', '-'), {c}");
    let enc = format!(
        "concat(seq, ',', coalesce(CAST(change_set AS TEXT), '-'), ',', {}, {}, {}, {}, {}, {})",
        field("action"),
        field("table_name"),
        field("record_key"),
        field("old_values"),
        field("new_values"),
        field("hash"),
    );
    let agg = match backend {
        Backend::Sqlite => "group_concat",
        Backend::Postgres => "string_agg",
    };
    format!(
        "SELECT {agg}(e, '' ORDER BY seq), MAX(seq) FROM \
         (SELECT seq, {enc} AS e FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2) AS page"
    )
}

/// A change set's time, user and reason.
type ChangeSet = (String, String, Option<String>);

fn bad(reason: impl Into<String>) -> StoreError {
    StoreError::Refused(format!("unreadable audit page: {}", reason.into()))
}

/// Reads `text` up to the next `,` as an integer (`None` for `-`).
fn int_field(s: &str, at: &mut usize) -> Result<Option<i64>, StoreError> {
    let rest = &s[*at..];
    let end = rest.find(',').ok_or_else(|| bad("missing ','"))?;
    *at += end + 1;
    let f = &rest[..end];
    if f == "-" {
        return Ok(None);
    }
    f.parse()
        .map(Some)
        .map_err(|_| bad(format!("integer '{f}'")))
}

/// Reads one `-` or `LEN:TEXT` field.
fn text_field<'a>(s: &'a str, at: &mut usize) -> Result<Option<&'a str>, StoreError> {
    let rest = &s[*at..];
    if rest.starts_with('-') {
        *at += 1;
        return Ok(None);
    }
    let colon = rest.find(':').ok_or_else(|| bad("missing ':'"))?;
    let len: usize = rest[..colon]
        .parse()
        .map_err(|_| bad(format!("length '{}'", &rest[..colon])))?;
    let text = rest
        .get(colon + 1..colon + 1 + len)
        .ok_or_else(|| bad("field shorter than its length"))?;
    *at += colon + 1 + len;
    Ok(Some(text))
}

/// Checks the entries of one page; returns the last `seq` read.
pub(crate) fn check_page(
    page: &str,
    sets: &HashMap<i64, ChangeSet>,
    state: &mut ChainState,
) -> Result<Option<i64>, StoreError> {
    let mut at = 0;
    let mut last = None;
    while at < page.len() {
        let seq = int_field(page, &mut at)?.ok_or_else(|| bad("entry without seq"))?;
        let change_set = int_field(page, &mut at)?;
        let mut f = [None; 6];
        for slot in &mut f {
            *slot = text_field(page, &mut at)?;
        }
        last = Some(seq);
        let [action, table, key, old, new, hash] = f;
        // NOT NULL columns read as NULL only after tampering: the hash of
        // an empty text does not match, so the entry is reported.
        let (Some((at_time, actor, reason)), action, table, key, hash) = (
            change_set.and_then(|c| sets.get(&c)),
            action.unwrap_or_default(),
            table.unwrap_or_default(),
            key.unwrap_or_default(),
            hash.unwrap_or_default(),
        ) else {
            continue;
        };
        state.check(EntryRef {
            seq,
            at: at_time.as_bytes(),
            actor: actor.as_bytes(),
            reason: reason.as_deref().map(str::as_bytes),
            action: action.as_bytes(),
            table_name: table.as_bytes(),
            record_key: key.as_bytes(),
            old_values: old.map(str::as_bytes),
            new_values: new.map(str::as_bytes),
            hash: hash.as_bytes(),
        });
    }
    Ok(last)
}

/// Checks the whole chain (see the module documentation).
pub(crate) async fn verify(
    pool: &AnyPool,
    backend: Backend,
    page: i64,
) -> Result<Verification, StoreError> {
    let mut sets: HashMap<i64, ChangeSet> = HashMap::new();
    {
        let mut rows =
            sqlx::query("SELECT id, at, actor, reason FROM audit_change_set").fetch(pool);
        while let Some(r) = rows.try_next().await? {
            sets.insert(r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?));
        }
    }
    // Two pages in flight: one being hashed, one read.
    let (tx, rx) = mpsc::sync_channel::<String>(2);
    let hasher = std::thread::spawn(move || -> Result<Verification, StoreError> {
        let mut state = ChainState::default();
        for page in rx {
            check_page(&page, &sets, &mut state)?;
        }
        Ok(state.finish())
    });
    let sql = page_sql(backend);
    let mut after = 0i64;
    let read = async {
        loop {
            let row = sqlx::query(&sql)
                .bind(after)
                .bind(page)
                .fetch_one(pool)
                .await?;
            let (Some(page), Some(last)) = (
                row.try_get::<Option<String>, _>(0)?,
                row.try_get::<Option<i64>, _>(1)?,
            ) else {
                break;
            };
            after = last;
            if tx.send(page).is_err() {
                // The hasher stopped on an unreadable page: its error wins.
                break;
            }
        }
        Ok::<(), StoreError>(())
    }
    .await;
    drop(tx);
    let checked = hasher
        .join()
        .map_err(|_| StoreError::Refused("the audit hasher thread failed".into()))?;
    read?;
    checked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_by_length_whatever_they_hold() {
        let page = "1,1,6:insert7:patient5:[\"1\"]-3:{,}2:ab2,-,6:insert1:x1:--2:,:2:cd";
        let mut at = 0;
        assert_eq!(int_field(page, &mut at).unwrap(), Some(1));
        assert_eq!(int_field(page, &mut at).unwrap(), Some(1));
        let f: Vec<_> = (0..6).map(|_| text_field(page, &mut at).unwrap()).collect();
        assert_eq!(
            f,
            [
                Some("insert"),
                Some("patient"),
                Some("[\"1\"]"),
                None,
                Some("{,}"),
                Some("ab")
            ]
        );
        assert_eq!(int_field(page, &mut at).unwrap(), Some(2));
        assert_eq!(int_field(page, &mut at).unwrap(), None);
        let f: Vec<_> = (0..6).map(|_| text_field(page, &mut at).unwrap()).collect();
        assert_eq!(f[1], Some("x"));
        assert_eq!(f[2], Some("-"));
        assert_eq!(f[3], None);
        assert_eq!(f[4], Some(",:"));
        assert_eq!(at, page.len());
        // Truncated or malformed pages are errors, never a panic.
        let sets = HashMap::new();
        for broken in ["1,1,9:insert", "x,1,-", "1,1,6insert", "1", "1,1,1:é"] {
            let mut state = ChainState::default();
            assert!(check_page(broken, &sets, &mut state).is_err(), "{broken}");
        }
        // Entries of an unknown change set are skipped, as the join skips them.
        let mut state = ChainState::default();
        assert_eq!(check_page(page, &sets, &mut state).unwrap(), Some(2));
        assert_eq!(state.finish().entries, 0);
    }
}
