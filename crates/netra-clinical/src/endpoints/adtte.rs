//! CDISC ADaM ADTTE (time-to-event analysis dataset) rows: export of
//! derived endpoints and reading them back for analysis.
//!
//! One record per subject and parameter. Variables (in this order):
//!
//! | variable | content |
//! | --- | --- |
//! | STUDYID | study identifier |
//! | USUBJID | the registry's patient code (unique within the registry) |
//! | TRT01P | the patient's study arm (`patient.arm`), empty when none |
//! | PARAMCD | `OS`, `PFS`, `TTP`, `TTF`, `TTNT`, `DOR`, `PFS2`, `EFS`; `L<k>` appended when time zero is line k (`PFSL1`) |
//! | PARAM | `Progression-free survival from start of line 1 (months)` |
//! | AVAL | time from STARTDT to ADT in AVALU |
//! | AVALU | `DAYS`, `MONTHS` (30.4375 d) or `YEARS` (365.25 d) |
//! | CNSR | 0 = event, 1 = censored (CDISC: censoring is positive) |
//! | STARTDT | time zero (ISO 8601 date) |
//! | ADT | date of event or censoring |
//! | EVNTDESC | the event (empty when censored) |
//! | CNSDTDSC | why and where censored (empty for an event) |
//! | LINE | sponsor-defined: line of therapy the record is about |
//! | NIMPDT | sponsor-defined: number of imputed dates among STARTDT, ADT |
//!
//! `netra km --data adtte.csv --time AVAL --event CNSR --event-value 0`
//! analyses the file directly (the event code of CNSR is 0).

use super::{EndpointRow, EndpointSpec};
use crate::registry::{Day, PartialDate};

/// The variables, in file order.
pub const COLUMNS: [&str; 14] = [
    "STUDYID", "USUBJID", "TRT01P", "PARAMCD", "PARAM", "AVAL", "AVALU", "CNSR", "STARTDT", "ADT",
    "EVNTDESC", "CNSDTDSC", "LINE", "NIMPDT",
];

/// The variables a file must have to be analysed.
pub const REQUIRED: [&str; 5] = ["USUBJID", "PARAMCD", "AVAL", "CNSR", "STARTDT"];

/// One ADTTE record.
#[derive(Debug, Clone, PartialEq)]
pub struct AdtteRecord {
    /// STUDYID.
    pub studyid: String,
    /// USUBJID.
    pub usubjid: String,
    /// TRT01P (study arm).
    pub trt01p: Option<String>,
    /// PARAMCD.
    pub paramcd: String,
    /// PARAM.
    pub param: String,
    /// AVAL.
    pub aval: f64,
    /// AVALU.
    pub avalu: String,
    /// CNSR: 0 event, 1 censored.
    pub cnsr: u8,
    /// STARTDT.
    pub startdt: Day,
    /// ADT.
    pub adt: Option<Day>,
    /// EVNTDESC.
    pub evntdesc: Option<String>,
    /// CNSDTDSC.
    pub cnsdtdsc: Option<String>,
    /// LINE.
    pub line: Option<u32>,
    /// NIMPDT.
    pub nimpdt: Option<u32>,
}

/// Why an ADTTE record cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct AdtteError {
    /// The variable.
    pub variable: &'static str,
    /// What is wrong.
    pub reason: String,
}

impl AdtteRecord {
    /// The record of a derived row; `arm` is the patient's study arm.
    pub fn from_row(
        row: &EndpointRow,
        spec: &EndpointSpec,
        study: &str,
        arm: Option<&str>,
    ) -> AdtteRecord {
        AdtteRecord {
            studyid: study.to_string(),
            usubjid: row.patient.clone(),
            trt01p: arm.map(str::to_string),
            paramcd: spec.paramcd(row.line),
            param: spec.param(row.line),
            aval: row.time,
            avalu: spec.units.cdisc().to_string(),
            cnsr: u8::from(!row.event),
            startdt: row.start.day,
            adt: Some(row.end.day),
            evntdesc: row.event.then(|| row.description.clone()),
            cnsdtdsc: (!row.event).then(|| row.description.clone()),
            line: row.line,
            nimpdt: Some(row.imputed_dates),
        }
    }

    /// The cells in [`COLUMNS`] order (AVAL as the shortest round-trip
    /// number, dates ISO 8601, absent values empty).
    pub fn cells(&self) -> [String; 14] {
        [
            self.studyid.clone(),
            self.usubjid.clone(),
            self.trt01p.clone().unwrap_or_default(),
            self.paramcd.clone(),
            self.param.clone(),
            format!("{}", self.aval),
            self.avalu.clone(),
            self.cnsr.to_string(),
            self.startdt.to_string(),
            self.adt.map(|d| d.to_string()).unwrap_or_default(),
            self.evntdesc.clone().unwrap_or_default(),
            self.cnsdtdsc.clone().unwrap_or_default(),
            self.line.map(|l| l.to_string()).unwrap_or_default(),
            self.nimpdt.map(|l| l.to_string()).unwrap_or_default(),
        ]
    }

    /// Reads a record through `get` (the cell of a variable, `None` when the
    /// column is absent or the cell empty). Checks what an analysis relies
    /// on: AVAL a number ≥ 0, CNSR 0 or 1, dates ISO 8601 and ADT − STARTDT
    /// consistent with AVAL and AVALU within half a day.
    pub fn read<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<AdtteRecord, AdtteError> {
        let req = |v: &'static str| {
            get(v).ok_or_else(|| AdtteError {
                variable: v,
                reason: "missing".into(),
            })
        };
        let date = |v: &'static str, text: &str| -> Result<Day, AdtteError> {
            match text.parse::<PartialDate>() {
                Ok(d) if d.is_complete() => Ok(d.earliest()),
                _ => Err(AdtteError {
                    variable: v,
                    reason: format!("not a complete ISO 8601 date (YYYY-MM-DD): '{text}'"),
                }),
            }
        };
        let aval_text = req("AVAL")?;
        let aval: f64 = match aval_text.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => v,
            _ => {
                return Err(AdtteError {
                    variable: "AVAL",
                    reason: format!("not a time >= 0: '{aval_text}'"),
                });
            }
        };
        let cnsr = match req("CNSR")? {
            "0" => 0,
            "1" => 1,
            other => {
                return Err(AdtteError {
                    variable: "CNSR",
                    reason: format!("must be 0 (event) or 1 (censored): '{other}'"),
                });
            }
        };
        let startdt = date("STARTDT", req("STARTDT")?)?;
        let adt = get("ADT").map(|t| date("ADT", t)).transpose()?;
        let avalu = get("AVALU").unwrap_or("").to_string();
        if let Some(adt) = adt {
            let per = match avalu.to_ascii_uppercase().as_str() {
                "DAYS" | "DAY" => Some(1.0),
                "MONTHS" | "MONTH" => Some(super::DAYS_PER_MONTH),
                "YEARS" | "YEAR" => Some(super::DAYS_PER_YEAR),
                _ => None,
            };
            if let Some(per) = per {
                let days = f64::from(startdt.days_until(adt));
                if (aval * per - days).abs() > 0.5 {
                    return Err(AdtteError {
                        variable: "AVAL",
                        reason: format!(
                            "{aval} {avalu} does not match STARTDT {startdt} to ADT {adt} ({days} days)"
                        ),
                    });
                }
            }
        }
        let num = |v: &'static str| -> Result<Option<u32>, AdtteError> {
            get(v)
                .map(|t| {
                    t.parse::<u32>().map_err(|_| AdtteError {
                        variable: v,
                        reason: format!("not a whole number: '{t}'"),
                    })
                })
                .transpose()
        };
        Ok(AdtteRecord {
            studyid: get("STUDYID").unwrap_or("").to_string(),
            usubjid: req("USUBJID")?.to_string(),
            trt01p: get("TRT01P").map(str::to_string),
            paramcd: req("PARAMCD")?.to_string(),
            param: get("PARAM").unwrap_or("").to_string(),
            aval,
            avalu,
            cnsr,
            startdt,
            adt,
            evntdesc: get("EVNTDESC").map(str::to_string),
            cnsdtdsc: get("CNSDTDSC").map(str::to_string),
            line: num("LINE")?,
            nimpdt: num("NIMPDT")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::{Endpoint, TimeZero};
    use crate::registry::date::Imputed;

    fn row(event: bool) -> EndpointRow {
        let s = Day::from_ymd(2001, 1, 1).unwrap();
        let e = Day::from_ymd(2001, 7, 2).unwrap();
        EndpointRow {
            patient: "P1".into(),
            endpoint: Endpoint::Pfs,
            from: TimeZero::Line(1),
            line: Some(1),
            time: f64::from(s.days_until(e)) / 30.4375,
            days: s.days_until(e),
            event,
            start: Imputed {
                day: s,
                imputed: false,
            },
            end: Imputed {
                day: e,
                imputed: true,
            },
            description: if event {
                "progression".into()
            } else {
                "last adequate assessment, before new therapy".into()
            },
            imputed_dates: 1,
        }
    }

    #[test]
    fn cnsr_is_zero_for_an_event_and_round_trips() {
        let spec = EndpointSpec::new(Endpoint::Pfs, TimeZero::Line(1));
        for event in [true, false] {
            let r = AdtteRecord::from_row(&row(event), &spec, "S", Some("A"));
            assert_eq!(r.cnsr, u8::from(!event));
            assert_eq!(r.paramcd, "PFSL1");
            assert_eq!(r.evntdesc.is_some(), event);
            let cells = r.cells();
            let back = AdtteRecord::read(|v| {
                let i = COLUMNS.iter().position(|c| *c == v)?;
                Some(cells[i].as_str()).filter(|s| !s.is_empty())
            })
            .unwrap();
            assert_eq!(back, r);
        }
        let r = AdtteRecord::from_row(&row(false), &spec, "S", None);
        assert!(
            r.cells()
                .contains(&"last adequate assessment, before new therapy".to_string())
        );
        assert_eq!(
            COLUMNS[..10].join(","),
            "STUDYID,USUBJID,TRT01P,PARAMCD,PARAM,AVAL,AVALU,CNSR,STARTDT,ADT"
        );
    }

    #[test]
    fn inconsistent_records_are_errors() {
        let base: Vec<(&str, &str)> = vec![
            ("USUBJID", "1"),
            ("PARAMCD", "OS"),
            ("AVAL", "5.98"),
            ("AVALU", "MONTHS"),
            ("CNSR", "0"),
            ("STARTDT", "2001-01-01"),
            ("ADT", "2001-07-02"),
        ];
        let read = |over: &[(&str, &str)]| {
            AdtteRecord::read(|v| {
                over.iter()
                    .chain(base.iter())
                    .find(|(k, _)| *k == v)
                    .map(|(_, x)| *x)
            })
        };
        assert!(read(&[]).is_ok());
        assert_eq!(read(&[("CNSR", "2")]).unwrap_err().variable, "CNSR");
        assert_eq!(read(&[("AVAL", "-1")]).unwrap_err().variable, "AVAL");
        assert_eq!(read(&[("AVAL", "7")]).unwrap_err().variable, "AVAL");
        assert_eq!(
            read(&[("STARTDT", "2001-01")]).unwrap_err().variable,
            "STARTDT"
        );
    }
}
