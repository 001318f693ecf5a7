//! `netra patient show CODE`: one patient's whole course, in date order,
//! readable as a case report.
//!
//! Partial dates are printed as recorded; for ordering, each record sits at
//! the first day its date can stand for (a `2003-05` diagnosis comes before a
//! treatment on `2003-05-10`), ties kept in the order of the course's
//! landmarks. Undated records (e.g. prior treatments whose dates were not
//! published) are listed first, apart.

use std::fmt::Write as _;

use netra_clinical::registry::model::*;
use netra_clinical::registry::vocab::Vocabulary;
use netra_clinical::registry::{DateBounds, PartialDate};
use netra_store::Registry;

use super::registry_args::{DbArgs, block_on};

/// Arguments of `netra patient`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: PatientCommand,
}

#[derive(Debug, clap::Subcommand)]
enum PatientCommand {
    /// Print one patient's whole course in date order, as a case report.
    Show {
        /// The patient's code.
        code: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Runs `netra patient`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let PatientCommand::Show { code, db } = args.command;
    let location = db.location();
    let (course, site) = block_on(async {
        let registry = Registry::open(&location).await?;
        let course = registry.patient_course(&code).await?;
        let site = match &course {
            Some(c) => registry
                .site(&c.patient.site)
                .await?
                .map(|s| (s.name, s.study, s.study_title)),
            None => None,
        };
        registry.close().await;
        Ok::<_, netra_store::StoreError>((course, site))
    })??;
    let Some(course) = course else {
        anyhow::bail!(
            "no patient '{code}' in the registry at {}",
            location.display()
        );
    };
    print!("{}", case_report(&course, site));
    Ok(())
}

fn num(x: f64) -> String {
    format!("{x}")
}

/// " (between 2010-10-15 and 2010-12)" for a date known as a range, empty
/// otherwise: the bounds are part of what was recorded.
fn range_note(b: &DateBounds) -> String {
    match (b.not_before, b.not_after) {
        (Some(lo), Some(hi)) => format!(" (date between {lo} and {hi})"),
        (Some(lo), None) => format!(" (date not before {lo})"),
        (None, Some(hi)) => format!(" (date not after {hi})"),
        (None, None) => String::new(),
    }
}

fn opt<T: Vocabulary>(v: Option<T>) -> Option<&'static str> {
    v.map(Vocabulary::label)
}

struct Item {
    date: Option<PartialDate>,
    rank: u8,
    text: String,
}

/// The case report text.
pub fn case_report(c: &PatientCourse, site: Option<(String, String, String)>) -> String {
    let p = &c.patient;
    let mut out = String::new();
    let mut head = format!("Patient {} — {}", p.code, p.sex.label());
    if let Some(a) = p.age_at_entry {
        let _ = write!(head, ", {a} years at study entry");
    }
    if let Some(b) = p.birth_date {
        let _ = write!(head, ", born {b}");
    }
    let _ = writeln!(out, "{head}");
    match site {
        Some((name, study, title)) => {
            let _ = writeln!(out, "Site {} ({name}); study {study}: {title}", p.site);
        }
        None => {
            let _ = writeln!(out, "Site {}", p.site);
        }
    }
    if let Some(arm) = &p.arm {
        let _ = write!(out, "Arm {arm}");
        if p.excluded == Some(true) {
            let _ = write!(
                out,
                "; EXCLUDED from the analyses{}",
                p.exclusion_reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            );
        }
        out.push('\n');
    }
    let mut status = format!("Vital status: {}", p.vital_status.label());
    if let Some(d) = p.death_date {
        let _ = write!(status, " (died {d}{}", range_note(&p.death_bounds));
        if let Some(cause) = p.death_cause {
            let _ = write!(status, ", {}", cause.label());
        }
        status.push(')');
    } else if let Some(d) = p.last_followup_date {
        let _ = write!(status, " at last follow-up {d}");
    }
    let _ = writeln!(out, "{status}");
    if let Some(n) = &p.notes {
        let _ = writeln!(out, "Notes: {n}");
    }

    for t in &c.tumours {
        let _ = writeln!(out, "\nPrimary tumour {}", t.id);
        let mut site = t.primary_site.label().to_string();
        if let Some(d) = &t.primary_site_detail {
            let _ = write!(site, " ({d})");
        }
        if let Some(s) = t.segment() {
            let _ = write!(site, ", {}", s.label());
        }
        if let Some(r) = &t.reported_type {
            let _ = write!(site, "; reported as \"{r}\"");
        }
        let _ = writeln!(out, "  Site: {site}");
        let _ = writeln!(
            out,
            "  Functional syndrome: {}",
            opt(t.functional_syndrome).unwrap_or("not recorded")
        );
        let mut path = Vec::new();
        if let Some(d) = t.differentiation {
            path.push(d.label().to_string());
        }
        if let Some(k) = t.ki67_percent {
            path.push(format!("Ki-67 {}%", num(k)));
        }
        if let Some(m) = t.mitoses_per_2mm2 {
            path.push(format!("{} mitoses/2 mm²", num(m)));
        }
        match (t.who_grade, t.grade()) {
            (Some(g), _) => path.push(format!("WHO 2019 {} (recorded)", g.label())),
            (None, Some(g)) => path.push(format!("WHO 2019 {} (derived)", g.label())),
            _ => {}
        }
        if let Some(s) = t.seer_grade {
            path.push(format!("SEER {}", s.label()));
        }
        if let Some(m) = t.mitoses_per_10hpf {
            path.push(format!("{} mitoses/10 HPF", num(m)));
        }
        if let Some(n) = t.necrosis {
            path.push(if n { "necrosis" } else { "no necrosis" }.to_string());
        }
        if let Some(g) = t.reported_grade {
            let system = t.grade_system.map(|s| format!("{} ", s.label()));
            path.push(format!(
                "{}{} (reported)",
                system.unwrap_or_default(),
                g.label()
            ));
        }
        if let Some(s) = &t.stage {
            path.push(format!("stage {s}"));
        }
        let _ = writeln!(
            out,
            "  Pathology: {}",
            if path.is_empty() {
                "not recorded".to_string()
            } else {
                path.join(", ")
            }
        );
        let mut imaging = Vec::new();
        if let Some(k) = t.krenning_uptake {
            imaging.push(format!("somatostatin-receptor uptake (Krenning) {k}"));
        }
        if let Some(m) = t.mibg_uptake {
            imaging.push(format!("MIBG uptake {m}"));
        }
        if !imaging.is_empty() {
            let _ = writeln!(out, "  Receptor imaging: {}", imaging.join(", "));
        }
    }
    if !c.metastases.is_empty() {
        let list: Vec<String> = c
            .metastases
            .iter()
            .map(|m| {
                let mut s = m.site.label().to_string();
                if let Some(d) = &m.detail {
                    let _ = write!(s, " ({d})");
                }
                if let Some(l) = m.liver_pattern {
                    let _ = write!(s, ", {}", l.label());
                }
                if let Some(d) = m.date {
                    let _ = write!(s, " since {d}");
                }
                s
            })
            .collect();
        let _ = writeln!(out, "\nMetastatic sites: {}", list.join("; "));
    }
    out.push_str(&super::patient_concepts::pathology_and_history(c));

    let mut items: Vec<Item> = Vec::new();
    let mut push =
        |date: Option<PartialDate>, rank: u8, text: String| items.push(Item { date, rank, text });
    if let Some(d) = p.birth_date {
        push(Some(d), 0, "Born".into());
    }
    if let Some(d) = p.diagnosis_date {
        push(
            Some(d),
            1,
            format!(
                "First diagnosis of the neuroendocrine tumour{}",
                range_note(&p.diagnosis_bounds)
            ),
        );
    }
    if let Some(d) = p.metastatic_date {
        let mut s = format!(
            "Metastatic or recurrent disease diagnosed{}",
            range_note(&p.metastatic_bounds)
        );
        if let Some(set) = p.metastatic_setting {
            let _ = write!(s, " ({})", set.label());
        }
        if let Some(e) = p.ecog {
            let _ = write!(s, ", ECOG {e}");
        }
        push(Some(d), 2, s);
    }
    if let Some(d) = p.entry_date {
        push(
            Some(d),
            3,
            format!(
                "Study entry{}",
                p.arm
                    .as_deref()
                    .map(|a| format!(" (arm {a})"))
                    .unwrap_or_default()
            ),
        );
    }
    for t in &c.treatments {
        push(t.start_date, 4, treatment_text(t));
    }
    for a in &c.assessments {
        push(Some(a.date), 5, assessment_text(a));
    }
    for b in &c.biomarkers {
        let name = b
            .marker_detail
            .clone()
            .unwrap_or_else(|| b.marker.label().to_string());
        let mut s = format!("Marker: {name} {} {}", num(b.value), b.unit);
        match (b.lower_limit, b.upper_limit) {
            (Some(lo), Some(hi)) => {
                let _ = write!(s, " (reference {}–{})", num(lo), num(hi));
            }
            (None, Some(hi)) => {
                let _ = write!(s, " (upper limit {})", num(hi));
            }
            _ => {}
        }
        if b.above_uln() == Some(true) {
            s.push_str(" — above the upper limit");
        }
        if let Some(r) = b.result {
            let _ = write!(s, "; reported {}", r.label());
        }
        push(Some(b.date), 6, s);
    }
    for f in &c.marker_findings {
        push(Some(f.date), 6, finding_text(f));
    }
    for (date, text) in super::patient_concepts::qol_lines(c) {
        push(Some(date), 7, text);
    }
    for s in &c.clinical_status {
        let mut parts = Vec::new();
        if let Some(e) = s.ecog {
            parts.push(format!("ECOG {e}"));
        }
        if let Some(x) = s.symptoms {
            parts.push(format!("symptoms {}", x.label()));
        }
        if let Some(x) = s.symptom_score {
            parts.push(format!("symptom score {}", num(x)));
        }
        if let Some(w) = s.weight_kg {
            parts.push(format!("weight {} kg", num(w)));
        }
        if let Some(x) = s.flushing_per_day {
            parts.push(format!("flushing {}/day", num(x)));
        }
        if let Some(x) = s.diarrhoea_per_day {
            parts.push(format!("diarrhoea {}/day", num(x)));
        }
        let mut t = format!("Clinical status: {}", parts.join(", "));
        if let Some(n) = &s.notes {
            let _ = write!(t, " — {n}");
        }
        push(Some(s.date), 7, t);
    }
    for e in &c.adverse_events {
        let mut s = format!("Adverse event {}: {} grade {}", e.id, e.term, e.grade);
        if e.serious == Some(true) {
            s.push_str(", serious");
        }
        if let Some(a) = e.attribution {
            let _ = write!(s, ", {} relation", a.label());
        }
        if let Some(t) = &e.treatment {
            let _ = write!(s, " to {t}");
        }
        if let Some(r) = e.resolution_date {
            let _ = write!(s, "; resolved {r}");
        }
        push(e.onset_date, 8, s);
    }
    if let Some(d) = p.last_followup_date
        && p.death_date != Some(d)
    {
        push(
            Some(d),
            9,
            format!("Last follow-up ({})", p.vital_status.label()),
        );
    }
    if let Some(d) = p.death_date {
        let mut s = format!("Death{}", range_note(&p.death_bounds));
        if let Some(c) = p.death_cause {
            let _ = write!(s, " ({})", c.label());
        }
        push(Some(d), 10, s);
    }
    let (undated, mut dated): (Vec<Item>, Vec<Item>) =
        items.into_iter().partition(|i| i.date.is_none());
    dated.sort_by_key(|i| (i.date.map(|d| d.earliest()), i.rank));
    if !undated.is_empty() {
        let _ = writeln!(out, "\nUndated records");
        for i in &undated {
            write_item(&mut out, "", &i.text);
        }
    }
    let _ = writeln!(out, "\nCourse in date order");
    for i in &dated {
        let d = i.date.map(|d| d.to_string()).unwrap_or_default();
        write_item(&mut out, &d, &i.text);
    }
    out
}

fn write_item(out: &mut String, date: &str, text: &str) {
    let mut lines = text.lines();
    let _ = writeln!(out, "  {date:<12} {}", lines.next().unwrap_or_default());
    for l in lines {
        let _ = writeln!(out, "  {:<12} {l}", "");
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn treatment_text(t: &Treatment) -> String {
    let mut s = capitalised(t.kind.label());
    if let Some(st) = t.surgery_type {
        let _ = write!(s, " ({})", st.label());
    }
    let _ = write!(s, " [{}]", t.id);
    if !t.agents.is_empty() {
        let agents: Vec<String> = t
            .agents
            .iter()
            .map(|a| {
                let mut x = a
                    .agent_detail
                    .clone()
                    .unwrap_or_else(|| a.agent.label().to_string());
                if let Some(f) = a.formulation {
                    let _ = write!(x, " {}", f.label());
                }
                if let Some(d) = a.dose {
                    let _ = write!(
                        x,
                        " {} {}",
                        num(d),
                        a.dose_unit.as_deref().unwrap_or_default()
                    );
                }
                if let Some(r) = a.route {
                    let _ = write!(x, " {}", r.label());
                }
                if let Some(i) = a.interval_days {
                    let _ = write!(x, " every {} days", num(i));
                }
                x
            })
            .collect();
        let _ = write!(s, ": {}", agents.join(" + "));
    }
    if let Some(target) = target_text(t) {
        let _ = write!(s, "; aimed at {target}");
    }
    if t.start_date.is_some() && !t.start_bounds.is_none() {
        let _ = write!(s, "; started{}", range_note(&t.start_bounds));
    }
    match (t.start_date, t.end_date) {
        (Some(_), Some(e)) => {
            let _ = write!(s, ", until {e}{}", range_note(&t.end_bounds));
        }
        (None, Some(e)) => {
            let _ = write!(s, ", ended {e}{}", range_note(&t.end_bounds));
        }
        _ => {}
    }
    if let Some(i) = t.intent {
        let _ = write!(s, "; intent {}", i.label());
    }
    if let Some(r) = t.stop_reason {
        let _ = write!(s, "; stopped: {}", r.label());
    }
    if let Some(l) = t.line {
        let _ = write!(s, "; line {l} (as recorded)");
    }
    if !t.administrations.is_empty() {
        let list: Vec<String> = t
            .administrations
            .iter()
            .map(|a| {
                let mut x = format!(
                    "#{} {}{} GBq",
                    a.number,
                    a.date.map(|d| format!("{d} ")).unwrap_or_default(),
                    num(a.activity_gbq)
                );
                let parts: Vec<String> = [("¹⁷⁷Lu", a.lu177_gbq), ("⁹⁰Y", a.y90_gbq)]
                    .iter()
                    .filter_map(|(n, v)| v.map(|v| format!("{n} {}", num(v))))
                    .collect();
                if !parts.is_empty() {
                    let _ = write!(x, " ({})", parts.join(" + "));
                }
                if let Some(gy) = a.tumour_dose_gy {
                    let _ = write!(x, ", tumour dose {} Gy", num(gy));
                }
                x
            })
            .collect();
        let total = (t.total_activity_gbq() * 1000.0).round() / 1000.0;
        let _ = write!(
            s,
            "\n  administrations: {} (total {} GBq)",
            list.join(", "),
            num(total)
        );
    }
    if let Some(n) = &t.notes {
        let _ = write!(s, "\n  note: {n}");
    }
    s
}

/// The organ and lesions a local treatment was aimed at ("liver lesions
/// L1, L2"), when recorded.
fn target_text(t: &Treatment) -> Option<String> {
    let organ = t.target_organ.map(|o| o.label());
    match (organ, t.target_lesions.as_slice()) {
        (None, []) => None,
        (Some(o), []) => Some(o.to_string()),
        (o, lesions) => {
            let noun = if lesions.len() == 1 {
                "lesion"
            } else {
                "lesions"
            };
            let organ = o.map(|o| format!("{o} ")).unwrap_or_default();
            Some(format!("{organ}{noun} {}", lesions.join(", ")))
        }
    }
}

fn finding_text(f: &MarkerFinding) -> String {
    let name = f
        .marker_detail
        .clone()
        .unwrap_or_else(|| f.marker.label().to_string());
    let mut s = format!("Marker: {name} {}", f.result.label());
    let unit = f
        .unit
        .as_deref()
        .map(|u| format!(" {u}"))
        .unwrap_or_default();
    match (f.lower_limit, f.upper_limit) {
        (Some(lo), Some(hi)) => {
            let _ = write!(s, " (reference {}–{}{unit})", num(lo), num(hi));
        }
        (None, Some(hi)) => {
            let _ = write!(s, " (upper limit {}{unit})", num(hi));
        }
        (Some(lo), None) => {
            let _ = write!(s, " (lower limit {}{unit})", num(lo));
        }
        _ => {}
    }
    if let Some(n) = &f.notes {
        let _ = write!(s, " — {n}");
    }
    s
}

fn assessment_text(a: &Assessment) -> String {
    let mut s = format!("Assessment {} ({}", a.id, a.modality.label());
    if let Some(c) = a.criteria {
        let _ = write!(s, ", {}", c.label());
    }
    s.push(')');
    s.push_str(&range_note(&a.date_bounds));
    if let Some(r) = a.investigator_response {
        let _ = write!(s, ": {} (investigator)", r.label());
    }
    if let Some(t) = &a.treatment {
        let _ = write!(s, ", evaluating {t}");
    }
    for l in &a.lesions {
        let mut x = format!("\n  lesion {} {} {}", l.id, l.organ.label(), l.role.label());
        if let Some(d) = &l.organ_detail {
            let _ = write!(x, " ({d})");
        }
        let dims: Vec<String> = [
            ("longest", l.longest_mm),
            ("perpendicular", l.perpendicular_mm),
            ("short axis", l.short_axis_mm),
            ("viable", l.viable_mm),
        ]
        .iter()
        .filter_map(|(n, v)| v.map(|v| format!("{n} {} mm", num(v))))
        .collect();
        if !dims.is_empty() {
            let _ = write!(x, ": {}", dims.join(", "));
        }
        if let Some(h) = l.attenuation_hu {
            let _ = write!(x, ", {} HU", num(h));
        }
        if let Some(st) = l.status {
            let _ = write!(x, ", {}", st.label());
        }
        s.push_str(&x);
    }
    if let Some(n) = &a.notes {
        let _ = write!(s, "\n  note: {n}");
    }
    s
}
