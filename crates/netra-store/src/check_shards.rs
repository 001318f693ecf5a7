//! The row checks of [`crate::check`], run in shards of patients on every
//! core.
//!
//! Every check but those of the study and site files is local to a patient:
//! duplicate keys and references start with the patient code (the test
//! `patient_tables_key_and_refer_by_patient` below holds the schema to it),
//! and the lesion, assessment, treatment and life-span checks look at one
//! patient's rows.
//! So the study and site files are checked first, on the calling thread,
//! and then each shard — the patients whose code hashes to it
//! ([`shard_of`]) — checks its rows of every other file, in file order and
//! row order, on a thread of its own, exactly as one pass over every row
//! would. The problems of each file are merged back by row, so the report
//! is the same whatever the number of shards and the threads' timing.

use std::collections::HashMap;

use netra_clinical::registry::Day;
use netra_clinical::registry::PartialDate;
use netra_clinical::registry::ctcae::{self, Ctcae};
use netra_clinical::registry::rules;
use netra_clinical::registry::schema::{Entity, EntitySpec, Value};
use netra_frame::Column;

use crate::bundle::{Bundle, BundleTable};
use crate::check::{Checked, Keys, PatientLife, SEP, Stored, describe_record};
use crate::check_lesions::{Dates, LesionFile, LesionRow, Lesions, moved_onto_stored_lesions};
use crate::error::{MAX_PROBLEMS, Problem, Problems};

/// The shard of a patient code among `shards`: FNV-1a of its bytes. Any
/// fixed function would do; it must only give one patient one shard.
pub(crate) fn shard_of(patient: &str, shards: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in patient.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h % shards.max(1) as u64) as usize
}

/// The files checked before the shards, by every shard's references.
const SHARED: [Entity; 2] = [Entity::Study, Entity::Site];

/// The checks of every row in `shards` shards of patients: (what was
/// learnt, the rows' problems, the re-dated assessments' problems).
pub(crate) fn check_in_shards(
    bundle: &Bundle,
    stored: &Stored,
    today: Day,
    shards: usize,
) -> (Checked, Problems, Problems) {
    let shards = shards.max(1);
    let mut first = Pass::new(stored, today, None);
    first.run(bundle, &SHARED);
    let patient_entities: Vec<Entity> = Entity::ALL
        .into_iter()
        .filter(|e| !SHARED.contains(e))
        .collect();
    let passes: Vec<Pass<'_>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..shards)
            .map(|i| {
                let mut pass = Pass::new(stored, today, Some((i, shards)));
                for e in SHARED {
                    pass.keys[e.index()] = first.keys[e.index()].clone();
                }
                let entities = &patient_entities;
                s.spawn(move || {
                    pass.run(bundle, entities);
                    pass.finish_moved(bundle);
                    pass
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    merge(bundle, first, passes)
}

/// Problems of one file found by one pass, with their rows, the first
/// [`MAX_PROBLEMS`] kept (the first of the merged file are among them).
#[derive(Debug, Default)]
struct RowProblems {
    list: Vec<(u32, Problem)>,
    more: usize,
}

impl RowProblems {
    fn push(&mut self, row: u32, p: Problem) {
        if self.list.len() < MAX_PROBLEMS {
            self.list.push((row, p));
        } else {
            self.more += 1;
        }
    }
}

/// One pass over the rows of some files: every row of the study and site
/// files, or the rows of one shard's patients in every other file.
struct Pass<'a> {
    stored: &'a Stored,
    today: Day,
    /// `(shard, shards)`, or `None` for every row.
    shard: Option<(usize, usize)>,
    /// Per entity: key → first row with it (rows of this pass; the study
    /// and site keys of the first pass).
    keys: Vec<HashMap<String, u32>>,
    /// Patients: code → (life, row).
    life: HashMap<String, (PatientLife, u32)>,
    /// Assessments: `patient SEP assessment` → date.
    assessment_date: HashMap<String, PartialDate>,
    /// Treatments: `patient SEP treatment` → type.
    treatment_type: HashMap<String, String>,
    lesions: Lesions,
    /// Flag texts of terms outside the CTCAE table, once per distinct term.
    term_advice: HashMap<String, String>,
    /// Per entity: the problems of the rows.
    problems: Vec<RowProblems>,
    /// Problems of re-dated assessments: (row, reason).
    moved: Vec<(usize, String)>,
    /// Flags (unknown adverse-event terms), by row.
    flags: Vec<(u32, Problem)>,
    /// The current row's values, problems and key (reused buffers).
    vals: Vec<Value>,
    row_problems: Problems,
    key: String,
    ref_key: String,
}

/// What a pass needs to know of one file.
struct Table<'t> {
    t: &'t BundleTable,
    entity: Entity,
    spec: &'static EntitySpec,
    cols: Vec<Option<Column<'t>>>,
    key_pos: Vec<usize>,
    /// The patient column of a patient's record (not of the patient file).
    patient_pos: Option<usize>,
    /// The patient column, which decides a row's shard.
    shard_col: Option<Column<'t>>,
    /// Each reference's target and columns.
    refs: Vec<(Entity, Vec<usize>)>,
}

impl<'t> Table<'t> {
    fn new(t: &'t BundleTable, entity: Entity) -> Table<'t> {
        let spec = entity.spec();
        let cols = t.columns();
        let patient = spec.position("patient");
        let refs = spec
            .references
            .iter()
            .map(|r| {
                let pos = r.columns.iter().map(|c| spec.position(c).expect("column"));
                (r.target, pos.collect())
            })
            .collect();
        Table {
            t,
            entity,
            spec,
            shard_col: patient.and_then(|i| cols[i]),
            cols,
            key_pos: spec.key_positions(),
            patient_pos: patient.filter(|_| entity != Entity::Patient),
            refs,
        }
    }

    /// A rule about a cell that could not be read is left out (its cell
    /// problem says what is wrong).
    fn unreadable(&self, vals: &[Value], ok: bool, row: usize, i: usize) -> bool {
        !ok && vals[i].is_null()
            && (self.spec.columns[i].required || self.cols[i].and_then(|c| c.text(row)).is_some())
    }

    fn position(&self, column: &str) -> usize {
        self.spec.position(column).expect("column")
    }

    fn problem(&self, row: usize, col: usize, reason: impl Into<String>) -> Problem {
        self.t.cell_problem(&self.cols, row, col, reason)
    }
}

impl<'a> Pass<'a> {
    fn new(stored: &'a Stored, today: Day, shard: Option<(usize, usize)>) -> Pass<'a> {
        let n = Entity::ALL.len();
        Pass {
            stored,
            today,
            shard,
            keys: vec![HashMap::new(); n],
            life: HashMap::new(),
            assessment_date: HashMap::new(),
            treatment_type: HashMap::new(),
            lesions: Lesions::default(),
            term_advice: HashMap::new(),
            problems: (0..n).map(|_| RowProblems::default()).collect(),
            moved: Vec::new(),
            flags: Vec::new(),
            vals: Vec::new(),
            row_problems: Problems::default(),
            key: String::new(),
            ref_key: String::new(),
        }
    }

    /// Checks this pass's rows of `entities`' files, in order.
    fn run(&mut self, bundle: &Bundle, entities: &[Entity]) {
        for &entity in entities {
            if let Some(t) = bundle.table(entity) {
                self.check_table(&Table::new(t, entity));
            }
        }
    }

    fn owns(&self, tb: &Table<'_>, row: usize) -> bool {
        match (self.shard, tb.shard_col) {
            (None, _) | (Some((_, 1)), _) => true,
            (Some((i, n)), Some(c)) => shard_of(c.text(row).unwrap_or_default(), n) == i,
            (Some((i, _)), None) => i == 0,
        }
    }

    fn check_table(&mut self, tb: &Table<'_>) {
        self.keys[tb.entity.index()].reserve(tb.t.n_rows() / self.shard.map_or(1, |s| s.1));
        for row in 0..tb.t.n_rows() {
            if !self.owns(tb, row) {
                continue;
            }
            self.check_row(tb, row);
            let found = &mut self.problems[tb.entity.index()];
            for p in self.row_problems.list.drain(..) {
                found.push(row as u32, p);
            }
        }
    }

    /// The checks of one row, its problems in `row_problems` in the order
    /// of the report: cells, rules, key, references, life span, then the
    /// file's own checks.
    fn check_row(&mut self, tb: &Table<'_>, row: usize) {
        let ok =
            tb.t.parse_row(&tb.cols, row, &mut self.vals, Some(&mut self.row_problems));
        self.check_rules(tb, row, ok);
        self.key.clear();
        crate::check::push_key(&mut self.key, &tb.key_pos, &self.vals);
        // A key with a missing required part cannot be matched; its cell
        // problem is already reported.
        let key_complete = tb
            .key_pos
            .iter()
            .all(|&i| !tb.spec.columns[i].required || !self.vals[i].is_null());
        if key_complete {
            self.check_duplicate(tb, row);
        }
        self.check_references(tb, row);
        self.check_life_span(tb, row, ok);
        if ok {
            self.check_file_rules(tb, row);
        }
    }

    /// Rules of the row alone (dates not in the future, ranges, order).
    fn check_rules(&mut self, tb: &Table<'_>, row: usize, ok: bool) {
        let found = rules::check_not_future(tb.entity, &self.vals, self.today)
            .into_iter()
            .chain(rules::check_row(tb.entity, &self.vals));
        for v in found {
            let i = tb.position(v.column);
            if !tb.unreadable(&self.vals, ok, row, i) {
                self.row_problems.push(tb.problem(row, i, v.reason));
            }
        }
    }

    fn check_duplicate(&mut self, tb: &Table<'_>, row: usize) {
        let keys = &mut self.keys[tb.entity.index()];
        if let Some(&first) = keys.get(self.key.as_str()) {
            let first_line = tb.t.line(first as usize);
            let last = *tb.key_pos.last().expect("key");
            let reason = format!(
                "duplicate {}, first at line {first_line}",
                describe_record(tb.entity, &self.key)
            );
            self.row_problems.push(tb.problem(row, last, reason));
        } else {
            keys.insert(self.key.clone(), row as u32);
        }
    }

    /// Each reference must name a record of the bundle or the registry.
    fn check_references(&mut self, tb: &Table<'_>, row: usize) {
        for (target, pos) in &tb.refs {
            if pos.iter().any(|&i| self.vals[i].is_null()) {
                continue;
            }
            let k = &mut self.ref_key;
            k.clear();
            for (n, &i) in pos.iter().enumerate() {
                if n > 0 {
                    k.push(SEP);
                }
                crate::rows::push_text(k, &self.vals[i]);
            }
            let i = target.index();
            if !self.keys[i].contains_key(k.as_str())
                && !self.stored.keys[i].contains_key(k.as_str())
            {
                let at = *pos.last().expect("reference column");
                let reason = format!(
                    "no {} in the bundle or the registry",
                    describe_record(*target, k)
                );
                self.row_problems.push(tb.problem(row, at, reason));
            }
        }
    }

    /// A patient's record must fall within the patient's life.
    fn check_life_span(&mut self, tb: &Table<'_>, row: usize, ok: bool) {
        let Some(pp) = tb.patient_pos else {
            return;
        };
        let code = self.vals[pp].as_str().unwrap_or_default();
        let life = self
            .life
            .get(code)
            .map(|(l, _)| *l)
            .or_else(|| self.stored.life.get(code).copied());
        let Some(l) = life else {
            return;
        };
        for v in rules::check_against_patient(tb.entity, &self.vals, l.life, l.dead) {
            let i = tb.position(v.column);
            if !tb.unreadable(&self.vals, ok, row, i) {
                self.row_problems.push(tb.problem(row, i, v.reason));
            }
        }
    }

    /// What a file's readable rows tell the later files, and the checks of
    /// one file against another.
    fn check_file_rules(&mut self, tb: &Table<'_>, row: usize) {
        match tb.entity {
            Entity::Patient => {
                let life = (PatientLife::of(&self.vals), row as u32);
                self.life.entry(self.key.clone()).or_insert(life);
            }
            Entity::Assessment => {
                if let Some(d) = self.vals[tb.position("date")].as_date() {
                    self.assessment_date.entry(self.key.clone()).or_insert(d);
                }
            }
            Entity::Treatment => {
                let ty = self.vals[tb.position("type")].as_str().unwrap_or_default();
                if !self.treatment_type.contains_key(self.key.as_str()) {
                    self.treatment_type.insert(self.key.clone(), ty.to_string());
                }
            }
            Entity::AdverseEvent => self.flag_unknown_term(tb, row),
            Entity::RadionuclideAdministration => self.check_administration(tb, row),
            Entity::Lesion => self.check_lesion(tb, row),
            _ => {}
        }
    }

    /// An adverse-event term CTCAE v5.0 does not list is flagged (kept).
    fn flag_unknown_term(&mut self, tb: &Table<'_>, row: usize) {
        let i = tb.position("term");
        let term = self.vals[i].as_str().unwrap_or_default();
        let Some(g) = self.vals[tb.position("grade")].as_i64() else {
            return;
        };
        if ctcae::check(term, g.clamp(0, 5) as u8) != Ctcae::UnknownTerm {
            return;
        }
        let advice = self
            .term_advice
            .entry(term.to_string())
            .or_insert_with(|| crate::check::unknown_term_advice(term));
        self.flags
            .push((row as u32, tb.problem(row, i, advice.clone())));
    }

    /// A radionuclide administration belongs to a radionuclide treatment.
    fn check_administration(&mut self, tb: &Table<'_>, row: usize) {
        let (patient, treatment) = (
            self.vals[0].as_str().unwrap_or_default(),
            self.vals[1].as_str().unwrap_or_default(),
        );
        let k = &mut self.ref_key;
        k.clear();
        k.push_str(patient);
        k.push(SEP);
        k.push_str(treatment);
        let ty = self
            .treatment_type
            .get(k.as_str())
            .or_else(|| self.stored.treatment_type.get(k.as_str()));
        if let Some(ty) = ty
            && ty != "radionuclide"
        {
            let reason = format!("treatment '{treatment}' is {ty}, not a radionuclide treatment");
            self.row_problems.push(tb.problem(row, 1, reason));
        }
    }

    /// A lesion's measurements: one per day, one spelling, one organ.
    fn check_lesion(&mut self, tb: &Table<'_>, row: usize) {
        let text = |i: usize| self.vals[i].as_str().unwrap_or_default();
        let lesion = LesionRow {
            patient: text(0),
            assessment: text(1),
            lesion: text(2),
            organ: text(3),
            row,
            line: tb.t.line(row),
        };
        let file = LesionFile {
            table: tb.t,
            assessment: tb.cols[1].expect("a readable row has its assessment"),
        };
        let dates = Dates {
            bundle: &self.assessment_date,
            stored: self.stored,
            lesion_keys: &self.keys[Entity::Lesion.index()],
        };
        for (col, reason) in self.lesions.check(&lesion, file, &dates) {
            self.row_problems.push(tb.problem(row, col, reason));
        }
    }

    /// The problems of re-dated assessments of this pass's patients.
    fn finish_moved(&mut self, bundle: &Bundle) {
        if bundle.table(Entity::Assessment).is_none() {
            return;
        }
        let file = bundle.table(Entity::Lesion).and_then(|t| {
            let assessment = t.columns()[1]?;
            Some(LesionFile {
                table: t,
                assessment,
            })
        });
        let dates = Dates {
            bundle: &self.assessment_date,
            stored: self.stored,
            lesion_keys: &self.keys[Entity::Lesion.index()],
        };
        let assessments = &self.keys[Entity::Assessment.index()];
        self.moved = moved_onto_stored_lesions(&self.lesions, file, &dates, assessments);
    }
}

/// The passes' findings as one: keys and lives joined, problems merged by
/// row file after file, flags by row.
fn merge(
    bundle: &Bundle,
    first: Pass<'_>,
    mut passes: Vec<Pass<'_>>,
) -> (Checked, Problems, Problems) {
    let mut problems = Problems::default();
    let mut first = first;
    for e in Entity::ALL {
        let i = e.index();
        let mut lists = vec![std::mem::take(&mut first.problems[i])];
        lists.extend(
            passes
                .iter_mut()
                .map(|p| std::mem::take(&mut p.problems[i])),
        );
        merge_by_row(lists, &mut problems);
    }
    let mut moved: Vec<(usize, String)> = Vec::new();
    for p in &mut passes {
        moved.append(&mut p.moved);
    }
    moved.sort();
    let checked = Checked {
        keys: merge_keys(&mut first, &mut passes),
        life: passes
            .iter_mut()
            .flat_map(|p| std::mem::take(&mut p.life))
            .collect(),
        flags: merge_flags(&mut passes),
    };
    (checked, problems, moved_problems(bundle, moved))
}

/// Pushes the problems of one file's passes in row order (each row is one
/// pass's): the report of a single pass over the file.
fn merge_by_row(lists: Vec<RowProblems>, into: &mut Problems) {
    let more: usize = lists.iter().map(|l| l.more).sum();
    let mut all: Vec<(u32, usize, Problem)> = Vec::new();
    for l in lists {
        // Within a row the order is the pass's: keep it by position.
        all.extend(
            l.list
                .into_iter()
                .enumerate()
                .map(|(n, (row, p))| (row, n, p)),
        );
    }
    all.sort_by_key(|(row, n, _)| (*row, *n));
    for (_, _, p) in all {
        into.push(p);
    }
    into.more += more;
}

/// Per entity, the keys of the first pass (study, site) or of the shards.
fn merge_keys(first: &mut Pass<'_>, passes: &mut [Pass<'_>]) -> Vec<Keys> {
    Entity::ALL
        .into_iter()
        .map(|e| {
            let i = e.index();
            if SHARED.contains(&e) {
                Keys::from_shards(vec![std::mem::take(&mut first.keys[i])])
            } else {
                Keys::from_shards(
                    passes
                        .iter_mut()
                        .map(|p| std::mem::take(&mut p.keys[i]))
                        .collect(),
                )
            }
        })
        .collect()
}

fn merge_flags(passes: &mut [Pass<'_>]) -> Vec<Problem> {
    let mut all: Vec<(u32, Problem)> = Vec::new();
    for p in passes {
        all.append(&mut p.flags);
    }
    all.sort_by_key(|(row, _)| *row);
    all.into_iter().map(|(_, p)| p).collect()
}

/// Problems of re-dated assessments, pointed at the assessment's date.
fn moved_problems(bundle: &Bundle, moved: Vec<(usize, String)>) -> Problems {
    let mut out = Problems::default();
    if let Some(t) = bundle.table(Entity::Assessment) {
        let cols = t.columns();
        let i = Entity::Assessment.spec().position("date").expect("column");
        for (row, msg) in moved {
            out.push(t.cell_problem(&cols, row, i, msg));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use netra_clinical::registry::schema::Entity;

    use super::{SHARED, shard_of};

    /// The shards are sound only if every key and reference of a patient's
    /// record starts with the patient code.
    #[test]
    fn patient_tables_key_and_refer_by_patient() {
        for e in Entity::ALL.into_iter().filter(|e| !SHARED.contains(e)) {
            let spec = e.spec();
            assert_eq!(spec.key[0], "patient", "{}", spec.file);
            for r in &spec.references {
                let shared = SHARED.contains(&r.target);
                assert!(shared || r.columns[0] == "patient", "{}", spec.file);
            }
        }
    }

    #[test]
    fn a_patient_has_one_shard() {
        for n in 1..6 {
            for p in ["", "P1", "sim-0000001", "É"] {
                assert!(shard_of(p, n) < n);
                assert_eq!(shard_of(p, n), shard_of(&String::from(p), n));
            }
        }
    }
}
