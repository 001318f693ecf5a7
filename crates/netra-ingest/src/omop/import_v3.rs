//! Model v3's tables read back from an extract ([`super::export_v3`] says
//! where they sit): the rows netra recognises by their concept's netra
//! code (`ihc_stain/…`, `gene/…`, `qol_item/…`, `comorbidity/…`) and the
//! qualitative values of `value_as_concept_id`.

use std::collections::BTreeMap;

use netra_clinical::registry::schema::Entity;
use netra_clinical::registry::vocab::{
    Comorbidity, Gene, GeneticResult, IhcResult, IhcStain, MarkerResult, Questionnaire, Vocabulary,
};

use super::import::{Ctx, State, strip};
use super::read::Table;

/// The code of vocabulary `V` a row's `value_as_concept_id` stands for:
/// a committed standard value concept (`value/positive`) or a local one of
/// the vocabulary (`ihc_result/lost`). `None` when the column is empty or
/// 0 (an issue when `required`) or when the concept is not a value of `V`
/// (an issue naming the column).
pub(super) fn value_code<V: Vocabulary>(
    ctx: &mut Ctx,
    t: &Table,
    line: u64,
    row: &[String],
    required: bool,
) -> Option<String> {
    let col = "value_as_concept_id";
    let raw = t.get(row, col);
    if raw.is_empty() || raw == "0" {
        if required {
            ctx.issues.push(t.issue(
                line,
                col,
                raw,
                format!("missing value concept: the {} is required", V::NAME),
            ));
        }
        return None;
    }
    let Ok(id) = raw.parse::<i64>() else {
        ctx.issues
            .push(t.issue(line, col, raw, "not a concept id (a whole number)"));
        return None;
    };
    let code = match ctx.netra(id) {
        Ok(c) => c,
        Err(why) => {
            ctx.issues.push(t.issue(line, col, raw, why));
            return None;
        }
    };
    let value = strip(&code, "value").or_else(|| strip(&code, V::NAME));
    match value.filter(|v| V::from_code(v).is_ok()) {
        Some(v) => Some(v.to_string()),
        None => {
            ctx.issues.push(t.issue(
                line,
                col,
                raw,
                format!("the concept ({code}) is not a value of {}", V::NAME),
            ));
            None
        }
    }
}

/// The record index of the tumour a row is attached to (its
/// `*_event_id` names the tumour's condition_occurrence).
fn tumour_of(st: &State, event: &(i64, String)) -> Option<usize> {
    if event.0 != st.f.condition {
        return None;
    }
    st.anchors.get(event).and_then(|v| {
        v.iter()
            .copied()
            .find(|&i| st.records[i].entity == Entity::Tumour)
    })
}

/// What a measurement row became: entity, parent record, default columns.
pub(super) type Placed = (Entity, Option<usize>, Vec<&'static str>);

/// A measurement whose concept is a stain (`ihc_stain/…`) or a gene
/// (`gene/…`); `None` when the code is neither, `Some(None)` when the row
/// was refused (the issue is pushed).
pub(super) fn measurement(
    st: &mut State,
    me: &Table,
    (line, row): (u64, &[String]),
    code: &str,
    event: &(i64, String),
    (date, value): (&str, &str),
    c: &mut BTreeMap<String, String>,
) -> Option<Option<Placed>> {
    let put = |c: &mut BTreeMap<String, String>, k: &str, v: &str| {
        if !v.is_empty() {
            c.insert(k.to_string(), v.to_string());
        }
    };
    if let Some(stain) = strip(code, "ihc_stain") {
        if IhcStain::from_code(stain).is_err() {
            return Some(refuse(st, me, line, row, code, "a stain"));
        }
        put(c, "stain", stain);
        put(c, "date", date);
        put(c, "percent_cells", value);
        let result = value_code::<IhcResult>(&mut st.ctx, me, line, row, true);
        let Some(result) = result else {
            return Some(None);
        };
        put(c, "result", &result);
        let Some(t) = tumour_of(st, event) else {
            st.ctx.issues.push(me.issue(
                line,
                "measurement_event_id",
                &event.1,
                "a stain must be attached to its tumour's condition_occurrence",
            ));
            return Some(None);
        };
        return Some(Some((Entity::Immunohistochemistry, Some(t), vec![])));
    }
    if let Some(gene) = strip(code, "gene") {
        if Gene::from_code(gene).is_err() {
            return Some(refuse(st, me, line, row, code, "a gene"));
        }
        put(c, "gene", gene);
        put(c, "date", date);
        let result = value_code::<GeneticResult>(&mut st.ctx, me, line, row, true);
        let Some(result) = result else {
            return Some(None);
        };
        put(c, "result", &result);
        // a test attached to a tumour is of the tumour (somatic), else of
        // the patient (germline)
        let tumour = tumour_of(st, event);
        put(
            c,
            "origin",
            if tumour.is_some() {
                "somatic"
            } else {
                "germline"
            },
        );
        return Some(Some((Entity::GeneticTest, tumour, vec!["date", "origin"])));
    }
    None
}

fn refuse(
    st: &mut State,
    t: &Table,
    line: u64,
    row: &[String],
    code: &str,
    what: &str,
) -> Option<Placed> {
    let col = "measurement_source_concept_id";
    st.ctx.issues.push(t.issue(
        line,
        col,
        t.get(row, col),
        format!("the concept ({code}) is not {what} netra knows"),
    ));
    None
}

/// The marker result of a measurement row (`value_as_concept_id`), if any.
pub(super) fn marker_result(ctx: &mut Ctx, t: &Table, line: u64, row: &[String]) -> Option<String> {
    value_code::<MarkerResult>(ctx, t, line, row, false)
}

/// An observation whose concept is a questionnaire item
/// (`qol_item/<questionnaire>/<item>`) or a comorbidity
/// (`comorbidity/none`): its entity and default columns, `None` when the
/// code is neither, `Some(None)` when the row was refused.
pub(super) fn observation(
    ctx: &mut Ctx,
    ob: &Table,
    line: u64,
    row: &[String],
    (code, date): (&str, String),
    c: &mut BTreeMap<String, String>,
) -> Option<Option<(Entity, Vec<&'static str>)>> {
    if let Some(rest) = strip(code, "qol_item") {
        let parsed = rest
            .split_once('/')
            .and_then(|(q, i)| Some((Questionnaire::from_code(q).ok()?, i.parse::<i64>().ok()?)))
            .filter(|(q, i)| q.items().contains(i));
        let Some((q, item)) = parsed else {
            let col = "observation_source_concept_id";
            ctx.issues.push(ob.issue(
                line,
                col,
                ob.get(row, col),
                format!("the concept ({code}) is not an item of a questionnaire netra scores"),
            ));
            return Some(None);
        };
        let raw = ob.get(row, "value_as_number");
        let response = raw
            .parse::<f64>()
            .ok()
            .filter(|v| v.fract() == 0.0 && *v >= 1.0 && *v <= q.max_response(item) as f64);
        let Some(response) = response else {
            ctx.issues.push(ob.issue(
                line,
                "value_as_number",
                raw,
                format!(
                    "the response to {} item {item} must be a whole number from 1 to {}",
                    q.code(),
                    q.max_response(item)
                ),
            ));
            return Some(None);
        };
        c.insert("questionnaire".into(), q.code().into());
        c.insert("item".into(), item.to_string());
        c.insert("response".into(), format!("{}", response as i64));
        c.insert("date".into(), date);
        return Some(Some((Entity::QolResponse, vec![])));
    }
    if let Some(cond) = strip(code, "comorbidity") {
        if Comorbidity::from_code(cond).is_err() {
            let col = "observation_source_concept_id";
            ctx.issues.push(ob.issue(
                line,
                col,
                ob.get(row, col),
                format!("the concept ({code}) is not a comorbidity netra knows"),
            ));
            return Some(None);
        }
        c.insert("condition".into(), cond.into());
        c.insert("date".into(), date);
        return Some(Some((Entity::Comorbidity, vec!["date"])));
    }
    None
}
