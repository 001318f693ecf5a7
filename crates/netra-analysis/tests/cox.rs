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
    let (time, event, x, names, _) = design_by_hand(cohort, terms, reference);
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

/// The design `by_hand` fits: times, events, column-major covariates,
/// column names and each term's columns.
#[allow(clippy::type_complexity)]
fn design_by_hand(
    cohort: &Cohort,
    terms: &[&str],
    reference: &BTreeMap<&str, usize>,
) -> (Vec<f64>, Vec<bool>, Vec<f64>, Vec<String>, Vec<Vec<usize>>) {
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
    let mut groups = Vec::new();
    for (t, c) in terms.iter().zip(&vars) {
        let first = names.len();
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
        groups.push((first..names.len()).collect());
    }
    let time: Vec<f64> = rows.iter().map(|&i| e.time[i].unwrap()).collect();
    let event: Vec<bool> = rows.iter().map(|&i| e.event[i]).collect();
    (time, event, x, names, groups)
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

#[test]
fn term_tests_equal_drop1_and_wald_on_the_hand_built_design() {
    use netra_stats::cox::terms::term_tests;
    let cohort = cohort_of(courses(600));
    let terms = [
        "age_at_diagnosis",
        "sex",
        "grade_group",
        "metastatic_setting",
    ];
    let req = CoxRequest {
        term_tests: true,
        ..request(&terms)
    };
    let out = cox::run(&cohort, &req).unwrap();
    // Off by default (the federated fit has no refits): nothing in the JSON.
    let plain = cox::run(&cohort, &request(&terms)).unwrap();
    assert!(plain.term_tests.is_empty());
    assert!(
        !serde_json::to_string(&plain)
            .unwrap()
            .contains("term_tests")
    );

    let (time, event, x, names, groups) = design_by_hand(&cohort, &terms, &BTreeMap::new());
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
    let opts = CoxOptions::default();
    let fit = coxph(&data, &opts).unwrap();
    let want = term_tests(&data, &opts, &fit, &groups).unwrap();
    assert_eq!(out.term_tests.len(), terms.len());
    let mut factors = 0;
    for ((t, w), (name, g)) in out
        .term_tests
        .iter()
        .zip(&want)
        .zip(terms.iter().zip(&groups))
    {
        assert_eq!(&t.term, name);
        assert_eq!(t.df, g.len(), "{name}");
        factors += usize::from(t.df >= 2);
        let (lr, wl) = (t.lr.as_ref().unwrap(), w.lr.unwrap());
        close(&format!("{name} LR"), lr.chisq, wl.chisq, 1e-7);
        close(&format!("{name} LR p"), lr.p, wl.p, 1e-7);
        let (wa, ww) = (t.wald.as_ref().unwrap(), w.wald.unwrap());
        close(&format!("{name} Wald"), wa.chisq, ww.chisq, 1e-9);
        assert_eq!((lr.df, wa.df), (t.df, t.df));
    }
    assert!(
        factors >= 2,
        "factors with several levels are tested as a whole"
    );
    // A number's Wald test is its coefficient's z².
    let age = &out.coefficients[0];
    let z = age.coef.unwrap() / age.se.unwrap();
    close(
        "age Wald = z^2",
        out.term_tests[0].wald.as_ref().unwrap().chisq,
        z * z,
        1e-9,
    );
    // A one-term model: the term's LR test is the model's.
    let one = cox::run(
        &cohort,
        &CoxRequest {
            term_tests: true,
            ..request(&["grade_group"])
        },
    )
    .unwrap();
    close(
        "one term LR",
        one.term_tests[0].lr.as_ref().unwrap().chisq,
        one.lr_test.as_ref().unwrap().chisq,
        1e-12,
    );
}

#[test]
fn subgroups_equal_the_kernel_on_the_cohorts_columns() {
    use netra_analysis::analyses::subgroups::{self, SubgroupRequest};
    use netra_stats::cox::subgroup::subgroup;
    let cohort = cohort_of(courses(800));
    let req = SubgroupRequest {
        arm: "sex".into(),
        reference: Some("female".into()),
        versus: Some("male".into()),
        subgroups: vec!["metastatic_setting".into(), "grade_group".into()],
        ..SubgroupRequest::default()
    };
    let out = subgroups::run(&cohort, &req).unwrap();
    assert_eq!(
        (out.reference.as_str(), out.versus.as_str()),
        ("Female", "Male")
    );
    let spec = EndpointRequest::default().spec().unwrap();
    let e = cohort.endpoint(&spec, None).unwrap();
    let Column::Cat { levels, codes } = &cohort.variable("sex").unwrap().column else {
        panic!("sex is categorical")
    };
    let (f, m) = (
        levels.iter().position(|l| l.matches("female")).unwrap(),
        levels.iter().position(|l| l.matches("male")).unwrap(),
    );
    let rows: Vec<usize> = (0..cohort.len())
        .filter(|&i| e.time[i].is_some() && (codes[i] == Some(f) || codes[i] == Some(m)))
        .collect();
    let time: Vec<f64> = rows.iter().map(|&i| e.time[i].unwrap()).collect();
    let event: Vec<bool> = rows.iter().map(|&i| e.event[i]).collect();
    let arm: Vec<bool> = rows.iter().map(|&i| codes[i] == Some(m)).collect();
    assert_eq!(out.overall.n, rows.len());
    for v in &out.subgroups {
        let Column::Cat { levels, codes: g } = &cohort.variable(&v.variable).unwrap().column else {
            panic!("categorical")
        };
        let level: Vec<Option<usize>> = rows.iter().map(|&i| g[i]).collect();
        let k = subgroup(
            &time,
            &event,
            &arm,
            &level,
            levels.len(),
            &CoxOptions::default(),
        )
        .unwrap();
        assert_eq!(v.levels.len(), levels.len());
        for (o, w) in v.levels.iter().zip(&k.levels) {
            assert_eq!((o.n, o.events, o.n_versus), (w.n, w.events, w.n_arm));
            match &w.coefficient {
                Some(c) if o.hr.is_some() => {
                    close("hr", o.hr.unwrap(), c.hr.unwrap(), 1e-12);
                    close("lower", o.lower.unwrap(), c.hr_lower.unwrap(), 1e-12);
                }
                _ => assert!(o.note.is_some(), "a level without an estimate says why"),
            }
        }
        let (i, w) = (v.interaction.as_ref().unwrap(), k.interaction.unwrap());
        close(
            "interaction LR",
            i.lr.as_ref().unwrap().p,
            w.lr.unwrap().p,
            1e-12,
        );
        close(
            "interaction Wald",
            i.wald.as_ref().unwrap().p,
            w.wald.unwrap().p,
            1e-12,
        );
        assert_eq!(v.unknown, level.iter().filter(|l| l.is_none()).count());
    }
    close(
        "overall",
        out.overall.hr.unwrap(),
        subgroup(
            &time,
            &event,
            &arm,
            &vec![None; time.len()],
            0,
            &CoxOptions::default(),
        )
        .unwrap()
        .overall
        .coefficient
        .unwrap()
        .hr
        .unwrap(),
        1e-12,
    );
    // Refusals name what to do.
    let numeric = SubgroupRequest {
        subgroups: vec!["age_at_diagnosis".into()],
        ..req.clone()
    };
    let e = subgroups::run(&cohort, &numeric).unwrap_err().to_string();
    assert!(e.contains("derived variable"), "{e}");
    let no_versus = SubgroupRequest {
        versus: None,
        ..req.clone()
    };
    // female vs the only other sex with patients (male), or a request to name it.
    match subgroups::run(&cohort, &no_versus) {
        Ok(o) => assert_eq!(o.versus, "Male"),
        Err(e) => assert!(e.to_string().contains("name the one compared"), "{e}"),
    }
}
