//! Row rules of the registry model's third step (docs/model-v2.md):
//! marker results without a number, immunohistochemistry, genetics, quality
//! of life items and comorbidities.

use super::{RowView, Violation, v};
use crate::registry::schema::Entity;
use crate::registry::vocab::{IhcScoreSystem, IhcStain, Questionnaire, Vocabulary};

/// The rules of `entity` that this step adds (nothing for other entities).
pub(super) fn check(entity: Entity, r: &RowView<'_>, out: &mut Vec<Violation>) {
    match entity {
        Entity::Biomarker => marker_result(r, out),
        Entity::Immunohistochemistry => immunohistochemistry(r, out),
        Entity::GeneticTest => genetics(r, out),
        Entity::QolResponse => qol_item(r, out),
        Entity::Comorbidity
            if r.str("condition") == Some("other") && !r.has("condition_detail") =>
        {
            out.push(v("condition_detail", "required when condition is other"));
        }
        _ => {}
    }
}

/// A marker row holds a value (with its unit), a result in words, or both;
/// when both and the reference limits are known they must agree.
fn marker_result(r: &RowView<'_>, out: &mut Vec<Violation>) {
    let value = r.num("value");
    if value.is_none() && !r.has("result") {
        out.push(v(
            "value",
            "a value or a result (normal, elevated, …) is required",
        ));
    }
    if value.is_some() && !r.has("unit") {
        out.push(v("unit", "required when value is given"));
    }
    let (Some(x), Some(said)) = (value, r.str("result")) else {
        return;
    };
    let (lo, hi) = (r.num("lower_limit"), r.num("upper_limit"));
    let by_limits = match (lo, hi) {
        (_, Some(u)) if x > u => Some("elevated"),
        (Some(l), _) if x < l => Some("low"),
        (Some(_), Some(_)) => Some("normal"),
        // Within the one known limit: normal or off the other side.
        _ => None,
    };
    if matches!(said, "normal" | "elevated" | "low")
        && let Some(derived) = by_limits
        && derived != said
    {
        out.push(v(
            "result",
            format!("{said} disagrees with the value {x} and the reference limits ({derived})"),
        ));
    }
}

fn immunohistochemistry(r: &RowView<'_>, out: &mut Vec<Violation>) {
    let stain = r.str("stain").and_then(|s| IhcStain::from_code(s).ok());
    if stain == Some(IhcStain::Other) && !r.has("stain_detail") {
        out.push(v("stain_detail", "required when stain is other"));
    }
    match (r.str("result"), stain) {
        (Some(res @ ("lost" | "retained")), Some(s))
            if s != IhcStain::Other && !s.reads_as_loss() =>
        {
            out.push(v(
                "result",
                format!(
                    "{res} applies to stains read as nuclear loss (DAXX, ATRX, menin, Rb, MGMT), not {}",
                    s.code()
                ),
            ));
        }
        (Some(res @ ("aberrant" | "wild_type")), Some(s))
            if !matches!(s, IhcStain::P53 | IhcStain::Other) =>
        {
            out.push(v(
                "result",
                format!("{res} applies to the p53 pattern, not {}", s.code()),
            ));
        }
        _ => {}
    }
    let system = r
        .str("score_system")
        .and_then(|s| IhcScoreSystem::from_code(s).ok());
    match (r.num("score"), system) {
        (Some(_), None) => out.push(v("score_system", "required when score is given")),
        (None, Some(_)) => out.push(v("score", "required when score_system is given")),
        (Some(x), Some(sys)) => {
            if let Some(max) = sys.max()
                && x > max
            {
                out.push(v(
                    "score",
                    format!("{} scores run from 0 to {max}", sys.code()),
                ));
            } else if matches!(sys, IhcScoreSystem::Volante | IhcScoreSystem::Irs)
                && x.fract() != 0.0
            {
                out.push(v(
                    "score",
                    format!("{} scores are whole numbers", sys.code()),
                ));
            }
        }
        (None, None) => {}
    }
}

fn genetics(r: &RowView<'_>, out: &mut Vec<Violation>) {
    let gene = r.str("gene");
    if gene == Some("other") && !r.has("gene_detail") {
        out.push(v("gene_detail", "required when gene is other"));
    }
    if r.str("origin") == Some("germline") && r.has("tumour") {
        out.push(v(
            "tumour",
            "a germline test is of the patient, not of a tumour (leave tumour empty)",
        ));
    }
    if let Some(res @ ("methylated" | "unmethylated")) = r.str("result")
        && !matches!(gene, Some("mgmt" | "other"))
    {
        out.push(v(
            "result",
            format!("{res} is a promoter-methylation result (MGMT)"),
        ));
    }
    if r.str("result") == Some("no_variant") && r.has("variant") {
        out.push(v("variant", "given although the result is no_variant"));
    }
}

fn qol_item(r: &RowView<'_>, out: &mut Vec<Violation>) {
    let Some(q) = r
        .str("questionnaire")
        .and_then(|s| Questionnaire::from_code(s).ok())
    else {
        return;
    };
    let Some(item) = r.get("item").as_i64() else {
        return;
    };
    let items = q.items();
    if !items.contains(&item) {
        out.push(v(
            "item",
            format!(
                "{} has items {} to {}",
                q.code(),
                items.start(),
                items.end()
            ),
        ));
        return;
    }
    if let Some(resp) = r.get("response").as_i64()
        && resp > q.max_response(item)
    {
        out.push(v(
            "response",
            format!(
                "item {item} of {} is answered 1 to {}",
                q.code(),
                q.max_response(item)
            ),
        ));
    }
}
