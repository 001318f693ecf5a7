//! What "pseudonymised" means for analysts (docs/web.md):
//!
//! * the patient code is replaced by a keyed pseudonym, `ps-` and 12 hex
//!   digits of HMAC-SHA-256(key, code). The key is random, made on the
//!   first start of the server and kept in the database (`web_setting`);
//!   without it, pseudonyms cannot be linked back to codes, and the same
//!   patient keeps the same pseudonym across sessions and analyses;
//! * no date of birth: the age at diagnosis, and the recorded age at
//!   entry, in 5-year bands (`60–64`);
//! * every other date to the month (`2004-03-17` → `2004-03`): enough for
//!   reading a course, not a full date to link with other sources;
//! * no free text (remarks, exclusion reasons, `*_detail` fields may name
//!   people, places or dates); typed texts that must stay useful are
//!   coarsened: study arms to `arm N` ([`Arms`]), adverse-event terms to
//!   CTCAE terms ([`ctcae_term`]), units and stages when made of units or
//!   TNM ([`unit_text`], [`stage_text`]);
//! * record ids (typed text too) renumbered within the patient;
//! * no audit history (it holds the identified values and user names).
//!
//! Every column of the schema has its [`Rule`] ([`rule`]: the field table
//! of docs/web.md); [`analyst_records`] applies them to a patient's
//! records for the record pages and the API.
//!
//! Analyses themselves run on the full dates and return aggregates only.

mod fields;

use hmac::{Hmac, Mac};
use netra_clinical::registry::PartialDate;
use netra_store::{Registry, StoreError};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::Sha256;

use crate::session::hex;

pub use fields::{
    Arms, CTCAE_TERMS, IdKind, OTHER_TERM, Rule, analyst_records, ctcae_term, rule, shown,
    stage_text, unit_text,
};

/// Makes the analysts' pseudonyms.
#[derive(Clone)]
pub struct Pseudonymiser {
    key: Vec<u8>,
}

impl std::fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymiser(<key>)")
    }
}

/// The pseudonym prefix.
pub const PREFIX: &str = "ps-";

impl Pseudonymiser {
    /// A pseudonymiser with a known key (tests).
    pub fn with_key(key: &[u8]) -> Pseudonymiser {
        Pseudonymiser { key: key.to_vec() }
    }

    /// Loads the registry's key, creating it on first use (two servers
    /// starting at once read back the one key stored first).
    pub async fn load(registry: &Registry) -> Result<Pseudonymiser, StoreError> {
        let mut fresh = [0u8; 32];
        OsRng.fill_bytes(&mut fresh);
        let stored = registry
            .setting_or_insert("pseudonym_key", &hex(&fresh))
            .await?;
        Ok(Pseudonymiser {
            key: stored.into_bytes(),
        })
    }

    /// The pseudonym of a patient code.
    pub fn pseudonym(&self, code: &str) -> String {
        // HMAC accepts keys of any length.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length");
        mac.update(code.as_bytes());
        let tag = mac.finalize().into_bytes();
        format!("{PREFIX}{}", hex(&tag[..6]))
    }
}

/// The 5-year band of an age (`60–64`), `90+` from 90.
pub fn age_band(age: i64) -> String {
    if age >= 90 {
        "90+".into()
    } else {
        let lo = age.max(0) / 5 * 5;
        format!("{lo}–{}", lo + 4)
    }
}

/// Whole years between two partial dates (mid-point imputation for the
/// missing parts), `None` when negative.
pub fn age_between(birth: PartialDate, at: PartialDate) -> Option<i64> {
    netra_clinical::registry::date::completed_years(birth, at)
}

/// A date reduced to its year and month.
pub fn to_month(d: PartialDate) -> PartialDate {
    PartialDate { day: None, ..d }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_keyed_stable_and_short() {
        let a = Pseudonymiser::with_key(b"key one");
        let b = Pseudonymiser::with_key(b"key two");
        let p = a.pseudonym("18");
        assert_eq!(p.len(), 3 + 12);
        assert!(p.starts_with("ps-"));
        assert_eq!(p, a.pseudonym("18"));
        assert_ne!(p, a.pseudonym("19"));
        assert_ne!(p, b.pseudonym("18"));
        // RFC 4231 test case 2 (HMAC-SHA-256, key "Jefe"): 5bdcc146bf60…
        let j = Pseudonymiser::with_key(b"Jefe");
        assert_eq!(
            j.pseudonym("what do ya want for nothing?"),
            "ps-5bdcc146bf60"
        );
    }

    #[test]
    fn ages_bands_and_months() {
        assert_eq!(age_band(0), "0–4");
        assert_eq!(age_band(64), "60–64");
        assert_eq!(age_band(65), "65–69");
        assert_eq!(age_band(93), "90+");
        let d = |s: &str| s.parse::<PartialDate>().unwrap();
        assert_eq!(age_between(d("1950-06-15"), d("2010-06-14")), Some(59));
        assert_eq!(age_between(d("1950-06-15"), d("2010-06-15")), Some(60));
        assert_eq!(age_between(d("2010"), d("2000")), None);
        assert_eq!(to_month(d("2004-03-17")).to_string(), "2004-03");
        assert_eq!(to_month(d("2004")).to_string(), "2004");
    }
}
