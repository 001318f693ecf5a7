//! Partial aggregates sent as JSON messages (`netra_analysis::partial::wire`)
//! and merged in any order give exactly (bit for bit) what the in-memory
//! merge gives, and the pooled-data result; corrupt or hostile messages are
//! errors, never panics.

use netra_analysis::analyses::survival::SurvivalData;
use netra_analysis::partial::SurvivalPartial;
use netra_analysis::partial::wire::{
    CoxRoundWire, Message, MomentsWire, Partial, SpreadWire, SurvivalWire,
};
use netra_stats::cox::{CoxData, CoxOptions, Ties, coxph};
use netra_stats::cuminc::CumIncOptions;
use netra_stats::km::KmOptions;
use netra_stats::logrank::Weights;
use netra_stats::partial::{Rows, SurvivalCounts};
use netra_stats::partial_cox::{
    ColumnMoments, ColumnSpread, CoxPartial, Intervals, Standardisation, fit_partial, fit_parts,
};

/// A small deterministic generator (data, splits, orders, mutations).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() as f64 + 0.5) / (1u64 << 31) as f64
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// Random survival data: whole-day times (many ties), 3 groups,
/// fractional weights when asked.
fn survival_data(rng: &mut Lcg, n: usize, weighted: bool) -> SurvivalData {
    let time = (0..n).map(|_| (rng.below(400) + 1) as f64).collect();
    let event = (0..n).map(|_| rng.unit() < 0.6).collect();
    let group = (0..n).map(|_| rng.below(3) as u32).collect();
    let weights = weighted.then(|| (0..n).map(|_| 0.25 + 2.0 * rng.unit()).collect());
    SurvivalData {
        time,
        event,
        group,
        labels: vec!["a".into(), "b".into(), "c".into()],
        weights,
    }
}

/// Rows `idx` of `d`.
fn subset(d: &SurvivalData, idx: &[usize]) -> SurvivalData {
    SurvivalData {
        time: idx.iter().map(|&i| d.time[i]).collect(),
        event: idx.iter().map(|&i| d.event[i]).collect(),
        group: idx.iter().map(|&i| d.group[i]).collect(),
        labels: d.labels.clone(),
        weights: d
            .weights
            .as_ref()
            .map(|w| idx.iter().map(|&i| w[i]).collect()),
    }
}

/// Cuts row indices 0..n into `k` random parts (some may be empty).
fn split(rng: &mut Lcg, n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut idx: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut idx);
    let mut parts = vec![Vec::new(); k];
    for i in idx {
        parts[rng.below(k)].push(i);
    }
    parts
}

/// A partial sent through JSON text and read back.
fn through_json(p: &SurvivalPartial) -> SurvivalPartial {
    let text = p.to_message().unwrap().to_json().unwrap();
    SurvivalPartial::from_message(&Message::from_json(&text).unwrap()).unwrap()
}

#[test]
fn survival_messages_merge_to_the_in_memory_and_pooled_results_exactly() {
    let mut rng = Lcg(7);
    for round in 0..12 {
        let d = survival_data(&mut rng, 300 + 50 * round, round % 2 == 1);
        let pooled = SurvivalPartial::from_data(&d).unwrap();
        let parts = split(&mut rng, d.time.len(), 2 + round % 4);
        let local: Vec<SurvivalPartial> = parts
            .iter()
            .map(|idx| SurvivalPartial::from_data(&subset(&d, idx)).unwrap())
            .collect();
        let mut order: Vec<usize> = (0..local.len()).collect();
        rng.shuffle(&mut order);
        let mut in_memory = local[0].clone();
        local[1..].iter().for_each(|p| in_memory.merge(p));
        let mut sent = through_json(&local[order[0]]);
        for &i in &order[1..] {
            sent.merge(&through_json(&local[i]));
        }
        // The same cells, bit for bit, whatever the order and the transport.
        assert_eq!(sent, in_memory, "round {round}");
        let o = KmOptions::default();
        let km = |p: &SurvivalPartial| format!("{:?}", p.km_curves(&o).unwrap());
        assert_eq!(km(&sent), km(&pooled), "round {round}");
        let (a, b) = (
            sent.logrank(Weights::LogRank).unwrap(),
            pooled.logrank(Weights::LogRank).unwrap(),
        );
        assert_eq!(a.chisq.to_bits(), b.chisq.to_bits(), "round {round}");
    }
}

#[test]
fn competing_risks_counts_travel_with_their_causes() {
    let mut rng = Lcg(11);
    let n = 400;
    let time: Vec<f64> = (0..n).map(|_| (rng.below(100) + 1) as f64).collect();
    let cause: Vec<u32> = (0..n).map(|_| rng.below(3) as u32).collect();
    let group: Vec<u32> = (0..n).map(|_| rng.below(2) as u32).collect();
    let rows = |idx: &[usize]| {
        let t: Vec<f64> = idx.iter().map(|&i| time[i]).collect();
        let c: Vec<u32> = idx.iter().map(|&i| cause[i]).collect();
        let g: Vec<u32> = idx.iter().map(|&i| group[i]).collect();
        let r = Rows {
            time: &t,
            cause: &c,
            weights: None,
            group: Some(&g),
            stratum: None,
        };
        SurvivalCounts::from_rows(&r, 2, 1).unwrap()
    };
    let all: Vec<usize> = (0..n).collect();
    let pooled = rows(&all);
    let mut merged: Option<SurvivalCounts> = None;
    for idx in split(&mut rng, n, 3) {
        let w = SurvivalWire::from_counts(&rows(&idx)).unwrap();
        let text = Message::new(Partial::Survival(w)).to_json().unwrap();
        let Partial::Survival(back) = Message::from_json(&text).unwrap().partial else {
            panic!("kind changed in transit");
        };
        let c = back.to_counts().unwrap();
        match &mut merged {
            None => merged = Some(c),
            Some(m) => m.merge(&c),
        }
    }
    let merged = merged.unwrap();
    assert_eq!(merged, pooled);
    let o = CumIncOptions::default();
    let a = format!("{:?}", merged.cuminc(1, &o).unwrap());
    let b = format!("{:?}", pooled.cuminc(1, &o).unwrap());
    assert_eq!(a, b);
}

/// Random Cox data: 3 covariates (one binary), whole-day times, 2 strata.
struct CoxRows {
    time: Vec<f64>,
    event: Vec<bool>,
    x: Vec<f64>,
    strata: Vec<u32>,
    names: Vec<String>,
}

impl CoxRows {
    fn new(rng: &mut Lcg, n: usize) -> CoxRows {
        let age: Vec<f64> = (0..n).map(|_| 40.0 + 40.0 * rng.unit()).collect();
        let male: Vec<f64> = (0..n).map(|_| rng.below(2) as f64).collect();
        let ki67: Vec<f64> = (0..n).map(|_| 30.0 * rng.unit()).collect();
        let time = (0..n)
            .map(|i| (1.0 + 500.0 * rng.unit() / (1.0 + ki67[i] / 10.0)).round())
            .collect();
        CoxRows {
            time,
            event: (0..n).map(|_| rng.unit() < 0.7).collect(),
            x: [age, male, ki67].concat(),
            strata: (0..n).map(|_| rng.below(2) as u32).collect(),
            names: vec!["age".into(), "male".into(), "ki67".into()],
        }
    }

    fn select(&self, idx: &[usize]) -> CoxRows {
        let n = self.time.len();
        let col = |j: usize| idx.iter().map(move |&i| self.x[j * n + i]);
        CoxRows {
            time: idx.iter().map(|&i| self.time[i]).collect(),
            event: idx.iter().map(|&i| self.event[i]).collect(),
            x: (0..3).flat_map(col).collect(),
            strata: idx.iter().map(|&i| self.strata[i]).collect(),
            names: self.names.clone(),
        }
    }

    fn data(&self) -> CoxData<'_> {
        CoxData {
            time: &self.time,
            event: &self.event,
            start: None,
            x: &self.x,
            names: &self.names,
            weights: None,
            strata: Some(&self.strata),
            cluster: None,
        }
    }
}

/// Sends a partial as JSON text and reads it back.
fn send(partial: Partial) -> Partial {
    let text = Message::new(partial).to_json().unwrap();
    Message::from_json(&text).unwrap().partial
}

#[test]
fn cox_rounds_through_messages_equal_the_in_memory_fit_and_coxph() {
    let mut rng = Lcg(23);
    let rows = CoxRows::new(&mut rng, 600);
    let parts: Vec<CoxRows> = split(&mut rng, 600, 4)
        .iter()
        .map(|idx| rows.select(idx))
        .collect();
    let opts = CoxOptions::default();

    // Centring rounds, each part's sums as a message.
    let mut moments: Option<ColumnMoments> = None;
    for p in &parts {
        let w = MomentsWire::from_moments(&ColumnMoments::from_rows(&p.data()).unwrap()).unwrap();
        let Partial::CoxMoments(back) = send(Partial::CoxMoments(w)) else {
            panic!("kind changed in transit");
        };
        let m = back.to_moments().unwrap();
        match &mut moments {
            None => moments = Some(m),
            Some(all) => all.merge(&m).unwrap(),
        }
    }
    let moments = moments.unwrap();
    let means = moments.means();
    let mut spread: Option<ColumnSpread> = None;
    for p in parts.iter().rev() {
        let s = ColumnSpread::from_rows(&p.data(), &means).unwrap();
        let Partial::CoxSpread(back) =
            send(Partial::CoxSpread(SpreadWire::from_spread(&s).unwrap()))
        else {
            panic!("kind changed in transit");
        };
        let s = back.to_spread().unwrap();
        match &mut spread {
            None => spread = Some(s),
            Some(all) => all.merge(&s).unwrap(),
        }
    }
    let std = Standardisation::new(&moments, &spread.unwrap());

    // Newton rounds: every part answers through a message, merged in a
    // different order each round.
    let mut order: Vec<usize> = (0..parts.len()).collect();
    let round = |beta: &[f64]| -> Result<CoxPartial, String> {
        rng.shuffle(&mut order);
        let mut merged: Option<CoxPartial> = None;
        for &i in &order {
            let p = CoxPartial::from_rows(&parts[i].data(), &std, beta, Ties::Efron)
                .map_err(|e| e.to_string())?;
            let w = CoxRoundWire::from_partial(&p).map_err(|e| e.to_string())?;
            let Partial::CoxRound(back) = send(Partial::CoxRound(w)) else {
                return Err("kind changed in transit".into());
            };
            let p = back.to_partial().map_err(|e| e.to_string())?;
            match &mut merged {
                None => merged = Some(p),
                Some(m) => m.merge(&p).map_err(|e| e.to_string())?,
            }
        }
        merged.ok_or_else(|| "no parts".to_string())
    };
    let sent = fit_partial(&rows.names, &std, Intervals::RightCensored, &opts, round).unwrap();

    let datas: Vec<CoxData<'_>> = parts.iter().map(CoxRows::data).collect();
    let in_memory = fit_parts(&datas, &rows.names, &opts).unwrap();
    let pooled = coxph(&rows.data(), &opts).unwrap();
    for ((a, b), c) in sent
        .coefficients
        .iter()
        .zip(&in_memory.coefficients)
        .zip(&pooled.coefficients)
    {
        let (a, b, c) = (a.coef.unwrap(), b.coef.unwrap(), c.coef.unwrap());
        assert!((a - b).abs() <= 1e-12 * b.abs(), "{a} vs in memory {b}");
        assert!((a - c).abs() <= 1e-9 * c.abs(), "{a} vs coxph {c}");
    }
    let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
    assert!(rel(sent.loglik, in_memory.loglik) <= 1e-12);
    assert!(rel(sent.lr_test.chisq, pooled.lr_test.chisq) <= 1e-9);
}

/// A valid survival message as JSON text.
fn valid_survival_text() -> String {
    let mut rng = Lcg(5);
    let d = survival_data(&mut rng, 60, true);
    SurvivalPartial::from_data(&d)
        .unwrap()
        .to_message()
        .unwrap()
        .to_json()
        .unwrap()
}

/// Reads and evaluates a message as a coordinator would; any error is fine.
fn read_and_evaluate(text: &str) -> bool {
    let Ok(m) = Message::from_json(text) else {
        return false;
    };
    let Ok(p) = SurvivalPartial::from_message(&m) else {
        return false;
    };
    let _ = p.km_curves(&KmOptions::default());
    let _ = p.logrank(Weights::LogRank);
    true
}

/// Damages one field of a message.
type Breaker = fn(&mut serde_json::Value);

#[test]
fn broken_survival_messages_are_refused_with_the_reason() {
    let text = valid_survival_text();
    assert!(read_and_evaluate(&text));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases: [(&str, Breaker); 6] = [
        ("negative time", |v| {
            v["partial"]["cells"][0]["time"] = (-1.0).into()
        }),
        ("more events than rows", |v| {
            v["partial"]["cells"][0]["event_rows"] = 99.into()
        }),
        ("cells out of order", |v| {
            let cells = v["partial"]["cells"].as_array_mut().unwrap();
            cells.swap(0, 1);
        }),
        ("group beyond the declared groups", |v| {
            v["partial"]["groups"] = 1.into()
        }),
        ("a missing sum", |v| {
            v["partial"]["cells"][0]["event_weight"] = serde_json::Value::Null
        }),
        ("negative weight sum", |v| {
            v["partial"]["cells"][0]["censor_weight"] = serde_json::json!([-1.0, 0.0])
        }),
    ];
    for (what, break_it) in cases {
        let mut broken = v.clone();
        break_it(&mut broken);
        let m = Message::from_json(&broken.to_string());
        let err = match m {
            Err(e) => e.to_string(),
            Ok(m) => SurvivalPartial::from_message(&m).unwrap_err().to_string(),
        };
        assert!(err.contains("partial aggregate message"), "{what}: {err}");
    }
}

#[test]
fn mutated_messages_never_panic() {
    let text = valid_survival_text().into_bytes();
    let mut rng = Lcg(99);
    let alphabet = b"0123456789-.,:[]{}\"eE+ naflsetru";
    let mut accepted = 0;
    for _ in 0..3000 {
        let mut t = text.clone();
        for _ in 0..1 + rng.below(3) {
            let i = rng.below(t.len());
            t[i] = alphabet[rng.below(alphabet.len())];
        }
        if read_and_evaluate(&String::from_utf8_lossy(&t)) {
            accepted += 1;
        }
    }
    // Some mutations keep a valid message (a changed digit of a weight);
    // most do not. Neither may panic.
    assert!(accepted < 3000);
}
