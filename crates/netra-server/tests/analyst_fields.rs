//! Issue 14 item 5: every field an analyst can receive, from every route an
//! analyst can reach (HTML pages, figures, downloads and the JSON API),
//! against a written rule table (docs/web.md, "What an analyst sees"), on
//! a registry full of planted secrets: free text, record ids, exact dates,
//! study-arm labels and patient codes all contain `SECRET` (or are exact
//! dates), and none may reach an analyst. A field the table does not name
//! fails the test until it is classified.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::fields::{analysis_rule, leaves};
use common::*;
use netra_clinical::endpoints::DAYS_PER_MONTH;
use netra_clinical::registry::{Imputation, PartialDate};
use netra_server::pseudo;
use netra_store::{Actor, Bundle, ImportOptions};
use serde_json::Value;

/// How a field reaches analysts (the test's own copy of the table; the
/// server's is `pseudo::rule`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    /// `ps-` and 12 hex digits.
    Pseudonym,
    /// A record id renumbered within the patient: this prefix and a number.
    RecordId(&'static str),
    /// A site code of the registry.
    Site,
    /// A code of a vocabulary (checked for secrets only).
    Code,
    /// A number.
    Number,
    /// yes / no.
    YesNo,
    /// A date to the month (`YYYY` or `YYYY-MM`).
    Month,
    /// A 5-year age band.
    AgeBand,
    /// A month, or `ongoing` (the end of a line still running).
    MonthOrOngoing,
    /// Whole months, `+` when censored, or `—` (a line's TTP).
    WholeMonths,
    /// `arm N`.
    Arm,
    /// A CTCAE term of the list, or `other term`.
    CtcaeTerm,
    /// A unit made of units.
    Unit,
    /// A TNM-like stage.
    Stage,
    /// Never shown.
    Withheld,
    /// Not patient data (the user's own session, request echoes, page
    /// counters): checked for secrets only.
    Public,
}

/// The rule table of every record column, `table.column`.
fn column_class(table: &str, column: &str) -> Option<Class> {
    use Class::*;
    Some(match (table, column) {
        (_, "patient") => Pseudonym,
        (_, "notes") => Withheld,
        ("patient", "site") => Site,
        ("patient", "birth_date" | "exclusion_reason") => Withheld,
        ("patient", "age_at_entry") => AgeBand,
        ("patient", "arm") => Arm,
        (
            "patient",
            "diagnosis_date" | "metastatic_date" | "entry_date" | "last_followup_date"
            | "death_date",
        ) => Month,
        // Bounds of dates known as ranges (model v2): dates like their date.
        ("patient" | "treatment" | "assessment", c)
            if c.ends_with("_not_before") || c.ends_with("_not_after") =>
        {
            Month
        }
        (
            "patient",
            "sex" | "metastatic_setting" | "prior_stage" | "vital_status" | "death_cause",
        ) => Code,
        ("patient", "ecog") => Number,
        ("patient", "excluded") => YesNo,
        ("tumour", "tumour") => RecordId(""),
        ("tumour", "primary_site_detail" | "reported_type") => Withheld,
        ("tumour", "stage") => Stage,
        (
            "tumour",
            "primary_site"
            | "gi_segment"
            | "functional_syndrome"
            | "differentiation"
            | "nec_cell_type"
            | "who_grade"
            | "seer_grade"
            | "grade_system"
            | "reported_grade",
        ) => Code,
        (
            "tumour",
            "ki67_percent" | "mitoses_per_2mm2" | "mitoses_per_10hpf" | "krenning_uptake"
            | "mibg_uptake",
        ) => Number,
        ("tumour", "necrosis") => YesNo,
        ("metastasis", "detail") => Withheld,
        ("metastasis", "date") => Month,
        ("metastasis", "site" | "liver_pattern") => Code,
        ("metastasis", "at_metastatic_diagnosis") => YesNo,
        ("biomarker", "marker_detail") => Withheld,
        ("biomarker", "date") => Month,
        ("biomarker", "unit") => Unit,
        ("biomarker", "marker" | "result") => Code,
        ("biomarker", "value" | "lower_limit" | "upper_limit") => Number,
        ("treatment", "treatment") => RecordId("T"),
        ("treatment", "start_date" | "end_date") => Month,
        ("treatment", "type" | "surgery_type" | "intent" | "stop_reason" | "target_organ") => Code,
        ("treatment", "target_lesions") => Withheld,
        ("treatment", "line") => Number,
        ("treatment_agent", "treatment") => RecordId("T"),
        ("treatment_agent", "agent_detail") => Withheld,
        ("treatment_agent", "dose_unit") => Unit,
        ("treatment_agent", "agent" | "route" | "formulation") => Code,
        ("treatment_agent", "dose" | "interval_days") => Number,
        ("radionuclide_administration", "treatment") => RecordId("T"),
        ("radionuclide_administration", "date") => Month,
        (
            "radionuclide_administration",
            "administration" | "activity_gbq" | "lu177_gbq" | "y90_gbq" | "tumour_dose_gy",
        ) => Number,
        ("assessment", "assessment") => RecordId("A"),
        ("assessment", "treatment") => RecordId("T"),
        ("assessment", "date") => Month,
        ("assessment", "modality" | "criteria" | "investigator_response") => Code,
        ("lesion", "assessment") => RecordId("A"),
        ("lesion", "lesion") => RecordId("L"),
        ("lesion", "organ_detail") => Withheld,
        ("lesion", "organ" | "role" | "status") => Code,
        (
            "lesion",
            "longest_mm" | "perpendicular_mm" | "short_axis_mm" | "viable_mm" | "attenuation_hu",
        ) => Number,
        ("clinical_status", "date") => Month,
        ("clinical_status", "symptoms") => Code,
        (
            "clinical_status",
            "ecog" | "symptom_score" | "weight_kg" | "flushing_per_day" | "diarrhoea_per_day",
        ) => Number,
        // Model v3 (migration 6).
        ("immunohistochemistry" | "genetic_test", "tumour") => RecordId(""),
        ("immunohistochemistry" | "genetic_test" | "qol_response" | "comorbidity", "date") => Month,
        ("immunohistochemistry", "stain_detail") => Withheld,
        ("immunohistochemistry", "specimen" | "stain" | "result" | "score_system") => Code,
        ("immunohistochemistry", "percent_cells" | "intensity" | "score") => Number,
        ("genetic_test", "gene_detail" | "variant" | "method") => Withheld,
        ("genetic_test", "origin" | "gene" | "result") => Code,
        ("qol_response", "questionnaire") => Code,
        ("qol_response", "item" | "response") => Number,
        ("comorbidity", "condition_detail") => Withheld,
        ("comorbidity", "condition") => Code,
        ("adverse_event", "event") => RecordId("AE"),
        ("adverse_event", "treatment") => RecordId("T"),
        ("adverse_event", "term") => CtcaeTerm,
        ("adverse_event", "onset_date" | "resolution_date") => Month,
        ("adverse_event", "grade") => Number,
        ("adverse_event", "attribution") => Code,
        ("adverse_event", "serious") => YesNo,
        // The derived lines of therapy (issue 20): no record id, dates to
        // the month, times in whole months.
        ("lines", "line") => Number,
        ("lines", "regimen" | "class" | "end_reason" | "best_response") => Code,
        ("lines", "start") => Month,
        ("lines", "end") => MonthOrOngoing,
        ("lines", "ttp_months") => WholeMonths,
        _ => return None,
    })
}

/// The rule of a JSON field (a path from [`leaves`]) of an API answer.
fn json_class(route: &str, path: &str) -> Option<Class> {
    use Class::*;
    if route.starts_with("/api/analysis") {
        return analysis_rule(path).map(|_| Public);
    }
    if route == "/api/me" {
        return matches!(
            path,
            "user.username"
                | "user.display_name"
                | "user.role"
                | "user.sites"
                | "user.active"
                | "csrf_token"
                | "idle_expires_at"
                | "expires_at"
        )
        .then_some(Public);
    }
    if route.starts_with("/api/patients/") {
        if let Some(col) = path.strip_prefix("patient.") {
            return column_class("patient", col);
        }
        if let Some(rest) = path.strip_prefix("records.") {
            return match rest.split_once("[].") {
                Some((table, col)) => column_class(table, col),
                // A table without rows.
                None => Some(Public),
            };
        }
        return match path {
            "id" => Some(Pseudonym),
            "pseudonymised" => Some(Public),
            _ => None,
        };
    }
    if route.starts_with("/api/patients") {
        return Some(match path {
            "total" | "page" | "pages" | "per_page" | "min_cell" | "patients" => Public,
            "patients[].id" => Pseudonym,
            "patients[].site" => Site,
            "patients[].sex"
            | "patients[].primary_site"
            | "patients[].grade"
            | "patients[].vital_status" => Code,
            "patients[].age" => AgeBand,
            "patients[].diagnosis_date" | "patients[].last_date" => Month,
            // The patient's own numbers of records.
            "patients[].treatments" | "patients[].assessments" => Number,
            _ => return None,
        });
    }
    None
}

/// The patient page's cards (`dt` labels).
fn card_class(label: &str) -> Option<Class> {
    use Class::*;
    Some(match label {
        "Site" => Site,
        "Sex" | "Vital status" => Code,
        "Age at diagnosis" => AgeBand,
        "Last follow-up" => Month,
        // The month and the cause's label.
        "Death" => Code,
        _ => return None,
    })
}

/// The patient list's columns (`th` of the list page).
fn list_column_class(header: &str) -> Option<Class> {
    use Class::*;
    Some(match header {
        "Patient" => Pseudonym,
        "Site" => Site,
        "Age" => AgeBand,
        "Sex" | "Primary" | "Grade" | "Vital status" => Code,
        "Diagnosis" | "Last follow-up" => Month,
        "Treatments" | "Assessments" => Number,
        _ => return None,
    })
}

fn is_month(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() == 4 || (b.len() == 7 && b[4] == b'-'))
        && s.chars()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_digit())
}

fn is_band(s: &str) -> bool {
    s == "90+"
        || s.split_once('–').is_some_and(|(a, b)| {
            let (a, b) = (a.parse::<i64>(), b.parse::<i64>());
            matches!((a, b), (Ok(a), Ok(b)) if a % 5 == 0 && b == a + 4)
        })
}

/// Checks one shown text against its class (`""`: not shown).
#[track_caller]
fn check_text(class: Class, text: &str, sites: &BTreeSet<String>, what: &str) {
    let t = text.trim();
    let ok = match class {
        Class::Withheld => t.is_empty(),
        _ if t.is_empty() => true,
        Class::Pseudonym => {
            t.len() == 15 && t.starts_with("ps-") && t[3..].chars().all(|c| c.is_ascii_hexdigit())
        }
        Class::RecordId(prefix) => t
            .strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())),
        Class::Site => sites.contains(t),
        Class::Number => t.parse::<f64>().is_ok(),
        Class::YesNo => t == "yes" || t == "no",
        Class::Month => is_month(t),
        Class::AgeBand => is_band(t),
        Class::MonthOrOngoing => t == "ongoing" || is_month(t),
        Class::WholeMonths => t == "—" || t.trim_end_matches('+').parse::<u32>().is_ok(),
        Class::Arm => t
            .strip_prefix("arm ")
            .is_some_and(|n| n.parse::<u32>().is_ok()),
        Class::CtcaeTerm => pseudo::CTCAE_TERMS.contains(&t) || t == pseudo::OTHER_TERM,
        Class::Unit => pseudo::unit_text(t).as_deref() == Some(t),
        Class::Stage => pseudo::stage_text(t).as_deref() == Some(t),
        Class::Code | Class::Public => true,
    };
    assert!(ok, "{what}: '{t}' breaks the rule {class:?}");
}

fn json_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// No planted secret, no exact date, no patient code in an answer.
#[track_caller]
fn assert_no_secret(route: &str, body: &str) {
    assert!(
        !body.to_uppercase().contains("SECRET"),
        "{route} leaks a planted secret: …{}…",
        context(body, &body.to_uppercase(), "SECRET")
    );
    let b = body.as_bytes();
    for i in 0..b.len().saturating_sub(9) {
        let w = &b[i..i + 10];
        let digits = |r: std::ops::Range<usize>| w[r].iter().all(u8::is_ascii_digit);
        if digits(0..4) && w[4] == b'-' && digits(5..7) && w[7] == b'-' && digits(8..10) {
            panic!("{route} gives an exact date {}", String::from_utf8_lossy(w));
        }
    }
}

fn context(body: &str, upper: &str, needle: &str) -> String {
    let i = upper.find(needle).unwrap_or(0);
    body.char_indices()
        .filter(|(j, _)| j + 60 >= i && *j <= i + 60)
        .map(|(_, c)| c)
        .collect()
}

const PATIENTS: usize = 12;

/// A registry whose every free-text field, record id, patient code and arm
/// label holds `SECRET`, and whose dates are exact days; two arms of six.
fn canary_bundle() -> Vec<(&'static str, String)> {
    let mut patients = String::from(
        "patient,site,sex,birth_date,diagnosis_date,metastatic_date,entry_date,arm,excluded,exclusion_reason,last_followup_date,vital_status,death_date,death_cause,notes\n",
    );
    let mut tumours = String::from(
        "patient,tumour,primary_site,primary_site_detail,reported_type,differentiation,ki67_percent,stage,notes\n",
    );
    let mut metastases = String::from("patient,site,detail,date,notes\n");
    let mut biomarkers =
        String::from("patient,marker,marker_detail,date,value,unit,upper_limit,notes\n");
    let mut treatments = String::from("patient,treatment,type,start_date,end_date,intent,notes\n");
    let mut agents = String::from("patient,treatment,agent,agent_detail,dose,dose_unit,notes\n");
    let mut radionuclide = String::from("patient,treatment,administration,date,activity_gbq\n");
    let mut assessments =
        String::from("patient,assessment,date,modality,treatment,investigator_response,notes\n");
    let mut lesions =
        String::from("patient,assessment,lesion,organ,organ_detail,role,longest_mm,notes\n");
    let mut status = String::from("patient,date,ecog,weight_kg,notes\n");
    let mut aes = String::from(
        "patient,event,term,grade,onset_date,resolution_date,attribution,serious,treatment,notes\n",
    );
    for i in 1..=PATIENTS {
        let p = format!("SECRET-P{i:02}");
        let d = 10 + i;
        let (arm, sex) = if i % 2 == 0 {
            ("Lanreotide 120 mg SECRET-ARM-A", "female")
        } else {
            ("Placebo SECRET-ARM-B", "male")
        };
        let dead = i % 3 != 0;
        let last_year = 2005 + i;
        let (vital, death, cause) = if dead {
            ("dead", format!("{last_year}-02-{d}"), "disease")
        } else {
            ("alive", String::new(), "")
        };
        let excluded = if i == PATIENTS {
            "yes,SECRET-EXCLUDED"
        } else {
            "no,"
        };
        patients.push_str(&format!(
            "{p},c{},{sex},1950-05-{d},2004-03-{d},2004-06-{d},2004-07-{d},{arm},{excluded},{last_year}-02-{d},{vital},{death},{cause},SECRET-NOTES\n",
            1 + i % 2
        ));
        tumours.push_str(&format!(
            "{p},SECRET-TU1,other,SECRET-PRIMARY,SECRET carcinoid,well,{}.5,stage IV per Dr SECRET,SECRET-NOTES\n",
            i
        ));
        metastases.push_str(&format!(
            "{p},other,SECRET-MET,2004-06-{d},SECRET-NOTES\n{p},liver,,2004-06-{d},\n"
        ));
        biomarkers.push_str(&format!(
            "{p},chromogranin_a,,2004-08-{d},{}.0,ug/L,100,SECRET-NOTES\n{p},other,SECRET-MARKER,2004-09-{d},3.5,SECRET lab units,,\n",
            100 + i
        ));
        treatments.push_str(&format!(
            "{p},SECRET-T1,somatostatin_analogue,2004-07-{d},2005-01-{d},palliative,SECRET-NOTES\n{p},SECRET-T2,radionuclide,2005-02-{d},2005-08-{d},palliative,\n"
        ));
        agents.push_str(&format!(
            "{p},SECRET-T1,other,SECRET-AGENT,120,mg,SECRET-NOTES\n{p},SECRET-T2,lu177_dotatate,,7.4,GBq,\n"
        ));
        radionuclide.push_str(&format!("{p},SECRET-T2,1,2005-02-{d},7.4\n"));
        assessments.push_str(&format!(
            "{p},SECRET-A1,2004-07-{d},ct,,,SECRET-NOTES\n{p},SECRET-A2,2004-10-{d},ct,SECRET-T1,sd,\n"
        ));
        lesions.push_str(&format!(
            "{p},SECRET-A1,SECRET-L1,liver,SECRET-SEGMENT,target,50,SECRET-NOTES\n{p},SECRET-A2,SECRET-L1,liver,SECRET-SEGMENT,target,48,\n"
        ));
        status.push_str(&format!("{p},2004-07-{d},1,70.5,SECRET-NOTES\n"));
        aes.push_str(&format!(
            "{p},SECRET-AE1,Fall at the SECRET wedding,2,2004-09-{d},2004-10-{d},unrelated,no,,SECRET-NOTES\n{p},SECRET-AE2,nausea,1,2004-09-{d},,probable,no,SECRET-T1,\n"
        ));
    }
    vec![
        (
            "study.csv",
            "study,title,description\ncanary,Canary study,\n".into(),
        ),
        (
            "sites.csv",
            "site,study,name\nc1,canary,Canary centre 1\nc2,canary,Canary centre 2\n".into(),
        ),
        ("patients.csv", patients),
        ("tumours.csv", tumours),
        ("metastases.csv", metastases),
        ("biomarkers.csv", biomarkers),
        ("treatments.csv", treatments),
        ("treatment_agents.csv", agents),
        ("radionuclide_administrations.csv", radionuclide),
        ("assessments.csv", assessments),
        ("lesions.csv", lesions),
        ("clinical_status.csv", status),
        ("adverse_events.csv", aes),
    ]
}

async fn add_canaries(t: &TestApp) {
    let dir = t.dir.path().join("canary");
    std::fs::create_dir(&dir).unwrap();
    for (name, text) in canary_bundle() {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let bundle = Bundle::read_dir(&dir).expect("bundle");
    t.state
        .registry
        .import_bundle(
            &bundle,
            &ImportOptions {
                actor: Actor {
                    user: "loader".into(),
                    reason: Some("canaries".into()),
                },
                dry_run: false,
            },
        )
        .await
        .expect("import");
}

/// The inner texts of every `<tag …>…</tag>` (nested tags removed,
/// entities decoded).
fn inner_texts(html: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        if !after.starts_with([' ', '>']) {
            rest = after;
            continue;
        }
        let Some(gt) = after.find('>') else { break };
        let body = &after[gt + 1..];
        let Some(end) = body.find(&close) else { break };
        out.push(strip_tags(&body[..end]));
        rest = &body[end..];
    }
    out
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The column of each `th` of a table: its `data-column` (record tables
/// name their schema column there, whatever the header says), else the
/// column name of its text ([`header_column`]).
fn th_columns(html: &str) -> Vec<String> {
    let texts = inner_texts(html, "th");
    let mut tags = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<th") {
        let after = &rest[i + 3..];
        rest = after;
        if !after.starts_with([' ', '>']) {
            continue;
        }
        let tag = &after[..after.find('>').unwrap_or(after.len())];
        tags.push(
            tag.split_once("data-column=\"")
                .and_then(|(_, v)| v.split('"').next())
                .map(str::to_string),
        );
    }
    texts
        .iter()
        .zip(tags.into_iter().chain(std::iter::repeat(None)))
        .map(|(t, c)| c.unwrap_or_else(|| header_column(t)))
        .collect()
}

/// The column name of a record table's header (`longest mm`,
/// `activity gbq`, `interval days`, `dose (…)`).
fn header_column(h: &str) -> String {
    h.split(" (").next().unwrap_or(h).trim().replace(' ', "_")
}

/// Checks every record table and card of an analyst's patient page; returns
/// the fields seen (`table.column`).
fn check_patient_page(html: &str, sites: &BTreeSet<String>, fields: &mut BTreeSet<String>) {
    for (label, value) in inner_texts(html, "dt").iter().zip(inner_texts(html, "dd")) {
        let class = card_class(label)
            .unwrap_or_else(|| panic!("card '{label}' reaches analysts without a rule"));
        let value = match class {
            // "2004-03 neuroendocrine tumour": the month, then a label.
            Class::Code if label == "Death" => {
                let month = value.split_whitespace().next().unwrap_or_default();
                check_text(Class::Month, month, sites, label);
                fields.insert(format!("card.{label}"));
                continue;
            }
            _ => value,
        };
        check_text(class, &value, sites, label);
        fields.insert(format!("card.{label}"));
    }
    // One section per table: `<h2 id="table">`, then its table.
    for section in html.split("<h2 id=\"").skip(1) {
        let Some((table, rest)) = section.split_once('"') else {
            continue;
        };
        if matches!(table, "timeline" | "markers") {
            continue;
        }
        let headers: Vec<String> = th_columns(rest);
        for row in inner_texts_raw(rest, "tr").iter().skip(1) {
            let cells = inner_texts(row, "td");
            assert_eq!(cells.len(), headers.len(), "{table}: {row}");
            for (h, cell) in headers.iter().zip(&cells) {
                let column = h.clone();
                let class = column_class(table, &column).unwrap_or_else(|| {
                    panic!("{table}.{column} reaches analysts' pages without a rule")
                });
                // Codes are shown by their labels.
                if class != Class::Code {
                    check_text(class, cell, sites, &format!("page {table}.{column}"));
                }
                fields.insert(format!("{table}.{column}"));
            }
        }
    }
}

/// Like [`inner_texts`], keeping the inner markup.
fn inner_texts_raw(html: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        let body = &rest[i + open.len()..];
        let Some(end) = body.find(&close) else { break };
        out.push(body[..end].to_string());
        rest = &body[end..];
    }
    out
}

/// Checks every field of a JSON answer against the table.
#[track_caller]
fn check_json(route: &str, v: &Value, sites: &BTreeSet<String>, fields: &mut BTreeSet<String>) {
    let mut all = Vec::new();
    leaves(v, String::new(), &mut all);
    for (path, x) in &all {
        let class = json_class(route, path)
            .unwrap_or_else(|| panic!("{route}: field '{path}' reaches analysts without a rule"));
        check_text(class, &json_text(x), sites, &format!("{route} {path}"));
        fields.insert(path.clone());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_an_analyst_receives_has_a_rule_and_no_secret_gets_through() {
    let t = test_app().await;
    add_canaries(&t).await;
    let analyst = login(&t, "analyst").await;
    let admin = login(&t, "admin").await;
    let sites: BTreeSet<String> = ["a", "b", "c1", "c2"].map(String::from).into();
    let mut fields = BTreeSet::new();
    let get = |uri: String| {
        let l = analyst.clone();
        let t = &t;
        async move {
            let r = req("GET", &uri).cookie(&l).send(t).await;
            assert_eq!(r.status, 200, "{uri}: {}", r.text());
            assert_no_secret(&uri, &r.text());
            r
        }
    };
    // The JSON API.
    for uri in ["/api/me", "/api/patients", "/api/patients?site=c1"] {
        let v = get(uri.to_string()).await.json();
        check_json(uri.split('?').next().unwrap(), &v, &sites, &mut fields);
    }
    let pseudonyms: Vec<String> = (1..=PATIENTS)
        .map(|i| t.state.pseudo.pseudonym(&format!("SECRET-P{i:02}")))
        .collect();
    let mut arm_of = BTreeMap::new();
    for ps in &pseudonyms {
        let route = format!("/api/patients/{ps}");
        let v = get(route.clone()).await.json();
        assert_eq!(v["patient"]["patient"], ps.as_str());
        check_json(&route, &v, &sites, &mut fields);
        arm_of.insert(
            ps.clone(),
            v["patient"]["arm"].as_str().unwrap().to_string(),
        );
        // References renumbered alike: the assessment evaluates T1, the
        // lesion L1 is one lesion at two assessments.
        assert_eq!(v["records"]["assessment"][1]["treatment"], "T1", "{v}");
        let lesions: BTreeSet<&str> = v["records"]["lesion"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["lesion"].as_str().unwrap())
            .collect();
        assert_eq!(lesions, BTreeSet::from(["L1"]));
        let terms: BTreeSet<&str> = v["records"]["adverse_event"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["term"].as_str().unwrap())
            .collect();
        assert_eq!(terms, BTreeSet::from(["Nausea", pseudo::OTHER_TERM]));
        // The pages.
        let page = get(format!("/patients/{ps}")).await.text();
        check_patient_page(&page, &sites, &mut fields);
        let svg = get(format!("/patients/{ps}/timeline.svg")).await.text();
        assert!(svg.contains(ps.as_str()));
    }
    // Arms as numbers, by label order: Lanreotide… before Placebo….
    for (i, ps) in pseudonyms.iter().enumerate() {
        let expected = if (i + 1) % 2 == 0 { "arm 1" } else { "arm 2" };
        assert_eq!(arm_of[ps], expected);
    }
    let list = get("/patients".into()).await.text();
    for h in inner_texts(&list, "th") {
        assert!(
            list_column_class(&h).is_some(),
            "list column '{h}' reaches analysts without a rule"
        );
    }
    let analyses = [
        "endpoint=os&from=diagnosis&group=arm",
        "endpoint=pfs&from=line:1&group=arm&landmark=12",
        "endpoint=os&from=diagnosis&group=site",
    ];
    for q in analyses {
        let v = get(format!("/api/analysis?{q}")).await.json();
        check_json("/api/analysis", &v, &sites, &mut fields);
        for file in ["km.svg", "groups.csv"] {
            get(format!("/api/analysis/{file}?{q}")).await;
        }
        get(format!("/analysis?{q}")).await;
    }
    for uri in ["/account", "/analysis", "/api/schema"] {
        get(uri.to_string()).await;
    }
    // Routes analysts may not use answer without data.
    for (method, uri) in [
        ("GET", "/api/records/patient?key=SECRET-P01"),
        ("GET", "/api/records/patient/history?key=SECRET-P01"),
        ("GET", "/records/patient/history?key=SECRET-P01"),
        ("GET", "/records/patient/edit?key=SECRET-P01"),
        ("GET", "/records/treatment/new?patient=SECRET-P01"),
        ("GET", "/api/users"),
        ("GET", "/admin/users"),
        ("GET", "/api/patients/SECRET-P01"),
        ("GET", "/patients/SECRET-P01"),
        (
            "GET",
            "/api/analysis/survival.csv?endpoint=os&from=diagnosis&group=arm",
        ),
        (
            "GET",
            "/api/analysis/cuminc?endpoint=pfs&from=line:1&group=arm",
        ),
    ] {
        let r = req(method, uri).cookie(&analyst).send(&t).await;
        assert!(
            [403, 404].contains(&r.status.as_u16()),
            "{uri}: {} {}",
            r.status,
            r.text()
        );
        assert!(!r.text().contains("Lanreotide 120"), "{uri}");
    }
    // The fields were really seen: the tables of every kind of record.
    for f in [
        "patient.arm",
        "patient.notes",
        "records.adverse_event[].term",
        "records.treatment[].treatment",
        "records.biomarker[].unit",
        "records.tumour[].stage",
        "adverse_event.term",
        "treatment_agent.agent_detail",
        "card.Death",
        "patients[].id",
        "groups[].label",
    ] {
        assert!(fields.contains(f), "{f} not exercised: {fields:?}");
    }
    // Administrators keep everything.
    let full = req("GET", "/api/patients/SECRET-P02")
        .cookie(&admin)
        .send(&t)
        .await
        .json();
    assert_eq!(full["patient"]["arm"], "Lanreotide 120 mg SECRET-ARM-A");
    assert_eq!(
        full["records"]["adverse_event"][0]["term"],
        "Fall at the SECRET wedding"
    );
}

/// Item 2 of the remaining work: analyses by arm on a registry with arms
/// name them `arm N` (figure, JSON, CSV, page), as the record pages do, and
/// the group `arm N` holds exactly the patients whose records say `arm N`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn study_arms_are_relabelled_alike_in_analyses_and_records() {
    let t = test_app().await;
    add_canaries(&t).await;
    let analyst = login(&t, "analyst").await;
    let admin = login(&t, "admin").await;
    let q = "endpoint=os&from=diagnosis&group=arm";
    let full = req("GET", &format!("/api/analysis?{q}"))
        .cookie(&admin)
        .send(&t)
        .await
        .json();
    let labels: Vec<&str> = full["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["Lanreotide 120 mg SECRET-ARM-A", "Placebo SECRET-ARM-B"]
    );
    let v = req("GET", &format!("/api/analysis?{q}"))
        .cookie(&analyst)
        .send(&t)
        .await
        .json();
    let groups = v["groups"].as_array().unwrap();
    let shown: Vec<(&str, Option<u64>)> = groups
        .iter()
        .map(|g| (g["label"].as_str().unwrap(), g["n"].as_u64()))
        .collect();
    // Patient 12 (even: Lanreotide) is excluded from analyses.
    assert_eq!(shown, [("arm 1", Some(5)), ("arm 2", Some(6))]);
    for file in ["km.svg", "groups.csv"] {
        let body = req("GET", &format!("/api/analysis/{file}?{q}"))
            .cookie(&analyst)
            .send(&t)
            .await
            .text();
        assert!(body.contains("arm 1") && body.contains("arm 2"), "{file}");
        assert_no_secret(file, &body);
    }
    let page = req("GET", &format!("/analysis?{q}"))
        .cookie(&analyst)
        .send(&t)
        .await
        .text();
    assert!(page.contains("arm 1"));
    assert_no_secret("/analysis", &page);
    // The records say the same: count the analysed patients of arm 1.
    let mut arm1 = 0;
    for i in 1..PATIENTS {
        let ps = t.state.pseudo.pseudonym(&format!("SECRET-P{i:02}"));
        let r = req("GET", &format!("/api/patients/{ps}"))
            .cookie(&analyst)
            .send(&t)
            .await
            .json();
        arm1 += usize::from(r["patient"]["arm"] == "arm 1");
    }
    assert_eq!(arm1, 5);
}

/// Item 4: the small-cell rule on the patient list's totals and on the
/// imputed-dates count of analyses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_list_totals_and_imputed_date_counts_are_withheld() {
    let t = test_app().await;
    add_canaries(&t).await;
    let analyst = login(&t, "analyst").await;
    let admin = login(&t, "admin").await;
    // Site b holds one patient.
    let full = req("GET", "/api/patients?site=b")
        .cookie(&admin)
        .send(&t)
        .await
        .json();
    assert_eq!(full["total"], 1);
    let v = req("GET", "/api/patients?site=b")
        .cookie(&analyst)
        .send(&t)
        .await
        .json();
    assert!(v["total"].is_null(), "{v}");
    assert_eq!(v["min_cell"], 5);
    assert!(v["patients"].as_array().unwrap().is_empty(), "{v}");
    let page = req("GET", "/patients?site=b")
        .cookie(&analyst)
        .send(&t)
        .await
        .text();
    assert!(page.contains("&lt;5"), "the page says <5");
    assert!(!page.contains(&t.state.pseudo.pseudonym("b1")));
    // Zero is shown; enough patients are listed.
    let none = req("GET", "/api/patients?site=b&grade=g1")
        .cookie(&analyst)
        .send(&t)
        .await
        .json();
    assert_eq!(none["total"], 0);
    let c1 = req("GET", "/api/patients?site=c1")
        .cookie(&analyst)
        .send(&t)
        .await
        .json();
    assert_eq!(c1["total"], 6);
    assert_eq!(c1["patients"].as_array().unwrap().len(), 6);
    // One whole pseudonym is a look-up, not a count.
    let b1 = t.state.pseudo.pseudonym("b1");
    let one = req("GET", &format!("/api/patients?q={b1}"))
        .cookie(&analyst)
        .send(&t)
        .await
        .json();
    assert_eq!(one["total"], 1);
    // a2's diagnosis (2012-07) is a partial date: a count of one or two
    // imputed dates points at those patients.
    let q = "/api/analysis?endpoint=os&from=diagnosis";
    let full = req("GET", q).cookie(&admin).send(&t).await.json();
    let n = full["imputed_dates"].as_u64().unwrap();
    assert!(n > 0 && n < 5, "{full}");
    let v = req("GET", q).cookie(&analyst).send(&t).await.json();
    assert!(v["imputed_dates"].is_null(), "{v}");
    let page = req("GET", "/analysis?endpoint=os&from=diagnosis")
        .cookie(&analyst)
        .send(&t)
        .await
        .text();
    assert!(page.contains("&lt;5 partial date(s) imputed"), "{page}");
}

/// Item 3: a curve cut where fewer than m remain at risk prints `<m` under
/// the figure after the cut, never a false 0; before the cut the numbers
/// are the administrator's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_at_risk_after_a_cut_curve_read_below_m_not_zero() {
    let t = test_app().await;
    add_canaries(&t).await;
    let analyst = login(&t, "analyst").await;
    let admin = login(&t, "admin").await;
    let q = "/api/analysis/km.svg?endpoint=os&from=diagnosis";
    let cells = |svg: String| -> Vec<(String, String)> {
        svg.lines()
            .filter(|l| l.contains("class=\"at-risk\""))
            .map(|l| {
                let time = l.split("data-time=\"").nth(1).unwrap();
                let time = time.split('"').next().unwrap().to_string();
                (time, strip_tags(l))
            })
            .collect()
    };
    // The true numbers at risk: patients followed at least t months from
    // diagnosis (the axes differ: the analyst's curve is shorter).
    let day = |d: PartialDate| d.impute(Imputation::MidPoint).day;
    let times: Vec<f64> = included_courses(&t)
        .await
        .iter()
        .filter_map(|c| {
            let p = &c.patient;
            let end = p.death_date.or(p.last_followup_date)?;
            let days = day(p.diagnosis_date?).days_until(day(end));
            Some(f64::from(days) / DAYS_PER_MONTH)
        })
        .collect();
    let full: BTreeMap<String, String> = cells(req("GET", q).cookie(&admin).send(&t).await.text())
        .into_iter()
        .collect();
    let shown = cells(req("GET", q).cookie(&analyst).send(&t).await.text());
    // The count is the administrator's wherever both axes have the tick.
    for (time, n) in &shown {
        if let Some(f) = full.get(time).filter(|_| n.trim() != "<5") {
            assert_eq!(f, n, "at {time}");
        }
    }
    let full: BTreeMap<String, String> = shown
        .iter()
        .map(|(time, _)| {
            let at: f64 = time.parse().unwrap();
            let n = times.iter().filter(|&&x| x >= at).count();
            (time.clone(), n.to_string())
        })
        .collect();
    assert!(shown.len() > 2);
    let mut cut = 0;
    let mut cut_with_patients = 0;
    for (time, n_shown) in &shown {
        // The analyst's axis ends earlier (the curve is shorter); every
        // tick of it is a tick of the administrator's.
        let n_full = full
            .get(time)
            .unwrap_or_else(|| panic!("tick {time}: {full:?}"));
        let n: f64 = n_full.trim().parse().unwrap();
        if n_shown.trim() == "<5" {
            assert!(n < 5.0, "withheld at {time} where {n} are at risk");
            cut += 1;
            cut_with_patients += usize::from(n > 0.0);
        } else {
            assert_eq!(
                n_shown, n_full,
                "at {time}: the number or <5, never a false 0"
            );
            assert!(n >= 5.0 || n == 0.0);
        }
    }
    assert!(cut > 0, "the curve is cut before the last tick: {shown:?}");
    // A cut where some are still at risk: the case that printed 0.
    assert!(cut_with_patients > 0, "{full:?} {shown:?}");
}
