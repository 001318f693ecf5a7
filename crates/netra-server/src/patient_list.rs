//! The patient list's order and its CSV export.
//!
//! * **Order**: codes in natural order ([`crate::natural`]: `1, 2, … 10`);
//!   every column sortable (`?sort=age&dir=desc`), missing values last in
//!   either direction, ties in code order. Analysts sort by what they see:
//!   pseudonyms, 5-year age bands, months — an order by the exact day or
//!   age would rank patients by the values their view withholds.
//! * **Export** (`GET /patients.csv` with the list's filters and order):
//!   every matching row, not one page, for the roles that may export
//!   patient-level rows ([`crate::access::may_export_patient_rows`]); each
//!   export is written to the security events (who, filters, rows) before
//!   the file is sent, and no file is sent if that fails.

use std::cmp::Ordering;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use netra_clinical::registry::vocab::{PrimarySite, VitalStatus, Vocabulary, WhoGrade};
use netra_clinical::registry::{Imputation, PartialDate};

use crate::accounts::User;
use crate::app::{Client, PageUser, Shared};
use crate::cohort::{Index, PatientRow};
use crate::error::{AppError, PageResult};
use crate::pseudo;
use crate::records::{ListItem, ListQuery};

/// A column of the patient list the rows can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Code (pseudonym for analysts), natural order.
    Patient,
    /// Site code.
    Site,
    /// Sex.
    Sex,
    /// Age at diagnosis.
    Age,
    /// Primary site (vocabulary order).
    Primary,
    /// WHO grade (G1, G2, G3, NEC …).
    Grade,
    /// Vital status.
    Vital,
    /// First diagnosis.
    Diagnosis,
    /// Last follow-up or death.
    Last,
    /// Number of treatments.
    Treatments,
    /// Number of assessments.
    Assessments,
}

impl SortKey {
    /// Every key, in the list's column order.
    pub const ALL: [SortKey; 11] = [
        SortKey::Patient,
        SortKey::Site,
        SortKey::Sex,
        SortKey::Age,
        SortKey::Primary,
        SortKey::Grade,
        SortKey::Vital,
        SortKey::Diagnosis,
        SortKey::Last,
        SortKey::Treatments,
        SortKey::Assessments,
    ];

    /// The `sort` URL parameter.
    pub fn code(self) -> &'static str {
        match self {
            SortKey::Patient => "patient",
            SortKey::Site => "site",
            SortKey::Sex => "sex",
            SortKey::Age => "age",
            SortKey::Primary => "primary",
            SortKey::Grade => "grade",
            SortKey::Vital => "vital",
            SortKey::Diagnosis => "diagnosis",
            SortKey::Last => "last",
            SortKey::Treatments => "treatments",
            SortKey::Assessments => "assessments",
        }
    }

    /// The column header.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Patient => "Patient",
            SortKey::Site => "Site",
            SortKey::Sex => "Sex",
            SortKey::Age => "Age",
            SortKey::Primary => "Primary",
            SortKey::Grade => "Grade",
            SortKey::Vital => "Vital status",
            SortKey::Diagnosis => "Diagnosis",
            SortKey::Last => "Last follow-up",
            SortKey::Treatments => "Treatments",
            SortKey::Assessments => "Assessments",
        }
    }

    /// Numbers are right-aligned.
    pub fn numeric(self) -> bool {
        matches!(
            self,
            SortKey::Age | SortKey::Treatments | SortKey::Assessments
        )
    }

    /// Reads the `sort` parameter (empty: by patient).
    pub fn parse(text: &str) -> Result<SortKey, AppError> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(SortKey::Patient);
        }
        SortKey::ALL
            .into_iter()
            .find(|k| k.code() == t)
            .ok_or_else(|| {
                let names: Vec<&str> = SortKey::ALL.iter().map(|k| k.code()).collect();
                AppError::BadRequest(format!(
                    "sort: unknown column '{t}' (one of {})",
                    names.join(", ")
                ))
            })
    }
}

/// True when `dir` asks for descending order (`desc`); anything but `asc`,
/// `desc` or nothing is refused.
pub fn descending(dir: &str) -> Result<bool, AppError> {
    match dir.trim() {
        "" | "asc" => Ok(false),
        "desc" => Ok(true),
        other => Err(AppError::BadRequest(format!(
            "dir: '{other}' is not asc or desc"
        ))),
    }
}

fn position<V: Vocabulary + PartialEq>(v: V) -> usize {
    V::ALL.iter().position(|x| *x == v).unwrap_or(usize::MAX)
}

/// A date as the viewer sees it, as a sortable day number.
fn date_key(d: Option<PartialDate>, pseudonymised: bool) -> Option<i64> {
    d.map(|d| {
        let d = if pseudonymised {
            pseudo::to_month(d)
        } else {
            d
        };
        i64::from(d.impute(Imputation::MidPoint).day.0)
    })
}

/// The value a row sorts by under `key` (`None`: missing, sorted last).
fn key_of(key: SortKey, r: &PatientRow, pseudonymised: bool) -> Option<i64> {
    match key {
        SortKey::Patient | SortKey::Site => Some(0),
        SortKey::Sex => Some(position(r.sex) as i64),
        // Analysts see 5-year bands: they sort by band.
        SortKey::Age => r
            .age
            .map(|a| if pseudonymised { a.div_euclid(5) } else { a }),
        SortKey::Primary => r.primary_site.map(|p| position(p) as i64),
        SortKey::Grade => r.grade.map(|g| position(g) as i64),
        SortKey::Vital => Some(position(r.vital_status) as i64),
        SortKey::Diagnosis => date_key(r.diagnosis_date, pseudonymised),
        SortKey::Last => date_key(r.last_date, pseudonymised),
        SortKey::Treatments => Some(r.treatments as i64),
        SortKey::Assessments => Some(r.assessments as i64),
    }
}

/// Compares two rows under `key`: missing values last in both directions,
/// ties by the identifier the viewer sees (natural order, ascending).
pub fn compare(
    key: SortKey,
    desc: bool,
    a: &PatientRow,
    b: &PatientRow,
    pseudonymised: bool,
) -> Ordering {
    let dir = |o: Ordering| if desc { o.reverse() } else { o };
    // Codes in natural order; pseudonyms (random hex) in plain text order,
    // the order analysts have always had.
    let by_id = || {
        if pseudonymised {
            a.pseudonym.cmp(&b.pseudonym)
        } else {
            crate::natural::cmp(&a.code, &b.code)
        }
    };
    let primary = match key {
        SortKey::Patient => return dir(by_id()),
        SortKey::Site => dir(crate::natural::cmp(&a.site, &b.site)),
        _ => match (key_of(key, a, pseudonymised), key_of(key, b, pseudonymised)) {
            (Some(x), Some(y)) => dir(x.cmp(&y)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
    };
    primary.then_with(by_id)
}

/// The rows of the index `user` may see that `matches` accepts, in the
/// order of `key` and `desc`.
pub fn ordered<'a>(
    idx: &'a Index,
    user: &User,
    key: SortKey,
    desc: bool,
    matches: impl Fn(&PatientRow) -> bool,
) -> Vec<&'a PatientRow> {
    let ps = user.pseudonymised();
    let visible = |r: &&std::sync::Arc<PatientRow>| user.can_read_site(&r.site) && matches(r);
    if key == SortKey::Patient && !ps {
        // The common case: the index's natural order, no sort per request.
        let mut rows: Vec<&PatientRow> = idx
            .natural_order()
            .filter(visible)
            .map(|r| r.as_ref())
            .collect();
        if desc {
            rows.reverse();
        }
        return rows;
    }
    let mut rows: Vec<&PatientRow> = idx
        .rows
        .iter()
        .filter(visible)
        .map(|r| r.as_ref())
        .collect();
    rows.sort_by(|a, b| compare(key, desc, a, b, ps));
    rows
}

/// The CSV of list items: the columns of the list, codes as labels, dates
/// as the viewer sees them; every text through `netra_report::csv::field`.
pub fn to_csv(items: &[ListItem]) -> String {
    let f = netra_report::csv::field;
    let label = |code: Option<&str>, of: fn(&str) -> Option<&'static str>| {
        code.and_then(of).unwrap_or_default().to_string()
    };
    let mut s = String::from(
        "patient,site,sex,age,primary_site,who_grade,vital_status,diagnosis_date,last_date,treatments,assessments\n",
    );
    for p in items {
        let cells = [
            f(&p.id),
            f(&p.site),
            f(p.sex),
            f(p.age.as_deref().unwrap_or_default()),
            f(&label(p.primary_site, |c| {
                PrimarySite::from_code(c).ok().map(|v| v.label())
            })),
            f(&label(p.grade, |c| {
                WhoGrade::from_code(c).ok().map(|v| v.label())
            })),
            f(&label(Some(p.vital_status), |c| {
                VitalStatus::from_code(c).ok().map(|v| v.label())
            })),
            f(p.diagnosis_date.as_deref().unwrap_or_default()),
            f(p.last_date.as_deref().unwrap_or_default()),
            p.treatments.to_string(),
            p.assessments.to_string(),
        ];
        s.push_str(&cells.join(","));
        s.push('\n');
    }
    s
}

/// `GET /patients.csv`: the filtered, ordered list as CSV (every page).
pub async fn export_csv(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Client(client): Client,
    Query(q): Query<ListQuery>,
) -> PageResult<Response> {
    let user = &session.user;
    if !crate::access::may_export_patient_rows(user) {
        return Err(AppError::Forbidden(
            "your role may not export patient lists (administrators, data managers and \
             investigators may)"
                .into(),
        )
        .into());
    }
    let idx = crate::access::index(&state).await?;
    let items = crate::records::list_all(&idx, user, &q)?;
    let filters: Vec<String> = [
        ("q", &q.q),
        ("site", &q.site),
        ("primary", &q.primary),
        ("grade", &q.grade),
        ("vital", &q.vital),
    ]
    .iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| format!("{k}={v}"))
    .collect();
    let detail = format!(
        "patient list CSV, {} row(s); filters: {}",
        items.len(),
        if filters.is_empty() {
            "none".to_string()
        } else {
            filters.join(", ")
        }
    );
    // No record of the export, no file.
    crate::accounts::log_event(
        &state.registry,
        state.clock.now(),
        Some(&user.username),
        "export",
        Some(&detail),
        Some(&client),
    )
    .await
    .map_err(|e| AppError::Internal(format!("the export could not be audited: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"patients.csv\"",
            ),
        ],
        to_csv(&items),
    )
        .into_response())
}
