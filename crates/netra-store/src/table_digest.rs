//! Table digests: what lets a re-import of an unchanged bundle skip loading
//! and comparing every stored row.
//!
//! The digest of a table is its number of rows and the sum (modulo 2¹²⁸) of
//! its rows' digests ([`crate::check::digest_texts`] of the canonical
//! texts). A sum needs no order (a bundle's rows and the stored rows come in
//! different orders) and follows an import cheaply: add the digests of the
//! rows written, subtract those of the rows they replace.
//!
//! After each import the digests of the tables it knows completely are
//! stored in `web_setting` (named `import.digest.<table>`, no migration
//! needed) with the audit head (last `seq` and hash) at which they hold.
//! Every change netra makes appends to the audit trail, so a digest whose
//! head is not the current head is stale and not used: that table's rows
//! are compared one by one, as before. A change made behind netra's back
//! (SQL without an audit entry) is not seen by a digest; `netra audit
//! verify` (`Registry::verify_state`) finds those.
//!
//! A digest decides only whether a table must be compared row by row; it is
//! no tamper evidence (the hash chain is). Equal digests of a bundle's table
//! and a stored table mean equal rows unless 128-bit row digests collide.

use sqlx::{Any, Row, Transaction};

use crate::write_tx::WriteTx;

use netra_clinical::registry::schema::Entity;

use crate::check::Digest;
use crate::error::StoreError;

/// Rows and the sum of their digests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TableDigest {
    /// Number of rows.
    pub rows: u64,
    /// Sum of the row digests (little-endian 128-bit integers), wrapping.
    pub sum: u128,
}

impl TableDigest {
    /// Adds one row.
    pub fn add(&mut self, d: &Digest) {
        self.rows += 1;
        self.sum = self.sum.wrapping_add(u128::from_le_bytes(*d));
    }

    /// Adds another digest's rows.
    pub fn merge(&mut self, other: &TableDigest) {
        self.rows += other.rows;
        self.sum = self.sum.wrapping_add(other.sum);
    }

    /// Removes another digest's rows.
    pub fn remove(&mut self, other: &TableDigest) {
        self.rows = self.rows.saturating_sub(other.rows);
        self.sum = self.sum.wrapping_sub(other.sum);
    }

    fn encode(&self, head: (i64, &str)) -> String {
        format!("{} {:032x} {} {}", self.rows, self.sum, head.0, head.1)
    }

    fn decode(text: &str) -> Option<(TableDigest, i64, &str)> {
        let mut parts = text.split(' ');
        let rows = parts.next()?.parse().ok()?;
        let sum = u128::from_str_radix(parts.next()?, 16).ok()?;
        let seq = parts.next()?.parse().ok()?;
        let hash = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        Some((TableDigest { rows, sum }, seq, hash))
    }
}

/// Per entity (index order), a digest, when known.
pub(crate) type Digests = Vec<Option<TableDigest>>;

const PREFIX: &str = "import.digest.";

/// The stored digests that hold at the audit head `head` (others are
/// stale: `None`).
pub(crate) async fn load(
    tx: &mut Transaction<'static, Any>,
    head: (i64, &str),
) -> Result<Digests, StoreError> {
    let mut out: Digests = vec![None; Entity::ALL.len()];
    let rows = sqlx::query("SELECT name, value FROM web_setting WHERE name LIKE 'import.digest.%'")
        .fetch_all(&mut **tx)
        .await?;
    for r in rows {
        let name: String = r.try_get(0)?;
        let value: String = r.try_get(1)?;
        put_current(&mut out, &name, &value, head);
    }
    Ok(out)
}

/// [`load`] in an import's transaction.
pub(crate) async fn load_tx(tx: &mut WriteTx, head: (i64, &str)) -> Result<Digests, StoreError> {
    let lite = match tx {
        WriteTx::Sqlx(tx) => return load(tx, head).await,
        WriteTx::Lite(lite) => lite,
    };
    let mut out: Digests = vec![None; Entity::ALL.len()];
    for (name, value) in lite.settings(PREFIX)? {
        put_current(&mut out, &name, &value, head);
    }
    Ok(out)
}

/// Sets the digest of the setting `name` = `value` in `out` when it holds
/// at `head`.
fn put_current(out: &mut Digests, name: &str, value: &str, head: (i64, &str)) {
    let Some(table) = name.strip_prefix(PREFIX) else {
        return;
    };
    let Some(e) = Entity::ALL.iter().find(|e| e.spec().table == table) else {
        return;
    };
    if let Some((d, seq, hash)) = TableDigest::decode(value)
        && seq == head.0
        && hash == head.1
    {
        out[e.index()] = Some(d);
    }
}

/// [`store`] in an import's transaction.
pub(crate) async fn store_tx(
    tx: &mut WriteTx,
    digests: &Digests,
    head: (i64, &str),
) -> Result<(), StoreError> {
    let lite = match tx {
        WriteTx::Sqlx(tx) => return store(tx, digests, head).await,
        WriteTx::Lite(lite) => lite,
    };
    let values: Vec<(String, String)> = Entity::ALL
        .into_iter()
        .filter_map(|e| {
            let d = digests[e.index()].as_ref()?;
            Some((format!("{PREFIX}{}", e.spec().table), d.encode(head)))
        })
        .collect();
    lite.replace_settings(PREFIX, &values)
}

/// Replaces the stored digests by `digests`, holding at `head`.
pub(crate) async fn store(
    tx: &mut Transaction<'static, Any>,
    digests: &Digests,
    head: (i64, &str),
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM web_setting WHERE name LIKE 'import.digest.%'")
        .execute(&mut **tx)
        .await?;
    for e in Entity::ALL {
        if let Some(d) = &digests[e.index()] {
            sqlx::query("INSERT INTO web_setting (name, value) VALUES ($1, $2)")
                .bind(format!("{PREFIX}{}", e.spec().table))
                .bind(d.encode(head))
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_ignore_order_and_round_trip() {
        let a: Digest = [1; 16];
        let b: Digest = [0xff; 16];
        let mut x = TableDigest::default();
        x.add(&a);
        x.add(&b);
        let mut y = TableDigest::default();
        y.add(&b);
        y.add(&a);
        assert_eq!(x, y);
        let mut a_only = TableDigest::default();
        a_only.add(&a);
        y.remove(&a_only);
        assert_ne!(x, y);
        assert_eq!(y.rows, 1);
        y.merge(&a_only);
        assert_eq!(x, y);
        let text = x.encode((7, "abc"));
        let (d, seq, hash) = TableDigest::decode(&text).unwrap();
        assert_eq!((d, seq, hash), (x, 7, "abc"));
        assert!(TableDigest::decode("1 zz 7 abc").is_none());
        assert!(TableDigest::decode("1 00 7 abc extra").is_none());
    }
}
