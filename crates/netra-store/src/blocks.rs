//! A bundle directory read block by block, each block the rows of one range
//! of patient codes, so that an import holds a bounded part of the bundle
//! (issue 18: a 10⁶-patient bundle is about 3.5 GB of CSV).
//!
//! Why ranges of patient codes: every check except those on the study and
//! site files is local to one patient (every other table's key starts with
//! the patient), so a block is checked exactly against the stored rows of
//! its range — one index range of each `WITHOUT ROWID` table — and the two
//! small tables held whole. Codes compare as bytes, as SQLite's `BINARY`
//! collation does.
//!
//! Planning reads each patient file twice as a CSV stream (nothing kept but
//! a size per patient code, then the byte ranges of each block): the first
//! pass sizes the patients, the ranges are cut so that each block holds at
//! most the budget's share of CSV bytes (one patient larger than that is a
//! block of its own), and the second pass notes where each block's records
//! are. A file sorted by patient gives one run of bytes per block; a file
//! in another order gives many, and past [`MAX_RUNS`] it is read again
//! whole for each block, keeping only that block's records.
//!
//! A block's table is parsed from the header and its records copied from
//! the file, and keeps the file's physical line numbers (through the
//! table's line map), so problems name the lines of the user's file.
//!
//! Anything at the level of files (an unknown file, a bad header, CSV the
//! streaming reader rejects, rows counted differently by the two readers)
//! makes [`plan`] return `None`: the caller then reads the bundle whole,
//! which reports those problems exactly as before.

use std::collections::HashMap;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use netra_clinical::registry::schema::Entity;

use crate::bundle::{Bundle, file_names};
use crate::error::{Problems, StoreError};

/// Above this many runs of records per file, a file is read whole once per
/// block instead (its runs would cost more memory than they save).
pub(crate) const MAX_RUNS: usize = 1 << 16;

/// Bytes of memory an import from a directory holds per byte of a block's
/// CSV: the packed text columns, the checks' key indices, the stored rows
/// of the range and the write stage's buffers (measured at 4.5 for a fresh
/// import and 7.5 for a re-import of the whole bundle, BENCHMARKS.md).
pub const BYTES_PER_CSV_BYTE: u64 = 8;

/// The memory an import from a directory may use for its blocks
/// ([`crate::Registry::import_dir`]).
///
/// The budget bounds the part of the bundle held at once (its CSV bytes are
/// `bytes / BYTES_PER_CSV_BYTE` per block) and what the checks and the write
/// build from it. Not counted: the study and site files and their stored
/// rows (held whole), a size per patient code while planning (about 60
/// bytes per patient), SQLite's page cache, and stored rows of patients the
/// bundle does not name (they are loaded with the block whose range holds
/// them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportBudget {
    /// Bytes.
    pub bytes: u64,
}

impl ImportBudget {
    /// The default: 1 GiB (blocks of 128 MiB of CSV).
    pub const DEFAULT: ImportBudget = ImportBudget { bytes: 1 << 30 };

    /// The most CSV bytes of patient files one block holds (at least 1:
    /// then each patient is a block).
    pub fn block_csv_bytes(&self) -> u64 {
        (self.bytes / BYTES_PER_CSV_BYTE).max(1)
    }
}

impl Default for ImportBudget {
    fn default() -> Self {
        ImportBudget::DEFAULT
    }
}

/// Records of one block that follow each other in a file.
#[derive(Debug, Clone, Copy)]
struct Run {
    block: u32,
    start: u64,
    end: u64,
    /// Physical line of `start`.
    line: u64,
    /// Records in the run.
    records: u64,
}

/// One patient file of the bundle.
#[derive(Debug)]
struct PatientFile {
    entity: Entity,
    name: String,
    path: PathBuf,
    /// The bytes before the first record (the header line).
    header: Vec<u8>,
    /// Column of the patient code.
    patient_col: usize,
    /// Data rows.
    rows: usize,
    /// Where each block's records are, or `None`: read the file for each block.
    runs: Option<Vec<Run>>,
}

/// How a bundle directory is cut into blocks.
#[derive(Debug)]
pub(crate) struct BlockPlan {
    /// The study and site files, read whole.
    pub small: Bundle,
    files: Vec<PatientFile>,
    /// Block `k` holds codes in `[bounds[k-1], bounds[k])` (unbounded at the ends).
    bounds: Vec<String>,
}

/// A record of a CSV stream: its patient code and where it starts.
struct Rec {
    code: String,
    start: u64,
    line: u64,
}

/// Streams the records of `path`, calling `each` with a record and the
/// byte after it. `Err(())` when the CSV reader rejects the file.
fn scan(
    path: &Path,
    patient_col: usize,
    mut each: impl FnMut(&Rec, u64),
) -> Result<(), StoreError> {
    let file = std::fs::File::open(path).map_err(|e| StoreError::io(path.display(), e))?;
    let len = file
        .metadata()
        .map_err(|e| StoreError::io(path.display(), e))?
        .len();
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 20, file));
    let mut rec = csv::ByteRecord::new();
    let mut prev: Option<Rec> = None;
    loop {
        let more = r
            .read_byte_record(&mut rec)
            .map_err(|e| StoreError::io(path.display(), e))?;
        if !more {
            break;
        }
        let pos = rec.position().cloned().unwrap_or_else(csv::Position::new);
        if let Some(p) = prev.take() {
            each(&p, pos.byte());
        }
        prev = Some(Rec {
            code: code_of(rec.get(patient_col)),
            start: pos.byte(),
            line: pos.line(),
        });
    }
    if let Some(p) = prev {
        each(&p, len);
    }
    Ok(())
}

/// The patient code a cell stands for, as the checks key it: trimmed, and
/// empty for a missing cell (`NA`, ...).
fn code_of(cell: Option<&[u8]>) -> String {
    let text = String::from_utf8_lossy(cell.unwrap_or_default());
    let t = text.trim();
    if netra_frame::is_missing(t) {
        String::new()
    } else {
        t.to_string()
    }
}

/// The bytes of `path` before its first record (the header line), or the
/// whole file when it has none.
fn header_bytes(path: &Path) -> Result<Vec<u8>, StoreError> {
    let io = |e: std::io::Error| StoreError::io(path.display(), e);
    let file = std::fs::File::open(path).map_err(io)?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(BufReader::new(file));
    let mut rec = csv::ByteRecord::new();
    // A file the stream rejects is caught by the planning scans.
    let first = match r.read_byte_record(&mut rec) {
        Ok(true) => rec.position().map(csv::Position::byte),
        _ => None,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut out = Vec::new();
    match first {
        Some(n) => (&mut file).take(n).read_to_end(&mut out),
        None => file.read_to_end(&mut out),
    }
    .map_err(io)?;
    Ok(out)
}

/// Plans the blocks of `dir` for blocks of at most `block_bytes` of CSV, or
/// `None` when the bundle must be read whole (see the module doc).
pub(crate) fn plan(dir: &Path, block_bytes: u64) -> Result<Option<BlockPlan>, StoreError> {
    plan_with(dir, block_bytes, MAX_RUNS)
}

/// [`plan`] with at most `max_runs` runs kept per file.
fn plan_with(
    dir: &Path,
    block_bytes: u64,
    max_runs: usize,
) -> Result<Option<BlockPlan>, StoreError> {
    let names = crate::bundle::file_names_in(dir)?;
    let known = file_names();
    if !names.iter().any(|n| known.contains(&n.as_str())) {
        return Ok(None);
    }
    let mut small = Bundle::new();
    let mut problems = Problems::default();
    let mut files: Vec<PatientFile> = Vec::new();
    for name in &names {
        if !name.to_ascii_lowercase().ends_with(".csv") {
            continue;
        }
        let Some(entity) = Entity::ALL.iter().copied().find(|e| e.spec().file == name) else {
            return Ok(None);
        };
        let path = dir.join(name);
        if entity <= Entity::Site {
            let bytes = std::fs::read(&path).map_err(|e| StoreError::io(path.display(), e))?;
            small.add_file(entity, name, &bytes, &mut problems);
            continue;
        }
        let header = header_bytes(&path)?;
        // The header's own checks, as the whole read makes them.
        Bundle::new().add_file(entity, name, &header, &mut problems);
        if !problems.is_empty() {
            return Ok(None);
        }
        let patient_col = {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(true)
                .from_reader(&header[..]);
            let h = r.byte_headers().map_err(|e| StoreError::io(name, e))?;
            h.iter()
                .position(|c| {
                    String::from_utf8_lossy(c)
                        .trim()
                        .trim_start_matches('\u{feff}')
                        == "patient"
                })
                .unwrap_or(0)
        };
        files.push(PatientFile {
            entity,
            name: name.clone(),
            path,
            header,
            patient_col,
            rows: 0,
            runs: None,
        });
    }
    if !problems.is_empty() {
        return Ok(None);
    }
    // Pass 1: CSV bytes per patient code.
    let mut sizes: HashMap<String, u64> = HashMap::new();
    for f in &mut files {
        let mut rows = 0usize;
        let ok = scan(&f.path, f.patient_col, |rec, end| {
            rows += 1;
            let n = end - rec.start;
            match sizes.get_mut(&rec.code) {
                Some(s) => *s += n,
                None => {
                    sizes.insert(rec.code.clone(), n);
                }
            }
        });
        if ok.is_err() {
            return Ok(None);
        }
        f.rows = rows;
    }
    let mut codes: Vec<(String, u64)> = sizes.into_iter().collect();
    codes.sort_unstable();
    let mut bounds: Vec<String> = Vec::new();
    let mut held = 0u64;
    for (code, n) in codes {
        if held > 0 && held + n > block_bytes {
            bounds.push(code);
            held = 0;
        }
        held += n;
    }
    // Pass 2: where each block's records are.
    for f in &mut files {
        let mut runs: Vec<Run> = Vec::new();
        let mut too_many = false;
        let ok = scan(&f.path, f.patient_col, |rec, end| {
            if too_many {
                return;
            }
            let block = block_of(&bounds, &rec.code);
            match runs.last_mut() {
                Some(last) if last.block == block && last.end == rec.start => {
                    last.end = end;
                    last.records += 1;
                }
                _ => {
                    if runs.len() == max_runs {
                        too_many = true;
                        runs = Vec::new();
                        return;
                    }
                    runs.push(Run {
                        block,
                        start: rec.start,
                        end,
                        line: rec.line,
                        records: 1,
                    });
                }
            }
        });
        if ok.is_err() {
            return Ok(None);
        }
        f.runs = (!too_many).then_some(runs);
    }
    Ok(Some(BlockPlan {
        small,
        files,
        bounds,
    }))
}

/// The block of a patient code.
fn block_of(bounds: &[String], code: &str) -> u32 {
    bounds.partition_point(|b| b.as_str() <= code) as u32
}

impl BlockPlan {
    /// Number of patient blocks (at least one when there is a patient file).
    pub fn n_blocks(&self) -> usize {
        if self.files.is_empty() {
            0
        } else {
            self.bounds.len() + 1
        }
    }

    /// The range of patient codes of block `k`: (from, to), inclusive
    /// start and exclusive end, `None` for no bound.
    pub fn range(&self, k: usize) -> (Option<&str>, Option<&str>) {
        let from = k.checked_sub(1).map(|i| self.bounds[i].as_str());
        let to = self.bounds.get(k).map(String::as_str);
        (from, to)
    }

    /// Data rows of each file of the bundle (patient files and small ones).
    pub fn counts(&self) -> Vec<(Entity, usize)> {
        let mut out = self.small.counts();
        out.extend(self.files.iter().map(|f| (f.entity, f.rows)));
        out.sort_by_key(|c| c.0);
        out
    }

    /// The patient files' tables of block `k` (each file present, empty
    /// when the block has none of its rows), or `None` when a part cannot
    /// be read as the whole file would be (the caller reads it whole).
    pub fn read_block(&self, k: usize) -> Result<Option<Bundle>, StoreError> {
        let mut bundle = Bundle::new();
        for f in &self.files {
            let block = k as u32;
            let runs: Vec<Run> = match &f.runs {
                Some(r) => r.iter().filter(|r| r.block == block).copied().collect(),
                None => {
                    let mut runs: Vec<Run> = Vec::new();
                    scan(&f.path, f.patient_col, |rec, end| {
                        if block_of(&self.bounds, &rec.code) != block {
                            return;
                        }
                        match runs.last_mut() {
                            Some(last) if last.end == rec.start => {
                                last.end = end;
                                last.records += 1;
                            }
                            _ => runs.push(Run {
                                block,
                                start: rec.start,
                                end,
                                line: rec.line,
                                records: 1,
                            }),
                        }
                    })?;
                    runs
                }
            };
            if !read_part(&mut bundle, f, &runs)? {
                return Ok(None);
            }
        }
        Ok(Some(bundle))
    }
}

/// Adds the table of `runs` of file `f` to `bundle`. False when the frame
/// reader rejects the part.
fn read_part(bundle: &mut Bundle, f: &PatientFile, runs: &[Run]) -> Result<bool, StoreError> {
    let total: u64 = runs.iter().map(|r| r.end - r.start + 1).sum();
    let mut text: Vec<u8> = Vec::with_capacity(f.header.len() + total as usize);
    text.extend_from_slice(&f.header);
    // (line of the run's start in `text`, line in the file), per run.
    let mut starts: Vec<(u64, u64)> = Vec::with_capacity(runs.len());
    let mut line = 1 + f.header.iter().filter(|&&b| b == b'\n').count() as u64;
    if !runs.is_empty() {
        let mut file =
            std::fs::File::open(&f.path).map_err(|e| StoreError::io(f.path.display(), e))?;
        for r in runs {
            starts.push((line, r.line));
            let at = text.len();
            file.seek(SeekFrom::Start(r.start))
                .map_err(|e| StoreError::io(f.path.display(), e))?;
            (&mut file)
                .take(r.end - r.start)
                .read_to_end(&mut text)
                .map_err(|e| StoreError::io(f.path.display(), e))?;
            if text.last() != Some(&b'\n') {
                text.push(b'\n');
            }
            line += text[at..].iter().filter(|&&b| b == b'\n').count() as u64;
        }
    }
    let original = |l: u64| {
        let i = starts.partition_point(|s| s.0 <= l);
        match i.checked_sub(1) {
            Some(i) => starts[i].1 + (l - starts[i].0),
            None => l,
        }
    };
    let records: u64 = runs.iter().map(|r| r.records).sum();
    let rows = bundle.add_part(f.entity, &f.name, &text, original);
    // Both readers must see the same records.
    Ok(rows == Some(records as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of every block, with their lines in the file.
    fn rows_of(plan: &BlockPlan) -> Vec<Vec<(Entity, u64, Option<String>)>> {
        (0..plan.n_blocks())
            .map(|k| {
                let b = plan.read_block(k).unwrap().expect("block read");
                let mut v = Vec::new();
                for (e, _) in b.counts() {
                    for (line, code) in b.column_texts(e, "patient") {
                        v.push((e, line, code));
                    }
                }
                v
            })
            .collect()
    }

    #[test]
    fn files_read_by_runs_or_again_per_block_give_the_same_blocks() {
        let tmp = tempfile::tempdir().unwrap();
        crate::synthetic::write_bundle(tmp.path(), 12, 4).unwrap();
        // Lesions newest patient first (many runs), some cells quoted, no final newline.
        let path = tmp.path().join("lesions.csv");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines[1..].reverse();
        let mut out = lines.join("\n");
        out = out.replacen(",target,", ",\"target\",", 3);
        std::fs::write(&path, out).unwrap();
        let by_runs = plan_with(tmp.path(), 500, MAX_RUNS).unwrap().unwrap();
        let again = plan_with(tmp.path(), 500, 2).unwrap().unwrap();
        assert!(by_runs.n_blocks() > 5, "{}", by_runs.n_blocks());
        let a = rows_of(&by_runs);
        assert_eq!(a, rows_of(&again));
        // Every row once, in its block's range, at its line in the file.
        let whole = Bundle::read_dir(tmp.path()).unwrap();
        let mut all: Vec<(Entity, u64, Option<String>)> = a.iter().flatten().cloned().collect();
        all.sort();
        let mut want = Vec::new();
        for (e, _) in whole
            .counts()
            .into_iter()
            .filter(|(e, _)| *e > Entity::Site)
        {
            for (line, code) in whole.column_texts(e, "patient") {
                want.push((e, line, code));
            }
        }
        want.sort();
        assert_eq!(all, want);
        for (k, rows) in a.iter().enumerate() {
            let (from, to) = by_runs.range(k);
            for (_, _, code) in rows {
                let c = code.as_deref().unwrap_or_default();
                assert!(from.is_none_or(|f| f <= c) && to.is_none_or(|t| c < t));
            }
        }
    }
}
