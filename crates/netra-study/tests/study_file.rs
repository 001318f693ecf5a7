//! The study-file parser: every error names the line and column of the
//! offending text; the documented complete example and the shipped studies
//! parse into the plan they state.

use std::path::Path;

use netra_clinical::endpoints::{Censoring, Endpoint, TimeZero, Units};
use netra_study::spec::{DataSource, Derivation, FigureKind, RowTest, TableKind};
use netra_study::{Position, Study, StudyError};

const MINIMAL: &str = r#"[study]
title = "T"

[data]
bundle = "b"

[[endpoint]]
name = "os"
type = "os"
from = "entry"

[[figure]]
name = "km"
type = "km"
endpoint = "os"
by = ""
"#;

fn parse(text: &str) -> Result<Study, StudyError> {
    Study::parse(text, Path::new("dir/study.toml"))
}

/// The error's position and message, or a panic naming what parsed.
fn error_at(text: &str) -> (Position, String) {
    match parse(text) {
        Ok(s) => panic!("parsed: {s:?}"),
        Err(e) => {
            let msg = e.to_string();
            (
                e.position()
                    .unwrap_or_else(|| panic!("no position in '{msg}'")),
                msg,
            )
        }
    }
}

/// 1-based (line, column) of the first occurrence of `needle` in `text`.
fn where_is(text: &str, needle: &str) -> Position {
    Position::of(text, text.find(needle).expect("needle in text"))
}

#[test]
fn minimal_study_parses_with_paths_relative_to_the_file() {
    let s = parse(MINIMAL).unwrap();
    assert_eq!(s.title, "T");
    assert_eq!(s.data, Some(DataSource::Bundle("dir/b".into())));
    assert_eq!(s.endpoints[0].spec.endpoint, Endpoint::Os);
    assert_eq!(s.endpoints[0].spec.from, TimeZero::Entry);
    assert_eq!(s.endpoints[0].spec.units, Units::Months);
    assert!(!s.include_excluded);
    assert_eq!(s.figures[0].section, "Results");
}

#[test]
fn bad_toml_names_line_and_column() {
    let text = MINIMAL.replace("type = \"os\"", "type = = \"os\"");
    let (p, msg) = error_at(&text);
    assert_eq!(p.line, 9, "{msg}");
    assert_eq!(p.column, 8, "{msg}");
    assert!(
        msg.starts_with("dir/study.toml, line 9, column 8:"),
        "{msg}"
    );
}

#[test]
fn unknown_keys_are_refused_where_they_are() {
    // In a section.
    let text = MINIMAL.replace("title = \"T\"", "title = \"T\"\ntitel = \"x\"");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "titel"), "{msg}");
    assert!(msg.contains("unknown field `titel`"), "{msg}");
    // In an array of tables.
    let text = format!("{MINIMAL}landmark = [12]\n");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "landmark ="), "{msg}");
    // An unknown section.
    let text = format!("{MINIMAL}[output]\ndir = \"x\"\n");
    let (p, msg) = error_at(&text);
    assert_eq!(p.line, where_is(&text, "[output]").line, "{msg}");
    assert!(msg.contains("output"), "{msg}");
    // An inline table in a list.
    let text = MINIMAL.replace(
        "by = \"\"",
        "by = \"\"\n[[table]]\nname = \"t1\"\ntype = \"baseline\"\nby = \"sex\"\nrows = [{ variable = \"age_at_entry\", tset = \"t\" }]",
    );
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "tset"), "{msg}");
}

#[test]
fn wrong_types_are_located() {
    let text = MINIMAL.replace(
        "[study]\ntitle = \"T\"",
        "[study]\ntitle = \"T\"\nlandmarks = \"12\"",
    );
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "\"12\""), "{msg}");
}

#[test]
fn meanings_are_checked_at_their_place() {
    // An unknown endpoint type.
    let text = MINIMAL.replace("type = \"os\"", "type = \"survival\"");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "\"survival\""), "{msg}");
    assert!(msg.contains("unknown endpoint 'survival'"), "{msg}");
    // An unknown time zero.
    let text = MINIMAL.replace("from = \"entry\"", "from = \"birth\"");
    let (p, _) = error_at(&text);
    assert_eq!(p, where_is(&text, "\"birth\""));
    // A figure naming an endpoint that does not exist.
    let text = MINIMAL.replace("endpoint = \"os\"", "endpoint = \"pfs\"");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "\"pfs\""), "{msg}");
    assert!(msg.contains("no [[endpoint]] named 'pfs'"), "{msg}");
    // An option that does not apply to the figure type.
    let text = MINIMAL.replace("type = \"km\"", "type = \"sankey\"");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "\"os\"\nby"), "{msg}");
    assert!(
        msg.contains(
            "`endpoint` does not apply to a sankey figure; it applies to km and cuminc figures"
        ),
        "{msg}"
    );
    // Names defined twice.
    let text = format!("{MINIMAL}\n[[figure]]\nname = \"km\"\ntype = \"sankey\"\n");
    let (p, msg) = error_at(&text);
    assert_eq!(p.line, text.lines().count() - 1, "{msg}");
    assert!(msg.contains("defined twice"), "{msg}");
}

#[test]
fn conditions_point_into_their_string() {
    let text = MINIMAL.replace(
        "[data]",
        "[cohort]\nwhere = [\"age_at_entry >= 18\", \"agee < 60\"]\n\n[data]",
    );
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "agee"), "{msg}");
    assert!(msg.contains("unknown variable 'agee'"), "{msg}");
    let text = MINIMAL.replace(
        "[data]",
        "[cohort]\nwhere = [\"age_at_entry ~ 18\"]\n\n[data]",
    );
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "~"), "{msg}");
    assert!(msg.contains("expected an operator"), "{msg}");
    let text = MINIMAL.replace(
        "[data]",
        "[cohort]\nwhere = [\"age_at_entry < old\"]\n\n[data]",
    );
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "old"), "{msg}");
}

#[test]
fn derived_variables_are_checked() {
    let var = |body: &str| MINIMAL.replace("[data]", &format!("[[variable]]\n{body}\n\n[data]"));
    // Cuts not increasing.
    let text = var("name = \"a\"\nfrom = \"age_at_entry\"\ncuts = [60, 40]");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "[60, 40]"), "{msg}");
    // Labels that do not fit the bands.
    let text = var("name = \"a\"\nfrom = \"age_at_entry\"\ncuts = [60]\nlabels = [\"young\"]");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "[\"young\"]"), "{msg}");
    assert!(msg.contains("1 cut point(s) make 2 bands"), "{msg}");
    // Cuts of a category.
    let text = var("name = \"a\"\nfrom = \"sex\"\ncuts = [1]");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "\"sex\""), "{msg}");
    // A name taken by a registry variable.
    let text = var("name = \"age_at_entry\"\nfrom = \"age_at_entry\"\ncuts = [60]");
    let (p, _) = error_at(&text);
    assert_eq!(p, where_is(&text, "\"age_at_entry\"\nfrom"));
    // A retired name says what replaced it.
    let text = MINIMAL.replace("[data]", "[cohort]\nwhere = [\"age >= 18\"]\n\n[data]");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "age >="), "{msg}");
    assert!(
        msg.contains("age_at_entry") && msg.contains("age_at_diagnosis"),
        "{msg}"
    );
    // An unknown marker.
    let text = var("name = \"m\"\nmarker = \"cga\"");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "\"cga\""), "{msg}");
    assert!(msg.contains("chromogranin_a"), "{msg}");
    // Two derivations.
    let text = var("name = \"a\"\nfrom = \"age_at_entry\"\ncuts = [60]\nmarker = \"nse\"");
    let (_, msg) = error_at(&text);
    assert!(msg.contains("only one of"), "{msg}");
    // A variable used before it is defined.
    let text = var(
        "name = \"b\"\ncases = [{ label = \"x\", when = \"a == y\" }]\n\n[[variable]]\nname = \"a\"\nfrom = \"age_at_entry\"\ncuts = [60]",
    );
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "a == y"), "{msg}");
}

#[test]
fn a_missing_data_source_is_a_run_error_not_a_parse_error() {
    let text = MINIMAL.replace("[data]\nbundle = \"b\"\n", "");
    let s = parse(&text).unwrap();
    assert_eq!(s.data, None);
}

/// The first ```toml block of docs/study-file.md.
fn documented_example() -> String {
    let doc = include_str!("../../../docs/study-file.md");
    let start = doc.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + doc[start..].find("```").expect("end of the block");
    doc[start..end].to_string()
}

#[test]
fn the_documented_complete_example_parses_into_its_plan() {
    let s = Study::parse(&documented_example(), Path::new("docs/example.toml")).unwrap();
    assert_eq!(
        s.data,
        Some(DataSource::Simulate {
            patients: 300,
            seed: 1,
            study: "sim".into(),
            sites: 1,
            model: "published".into(),
            coverage: 0,
        })
    );
    assert_eq!(s.data_study.as_deref(), Some("sim"));
    assert_eq!(s.landmarks, [12.0, 36.0]);
    assert_eq!(s.cohort.len(), 2);
    assert_eq!(s.variables.len(), 5);
    match &s.variables[1].derivation {
        Derivation::Cuts {
            cuts, right_closed, ..
        } => {
            assert_eq!(cuts, &[3.0, 20.0]);
            assert!(*right_closed);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(s.variables[3].derivation, Derivation::Cases(ref c) if c.len() == 2));
    assert!(matches!(
        s.variables[4].derivation,
        Derivation::AboveUln { ref marker, factor } if marker == "urinary_5hiaa" && factor == 1.0
    ));
    let ttp = s.endpoint("ttp").unwrap();
    assert_eq!(ttp.spec.from, TimeZero::EachLine);
    assert_eq!(ttp.spec.censoring, Censoring::LastFollowUp);
    assert_eq!(s.endpoint("pfs1").unwrap().spec.from, TimeZero::Line(1));
    let kinds: Vec<&str> = s
        .tables
        .iter()
        .map(|t| match t.kind {
            TableKind::Baseline { .. } => "baseline",
            TableKind::Survival { .. } => "survival",
            TableKind::Km { .. } => "km",
            TableKind::Response { .. } => "response",
            TableKind::Cox { .. } => "cox",
            TableKind::Lines { .. } => "lines",
            TableKind::Cuminc { .. } => "cuminc",
            TableKind::Patterns => "patterns",
            TableKind::AdverseEvents { .. } => "adverse_events",
        })
        .collect();
    assert_eq!(
        kinds,
        ["baseline", "km", "survival", "cox", "lines", "response"]
    );
    // Sections continue from the item above in the file, tables and
    // figures interleaved.
    let section = |name: &str| {
        s.tables
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.section.clone())
            .or_else(|| {
                s.figures
                    .iter()
                    .find(|f| f.name == name)
                    .map(|f| f.section.clone())
            })
            .unwrap()
    };
    assert_eq!(section("table1"), "Patients");
    assert_eq!(section("os_km"), "Survival");
    assert_eq!(section("os_by_characteristic"), "Survival");
    assert_eq!(section("forest"), "Prognostic factors");
    assert_eq!(section("waterfall"), "Lines of therapy");
    assert_eq!(section("sankey"), "Treatment course");
    let TableKind::Baseline {
        rows, overall, by, ..
    } = &s.tables[0].kind
    else {
        panic!()
    };
    assert!(*overall && by.is_none());
    assert_eq!(rows[0].test, Some(RowTest::T));
    assert_eq!(rows[3].test, Some(RowTest::MannWhitney));
    assert!(matches!(
        s.figures.iter().find(|f| f.name == "sankey").unwrap().kind,
        FigureKind::Sankey {
            lines: 3,
            min_cell: 3
        }
    ));
}

#[test]
fn the_shipped_studies_parse() {
    for name in ["radionuclide", "retrospective", "sequences"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/studies")
            .join(format!("{name}.toml"));
        let s = Study::read(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!s.figures.is_empty());
        assert!(!s.tables.is_empty() || !s.analyses.is_empty());
    }
}

#[test]
fn a_misspelt_type_is_named_with_the_nearest_valid_one() {
    // A figure type, given with an option of the type meant: the type is
    // the mistake, not the option.
    let text = format!("{MINIMAL}\n[[figure]]\nname = \"w\"\ntype = \"waterfal\"\nline = 2\n");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "\"waterfal\""), "{msg}");
    assert!(
        msg.ends_with(
            "figure type 'waterfal' is not one of km, cuminc, forest, waterfall, spider, \
             swimmer, sankey, weighted_km, love (did you mean 'waterfall'?)"
        ),
        "{msg}"
    );
    // A table type.
    let text =
        format!("{MINIMAL}\n[[table]]\nname = \"s\"\ntype = \"survivl\"\nendpoint = \"os\"\n");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "\"survivl\""), "{msg}");
    assert!(msg.ends_with("(did you mean 'survival'?)"), "{msg}");
    // A word that is no misspelling suggests nothing.
    let text = MINIMAL.replace("type = \"km\"", "type = \"pie\"");
    let (_, msg) = error_at(&text);
    assert!(msg.ends_with("swimmer, sankey, weighted_km, love"), "{msg}");
}

#[test]
fn an_option_of_another_type_names_the_types_it_applies_to() {
    // `line` is a waterfall, spider and km option; a forest figure refuses it.
    let text = format!("{MINIMAL}\n[[figure]]\nname = \"f\"\ntype = \"forest\"\nline = 2\n");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "2\n"), "{msg}");
    assert!(
        msg.ends_with(
            "`line` does not apply to a forest figure; it applies to waterfall, spider and km \
             figures"
        ),
        "{msg}"
    );
    // A table option: `min_cell` belongs to the lines table alone, and
    // `landmarks` to the survival, km, lines and cuminc tables.
    let text = format!("{MINIMAL}\n[[table]]\nname = \"b\"\ntype = \"baseline\"\nmin_cell = 5\n");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "5\n"), "{msg}");
    assert!(
        msg.ends_with("`min_cell` does not apply to a baseline table; it applies to lines tables"),
        "{msg}"
    );
    let text =
        format!("{MINIMAL}\n[[table]]\nname = \"r\"\ntype = \"response\"\nlandmarks = [12]\n");
    let (_, msg) = error_at(&text);
    assert!(
        msg.ends_with(
            "`landmarks` does not apply to a response table; it applies to survival, km, lines \
             and cuminc tables"
        ),
        "{msg}"
    );
}

#[test]
fn boolean_conditions_parse_and_point_into_their_string() {
    let cohort = |w: &str| MINIMAL.replace("[data]", &format!("[cohort]\nwhere = [{w}]\n\n[data]"));
    let text =
        cohort("\"modality == both or (modality == local_only and not surgery_type == none)\"");
    let s = parse(&text).unwrap();
    assert_eq!(s.cohort.len(), 1);
    assert_eq!(
        s.cohort[0].text(),
        "modality == both or modality == local_only and not surgery_type == none"
    );
    assert_eq!(s.cohort[0].comparisons().len(), 3);
    // An unknown variable in the second comparison: its line and column.
    let text = cohort("\"modality == both or surgery_typ == none\"");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "surgery_typ"), "{msg}");
    assert!(msg.contains("unknown variable 'surgery_typ'"), "{msg}");
    // An unclosed parenthesis points at it.
    let text = cohort("\"(modality == both or ki67 > 3\"");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "(modality"), "{msg}");
    assert!(msg.contains("never closed"), "{msg}");
    // Two comparisons without `and`/`or` between them.
    let text = cohort("\"ki67 > 3 modality == both\"");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "modality =="), "{msg}");
    assert!(msg.contains("`and` or `or`"), "{msg}");
    // A dangling `and` on the second line of a multi-line array.
    let text = cohort("\n  \"ki67 > 3\",\n  \"ki67 < 9 and\",\n");
    let (p, msg) = error_at(&text);
    assert_eq!(p.line, where_is(&text, "ki67 < 9").line, "{msg}");
    assert!(msg.contains("a condition is missing"), "{msg}");
    // Cases take boolean conditions too.
    let text = MINIMAL.replace(
        "[data]",
        "[[variable]]\nname = \"path\"\ncases = [\n  { label = \"Resected, then systemic\", when = \
         \"surgery_type != none and (modality == both or modality == systemic_only)\" },\n  { \
         label = \"Other\", when = \"modality is not missing\" },\n]\n\n[data]",
    );
    let s = parse(&text).unwrap();
    assert!(matches!(s.variables[0].derivation, Derivation::Cases(ref c) if c.len() == 2));
}

#[test]
fn exposure_variables_are_checked() {
    let var = |body: &str| MINIMAL.replace("[data]", &format!("[[variable]]\n{body}\n\n[data]"));
    let s = parse(&var(
        "name = \"pal\"\nexposure = \"local\"\nwindow = \"within\"\nmonths = 6\nintent = \
         \"palliative\"\nlabels = [\"No local\", \"Local\"]",
    ))
    .unwrap();
    use netra_analysis::variables::treatment::{Exposure, IntentGroup, Window};
    assert_eq!(
        s.variables[0].derivation,
        Derivation::Exposure(Exposure {
            treatment: "local".into(),
            window: Window::Within(6.0),
            time_zero: TimeZero::Metastatic,
            intent: Some(IntentGroup::Palliative),
        })
    );
    assert_eq!(
        s.variables[0].levels.as_deref(),
        Some(&["No local".to_string(), "Local".to_string()][..])
    );
    let s = parse(&var(
        "name = \"cs\"\nexposure = \"surgery\"\nwindow = \"before\"\ntime_zero = \"diagnosis\"",
    ))
    .unwrap();
    assert!(matches!(
        s.variables[0].derivation,
        Derivation::Exposure(Exposure {
            window: Window::Before,
            time_zero: TimeZero::Diagnosis,
            intent: None,
            ..
        })
    ));
    for (body, at, says) in [
        (
            "name = \"x\"\nexposure = \"locall\"\nwindow = \"after\"",
            "\"locall\"",
            "unknown treatment",
        ),
        (
            "name = \"x\"\nexposure = \"local\"",
            "\"local\"",
            "needs `window`",
        ),
        (
            "name = \"x\"\nexposure = \"local\"\nwindow = \"during\"",
            "\"during\"",
            "not 'during'",
        ),
        (
            "name = \"x\"\nexposure = \"local\"\nwindow = \"within\"",
            "\"within\"",
            "needs `months`",
        ),
        (
            "name = \"x\"\nexposure = \"local\"\nwindow = \"after\"\nmonths = 3",
            "3",
            "months",
        ),
        (
            "name = \"x\"\nexposure = \"local\"\nwindow = \"after\"\nintent = \"adjuvant\"",
            "\"adjuvant\"",
            "curative",
        ),
        (
            "name = \"x\"\nexposure = \"local\"\nwindow = \"after\"\ntime_zero = \"line:1\"",
            "\"line:1\"",
            "diagnosis, metastatic or entry",
        ),
        (
            "name = \"x\"\nfrom = \"ki67\"\ncuts = [3]\nwindow = \"after\"",
            "\"after\"",
            "only `exposure`",
        ),
    ] {
        let text = var(body);
        let (p, msg) = error_at(&text);
        assert_eq!(p, where_is(&text, at), "{body}: {msg}");
        assert!(msg.contains(says), "{body}: {msg}");
    }
}

#[test]
fn weighted_figures_name_an_emulate_or_weighting_analysis() {
    let analysis = "\n[[analysis]]\nname = \"survival\"\nid = \"s\"\n";
    // Without `analysis`: the error is at the type.
    let text = format!("{MINIMAL}\n[[figure]]\nname = \"w\"\ntype = \"love\"\n");
    let (p, msg) = error_at(&text);
    assert_eq!(p, where_is(&text, "\"love\""), "{msg}");
    assert!(msg.contains("needs `analysis`"), "{msg}");
    // An analysis of another kind: at the id.
    let text = format!(
        "{MINIMAL}{analysis}\n[[figure]]\nname = \"w\"\ntype = \"weighted_km\"\nanalysis = \"s\"\n"
    );
    let (p, msg) = error_at(&text);
    let at = text.find("analysis = \"s\"").unwrap() + "analysis = ".len();
    assert_eq!(p, Position::of(&text, at), "{msg}");
    assert!(msg.contains("draws an emulate or weighting one"), "{msg}");
    // An option of another type (median is km's).
    let text = format!(
        "{MINIMAL}\n[[analysis]]\nname = \"emulate\"\nid = \"e\"\n\n[[figure]]\nname = \"w\"\n\
         type = \"weighted_km\"\nanalysis = \"e\"\nmedian = true\n"
    );
    let (_, msg) = error_at(&text);
    assert!(msg.contains("median"), "{msg}");
    // The sequence model's coverage belongs to that model only.
    let text = MINIMAL.replace(
        "bundle = \"b\"",
        "simulate = { patients = 10, seed = 1, coverage = 3 }",
    );
    let (_, msg) = error_at(&text);
    assert!(msg.contains("coverage"), "{msg}");
    let text = MINIMAL.replace(
        "bundle = \"b\"",
        "simulate = { patients = 10, seed = 1, model = \"sequence\" }",
    );
    let (_, msg) = error_at(&text);
    assert!(
        msg.contains("not one of published, sequence_trial"),
        "{msg}"
    );
}
