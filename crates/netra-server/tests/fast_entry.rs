//! Entry by hand as fast as REDCap (issue 15, section 3): no typed reason
//! for records created in the session's new-patient flow (audited with a
//! system reason and the user), "save and add another", a treatment's
//! agents and an assessment's lesions as rows of one form saved all or
//! nothing, follow-up lesions chosen from the baseline lesions, keyboard
//! help (autofocus, access keys), and the measured cost of one patient
//! before and after (`docs/web.md`, "Entering a patient by hand").

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::Value;

fn form(l: &Login, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v = vec![("_csrf".to_string(), l.csrf.clone())];
    v.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    v
}

fn post(l: &Login, path: &str, fields: &[(String, String)]) -> Req {
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    req("POST", path).cookie(l).form(&f)
}

async fn history(t: &TestApp, l: &Login, table: &str, key: &[&str]) -> Vec<Value> {
    let q: Vec<String> = key.iter().map(|k| format!("key={k}")).collect();
    let r = req(
        "GET",
        &format!("/api/records/{table}/history?{}", q.join("&")),
    )
    .cookie(l)
    .send(t)
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no history: {}", r.text()))
}

async fn exists(t: &TestApp, l: &Login, table: &str, key: &[&str]) -> bool {
    let q: Vec<String> = key.iter().map(|k| format!("key={k}")).collect();
    let r = req("GET", &format!("/api/records/{table}?{}", q.join("&")))
        .cookie(l)
        .send(t)
        .await;
    match r.status {
        StatusCode::OK => true,
        StatusCode::NOT_FOUND => false,
        s => panic!("{s}: {}", r.text()),
    }
}

const PATIENT: &[(&str, &str)] = &[
    ("f_patient", "P9"),
    ("f_site", "a"),
    ("f_sex", "female"),
    ("f_birth_date", "1961-04-02"),
    ("f_diagnosis_date", "2015-01-10"),
    ("f_last_followup_date", "2019-06-30"),
    ("f_vital_status", "alive"),
];

async fn new_patient(t: &TestApp, l: &Login) {
    let r = post(l, "/records/patient/new", &form(l, PATIENT))
        .send(t)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
}

#[tokio::test]
async fn records_of_the_new_patient_flow_need_no_reason_and_are_audited_by_name() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    // The patient form asks for no reason.
    let html = req("GET", "/records/patient/new")
        .cookie(&dm)
        .send(&t)
        .await
        .text();
    assert!(!html.contains(r#"<textarea id="reason""#), "{html}");
    new_patient(&t, &dm).await;
    // Nor the forms of its new records.
    let html = req("GET", "/records/tumour/new?patient=P9")
        .cookie(&dm)
        .send(&t)
        .await
        .text();
    assert!(!html.contains(r#"<textarea id="reason""#), "{html}");
    assert!(html.contains("created in new-patient flow"));
    let tumour = [
        ("f_patient", "P9"),
        ("f_tumour", "1"),
        ("f_primary_site", "pancreas"),
        ("f_differentiation", "well"),
        ("f_ki67_percent", "4"),
    ];
    let r = post(&dm, "/records/tumour/new", &form(&dm, &tumour))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    // The audit trail names the user, the time and the system reason.
    for (table, key) in [("patient", &["P9"][..]), ("tumour", &["P9", "1"][..])] {
        let h = history(&t, &dm, table, key).await;
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!(h[0]["user"], "dm_a");
        assert_eq!(h[0]["reason"], "created in new-patient flow");
        assert_eq!(h[0]["action"], "insert");
        assert!(h[0]["at"].as_str().is_some_and(|a| a.starts_with("20")));
    }
    // An edit still asks why.
    let r = post(
        &dm,
        "/records/tumour/edit",
        &form(
            &dm,
            &[
                ("key", "P9"),
                ("key", "1"),
                ("f_primary_site", "pancreas"),
                ("f_differentiation", "well"),
                ("f_ki67_percent", "5"),
                ("reason", ""),
            ],
        ),
    )
    .send(&t)
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("give the reason for this change"));
    // Another session of the same user is not the flow.
    let other = login(&t, "dm_a").await;
    let biomarker = [
        ("f_patient", "P9"),
        ("f_marker", "chromogranin_a"),
        ("f_date", "2015-02-01"),
        ("f_value", "120"),
        ("f_unit", "ug/L"),
    ];
    let r = post(&other, "/records/biomarker/new", &form(&other, &biomarker))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("give the reason for this change"));
    // Nor is a patient the session did not create.
    let mut on_a1 = biomarker.to_vec();
    on_a1[0] = ("f_patient", "a1");
    on_a1[2] = ("f_date", "2010-04-01");
    let r = post(&dm, "/records/biomarker/new", &form(&dm, &on_a1))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    // After logging out the flow is over.
    let r = post(&dm, "/logout", &form(&dm, &[])).send(&t).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let again = login(&t, "dm_a").await;
    let r = post(&again, "/records/biomarker/new", &form(&again, &biomarker))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn save_and_add_another_opens_the_next_form_with_its_context() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let html = req("GET", "/records/biomarker/new?patient=a1")
        .cookie(&dm)
        .send(&t)
        .await
        .text();
    // Keyboard: the first field to fill has the focus; both buttons have
    // access keys; Enter submits (the first button is Save).
    assert!(
        html.contains(r#"id="f_marker" name="f_marker" aria-required="true" aria-describedby="f_marker_hint" autofocus"#),
        "{html}"
    );
    assert_eq!(html.matches("autofocus").count(), 1);
    let save = html
        .find(r#"accesskey="s""#)
        .expect("Save has an access key");
    let another = html
        .find(r#"name="then" value="another" accesskey="n""#)
        .expect("Save and add another");
    assert!(save < another, "Save is the default button");
    let fields = form(
        &dm,
        &[
            ("f_patient", "a1"),
            ("f_marker", "chromogranin_a"),
            ("f_date", "2010-04-01"),
            ("f_value", "120"),
            ("f_unit", "ug/L"),
            ("reason", "lab"),
            ("then", "another"),
        ],
    );
    let r = post(&dm, "/records/biomarker/new", &fields).send(&t).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let next = r.header("location").unwrap();
    assert_eq!(
        next,
        "/records/biomarker/new?saved=Biomarker%20measurement&patient=a1"
    );
    let html = req("GET", &next).cookie(&dm).send(&t).await.text();
    assert!(html.contains("Biomarker measurement saved: add the next one."));
    assert!(html.contains(r#"id="f_patient" name="f_patient" value="a1""#));
    // The notice never shows words from the link.
    let html = req(
        "GET",
        "/records/biomarker/new?patient=a1&saved=You%20were%20hacked",
    )
    .cookie(&dm)
    .send(&t)
    .await
    .text();
    assert!(!html.contains("hacked"));
    // A lesion's next form keeps its assessment.
    let r = post(
        &dm,
        "/records/lesion/new",
        &form(
            &dm,
            &[
                ("f_patient", "a1"),
                ("f_assessment", "A2"),
                ("f_lesion", "__new__"),
                ("new_lesion", "L5"),
                ("f_organ", "liver"),
                ("f_role", "new"),
                ("reason", "scan"),
                ("then", "another"),
            ],
        ),
    )
    .send(&t)
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        r.header("location").unwrap(),
        "/records/lesion/new?saved=Lesion&patient=a1&assessment=A2"
    );
    // Plain Save goes back to the patient.
    let mut plain = fields.clone();
    plain.retain(|(k, _)| k != "then");
    plain[3].1 = "2010-05-01".into();
    let r = post(&dm, "/records/biomarker/new", &plain).send(&t).await;
    assert!(
        r.header("location")
            .unwrap()
            .starts_with("/patients/a1?saved=")
    );
}

/// A treatment with its agents in one form: one bad row saves nothing and
/// every problem of every row is listed, in the form's words.
#[tokio::test]
async fn a_treatment_and_its_agents_are_saved_together_or_not_at_all() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    new_patient(&t, &dm).await;
    let html = req("GET", "/records/treatment/new?patient=P9")
        .cookie(&dm)
        .send(&t)
        .await
        .text();
    for f in ["ag1_agent", "ag1_dose", "ag3_dose_unit"] {
        assert!(html.contains(&format!(r#"id="{f}""#)), "{f}: {html}");
    }
    assert!(html.contains(r#"aria-label="agent 1, dose""#));
    let treatment = [
        ("f_patient", "P9"),
        ("f_treatment", "T1"),
        ("f_type", "targeted"),
        ("f_start_date", "2015-03-01"),
    ];
    let mut bad = treatment.to_vec();
    bad.extend([
        ("f_end_date", "2015-01-01"),
        ("ag1_agent", "everolimus"),
        ("ag1_dose", "10"),
        ("ag1_dose_unit", "mg"),
        ("ag2_agent", "no_such_agent"),
        ("ag3_dose", "-5"),
    ]);
    let r = post(&dm, "/records/treatment/new", &form(&dm, &bad))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let html = r.text();
    // Every problem at once: the treatment's and each row's.
    assert!(
        html.contains(r##"<a href="#f_end_date">end date</a>: end date is before start date"##),
        "{html}"
    );
    assert!(
        html.contains(r##"<a href="#ag2_agent">agent 2, agent</a>: unknown code"##),
        "{html}"
    );
    assert!(
        html.contains(r##"<a href="#ag3_dose">agent 3, dose</a>: cannot be negative"##),
        "{html}"
    );
    assert!(
        html.contains(r##"<a href="#ag3_agent">agent 3, agent</a>: a value is required"##),
        "{html}"
    );
    // The summary's words are the form's, not column names.
    let start = html.find(r#"id="problems""#).unwrap();
    let summary = &html[start..start + html[start..].find("</ul>").unwrap()];
    let words: String = summary
        .split("href=\"")
        .enumerate()
        .map(|(i, s)| {
            if i == 0 {
                s
            } else {
                s.split_once('"').map_or(s, |x| x.1)
            }
        })
        .collect();
    for column in ["end_date", "start_date", "dose_unit", "ag2", "ag3"] {
        assert!(!words.contains(column), "{column} in the summary: {words}");
    }
    // What was typed comes back.
    assert!(html.contains(r#"name="ag1_dose" value="10""#), "{html}");
    // Nothing was written: neither the treatment nor the good agent.
    assert!(!exists(&t, &dm, "treatment", &["P9", "T1"]).await);
    assert!(!exists(&t, &dm, "treatment_agent", &["P9", "T1", "everolimus", ""]).await);
    // Corrected: one save writes the treatment and both agents.
    let mut good = treatment.to_vec();
    good.extend([
        ("ag1_agent", "everolimus"),
        ("ag1_dose", "10"),
        ("ag1_dose_unit", "mg"),
        ("ag2_agent", "lanreotide"),
        ("ag2_dose", "120"),
        ("ag2_dose_unit", "mg"),
    ]);
    let r = post(&dm, "/records/treatment/new", &form(&dm, &good))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(exists(&t, &dm, "treatment", &["P9", "T1"]).await);
    assert!(exists(&t, &dm, "treatment_agent", &["P9", "T1", "everolimus", ""]).await);
    assert!(exists(&t, &dm, "treatment_agent", &["P9", "T1", "lanreotide", ""]).await);
    let h = history(&t, &dm, "treatment_agent", &["P9", "T1", "lanreotide", ""]).await;
    assert_eq!(h[0]["user"], "dm_a");
    assert_eq!(h[0]["reason"], "created in new-patient flow");
}

/// An assessment's lesions as rows; at follow-up the rows are the
/// baseline lesions (chosen in a list, organ and role filled in), and a
/// new lesion is an explicit choice.
#[tokio::test]
async fn follow_up_rows_start_from_the_baseline_lesions() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    new_patient(&t, &dm).await;
    let html = req("GET", "/records/assessment/new?patient=P9")
        .cookie(&dm)
        .send(&t)
        .await
        .text();
    // Baseline: identifiers offered, typed over if wanted.
    assert!(
        html.contains(r#"id="le2_lesion" name="le2_lesion" value="L2""#),
        "{html}"
    );
    let baseline = [
        ("f_patient", "P9"),
        ("f_assessment", "A1"),
        ("f_date", "2015-02-20"),
        ("f_modality", "ct"),
        ("le1_lesion", "L1"),
        ("le1_pre", "lesion"),
        ("le1_organ", "liver"),
        ("le1_role", "target"),
        ("le1_longest_mm", "50"),
        ("le2_lesion", "L2"),
        ("le2_pre", "lesion"),
        ("le2_organ", "liver"),
        ("le2_role", "target"),
        ("le2_longest_mm", "30"),
        ("le3_lesion", "L3"),
        ("le3_pre", "lesion"),
        ("le3_organ", "pancreas"),
        ("le3_role", "target"),
        ("le3_longest_mm", "20"),
    ];
    let r = post(&dm, "/records/assessment/new", &form(&dm, &baseline))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    for l in ["L1", "L2", "L3"] {
        assert!(exists(&t, &dm, "lesion", &["P9", "A1", l]).await, "{l}");
    }
    // Follow-up: a row per baseline lesion, chosen, with organ and role.
    let html = req("GET", "/records/assessment/new?patient=P9")
        .cookie(&dm)
        .send(&t)
        .await
        .text();
    assert!(
        html.contains(r#"<select id="le3_lesion" name="le3_lesion""#),
        "{html}"
    );
    assert!(
        html.contains(r#"<option value="L3" selected>L3 — pancreas</option>"#),
        "{html}"
    );
    assert!(html.contains(r#"name="le3_pre" value="lesion,organ,role""#));
    assert!(html.contains(r#"<option value="__new__">a new lesion</option>"#));
    let follow_up = |extra: &[(&'static str, &'static str)]| {
        let mut v = vec![
            ("f_patient", "P9"),
            ("f_assessment", "A2"),
            ("f_date", "2015-06-20"),
            ("f_modality", "ct"),
        ];
        for (i, (id, organ, mm)) in [
            ("L1", "liver", "40"),
            ("L2", "liver", "20"),
            ("L3", "pancreas", "15"),
        ]
        .into_iter()
        .enumerate()
        {
            let n = ["le1", "le2", "le3"][i];
            let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
            v.push((leak(format!("{n}_lesion")), id));
            v.push((leak(format!("{n}_pre")), "lesion,organ,role"));
            v.push((leak(format!("{n}_organ")), organ));
            v.push((leak(format!("{n}_role")), "target"));
            v.push((leak(format!("{n}_longest_mm")), mm));
        }
        v.extend_from_slice(extra);
        v
    };
    // A "new" lesion that is a baseline lesion, and an identifier past the
    // list: both refused, nothing saved, every problem named by its row.
    let bad = follow_up(&[
        ("le4_lesion", "__new__"),
        ("le4_new", "L2"),
        ("le4_organ", "liver"),
        ("le4_role", "new"),
        ("le5_lesion", "l1"),
        ("le5_organ", "liver"),
        ("le5_role", "target"),
        ("le5_longest_mm", "9"),
    ]);
    let r = post(&dm, "/records/assessment/new", &form(&dm, &bad))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains(r##"<a href="#le4_lesion">lesion 4, lesion</a>: 'L2' is already a lesion of this patient"##),
        "{html}"
    );
    assert!(
        html.contains(r##"<a href="#le5_lesion">lesion 5, lesion</a>: 'l1' is not one of this patient's lesions"##),
        "{html}"
    );
    assert!(!exists(&t, &dm, "assessment", &["P9", "A2"]).await);
    // A genuinely new lesion is saved with the follow-up.
    let good = follow_up(&[
        ("le4_lesion", "__new__"),
        ("le4_new", "L4"),
        ("le4_organ", "bone"),
        ("le4_role", "new"),
    ]);
    let r = post(&dm, "/records/assessment/new", &form(&dm, &good))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    for l in ["L1", "L2", "L3", "L4"] {
        assert!(exists(&t, &dm, "lesion", &["P9", "A2", l]).await, "{l}");
    }
}

// ------------------------------------------------------------ the cost

/// A focusable element of a served page, in document order.
#[derive(Debug, Clone)]
struct Focusable {
    tag: String,
    id: String,
    name: String,
    kind: String,
    href: String,
    value: String,
    accesskey: String,
    autofocus: bool,
    /// Option (value, label) of a select.
    options: Vec<(String, String)>,
    /// The option selected when served.
    selected: String,
    /// Inside the record form.
    in_form: bool,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let pat = format!(" {name}=\"");
    let i = tag.find(&pat)? + pat.len();
    let j = tag[i..].find('"')? + i;
    Some(tag[i..j].replace("&amp;", "&").replace("&quot;", "\""))
}

fn has(tag: &str, name: &str) -> bool {
    tag.split([' ', '>', '/']).any(|w| w == name)
}

/// The page's focusable elements (links, fields, buttons) in tab order
/// (document order: the pages set no tabindex above 0).
fn focusables(html: &str) -> Vec<Focusable> {
    let form_at = html.find(r#"id="record-form""#).unwrap_or(usize::MAX);
    let form_end = html[form_at.min(html.len())..]
        .find("</form>")
        .map_or(usize::MAX, |e| e + form_at);
    let mut out: Vec<Focusable> = Vec::new();
    let mut pos = 0;
    while let Some(i) = html[pos..].find('<') {
        let start = pos + i;
        let Some(end) = html[start..].find('>') else {
            break;
        };
        let tag = &html[start..start + end + 1];
        pos = start + end + 1;
        let name: String = tag[1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let focusable = match name.as_str() {
            "a" => attr(tag, "href").is_some(),
            "input" => attr(tag, "type").as_deref() != Some("hidden"),
            "select" | "textarea" | "button" => true,
            _ => false,
        };
        if !focusable || has(tag, "disabled") {
            continue;
        }
        let mut f = Focusable {
            tag: name.clone(),
            id: attr(tag, "id").unwrap_or_default(),
            name: attr(tag, "name").unwrap_or_default(),
            kind: attr(tag, "type").unwrap_or_default(),
            href: attr(tag, "href").unwrap_or_default(),
            value: attr(tag, "value").unwrap_or_default(),
            accesskey: attr(tag, "accesskey").unwrap_or_default(),
            autofocus: has(tag, "autofocus"),
            options: Vec::new(),
            selected: String::new(),
            in_form: start > form_at && start < form_end,
        };
        if name == "select" {
            let close = html[pos..]
                .find("</select>")
                .map_or(html.len(), |c| c + pos);
            let mut o = pos;
            while let Some(k) = html[o..close].find("<option") {
                let s = o + k;
                let gt = html[s..].find('>').unwrap() + s;
                let lt = html[gt..].find("</option>").unwrap() + gt;
                let otag = &html[s..=gt];
                let v = attr(otag, "value").unwrap_or_default();
                if has(otag, "selected") {
                    f.selected = v.clone();
                }
                f.options.push((v, html[gt + 1..lt].replace("&amp;", "&")));
                o = lt;
            }
            if f.selected.is_empty() {
                f.selected = f.options.first().map(|o| o.0.clone()).unwrap_or_default();
            }
        }
        out.push(f);
    }
    out
}

/// Keystrokes of one form, by one model written down in docs/web.md: the
/// focus starts on the `autofocus` field (else at the top of the page);
/// each field is reached with Tab (Shift+Tab backwards), one key per
/// element passed; a text is typed character by character (nothing if it
/// is there already; Ctrl+A first to replace another); a list is chosen by
/// typing the start of its label until the wanted option is the first to
/// match (nothing if it is chosen already); submitting is one key (Enter
/// in a text field, or an access key), else Tab to the button and Enter.
/// `legacy` is the page before issue 15: no autofocus, no access keys, and
/// the rows of agents and lesions are not there to tab through.
struct Keys {
    page: Vec<Focusable>,
    at: Option<usize>,
    count: usize,
    legacy: bool,
}

impl Keys {
    fn on(html: &str, legacy: bool) -> Keys {
        let page: Vec<Focusable> = focusables(html)
            .into_iter()
            .filter(|f| !legacy || !is_row_field(&f.id))
            .collect();
        let at = if legacy {
            None
        } else {
            page.iter().position(|f| f.autofocus)
        };
        Keys {
            page,
            at,
            count: 0,
            legacy,
        }
    }

    fn go(&mut self, i: usize) {
        self.count += match self.at {
            Some(a) => a.abs_diff(i),
            None => i + 1,
        };
        self.at = Some(i);
    }

    fn index(&self, id: &str) -> usize {
        self.page
            .iter()
            .position(|f| f.id == id)
            .unwrap_or_else(|| panic!("no field #{id} on the page"))
    }

    /// Fills field `id` with `value`.
    fn fill(&mut self, id: &str, value: &str) -> &mut Keys {
        let i = self.index(id);
        let f = self.page[i].clone();
        let cost = if f.tag == "select" {
            if f.selected == value {
                0
            } else {
                let label = f
                    .options
                    .iter()
                    .find(|o| o.0 == value)
                    .unwrap_or_else(|| panic!("#{id} has no option {value}"))
                    .1
                    .to_lowercase();
                (1..=label.chars().count())
                    .find(|&k| {
                        let p: String = label.chars().take(k).collect();
                        f.options
                            .iter()
                            .find(|o| o.1.to_lowercase().starts_with(&p))
                            .is_some_and(|o| o.0 == value)
                    })
                    .unwrap_or(label.chars().count())
            }
        } else if f.value == value {
            0
        } else if f.value.is_empty() {
            value.chars().count()
        } else {
            1 + value.chars().count()
        };
        if cost > 0 {
            self.go(i);
            self.count += cost;
        }
        self
    }

    /// Submits with the button of access key `key` (`s`: Save, `n`: save
    /// and add another).
    fn submit(&mut self, key: &str) -> usize {
        let i = self
            .page
            .iter()
            .position(|f| {
                f.in_form && f.tag == "button" && (f.accesskey == key || self.legacy && key == "s")
            })
            .expect("the button");
        let in_text = self
            .at
            .is_some_and(|a| self.page[a].tag == "input" && self.page[a].kind == "text");
        let first_button = self
            .page
            .iter()
            .position(|f| f.in_form && f.tag == "button")
            == Some(i);
        if !self.legacy && !self.page[i].accesskey.is_empty() || in_text && first_button {
            self.count += 1;
        } else {
            self.go(i);
            self.count += 1;
        }
        self.count
    }

    /// Follows the link whose address starts with `href`.
    fn follow(&mut self, href: &str) -> usize {
        let i = self
            .page
            .iter()
            .position(|f| f.tag == "a" && f.href.starts_with(href))
            .unwrap_or_else(|| panic!("no link to {href}"));
        if !self.legacy && !self.page[i].accesskey.is_empty() {
            self.count += 1;
        } else {
            self.go(i);
            self.count += 1;
        }
        self.count
    }
}

fn is_row_field(id: &str) -> bool {
    ["ag", "le"].iter().any(|p| {
        id.strip_prefix(p)
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    })
}

/// Page loads and keystrokes of a path through the application.
#[derive(Debug, Default)]
struct Cost {
    requests: usize,
    keys: usize,
    /// What each step cost (`--nocapture` prints them).
    steps: Vec<String>,
}

struct Walk<'a> {
    t: &'a TestApp,
    l: Login,
    cost: Cost,
    legacy: bool,
}

impl Walk<'_> {
    /// A GET the browser makes (a link followed, a redirect).
    async fn get(&mut self, path: &str) -> String {
        self.cost.requests += 1;
        let r = req("GET", path).cookie(&self.l).send(self.t).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        r.text()
    }

    /// Follows a link of `page`, then loads it.
    async fn follow(&mut self, page: &str, href: &str) -> String {
        let mut k = Keys::on(page, self.legacy);
        let n = k.follow(href);
        self.cost.keys += n;
        self.cost
            .steps
            .push(format!("link {href}: {n} key(s), 1 load"));
        self.get(href).await
    }

    /// Fills the form of `page` (fields in order, `f_` ids), submits it
    /// with `key` and follows the redirect; returns the page reached.
    async fn submit(
        &mut self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
        key: &str,
    ) -> String {
        let mut k = Keys::on(page, self.legacy);
        let mut body = vec![("_csrf".to_string(), self.l.csrf.clone())];
        // Hidden fields go with the form as served.
        let mut pos = 0;
        while let Some(i) = page[pos..].find(r#"<input type="hidden""#) {
            let s = pos + i;
            let e = page[s..].find('>').unwrap() + s;
            let tag = &page[s..=e];
            pos = e;
            let in_form = page[..s]
                .rfind("<form")
                .is_some_and(|f| page[f..s].contains(r#"id="record-form""#));
            if let (true, Some(n), Some(v)) = (in_form, attr(tag, "name"), attr(tag, "value"))
                && n != "_csrf"
            {
                body.push((n, v));
            }
        }
        // Fields as served (prefilled values, chosen options).
        let served = focusables(page);
        for f in served
            .iter()
            .filter(|f| f.in_form && !f.name.is_empty() && f.tag != "button")
        {
            if !fields.iter().any(|(id, _)| *id == f.id) {
                let v = if f.tag == "select" {
                    f.selected.clone()
                } else {
                    f.value.clone()
                };
                body.push((f.name.clone(), v));
            }
        }
        for (id, v) in fields {
            k.fill(id, v);
            let name = served
                .iter()
                .find(|f| f.id == *id)
                .map(|f| f.name.clone())
                .unwrap();
            body.push((name, v.to_string()));
        }
        if key == "n" {
            body.push(("then".into(), "another".into()));
        }
        let n = k.submit(key);
        self.cost.keys += n;
        self.cost.steps.push(format!(
            "form {action}: {n} key(s), 2 loads (save, redirect)"
        ));
        self.cost.requests += 1;
        let f: Vec<(&str, &str)> = body.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let r = req("POST", action)
            .cookie(&self.l)
            .form(&f)
            .send(self.t)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{action}: {}", r.text());
        let to = r.header("location").unwrap();
        let to = to.split('#').next().unwrap().to_string();
        self.get(&to).await
    }
}

/// The patient of the measurement: diagnosis, a tumour, one treatment with
/// one agent, two CT scans of three target lesions each.
const PATIENT_FIELDS: &[(&str, &str)] = &[
    ("f_patient", "P1"),
    ("f_site", "a"),
    ("f_sex", "female"),
    ("f_birth_date", "1958-11-03"),
    ("f_diagnosis_date", "2016-02-15"),
    ("f_last_followup_date", "2019-01-10"),
    ("f_vital_status", "alive"),
];
const TUMOUR_FIELDS: &[(&str, &str)] = &[
    ("f_tumour", "1"),
    ("f_primary_site", "pancreas"),
    ("f_differentiation", "well"),
    ("f_ki67_percent", "8"),
];
const TREATMENT_FIELDS: &[(&str, &str)] = &[
    ("f_treatment", "T1"),
    ("f_type", "targeted"),
    ("f_start_date", "2016-04-01"),
];
const AGENT_FIELDS: &[(&str, &str)] = &[
    ("f_agent", "everolimus"),
    ("f_dose", "10"),
    ("f_dose_unit", "mg"),
];
const SCANS: [(&str, &str, [&str; 3]); 2] = [
    ("A1", "2016-03-20", ["52", "31", "24"]),
    ("A2", "2016-07-02", ["30", "20", "15"]),
];
const LESION_ORGANS: [&str; 3] = ["liver", "liver", "lymph_node"];
const REASON: &str = "chart review";

/// The measurement of docs/web.md: one patient entered through the old
/// path (twelve single-record forms, each with a typed reason) and the new
/// one (the flow, rows, baseline lesions, keyboard), counting every
/// request the browser makes and every key by the model of [`Keys`].
#[tokio::test]
async fn one_patient_by_hand_costs_fewer_page_loads_and_keystrokes() {
    let t = test_app().await;
    let before = enter_before(&t).await;
    let after = enter_after(&t).await;
    for (name, c) in [("before", &before), ("after", &after)] {
        println!("{name}:");
        for s in &c.steps {
            println!("  {s}");
        }
    }
    println!(
        "before: {} page loads, {} keystrokes; after: {} page loads, {} keystrokes",
        before.requests, before.keys, after.requests, after.keys
    );
    // The numbers of docs/web.md ("Entering a patient by hand"): change
    // both together.
    assert_eq!(before.requests, 37);
    assert_eq!(after.requests, 15);
    assert_eq!((before.keys, after.keys), (BEFORE_KEYS, AFTER_KEYS));
    // Both paths recorded the same patient.
    let admin = login(&t, "admin").await;
    for p in ["P1", "Q1"] {
        let page = req("GET", &format!("/api/patients/{p}"))
            .cookie(&admin)
            .send(&t)
            .await;
        assert_eq!(page.status, StatusCode::OK);
    }
    for (table, n) in [("treatment_agent", 1), ("assessment", 2), ("lesion", 6)] {
        for p in ["P1", "Q1"] {
            let j = req("GET", &format!("/api/patients/{p}"))
                .cookie(&admin)
                .send(&t)
                .await
                .json();
            let rows = j["records"][table].as_array().map_or(0, Vec::len);
            assert_eq!(rows, n, "{p} {table}: {j}");
        }
    }
}

const BEFORE_KEYS: usize = 863;
const AFTER_KEYS: usize = 264;

/// The path before issue 15: every record on its own form with a reason.
async fn enter_before(t: &TestApp) -> Cost {
    let l = login(t, "dm_a").await;
    let mut w = Walk {
        t,
        l,
        cost: Cost::default(),
        legacy: true,
    };
    let list = w.get("/patients").await;
    let form = w.follow(&list, "/records/patient/new").await;
    // Before, the patient form asked for a reason too: typed into a field
    // this page no longer has (one Tab to it, then the text).
    w.cost.keys += 1 + REASON.len();
    let mut fields: Vec<(&str, &str)> = PATIENT_FIELDS.to_vec();
    fields[0].1 = "Q1";
    let mut page = w.submit(&form, "/records/patient/new", &fields, "s").await;
    // The rest as before: a session that did not create the patient gets
    // the forms of that time, each asking why.
    w.l = login(t, "dm_a").await;
    let with_reason = |f: &[(&'static str, &'static str)]| {
        let mut v = f.to_vec();
        v.push(("reason", REASON));
        v
    };
    let add = |e: &str| format!("/records/{e}/new?patient=Q1");
    for (entity, f) in [("tumour", TUMOUR_FIELDS), ("treatment", TREATMENT_FIELDS)] {
        let form = w.follow(&page, &add(entity)).await;
        page = w
            .submit(
                &form,
                &format!("/records/{entity}/new"),
                &with_reason(f),
                "s",
            )
            .await;
    }
    let form = w
        .follow(
            &page,
            "/records/treatment_agent/new?patient=Q1&treatment=T1",
        )
        .await;
    page = w
        .submit(
            &form,
            "/records/treatment_agent/new",
            &with_reason(AGENT_FIELDS),
            "s",
        )
        .await;
    for (id, date, _) in SCANS {
        let form = w.follow(&page, &add("assessment")).await;
        let f = [("f_assessment", id), ("f_date", date), ("f_modality", "ct")];
        page = w
            .submit(&form, "/records/assessment/new", &with_reason(&f), "s")
            .await;
    }
    for (n, (id, _, mm)) in SCANS.into_iter().enumerate() {
        for (k, organ) in LESION_ORGANS.into_iter().enumerate() {
            let form = w
                .follow(
                    &page,
                    &format!("/records/lesion/new?patient=Q1&assessment={id}"),
                )
                .await;
            let lesion = ["L1", "L2", "L3"][k];
            let mut f = vec![("f_lesion", lesion)];
            if n == 0 {
                f.extend([("f_organ", organ), ("f_role", "target")]);
            } else {
                // At follow-up the lesion was chosen in a list (issue 13),
                // organ and role typed again.
                f.extend([("f_organ", organ), ("f_role", "target")]);
            }
            f.push(("f_longest_mm", mm[k]));
            page = w
                .submit(&form, "/records/lesion/new", &with_reason(&f), "s")
                .await;
        }
    }
    w.cost
}

/// The path now: the new-patient flow without reasons, agents and lesions
/// as rows, the follow-up's rows already the baseline lesions, "save and
/// add another" from the first scan to the second.
async fn enter_after(t: &TestApp) -> Cost {
    let l = login(t, "dm_a").await;
    let mut w = Walk {
        t,
        l,
        cost: Cost::default(),
        legacy: false,
    };
    let list = w.get("/patients").await;
    let form = w.follow(&list, "/records/patient/new").await;
    let mut page = w
        .submit(&form, "/records/patient/new", PATIENT_FIELDS, "s")
        .await;
    let form = w.follow(&page, "/records/tumour/new?patient=P1").await;
    page = w
        .submit(&form, "/records/tumour/new", TUMOUR_FIELDS, "s")
        .await;
    let form = w.follow(&page, "/records/treatment/new?patient=P1").await;
    let mut f = TREATMENT_FIELDS.to_vec();
    f.extend([
        ("ag1_agent", "everolimus"),
        ("ag1_dose", "10"),
        ("ag1_dose_unit", "mg"),
    ]);
    page = w.submit(&form, "/records/treatment/new", &f, "s").await;
    let mut form = w.follow(&page, "/records/assessment/new?patient=P1").await;
    for (n, (id, date, mm)) in SCANS.into_iter().enumerate() {
        let mut f = vec![("f_assessment", id), ("f_date", date), ("f_modality", "ct")];
        for k in 0..3 {
            let p = ["le1", "le2", "le3"][k];
            let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
            if n == 0 {
                // Baseline: the identifiers L1–L3 are offered.
                f.push((leak(format!("{p}_organ")), LESION_ORGANS[k]));
                f.push((leak(format!("{p}_role")), "target"));
            }
            f.push((leak(format!("{p}_longest_mm")), mm[k]));
        }
        let key = if n == 0 { "n" } else { "s" };
        form = w.submit(&form, "/records/assessment/new", &f, key).await;
    }
    w.cost
}
