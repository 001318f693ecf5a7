//! One cell of a [`super::SurvivalCounts`]: the additive sums of the rows
//! that share a (time, stratum, group).

use super::sum::Sum2;

/// Weighted events of one cause in a cell (competing risks).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CauseSum {
    /// The cause (≥ 1; 0 is censoring, which is [`Cell::w_censor`]).
    pub cause: u32,
    /// Rows with an event of this cause (zero-weight rows included).
    pub rows: u64,
    /// Sum of their case weights.
    pub weight: Sum2,
}

/// The sums of all rows with one time, stratum and group.
///
/// Everything here is a sum over rows, so two cells with the same key merge
/// by adding field by field, in any order.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Bits of the time (a finite, non-negative double; −0 is stored as +0
    /// so that bit order is numeric order). Times are stored as recorded:
    /// `timefix` is applied only when a merged partial is evaluated.
    pub time_bits: u64,
    /// 0-based stratum.
    pub stratum: u32,
    /// 0-based group.
    pub group: u32,
    /// Rows (R's `n` counts rows, zero-weight rows included; the log-rank
    /// test counts subjects).
    pub rows: u64,
    /// Rows with an event of any cause, zero-weight rows included (the
    /// log-rank test is unweighted; a zero-weight event still adds a step).
    pub event_rows: u64,
    /// Sum of the case weights of the events (Kaplan–Meier `n.event`).
    pub w_event: Sum2,
    /// Sum of the case weights of the censored (`n.censor`).
    pub w_censor: Sum2,
    /// Sum of the squared weights of the events (jackknife variance).
    pub w2_event: Sum2,
    /// Sum of the squared weights of the censored (jackknife variance).
    pub w2_censor: Sum2,
    /// Events by cause, ascending by cause, for competing risks. Empty when
    /// every event of the cell is cause 1 (ordinary survival data: no
    /// allocation per cell); otherwise it lists every cause with an event,
    /// so the rows add up to `event_rows`. [`Cell::cause_sums`] gives the
    /// explicit list in both cases.
    pub causes: Vec<CauseSum>,
}

impl Cell {
    /// An empty cell with this key.
    pub fn new(time_bits: u64, stratum: u32, group: u32) -> Cell {
        Cell {
            time_bits,
            stratum,
            group,
            rows: 0,
            event_rows: 0,
            w_event: Sum2::ZERO,
            w_censor: Sum2::ZERO,
            w2_event: Sum2::ZERO,
            w2_censor: Sum2::ZERO,
            causes: Vec::new(),
        }
    }

    /// The time.
    pub fn time(&self) -> f64 {
        f64::from_bits(self.time_bits)
    }

    /// The sort key: time first (every evaluator sweeps time, and `timefix`
    /// works on the union of times), then stratum and group.
    pub fn key(&self) -> (u64, u32, u32) {
        (self.time_bits, self.stratum, self.group)
    }

    /// Adds one row: `cause` 0 is censored, `c ≥ 1` an event of cause c.
    pub(crate) fn add_row(&mut self, cause: u32, w: f64) {
        self.rows += 1;
        if cause == 0 {
            self.w_censor.add(w);
            self.w2_censor.add(w * w);
            return;
        }
        if !self.causes.is_empty() || cause != 1 {
            // Before this event is counted: make the implicit cause-1 list
            // explicit, then add to the cause's entry.
            self.causes = self.cause_sums();
            match self.causes.binary_search_by_key(&cause, |c| c.cause) {
                Ok(i) => {
                    self.causes[i].rows += 1;
                    self.causes[i].weight.add(w);
                }
                Err(i) => self.causes.insert(
                    i,
                    CauseSum {
                        cause,
                        rows: 1,
                        weight: Sum2::of(w),
                    },
                ),
            }
        }
        self.event_rows += 1;
        self.w_event.add(w);
        self.w2_event.add(w * w);
    }

    /// Adds `rows` rows of weight 1, `events` of them events of cause 1 and
    /// the others censored: the cell [`Cell::add_row`] makes of them, in
    /// one step (a sum of ones is exact, so `Sum2` of k ones is
    /// `Sum2::of(k)`).
    pub(crate) fn add_unit_rows(&mut self, rows: u64, events: u64) {
        debug_assert!(events <= rows && self.rows == 0);
        let censored = rows - events;
        self.rows += rows;
        self.event_rows += events;
        if censored > 0 {
            self.w_censor = Sum2::of(censored as f64);
            self.w2_censor = Sum2::of(censored as f64);
        }
        if events > 0 {
            self.w_event = Sum2::of(events as f64);
            self.w2_event = Sum2::of(events as f64);
        }
    }

    /// The events by cause, explicitly (cause 1 only when
    /// [`Cell::causes`] is empty and there are events).
    pub fn cause_sums(&self) -> Vec<CauseSum> {
        if self.causes.is_empty() && self.event_rows > 0 {
            vec![CauseSum {
                cause: 1,
                rows: self.event_rows,
                weight: self.w_event,
            }]
        } else {
            self.causes.clone()
        }
    }

    /// Adds a cell with the same key (commutative: sums are added, cause
    /// lists merged by cause).
    pub(crate) fn merge(&mut self, other: &Cell) {
        if !self.causes.is_empty() || !other.causes.is_empty() {
            self.causes = merge_causes(&self.cause_sums(), &other.cause_sums());
        }
        self.rows = self.rows.saturating_add(other.rows);
        self.event_rows = self.event_rows.saturating_add(other.event_rows);
        self.w_event.merge(&other.w_event);
        self.w_censor.merge(&other.w_censor);
        self.w2_event.merge(&other.w2_event);
        self.w2_censor.merge(&other.w2_censor);
    }
}

/// Sort-merge of two cause lists ascending by cause, adding equal causes.
fn merge_causes(a: &[CauseSum], b: &[CauseSum]) -> Vec<CauseSum> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].cause < b[j].cause {
            out.push(a[i]);
            i += 1;
        } else if b[j].cause < a[i].cause {
            out.push(b[j]);
            j += 1;
        } else {
            let mut c = a[i];
            c.rows = c.rows.saturating_add(b[j].rows);
            c.weight.merge(&b[j].weight);
            out.push(c);
            i += 1;
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_stay_implicit_until_a_second_cause_appears() {
        let mut c = Cell::new(0, 0, 0);
        c.add_row(1, 2.0);
        c.add_row(0, 1.0);
        assert!(c.causes.is_empty());
        assert_eq!(c.cause_sums()[0].rows, 1);
        c.add_row(2, 0.5);
        assert_eq!(c.causes.len(), 2);
        assert_eq!((c.causes[0].cause, c.causes[0].rows), (1, 1));
        assert_eq!(c.causes[0].weight.value(), 2.0);
        assert_eq!((c.causes[1].cause, c.causes[1].weight.value()), (2, 0.5));
        assert_eq!((c.rows, c.event_rows), (3, 2));
        assert_eq!(c.w_event.value(), 2.5);

        // Merging an implicit list with an explicit one, either way round.
        let mut only1 = Cell::new(0, 0, 0);
        only1.add_row(1, 1.0);
        let mut ab = only1.clone();
        ab.merge(&c);
        let mut ba = c.clone();
        ba.merge(&only1);
        assert_eq!(ab, ba);
        assert_eq!(ab.causes[0].rows, 2);
        assert_eq!(ab.causes[0].weight.value(), 3.0);
    }
}
