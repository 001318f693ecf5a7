//! Feeds arbitrary bytes to what `netra km`, `netra cox` and the other
//! analysis commands do with a user's CSV and formula: the first line is an
//! R-style right-hand side, the rest a CSV file. Every column is read as
//! numbers and as text; a formula that parses is built into a design matrix
//! on those columns (text columns as factors) and, when it builds, fitted
//! by Cox regression on the first two numeric columns as time and event.
//! Any panic is a bug: every input must end in a result or in an error
//! naming the line and column.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netra_frame::Frame;
use netra_stats::cox::{CoxData, CoxOptions, coxph};
use netra_stats::model::{ColumnData, Design, DesignOptions, Formula, NamedColumn};

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (head, csv) = data.split_at(split);
    let formula = std::str::from_utf8(head).ok().map(Formula::parse);
    let Ok(frame) = Frame::from_reader("fuzz.csv", csv, None) else {
        return;
    };
    let names: Vec<String> = frame.column_names().map(str::to_string).collect();
    let mut numeric: Vec<(String, Vec<f64>)> = Vec::new();
    let mut text: Vec<(String, Vec<&str>)> = Vec::new();
    for name in &names {
        let Ok(column) = frame.column(name) else {
            continue;
        };
        let numbers: Result<Vec<f64>, _> = (0..frame.n_rows())
            .map(|r| column.number(r).map(|v| v.unwrap_or(f64::NAN)))
            .collect();
        match numbers {
            Ok(v) => numeric.push((name.clone(), v)),
            Err(e) => {
                let _ = e.to_string();
                let cells = (0..frame.n_rows())
                    .map(|r| column.text(r).unwrap_or(""))
                    .collect();
                text.push((name.clone(), cells));
            }
        }
    }
    let Some(Ok(formula)) = formula else {
        return;
    };
    let mut columns: Vec<NamedColumn<'_>> = numeric
        .iter()
        .map(|(n, v)| NamedColumn {
            name: n,
            data: ColumnData::Numeric(v),
        })
        .collect();
    columns.extend(text.iter().map(|(n, v)| NamedColumn {
        name: n,
        data: ColumnData::Text(v),
    }));
    let Ok(design) = Design::build(&formula, &columns, &DesignOptions::default()) else {
        return;
    };
    if numeric.len() < 2 || design.p() == 0 {
        return;
    }
    let time = &numeric[0].1;
    let event: Vec<bool> = numeric[1].1.iter().map(|&v| v == 1.0).collect();
    let cox = CoxData {
        time,
        event: &event,
        x: &design.x,
        names: &design.names,
        start: None,
        weights: None,
        strata: None,
        cluster: None,
    };
    let _ = coxph(&cox, &CoxOptions::default());
});
