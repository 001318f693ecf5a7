//! [`ClassicalInference`]: the analysis layer's group comparisons and
//! binomial intervals (R's `t.test`, `wilcox.test`, `chisq.test`,
//! `fisher.test`, `binom.test`, `prop.test`), kept at this path for the
//! callers of the table builders.

pub use netra_analysis::inference::ClassicalInference;
