//! OMOP CDM 5.4 out and in (issue 15, "Done when"): a simulated registry is
//! exported to OMOP, the extract imported into a fresh registry, and the
//! second registry must hold the same records and derive the same lines of
//! therapy, overall survival and progression-free survival per line. A
//! hand-written extract (tests/fixtures/omop) imports with endpoints
//! computed by hand, and its malformed variants are refused with the file,
//! line and column.

use std::path::PathBuf;

use netra_clinical::endpoints::{Endpoint, EndpointSpec, TimeZero, derive_cohort, line_outcomes};
use netra_clinical::lines::LineRules;
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::schema::Entity;
use netra_clinical::registry::vocab::Vocabulary;
use netra_ingest::omop::tables::TABLES;
use netra_ingest::omop::{Extract, PatientRecords, convert, export};
use netra_ingest::redcap::Input;
use netra_ingest::{Converted, Issues};
use netra_store::{Actor, Bundle, CourseFilter, ImportOptions, Location, Registry};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn fresh() -> (Registry, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (r, _) = Registry::init(&Location::Sqlite(dir.path().join("netra.db")))
        .await
        .unwrap();
    (r, dir)
}

fn opts() -> ImportOptions {
    ImportOptions {
        actor: Actor {
            user: "test".into(),
            reason: Some("OMOP import".into()),
        },
        dry_run: false,
    }
}

fn bundle_of(c: &Converted) -> Bundle {
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
    b
}

/// The extract's tables as the files `netra export --omop` writes.
fn files(x: &Extract) -> Vec<(String, String)> {
    TABLES
        .iter()
        .map(|(t, _)| (format!("{t}.csv"), x.to_csv(t)))
        .collect()
}

fn convert_files(files: &[(String, String)]) -> Result<Converted, Issues> {
    let inputs: Vec<Input<'_>> = files
        .iter()
        .map(|(n, b)| Input {
            name: n,
            bytes: b.as_bytes(),
        })
        .collect();
    convert(&inputs, "omop")
}

/// Every stored record of every patient, as text, notes left out (the
/// extract does not carry free text).
async fn records(
    r: &Registry,
    courses: &[PatientCourse],
) -> Vec<(String, Entity, Vec<Option<String>>)> {
    let mut out = Vec::new();
    for c in courses {
        for (e, rows) in r.patient_records(&c.patient.code).await.unwrap().unwrap() {
            let notes = e.spec().position("notes");
            for row in rows {
                let mut cells: Vec<Option<String>> = row.iter().map(|v| v.to_text()).collect();
                if let Some(n) = notes {
                    cells[n] = None;
                }
                out.push((c.patient.code.clone(), e, cells));
            }
        }
    }
    out.sort();
    out
}

/// Lines with their outcomes: number, regimen, start, end, end reason,
/// PFS and TTP (days, event).
fn lines(courses: &[PatientCourse]) -> Vec<String> {
    let rules = LineRules::default();
    let mut out = Vec::new();
    for c in courses {
        for l in line_outcomes(c, &rules).lines {
            out.push(format!(
                "{} line {} {} {} {:?} {:?} pfs {:?} ttp {:?}",
                c.patient.code,
                l.number,
                l.label(),
                l.start.day,
                l.end.map(|e| e.day),
                l.end_reason,
                l.pfs.as_ref().map(|t| (t.days, t.event)),
                l.ttp.as_ref().map(|t| (t.days, t.event)),
            ));
        }
    }
    out
}

fn endpoint(
    courses: &[PatientCourse],
    e: Endpoint,
    from: TimeZero,
) -> Vec<(String, Option<u32>, i32, bool)> {
    derive_cohort(courses, &EndpointSpec::new(e, from), &LineRules::default())
        .rows
        .into_iter()
        .map(|r| (r.patient, r.line, r.days, r.event))
        .collect()
}

#[test]
fn a_simulated_registry_survives_the_round_trip_through_omop() {
    rt().block_on(async {
        let sim_dir = tempfile::tempdir().unwrap();
        let cfg = netra_sim::SimConfig {
            patients: 80,
            seed: 15,
            study: "sim".into(),
            sites: 2,
            threads: 1,
        };
        netra_sim::write_bundle(
            netra_sim::Model::published(),
            &cfg,
            sim_dir.path(),
            &mut |_| {},
        )
        .unwrap();
        let added = add_model_v3_rows(sim_dir.path());
        let (a, _da) = fresh().await;
        a.import_bundle(&Bundle::read_dir(sim_dir.path()).unwrap(), &opts())
            .await
            .unwrap();
        let courses_a = a.courses(&CourseFilter::default()).await.unwrap();
        let mut patients = Vec::new();
        for c in &courses_a {
            let recs = a
                .patient_records(&c.patient.code)
                .await
                .unwrap()
                .unwrap()
                .into_iter()
                .map(|(e, rows)| {
                    (
                        e,
                        rows.iter()
                            .map(|r| r.iter().map(|v| v.to_text()).collect())
                            .collect(),
                    )
                })
                .collect();
            patients.push(PatientRecords {
                course: c.clone(),
                records: recs,
            });
        }
        let sites: Vec<(String, String)> = a
            .sites()
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.site, s.name))
            .collect();
        let extract = export(&patients, &sites, &LineRules::default());

        // the extract: one person each, the CDM's columns, lines as episodes
        assert_eq!(extract.rows("person").len(), 80);
        let n_lines: usize = courses_a
            .iter()
            .map(|c| {
                netra_clinical::lines::derive_lines(c, &LineRules::default())
                    .lines
                    .len()
            })
            .sum();
        assert!(n_lines > 80, "{n_lines}");
        let regimen_episodes = extract
            .rows("episode")
            .iter()
            .filter(|r| r[2] == "32531")
            .count();
        assert_eq!(regimen_episodes, n_lines);
        for (t, cols) in TABLES {
            for r in extract.rows(t) {
                assert_eq!(r.len(), cols.len(), "{t}");
            }
        }
        // octreotide is written with its RxNorm ingredient concept
        let de = netra_ingest::omop::tables::columns("drug_exposure");
        let concept = de.iter().position(|c| *c == "drug_concept_id").unwrap();
        let source = de.iter().position(|c| *c == "drug_source_value").unwrap();
        assert!(
            extract
                .rows("drug_exposure")
                .iter()
                .any(|r| r[source] == "octreotide" && r[concept] == "1522957")
        );

        let converted = convert_files(&files(&extract)).unwrap();
        let (b, _db) = fresh().await;
        b.import_bundle(&bundle_of(&converted), &opts())
            .await
            .unwrap();
        let courses_b = b.courses(&CourseFilter::default()).await.unwrap();
        assert_eq!(courses_b.len(), 80);

        // the same records …
        let ra = records(&a, &courses_a).await;
        let rb = records(&b, &courses_b).await;
        // every kind of record the simulator writes took part
        for e in [
            Entity::Tumour,
            Entity::Metastasis,
            Entity::Biomarker,
            Entity::Treatment,
            Entity::TreatmentAgent,
            Entity::RadionuclideAdministration,
            Entity::Assessment,
            Entity::Lesion,
            Entity::ClinicalStatus,
            Entity::AdverseEvent,
            Entity::Immunohistochemistry,
            Entity::GeneticTest,
            Entity::QolResponse,
            Entity::Comorbidity,
        ] {
            assert!(ra.iter().any(|r| r.1 == e), "no {e:?} record");
        }
        for (e, n) in &added {
            assert_eq!(ra.iter().filter(|r| r.1 == *e).count(), *n, "{e:?}");
        }
        assert_eq!(ra.len(), rb.len());
        for (x, y) in ra.iter().zip(&rb) {
            assert_eq!(x, y);
        }
        // … and the same lines, OS and PFS per line
        let la = lines(&courses_a);
        assert_eq!(la, lines(&courses_b));
        assert!(
            la.iter()
                .any(|l| l.contains("pfs Some((") && l.contains(", true))"))
        );
        for from in [TimeZero::Diagnosis, TimeZero::Metastatic] {
            let os = endpoint(&courses_a, Endpoint::Os, from);
            assert!(!os.is_empty());
            assert_eq!(os, endpoint(&courses_b, Endpoint::Os, from));
        }
        let pfs = endpoint(&courses_a, Endpoint::Pfs, TimeZero::EachLine);
        assert!(pfs.len() >= n_lines / 2, "{}", pfs.len());
        assert_eq!(pfs, endpoint(&courses_b, Endpoint::Pfs, TimeZero::EachLine));
    });
}

/// Appends model v3 rows (stains, genetic tests, questionnaire items,
/// comorbidities, marker results without a number) to a simulated bundle,
/// dated at each patient's diagnosis, and returns how many of each it
/// wrote (the simulator writes none). The variety is the point: a partial
/// date, optional dates absent and present, a somatic test of a tumour,
/// `other` with its detail, `none`, the 1–7 items of the QLQ-C30.
fn add_model_v3_rows(dir: &std::path::Path) -> Vec<(Entity, usize)> {
    fn read(dir: &std::path::Path, file: &str) -> Vec<std::collections::HashMap<String, String>> {
        let mut r = csv::Reader::from_path(dir.join(file)).unwrap();
        let h = r.headers().unwrap().clone();
        r.records()
            .map(|rec| {
                let rec = rec.unwrap();
                h.iter()
                    .zip(rec.iter())
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .collect()
    }
    let patients = read(dir, "patients.csv");
    let tumours = read(dir, "tumours.csv");
    let mut out: Vec<(Entity, Vec<String>)> = Vec::new();
    let mut row = |e: Entity, cells: &[&str]| {
        let spec = e.spec();
        assert_eq!(cells.len(), spec.columns.len(), "{e:?}");
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(cells).unwrap();
        let line = String::from_utf8(w.into_inner().unwrap()).unwrap();
        out.push((e, vec![line]));
    };
    for (i, p) in patients.iter().enumerate() {
        let code = p["patient"].as_str();
        let dx = p["diagnosis_date"].as_str();
        if dx.len() != 10 {
            continue;
        }
        let month = &dx[..7];
        let tumour = tumours
            .iter()
            .find(|t| t["patient"] == code)
            .map(|t| t["tumour"].clone());
        match i % 4 {
            0 => {
                if let Some(t) = &tumour {
                    row(
                        Entity::Immunohistochemistry,
                        &[
                            code,
                            t,
                            dx,
                            "primary",
                            "chromogranin_a",
                            "",
                            "positive",
                            "80",
                            "3",
                            "",
                            "",
                            "",
                        ],
                    );
                    row(
                        Entity::Immunohistochemistry,
                        &[
                            code, t, dx, "primary", "sstr2", "", "positive", "", "", "3",
                            "volante", "",
                        ],
                    );
                    row(
                        Entity::Immunohistochemistry,
                        &[
                            code,
                            t,
                            month,
                            "metastasis",
                            "daxx",
                            "",
                            "lost",
                            "",
                            "",
                            "",
                            "",
                            "",
                        ],
                    );
                    row(
                        Entity::Immunohistochemistry,
                        &[
                            code, t, dx, "", "other", "SSTR5A", "negative", "0", "0", "", "", "",
                        ],
                    );
                    row(
                        Entity::GeneticTest,
                        &[
                            code,
                            "somatic",
                            "daxx",
                            "",
                            "pathogenic",
                            "c.1546dupC",
                            t,
                            "",
                            "NGS panel",
                            "",
                        ],
                    );
                    row(
                        Entity::GeneticTest,
                        &[
                            code,
                            "somatic",
                            "mgmt",
                            "",
                            "unmethylated",
                            "",
                            t,
                            dx,
                            "methylation-specific PCR",
                            "",
                        ],
                    );
                }
                row(
                    Entity::GeneticTest,
                    &[
                        code,
                        "germline",
                        "men1",
                        "",
                        "no_variant",
                        "",
                        "",
                        dx,
                        "",
                        "",
                    ],
                );
                row(Entity::Comorbidity, &[code, "diabetes", "", dx, ""]);
                row(
                    Entity::Comorbidity,
                    &[code, "myocardial_infarction", "", "", ""],
                );
                row(Entity::Comorbidity, &[code, "other", "gout", month, ""]);
            }
            1 => {
                for item in 1..=30 {
                    let max = if item >= 29 { 7 } else { 4 };
                    let r = (i + item) % max + 1;
                    row(
                        Entity::QolResponse,
                        &[code, "qlq_c30", dx, &item.to_string(), &r.to_string()],
                    );
                }
                for item in 31..=51 {
                    let r = (i * 7 + item) % 4 + 1;
                    row(
                        Entity::QolResponse,
                        &[code, "qlq_gi_net21", dx, &item.to_string(), &r.to_string()],
                    );
                }
                row(Entity::Comorbidity, &[code, "none", "", "", ""]);
            }
            2 => {
                row(
                    Entity::Biomarker,
                    &[code, "cea", "", dx, "", "", "normal", "", "", ""],
                );
                row(
                    Entity::Biomarker,
                    &[
                        code,
                        "pancreatic_polypeptide",
                        "",
                        dx,
                        "",
                        "",
                        "undetectable",
                        "",
                        "",
                        "",
                    ],
                );
                row(
                    Entity::Biomarker,
                    &[
                        code, "ca19_9", "", dx, "50", "kU/L", "elevated", "", "37", "",
                    ],
                );
                row(
                    Entity::Biomarker,
                    &[
                        code,
                        "other",
                        "pancreastatin",
                        dx,
                        "",
                        "",
                        "equivocal",
                        "",
                        "",
                        "",
                    ],
                );
            }
            _ => {}
        }
    }
    let mut counts: Vec<(Entity, usize)> = Vec::new();
    for (e, lines) in &out {
        let path = dir.join(e.spec().file);
        let mut text = std::fs::read_to_string(&path).unwrap();
        for l in lines {
            text.push_str(l);
        }
        std::fs::write(&path, text).unwrap();
        if *e != Entity::Biomarker {
            match counts.iter_mut().find(|(x, _)| x == e) {
                Some((_, n)) => *n += 1,
                None => counts.push((*e, 1)),
            }
        }
    }
    counts
}

fn fixture() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/omop");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn edit(files: &[(String, String)], file: &str, from: &str, to: &str) -> Vec<(String, String)> {
    files
        .iter()
        .map(|(n, b)| {
            if n == file {
                assert!(b.contains(from), "{file} has no '{from}'");
                (n.clone(), b.replacen(from, to, 1))
            } else {
                (n.clone(), b.clone())
            }
        })
        .collect()
}

/// The hand-written extract (tests/fixtures/omop), written the way another
/// OMOP site would: standard concepts only, no netra observations.
///
/// * P1 (female, born 1950-04-02): pancreatic NET diagnosed 2016-01-10,
///   Ki-67 4 %; octreotide from 2016-02-01 to 2017-03-01 (stopped for
///   progression), then everolimus from 2017-03-15 (ongoing); lesion 40 mm
///   on 2016-01-20, 52 mm (+30 %) on 2017-02-20. Alive at 2018-06-30.
///   OS from diagnosis: 2016-01-10 → 2018-06-30 = 902 days, censored.
///   Line 1 (octreotide) PFS: 2016-02-01 → 2017-02-20 = 385 days, event.
/// * P2 (male, born 1948): ileal NET diagnosed 2014-05-05, resection
///   (procedure) 2014-06-01, lanreotide from 2015-01-10; died 2016-09-30.
///   OS = 2014-05-05 → 2016-09-30 = 879 days, event.
#[test]
fn a_hand_written_extract_imports_with_hand_computed_endpoints() {
    let c = convert_files(&fixture()).unwrap();
    rt().block_on(async {
        let (r, _d) = fresh().await;
        r.import_bundle(&bundle_of(&c), &opts()).await.unwrap();
        let courses = r.courses(&CourseFilter::default()).await.unwrap();
        assert_eq!(courses.len(), 2);
        let p1 = courses.iter().find(|c| c.patient.code == "P1").unwrap();
        assert_eq!(p1.tumours.len(), 1);
        assert_eq!(p1.tumours[0].ki67_percent, Some(4.0));
        assert_eq!(p1.treatments.len(), 2);
        let p2 = courses.iter().find(|c| c.patient.code == "P2").unwrap();
        // the resection is a local treatment, lanreotide a line
        assert_eq!(p2.treatments.len(), 2);
        let os = endpoint(&courses, Endpoint::Os, TimeZero::Diagnosis);
        assert_eq!(
            os,
            vec![
                ("P1".to_string(), None, 902, false),
                ("P2".to_string(), None, 879, true)
            ]
        );
        let l = line_outcomes(p1, &LineRules::default());
        assert_eq!(l.lines.len(), 2);
        assert_eq!(l.lines[0].label(), "octreotide");
        let pfs = l.lines[0].pfs.as_ref().unwrap();
        assert_eq!((pfs.days, pfs.event), (385, true));
        let l2 = line_outcomes(p2, &LineRules::default());
        assert_eq!(l2.lines.len(), 1);
        assert_eq!(l2.lines[0].label(), "lanreotide");

        // model v3 from the CDM's own columns: the stain attached to P1's
        // tumour, positive (9191) in 80 % of cells
        assert_eq!(p1.immunostains.len(), 1);
        let s = &p1.immunostains[0];
        assert_eq!(
            (
                s.tumour.as_str(),
                s.date.to_string(),
                s.stain.code(),
                s.result.code(),
                s.percent_cells
            ),
            (
                "1",
                "2016-01-12".to_string(),
                "chromogranin_a",
                "positive",
                Some(80.0)
            )
        );
        // CEA "normal" without a number (value concept 4124457)
        let cea: Vec<_> = p1
            .marker_findings
            .iter()
            .filter(|b| b.marker.code() == "cea")
            .collect();
        assert_eq!(cea.len(), 1);
        assert_eq!(cea[0].result.code(), "normal");
        // QLQ-C30 item 29 = 6
        assert_eq!(p1.qol_responses.len(), 1);
        assert_eq!(
            (p1.qol_responses[0].item, p1.qol_responses[0].response),
            (29, 6)
        );
        // MEN1 not attached to a tumour: germline, dated by the measurement
        assert_eq!(p2.genetic_tests.len(), 1);
        let g = &p2.genetic_tests[0];
        assert_eq!(
            (
                g.origin.code(),
                g.gene.code(),
                g.result.code(),
                g.date.map(|d| d.to_string())
            ),
            (
                "germline",
                "men1",
                "pathogenic",
                Some("2014-06-10".to_string())
            )
        );
        // diabetes listed twice: one comorbidity, its first date
        assert_eq!(p2.comorbidities.len(), 1);
        assert_eq!(p2.comorbidities[0].condition.code(), "diabetes");
        assert_eq!(
            p2.comorbidities[0].date.map(|d| d.to_string()),
            Some("2012-03-01".to_string())
        );
    });
}

#[test]
fn malformed_model_v3_rows_are_refused_with_their_column() {
    // a stain without its reading
    let e = refused(edit(&fixture(), "measurement.csv", ",80,9191,", ",80,,"));
    assert_eq!(
        e,
        vec![
            "measurement.csv, line 5, column 10 (value_as_concept_id): missing value concept: the ihc_result is required"
        ]
    );
    // a stain read with a genetic result
    let e = refused(edit(
        &fixture(),
        "measurement.csv",
        ",80,9191,",
        ",80,2000000403,",
    ));
    assert_eq!(
        e,
        vec![
            "measurement.csv, line 5, column 10 (value_as_concept_id): the concept (genetic_result/pathogenic) is not a value of ihc_result (value '2000000403')"
        ]
    );
    // a stain not attached to a tumour
    let e = refused(edit(
        &fixture(),
        "measurement.csv",
        "positive,1,1147127",
        "positive,,",
    ));
    assert_eq!(
        e,
        vec![
            "measurement.csv, line 5, column 22 (measurement_event_id): a stain must be attached to its tumour's condition_occurrence"
        ]
    );
    // a QLQ-C30 response out of range, and an item the questionnaire has not
    let e = refused(edit(&fixture(), "observation.csv", "32879,6,", "32879,9,"));
    assert_eq!(
        e,
        vec![
            "observation.csv, line 2, column 7 (value_as_number): the response to qlq_c30 item 29 must be a whole number from 1 to 7 (value '9')"
        ]
    );
    let f = edit(
        &fixture(),
        "concept.csv",
        "qol_item/qlq_c30/29",
        "qol_item/qlq_c30/31",
    );
    let e = refused(f);
    assert_eq!(
        e,
        vec![
            "observation.csv, line 2, column 16 (observation_source_concept_id): the concept (qol_item/qlq_c30/31) is not an item of a questionnaire netra scores (value '2000000405')"
        ]
    );
    // an unknown comorbidity code
    let e = refused(edit(
        &fixture(),
        "concept.csv",
        "comorbidity/diabetes",
        "comorbidity/gout",
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("condition_occurrence.csv, line 4, column 3 (condition_concept_id): the concept (comorbidity/gout) is not a tumour's primary site, a metastatic site or a comorbidity (and 1 more row with the same value, the last on line 5)"),
        "{e:?}"
    );
}

fn refused(files: Vec<(String, String)>) -> Vec<String> {
    convert_files(&files)
        .unwrap_err()
        .list
        .iter()
        .map(|i| i.to_string())
        .collect()
}

#[test]
fn a_missing_concept_id_is_refused_with_file_line_and_column() {
    let e = refused(edit(
        &fixture(),
        "drug_exposure.csv",
        "1,1,1522957,",
        "1,1,,",
    ));
    assert_eq!(
        e,
        vec!["drug_exposure.csv, line 2, column 3 (drug_concept_id): missing concept id"]
    );
}

#[test]
fn an_unknown_concept_is_refused() {
    // a concept the extract's concept.csv does not list
    let e = refused(edit(
        &fixture(),
        "drug_exposure.csv",
        "1,1,1522957,",
        "1,1,999999,",
    ));
    assert_eq!(
        e,
        vec![
            "drug_exposure.csv, line 2, column 3 (drug_concept_id): concept 999999 is not in concept.csv (value '999999')"
        ]
    );
    // a concept it lists that has no netra code (aspirin)
    let f = edit(
        &fixture(),
        "concept.csv",
        "\n",
        "\n1112807,aspirin,Drug,RxNorm,Ingredient,S,1191,1970-01-01,2099-12-31,\n",
    );
    let e = refused(edit(
        &f,
        "drug_exposure.csv",
        "1,1,1522957,",
        "1,1,1112807,",
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("drug_exposure.csv, line 2, column 3 (drug_concept_id): unknown concept 1112807 ('aspirin', RxNorm): no netra code for it"), "{e:?}");
}

#[test]
fn a_drug_before_birth_and_an_end_before_its_start_are_refused() {
    let e = refused(edit(
        &fixture(),
        "drug_exposure.csv",
        "2016-02-01,,2017-03-01",
        "1949-02-01,,2017-03-01",
    ));
    assert_eq!(
        e,
        vec![
            "drug_exposure.csv, line 2, column 4 (drug_exposure_start_date): before the person's birth (1950-04-02) (value '1949-02-01')"
        ]
    );
    let e = refused(edit(
        &fixture(),
        "drug_exposure.csv",
        ",2017-03-01,,,32879",
        ",2017-03-01,,2015-03-01,32879",
    ));
    assert_eq!(
        e,
        vec![
            "drug_exposure.csv, line 2, column 8 (verbatim_end_date): before the exposure's start (2016-02-01) (value '2015-03-01')"
        ]
    );
}

#[test]
fn rows_of_unknown_persons_and_missing_files_are_refused() {
    let e = refused(edit(
        &fixture(),
        "drug_exposure.csv",
        "1,1,1522957,",
        "1,9,1522957,",
    ));
    assert_eq!(
        e,
        vec![
            "drug_exposure.csv, line 2, column 2 (person_id): no person with this id in person.csv (value '9')"
        ]
    );
    let without: Vec<(String, String)> = fixture()
        .into_iter()
        .filter(|(n, _)| n != "concept.csv")
        .collect();
    assert_eq!(
        refused(without),
        vec!["concept.csv: the extract has no such file (it is required)"]
    );
}

/// Random byte edits of the fixture are converted or refused, never a panic.
#[test]
fn mutated_extracts_are_converted_or_refused_without_panic() {
    let base = fixture();
    let mut seed: u64 = 20261206;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    const BYTES: &[u8] = b",\"\n0123456789-/ax";
    let mut refusals = 0;
    for _ in 0..400 {
        let mut files = base.clone();
        let which = next() % files.len();
        let mut bytes = files[which].1.clone().into_bytes();
        for _ in 0..1 + next() % 3 {
            let at = next() % (bytes.len() + 1);
            let b = BYTES[next() % BYTES.len()];
            match next() % 3 {
                0 if at < bytes.len() => bytes[at] = b,
                1 => bytes.insert(at, b),
                _ if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.push(b),
            }
        }
        files[which].1 = String::from_utf8_lossy(&bytes).into_owned();
        match convert_files(&files) {
            Ok(c) => {
                for t in &c.tables {
                    assert_eq!(t.rows.len(), t.lines.len());
                }
            }
            Err(is) => {
                refusals += 1;
                assert!(!is.list.is_empty());
            }
        }
    }
    assert!(refusals > 50, "{refusals}");
}
