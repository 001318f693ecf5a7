//! An OMOP CDM 5.4 extract (CSV files) back into the bundle's rows.
//!
//! Concepts are read through the extract's own `concept.csv`: a concept
//! of vocabulary `netra` names its netra code; a standard concept is known
//! when it is one of the committed ids (`concepts.csv`). A row's
//! `*_concept_id` is used when it maps, else its `*_source_concept_id`.
//! Everything is checked before anything is returned (all or nothing), and
//! each problem names the file, line, column and value: a missing or
//! malformed concept id, a concept absent from `concept.csv` or without a
//! netra code, a date that is not a date, an event before the person's
//! birth, an end before its start, a row of an unknown person.

use std::collections::{BTreeMap, HashMap};

use netra_clinical::registry::PartialDate;
use netra_clinical::registry::schema::Entity;
use netra_clinical::registry::vocab::{Agent, AgentClass, Comorbidity, Vocabulary};

use super::assemble::{Record, assemble};
use super::concepts::{self, LOCAL_VOCABULARY};
use super::read::{Table, read, required_columns};
use crate::redcap::Input;
use crate::{Converted, Issue, Issues};

pub(super) struct Ctx {
    concepts: HashMap<i64, (String, String, String)>,
    /// A site's local concepts mapped to netra codes (a mapping file).
    map: super::source::ConceptMap,
    pub(super) issues: Issues,
}

impl Ctx {
    /// The netra code (`agent/octreotide`) of a concept id, or why not.
    pub(super) fn netra(&self, id: i64) -> Result<String, String> {
        if let Some(code) = self.map.get(id) {
            return Ok(code.to_string());
        }
        let local = id >= super::source::LOCAL_CONCEPTS_FROM;
        let Some((vocab, code, name)) = self.concepts.get(&id) else {
            return Err(if local {
                format!(
                    "local concept {id} is neither in concept.csv nor in the mapping file's [concepts]"
                )
            } else {
                format!("concept {id} is not in concept.csv")
            });
        };
        if vocab == LOCAL_VOCABULARY {
            return Ok(code.clone());
        }
        if local {
            return Err(format!(
                "unknown local concept {id} ('{name}', {vocab}): map it to a netra code in the mapping file's [concepts]"
            ));
        }
        concepts::netra_of_standard(id).ok_or_else(|| {
            format!("unknown concept {id} ('{name}', {vocab}): no netra code for it")
        })
    }

    /// The netra code of a row's concept (`col`), falling back to its
    /// source concept (`source_col`) when the standard one is 0 or unknown.
    fn resolve(
        &mut self,
        t: &Table,
        line: u64,
        row: &[String],
        col: &str,
        source_col: &str,
    ) -> Option<String> {
        let raw = t.get(row, col);
        if raw.is_empty() {
            self.issues
                .push(t.issue(line, col, raw, "missing concept id"));
            return None;
        }
        let Ok(id) = raw.parse::<i64>() else {
            self.issues
                .push(t.issue(line, col, raw, "not a concept id (a whole number)"));
            return None;
        };
        // why the standard concept does not place the row (None: it is 0)
        let first = match (id != 0).then(|| self.netra(id)) {
            Some(Ok(code)) => return Some(code),
            Some(Err(why)) => Some(why),
            None => None,
        };
        let src = t
            .get(row, source_col)
            .parse::<i64>()
            .ok()
            .filter(|s| *s != 0);
        match (src.map(|s| self.netra(s)), first) {
            (Some(Ok(code)), _) => Some(code),
            (_, Some(why)) => {
                self.issues.push(t.issue(line, col, raw, why));
                None
            }
            (Some(Err(why)), None) => {
                let v = t.get(row, source_col);
                self.issues.push(t.issue(line, source_col, v, why));
                None
            }
            (None, _) => {
                self.issues.push(t.issue(
                    line,
                    col,
                    raw,
                    "no concept (0) and no source concept: the row cannot be placed",
                ));
                None
            }
        }
    }

    fn date(
        &mut self,
        t: &Table,
        line: u64,
        row: &[String],
        col: &str,
        required: bool,
    ) -> Option<PartialDate> {
        let raw = t.get(row, col);
        if raw.is_empty() {
            if required {
                self.issues.push(t.issue(line, col, raw, "missing date"));
            }
            return None;
        }
        // a datetime's time is dropped
        let day = raw.get(..10).unwrap_or(raw);
        match day.parse::<PartialDate>() {
            Ok(d) if d.is_complete() => Some(d),
            _ => {
                self.issues
                    .push(t.issue(line, col, raw, "not a date (YYYY-MM-DD)"));
                None
            }
        }
    }
}

/// The code after `prefix/` of a netra code.
pub(super) fn strip<'a>(code: &'a str, prefix: &str) -> Option<&'a str> {
    code.strip_prefix(prefix)?.strip_prefix('/')
}

/// The CDM field concepts and episode concept the importer keys on.
pub(super) struct Fields {
    pub(super) condition: i64,
    drug: i64,
    procedure: i64,
    measurement: i64,
    observation: i64,
    regimen: i64,
}

/// What the conversion has built so far.
pub(super) struct State {
    pub(super) ctx: Ctx,
    pub(super) records: Vec<Record>,
    /// person_id → (patient record, birth).
    persons: HashMap<String, (usize, Option<PartialDate>)>,
    /// (field concept, event id) → the records a CDM row became.
    pub(super) anchors: HashMap<(i64, String), Vec<usize>>,
    pub(super) f: Fields,
}

impl State {
    /// Adds a record that CDM row `anchor` (field concept, event id)
    /// became, so that later rows naming the event find it; returns its
    /// index.
    fn push_anchored(&mut self, anchor: (i64, String), record: Record) -> usize {
        let i = self.records.len();
        self.anchors.entry(anchor).or_default().push(i);
        self.records.push(record);
        i
    }

    /// The person of a row: its patient record, birth and code.
    fn person(
        &mut self,
        t: &Table,
        line: u64,
        row: &[String],
    ) -> Option<(usize, Option<PartialDate>, String)> {
        let pid = t.get(row, "person_id");
        match self.persons.get(pid) {
            Some(&(i, birth)) => Some((i, birth, self.records[i].person.clone())),
            None => {
                self.ctx.issues.push(t.issue(
                    line,
                    "person_id",
                    pid,
                    "no person with this id in person.csv",
                ));
                None
            }
        }
    }
}

/// A date of a row must not be before the person's birth.
fn not_before_birth(
    ctx: &mut Ctx,
    t: &Table,
    line: u64,
    col: &str,
    d: PartialDate,
    birth: Option<PartialDate>,
) {
    if let Some(b) = birth
        && d.latest() < b.earliest()
    {
        ctx.issues.push(t.issue(
            line,
            col,
            &d.to_string(),
            format!("before the person's birth ({b})"),
        ));
    }
}

/// Converts an extract's CSV files (named `person.csv`, `concept.csv`, …;
/// tables netra does not read are ignored) into the bundle's rows.
/// `source` names the extract in the store's problems (the directory).
pub fn convert(files: &[Input<'_>], source: &str) -> Result<Converted, Issues> {
    convert_with(files, source, None)
}

/// [`convert`] with a site's local concepts mapped to netra codes
/// ([`super::source::ConceptMap`]). A file may be named `schema.table`
/// (a PostgreSQL schema's table, [`super::source::convert_schema`]).
pub fn convert_with(
    files: &[Input<'_>],
    source: &str,
    map: Option<&super::source::ConceptMap>,
) -> Result<Converted, Issues> {
    let mut issues = Issues::default();
    let mut tables: HashMap<String, Table> = HashMap::new();
    for f in files {
        let stem = f
            .name
            .rsplit('/')
            .next()
            .unwrap_or(f.name)
            .trim_end_matches(".csv")
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if super::tables::columns(&stem).is_empty() {
            continue;
        }
        if let Some(t) = read(f, &mut issues) {
            tables.insert(stem, t);
        }
    }
    for needed in ["person", "concept"] {
        if !tables.contains_key(needed) {
            issues.push(Issue::file(
                &format!("{needed}.csv"),
                "the extract has no such file (it is required)",
            ));
        }
    }
    // required columns of each file read
    for (name, t) in &tables {
        for col in required_columns(name) {
            if t.pos(col).is_none() {
                issues.push(Issue {
                    line: Some(1),
                    ..Issue::file(
                        &t.file,
                        format!("the column '{col}' is missing from the header"),
                    )
                });
            }
        }
    }
    if !issues.is_empty() {
        return Err(issues.collapsed());
    }
    let empty = Table {
        file: String::new(),
        header: vec![],
        rows: vec![],
    };
    let tab = |n: &str| tables.get(n).unwrap_or(&empty);

    let mut ctx = Ctx {
        concepts: HashMap::new(),
        map: map.cloned().unwrap_or_default(),
        issues,
    };
    let ct = tab("concept");
    for (line, row) in &ct.rows {
        let raw = ct.get(row, "concept_id");
        match raw.parse::<i64>() {
            Ok(id) => {
                ctx.concepts.insert(
                    id,
                    (
                        ct.get(row, "vocabulary_id").to_string(),
                        ct.get(row, "concept_code").to_string(),
                        ct.get(row, "concept_name").to_string(),
                    ),
                );
            }
            Err(_) => ctx.issues.push(ct.issue(
                *line,
                "concept_id",
                raw,
                "not a concept id (a whole number)",
            )),
        }
    }
    let field = |name: &str| -> i64 {
        let netra = format!("cdm/{name}");
        concepts::standard_of(&netra).map_or_else(|| concepts::local_id(&netra), |c| c.id)
    };
    let f = Fields {
        condition: field("field_condition_occurrence_id"),
        drug: field("field_drug_exposure_id"),
        procedure: field("field_procedure_occurrence_id"),
        measurement: field("field_measurement_id"),
        observation: field("field_observation_id"),
        regimen: field("episode_treatment_regimen"),
    };

    // care sites and persons
    let mut sites: Vec<(String, String, u64)> = Vec::new();
    let mut site_of: HashMap<String, String> = HashMap::new();
    let cs = tab("care_site");
    for (line, row) in &cs.rows {
        let id = cs.get(row, "care_site_id").to_string();
        let code = match cs.get(row, "care_site_source_value") {
            "" => format!("CS{id}"),
            c => c.to_string(),
        };
        let name = match cs.get(row, "care_site_name") {
            "" => code.clone(),
            n => n.to_string(),
        };
        site_of.insert(id, code.clone());
        sites.push((code, name, *line));
    }
    let mut s = State {
        ctx,
        records: Vec::new(),
        persons: HashMap::new(),
        anchors: HashMap::new(),
        f,
    };
    persons(&mut s, tab("person"), &site_of);
    periods(&mut s, tab("observation_period"), tab("death"));
    conditions(&mut s, tab("condition_occurrence"));
    drugs(&mut s, tab("drug_exposure"));
    procedures(&mut s, tab("procedure_occurrence"));
    measurements(&mut s, tab("measurement"));
    observations(&mut s, tab("observation"));
    episodes(&mut s, tab("episode"), tab("episode_event"));
    if !s.ctx.issues.is_empty() {
        return Err(s.ctx.issues.collapsed());
    }
    Ok(assemble(s.records, sites, source))
}

/// Persons: the patient records, with sex, site and birth.
fn persons(st: &mut State, pt: &Table, site_of: &HashMap<String, String>) {
    for (line, row) in &pt.rows {
        let pid = pt.get(row, "person_id").to_string();
        if pid.is_empty() {
            st.ctx
                .issues
                .push(pt.issue(*line, "person_id", "", "missing person id"));
            continue;
        }
        let code = match pt.get(row, "person_source_value") {
            "" => format!("P{pid}"),
            c => c.to_string(),
        };
        let mut cols = BTreeMap::new();
        let sex = match pt
            .get(row, "gender_concept_id")
            .parse::<i64>()
            .ok()
            .filter(|g| *g != 0)
            .map(|g| st.ctx.netra(g))
        {
            Some(Ok(s)) => strip(&s, "sex").unwrap_or("unknown").to_string(),
            Some(Err(why)) => {
                st.ctx.issues.push(pt.issue(
                    *line,
                    "gender_concept_id",
                    pt.get(row, "gender_concept_id"),
                    why,
                ));
                "unknown".to_string()
            }
            None => match pt.get(row, "gender_source_value") {
                s @ ("male" | "female" | "other") => s.to_string(),
                _ => "unknown".to_string(),
            },
        };
        cols.insert("sex".to_string(), sex);
        let site = site_of
            .get(pt.get(row, "care_site_id"))
            .cloned()
            .unwrap_or_else(|| "omop".to_string());
        cols.insert("site".to_string(), site);
        let y = pt.get(row, "year_of_birth");
        let birth = match y.parse::<i32>() {
            Ok(y) => {
                let m = pt.get(row, "month_of_birth").parse::<u8>().ok();
                let d = pt
                    .get(row, "day_of_birth")
                    .parse::<u8>()
                    .ok()
                    .filter(|_| m.is_some());
                let text = match (m, d) {
                    (Some(m), Some(d)) => format!("{y:04}-{m:02}-{d:02}"),
                    (Some(m), None) => format!("{y:04}-{m:02}"),
                    _ => format!("{y:04}"),
                };
                match text.parse::<PartialDate>() {
                    Ok(b) => {
                        cols.insert("birth_date".to_string(), text);
                        Some(b)
                    }
                    Err(_) => {
                        st.ctx.issues.push(pt.issue(
                            *line,
                            "year_of_birth",
                            &text,
                            "not a date of birth",
                        ));
                        None
                    }
                }
            }
            Err(_) if y.is_empty() => None,
            Err(_) => {
                st.ctx
                    .issues
                    .push(pt.issue(*line, "year_of_birth", y, "not a year"));
                None
            }
        };
        if st.persons.contains_key(&pid) {
            st.ctx
                .issues
                .push(pt.issue(*line, "person_id", &pid, "person listed twice"));
            continue;
        }
        cols.insert("vital_status".to_string(), "alive".to_string());
        st.persons.insert(pid, (st.records.len(), birth));
        st.records
            .push(Record::of(Entity::Patient, code, *line, cols));
    }
}
/// Observation periods (last follow-up) and deaths (vital status).
fn periods(st: &mut State, op: &Table, dt: &Table) {
    // observation period and death
    for (line, row) in &op.rows {
        let Some((pi, birth, _)) = st.person(op, *line, row) else {
            continue;
        };
        let s = st
            .ctx
            .date(op, *line, row, "observation_period_start_date", true);
        let e = st
            .ctx
            .date(op, *line, row, "observation_period_end_date", true);
        if let (Some(s), Some(e)) = (s, e) {
            if e.earliest() < s.earliest() {
                st.ctx.issues.push(op.issue(
                    *line,
                    "observation_period_end_date",
                    &e.to_string(),
                    format!("before the period's start ({s})"),
                ));
            }
            not_before_birth(
                &mut st.ctx,
                op,
                *line,
                "observation_period_start_date",
                s,
                birth,
            );
            let c = &mut st.records[pi].cols;
            if c.get("last_followup_date")
                .is_none_or(|x| x.as_str() < e.to_string().as_str())
            {
                c.insert("last_followup_date".into(), e.to_string());
            }
        }
    }
    for (line, row) in &dt.rows {
        let Some((pi, birth, _)) = st.person(dt, *line, row) else {
            continue;
        };
        if let Some(d) = st.ctx.date(dt, *line, row, "death_date", true) {
            not_before_birth(&mut st.ctx, dt, *line, "death_date", d, birth);
            let c = &mut st.records[pi].cols;
            c.insert("death_date".into(), d.to_string());
            c.insert("vital_status".into(), "dead".into());
        }
    }
}
/// Conditions: tumours and metastases.
fn conditions(st: &mut State, co: &Table) {
    // conditions: tumours and metastases
    for (line, row) in &co.rows {
        let Some((_, birth, person)) = st.person(co, *line, row) else {
            continue;
        };
        let code = st.ctx.resolve(
            co,
            *line,
            row,
            "condition_concept_id",
            "condition_source_concept_id",
        );
        let date = st.ctx.date(co, *line, row, "condition_start_date", true);
        if let Some(d) = date {
            not_before_birth(&mut st.ctx, co, *line, "condition_start_date", d, birth);
        }
        let Some(code) = code else { continue };
        let mut cols = BTreeMap::new();
        let mut defaults = Vec::new();
        let entity = if let Some(site) = strip(&code, "primary_site") {
            cols.insert("primary_site".to_string(), site.to_string());
            if let Some(d) = date {
                cols.insert("diagnosis_date".to_string(), d.to_string());
            }
            Entity::Tumour
        } else if let Some(site) = strip(&code, "metastasis_site") {
            cols.insert("site".to_string(), site.to_string());
            if let Some(d) = date {
                cols.insert("date".to_string(), d.to_string());
            }
            Entity::Metastasis
        } else if let Some(cond) = strip(&code, "comorbidity")
            .filter(|c| *c != "none")
            .filter(|c| Comorbidity::from_code(c).is_ok())
        {
            cols.insert("condition".to_string(), cond.to_string());
            if let Some(d) = date {
                cols.insert("date".to_string(), d.to_string());
            }
            defaults.push("date");
            Entity::Comorbidity
        } else {
            st.ctx.issues.push(co.issue(
                *line,
                "condition_concept_id",
                co.get(row, "condition_concept_id"),
                format!("the concept ({code}) is not a tumour's primary site, a metastatic site or a comorbidity"),
            ));
            continue;
        };
        st.push_anchored(
            (
                st.f.condition,
                co.get(row, "condition_occurrence_id").to_string(),
            ),
            Record::of(entity, person, *line, cols).defaults(defaults),
        );
    }
}
/// Drug exposures: a treatment and an agent each.
fn drugs(st: &mut State, de: &Table) {
    // drug exposures: a treatment and an agent each
    for (line, row) in &de.rows {
        let Some((_, birth, person)) = st.person(de, *line, row) else {
            continue;
        };
        let code = st
            .ctx
            .resolve(de, *line, row, "drug_concept_id", "drug_source_concept_id");
        let start = st
            .ctx
            .date(de, *line, row, "drug_exposure_start_date", true);
        let _ = st.ctx.date(de, *line, row, "drug_exposure_end_date", true);
        let end = st.ctx.date(de, *line, row, "verbatim_end_date", false);
        if let Some(s) = start {
            not_before_birth(&mut st.ctx, de, *line, "drug_exposure_start_date", s, birth);
            if let Some(e) = end
                && e.earliest() < s.earliest()
            {
                st.ctx.issues.push(de.issue(
                    *line,
                    "verbatim_end_date",
                    &e.to_string(),
                    format!("before the exposure's start ({s})"),
                ));
            }
        }
        let Some(code) = code else { continue };
        let mut t = BTreeMap::new();
        if let Some(s) = start {
            t.insert("start_date".to_string(), s.to_string());
        }
        if let Some(e) = end {
            t.insert("end_date".to_string(), e.to_string());
        }
        let stop = de.get(row, "stop_reason");
        if !stop.is_empty() {
            t.insert("stop_reason".to_string(), stop.to_string());
        }
        let agent = if let Some(a) = strip(&code, "agent") {
            let ty = match Agent::from_code(a).map(|a| a.class()) {
                Ok(AgentClass::SomatostatinAnalogue) => "somatostatin_analogue",
                Ok(AgentClass::Interferon) => "interferon",
                Ok(AgentClass::Cytotoxic) => "chemotherapy",
                Ok(AgentClass::Targeted) => "targeted",
                Ok(AgentClass::Radiopharmaceutical) => "radionuclide",
                Ok(AgentClass::Supportive) => "supportive",
                _ => "other",
            };
            t.insert("type".to_string(), ty.to_string());
            Some(a.to_string())
        } else if let Some(ty) = strip(&code, "treatment_type") {
            t.insert("type".to_string(), ty.to_string());
            None
        } else {
            st.ctx.issues.push(de.issue(
                *line,
                "drug_concept_id",
                de.get(row, "drug_concept_id"),
                format!("the concept ({code}) is not an agent or a treatment type"),
            ));
            continue;
        };
        let key = (st.f.drug, de.get(row, "drug_exposure_id").to_string());
        let ti = st.push_anchored(
            key.clone(),
            Record::of(Entity::Treatment, person.clone(), *line, t),
        );
        if let Some(a) = agent {
            let mut c = BTreeMap::new();
            c.insert("agent".to_string(), a);
            for (col, src) in [
                ("dose", "quantity"),
                ("dose_unit", "dose_unit_source_value"),
            ] {
                let v = de.get(row, src);
                if !v.is_empty() {
                    c.insert(col.to_string(), v.to_string());
                }
            }
            st.push_anchored(
                key,
                Record::of(Entity::TreatmentAgent, person, *line, c).under(Some(ti)),
            );
        }
    }
}
/// Procedures: local treatments and imaging assessments.
fn procedures(st: &mut State, po: &Table) {
    // procedures: local treatments and imaging assessments
    for (line, row) in &po.rows {
        let Some((_, birth, person)) = st.person(po, *line, row) else {
            continue;
        };
        let code = st.ctx.resolve(
            po,
            *line,
            row,
            "procedure_concept_id",
            "procedure_source_concept_id",
        );
        let start = st.ctx.date(po, *line, row, "procedure_date", true);
        let end = st.ctx.date(po, *line, row, "procedure_end_date", false);
        if let Some(s) = start {
            not_before_birth(&mut st.ctx, po, *line, "procedure_date", s, birth);
            if let Some(e) = end
                && e.earliest() < s.earliest()
            {
                st.ctx.issues.push(po.issue(
                    *line,
                    "procedure_end_date",
                    &e.to_string(),
                    format!("before the procedure's start ({s})"),
                ));
            }
        }
        let Some(code) = code else { continue };
        let mut c = BTreeMap::new();
        let entity = if let Some(ty) = strip(&code, "treatment_type") {
            c.insert("type".to_string(), ty.to_string());
            if let Some(s) = start {
                c.insert("start_date".to_string(), s.to_string());
            }
            if let Some(e) = end {
                c.insert("end_date".to_string(), e.to_string());
            }
            Entity::Treatment
        } else if let Some(m) = strip(&code, "modality") {
            c.insert("modality".to_string(), m.to_string());
            if let Some(s) = start {
                c.insert("date".to_string(), s.to_string());
            }
            Entity::Assessment
        } else {
            st.ctx.issues.push(po.issue(
                *line,
                "procedure_concept_id",
                po.get(row, "procedure_concept_id"),
                format!("the concept ({code}) is not a local treatment or an imaging modality"),
            ));
            continue;
        };
        st.push_anchored(
            (
                st.f.procedure,
                po.get(row, "procedure_occurrence_id").to_string(),
            ),
            Record::of(entity, person, *line, c),
        );
    }
}
/// Measurements: markers, Ki-67 of a tumour, lesions of an assessment.
fn measurements(st: &mut State, me: &Table) {
    // measurements: markers, Ki-67 of a tumour, lesions of an assessment
    let mut ki67: Vec<(usize, String, u64)> = Vec::new();
    for (line, row) in &me.rows {
        let Some((_, birth, person)) = st.person(me, *line, row) else {
            continue;
        };
        let code = st.ctx.resolve(
            me,
            *line,
            row,
            "measurement_concept_id",
            "measurement_source_concept_id",
        );
        let date = st.ctx.date(me, *line, row, "measurement_date", true);
        if let Some(d) = date {
            not_before_birth(&mut st.ctx, me, *line, "measurement_date", d, birth);
        }
        let Some(code) = code else { continue };
        let value = me.get(row, "value_as_number").to_string();
        let event = (
            me.get(row, "meas_event_field_concept_id")
                .parse::<i64>()
                .unwrap_or(0),
            me.get(row, "measurement_event_id").to_string(),
        );
        let mut c = BTreeMap::new();
        let mut put = |k: &str, v: &str| {
            if !v.is_empty() {
                c.insert(k.to_string(), v.to_string());
            }
        };
        let mut defaults = Vec::new();
        let (entity, parent) = if let Some(m) = strip(&code, "marker") {
            put("marker", m);
            put("date", &date.map(|d| d.to_string()).unwrap_or_default());
            put("value", &value);
            put("unit", me.get(row, "unit_source_value"));
            put("lower_limit", me.get(row, "range_low"));
            put("upper_limit", me.get(row, "range_high"));
            if let Some(r) = super::import_v3::marker_result(&mut st.ctx, me, *line, row) {
                put("result", &r);
            }
            (Entity::Biomarker, None)
        } else if code == super::export::column_code(Entity::Tumour, "ki67_percent") {
            match st
                .anchors
                .get(&event)
                .and_then(|v| v.iter().find(|&&i| st.records[i].entity == Entity::Tumour))
            {
                Some(&t) => ki67.push((t, value, *line)),
                None => st.ctx.issues.push(me.issue(
                    *line,
                    "measurement_event_id",
                    &event.1,
                    "a Ki-67 measurement must be attached to a tumour's condition_occurrence",
                )),
            }
            continue;
        } else if code == super::export::column_code(Entity::Lesion, "longest_mm") {
            match st.anchors.get(&event).and_then(|v| {
                v.iter()
                    .find(|&&i| st.records[i].entity == Entity::Assessment)
            }) {
                Some(&a) => {
                    put("longest_mm", &value);
                    put("lesion", me.get(row, "measurement_source_value"));
                    (Entity::Lesion, Some(a))
                }
                None => {
                    st.ctx.issues.push(me.issue(*line, "measurement_event_id", &event.1, "a lesion measurement must be attached to an assessment's procedure_occurrence"));
                    continue;
                }
            }
        } else if let Some(placed) = super::import_v3::measurement(
            st,
            me,
            (*line, row),
            &code,
            &event,
            (&date.map(|d| d.to_string()).unwrap_or_default(), &value),
            &mut c,
        ) {
            let Some((entity, parent, d)) = placed else {
                continue;
            };
            defaults = d;
            (entity, parent)
        } else {
            st.ctx.issues.push(me.issue(
                *line,
                "measurement_concept_id",
                me.get(row, "measurement_concept_id"),
                format!("the concept ({code}) is not a marker, Ki-67, a lesion diameter, a stain or a gene"),
            ));
            continue;
        };
        st.push_anchored(
            (st.f.measurement, me.get(row, "measurement_id").to_string()),
            Record::of(entity, person, *line, c)
                .under(parent)
                .defaults(defaults),
        );
    }
    for (t, v, _) in ki67 {
        if !v.is_empty() {
            st.records[t].cols.insert("ki67_percent".to_string(), v);
        }
    }
}
/// Observations: first the records they hold, then netra's column values.
fn observations(st: &mut State, ob: &Table) {
    // observations: first the st.records they hold, then netra's column values
    let mut columns_rows = Vec::new();
    for (line, row) in &ob.rows {
        let Some((pi, birth, person)) = st.person(ob, *line, row) else {
            continue;
        };
        let code = st.ctx.resolve(
            ob,
            *line,
            row,
            "observation_concept_id",
            "observation_source_concept_id",
        );
        let date = st.ctx.date(ob, *line, row, "observation_date", true);
        if let Some(d) = date {
            not_before_birth(&mut st.ctx, ob, *line, "observation_date", d, birth);
        }
        let Some(code) = code else { continue };
        let event = (
            ob.get(row, "obs_event_field_concept_id")
                .parse::<i64>()
                .unwrap_or(0),
            ob.get(row, "observation_event_id").to_string(),
        );
        if code.starts_with("column/") {
            columns_rows.push((pi, code, event, *line, row));
            continue;
        }
        let mut c = BTreeMap::new();
        let mut defaults = Vec::new();
        let (entity, parent) = if let Some(file) = strip(&code, "entity") {
            match Entity::ALL.into_iter().find(|e| {
                e.spec().file == file
                    && matches!(
                        e,
                        Entity::RadionuclideAdministration
                            | Entity::ClinicalStatus
                            | Entity::AdverseEvent
                    )
            }) {
                Some(e) => (e, None),
                None => {
                    st.ctx.issues.push(ob.issue(
                        *line,
                        "observation_concept_id",
                        ob.get(row, "observation_concept_id"),
                        format!(
                            "the concept ({code}) is not a record netra keeps as an observation"
                        ),
                    ));
                    continue;
                }
            }
        } else if let Some(a) = strip(&code, "agent") {
            match st.anchors.get(&event).and_then(|v| {
                v.iter()
                    .find(|&&i| st.records[i].entity == Entity::Treatment)
            }) {
                Some(&t) => {
                    c.insert("agent".to_string(), a.to_string());
                    for (col, src) in [
                        ("dose", "value_as_number"),
                        ("dose_unit", "unit_source_value"),
                        ("agent_detail", "value_as_string"),
                    ] {
                        let v = ob.get(row, src);
                        if !v.is_empty() {
                            c.insert(col.to_string(), v.to_string());
                        }
                    }
                    (Entity::TreatmentAgent, Some(t))
                }
                None => {
                    st.ctx.issues.push(ob.issue(
                        *line,
                        "observation_event_id",
                        &event.1,
                        "an agent observation must be attached to a procedure_occurrence",
                    ));
                    continue;
                }
            }
        } else if let Some(placed) = super::import_v3::observation(
            &mut st.ctx,
            ob,
            *line,
            row,
            (&code, date.map(|d| d.to_string()).unwrap_or_default()),
            &mut c,
        ) {
            let Some((entity, d)) = placed else {
                continue;
            };
            defaults = d;
            (entity, None)
        } else {
            st.ctx.issues.push(ob.issue(
                *line,
                "observation_concept_id",
                ob.get(row, "observation_concept_id"),
                format!("the concept ({code}) is not one netra reads from observation"),
            ));
            continue;
        };
        st.push_anchored(
            (st.f.observation, ob.get(row, "observation_id").to_string()),
            Record::of(entity, person, *line, c)
                .under(parent)
                .defaults(defaults),
        );
    }
    for (pi, code, event, line, row) in columns_rows {
        let Some((file, col)) = code.trim_start_matches("column/").split_once(".csv.") else {
            st.ctx.issues.push(ob.issue(
                line,
                "observation_source_concept_id",
                &code,
                "not a registry column",
            ));
            continue;
        };
        let file = format!("{file}.csv");
        let Some(entity) = Entity::ALL.into_iter().find(|e| e.spec().file == file) else {
            st.ctx.issues.push(ob.issue(
                line,
                "observation_source_value",
                &code,
                "not a registry table",
            ));
            continue;
        };
        if entity.spec().position(col).is_none() {
            st.ctx.issues.push(ob.issue(
                line,
                "observation_source_value",
                &code,
                format!("{file} has no column '{col}'"),
            ));
            continue;
        }
        let target = if event.1.is_empty() {
            (entity == Entity::Patient).then_some(pi)
        } else {
            st.anchors
                .get(&event)
                .and_then(|v| v.iter().copied().find(|&i| st.records[i].entity == entity))
        };
        let Some(target) = target else {
            st.ctx.issues.push(ob.issue(
                line,
                "observation_event_id",
                &event.1,
                format!("the {file} row this value belongs to is not in the extract"),
            ));
            continue;
        };
        let r = &mut st.records[target];
        if !r.modified {
            for d in std::mem::take(&mut r.defaults) {
                r.cols.remove(d);
            }
        }
        r.cols
            .insert(col.to_string(), ob.get(row, "value_as_string").to_string());
        r.modified = true;
    }
}
/// Regimen episodes: a treatment's recorded line when it has none.
fn episodes(st: &mut State, ep: &Table, ee: &Table) {
    // regimen episodes: a treatment's recorded line when it has none
    let mut line_of: HashMap<String, String> = HashMap::new();
    for (_, row) in &ep.rows {
        if ep.get(row, "episode_concept_id").parse::<i64>().ok() == Some(st.f.regimen) {
            line_of.insert(
                ep.get(row, "episode_id").to_string(),
                ep.get(row, "episode_number").to_string(),
            );
        }
    }
    for (_, row) in &ee.rows {
        let Some(n) = line_of.get(ee.get(row, "episode_id")) else {
            continue;
        };
        let key = (
            ee.get(row, "episode_event_field_concept_id")
                .parse::<i64>()
                .unwrap_or(0),
            ee.get(row, "event_id").to_string(),
        );
        for &i in st.anchors.get(&key).map_or(&[][..], |v| &v[..]) {
            let r = &mut st.records[i];
            if r.entity == Entity::Treatment && !r.modified && !n.is_empty() {
                r.cols
                    .entry("line".to_string())
                    .or_insert_with(|| n.clone());
            }
        }
    }
}
