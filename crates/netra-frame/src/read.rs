//! Reading a delimited file into a [`Frame`]: the whole file in memory, the
//! header first, then the rows — cut into parts read on all cores when no
//! cell is quoted, or in one pass of the `csv` crate when some is.
//!
//! Why two paths: without a quote character a record is exactly one line,
//! so the file can be cut at any line end and each part read on its own
//! core; with quotes, a line end may sit inside a cell and only a pass from
//! the start knows. Both paths give the same frame and the same errors as
//! the one-pass reader did (the tests read every input both ways).

use std::ops::Range;

use crate::store::{ColumnReader, Lines, TextColumn};
use crate::{CellError, Frame, FrameError};

/// Parts of a file smaller than this are not worth a thread.
pub(crate) const MIN_PART: usize = 1 << 20;
/// The largest part: its cells' text stays far below the 4 GiB that a
/// column piece's 4-byte offsets address.
const MAX_PART: usize = 1 << 30;

/// Reads `data` (the whole file) into a frame; see [`Frame::from_reader`].
/// The file's bytes are freed as soon as the cells are copied out, before
/// the parts are joined.
pub(crate) fn frame_of(
    source_name: &str,
    data: Vec<u8>,
    wanted: Option<&[&str]>,
    delimiter: u8,
    threads: usize,
    min_part: usize,
) -> Result<Frame, FrameError> {
    if let Some(reason) = crate::spreadsheet_signature(&data) {
        return Err(FrameError::WrongFormat {
            source_name: source_name.to_string(),
            reason,
        });
    }
    if memchr::memchr(b'"', &data).is_some() {
        return crate::csv_path::frame_of(source_name, data, wanted, delimiter);
    }
    let malformed = |line: u64, reason: String| FrameError::Malformed {
        source_name: source_name.to_string(),
        line,
        reason,
    };
    // Blank lines before the header are skipped, as the csv crate does.
    let mut start = 0;
    let mut header_line = 1u64;
    while data.get(start) == Some(&b'\n') {
        start += 1;
        header_line += 1;
    }
    let header_end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |e| start + e);
    let header_text = std::str::from_utf8(&data[start..header_end])
        .map_err(|_| malformed(1, "not valid UTF-8 text".into()))?;
    let header: Vec<String> = if header_end == start {
        Vec::new()
    } else {
        header_text
            .split(delimiter as char)
            .map(crate::header_name)
            .collect()
    };
    let selected = crate::select(source_name, &header, wanted, delimiter)?;
    let body_start = (header_end + 1).min(data.len());
    let body = &data[body_start..];
    let ranges = parts(body, threads, min_part);
    // The first part's buffers are sized for the whole column, so that
    // the later parts are appended to them (no copy of the first part).
    let sizes: Vec<Sizes> = ranges
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let newlines = memchr::memchr_iter(b'\n', &body[r.clone()]).count();
            Sizes {
                newlines,
                rows_capacity: newlines + 1,
                bytes_capacity: if i == 0 { body.len() } else { r.len() },
            }
        })
        .collect();
    let all_rows: usize = sizes.iter().map(|s| s.newlines).sum::<usize>() + 1;
    let read_part = |i: usize| {
        let mut size = sizes[i];
        if i == 0 {
            size.rows_capacity = all_rows;
        }
        read_lines(
            &body[ranges[i].clone()],
            size,
            header.len(),
            &selected,
            delimiter,
        )
    };
    let mut read: Vec<Result<Part, PartError>> = if ranges.len() == 1 {
        vec![read_part(0)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..ranges.len())
                .map(|i| scope.spawn(move || read_part(i)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(Err(PartError::Panicked)))
                .collect()
        })
    };
    // Labels with spaces are bounded per column in file order; parts that
    // reached the bound cannot be merged into what one pass keeps.
    if read.len() > 1 && read.iter().any(|p| p.as_ref().is_ok_and(|p| p.spaced_full)) {
        let newlines = sizes.iter().map(|s| s.newlines).sum();
        let whole = Sizes {
            newlines,
            rows_capacity: newlines + 1,
            bytes_capacity: body.len(),
        };
        read = vec![read_lines(body, whole, header.len(), &selected, delimiter)];
    }
    drop(data);
    let mut line_base = header_line;
    let mut lines = Lines::default();
    let mut pieces: Vec<Vec<ColumnReader>> = selected.iter().map(|_| Vec::new()).collect();
    for part in read {
        let part = match part {
            Ok(part) => part,
            Err(e) => {
                return Err(e.into_frame_error(source_name, &header, &selected, line_base));
            }
        };
        lines = lines.then(&part.lines, line_base);
        line_base += part.newlines;
        for (all, mine) in pieces.iter_mut().zip(part.columns) {
            all.push(mine);
        }
    }
    crate::assemble(source_name, &header, &selected, pieces, lines)
}

/// Byte ranges of `body` cut after line ends: one part per thread, at
/// least `min_part` (normally [`MIN_PART`]) and at most [`MAX_PART`] bytes
/// each (the last part takes the rest).
fn parts(body: &[u8], threads: usize, min_part: usize) -> Vec<Range<usize>> {
    let threads = threads.max(1);
    let size = (body.len() / threads).clamp(min_part.clamp(1, MAX_PART), MAX_PART);
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let mut end = (start + size).min(body.len());
        if end < body.len() {
            end = memchr::memchr(b'\n', &body[end..]).map_or(body.len(), |e| end + e + 1);
        }
        ranges.push(start..end);
        start = end;
    }
    if ranges.is_empty() {
        ranges.push(0..0);
    }
    ranges
}

/// The line ends of a part, and the room its columns' buffers are given.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    newlines: usize,
    rows_capacity: usize,
    bytes_capacity: usize,
}

/// The selected columns of a run of whole lines, with lines counted from 1
/// at the part's first line.
pub(crate) struct Part {
    /// Per selected column, its cells.
    pub columns: Vec<ColumnReader>,
    pub lines: Lines,
    /// Line ends in the part.
    pub newlines: u64,
    /// Some column left out a spaced label for the bound.
    pub spaced_full: bool,
}

/// The first problem in a part, with its line counted from 1 at the part's
/// first line.
pub(crate) enum PartError {
    /// A record with another number of fields than the header.
    Fields { line: u64, len: usize },
    /// A selected cell that is not UTF-8 (`slot` indexes the selection).
    Utf8 {
        line: u64,
        slot: usize,
        value: Vec<u8>,
    },
    /// A reading thread stopped unexpectedly.
    Panicked,
}

impl PartError {
    fn into_frame_error(
        self,
        source_name: &str,
        header: &[String],
        selected: &[usize],
        line_base: u64,
    ) -> FrameError {
        match self {
            PartError::Fields { line, len } => FrameError::Malformed {
                source_name: source_name.to_string(),
                line: line_base + line,
                reason: format!("{len} fields where the header has {}", header.len()),
            },
            PartError::Utf8 { line, slot, value } => {
                let i = selected[slot];
                FrameError::Cell(CellError {
                    source_name: source_name.to_string(),
                    line: line_base + line,
                    column: header[i].clone(),
                    column_number: i + 1,
                    value: String::from_utf8_lossy(&value).into_owned(),
                    reason: "not valid UTF-8 text".into(),
                })
            }
            PartError::Panicked => FrameError::Io {
                source_name: source_name.to_string(),
                reason: "a reading thread stopped unexpectedly".into(),
            },
        }
    }
}

/// Reads whole lines without quotes: a record per non-empty line, fields
/// split at the delimiter (the csv crate's reading of such text). A part
/// that is UTF-8 throughout (the usual file) is checked once, not cell by
/// cell.
fn read_lines(
    part: &[u8],
    sizes: Sizes,
    n_fields: usize,
    selected: &[usize],
    delimiter: u8,
) -> Result<Part, PartError> {
    if delimiter.is_ascii()
        && let Ok(text) = std::str::from_utf8(part)
    {
        return read_text_lines(text, sizes, n_fields, selected, delimiter);
    }
    read_byte_lines(part, sizes, n_fields, selected, delimiter)
}

/// [`read_lines`] of a part known to be UTF-8 (so no cell error).
fn read_text_lines(
    part: &str,
    sizes: Sizes,
    n_fields: usize,
    selected: &[usize],
    delimiter: u8,
) -> Result<Part, PartError> {
    let slot_of = slots(n_fields, selected);
    let mut columns: Vec<ColumnReader> = selected
        .iter()
        .map(|_| ColumnReader::new(sizes.rows_capacity, sizes.bytes_capacity))
        .collect();
    let mut lines = Lines::default();
    let (mut row, mut line) = (0usize, 0u64);
    // The line of the last mark in `lines` less its row.
    let mut shift = u64::MAX;
    // The current line's start, its current field's start and index.
    let (mut line_start, mut from, mut field) = (0usize, 0usize, 0usize);
    // A selected cell goes to its column at once: a row with another
    // number of fields is an error that discards the part anyway. The
    // delimiter is ASCII, so every cut is at a character boundary.
    let bytes = part.as_bytes();
    let take = |columns: &mut [ColumnReader], field: usize, from: usize, to: usize| {
        if let Some(&slot) = slot_of.get(field)
            && slot != usize::MAX
        {
            let word = bytes
                .get(from..from + 8)
                .map(|w| u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]));
            columns[slot].push_word(&part[from..to], word);
        }
    };
    let mut at_separator = |p: usize, is_line_end: bool| -> Result<(), PartError> {
        if !is_line_end {
            take(&mut columns, field, from, p);
            field += 1;
            from = p + 1;
            return Ok(());
        }
        line += 1;
        if p > line_start {
            take(&mut columns, field, from, p);
            let len = field + 1;
            if len != n_fields {
                return Err(PartError::Fields { line, len });
            }
            // A mark only where blank lines moved the rows off their lines.
            if line - row as u64 != shift {
                lines.push(row, line);
                shift = line - row as u64;
            }
            row += 1;
        }
        (line_start, from, field) = (p + 1, p + 1, 0);
        Ok(())
    };
    for_each_separator(bytes, delimiter, &mut at_separator)?;
    // A last line without a line end.
    if bytes.last().is_some_and(|&b| b != b'\n') {
        at_separator(bytes.len(), true)?;
    }
    lines.set_len(row);
    Ok(Part {
        spaced_full: columns.iter().any(|c| c.spaced_full),
        columns,
        lines,
        newlines: sizes.newlines as u64,
    })
}

/// Calls `at(p, is_line_end)` for every line end and delimiter of `bytes`,
/// in order. Eight bytes are tested at a time (a mask of the bytes equal
/// to either, exactly): cells are a few bytes long, so a search call per
/// line and a byte loop per field cost more.
fn for_each_separator<E>(
    bytes: &[u8],
    delimiter: u8,
    at: &mut impl FnMut(usize, bool) -> Result<(), E>,
) -> Result<(), E> {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let spread = |b: u8| u64::from_le_bytes([b; 8]);
    let (line_ends, delimiters) = (spread(b'\n'), spread(delimiter));
    // 0x80 in each byte of `v` that is zero, nothing elsewhere.
    let zero_bytes = |v: u64| !(((v & LOW) + LOW) | v | LOW);
    let mut words = bytes.chunks_exact(8);
    let mut base = 0;
    for word in &mut words {
        let w = u64::from_le_bytes([
            word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
        ]);
        let mut found = zero_bytes(w ^ line_ends) | zero_bytes(w ^ delimiters);
        while found != 0 {
            let i = found.trailing_zeros() as usize / 8;
            at(base + i, word[i] == b'\n')?;
            found &= found - 1;
        }
        base += 8;
    }
    for (i, &b) in words.remainder().iter().enumerate() {
        if b == b'\n' || b == delimiter {
            at(base + i, b == b'\n')?;
        }
    }
    Ok(())
}

/// Field position → index in the selection (`usize::MAX`: not selected).
fn slots(n_fields: usize, selected: &[usize]) -> Vec<usize> {
    let mut slot_of = vec![usize::MAX; n_fields];
    for (slot, &i) in selected.iter().enumerate() {
        slot_of[i] = slot;
    }
    slot_of
}

/// [`read_lines`] cell by cell, for a part with some byte sequence that is
/// not UTF-8 (an error only when it is in a selected cell).
fn read_byte_lines(
    part: &[u8],
    sizes: Sizes,
    n_fields: usize,
    selected: &[usize],
    delimiter: u8,
) -> Result<Part, PartError> {
    let slot_of = slots(n_fields, selected);
    let mut columns: Vec<ColumnReader> = selected
        .iter()
        .map(|_| ColumnReader::new(sizes.rows_capacity, sizes.bytes_capacity))
        .collect();
    let mut lines = Lines::default();
    let mut cells: Vec<&[u8]> = vec![&[]; selected.len()];
    let mut row = 0usize;
    let mut line = 0u64;
    let mut pos = 0;
    while pos < part.len() {
        let end = memchr::memchr(b'\n', &part[pos..]).map_or(part.len(), |e| pos + e);
        let text = &part[pos..end];
        line += 1;
        pos = end + 1;
        if text.is_empty() {
            continue;
        }
        let mut len = 0;
        for field in text.split(|&b| b == delimiter) {
            if let Some(&slot) = slot_of.get(len)
                && slot != usize::MAX
            {
                cells[slot] = field;
            }
            len += 1;
        }
        if len != n_fields {
            return Err(PartError::Fields { line, len });
        }
        for (slot, column) in columns.iter_mut().enumerate() {
            let raw = cells[slot];
            let Ok(text) = std::str::from_utf8(raw) else {
                return Err(PartError::Utf8 {
                    line,
                    slot,
                    value: raw.to_vec(),
                });
            };
            column.push(text);
        }
        lines.push(row, line);
        row += 1;
    }
    Ok(Part {
        spaced_full: columns.iter().any(|c| c.spaced_full),
        columns,
        lines,
        newlines: sizes.newlines as u64,
    })
}

/// Joins the parts of each column into the frame's columns.
pub(crate) fn columns(
    header: &[String],
    selected: &[usize],
    pieces: Vec<Vec<ColumnReader>>,
) -> Vec<TextColumn> {
    selected
        .iter()
        .zip(pieces)
        .map(|(&i, p)| TextColumn::concat(header[i].clone(), i + 1, p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A xorshift64 generator from `seed`: the random inputs of the tests,
    /// the same sequence on every run.
    fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    /// Everything a frame shows, to compare two readings of one input.
    fn view(f: &Frame) -> Vec<String> {
        let mut out = vec![format!("rows {}", f.n_rows())];
        for name in f.column_names() {
            let c = f.column(name).unwrap();
            out.push(format!(
                "{name} empty {} missing {} first {:?} merged {:?}",
                c.empty_text_cells(),
                c.missing_cells(),
                c.first_non_finite(),
                c.merged_labels()
            ));
            // The stored numbers exist exactly for numeric columns, and a
            // coded column's codes name its cells.
            let numbers = c.numbers();
            assert_eq!(numbers.is_some(), c.first_non_finite().is_none());
            if let Some(coded) = c.codes() {
                for r in 0..f.n_rows() {
                    assert_eq!(coded.levels[coded.codes[r] as usize], c.raw(r));
                }
            }
            for r in 0..f.n_rows() {
                out.push(format!(
                    "{} {:?} {:?} {:?}",
                    f.line(r),
                    c.raw(r),
                    c.number(r),
                    numbers.map(|n| n.get(r).to_bits())
                ));
            }
        }
        out
    }

    /// Every kept cell is the csv crate's field, trimmed (read on its own
    /// here, not through the frame's store).
    fn cells_as_written(text: &[u8], f: &Frame) {
        let mut reader = csv::ReaderBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(text);
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(crate::header_name)
            .collect();
        for (r, record) in reader.byte_records().enumerate() {
            let record = record.unwrap();
            for name in f.column_names() {
                let i = header.iter().position(|h| h == name).unwrap();
                let written = std::str::from_utf8(&record[i]).unwrap().trim();
                assert_eq!(f.column(name).unwrap().raw(r), written, "row {r} of {name}");
            }
        }
    }

    fn both(text: &[u8], wanted: Option<&[&str]>) {
        let fast = (1..6).map(|min_part| {
            frame_of("t.csv", text.to_vec(), wanted, b',', 3, min_part).map(|f| {
                cells_as_written(text, &f);
                view(&f)
            })
        });
        let slow =
            crate::csv_path::frame_of("t.csv", text.to_vec(), wanted, b',').map(|f| view(&f));
        for f in fast {
            assert_eq!(f, slow, "input {:?}", String::from_utf8_lossy(text));
        }
    }

    /// A little generator (xorshift) of inputs without quotes: the cut
    /// into parts and the line reader must give what the csv crate gives.
    #[test]
    fn parts_read_as_the_csv_crate_reads() {
        let alphabet: [&[u8]; 16] = [
            b"1",
            b"23",
            b".",
            b"a",
            b" ",
            b"\n",
            b",",
            b"\r",
            b"NA",
            b"\t",
            "é".as_bytes(),
            b"e5",
            b"-",
            b"\n\n",
            b"\xff",
            b"inf",
        ];
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15u64);
        for _ in 0..3000 {
            let mut text = match next() % 4 {
                0 => b"x,y\n".to_vec(),
                1 => b"\n\nx,y,z\r\n".to_vec(),
                2 => b"x\n".to_vec(),
                _ => Vec::new(),
            };
            let len = next() % 40;
            for _ in 0..len {
                text.extend_from_slice(alphabet[(next() % 16) as usize]);
            }
            both(&text, None);
            both(&text, Some(&["x"]));
        }
    }

    #[test]
    fn blank_lines_and_crlf_keep_their_line_numbers() {
        let text = b"a,b\r\n1,2\r\n\n\n3,4\r\n5,x\n\n";
        both(text, None);
        let f = frame_of("t.csv", text.to_vec(), None, b',', 2, 1).unwrap();
        assert_eq!(f.n_rows(), 3);
        // The lines the rows are on (the csv crate alone said 3 for line 5,
        // the line after the previous record).
        let lines: Vec<u64> = (0..3).map(|r| f.line(r)).collect();
        assert_eq!(lines, [2, 5, 6]);
        // A quoted cell over two lines: the next row is on the line after.
        let quoted =
            crate::csv_path::frame_of("t.csv", b"a,b\n\"x\ny\",1\n\n2,z\n".to_vec(), None, b',')
                .unwrap();
        assert_eq!(quoted.column("a").unwrap().raw(0), "x\ny");
        assert_eq!((quoted.line(0), quoted.line(1)), (2, 5));
        let err = f.column("b").unwrap().number(2).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "t.csv, line {}, column 2 (b): not a number (value 'x')",
                lines[2]
            )
        );
    }

    #[test]
    fn the_first_error_in_file_order_is_reported_from_parts() {
        let mut text = b"a,b\n".to_vec();
        for i in 0..200 {
            text.extend_from_slice(format!("{i},{i}\n").as_bytes());
        }
        text.extend_from_slice(b"1\n");
        text.extend_from_slice(b"1,2,3\n");
        let slow = crate::csv_path::frame_of("t.csv", text.clone(), None, b',').unwrap_err();
        for min_part in [1, 7, 100, 10_000] {
            let fast = frame_of("t.csv", text.clone(), None, b',', 4, min_part).unwrap_err();
            assert_eq!(fast, slow);
        }
        assert_eq!(
            slow.to_string(),
            "t.csv, line 202: 1 fields where the header has 2"
        );
    }

    #[test]
    fn typing_counts_every_cell() {
        let f = frame_of(
            "t.csv",
            b"x,y,z\n1,a,1\n,2,inf\n2.5,,3\n".to_vec(),
            None,
            b',',
            2,
            1,
        )
        .unwrap();
        let x = f.column("x").unwrap();
        assert_eq!(x.missing_cells(), 1);
        assert_eq!(f.column("z").unwrap().missing_cells(), 0);
        assert_eq!(x.first_non_finite(), None);
        assert_eq!(x.empty_text_cells(), 0);
        let y = f.column("y").unwrap();
        assert_eq!(y.first_non_finite(), Some(0));
        assert_eq!(y.empty_text_cells(), 1);
        let z = f.column("z").unwrap();
        assert_eq!(z.first_non_finite(), Some(1));
        assert_eq!(z.empty_text_cells(), 0);
    }

    /// Columns with more distinct texts than a coded part holds, in parts
    /// that are coded, text, or a long coded run followed by text: every
    /// cell and number is the one written, however the file is cut.
    #[test]
    fn coded_and_text_parts_join_into_the_cells_written() {
        let mut expected: Vec<(String, String)> = Vec::new();
        // 70 000 rows of two codes (longer than a coded run that is
        // rewritten as text), then 600 distinct times, then codes again.
        for i in 0..70_000 {
            expected.push((format!("{}", i % 2), ["a", "b"][i % 2].into()));
        }
        for i in 0..600 {
            expected.push((format!("{}.{}", i, i % 7), format!("g{}", i % 300)));
        }
        for i in 0..1000 {
            expected.push((["1", "NA", "2.50"][i % 3].into(), " c ".into()));
        }
        let mut text = b"t,g\n".to_vec();
        for (t, g) in &expected {
            text.extend_from_slice(format!("{t},{g}\n").as_bytes());
        }
        for min_part in [1 << 20, 300_000, 4096] {
            let f = frame_of("t.csv", text.clone(), None, b',', 4, min_part).unwrap();
            let (t, g) = (f.column("t").unwrap(), f.column("g").unwrap());
            assert_eq!(f.n_rows(), expected.len());
            assert_eq!(t.missing_cells(), 333);
            let numbers = t.numbers().unwrap();
            for (r, (te, ge)) in expected.iter().enumerate() {
                assert_eq!(t.raw(r), te);
                assert_eq!(g.raw(r), ge.trim());
                let parsed = te.parse::<f64>().ok();
                assert_eq!(t.number(r).unwrap(), parsed);
                assert_eq!(
                    numbers.get(r).to_bits(),
                    parsed.unwrap_or(f64::NAN).to_bits()
                );
            }
            assert!(g.numbers().is_none());
        }
        // A short file with few distinct texts is coded.
        let f = frame_of("t.csv", b"t,g\n1,a\n2,b\n1,a\n".to_vec(), None, b',', 1, 1).unwrap();
        let g = f.column("g").unwrap().codes().unwrap();
        assert_eq!(g.levels, ["a", "b"]);
        assert_eq!(g.codes, [0, 1, 0]);
    }

    /// Numeric columns with more distinct values than a coded part holds
    /// are kept as numbers, their text written back only when asked for:
    /// every cell comes back as written (canonical numbers, and the
    /// exceptions: missing tokens, `007`, `2.50`, `.5`, `1e3`, `-2`,
    /// spaces), read in parts and by the csv crate; a column with many
    /// exceptions, or a text cell late in the file, keeps its text.
    #[test]
    fn numbers_kept_without_their_text_give_back_every_cell() {
        let mut next = xorshift(0x2545_f491_4f6c_dd1du64);
        let odd = [
            "",
            "NA",
            "NaN",
            "007",
            "2.50",
            ".5",
            "5.",
            "1e3",
            "-2",
            "+3",
            " 4 ",
            "0.0",
            "00",
            "0",
            "0.25",
            "12345678901234567",
            "1.000000000000001",
        ];
        // (rows, share of odd cells in 1/1000, a text cell at the end)
        for (case, (rows, odd_per_mille, text_at_end)) in [
            (3000, 5, false),
            (3000, 0, true),
            (40_000, 600, false),
            (2000, 50, false),
        ]
        .into_iter()
        .enumerate()
        {
            let mut text = b"t,n\n".to_vec();
            for _ in 0..rows {
                let t = if next() % 1000 < odd_per_mille {
                    odd[(next() % odd.len() as u64) as usize].to_string()
                } else if next().is_multiple_of(3) {
                    format!("{}.{}", next() % 5000, 1 + next() % 99)
                } else {
                    format!("{}", next() % 100_000)
                };
                text.extend_from_slice(format!("{t},{}\n", next() % 7).as_bytes());
            }
            if text_at_end {
                text.extend_from_slice(b"late,1\n");
            }
            both(&text, None);
            let f = frame_of("t.csv", text.clone(), None, b',', 2, 1).unwrap();
            let kept_as_numbers = matches!(f.columns[0].cells, crate::store::Cells::Numbers { .. });
            assert_eq!(kept_as_numbers, case == 0 || case == 3, "case {case}");
            // The missing cells of a column kept as numbers are known
            // without its text; its text is written on the first request.
            let t = f.column("t").unwrap();
            for r in 0..f.n_rows() {
                assert_eq!(t.text(r).is_none(), crate::is_missing(t.raw(r)));
            }
        }
    }

    /// The word-at-a-time parse of numbers gives what
    /// [`crate::store::canonical_value`] gives, for any bytes after the
    /// cell, and nothing for other cells.
    #[test]
    fn numbers_read_by_the_word_as_by_the_byte() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15u64);
        let alphabet = b"0123456789012345678901234567890123456789.,-e /:\xff";
        for _ in 0..300_000 {
            let mut bytes = [0u8; 8];
            for b in &mut bytes {
                *b = if next().is_multiple_of(4) {
                    (next() % 256) as u8
                } else {
                    alphabet[(next() % alphabet.len() as u64) as usize]
                };
            }
            let len = (next() % 10) as usize;
            let word = u64::from_le_bytes(bytes);
            let fast = crate::store::number_of_word(word, len);
            let expected = std::str::from_utf8(&bytes[..len.min(8)])
                .ok()
                .filter(|_| len <= 8)
                .and_then(crate::store::canonical_value);
            assert_eq!(
                fast.map(f64::to_bits),
                expected.map(f64::to_bits),
                "{:?} {len}",
                &bytes[..len.min(8)]
            );
        }
        let word = |s: &[u8]| {
            let mut w = [b','; 8];
            w[..s.len()].copy_from_slice(s);
            u64::from_le_bytes(w)
        };
        assert_eq!(
            crate::store::number_of_word(word(b"12345678"), 8),
            Some(12_345_678.0)
        );
        assert_eq!(crate::store::number_of_word(word(b"0"), 1), Some(0.0));
        assert_eq!(crate::store::number_of_word(word(b"07"), 2), None);
        assert_eq!(crate::store::number_of_word(word(b"3653"), 4), Some(3653.0));
        for (cell, value) in [
            ("0.5", Some(0.5)),
            ("52.4", Some(52.4)),
            ("1234.567", Some(1234.567)),
            ("0.0625", Some(0.0625)),
            ("00.5", None),
            ("1.50", None),
            ("5.", None),
            (".5", None),
            ("1.2.3", None),
        ] {
            let got = crate::store::number_of_word(word(cell.as_bytes()), cell.len());
            assert_eq!(got, value, "{cell}");
        }
    }

    /// A number whose text is canonical is written back as that text.
    #[test]
    fn canonical_numbers_are_written_as_they_were() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15u64);
        let mut checked = 0;
        for _ in 0..300_000 {
            let digits = 1 + (next() % 16) as usize;
            let mut cell: String = (0..digits)
                .map(|_| char::from(b'0' + (next() % 10) as u8))
                .collect();
            if next().is_multiple_of(2) {
                cell.insert((next() % (digits as u64 + 1)) as usize, '.');
            }
            let Ok(v) = cell.parse::<f64>() else { continue };
            if crate::store::is_canonical_number(&cell) {
                let canonical = crate::store::canonical_value(&cell).unwrap();
                let plain = crate::store::plain_decimal(&cell).unwrap();
                assert_eq!(canonical.to_bits(), plain.to_bits(), "{cell}");
                let mut out = Vec::new();
                crate::store::write_number(&mut out, v);
                assert_eq!(String::from_utf8(out).unwrap(), cell);
                assert_eq!(format!("{v}"), cell);
                checked += 1;
            }
        }
        assert!(checked > 10_000, "{checked}");
        for (cell, canonical) in [
            ("0", true),
            ("0.5", true),
            ("10", true),
            ("100.25", true),
            ("999999999999999", true),
            ("00", false),
            ("01", false),
            (".5", false),
            ("5.", false),
            ("5.0", false),
            ("0.0", false),
            ("1.2.3", false),
            ("1e5", false),
            ("-1", false),
            ("", false),
            ("1234567890123456", false),
            ("0.00000000000001", true),
            ("0.000000000000001", false),
        ] {
            assert_eq!(
                crate::store::is_canonical_number(cell),
                canonical,
                "{cell:?}"
            );
        }
    }

    /// The plain-decimal parser against `str::parse` on random decimals of
    /// 1 to 17 digits with the point anywhere.
    #[test]
    fn plain_decimals_parse_as_str_parse_does() {
        let mut next = xorshift(0x2545_f491_4f6c_dd1du64);
        for _ in 0..200_000 {
            let digits = 1 + (next() % 17) as usize;
            let mut cell: String = (0..digits)
                .map(|_| char::from(b'0' + (next() % 10) as u8))
                .collect();
            if !next().is_multiple_of(4) {
                cell.insert((next() % (digits as u64 + 1)) as usize, '.');
            }
            let parsed: f64 = cell.parse().unwrap();
            let fast = crate::store::plain_decimal(&cell).unwrap();
            assert_eq!(fast.to_bits(), parsed.to_bits(), "{cell}");
        }
    }

    #[test]
    fn the_number_shortcuts_agree_with_parsing() {
        let long = "9".repeat(300);
        let too_long = "9".repeat(400);
        let cells = [
            "0",
            "12",
            "3.25",
            ".5",
            "5.",
            ".",
            "..",
            "1.2.3",
            "",
            "-1",
            "+2",
            "1e5",
            "1e400",
            "inf",
            "NaN",
            "nan",
            "12a",
            "0x10",
            "١٢",
            &long,
            &too_long,
            "00012",
            "1,5",
            "999999999999999",
            "9999999999999999",
            "123456789012345678901",
        ];
        for c in cells {
            let parsed = c.parse::<f64>();
            let finite = parsed.as_ref().is_ok_and(|v| v.is_finite());
            if crate::store::is_plain_decimal(c) {
                assert!(finite, "{c:?}");
            }
            let fast = crate::store::parse_number(c);
            assert_eq!(format!("{fast:?}"), format!("{parsed:?}"), "{c:?}");
            let plain = crate::store::plain_decimal(c);
            assert_eq!(plain.is_some(), crate::store::is_plain_decimal(c), "{c:?}");
            if let Some(v) = crate::store::canonical_value(c) {
                assert_eq!(Ok(v), parsed, "{c:?}");
                assert_eq!(format!("{v}"), c);
            }
            if let Some(v) = plain {
                assert_eq!(Ok(v), parsed, "{c:?}");
            }
        }
    }
}
