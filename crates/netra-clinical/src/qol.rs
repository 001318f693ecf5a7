//! Quality of life: the scales of the EORTC QLQ-C30 (version 3) scored from
//! the item responses by the published rules of the EORTC scoring manual
//! (Fayers et al., 3rd edition, 2001), and the QLQ-C30 summary score
//! (Giesinger et al. 2016).
//!
//! For a scale of items `I₁ … Iₙ` whose responses run over `range`
//! (3 for the 1–4 items, 6 for the 1–7 global health items):
//!
//! * raw score `RS = (I₁ + … + Iₙ) / n`, the mean of the **answered** items;
//! * functional scales: `S = (1 − (RS − 1) / range) × 100`;
//! * symptom scales, single items and global health status:
//!   `S = ((RS − 1) / range) × 100`;
//! * missing items: a scale is scored when at least half of its items are
//!   answered (the manual's rule, which is the mean of the answered items);
//!   otherwise the scale is missing. A single-item scale needs its item.
//!
//! All scores lie in 0–100; a high functional or global score is a good
//! state, a high symptom score a bad one. The summary score is the mean of
//! the five functional scales and of `100 − S` of the eight symptom scales
//! (fatigue … diarrhoea; not global health, not financial difficulties),
//! and exists only when all thirteen do.
//!
//! The QLQ-GI.NET21 module's items are stored (`qol_responses.csv`, items
//! 31–51) but its scales are not scored here yet: their item lists must be
//! taken from the EORTC module's scoring instructions, which this code does
//! not yet carry ([`scales`] returns none for it).

use crate::registry::vocab::Questionnaire;

/// How a scale's raw score is turned into 0–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleKind {
    /// Higher is better: `(1 − (RS − 1)/range) × 100`.
    Functional,
    /// Higher is worse: `((RS − 1)/range) × 100`.
    Symptom,
    /// Global health status: `((RS − 1)/range) × 100`, higher is better.
    Global,
}

/// One scale of a questionnaire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    /// The manual's abbreviation (`QL2`, `PF2`, `FA`, …), also the
    /// analysis variables' suffix in lower case.
    pub code: &'static str,
    /// Name for tables.
    pub label: &'static str,
    /// How the raw score is transformed.
    pub kind: ScaleKind,
    /// Item numbers.
    pub items: &'static [u8],
    /// Highest response minus lowest (3 or 6).
    pub range: u8,
}

const fn scale(
    code: &'static str,
    label: &'static str,
    kind: ScaleKind,
    items: &'static [u8],
    range: u8,
) -> Scale {
    Scale {
        code,
        label,
        kind,
        items,
        range,
    }
}

/// The QLQ-C30 version 3 scales, in the manual's order.
pub const QLQ_C30: &[Scale] = &[
    scale(
        "QL2",
        "global health status / QoL",
        ScaleKind::Global,
        &[29, 30],
        6,
    ),
    scale(
        "PF2",
        "physical functioning",
        ScaleKind::Functional,
        &[1, 2, 3, 4, 5],
        3,
    ),
    scale("RF2", "role functioning", ScaleKind::Functional, &[6, 7], 3),
    scale(
        "EF",
        "emotional functioning",
        ScaleKind::Functional,
        &[21, 22, 23, 24],
        3,
    ),
    scale(
        "CF",
        "cognitive functioning",
        ScaleKind::Functional,
        &[20, 25],
        3,
    ),
    scale(
        "SF",
        "social functioning",
        ScaleKind::Functional,
        &[26, 27],
        3,
    ),
    scale("FA", "fatigue", ScaleKind::Symptom, &[10, 12, 18], 3),
    scale(
        "NV",
        "nausea and vomiting",
        ScaleKind::Symptom,
        &[14, 15],
        3,
    ),
    scale("PA", "pain", ScaleKind::Symptom, &[9, 19], 3),
    scale("DY", "dyspnoea", ScaleKind::Symptom, &[8], 3),
    scale("SL", "insomnia", ScaleKind::Symptom, &[11], 3),
    scale("AP", "appetite loss", ScaleKind::Symptom, &[13], 3),
    scale("CO", "constipation", ScaleKind::Symptom, &[16], 3),
    scale("DI", "diarrhoea", ScaleKind::Symptom, &[17], 3),
    scale("FI", "financial difficulties", ScaleKind::Symptom, &[28], 3),
];

/// The scales netra scores for a questionnaire (none yet for GI.NET21).
pub fn scales(q: Questionnaire) -> &'static [Scale] {
    match q {
        Questionnaire::QlqC30 => QLQ_C30,
        Questionnaire::QlqGiNet21 => &[],
    }
}

/// A scored scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScaleScore {
    /// The scale.
    pub scale: Scale,
    /// Items answered (with a valid response).
    pub answered: usize,
    /// Mean of the answered items (`None` below half the items).
    pub raw: Option<f64>,
    /// The 0–100 score (`None` below half the items).
    pub score: Option<f64>,
}

/// Scores one scale from `(item, response)` pairs of one completed
/// questionnaire. Responses outside `1 ..= 1 + range` are treated as not
/// answered (the registry refuses them on import).
pub fn score_scale(s: &Scale, responses: &[(u8, u8)]) -> ScaleScore {
    let answers: Vec<f64> = s
        .items
        .iter()
        .filter_map(|item| {
            responses
                .iter()
                .find(|(i, _)| i == item)
                .map(|&(_, r)| r)
                .filter(|r| (1..=1 + s.range).contains(r))
                .map(f64::from)
        })
        .collect();
    let answered = answers.len();
    // At least half: 2·answered ≥ n (1 of 2, 2 of 3, 3 of 5 …).
    let raw = (answered > 0 && 2 * answered >= s.items.len())
        .then(|| answers.iter().sum::<f64>() / answered as f64);
    let score = raw.map(|rs| {
        let t = (rs - 1.0) / f64::from(s.range);
        match s.kind {
            ScaleKind::Functional => (1.0 - t) * 100.0,
            ScaleKind::Symptom | ScaleKind::Global => t * 100.0,
        }
    });
    ScaleScore {
        scale: *s,
        answered,
        raw,
        score,
    }
}

/// Every scale of `q` scored from one completed questionnaire.
pub fn score(q: Questionnaire, responses: &[(u8, u8)]) -> Vec<ScaleScore> {
    scales(q)
        .iter()
        .map(|s| score_scale(s, responses))
        .collect()
}

/// The QLQ-C30 summary score from the scored scales: the mean of PF2, RF2,
/// EF, CF, SF and `100 − S` of FA, NV, PA, DY, SL, AP, CO, DI; `None`
/// unless all thirteen are scored.
pub fn c30_summary(scores: &[ScaleScore]) -> Option<f64> {
    const PARTS: [&str; 13] = [
        "PF2", "RF2", "EF", "CF", "SF", "FA", "NV", "PA", "DY", "SL", "AP", "CO", "DI",
    ];
    let mut sum = 0.0;
    for code in PARTS {
        let s = scores.iter().find(|s| s.scale.code == code)?;
        let x = s.score?;
        sum += match s.scale.kind {
            ScaleKind::Symptom => 100.0 - x,
            _ => x,
        };
    }
    Some(sum / PARTS.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(s: &'a [ScaleScore], code: &str) -> &'a ScaleScore {
        s.iter().find(|x| x.scale.code == code).unwrap()
    }

    fn close(a: Option<f64>, b: f64) {
        let a = a.expect("scored");
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }

    /// Scores computed by hand from the manual's formulas.
    #[test]
    fn qlq_c30_scales_by_the_manual() {
        let mut r: Vec<(u8, u8)> = Vec::new();
        // Physical functioning 1,2,2,1,3: RS = 9/5 = 1.8,
        // S = (1 − 0.8/3)·100 = 73.333…
        r.extend([(1, 1), (2, 2), (3, 2), (4, 1), (5, 3)]);
        // Global health 5 and 6: RS = 5.5, S = 4.5/6·100 = 75.
        r.extend([(29, 5), (30, 6)]);
        // Fatigue 2, (missing), 3: two of three answered, RS = 2.5,
        // S = 1.5/3·100 = 50.
        r.extend([(10, 2), (18, 3)]);
        // Nausea: only item 15 = 2, half of two answered: RS = 2, S = 33.3…
        r.push((15, 2));
        // Emotional functioning: one of four answered → missing.
        r.push((21, 4));
        // Diarrhoea single item 4: S = 100. Role functioning 4, 4: S = 0.
        r.extend([(17, 4), (6, 4), (7, 4)]);
        let s = score(Questionnaire::QlqC30, &r);
        assert_eq!(s.len(), 15);
        close(get(&s, "PF2").score, (1.0 - 0.8 / 3.0) * 100.0);
        close(get(&s, "PF2").raw, 1.8);
        close(get(&s, "QL2").score, 75.0);
        close(get(&s, "FA").score, 50.0);
        assert_eq!(get(&s, "FA").answered, 2);
        close(get(&s, "NV").score, 100.0 / 3.0);
        assert_eq!(get(&s, "EF").score, None);
        assert_eq!(get(&s, "EF").answered, 1);
        close(get(&s, "DI").score, 100.0);
        close(get(&s, "RF2").score, 0.0);
        // Single items need their item; cognitive functioning has none.
        assert_eq!(get(&s, "SL").score, None);
        assert_eq!(get(&s, "CF").score, None);
        // Not all thirteen: no summary score.
        assert_eq!(c30_summary(&s), None);
    }

    #[test]
    fn out_of_range_responses_count_as_missing() {
        // A 7 on a 1–4 item is not an answer; 7 on item 29 is.
        let s = score(Questionnaire::QlqC30, &[(29, 7), (30, 1), (16, 7)]);
        close(get(&s, "QL2").score, 50.0);
        assert_eq!(get(&s, "CO").score, None);
    }

    #[test]
    fn summary_score_by_hand() {
        // Every 1–4 item answered 2 and the global items 4: functional
        // scales (1 − 1/3)·100 = 66.67, symptom scales 33.33 → 100 − 33.33
        // = 66.67: the summary is 66.67.
        let mut r: Vec<(u8, u8)> = (1..=28).map(|i| (i, 2)).collect();
        r.extend([(29, 4), (30, 4)]);
        let s = score(Questionnaire::QlqC30, &r);
        close(c30_summary(&s), 200.0 / 3.0);
        close(get(&s, "QL2").score, 50.0);
        // Diarrhoea 4 instead: DI = 100, its part 0; the mean drops by
        // 66.67/13.
        r[16] = (17, 4);
        let s = score(Questionnaire::QlqC30, &r);
        close(c30_summary(&s), (12.0 * 200.0 / 3.0) / 13.0);
    }

    #[test]
    fn every_c30_item_belongs_to_one_scale() {
        let mut seen: Vec<u8> = QLQ_C30
            .iter()
            .flat_map(|s| s.items.iter().copied())
            .collect();
        seen.sort();
        assert_eq!(seen, (1..=30).collect::<Vec<u8>>());
        assert!(scales(Questionnaire::QlqGiNet21).is_empty());
    }
}
