//! The analysis layer's Cox regression against `netra_stats::cox::coxph`
//! fitted on a design built by hand from the same cohort (coefficients,
//! standard errors, log-likelihoods and tests to 1e-9), on simulated
//! registry courses; references, single-level terms and unknown names.

use std::collections::BTreeMap;

use netra_analysis::analyses::cox::{self, CoxOutput, CoxRequest};
use netra_analysis::analyses::run_json;
use netra_analysis::variables::Column;
use netra_analysis::{Cohort, CohortSpec, EndpointRequest, Settings};
use netra_clinical::registry::model::PatientCourse;
use netra_sim::{Model, SimConfig};
use netra_stats::cox::{CoxData, CoxFit, CoxOptions, coxph};

fn courses(n: u64) -> Vec<PatientCourse> {
    let model = Model::published();
    let cfg = SimConfig {
        patients: n,
        seed: 7,
        ..SimConfig::default()
    };
    (0..n)
        .map(|i| netra_sim::generate(model, &cfg, i))
        .collect()
}

fn cohort_of(courses: Vec<PatientCourse>) -> Cohort {
    Cohort::new(courses, &CohortSpec::default(), Settings::default()).unwrap()
}

fn request(terms: &[&str]) -> CoxRequest {
    CoxRequest {
        terms: terms.iter().map(|t| t.to_string()).collect(),
        ..CoxRequest::default()
    }
}

fn close(what: &str, a: f64, b: f64, tol: f64) {
    let scale = a.abs().max(b.abs()).max(1.0);
    assert!(
        (a - b).abs() <= tol * scale,
        "{what}: {a} vs {b} (difference {})",
        (a - b).abs()
    );
}

/// `coxph` on a design built here: rows with OS and every term, one
/// indicator per non-reference level present (cohort order), numbers as
/// they are.
fn by_hand(cohort: &Cohort, terms: &[&str], reference: &BTreeMap<&str, usize>) -> CoxFit {
    let spec = EndpointRequest::default().spec().unwrap();
    let e = cohort.endpoint(&spec, None).unwrap();
    let vars: Vec<&Column> = terms
        .iter()
        .map(|t| &cohort.variable(t).unwrap().column)
        .collect();
    let rows: Vec<usize> = (0..cohort.len())
        .filter(|&i| {
            e.time[i].is_some()
                && vars.iter().all(|c| match c {
                    Column::Num(v) => v[i].is_some_and(f64::is_finite),
                    Column::Cat { codes, .. } => codes[i].is_some(),
                })
        })
        .collect();
    let mut names = Vec::new();
    let mut x = Vec::new();
    for (t, c) in terms.iter().zip(&vars) {
        match c {
            Column::Num(v) => {
                names.push(t.to_string());
                x.extend(rows.iter().map(|&i| v[i].unwrap()));
            }
            Column::Cat { levels, codes } => {
                let r = reference.get(t).copied().unwrap_or(0);
                for (k, l) in levels.iter().enumerate() {
                    if k == r || !rows.iter().any(|&i| codes[i] == Some(k)) {
                        continue;
                    }
                    names.push(format!("{t}={}", l.label));
                    x.extend(
                        rows.iter()
                            .map(|&i| f64::from(u8::from(codes[i] == Some(k)))),
                    );
                }
            }
        }
    }
    let time: Vec<f64> = rows.iter().map(|&i| e.time[i].unwrap()).collect();
    let event: Vec<bool> = rows.iter().map(|&i| e.event[i]).collect();
    let data = CoxData {
        time: &time,
        event: &event,
        start: None,
        x: &x,
        names: &names,
        weights: None,
        strata: None,
        cluster: None,
    };
    coxph(&data, &CoxOptions::default()).unwrap()
}

fn same_fit(ours: &CoxOutput, r: &CoxFit, tol: f64) {
    assert_eq!(ours.n, r.n);
    assert_eq!(ours.events, r.events);
    assert_eq!(ours.coefficients.len(), r.coefficients.len());
    for (o, c) in ours.coefficients.iter().zip(&r.coefficients) {
        let name = match &o.level {
            Some(l) => format!("{}={l}", o.term),
            None => o.term.clone(),
        };
        assert_eq!(name, c.name);
        for (what, a, b) in [
            ("coef", o.coef, c.coef),
            ("se", o.se, c.se),
            ("hr", o.hr, c.hr),
            ("lower", o.lower, c.hr_lower),
            ("upper", o.upper, c.hr_upper),
            ("p", o.p, c.p),
        ] {
            close(&format!("{name} {what}"), a.unwrap(), b.unwrap(), tol);
        }
        assert!(o.estimable, "{name}");
    }
    let ll = ours.loglik.unwrap();
    close("loglik null", ll.null, r.loglik_null, tol);
    close("loglik", ll.fitted, r.loglik, tol);
    for (what, a, b) in [
        ("lr", ours.lr_test.as_ref(), r.lr_test),
        ("wald", ours.wald_test.as_ref(), r.wald_test),
        ("score", ours.score_test.as_ref(), r.score_test),
    ] {
        let a = a.unwrap();
        close(&format!("{what} chisq"), a.chisq, b.chisq, tol);
        close(&format!("{what} p"), a.p, b.p, tol);
        assert_eq!(a.df, b.df, "{what} df");
    }
    assert_eq!(ours.iterations, Some(r.iterations));
}

#[test]
fn layer_cox_equals_coxph_on_a_hand_built_design() {
    let cohort = cohort_of(courses(600));
    let terms = ["age_at_diagnosis", "sex", "grade_group", "ki67"];
    let out = cox::run(&cohort, &request(&terms)).unwrap();
    // Some patients lack Ki-67: they are left out, and counted.
    assert!(out.dropped > 0 && out.n + out.dropped == cohort.len());
    assert!(out.coefficients.len() >= 4, "{:?}", out.coefficients);
    same_fit(&out, &by_hand(&cohort, &terms, &BTreeMap::new()), 1e-9);
    // Categorical terms report their reference and their levels in the
    // cohort's order.
    let sex = out.terms.iter().find(|t| t.term == "sex").unwrap();
    let Column::Cat { levels, .. } = &cohort.variable("sex").unwrap().column else {
        panic!("sex is categorical")
    };
    assert_eq!(sex.reference.as_deref(), Some(levels[0].label.as_str()));
    // Breslow ties are passed through.
    let breslow = CoxRequest {
        ties: "breslow".into(),
        ..request(&terms)
    };
    let b = cox::run(&cohort, &breslow).unwrap();
    assert_ne!(b.coefficients[0].coef, out.coefficients[0].coef);

    // The same fit from the rows cut into parts.
    let parts = cox::run_in_parts(&cohort, &request(&terms), 3).unwrap();
    for (a, b) in parts.coefficients.iter().zip(&out.coefficients) {
        close("coef in parts", a.coef.unwrap(), b.coef.unwrap(), 1e-11);
        close("se in parts", a.se.unwrap(), b.se.unwrap(), 1e-11);
    }

    // The output is a JSON contract: it reads back as written.
    let text = serde_json::to_string(&out).unwrap();
    assert!(text.contains("\"loglik\":{\"null\":"), "{text}");
    // (serde_json parses floats to within an ulp, not always exactly.)
    let back: CoxOutput = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (back.n, back.events, back.dropped),
        (out.n, out.events, out.dropped)
    );
    assert_eq!(back.terms, out.terms);
    for (a, b) in back.coefficients.iter().zip(&out.coefficients) {
        assert_eq!(
            (&a.term, &a.level, a.estimable),
            (&b.term, &b.level, b.estimable)
        );
        close("coef read back", a.coef.unwrap(), b.coef.unwrap(), 1e-15);
    }

    // Through the registry, as JSON.
    let json = run_json(
        &cohort,
        "cox",
        serde_json::json!({"terms": ["age_at_diagnosis"], "endpoint": {"endpoint": "os"}}),
    )
    .unwrap();
    assert_eq!(json["coefficients"][0]["term"], "age_at_diagnosis");
    assert!(json["coefficients"][0]["level"].is_null());
    assert!(json["loglik"]["final"].as_f64().unwrap() < 0.0);
}

#[test]
fn a_reference_level_changes_signs_as_expected() {
    let cohort = cohort_of(courses(600));
    let Column::Cat { levels, .. } = &cohort.variable("grade_group").unwrap().column else {
        panic!("grade_group is categorical")
    };
    assert!(levels.len() >= 3, "need three grade groups");
    let first = cox::run(&cohort, &request(&["grade_group"])).unwrap();
    let second = CoxRequest {
        reference: BTreeMap::from([("grade_group".to_string(), levels[1].code.clone())]),
        ..request(&["grade_group"])
    };
    let second = cox::run(&cohort, &second).unwrap();
    same_fit(
        &second,
        &by_hand(
            &cohort,
            &["grade_group"],
            &BTreeMap::from([("grade_group", 1)]),
        ),
        1e-9,
    );
    let coef = |o: &CoxOutput, label: &str| {
        o.coefficients
            .iter()
            .find(|c| c.level.as_deref() == Some(label))
            .and_then(|c| c.coef)
            .unwrap()
    };
    let b = &levels[1].label;
    // The old reference's coefficient is minus the new reference's old one;
    // every other level moves by it.
    close(
        "reference swapped",
        coef(&second, &levels[0].label),
        -coef(&first, b),
        1e-7,
    );
    for l in &levels[2..] {
        close(
            &format!("level {}", l.label),
            coef(&second, &l.label),
            coef(&first, &l.label) - coef(&first, b),
            1e-7,
        );
    }
    assert_eq!(second.terms[0].reference.as_deref(), Some(b.as_str()));
    assert_eq!(second.terms[0].levels[0], *b);
    // The likelihood does not depend on the reference.
    close(
        "loglik",
        second.loglik.unwrap().fitted,
        first.loglik.unwrap().fitted,
        1e-9,
    );
    // A reference that is not a level is refused, naming the levels.
    let bad = CoxRequest {
        reference: BTreeMap::from([("grade_group".to_string(), "G9".to_string())]),
        ..request(&["grade_group"])
    };
    let e = cox::run(&cohort, &bad).unwrap_err().to_string();
    assert!(e.contains("'G9' is not a level"), "{e}");
    // A reference for a number, or for a variable not in the model, too.
    let bad = CoxRequest {
        reference: BTreeMap::from([("ki67".to_string(), "1".to_string())]),
        ..request(&["ki67"])
    };
    assert!(cox::run(&cohort, &bad).is_err());
    let bad = CoxRequest {
        reference: BTreeMap::from([("sex".to_string(), "male".to_string())]),
        ..request(&["ki67"])
    };
    let e = cox::run(&cohort, &bad).unwrap_err().to_string();
    assert!(e.contains("not a term of the model"), "{e}");
}

#[test]
fn a_term_with_one_level_is_reported_not_estimable() {
    let all = courses(400);
    let first_sex = all[0].patient.sex;
    let one_sex: Vec<PatientCourse> = all
        .into_iter()
        .filter(|c| c.patient.sex == first_sex)
        .collect();
    let cohort = cohort_of(one_sex);
    // Alone: not fitted, with the counts and the reason.
    let out = cox::run(&cohort, &request(&["sex"])).unwrap();
    assert!(out.n > 0 && out.events > 0);
    assert!(out.coefficients.is_empty());
    assert!(out.loglik.is_none() && out.lr_test.is_none());
    assert!(out.terms[0].note.as_deref().unwrap().contains("one level"));
    assert!(
        out.warnings.iter().any(|w| w.contains("not fitted")),
        "{:?}",
        out.warnings
    );
    // With a number: the number is fitted, the single-level term noted.
    let out = cox::run(&cohort, &request(&["sex", "age_at_diagnosis"])).unwrap();
    assert_eq!(out.coefficients.len(), 1);
    assert_eq!(out.coefficients[0].term, "age_at_diagnosis");
    assert!(out.terms[0].note.is_some());
    same_fit(
        &out,
        &by_hand(&cohort, &["age_at_diagnosis"], &BTreeMap::new()),
        1e-9,
    );
}

#[test]
fn unknown_variables_are_errors_naming_them() {
    let cohort = cohort_of(courses(50));
    let e = cox::run(&cohort, &request(&["age_at_diagnosis", "agee"]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("'agee'"), "{e}");
    let e = cox::run(&cohort, &request(&["agee", "sexx", "sex"]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("'agee'") && e.contains("'sexx'"), "{e}");
    assert!(cox::run(&cohort, &request(&[])).is_err());
    let bad_ties = CoxRequest {
        ties: "exact".into(),
        ..request(&["sex"])
    };
    assert!(
        cox::run(&cohort, &bad_ties)
            .unwrap_err()
            .to_string()
            .contains("ties")
    );
}
