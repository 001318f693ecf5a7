//! A one-row-per-patient spreadsheet (CSV) with repeated treatment column
//! groups (`tx1_agent, tx1_start, tx2_agent, …`), through the REDCap
//! mapping format, into a fresh registry.
//!
//! Hand-computed OS from diagnosis (days): S1 2015-03-10 → 2019-06-30 alive,
//! 1573, censored; S2 2012-06-15 → death 2014-08-30, 806, event; S3
//! 2018-05-02 → 2020-01-15 alive, 623, censored.

use std::path::PathBuf;

use netra_clinical::endpoints::{Endpoint, EndpointSpec, TimeZero, derive_cohort};
use netra_clinical::lines::LineRules;
use netra_clinical::registry::schema::Entity;
use netra_ingest::redcap::Input;
use netra_ingest::sheet::convert_csv;
use netra_store::{Actor, Bundle, CourseFilter, ImportOptions, Location, Registry};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/sheet")
            .join(name),
    )
    .unwrap()
}

fn convert(sheet: &str) -> Result<netra_ingest::Converted, netra_ingest::Issues> {
    let mapping = fixture("mapping.toml");
    convert_csv(
        Input {
            name: "patients.csv",
            bytes: sheet.as_bytes(),
        },
        Input {
            name: "mapping.toml",
            bytes: mapping.as_bytes(),
        },
    )
}

#[test]
fn a_per_patient_sheet_with_repeated_groups_imports_with_hand_computed_os() {
    let c = convert(&fixture("patients.csv")).unwrap();
    let t = c.table(Entity::Treatment).unwrap();
    assert_eq!(t.rows.len(), 3, "S1: two courses, S2: one, S3: none");
    assert_eq!(t.lines, vec![2, 2, 3]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let (reg, _) = Registry::init(&Location::Sqlite(dir.path().join("n.db")))
            .await
            .unwrap();
        let mut b = Bundle::new();
        for t in c.tables.iter().filter(|t| !t.rows.is_empty()) {
            b.add_converted(
                t.entity,
                &c.table_name(t.entity),
                &t.to_csv(),
                t.lines.clone(),
            )
            .unwrap();
        }
        let opts = ImportOptions {
            actor: Actor {
                user: "t".into(),
                reason: None,
            },
            dry_run: false,
        };
        let report = reg.import_bundle(&b, &opts).await.unwrap();
        let agents = report
            .entities
            .iter()
            .find(|e| e.entity == Entity::TreatmentAgent)
            .unwrap();
        assert_eq!(agents.inserted, 3);
        let courses = reg.courses(&CourseFilter::default()).await.unwrap();
        let os: Vec<(String, i32, bool)> = derive_cohort(
            &courses,
            &EndpointSpec::new(Endpoint::Os, TimeZero::Diagnosis),
            &LineRules::default(),
        )
        .rows
        .into_iter()
        .map(|r| (r.patient, r.days, r.event))
        .collect();
        assert_eq!(
            os,
            vec![
                ("S1".into(), 1573, false),
                ("S2".into(), 806, true),
                ("S3".into(), 623, false)
            ]
        );
        reg.close().await;
    });
}

#[test]
fn a_value_missing_from_the_choices_is_refused_at_its_cell() {
    let sheet = fixture("patients.csv").replace("Ileum,2,G1", "Jejunum,2,G1");
    let e = convert(&sheet).unwrap_err();
    let m: Vec<String> = e.list.iter().map(|i| i.to_string()).collect();
    assert_eq!(
        m,
        vec![
            "patients.csv, line 3, column 5 (site): value 'Jejunum' of site has no registry code in the mapping (add it to choices, or map it to \"\" for not recorded) (value 'Jejunum')"
        ]
    );
    let sheet = fixture("patients.csv").replace(",PRRT,", ",TACE,");
    let e = convert(&sheet).unwrap_err();
    assert_eq!(e.list[0].line, Some(2));
    assert_eq!(e.list[0].column.as_deref(), Some("tx2_type"));
}

/// A problem inside a repeated column group names that group's own column
/// (position and header), not the first group's.
#[test]
fn a_problem_in_a_repeated_group_points_at_that_groups_own_column() {
    let place = |sheet: String| {
        let e = convert(&sheet).unwrap_err();
        assert_eq!(e.list.len(), 1, "{e}");
        (
            e.list[0].line,
            e.list[0].column_number,
            e.list[0].column.clone().unwrap_or_default(),
        )
    };
    // tx2_type is the 16th column, tx2_agent the 17th, tx2_start the 18th
    let sheet = fixture("patients.csv").replace(",PRRT,", ",TACE,");
    assert_eq!(place(sheet), (Some(2), Some(16), "tx2_type".to_string()));
    let sheet = fixture("patients.csv").replace("177Lu-DOTATATE", "90Y-DOTATOC");
    assert_eq!(place(sheet), (Some(2), Some(17), "tx2_agent".to_string()));
    let sheet = fixture("patients.csv").replace("2017-03-01,2017-09-20", "2017-13-01,2017-09-20");
    assert_eq!(place(sheet), (Some(2), Some(18), "tx2_start".to_string()));
    // the first group's problems still point at the first group
    let sheet = fixture("patients.csv").replace("SSA,lanreotide", "TACE,lanreotide");
    assert_eq!(place(sheet), (Some(2), Some(11), "tx1_type".to_string()));
}

/// A QLQ-C30 stored as 30 fields of one row (`q1` … `q30`), through a
/// table with `items`: one `qol_responses` row per answered item.
const QOL_MAPPING: &str = r#"
[study]
study = "qol"
title = "QLQ-C30 in one row"
site = "s1"
site_name = "Centre 1"

[[table]]
entity = "patients"
[table.columns]
sex = { field = "sex", choices = { "F" = "female", "M" = "male" } }
birth_date = "born"
diagnosis_date = "diagnosed"
vital_status = "status"
last_followup_date = "last_seen"

# items 1–28 as the form's words, 29–30 (1–7) as numbers: two tables of
# items, one registry table
[[table]]
entity = "qol_responses"
items = { from = 1, to = 28 }
[table.columns]
questionnaire = { value = "qlq_c30" }
date = "qol_date"
item = { value = "{item}" }
response = { field = "q{item}", choices = { "Not at all" = "1", "A little" = "2", "Quite a bit" = "3", "Very much" = "4" } }

[[table]]
entity = "qol_responses"
items = { from = 29, to = 30 }
[table.columns]
questionnaire = { value = "qlq_c30" }
date = "qol_date"
item = { template = "{item}" }
response = "q{item}"
"#;

/// The form's words for responses 1–4.
fn words(answers: &[&str]) -> Vec<String> {
    answers
        .iter()
        .enumerate()
        .map(|(i, a)| match (i < 28, *a) {
            (true, "1") => "Not at all".to_string(),
            (true, "2") => "A little".to_string(),
            (true, "3") => "Quite a bit".to_string(),
            (true, "4") => "Very much".to_string(),
            (_, a) => a.to_string(),
        })
        .collect()
}

fn qol_sheet(q1: &[&str], q2: &[&str]) -> String {
    let mut s = String::from("id,sex,born,diagnosed,status,last_seen,qol_date");
    for n in 1..=30 {
        s.push_str(&format!(",q{n}"));
    }
    s.push('\n');
    for (id, answers) in [("Q1", q1), ("Q2", q2)] {
        s.push_str(&format!(
            "{id},F,1960,2016-01-10,alive,2019-01-01,2016-02-01,{}\n",
            words(answers).join(",")
        ));
    }
    s
}

fn convert_qol(
    sheet: &str,
    mapping: &str,
) -> Result<netra_ingest::Converted, netra_ingest::Issues> {
    convert_csv(
        Input {
            name: "qol.csv",
            bytes: sheet.as_bytes(),
        },
        Input {
            name: "qol.toml",
            bytes: mapping.as_bytes(),
        },
    )
}

#[test]
fn a_qlq_c30_in_thirty_fields_of_one_row_becomes_thirty_item_rows() {
    // Q1: PF2 items 1–5 = 1,2,1,1,2 → raw 1.4 → (1 − 0.4/3)·100 = 86.67;
    // QL2 items 29, 30 = 6, 5 → raw 5.5 → 4.5/6·100 = 75. Q2 leaves item 7
    // unanswered: 29 rows.
    let mut q1: Vec<&str> = vec!["1", "2", "1", "1", "2"];
    q1.extend(std::iter::repeat_n("2", 23));
    q1.extend(["6", "5"]);
    let mut q2 = q1.clone();
    q2[6] = "";
    let c = convert_qol(&qol_sheet(&q1, &q2), QOL_MAPPING).unwrap();
    let t = c.table(Entity::QolResponse).unwrap();
    assert_eq!(t.rows.len(), 59);
    assert_eq!(
        c.tables
            .iter()
            .filter(|t| t.entity == Entity::QolResponse)
            .count(),
        1
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let (reg, _) = Registry::init(&Location::Sqlite(dir.path().join("n.db")))
            .await
            .unwrap();
        let mut b = Bundle::new();
        for t in c.tables.iter().filter(|t| !t.rows.is_empty()) {
            b.add_converted(
                t.entity,
                &c.table_name(t.entity),
                &t.to_csv(),
                t.lines.clone(),
            )
            .unwrap();
        }
        let opts = ImportOptions {
            actor: Actor {
                user: "test".into(),
                reason: Some("qol".into()),
            },
            dry_run: false,
        };
        reg.import_bundle(&b, &opts).await.unwrap();
        let courses = reg.courses(&CourseFilter::default()).await.unwrap();
        let q1 = courses.iter().find(|c| c.patient.code == "Q1").unwrap();
        assert_eq!(q1.qol_responses.len(), 30);
        let answers: Vec<(u8, u8)> = q1
            .qol_responses
            .iter()
            .map(|r| (r.item, r.response))
            .collect();
        let scores = netra_clinical::qol::score(
            netra_clinical::registry::vocab::Questionnaire::QlqC30,
            &answers,
        );
        let of = |code: &str| {
            scores
                .iter()
                .find(|s| s.scale.code == code)
                .unwrap()
                .score
                .unwrap()
        };
        assert!((of("PF2") - 86.666_666_666_666_67).abs() < 1e-9);
        assert!((of("QL2") - 75.0).abs() < 1e-9);
        let q2 = courses.iter().find(|c| c.patient.code == "Q2").unwrap();
        assert_eq!(q2.qol_responses.len(), 29);
        assert!(q2.qol_responses.iter().all(|r| r.item != 7));
    });
}

#[test]
fn a_bad_item_answer_and_a_bad_items_table_are_refused_at_their_place() {
    let ok: Vec<&str> = std::iter::repeat_n("2", 30).collect();
    // an answer that is not a number points at its own column (q12: the
    // 19th column)
    let mut bad = ok.clone();
    bad[11] = "often";
    let e = convert_qol(&qol_sheet(&ok, &bad), QOL_MAPPING).unwrap_err();
    assert_eq!(e.list.len(), 1, "{e}");
    assert_eq!(
        (
            e.list[0].line,
            e.list[0].column_number,
            e.list[0].column.as_deref()
        ),
        (Some(3), Some(19), Some("q12"))
    );
    // items that run backwards, and items without a field naming {item}
    let m = QOL_MAPPING.replace("from = 1, to = 28", "from = 28, to = 1");
    let e = convert_qol(&qol_sheet(&ok, &ok), &m).unwrap_err();
    assert_eq!(
        e.list[0].to_string(),
        "qol.toml, table qol_responses, items: items must run from a number to a larger one, at most 500 items"
    );
    let m = QOL_MAPPING.replace("response = \"q{item}\"", "response = \"q29\"");
    let e = convert_qol(&qol_sheet(&ok, &ok), &m).unwrap_err();
    assert!(
        e.list[0]
            .reason
            .contains("needs a column whose field names the item"),
        "{e}"
    );
    // a field the sheet has not (q31)
    let m = QOL_MAPPING.replace("from = 29, to = 30", "from = 29, to = 31");
    let e = convert_qol(&qol_sheet(&ok, &ok), &m).unwrap_err();
    assert!(e.to_string().contains("q31"), "{e}");
}

/// The problems the store finds in `c`'s rows (nothing is written), told
/// in the source's terms.
fn store_problems(c: netra_ingest::Converted) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let (reg, _) = Registry::init(&Location::Sqlite(dir.path().join("n.db")))
            .await
            .unwrap();
        let mut b = Bundle::new();
        for t in c.tables.iter().filter(|t| !t.rows.is_empty()) {
            b.add_converted(
                t.entity,
                &c.table_name(t.entity),
                &t.to_csv(),
                t.lines.clone(),
            )
            .unwrap();
        }
        let opts = ImportOptions {
            actor: Actor {
                user: "t".into(),
                reason: None,
            },
            dry_run: true,
        };
        let Err(netra_store::StoreError::Invalid(problems)) = reg.import_bundle(&b, &opts).await
        else {
            panic!("the store accepted the rows");
        };
        reg.close().await;
        let prepared = netra_ingest::source::Prepared {
            converted: c,
            cells: None,
            source_name: None,
        };
        problems
            .list
            .iter()
            .map(|p| {
                prepared.describe(&netra_ingest::source::StoreProblem {
                    file: &p.file,
                    line: p.line,
                    column_number: p.column_number,
                    column: p.column.as_deref(),
                    value: p.value.as_deref(),
                    reason: &p.reason,
                })
            })
            .collect()
    })
}

/// A problem the store finds after conversion (a second course started
/// before the patient's birth) names the second group's own column on that
/// patient's line, not the first group's `tx1_start`.
#[test]
fn a_store_problem_in_a_repeated_group_names_that_groups_column() {
    let sheet = fixture("patients.csv").replace("2017-03-01,2017-09-20", "1950-03-01,2017-09-20");
    let c = convert(&sheet).unwrap();
    let m = store_problems(c);
    assert!(
        m.iter().any(|p| p.starts_with(
            "patients.csv, line 2, column 18 (tx2_start → treatments.csv start_date)"
        )),
        "{m:#?}"
    );
    assert!(!m.iter().any(|p| p.contains("tx1_start")), "{m:#?}");
}

/// The same for a table of numbered items: a bad answer to item 29 names
/// `q29` (the 36th column), not the first item's `q1`.
#[test]
fn a_store_problem_in_an_items_table_names_that_items_column() {
    let ok: Vec<&str> = std::iter::repeat_n("2", 30).collect();
    let mut bad = ok.clone();
    bad[28] = "9";
    let c = convert_qol(&qol_sheet(&ok, &bad), QOL_MAPPING).unwrap();
    let m = store_problems(c);
    assert!(
        m.iter()
            .any(|p| p.starts_with("qol.csv, line 3, column 36 (q29 → qol_responses.csv response)")),
        "{m:#?}"
    );
}
