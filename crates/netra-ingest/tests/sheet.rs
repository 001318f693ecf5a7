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
    assert_eq!(e.list[0].column.as_deref(), Some("tx_type"));
}
