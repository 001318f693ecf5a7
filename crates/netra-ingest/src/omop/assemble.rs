//! The records rebuilt from an extract become the bundle's tables: the
//! identifiers and defaults an extract made elsewhere does not give, drug
//! exposures grouped into treatments, children given their parent's id.

use std::collections::{BTreeMap, HashMap};

use netra_clinical::registry::schema::Entity;

use crate::{Converted, ConvertedTable};

/// A record being rebuilt: entity, person, source line, columns.
#[derive(Debug, Clone)]
pub(super) struct Record {
    pub(super) entity: Entity,
    pub(super) person: String,
    pub(super) line: u64,
    pub(super) cols: BTreeMap<String, String>,
    /// The record a lesion or an agent belongs to (assessment, treatment).
    pub(super) parent: Option<usize>,
    /// Columns filled by netra's observations (an extract netra wrote).
    pub(super) modified: bool,
    /// Columns taken from the CDM row only for want of better (an optional
    /// date read from the row's date): dropped when netra's observations
    /// describe the record, so that an absent value comes back absent.
    pub(super) defaults: Vec<&'static str>,
}

impl Record {
    /// The record a CDM row at `line` of `person`'s data became, with no
    /// parent and no default columns.
    pub(super) fn of(
        entity: Entity,
        person: String,
        line: u64,
        cols: BTreeMap<String, String>,
    ) -> Record {
        Record {
            entity,
            person,
            line,
            cols,
            parent: None,
            modified: false,
            defaults: Vec::new(),
        }
    }

    /// The same record, belonging to record `parent` (if any).
    pub(super) fn under(self, parent: Option<usize>) -> Record {
        Record { parent, ..self }
    }

    /// The same record, with `defaults` taken from the row for want of better.
    pub(super) fn defaults(self, defaults: Vec<&'static str>) -> Record {
        Record { defaults, ..self }
    }
}

/// Groups drug exposures into treatments, fills identifiers the extract
/// does not give and writes the bundle tables.
pub(super) fn assemble(
    mut records: Vec<Record>,
    sites: Vec<(String, String, u64)>,
    source: &str,
) -> Converted {
    // patient defaults from the records: diagnosis = the first tumour's date
    let mut first_dx: HashMap<String, String> = HashMap::new();
    for r in &records {
        if r.entity == Entity::Tumour
            && let Some(d) = r.cols.get("diagnosis_date")
        {
            let e = first_dx
                .entry(r.person.clone())
                .or_insert_with(|| d.clone());
            if d < e {
                *e = d.clone();
            }
        }
    }
    for r in records.iter_mut() {
        if r.entity == Entity::Patient
            && !r.modified
            && let Some(d) = first_dx.get(&r.person)
        {
            r.cols
                .entry("diagnosis_date".to_string())
                .or_insert_with(|| d.clone());
        }
        if r.entity == Entity::Tumour {
            r.cols.remove("diagnosis_date");
        }
        // a lesion diameter measured elsewhere: a target lesion, organ not
        // recorded in the CDM
        if r.entity == Entity::Lesion && !r.modified {
            r.cols
                .entry("role".to_string())
                .or_insert_with(|| "target".to_string());
            r.cols
                .entry("organ".to_string())
                .or_insert_with(|| "other".to_string());
        }
    }
    // treatment identifiers: netra's own, else one per (start, end, stop
    // reason, type) of a person: the exposures of one regimen given together
    let mut ids: HashMap<(String, String), String> = HashMap::new();
    let mut count: HashMap<String, usize> = HashMap::new();
    let mut counters: HashMap<(String, Entity), usize> = HashMap::new();
    for r in records.iter_mut() {
        match r.entity {
            Entity::Treatment if !r.cols.contains_key("treatment") => {
                let key = ["start_date", "end_date", "stop_reason", "type"]
                    .iter()
                    .map(|k| r.cols.get(*k).cloned().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join("|");
                let person = r.person.clone();
                let id = ids
                    .entry((person.clone(), key))
                    .or_insert_with(|| {
                        let n = count.entry(person.clone()).or_insert(0);
                        *n += 1;
                        format!("T{n}")
                    })
                    .clone();
                r.cols.insert("treatment".to_string(), id);
            }
            Entity::Lesion if !r.cols.contains_key("lesion") => {
                let n = counters.entry((r.person.clone(), r.entity)).or_insert(0);
                *n += 1;
                let v = format!("L{n}");
                r.cols.insert("lesion".to_string(), v);
            }
            Entity::Tumour | Entity::Assessment | Entity::AdverseEvent => {
                let col = match r.entity {
                    Entity::Tumour => "tumour",
                    Entity::Assessment => "assessment",
                    _ => "event",
                };
                if !r.cols.contains_key(col) {
                    let n = counters.entry((r.person.clone(), r.entity)).or_insert(0);
                    *n += 1;
                    let prefix = match r.entity {
                        Entity::Tumour => "",
                        Entity::Assessment => "A",
                        _ => "AE",
                    };
                    let v = format!("{prefix}{n}");
                    r.cols.insert(col.to_string(), v);
                }
            }
            _ => {}
        }
    }
    // children take their parent's identifier
    for i in 0..records.len() {
        if let Some(p) = records[i].parent {
            let (col, val) = match records[p].entity {
                Entity::Treatment => ("treatment", records[p].cols.get("treatment").cloned()),
                Entity::Assessment => ("assessment", records[p].cols.get("assessment").cloned()),
                Entity::Tumour => ("tumour", records[p].cols.get("tumour").cloned()),
                _ => continue,
            };
            if let Some(v) = val {
                records[i].cols.entry(col.to_string()).or_insert(v);
            }
        }
    }
    let mut tables: Vec<ConvertedTable> = Vec::new();
    let mut site_rows: Vec<(String, String, u64)> = sites;
    if records.iter().any(|r| {
        r.entity == Entity::Patient && r.cols.get("site").map(String::as_str) == Some("omop")
    }) {
        site_rows.push(("omop".into(), "OMOP CDM import".into(), 1));
    }
    let table = |entity: Entity, rows: Vec<(u64, BTreeMap<String, String>)>| -> ConvertedTable {
        let spec = entity.spec();
        let mut seen = std::collections::HashSet::new();
        let mut t = ConvertedTable {
            entity,
            rows: vec![],
            lines: vec![],
            origins: vec![None; spec.columns.len()],
            row_origins: Vec::new(),
        };
        for (line, cols) in rows {
            let cells: Vec<Option<String>> = spec
                .columns
                .iter()
                .map(|c| cols.get(c.name).filter(|v| !v.is_empty()).cloned())
                .collect();
            // one treatment from several exposures: its row once; a
            // condition recorded more than once (an EHR lists diabetes at
            // every visit): its first row
            let key = crate::key_text(
                spec.key_positions()
                    .into_iter()
                    .map(|i| cells[i].as_deref()),
            );
            if !seen.insert(key) && matches!(entity, Entity::Treatment | Entity::Comorbidity) {
                continue;
            }
            t.rows.push(cells);
            t.lines.push(line);
        }
        t
    };
    let one = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>()
    };
    tables.push(table(
        Entity::Study,
        vec![(
            1,
            one(&[
                ("study", "omop"),
                ("title", "Imported from an OMOP CDM 5.4 extract"),
            ]),
        )],
    ));
    tables.push(table(
        Entity::Site,
        site_rows
            .iter()
            .map(|(c, n, l)| (*l, one(&[("site", c), ("study", "omop"), ("name", n)])))
            .collect(),
    ));
    for entity in Entity::ALL.into_iter().filter(|e| *e >= Entity::Patient) {
        let rows = records
            .iter()
            .filter(|r| r.entity == entity)
            .map(|r| {
                let mut c = r.cols.clone();
                c.insert("patient".to_string(), r.person.clone());
                (r.line, c)
            })
            .collect();
        tables.push(table(entity, rows));
    }
    Converted {
        source: source.to_string(),
        tables,
    }
}
