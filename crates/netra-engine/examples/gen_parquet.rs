//! Writes N rows of synthetic survival data as a Parquet data set for the
//! engine's scale benchmark (`bench/engine/run.sh`): integer-day times
//! (many ties, as a registry), a 0/1 status, three arms, six numeric
//! covariates. Memory stays bounded: 64k-row batches, one file per
//! `ROWS_PER_FILE` rows.
//!
//! `cargo run --release -p netra-engine --example gen_parquet -- N DIR [ROWS_PER_FILE]`

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;

/// SplitMix64: a seeded, portable stream.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(1).ok_or("N")?.parse()?;
    let dir = std::path::PathBuf::from(args.get(2).ok_or("DIR")?);
    let per_file: u64 = args.get(3).map_or(Ok(10_000_000), |s| s.parse())?;
    std::fs::create_dir_all(&dir)?;
    let mut fields = vec![
        Field::new("time", DataType::Float64, true),
        Field::new("status", DataType::Int64, true),
        Field::new("arm", DataType::Utf8, true),
    ];
    for j in 1..=6 {
        fields.push(Field::new(format!("x{j}"), DataType::Float64, true));
    }
    let schema = Arc::new(Schema::new(fields));
    let mut rng = Rng(20_261_206);
    let arms = ["A", "B", "C"];
    let batch = 65_536u64;
    let mut written = 0u64;
    let mut file = 0;
    while written < n {
        let path = dir.join(format!("part-{file:05}.parquet"));
        let mut w = ArrowWriter::try_new(std::fs::File::create(&path)?, schema.clone(), None)?;
        let end = n.min(written + per_file);
        while written < end {
            let m = batch.min(end - written) as usize;
            let mut x: Vec<Vec<f64>> = (0..6).map(|_| Vec::with_capacity(m)).collect();
            let (mut time, mut status, mut arm) = (
                Vec::with_capacity(m),
                Vec::with_capacity(m),
                Vec::with_capacity(m),
            );
            for _ in 0..m {
                let g = (rng.next() * 3.0) as usize;
                let mut lp = 0.3 * g as f64;
                for (j, col) in x.iter_mut().enumerate() {
                    let v = if j % 2 == 0 {
                        rng.next() * 2.0 - 1.0
                    } else {
                        (rng.next() < 0.4) as u8 as f64
                    };
                    lp += 0.1 * (j as f64 + 1.0) * v / 3.0;
                    col.push(v);
                }
                let ev = -rng.next().max(1e-300).ln() * 900.0 / lp.exp();
                let ce = rng.next() * 3650.0;
                time.push(ev.min(ce).floor());
                status.push((ev <= ce) as i64);
                arm.push(arms[g.min(2)]);
            }
            let mut cols: Vec<ArrayRef> = vec![
                Arc::new(Float64Array::from(time)),
                Arc::new(Int64Array::from(status)),
                Arc::new(StringArray::from(arm)),
            ];
            cols.extend(
                x.into_iter()
                    .map(|c| Arc::new(Float64Array::from(c)) as ArrayRef),
            );
            w.write(&RecordBatch::try_new(schema.clone(), cols)?)?;
            written += m as u64;
        }
        w.close()?;
        file += 1;
    }
    println!("{n} rows in {file} file(s) under {}", dir.display());
    Ok(())
}
