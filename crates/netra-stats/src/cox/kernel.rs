//! The partial log-likelihood, its gradient (score) and the information
//! matrix in one backward pass over the sorted data: O(n·p²), no allocation.
//!
//! Walking times from the largest down, the risk-set sums
//! `S0 = Σ w·r`, `S1 = Σ w·r·x`, `S2 = Σ w·r·x·x'` (with `r = exp(x·β)`)
//! grow by each row as its time is reached and, for (start, stop] data,
//! shrink as a start time is passed. At an event time with `d` events of
//! total weight `D`:
//!
//! * Breslow: `ℓ += Σ_events w·η − D·log S0`, `U += Σ w·x − D·S1/S0`,
//!   `I += D·(S2/S0 − (S1/S0)(S1/S0)')`;
//! * Efron: the events leave the risk set in `d` equal steps; for
//!   `k = 0..d-1` the sums are `S − (k/d)·S_events`, each step carrying
//!   weight `D/d` (survival's `coxfit6`/`agfit4` formulation, including the
//!   mean-weight convention for weighted tied events).
//!
//! Matrices are kept as packed lower triangles (row `i` holds `0..=i`).

use super::prepare::Prepared;

/// Score and information at one β, plus the scratch space to compute them.
#[derive(Debug, Clone)]
pub(crate) struct Eval {
    pub p: usize,
    pub loglik: f64,
    pub u: Vec<f64>,
    /// Packed lower triangle of the information matrix.
    pub imat: Vec<f64>,
    a: Vec<f64>,
    a2: Vec<f64>,
    cmat: Vec<f64>,
    cmat2: Vec<f64>,
    /// Risk weight of each position, for removals ((start, stop] only).
    risk: Vec<f64>,
}

impl Eval {
    pub fn new(prep: &Prepared) -> Eval {
        let p = prep.p;
        let np = p * (p + 1) / 2;
        Eval {
            p,
            loglik: 0.0,
            u: vec![0.0; p],
            imat: vec![0.0; np],
            a: vec![0.0; p],
            a2: vec![0.0; p],
            cmat: vec![0.0; np],
            cmat2: vec![0.0; np],
            risk: if prep.start.is_some() {
                vec![0.0; prep.n]
            } else {
                Vec::new()
            },
        }
    }

    /// Evaluates at `beta` (in the centred, scaled coordinates of `prep`).
    pub fn run(&mut self, prep: &Prepared, beta: &[f64], efron: bool) {
        let p = self.p;
        self.loglik = 0.0;
        self.u.iter_mut().for_each(|v| *v = 0.0);
        self.imat.iter_mut().for_each(|v| *v = 0.0);
        let counting = prep.start.is_some();

        for (b, &(b0, b1)) in prep.blocks.iter().enumerate() {
            let mut denom = 0.0;
            self.a.iter_mut().for_each(|v| *v = 0.0);
            self.cmat.iter_mut().for_each(|v| *v = 0.0);
            let mut nrisk: usize = 0;
            let (mut rem, rem_end) = if counting {
                let begin = prep.removal_begin[b];
                (begin, begin + (b1 - b0))
            } else {
                (0, 0)
            };

            let mut i = b0;
            while i < b1 {
                let t = prep.stop[i];
                let mut j = i + 1;
                while j < b1 && prep.stop[j] == t {
                    j += 1;
                }
                let has_event = prep.event[i..j].iter().any(|&e| e);

                if counting && has_event {
                    let start = prep.start.as_deref().expect("counting data has starts");
                    while rem < rem_end {
                        let pos = prep.removal[rem] as usize;
                        if start[pos] < t {
                            break;
                        }
                        rem += 1;
                        nrisk -= 1;
                        if nrisk == 0 {
                            // Everyone has left: reset rather than carry
                            // round-off (as agfit4 does).
                            denom = 0.0;
                            self.a.iter_mut().for_each(|v| *v = 0.0);
                            self.cmat.iter_mut().for_each(|v| *v = 0.0);
                        } else {
                            let r = self.risk[pos];
                            let x = &prep.x[pos * p..(pos + 1) * p];
                            denom -= r;
                            add_outer(&mut self.a, &mut self.cmat, x, -r);
                        }
                    }
                }

                let mut denom2 = 0.0;
                let mut deadwt = 0.0;
                let mut ndead = 0usize;
                if has_event {
                    self.a2.iter_mut().for_each(|v| *v = 0.0);
                    self.cmat2.iter_mut().for_each(|v| *v = 0.0);
                }
                for pos in i..j {
                    let x = &prep.x[pos * p..(pos + 1) * p];
                    let eta = dot(beta, x);
                    let w = prep.weight[pos];
                    let r = eta.exp() * w;
                    if counting {
                        self.risk[pos] = r;
                        nrisk += 1;
                    }
                    if prep.event[pos] {
                        ndead += 1;
                        deadwt += w;
                        denom2 += r;
                        self.loglik += w * eta;
                        for (uk, xk) in self.u.iter_mut().zip(x) {
                            *uk += w * xk;
                        }
                        add_outer(&mut self.a2, &mut self.cmat2, x, r);
                    } else {
                        denom += r;
                        add_outer(&mut self.a, &mut self.cmat, x, r);
                    }
                }

                if ndead > 0 {
                    if !efron || ndead == 1 {
                        denom += denom2;
                        self.loglik -= deadwt * denom.ln();
                        for k in 0..p {
                            self.a[k] += self.a2[k];
                        }
                        for (c, c2) in self.cmat.iter_mut().zip(&self.cmat2) {
                            *c += c2;
                        }
                        self.add_information(denom, deadwt);
                    } else {
                        let d = ndead as f64;
                        let wtave = deadwt / d;
                        for _ in 0..ndead {
                            denom += denom2 / d;
                            self.loglik -= wtave * denom.ln();
                            for k in 0..p {
                                self.a[k] += self.a2[k] / d;
                            }
                            for (c, c2) in self.cmat.iter_mut().zip(&self.cmat2) {
                                *c += c2 / d;
                            }
                            self.add_information(denom, wtave);
                        }
                    }
                }
                i = j;
            }
        }
    }

    /// `U -= wt·a/denom`, `I += wt·(cmat − a a'/denom)/denom`.
    #[inline]
    fn add_information(&mut self, denom: f64, wt: f64) {
        let mut k = 0;
        for i in 0..self.p {
            let mean_i = self.a[i] / denom;
            self.u[i] -= wt * mean_i;
            for j in 0..=i {
                self.imat[k] += wt * (self.cmat[k] - mean_i * self.a[j]) / denom;
                k += 1;
            }
        }
    }
}

#[inline]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `a += r·x`, `cmat += r·x·x'` (packed lower).
#[inline]
fn add_outer(a: &mut [f64], cmat: &mut [f64], x: &[f64], r: f64) {
    let mut k = 0;
    for (i, &xi) in x.iter().enumerate() {
        let rx = r * xi;
        a[i] += rx;
        for &xj in &x[..=i] {
            cmat[k] += rx * xj;
            k += 1;
        }
    }
}
