//! Tests of proportional hazards and scaled Schoenfeld residuals, as R's
//! `cox.zph(fit, transform, terms = TRUE, global = TRUE)` (survival ≥ 3.0,
//! C routines `zph1`/`zph2`).
//!
//! For a time transform g (the Kaplan–Meier transform `1 − S(t−)` by
//! default, the rank of the time, or the time itself), centred at its mean
//! over the events, the model is augmented with covariates `x·g(t)` and
//! the score test of their coefficients is computed at the fitted β
//! (one-step score test with the fitted coefficients held, using the full
//! `2p × 2p` information of (x, x·g)). A term's test uses the rows and
//! columns of all `p` original covariates plus that term's augmented
//! columns, so a factor is tested as one term with as many degrees of
//! freedom as it has columns; the global test uses all of them.
//!
//! Scaled Schoenfeld residuals (for plotting β(t)) are the Schoenfeld
//! residuals times the inverse of the average information per event, plus
//! the coefficient; for a multi-column term they are combined with the
//! coefficients first (a "term" residual, centred at 1), as R does.

use super::chol::{SymMat, solve_general};
use super::{ChisqTest, CoxData, CoxError, CoxFit, Ties, timefix};
use crate::model::DesignTerm;

/// The time transform of the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ZphTransform {
    /// `1 − S(t−)`, S the Kaplan–Meier estimate of all rows (R's default).
    #[default]
    Km,
    /// The rank of the time among all rows (ties averaged).
    Rank,
    /// The time itself.
    Identity,
}

impl ZphTransform {
    /// R's name of the transform.
    pub fn name(self) -> &'static str {
        match self {
            ZphTransform::Km => "km",
            ZphTransform::Rank => "rank",
            ZphTransform::Identity => "identity",
        }
    }
}

/// The test of one term.
#[derive(Debug, Clone, PartialEq)]
pub struct ZphTerm {
    /// Term label (`age`, `factor(grade)`).
    pub name: String,
    /// Chi-square statistic.
    pub chisq: f64,
    /// Degrees of freedom (columns of the term).
    pub df: usize,
    /// p-value.
    pub p: f64,
}

/// Scaled Schoenfeld residuals, one row per event, for plotting β(t).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScaledSchoenfeld {
    /// Event times, in R's order (stratum, then time).
    pub time: Vec<f64>,
    /// The transformed times `g(t)` (the x axis of `plot(cox.zph)`).
    pub x: Vec<f64>,
    /// Term names, one per residual column.
    pub names: Vec<String>,
    /// Residuals per term (`residuals[k][event]`); NaN where a covariate is
    /// constant within the event's stratum (R's `NA`).
    pub residuals: Vec<Vec<f64>>,
}

/// The result of [`cox_zph`].
#[derive(Debug, Clone, PartialEq)]
pub struct Zph {
    /// Transform used.
    pub transform: ZphTransform,
    /// One test per term.
    pub terms: Vec<ZphTerm>,
    /// Global test.
    pub global: ChisqTest,
    /// Scaled Schoenfeld residuals.
    pub schoenfeld: ScaledSchoenfeld,
}

/// Runs R's `cox.zph` on a fit. `data` must be the data the model was
/// fitted to (clusters are not used); `terms` the design's terms, which say
/// which columns form one term.
pub fn cox_zph(
    fit: &CoxFit,
    data: &CoxData<'_>,
    terms: &[DesignTerm],
    transform: ZphTransform,
) -> Result<Zph, CoxError> {
    super::validate(
        data,
        &super::CoxOptions {
            conf_level: fit.conf_level,
            ..super::CoxOptions::default()
        },
    )?;
    let n = data.time.len();
    if fit.n != n || data.names.len() != fit.coefficients.len() {
        return Err(CoxError::LengthMismatch(
            "the data are not those of the fit".into(),
        ));
    }
    let fixed = timefix(data.time, data.start)?;
    let (stop, start): (&[f64], Option<&[f64]>) = match &fixed {
        Some((s, st)) => (s, st.as_deref()),
        None => (data.time, data.start),
    };
    let event = data.event;

    // Columns with a coefficient; terms renumbered onto them.
    let keep: Vec<usize> = (0..fit.coefficients.len())
        .filter(|&j| fit.coefficients[j].coef.is_some())
        .collect();
    let p = keep.len();
    if p == 0 {
        return Err(CoxError::NoCovariates);
    }
    let fcoef: Vec<f64> = keep
        .iter()
        .map(|&j| fit.coefficients[j].coef.unwrap_or(0.0))
        .collect();
    let mut asgn: Vec<(String, Vec<usize>)> = Vec::new();
    for t in terms {
        let cols: Vec<usize> = t
            .columns
            .clone()
            .filter_map(|j| keep.iter().position(|&k| k == j))
            .collect();
        if !cols.is_empty() {
            asgn.push((t.label.clone(), cols));
        }
    }
    // Covariates, column-major, recentred by their unweighted mean.
    let mut x = vec![0.0; n * p];
    for (c, &j) in keep.iter().enumerate() {
        let col = &data.x[j * n..(j + 1) * n];
        let mean = col.iter().sum::<f64>() / n as f64;
        for i in 0..n {
            x[c * n + i] = col[i] - mean;
        }
    }

    let ttimes = match transform {
        ZphTransform::Identity => stop.to_vec(),
        ZphTransform::Rank => average_ranks(stop),
        ZphTransform::Km => km_transform(stop, start, event),
    };
    let n_events = event.iter().filter(|&&e| e).count();
    let gmean = ttimes
        .iter()
        .zip(event)
        .filter(|(_, e)| **e)
        .map(|(t, _)| t)
        .sum::<f64>()
        / n_events as f64;
    let gtime: Vec<f64> = ttimes.iter().map(|t| t - gmean).collect();

    let stratum = |i: usize| data.strata.map_or(0u32, |s| s[i]);
    let efron = fit.ties == Ties::Efron;
    let mut acc = Acc::new(p, n_events);
    let wt = |i: usize| data.weights.map_or(1.0, |w| w[i]);
    let eta = &fit.linear_predictors;
    let xrow = |i: usize, out: &mut [f64]| {
        for c in 0..p {
            out[c] = x[c * n + i];
        }
    };
    let mut xi = vec![0.0; p];

    // Event order of the residuals, and the strata "used" table.
    let event_order: Vec<usize>;
    match start {
        None => {
            let mut ord: Vec<usize> = (0..n).collect();
            ord.sort_by(|&a, &b| {
                stratum(a)
                    .cmp(&stratum(b))
                    .then(stop[a].total_cmp(&stop[b]))
            });
            event_order = ord.iter().copied().filter(|&i| event[i]).collect();
            // Row of each event in the residual matrix.
            let mut slot = vec![usize::MAX; n];
            for (k, &i) in event_order.iter().enumerate() {
                slot[i] = k;
            }
            let mut ip = n;
            while ip > 0 {
                let s = stratum(ord[ip - 1]);
                acc.reset_risk();
                while ip > 0 && stratum(ord[ip - 1]) == s {
                    let t = stop[ord[ip - 1]];
                    let g = gtime[ord[ip - 1]];
                    acc.begin_time();
                    while ip > 0 && stratum(ord[ip - 1]) == s && stop[ord[ip - 1]] == t {
                        let i = ord[ip - 1];
                        xrow(i, &mut xi);
                        let r = eta[i].exp() * wt(i);
                        if event[i] {
                            acc.add_death(&xi, r, wt(i), g, slot[i]);
                        } else {
                            acc.add_risk(&xi, r);
                        }
                        ip -= 1;
                    }
                    acc.end_time(efron, true, g);
                }
            }
        }
        Some(st) => {
            let mut sort2: Vec<usize> = (0..n).collect();
            sort2.sort_by(|&a, &b| {
                stratum(b)
                    .cmp(&stratum(a))
                    .then(stop[b].total_cmp(&stop[a]))
            });
            let mut sort1: Vec<usize> = (0..n).collect();
            sort1.sort_by(|&a, &b| stratum(b).cmp(&stratum(a)).then(st[b].total_cmp(&st[a])));
            let ev2: Vec<usize> = sort2.iter().copied().filter(|&i| event[i]).collect();
            let mut slot = vec![usize::MAX; n];
            for (k, &i) in ev2.iter().enumerate() {
                slot[i] = n_events - 1 - k;
            }
            event_order = ev2.into_iter().rev().collect();
            let mut keep_row = vec![false; n];
            let mut person = 0;
            let mut indx1 = 0;
            let mut nrisk = 0usize;
            let mut cstrat: Option<u32> = None;
            while person < n {
                // Next death, resetting at a new stratum.
                let mut k = person;
                let mut found = None;
                while k < n {
                    let s = stratum(sort2[k]);
                    if cstrat != Some(s) {
                        cstrat = Some(s);
                        acc.reset_risk();
                        nrisk = 0;
                        person = k;
                        indx1 = k;
                    }
                    if event[sort2[k]] {
                        found = Some(sort2[k]);
                        break;
                    }
                    k += 1;
                }
                let Some(first_death) = found else {
                    break;
                };
                let cs = cstrat.unwrap_or(0);
                let dtime = stop[first_death];
                let g = gtime[first_death];
                while indx1 < n {
                    let i = sort1[indx1];
                    if stratum(i) != cs || st[i] < dtime {
                        break;
                    }
                    indx1 += 1;
                    if !keep_row[i] {
                        continue;
                    }
                    nrisk -= 1;
                    if nrisk == 0 {
                        acc.reset_risk();
                    } else {
                        xrow(i, &mut xi);
                        acc.add_risk(&xi, -(eta[i].exp() * wt(i)));
                    }
                }
                acc.begin_time();
                while person < n {
                    let i = sort2[person];
                    if stratum(i) != cs || stop[i] < dtime {
                        break;
                    }
                    let r = eta[i].exp() * wt(i);
                    if event[i] {
                        keep_row[i] = true;
                        nrisk += 1;
                        xrow(i, &mut xi);
                        acc.add_death(&xi, r, wt(i), g, slot[i]);
                    } else if st[i] < dtime {
                        keep_row[i] = true;
                        nrisk += 1;
                        xrow(i, &mut xi);
                        acc.add_risk(&xi, r);
                    }
                    person += 1;
                }
                acc.end_time(efron, false, g);
            }
        }
    }

    // Which covariates vary within each stratum ("used"), in stratum order.
    let mut strata_ids: Vec<u32> = (0..n).map(stratum).collect();
    strata_ids.sort_unstable();
    strata_ids.dedup();
    let nstrat = strata_ids.len();
    let mut used = vec![vec![0usize; p]; nstrat];
    for (si, &s) in strata_ids.iter().enumerate() {
        let rows: Vec<usize> = (0..n).filter(|&i| stratum(i) == s).collect();
        let nd = rows.iter().filter(|&&i| event[i]).count();
        for c in 0..p {
            let first = x[c * n + rows[0]];
            if rows.iter().any(|&i| x[c * n + i] != first) {
                used[si][c] = nd;
            }
        }
    }

    // Tests.
    let p2 = 2 * p;
    let imat = SymMat {
        p: p2,
        v: acc.imat.clone(),
    };
    let score_test = |cols: &[usize]| -> f64 {
        let kk: Vec<usize> = (0..p).chain(cols.iter().map(|&j| j + p)).collect();
        let sub = imat.select(&kk);
        let u: Vec<f64> = (0..p)
            .map(|_| 0.0)
            .chain(cols.iter().map(|&j| acc.u[j + p]))
            .collect();
        solve_general(&sub, &u)
            .map(|s| s.iter().zip(&u).map(|(a, b)| a * b).sum())
            .unwrap_or(f64::NAN)
    };
    let term_tests: Vec<ZphTerm> = asgn
        .iter()
        .map(|(name, cols)| {
            let t = ChisqTest::new(score_test(cols), cols.len());
            ZphTerm {
                name: name.clone(),
                chisq: t.chisq,
                df: t.df,
                p: t.p,
            }
        })
        .collect();
    let all: Vec<usize> = (0..p).collect();
    let global = ChisqTest::new(score_test(&all), p);

    let schoenfeld = scaled_schoenfeld(
        &acc,
        &imat,
        &used,
        &asgn,
        &fcoef,
        &event_order,
        stop,
        &ttimes,
    );
    Ok(Zph {
        transform,
        terms: term_tests,
        global,
        schoenfeld,
    })
}

#[allow(clippy::too_many_arguments)]
fn scaled_schoenfeld(
    acc: &Acc,
    imat: &SymMat,
    used: &[Vec<usize>],
    asgn: &[(String, Vec<usize>)],
    fcoef: &[f64],
    event_order: &[usize],
    stop: &[f64],
    ttimes: &[f64],
) -> ScaledSchoenfeld {
    let p = fcoef.len();
    let ne = event_order.len();
    let mut used: Vec<Vec<usize>> = used.to_vec();
    for (_, cols) in asgn {
        if cols.len() > 1 {
            for row in used.iter_mut() {
                if cols.iter().any(|&c| row[c] == 0) {
                    let m = cols.iter().map(|&c| row[c]).max().unwrap_or(0);
                    for &c in cols {
                        row[c] = m;
                    }
                }
            }
        }
    }
    // Average information per event.
    let mut vmean = SymMat::zeros(p);
    for a in 0..p {
        for b in 0..p {
            let w: usize = used.iter().map(|row| row[a].min(row[b])).sum();
            vmean.set(a, b, imat.get(a, b) / if w == 0 { 1.0 } else { w as f64 });
        }
    }
    // Residual matrix ne × p (row-major).
    let mut sres = acc.schoen.clone();
    let mut cols_out = p;
    let combine = asgn.iter().any(|(_, c)| c.len() > 1);
    if combine {
        let nt = asgn.len();
        let mut temp = vec![0.0; p * nt];
        for (ti, (_, cols)) in asgn.iter().enumerate() {
            for &j in cols {
                temp[j * nt + ti] = if cols.len() == 1 { 1.0 } else { fcoef[j] };
            }
        }
        let mut s2 = vec![0.0; ne * nt];
        for r in 0..ne {
            for ti in 0..nt {
                s2[r * nt + ti] = (0..p).map(|j| sres[r * p + j] * temp[j * nt + ti]).sum();
            }
        }
        let mut v2 = SymMat::zeros(nt);
        for a in 0..nt {
            for b in 0..nt {
                let mut s = 0.0;
                for i in 0..p {
                    for j in 0..p {
                        s += temp[i * nt + a] * vmean.get(i, j) * temp[j * nt + b];
                    }
                }
                v2.set(a, b, s);
            }
        }
        sres = s2;
        vmean = v2;
        used = used
            .iter()
            .map(|row| asgn.iter().map(|(_, c)| row[c[0]]).collect())
            .collect();
        cols_out = nt;
    }
    // Events grouped by stratum: the first max(used[0]) rows, then the next…
    let mut r0 = 0;
    for row in &used {
        let cnt = row.iter().copied().max().unwrap_or(0);
        let k: Vec<usize> = (0..cols_out).filter(|&c| row[c] > 0).collect();
        let r1 = (r0 + cnt).min(ne);
        if !k.is_empty() {
            let sub = vmean.select(&k);
            for r in r0..r1 {
                let rhs: Vec<f64> = k.iter().map(|&c| sres[r * cols_out + c]).collect();
                let sol = solve_general(&sub, &rhs).unwrap_or_else(|| vec![f64::NAN; k.len()]);
                for c in 0..cols_out {
                    sres[r * cols_out + c] = f64::NAN;
                }
                for (&c, v) in k.iter().zip(sol) {
                    sres[r * cols_out + c] = v;
                }
            }
        }
        r0 = r1;
    }
    let mut residuals = vec![vec![0.0; ne]; cols_out];
    let names: Vec<String> = if combine {
        asgn.iter().map(|(n, _)| n.clone()).collect()
    } else {
        let mut v = vec![String::new(); p];
        for (name, cols) in asgn {
            v[cols[0]] = name.clone();
        }
        v
    };
    for (c, col) in residuals.iter_mut().enumerate() {
        let add = if combine {
            let cols = &asgn[c].1;
            if cols.len() == 1 { fcoef[cols[0]] } else { 1.0 }
        } else {
            fcoef[c]
        };
        for r in 0..ne {
            col[r] = sres[r * cols_out + c] + add;
        }
    }
    ScaledSchoenfeld {
        time: event_order.iter().map(|&i| stop[i]).collect(),
        x: event_order.iter().map(|&i| ttimes[i]).collect(),
        names,
        residuals,
    }
}

/// Running sums of the augmented score test (x and x·g).
struct Acc {
    p: usize,
    u: Vec<f64>,
    /// `2p × 2p`, row-major.
    imat: Vec<f64>,
    /// Schoenfeld residuals, `n_events × p`, row-major.
    schoen: Vec<f64>,
    denom: f64,
    a: Vec<f64>,
    cmat: Vec<f64>,
    denom2: f64,
    a2: Vec<f64>,
    cmat2: Vec<f64>,
    deadwt: f64,
    dead_slots: Vec<usize>,
}

impl Acc {
    fn new(p: usize, n_events: usize) -> Acc {
        Acc {
            p,
            u: vec![0.0; 2 * p],
            imat: vec![0.0; 4 * p * p],
            schoen: vec![0.0; n_events * p],
            denom: 0.0,
            a: vec![0.0; p],
            cmat: vec![0.0; p * p],
            denom2: 0.0,
            a2: vec![0.0; p],
            cmat2: vec![0.0; p * p],
            deadwt: 0.0,
            dead_slots: Vec::new(),
        }
    }

    fn reset_risk(&mut self) {
        self.denom = 0.0;
        self.a.iter_mut().for_each(|v| *v = 0.0);
        self.cmat.iter_mut().for_each(|v| *v = 0.0);
    }

    fn begin_time(&mut self) {
        self.denom2 = 0.0;
        self.deadwt = 0.0;
        self.a2.iter_mut().for_each(|v| *v = 0.0);
        self.cmat2.iter_mut().for_each(|v| *v = 0.0);
        self.dead_slots.clear();
    }

    fn add_risk(&mut self, x: &[f64], r: f64) {
        let p = self.p;
        self.denom += r;
        for i in 0..p {
            self.a[i] += r * x[i];
            for j in 0..p {
                self.cmat[i * p + j] += r * x[i] * x[j];
            }
        }
    }

    fn add_death(&mut self, x: &[f64], r: f64, w: f64, g: f64, slot: usize) {
        let p = self.p;
        self.denom2 += r;
        self.deadwt += w;
        for i in 0..p {
            self.schoen[slot * p + i] = x[i];
            self.u[i] += w * x[i];
            self.u[i + p] += g * w * x[i];
            self.a2[i] += r * x[i];
            for j in 0..p {
                self.cmat2[i * p + j] += r * x[i] * x[j];
            }
        }
        self.dead_slots.push(slot);
    }

    /// Adds a time's events. `efron_single`: use Efron's form even for one
    /// event (zph1 does; identical in value, kept for the same rounding).
    fn end_time(&mut self, efron: bool, efron_single: bool, g: f64) {
        let p = self.p;
        let nd = self.dead_slots.len();
        if nd == 0 {
            return;
        }
        let breslow = !efron || (nd == 1 && !efron_single);
        if breslow {
            self.denom += self.denom2;
            for i in 0..p {
                self.a[i] += self.a2[i];
                for j in 0..p {
                    self.cmat[i * p + j] += self.cmat2[i * p + j];
                }
            }
            self.accumulate(self.deadwt, g);
            for &s in &self.dead_slots {
                for i in 0..p {
                    self.schoen[s * p + i] -= self.a[i] / self.denom;
                }
            }
        } else {
            let d = nd as f64;
            let wtave = self.deadwt / d;
            for i in 0..p {
                let mut tmean = 0.0;
                for k in 0..nd {
                    let f = (k + 1) as f64 / d;
                    tmean += (self.a[i] + self.a2[i] * f) / (self.denom + self.denom2 * f);
                }
                for &s in &self.dead_slots {
                    self.schoen[s * p + i] -= tmean / d;
                }
            }
            for _ in 0..nd {
                self.denom += self.denom2 / d;
                for i in 0..p {
                    self.a[i] += self.a2[i] / d;
                    for j in 0..p {
                        self.cmat[i * p + j] += self.cmat2[i * p + j] / d;
                    }
                }
                self.accumulate(wtave, g);
            }
        }
    }

    fn accumulate(&mut self, wt: f64, g: f64) {
        let p = self.p;
        let p2 = 2 * p;
        for i in 0..p {
            let mean_i = self.a[i] / self.denom;
            self.u[i] -= wt * mean_i;
            self.u[i + p] -= g * wt * mean_i;
            for j in 0..p {
                let v = wt * (self.cmat[i * p + j] - mean_i * self.a[j]) / self.denom;
                self.imat[i * p2 + j] += v;
                self.imat[i * p2 + j + p] += v * g;
                self.imat[(i + p) * p2 + j] += v * g;
                self.imat[(i + p) * p2 + j + p] += v * g * g;
            }
        }
    }
}

/// R's `rank()` with ties averaged (1-based).
fn average_ranks(v: &[f64]) -> Vec<f64> {
    let n = v.len();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut out = vec![0.0; n];
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && v[idx[j]] == v[idx[i]] {
            j += 1;
        }
        let r = (i + 1 + j) as f64 / 2.0;
        for &k in &idx[i..j] {
            out[k] = r;
        }
        i = j;
    }
    out
}

/// `1 − S(t−)` for each row, S the unweighted Kaplan–Meier estimate of all
/// rows ((start, stop] risk sets when starts are given).
fn km_transform(stop: &[f64], start: Option<&[f64]>, event: &[bool]) -> Vec<f64> {
    let n = stop.len();
    let mut times: Vec<f64> = (0..n).filter(|&i| event[i]).map(|i| stop[i]).collect();
    times.sort_by(f64::total_cmp);
    times.dedup();
    let mut stops = stop.to_vec();
    stops.sort_by(f64::total_cmp);
    let starts: Option<Vec<f64>> = start.map(|s| {
        let mut v = s.to_vec();
        v.sort_by(f64::total_cmp);
        v
    });
    let mut deaths: Vec<f64> = (0..n).filter(|&i| event[i]).map(|i| stop[i]).collect();
    deaths.sort_by(f64::total_cmp);
    // S just after each event time.
    let mut surv = Vec::with_capacity(times.len());
    let mut s = 1.0;
    for &t in &times {
        let at_risk_stop = n - stops.partition_point(|&v| v < t);
        let entered_later = starts
            .as_ref()
            .map_or(0, |st| n - st.partition_point(|&v| v < t));
        let nrisk = (at_risk_stop - entered_later) as f64;
        let d = (deaths.partition_point(|&v| v <= t) - deaths.partition_point(|&v| v < t)) as f64;
        s *= 1.0 - d / nrisk;
        surv.push(s);
    }
    stop.iter()
        .map(|&t| {
            let k = times.partition_point(|&v| v < t);
            1.0 - if k == 0 { 1.0 } else { surv[k - 1] }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cox::{CoxOptions, coxph};

    #[test]
    fn ranks_average_ties() {
        assert_eq!(
            average_ranks(&[3.0, 1.0, 3.0, 2.0]),
            vec![3.5, 1.0, 3.5, 2.0]
        );
    }

    #[test]
    fn km_transform_is_one_minus_s_before_t() {
        // 4 at risk at 1 (one event): S = 3/4; after the censoring at 1.5,
        // 2 at risk at 2 (one event): S = 3/4 · 1/2.
        let t = [1.0, 1.5, 2.0, 3.0];
        let e = [true, false, true, false];
        let g = km_transform(&t, None, &e);
        assert_eq!(g[0], 0.0);
        assert!((g[1] - 0.25).abs() < 1e-15);
        assert!((g[2] - 0.25).abs() < 1e-15);
        assert!((g[3] - (1.0 - 0.75 * 0.5)).abs() < 1e-15);
    }

    #[test]
    fn data_not_of_the_fit_is_an_error() {
        let names = vec!["x".to_string()];
        let time = [5.0, 8.0, 3.0, 9.0, 12.0];
        let event = [true, false, true, true, false];
        let x = [0.3, -0.2, 0.9, 0.1, -1.0];
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
        let fit = coxph(&data, &CoxOptions::default()).unwrap();
        let terms = [DesignTerm {
            label: "x".into(),
            columns: 0..1,
        }];
        assert!(cox_zph(&fit, &data, &terms, ZphTransform::Km).is_ok());
        let short = CoxData {
            time: &time[..4],
            event: &event[..4],
            x: &x[..4],
            ..data
        };
        assert!(cox_zph(&fit, &short, &terms, ZphTransform::Km).is_err());
        let bad_strata = CoxData {
            strata: Some(&[0, 1]),
            ..data
        };
        assert!(cox_zph(&fit, &bad_strata, &terms, ZphTransform::Km).is_err());
    }
}
