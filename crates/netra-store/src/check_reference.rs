//! The checks as they were before they ran in shards of patients
//! (2026-12-07, main at 7b13050), kept verbatim for the tests only: the
//! sharded checks of [`crate::check`] must find the same problems, in the
//! same order, and learn the same [`crate::check::Checked`].

use std::collections::HashMap;

use netra_clinical::registry::ctcae::{self, Ctcae};
use netra_clinical::registry::rules;
use netra_clinical::registry::schema::{Entity, Value};
use netra_clinical::registry::{Day, PartialDate};

use crate::bundle::Bundle;
use crate::check::{PatientLife, SEP, Stored, describe_record, key_of, unknown_term_advice};
use crate::error::Problems;

/// What the old checks learnt about the bundle (`Checked` with one map
/// per entity).
#[derive(Debug, Default)]
pub(crate) struct RefChecked {
    /// Per entity: key → first row with it.
    pub keys: Vec<HashMap<String, u32>>,
    /// Patients of the bundle: code → (life, row).
    pub life: HashMap<String, (PatientLife, u32)>,
    /// Problems that do not stop the import (adverse-event terms CTCAE
    /// v5.0 does not list): reported with the import.
    pub flags: Vec<crate::error::Problem>,
}

/// The old `check_parts`, on one thread, with `today` given: (what was
/// learnt, the rows' problems, the re-dated assessments' problems).
pub(crate) fn reference_check_parts(
    bundle: &Bundle,
    stored: &Stored,
    today: Day,
) -> (RefChecked, Problems, Problems) {
    let mut problems = Problems::default();
    let mut checked = RefChecked {
        keys: vec![HashMap::new(); Entity::ALL.len()],
        life: HashMap::new(),
        flags: Vec::new(),
    };
    // Assessments of the bundle: `patient SEP assessment` → date.
    let mut assessment_date: HashMap<String, PartialDate> = HashMap::new();
    // Lesions of the bundle: `patient SEP lesion` → (assessment, line).
    let mut lesion_seen: HashMap<String, Vec<(String, u64)>> = HashMap::new();
    let mut treatment_type: HashMap<String, String> = HashMap::new();
    // Flag texts of terms outside the CTCAE table, once per distinct term.
    let mut term_advice: HashMap<String, String> = HashMap::new();
    let mut lesion_first: HashMap<String, (String, u64)> = HashMap::new();
    let mut lesion_fold: HashMap<String, (String, u64)> = HashMap::new();
    let mut vals: Vec<Value> = Vec::new();
    for entity in Entity::ALL {
        let Some(t) = bundle.table(entity) else {
            continue;
        };
        let spec = entity.spec();
        let cols = t.columns();
        let key_pos = spec.key_positions();
        let patient_pos = spec
            .position("patient")
            .filter(|_| entity != Entity::Patient);
        let mut keys: HashMap<String, u32> = HashMap::with_capacity(t.n_rows());
        // Each reference's target and column positions, and a buffer for
        // its key (built once per row without temporary strings).
        let refs: Vec<(Entity, Vec<usize>)> = spec
            .references
            .iter()
            .map(|r| {
                let pos = r
                    .columns
                    .iter()
                    .map(|c| spec.position(c).expect("reference column"))
                    .collect();
                (r.target, pos)
            })
            .collect();
        let mut k = String::new();
        for row in 0..t.n_rows() {
            let ok = t.parse_row(&cols, row, &mut vals, Some(&mut problems));
            // The rules also run on a row with a cell problem (the cell read
            // as empty), so that a form shows every problem of a submission
            // at once; a rule about a cell that could not be read is left
            // out (its cell problem says what is wrong).
            let unreadable = |i: usize| {
                !ok && vals[i].is_null()
                    && (spec.columns[i].required || cols[i].and_then(|c| c.text(row)).is_some())
            };
            for v in rules::check_not_future(entity, &vals, today)
                .into_iter()
                .chain(rules::check_row(entity, &vals))
            {
                let i = spec.position(v.column).expect("rule column");
                if !unreadable(i) {
                    problems.push(t.cell_problem(&cols, row, i, v.reason));
                }
            }
            // A key with a missing required part cannot be matched; its
            // cell problem is already reported.
            let key_complete = key_pos
                .iter()
                .all(|&i| !spec.columns[i].required || !vals[i].is_null());
            let key = key_of(spec, &vals);
            if key_complete {
                match keys.entry(key.clone()) {
                    std::collections::hash_map::Entry::Occupied(first) => {
                        let first_line = t.line(*first.get() as usize);
                        let last = *key_pos.last().expect("key");
                        problems.push(t.cell_problem(
                            &cols,
                            row,
                            last,
                            format!(
                                "duplicate {}, first at line {first_line}",
                                describe_record(entity, &key)
                            ),
                        ));
                    }
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(row as u32);
                    }
                }
            }
            for (target, pos) in &refs {
                let target = *target;
                if pos.iter().any(|&i| vals[i].is_null()) {
                    continue;
                }
                k.clear();
                for (n, &i) in pos.iter().enumerate() {
                    if n > 0 {
                        k.push(SEP);
                    }
                    crate::rows::push_text(&mut k, &vals[i]);
                }
                let in_bundle = if target == entity {
                    keys.contains_key(&k)
                } else {
                    checked.keys[target.index()].contains_key(&k)
                };
                if !in_bundle && !stored.keys[target.index()].contains_key(&k) {
                    let at = *pos.last().expect("reference column");
                    problems.push(t.cell_problem(
                        &cols,
                        row,
                        at,
                        format!(
                            "no {} in the bundle or the registry",
                            describe_record(target, &k)
                        ),
                    ));
                }
            }
            if let Some(pp) = patient_pos {
                let code = vals[pp].as_str().unwrap_or_default();
                let life = checked
                    .life
                    .get(code)
                    .map(|(l, _)| *l)
                    .or_else(|| stored.life.get(code).copied());
                if let Some(l) = life {
                    for v in rules::check_against_patient(entity, &vals, l.life, l.dead) {
                        let i = spec.position(v.column).expect("rule column");
                        if !unreadable(i) {
                            problems.push(t.cell_problem(&cols, row, i, v.reason));
                        }
                    }
                }
            }
            if !ok {
                continue;
            }
            match entity {
                Entity::Patient => {
                    checked
                        .life
                        .entry(key.clone())
                        .or_insert((PatientLife::of(&vals), row as u32));
                }
                Entity::Assessment => {
                    if let Some(d) = vals[spec.position("date").expect("column")].as_date() {
                        assessment_date.entry(key.clone()).or_insert(d);
                    }
                }
                Entity::AdverseEvent => {
                    let term = vals[spec.position("term").expect("column")]
                        .as_str()
                        .unwrap_or_default();
                    let grade = vals[spec.position("grade").expect("column")].as_i64();
                    if let Some(g) = grade
                        && ctcae::check(term, g.clamp(0, 5) as u8) == Ctcae::UnknownTerm
                    {
                        let i = spec.position("term").expect("column");
                        let advice = term_advice
                            .entry(term.to_string())
                            .or_insert_with(|| unknown_term_advice(term));
                        checked
                            .flags
                            .push(t.cell_problem(&cols, row, i, advice.clone()));
                    }
                }
                Entity::Treatment => {
                    let ty = vals[spec.position("type").expect("column")]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    treatment_type.entry(key.clone()).or_insert(ty);
                }
                Entity::RadionuclideAdministration => {
                    let tk = format!(
                        "{}{SEP}{}",
                        vals[0].as_str().unwrap_or_default(),
                        vals[1].as_str().unwrap_or_default()
                    );
                    let ty = treatment_type
                        .get(&tk)
                        .or_else(|| stored.treatment_type.get(&tk));
                    if let Some(ty) = ty
                        && ty != "radionuclide"
                    {
                        problems.push(t.cell_problem(
                            &cols,
                            row,
                            1,
                            format!(
                                "treatment '{}' is {ty}, not a radionuclide treatment",
                                vals[1].as_str().unwrap_or_default()
                            ),
                        ));
                    }
                }
                Entity::Lesion => {
                    let p = vals[0].as_str().unwrap_or_default();
                    let lesion = vals[2].as_str().unwrap_or_default();
                    let organ = vals[3].as_str().unwrap_or_default();
                    let pl = format!("{p}{SEP}{lesion}");
                    let line = t.line(row);
                    let assessment = vals[1].as_str().unwrap_or_default();
                    if let Some(msg) = same_day_measurement(
                        p,
                        assessment,
                        lesion,
                        &assessment_date,
                        lesion_seen.get(&pl).map(Vec::as_slice).unwrap_or_default(),
                        stored,
                        &keys,
                    ) {
                        problems.push(t.cell_problem(&cols, row, 1, msg));
                    }
                    lesion_seen
                        .entry(pl.clone())
                        .or_default()
                        .push((assessment.to_string(), line));
                    // `l1` beside `L1`: one lesion typed two ways would be a
                    // new lesion at follow-up (and progression).
                    let fold = format!("{p}{SEP}{}", lesion.to_lowercase());
                    let other = match lesion_fold.get(&fold) {
                        Some((id, l)) => Some((id.clone(), format!("line {l}"))),
                        None => {
                            lesion_fold.insert(fold.clone(), (lesion.to_string(), line));
                            stored.lesion_fold.get(&fold).map(|(id, a)| {
                                (id.clone(), format!("in the registry, assessment '{a}'"))
                            })
                        }
                    };
                    if let Some((id, at)) = other
                        && id != lesion
                    {
                        problems.push(t.cell_problem(
                            &cols,
                            row,
                            2,
                            format!(
                                "lesion '{lesion}' differs from lesion '{id}' ({at}) only in \
                                 upper/lower case; use '{id}' for the same lesion, or an identifier \
                                 that does not look like it for another"
                            ),
                        ));
                    }
                    match lesion_first.get(&pl) {
                        Some((first, first_line)) if first != organ => {
                            problems.push(t.cell_problem(
                                &cols,
                                row,
                                3,
                                format!(
                                    "lesion '{lesion}' is in {first} at line {first_line}; \
                                     a lesion keeps its organ across assessments"
                                ),
                            ));
                        }
                        Some(_) => {}
                        None => {
                            lesion_first.insert(pl.clone(), (organ.to_string(), line));
                            if let Some((a, so)) = stored.lesion_organ.get(&pl) {
                                let overridden =
                                    keys.contains_key(&format!("{p}{SEP}{a}{SEP}{lesion}"));
                                if so != organ && !overridden {
                                    problems.push(t.cell_problem(
                                        &cols,
                                        row,
                                        3,
                                        format!(
                                            "lesion '{lesion}' is in {so} in the registry \
                                             (assessment '{a}'); a lesion keeps its organ \
                                             across assessments"
                                        ),
                                    ));
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        checked.keys[entity.index()] = keys;
    }
    let mut moved_problems = Problems::default();
    if let Some(t) = bundle.table(Entity::Assessment) {
        let moved = moved_onto_stored_lesions(&assessment_date, &lesion_seen, stored, &checked);
        for (row, msg) in moved {
            let cols = t.columns();
            let i = Entity::Assessment.spec().position("date").expect("column");
            moved_problems.push(t.cell_problem(&cols, row, i, msg));
        }
    }
    (checked, problems, moved_problems)
}

/// Assessments the bundle re-dates without sending their lesion rows: each
/// stored lesion of such an assessment is checked for a measurement on the
/// same day, as the lesion rows themselves would have been (a new date may
/// put two measurements of one lesion on one day). Returns (row, reason).
fn moved_onto_stored_lesions(
    bundle_dates: &HashMap<String, PartialDate>,
    lesion_seen: &HashMap<String, Vec<(String, u64)>>,
    stored: &Stored,
    checked: &RefChecked,
) -> Vec<(usize, String)> {
    let lesion_keys = &checked.keys[Entity::Lesion.index()];
    let assessment_keys = &checked.keys[Entity::Assessment.index()];
    let mut out = Vec::new();
    for (key, &row) in assessment_keys {
        let (Some(new), Some(old)) = (bundle_dates.get(key), stored.assessment_date.get(key))
        else {
            continue;
        };
        if new == old {
            continue;
        }
        let Some((patient, assessment)) = key.split_once(SEP) else {
            continue;
        };
        for (pl, assessments) in &stored.lesion_assessments {
            let Some((p, lesion)) = pl.split_once(SEP) else {
                continue;
            };
            let rewritten = lesion_keys.contains_key(&format!("{key}{SEP}{lesion}"));
            if p != patient || rewritten || !assessments.iter().any(|a| a == assessment) {
                continue;
            }
            let seen = lesion_seen.get(pl).map(Vec::as_slice).unwrap_or_default();
            if let Some(msg) = same_day_measurement(
                patient,
                assessment,
                lesion,
                bundle_dates,
                seen,
                stored,
                lesion_keys,
            ) {
                out.push((
                    row as usize,
                    format!("the new date of assessment '{assessment}': {msg}"),
                ));
            }
        }
    }
    out.sort();
    out
}

/// Two dates that can be the same day (neither is certainly before the
/// other): `2010-05` and `2010-05-15` can, whatever the imputation rule.
fn may_be_same_day(a: &PartialDate, b: &PartialDate) -> bool {
    !a.certainly_before(b) && !b.certainly_before(a)
}

/// The refusal of a lesion measured in two assessments that can be the same
/// day: evaluation would have to choose one measurement (it refuses, and
/// so does the import, so that the record is corrected where it is made).
fn same_day_measurement(
    patient: &str,
    assessment: &str,
    lesion: &str,
    bundle_dates: &HashMap<String, PartialDate>,
    seen: &[(String, u64)],
    stored: &Stored,
    lesion_keys: &HashMap<String, u32>,
) -> Option<String> {
    let date_of = |a: &str| {
        let k = format!("{patient}{SEP}{a}");
        bundle_dates
            .get(&k)
            .or_else(|| stored.assessment_date.get(&k))
            .copied()
    };
    let mine = date_of(assessment)?;
    let in_bundle = seen
        .iter()
        .map(|(a, line)| (a.as_str(), format!("line {line}")));
    let pl = format!("{patient}{SEP}{lesion}");
    let in_registry = stored
        .lesion_assessments
        .get(&pl)
        .into_iter()
        .flatten()
        // A stored row the bundle rewrites is checked as the bundle's.
        .filter(|a| !lesion_keys.contains_key(&format!("{patient}{SEP}{a}{SEP}{lesion}")))
        .map(|a| (a.as_str(), "in the registry".to_string()));
    for (other, at) in in_bundle.chain(in_registry) {
        if other == assessment {
            continue;
        }
        let Some(theirs) = date_of(other) else {
            continue;
        };
        if may_be_same_day(&mine, &theirs) {
            return Some(format!(
                "lesion '{lesion}' is also measured in assessment '{other}' ({at}); \
                 its date {theirs} can be the same day as this assessment's {mine}, and a \
                 lesion is measured once per day: give the assessments their exact dates \
                 or remove one measurement"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    //! The sharded checks against the reference on random bundles full of
    //! problems: duplicate keys, missing parents, unreadable cells, records
    //! outside a patient's life or in the future, lesions re-spelt, moved
    //! between organs or measured twice on one day (against the bundle and
    //! the registry), re-dated assessments, administrations of other
    //! treatments, unknown adverse-event terms.

    use std::collections::BTreeMap;
    use std::fmt::Write as _;

    use netra_clinical::registry::Day;
    use netra_clinical::registry::schema::{Entity, Value};

    use super::{RefChecked, reference_check_parts};
    use crate::bundle::Bundle;
    use crate::check::{Checked, PatientLife, Stored};
    use crate::check_shards::check_in_shards;
    use crate::error::{MAX_PROBLEMS, Problems};
    use crate::synthetic::Rng;

    /// 2020-01-01: dates after it are in the future.
    const TODAY: Day = Day(18_262);

    fn code(rng: &mut Rng, patients: u64) -> String {
        match rng.below(40) {
            0 => "PX".to_string(),         // no such patient
            1 => "P\u{200b}1".to_string(), // unreadable identifier
            2 => String::new(),            // missing
            _ => format!("P{}", rng.below(patients)),
        }
    }

    fn date(rng: &mut Rng) -> String {
        let year = 1990 + rng.below(32); // some after TODAY
        match rng.below(6) {
            0 => format!("{year}"),
            1 => format!("{year}-{:02}", 1 + rng.below(3)),
            2 => "2010-13-40".to_string(),
            _ => format!("{year}-{:02}-{:02}", 1 + rng.below(3), 1 + rng.below(3)),
        }
    }

    /// An assessment's date: few days, often partial, so that two
    /// assessments can often be the same day.
    fn assessment_date(rng: &mut Rng) -> String {
        match rng.below(5) {
            0 => "2010".to_string(),
            1 => format!("2010-0{}", 1 + rng.below(2)),
            _ => format!("2010-0{}-0{}", 1 + rng.below(2), 1 + rng.below(4)),
        }
    }

    /// A random bundle of about `patients` patients, as CSV files.
    fn random_files(seed: u64, patients: u64) -> Vec<(Entity, String)> {
        let mut rng = Rng::new(seed);
        let r = &mut rng;
        let mut files = Vec::new();
        let mut study = String::from("study,title\nS1,Study\n");
        if r.below(3) == 0 {
            study.push_str("S1,Again\n");
        }
        files.push((Entity::Study, study));
        files.push((
            Entity::Site,
            "site,study,name\nC1,S1,One\nC2,S9,Two\n".to_string(),
        ));
        let mut p = String::from("patient,site,sex,birth_date,vital_status,death_date\n");
        for i in 0..patients + patients / 10 {
            let c = if i < patients {
                format!("P{i}")
            } else {
                code(r, patients)
            };
            let site = ["C1", "C1", "C1", "C3"][r.below(4) as usize];
            let sex = ["male", "female", "other_sex"][r.below(3).min(r.below(3)) as usize];
            let dead = r.below(3) == 0;
            let death = if dead { date(r) } else { String::new() };
            let vital = if dead { "dead" } else { "alive" };
            let _ = writeln!(p, "{c},{site},{sex},{},{vital},{death}", 1930 + r.below(70));
        }
        files.push((Entity::Patient, p));
        let types = [
            "radionuclide",
            "chemotherapy",
            "supportive",
            "targeted",
            "bogus",
        ];
        let mut t = String::from("patient,treatment,type,start_date\n");
        for _ in 0..patients * 2 {
            let ty = types[r.below(5).min(r.below(5)) as usize];
            let _ = writeln!(t, "{},T{},{ty},{}", code(r, patients), r.below(4), date(r));
        }
        files.push((Entity::Treatment, t));
        let mut a = String::from("patient,treatment,administration,activity_gbq\n");
        for _ in 0..patients {
            let _ = writeln!(
                a,
                "{},T{},{},7.4",
                code(r, patients),
                r.below(5),
                1 + r.below(3)
            );
        }
        files.push((Entity::RadionuclideAdministration, a));
        let mut s = String::from("patient,assessment,date,modality\n");
        for _ in 0..patients * 4 {
            let d = if r.below(8) == 0 {
                date(r)
            } else {
                assessment_date(r)
            };
            let _ = writeln!(s, "{},A{},{d},ct", code(r, patients), r.below(6));
        }
        files.push((Entity::Assessment, s));
        let lesions = [
            "L1",
            "l1",
            "L2",
            "L3",
            "L\u{00c9}",
            "l\u{00e9}",
            "\u{03a3}",
            "\u{03c3}",
        ];
        let organs = ["liver", "liver", "lung", "bone", "nowhere"];
        let mut l = String::from("patient,assessment,lesion,organ,role\n");
        for _ in 0..patients * 10 {
            let lesion = lesions[r.below(8).min(r.below(8)) as usize];
            let organ = organs[r.below(5).min(r.below(5)) as usize];
            let (pc, ac) = (code(r, patients), r.below(7));
            let _ = writeln!(l, "{pc},A{ac},{lesion},{organ},target");
        }
        files.push((Entity::Lesion, l));
        let terms = [
            "Fatigue",
            "Diarrhoea",
            "Fell off a bicycle",
            "thrombocytopenia",
        ];
        let mut e = String::from("patient,event,term,grade,treatment\n");
        for _ in 0..patients * 2 {
            let term = terms[r.below(4) as usize];
            let (pc, ev, g, tr) = (code(r, patients), r.below(5), 1 + r.below(5), r.below(5));
            let _ = writeln!(e, "{pc},E{ev},{term},{g},T{tr}");
        }
        files.push((Entity::AdverseEvent, e));
        files
    }

    fn bundle_of(files: &[(Entity, String)]) -> Bundle {
        let mut b = Bundle::new();
        let mut problems = Problems::default();
        for (e, text) in files {
            b.add_file(*e, e.spec().file, text.as_bytes(), &mut problems);
        }
        assert!(problems.is_empty(), "{problems}");
        b
    }

    /// What a registry would hold after importing the readable rows of a
    /// random bundle (the first row of each key).
    fn stored_of(bundle: &Bundle) -> Stored {
        let mut stored = Stored::empty();
        let mut vals: Vec<Value> = Vec::new();
        for e in Entity::ALL {
            let Some(t) = bundle.table(e) else { continue };
            let cols = t.columns();
            for row in 0..t.n_rows() {
                if !t.parse_row(&cols, row, &mut vals, None) {
                    continue;
                }
                let key = crate::check::key_of(e.spec(), &vals);
                if !stored.keys[e.index()].contains_key(&key) {
                    stored.add(e, &vals);
                }
            }
        }
        stored
    }

    type Learnt = (
        BTreeMap<(usize, String), u32>,
        BTreeMap<String, (PatientLife, u32)>,
        Vec<crate::error::Problem>,
    );

    fn learnt_reference(c: RefChecked) -> Learnt {
        let keys = c.keys.into_iter().enumerate();
        let keys = keys.flat_map(|(i, m)| m.into_iter().map(move |(k, r)| ((i, k), r)));
        (keys.collect(), c.life.into_iter().collect(), c.flags)
    }

    fn learnt(c: Checked) -> Learnt {
        let mut keys = BTreeMap::new();
        for (i, k) in c.keys.iter().enumerate() {
            for key in k.keys() {
                let row = k.get(key).expect("a listed key is found");
                assert!(k.contains_key(key));
                keys.insert((i, key.clone()), row);
            }
        }
        (keys, c.life.into_iter().collect(), c.flags)
    }

    fn assert_same(bundle: &Bundle, stored: &Stored, shard_counts: &[usize]) -> usize {
        let (rc, rp, rm) = reference_check_parts(bundle, stored, TODAY);
        let reference = learnt_reference(rc);
        for &n in shard_counts {
            let (c, p, m) = check_in_shards(bundle, stored, TODAY, n);
            assert_eq!(p, rp, "problems of the rows, {n} shards");
            assert_eq!(m, rm, "problems of re-dated assessments, {n} shards");
            assert_eq!(learnt(c), reference, "what was learnt, {n} shards");
        }
        rp.len() + rm.len()
    }

    #[test]
    fn sharded_checks_equal_the_reference_on_random_bundles() {
        let mut found = 0;
        for seed in 0..12 {
            let bundle = bundle_of(&random_files(seed, 30));
            // Against an empty registry, and against one that holds another
            // random bundle's rows (lives, treatments, lesions, dates).
            found += assert_same(&bundle, &Stored::empty(), &[1, 2, 3, 5]);
            let stored = stored_of(&bundle_of(&random_files(seed + 1000, 30)));
            found += assert_same(&bundle, &stored, &[1, 2, 3, 5]);
        }
        assert!(found > 100, "the random bundles have problems ({found})");
    }

    #[test]
    fn sharded_checks_equal_the_reference_past_the_cap_of_problems() {
        let bundle = bundle_of(&random_files(7, 400));
        let stored = stored_of(&bundle_of(&random_files(8, 400)));
        let found = assert_same(&bundle, &stored, &[1, 2, 4]);
        assert!(found > MAX_PROBLEMS, "past the cap ({found})");
    }

    #[test]
    fn every_kind_of_problem_is_compared() {
        let mut reasons = String::new();
        for seed in 0..4 {
            let bundle = bundle_of(&random_files(seed, 30));
            let stored = stored_of(&bundle_of(&random_files(seed + 1000, 30)));
            let (c, p, m) = reference_check_parts(&bundle, &stored, TODAY);
            for x in p.list.iter().chain(&m.list).chain(&c.flags) {
                reasons.push_str(&x.reason);
                reasons.push('\n');
            }
        }
        for kind in [
            "duplicate ",
            "in the bundle or the registry",
            "is also measured in assessment",
            "(in the registry); its date",
            "in the registry (assessment",
            "the new date of assessment",
            "only in upper/lower case",
            "in the registry, assessment",
            "a lesion keeps its organ",
            "not a radionuclide treatment",
            "not a CTCAE v5.0 term",
            "identifier cannot contain",
            "a value is required",
        ] {
            assert!(
                reasons.contains(kind),
                "no problem '{kind}' among:\n{reasons}"
            );
        }
    }
}
