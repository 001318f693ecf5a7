//! `netra export --omop` and `netra import omop` (issue 15, "Done when"):
//! a simulated registry exported as an OMOP CDM 5.4 extract and imported
//! into a fresh registry through the binary gives the same lines of therapy
//! and the same OS and PFS per line; a refused extract writes nothing.

mod common;

use common::{netra, ok, s};
use std::path::Path;

#[test]
fn a_simulated_registry_goes_to_omop_and_back_with_the_same_lines_and_endpoints() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("bundle");
    let omop = tmp.path().join("omop");
    let a = tmp.path().join("a.db");
    let b = tmp.path().join("b.db");
    ok(&[
        "simulate",
        "--patients",
        "40",
        "--seed",
        "3",
        "--quiet",
        "--out",
        s(&bundle),
    ]);
    ok(&["init", "--db", s(&a)]);
    ok(&["import", s(&bundle), "--db", s(&a), "--user", "test"]);
    let out = ok(&["export", "--omop", s(&omop), "--db", s(&a)]);
    assert!(out.contains("exported 40 patients"), "{out}");
    for f in [
        "person.csv",
        "drug_exposure.csv",
        "episode.csv",
        "episode_event.csv",
        "concept.csv",
    ] {
        assert!(omop.join(f).exists(), "{f}");
    }
    let person = std::fs::read_to_string(omop.join("person.csv")).unwrap();
    assert!(
        person.starts_with("person_id,gender_concept_id,year_of_birth,"),
        "{person}"
    );
    assert_eq!(person.lines().count(), 41);

    ok(&["init", "--db", s(&b)]);
    let dry = ok(&[
        "import",
        "omop",
        s(&omop),
        "--db",
        s(&b),
        "--user",
        "test",
        "--dry-run",
    ]);
    assert!(dry.contains("dry run"), "{dry}");
    ok(&[
        "import",
        "omop",
        s(&omop),
        "--db",
        s(&b),
        "--user",
        "test",
        "--reason",
        "OMOP",
    ]);

    let lines_a = ok(&["lines", "--db", s(&a), "--format", "json"]);
    let lines_b = ok(&["lines", "--db", s(&b), "--format", "json"]);
    assert!(lines_a.contains("\"regimen\""), "{lines_a}");
    assert_eq!(lines_a, lines_b);
    for (endpoint, from) in [
        ("os", "diagnosis"),
        ("os", "metastatic"),
        ("pfs", "line:all"),
    ] {
        let args = |db: &Path| {
            ok(&[
                "endpoints",
                "--endpoint",
                endpoint,
                "--from",
                from,
                "--units",
                "days",
                "--study",
                "NET",
                "--format",
                "csv",
                "--db",
                s(db),
            ])
        };
        let ea = args(&a);
        assert!(ea.lines().count() > 20, "{ea}");
        assert_eq!(ea, args(&b), "{endpoint} from {from}");
    }
}

#[test]
fn a_refused_extract_names_the_file_line_and_column_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("../netra-ingest/tests/fixtures/omop");
    let omop = tmp.path().join("omop");
    std::fs::create_dir(&omop).unwrap();
    for e in std::fs::read_dir(&fx).unwrap() {
        let p = e.unwrap().path();
        let mut text = std::fs::read_to_string(&p).unwrap();
        if p.ends_with("drug_exposure.csv") {
            text = text.replacen("1,1,1522957,", "1,1,,", 1);
        }
        std::fs::write(omop.join(p.file_name().unwrap()), text).unwrap();
    }
    let db = tmp.path().join("netra.db");
    ok(&["init", "--db", s(&db)]);
    let out = netra(&["import", "omop", s(&omop), "--db", s(&db), "--user", "test"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "error: drug_exposure.csv, line 2, column 3 (drug_concept_id): missing concept id"
        ),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    let lines = ok(&["lines", "--db", s(&db), "--format", "json"]);
    assert!(!lines.contains("\"regimen\""), "{lines}");
}
