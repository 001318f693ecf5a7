//! The analysis data set for other statistics packages: one row per
//! patient, one column per variable, with the variable labels and the
//! factor levels (in netra's order) that R, Stata and SAS users would
//! otherwise type by hand.
//!
//! * [`r`] — a CSV file and an R script that reads it, sets each factor's
//!   levels in order and each column's `label` attribute;
//! * [`stata`] — a Stata `.dta` file, format 118 (Stata 14 and later,
//!   UTF-8), factors as numeric codes 1…k with value labels;
//! * [`sas`] — a CSV file of codes and a SAS program that reads it with
//!   `PROC FORMAT` value formats and variable labels.
//!
//! The writers return text or bytes; the caller writes the files. A
//! [`Dataset`] is built from a cohort's variables ([`Dataset::from_frame`])
//! or by hand; every column gets one name valid in R, Stata and SAS alike
//! ([`names::portable`]), so a script written for one package reads the
//! same names as the others.

pub mod names;
pub mod r;
pub mod sas;
pub mod stata;

use netra_analysis::variables::{Column, Frame};

use crate::ReportError;

/// The values of one column, one per row (`None`: missing).
#[derive(Debug, Clone, PartialEq)]
pub enum DataValues {
    /// Numbers.
    Number(Vec<Option<f64>>),
    /// Categories: `codes[i]` indexes `levels` (in print order; the first
    /// is R's reference level).
    Factor {
        /// Level labels in order.
        levels: Vec<String>,
        /// Per row.
        codes: Vec<Option<usize>>,
    },
    /// Free text (patient codes).
    Text(Vec<Option<String>>),
}

impl DataValues {
    /// Rows.
    pub fn len(&self) -> usize {
        match self {
            DataValues::Number(v) => v.len(),
            DataValues::Factor { codes, .. } => codes.len(),
            DataValues::Text(v) => v.len(),
        }
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A named, labelled column.
#[derive(Debug, Clone, PartialEq)]
pub struct DataColumn {
    /// Name (netra's; [`names::portable`] makes it valid everywhere).
    pub name: String,
    /// Printed label ("Age at diagnosis (years)").
    pub label: String,
    /// Values.
    pub values: DataValues,
}

/// A rectangular data set with labels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dataset {
    /// A label for the whole data set.
    pub label: String,
    /// Columns, all of one length.
    pub columns: Vec<DataColumn>,
}

impl Dataset {
    /// The cohort's variables, after a `patient` column of patient codes.
    pub fn from_frame(frame: &Frame, label: impl Into<String>) -> Dataset {
        let mut columns = vec![DataColumn {
            name: "patient".into(),
            label: "Patient".into(),
            values: DataValues::Text(frame.patients.iter().cloned().map(Some).collect()),
        }];
        for v in frame.variables() {
            let values = match &v.column {
                Column::Num(x) => DataValues::Number(x.clone()),
                Column::Cat { levels, codes } => DataValues::Factor {
                    levels: levels.iter().map(|l| l.label.clone()).collect(),
                    codes: codes.clone(),
                },
            };
            columns.push(DataColumn {
                name: v.name.clone(),
                label: v.label.clone(),
                values,
            });
        }
        Dataset {
            label: label.into(),
            columns,
        }
    }

    /// Rows (0 without columns).
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }

    /// Checks that every column has the same length, factor codes index
    /// their levels and numbers are finite or missing.
    pub fn check(&self) -> Result<(), ReportError> {
        let n = self.rows();
        for c in &self.columns {
            crate::error::check_len(&format!("column '{}'", c.name), n, c.values.len())?;
            match &c.values {
                DataValues::Factor { levels, codes } => {
                    if let Some(bad) = codes.iter().flatten().find(|k| **k >= levels.len()) {
                        return Err(ReportError::InvalidTable(format!(
                            "column '{}': level code {bad} but {} levels",
                            c.name,
                            levels.len()
                        )));
                    }
                }
                DataValues::Number(v) => {
                    if let Some(x) = v.iter().flatten().find(|x| !x.is_finite()) {
                        return Err(crate::error::invalid(format!("column '{}'", c.name), *x));
                    }
                }
                DataValues::Text(_) => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod sample {
    //! A small data set with the cases every writer must survive: a label
    //! with quotes, a level with a comma and non-ASCII text, missing values
    //! of each kind, a name that is not valid everywhere.
    use super::*;

    pub(crate) fn dataset() -> Dataset {
        Dataset {
            label: "Test \"cohort\"".into(),
            columns: vec![
                DataColumn {
                    name: "patient".into(),
                    label: "Patient".into(),
                    values: DataValues::Text(vec![Some("P1".into()), Some("P-2".into()), None]),
                },
                DataColumn {
                    name: "age_at_diagnosis".into(),
                    label: "Age at diagnosis (years)".into(),
                    values: DataValues::Number(vec![Some(61.5), None, Some(0.1)]),
                },
                DataColumn {
                    name: "marker.cga".into(),
                    label: "CgA \"baseline\"".into(),
                    values: DataValues::Number(vec![Some(-2.0), Some(1e-7), Some(123456.75)]),
                },
                DataColumn {
                    name: "grade".into(),
                    label: "WHO grade".into(),
                    values: DataValues::Factor {
                        levels: vec!["G3".into(), "G1, low".into(), "Größe".into()],
                        codes: vec![Some(2), Some(0), None],
                    },
                },
            ],
        }
    }

    #[test]
    fn checks_refuse_ragged_and_out_of_range_columns() {
        let mut d = dataset();
        assert!(d.check().is_ok());
        d.columns[3].values = DataValues::Factor {
            levels: vec!["a".into()],
            codes: vec![Some(1), None, None],
        };
        assert!(d.check().is_err());
        let mut d = dataset();
        d.columns[1].values = DataValues::Number(vec![Some(1.0)]);
        assert!(d.check().is_err());
        let mut d = dataset();
        d.columns[1].values = DataValues::Number(vec![Some(f64::NAN), None, None]);
        assert!(d.check().is_err());
    }
}
