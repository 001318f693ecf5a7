//! Reading a file with quoted cells in one pass of the `csv` crate (a quoted
//! cell may hold a line end, so the file cannot be cut at line ends).

use crate::store::{ColumnReader, Lines};
use crate::{CellError, Frame, FrameError};

/// Reads `data` (the whole file, with some quote character) into a frame.
pub(crate) fn frame_of(
    source_name: &str,
    data: Vec<u8>,
    wanted: Option<&[&str]>,
    delimiter: u8,
) -> Result<Frame, FrameError> {
    // Only LF ends a record: with the csv crate's default (CR, LF or
    // CRLF) the line numbers of a CRLF file came out one too low. A CR
    // before the LF stays in the last cell and is trimmed with the spaces.
    let mut csv_reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::Any(b'\n'))
        .has_headers(true)
        .flexible(false)
        .from_reader(data.as_slice());
    let malformed = |line: u64, reason: String| FrameError::Malformed {
        source_name: source_name.to_string(),
        line,
        reason,
    };
    let header = csv_reader
        .headers()
        .map_err(|e| malformed(1, csv_reason(&e)))?
        .clone();
    let header: Vec<String> = header.iter().map(crate::header_name).collect();
    let selected = crate::select(source_name, &header, wanted, delimiter)?;
    let mut columns: Vec<ColumnReader> = selected.iter().map(|_| ColumnReader::new(0, 0)).collect();
    let mut lines = Lines::default();
    let mut record = csv::ByteRecord::new();
    let mut row = 0;
    loop {
        match csv_reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| start_line(&data, p));
                return Err(malformed(line, csv_reason(&e)));
            }
        }
        let line = record.position().map_or(0, |p| start_line(&data, p));
        for (column, &i) in columns.iter_mut().zip(&selected) {
            let raw = &record[i];
            let text = std::str::from_utf8(raw).map_err(|_| {
                FrameError::Cell(CellError {
                    source_name: source_name.to_string(),
                    line,
                    column: header[i].clone(),
                    column_number: i + 1,
                    value: String::from_utf8_lossy(raw).into_owned(),
                    reason: "not valid UTF-8 text".into(),
                })
            })?;
            column.push(text);
        }
        lines.push(row, line);
        row += 1;
    }
    let pieces = columns.into_iter().map(|c| vec![c]).collect();
    drop(csv_reader);
    drop(data);
    crate::assemble(source_name, &header, &selected, pieces, lines)
}

/// The line a record starts on. The csv crate gives the position where the
/// previous record ended, so after blank lines (which it skips) its line
/// was the first blank one; the blank lines are counted here.
fn start_line(data: &[u8], position: &csv::Position) -> u64 {
    let from = (position.byte() as usize).min(data.len());
    let blank = data[from..].iter().take_while(|&&b| b == b'\n').count();
    position.line() + blank as u64
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8 text".into(),
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => e.to_string(),
    }
}
