//! How a [`Frame`](crate::Frame) holds its columns: each column's trimmed
//! cells packed into one text buffer with 4-byte end offsets, the physical
//! line of each row as a few marks (not one number per row), and what the
//! whole column is (numbers or text) decided while reading.
//!
//! Why: ten million rows of short cells stored as one `String` each, or even
//! with an 8-byte offset and an 8-byte line number per cell, cost several
//! times the file; this layout costs the cell text plus 4 bytes a cell.

use std::collections::BTreeMap;

/// Distinct trimmed values whose spaced forms a column remembers (a file
/// padded throughout, `a, b` style, would otherwise keep one entry per
/// distinct label; a few thousand cover any real grouping column).
const MAX_SPACED_VALUES: usize = 4096;

/// End offsets of the cells in a column's text: 4 bytes a cell while the
/// column's text fits in 4 GiB, 8 beyond.
#[derive(Debug, Clone)]
pub(crate) enum Offsets {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl Offsets {
    fn get(&self, i: usize) -> usize {
        match self {
            Offsets::Narrow(v) => v[i] as usize,
            Offsets::Wide(v) => v[i] as usize,
        }
    }

    fn len(&self) -> usize {
        match self {
            Offsets::Narrow(v) => v.len(),
            Offsets::Wide(v) => v.len(),
        }
    }
}

/// What the cells of a whole column are, found while reading (every row,
/// dropped ones too: R's `read.csv` types a column on all its cells).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Typing {
    /// Cells that are empty after trimming.
    pub empty_cells: usize,
    /// Missing cells (empty, `NA`, `NaN`).
    pub missing_cells: usize,
    /// First row whose present cell does not parse as a number at all.
    pub first_unparsable: Option<usize>,
    /// First row whose present cell is not a finite number (text, or an
    /// infinite value).
    pub first_not_finite: Option<usize>,
}

impl Typing {
    /// Counts one trimmed cell of row `row`.
    #[inline]
    fn note(&mut self, row: usize, cell: &str) {
        if cell.is_empty() {
            self.empty_cells += 1;
            self.missing_cells += 1;
            return;
        }
        if cell.as_bytes()[0] == b'N' && crate::is_missing(cell) {
            self.missing_cells += 1;
            return;
        }
        if self.first_unparsable.is_some() || is_plain_decimal(cell) {
            return;
        }
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() => {}
            Ok(_) => {
                self.first_not_finite.get_or_insert(row);
            }
            Err(_) => {
                self.first_unparsable = Some(row);
                self.first_not_finite.get_or_insert(row);
            }
        }
    }

    /// The typing of a column made of `self` followed by `later`, whose
    /// first row is row `offset` of the whole.
    fn then(self, later: Typing, offset: usize) -> Typing {
        Typing {
            empty_cells: self.empty_cells + later.empty_cells,
            missing_cells: self.missing_cells + later.missing_cells,
            first_unparsable: self
                .first_unparsable
                .or(later.first_unparsable.map(|r| r + offset)),
            first_not_finite: self
                .first_not_finite
                .or(later.first_not_finite.map(|r| r + offset)),
        }
    }
}

/// Digits with at most one decimal point (and at least one digit), at most
/// 300 characters: what `str::parse::<f64>` reads as a finite number, told
/// apart without parsing (nearly every cell of a numeric column).
#[inline]
pub(crate) fn is_plain_decimal(t: &str) -> bool {
    let b = t.as_bytes();
    if b.is_empty() || b.len() > 300 {
        return false;
    }
    let mut dots = 0;
    let mut digits = false;
    for &c in b {
        if c.is_ascii_digit() {
            digits = true;
        } else if c == b'.' {
            dots += 1;
        } else {
            return false;
        }
    }
    digits && dots <= 1
}

/// `raw.trim()`, answered at once for the usual cell, which begins and
/// ends with a printable ASCII character (every Unicode space is either
/// an ASCII control or space, or starts with a byte of 0x80 or more).
#[inline]
fn trim(raw: &str) -> &str {
    let b = raw.as_bytes();
    let plain = |c: u8| c > b' ' && c < 0x80;
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) if plain(f) && plain(l) => raw,
        _ => raw.trim(),
    }
}

/// The cell as `str::parse::<f64>` reads it, without its general parser for
/// whole numbers of up to 15 digits (exact in an `f64`, so the same value).
#[inline]
pub(crate) fn parse_number(t: &str) -> Result<f64, std::num::ParseFloatError> {
    let b = t.as_bytes();
    if !b.is_empty() && b.len() <= 15 && b.iter().all(u8::is_ascii_digit) {
        let mut v: u64 = 0;
        for &c in b {
            v = v * 10 + u64::from(c - b'0');
        }
        return Ok(v as f64);
    }
    t.parse::<f64>()
}

/// One column's cells packed into a single buffer.
#[derive(Debug, Clone)]
pub(crate) struct TextColumn {
    pub name: String,
    /// 1-based position in the file's header.
    pub position: usize,
    bytes: String,
    ends: Offsets,
    pub typing: Typing,
    /// Text cells (not numbers) that had surrounding spaces: trimmed value
    /// → (distinct untrimmed forms, cells). Empty in the usual file; bounded
    /// by [`MAX_SPACED_VALUES`].
    pub spaced: BTreeMap<String, (Vec<String>, usize)>,
}

impl TextColumn {
    pub fn cell(&self, row: usize) -> &str {
        let start = if row == 0 { 0 } else { self.ends.get(row - 1) };
        &self.bytes[start..self.ends.get(row)]
    }

    /// The column made of the cells of `pieces`, in order.
    pub fn concat(name: String, position: usize, mut pieces: Vec<PieceColumn>) -> TextColumn {
        let total: usize = pieces.iter().map(|p| p.bytes.len()).sum();
        let mut typing = Typing::default();
        let mut rows = 0;
        for p in &pieces {
            typing = typing.then(p.typing, rows);
            rows += p.ends.len();
        }
        let mut spaced: BTreeMap<String, (Vec<String>, usize)> = BTreeMap::new();
        for p in &mut pieces {
            for (label, (forms, n)) in std::mem::take(&mut p.spaced) {
                if !spaced.contains_key(&label) && spaced.len() >= MAX_SPACED_VALUES {
                    continue;
                }
                let entry = spaced.entry(label).or_default();
                for form in forms {
                    if !entry.0.contains(&form) {
                        entry.0.push(form);
                    }
                }
                entry.1 += n;
            }
        }
        let (bytes, ends) = if pieces.len() == 1 && total <= u32::MAX as usize {
            let p = pieces.pop().unwrap_or_default();
            (p.bytes, Offsets::Narrow(p.ends))
        } else {
            let mut bytes = Vec::with_capacity(total);
            let narrow = total <= u32::MAX as usize;
            let mut ends = if narrow {
                Offsets::Narrow(Vec::with_capacity(rows))
            } else {
                Offsets::Wide(Vec::with_capacity(rows))
            };
            for p in pieces {
                let base = bytes.len();
                bytes.extend_from_slice(&p.bytes);
                match &mut ends {
                    Offsets::Narrow(v) => {
                        v.extend(p.ends.iter().map(|&e| (base + e as usize) as u32))
                    }
                    Offsets::Wide(v) => {
                        v.extend(p.ends.iter().map(|&e| (base + e as usize) as u64))
                    }
                }
            }
            (bytes, ends)
        };
        debug_assert_eq!(ends.len(), rows);
        // Made of whole `&str` cells: valid, checked once more at memory speed.
        let bytes = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        TextColumn {
            name,
            position,
            bytes,
            ends,
            typing,
            spaced,
        }
    }
}

/// The cells of one column read from one part of a file (at most 4 GiB of
/// text: [`crate::read`] cuts larger files into parts).
#[derive(Debug, Default)]
pub(crate) struct PieceColumn {
    /// Whole UTF-8 cells (pushed from `&str`), so the text is UTF-8.
    bytes: Vec<u8>,
    ends: Vec<u32>,
    typing: Typing,
    spaced: BTreeMap<String, (Vec<String>, usize)>,
    /// Set when a spaced label was left out for the bound: the parts of a
    /// file can then not be merged into what one pass would have kept, so
    /// the file is read again in one part.
    pub spaced_full: bool,
}

impl PieceColumn {
    pub fn with_capacity(rows: usize, bytes: usize) -> PieceColumn {
        PieceColumn {
            bytes: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(rows),
            ..PieceColumn::default()
        }
    }

    /// True when `extra` more bytes of text keep the piece under 4 GiB.
    #[inline]
    pub fn fits(&self, extra: usize) -> bool {
        self.bytes.len() + extra <= u32::MAX as usize
    }

    /// An empty piece that continues this one: the spaced labels seen so
    /// far move to it, so their bound still counts in file order.
    pub fn successor(&mut self) -> PieceColumn {
        PieceColumn {
            spaced: std::mem::take(&mut self.spaced),
            spaced_full: self.spaced_full,
            ..PieceColumn::default()
        }
    }

    /// Appends the cell `raw` (untrimmed) of the piece's row `row`; the
    /// caller checked that it [`fits`](Self::fits).
    #[inline]
    pub fn push(&mut self, row: usize, raw: &str) {
        let trimmed = trim(raw);
        if trimmed.len() != raw.len() {
            self.note_spaced(raw, trimmed);
        }
        self.typing.note(row, trimmed);
        let cell = trimmed.as_bytes();
        if cell.len() <= 16 {
            // Short cells byte by byte: a call to memcpy costs more.
            for &b in cell {
                self.bytes.push(b);
            }
        } else {
            self.bytes.extend_from_slice(cell);
        }
        self.ends.push(self.bytes.len() as u32);
    }

    /// Remembers a cell whose text had surrounding spaces (not counting the
    /// CR of a CRLF line end), when it is text rather than a number.
    fn note_spaced(&mut self, raw: &str, trimmed: &str) {
        let unpadded = raw.strip_suffix('\r').unwrap_or(raw);
        if unpadded == trimmed || crate::is_missing(trimmed) || trimmed.parse::<f64>().is_ok() {
            return;
        }
        if !self.spaced.contains_key(trimmed) && self.spaced.len() >= MAX_SPACED_VALUES {
            self.spaced_full = true;
            return;
        }
        let entry = self.spaced.entry(trimmed.to_string()).or_default();
        if !entry.0.iter().any(|v| v == unpadded) {
            entry.0.push(unpadded.to_string());
        }
        entry.1 += 1;
    }
}

/// The physical line of every row, as marks `(row, line)`: row `r` is on
/// the line of the last mark at or before it plus the rows since. A file
/// without blank lines or multi-line cells has one mark.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lines {
    marks: Vec<(usize, u64)>,
    rows: usize,
}

impl Lines {
    /// Notes that row `row` (the next one) is on line `line`.
    #[inline]
    pub fn push(&mut self, row: usize, line: u64) {
        let expected = self.marks.last().map(|&(r, l)| l + (row - r) as u64);
        if expected != Some(line) {
            self.marks.push((row, line));
        }
        self.rows = row + 1;
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn line(&self, row: usize) -> u64 {
        let k = self.marks.partition_point(|&(r, _)| r <= row);
        let (r, l) = self.marks[k.saturating_sub(1)];
        l + (row - r) as u64
    }

    /// The lines of `self` followed by `later`, whose lines are counted
    /// from `line_base` (its line 1 is line `line_base + 1` of the file).
    pub fn then(mut self, later: &Lines, line_base: u64) -> Lines {
        let offset = self.rows;
        for &(r, l) in &later.marks {
            self.push(offset + r, line_base + l);
        }
        self.rows = offset + later.rows;
        self
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_quick_trim_is_str_trim() {
        let cells = [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta\r",
            "\u{a0}x",
            "x\u{a0}",
            "\u{85}",
            "\u{3000}y",
            "\u{1c}z\u{1f}",
            "\u{b}1\u{c}",
            "é",
            " é ",
            "\u{7f}",
            "a b",
            "\u{2028}",
            "1\u{200a}",
        ];
        for c in cells {
            assert_eq!(super::trim(c), c.trim(), "{c:?}");
        }
    }
}
