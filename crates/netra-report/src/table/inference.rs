//! The hook through which the table builders obtain group comparisons and
//! binomial confidence intervals: the analysis layer's
//! (`netra_analysis::inference`), re-exported here so that builders and
//! their callers name one path.
//!
//! The report crate computes no statistic: the tests and intervals are the
//! layer's ([`ClassicalInference`], each checked against R), the choice of
//! test is the layer's Cochran rule ([`choose_categorical`]), and
//! [`NoInference`] prints tables without p-values. Tests of the layout feed
//! known values through their own [`Inference`].

pub use netra_analysis::inference::{
    CategoricalTest, ClassicalInference, ContinuousTest, Inference, NoInference, ProportionCi,
    TestResult, choose_categorical, drop_empty_margins, expected_counts,
};
