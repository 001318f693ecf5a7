//! How a [`Frame`](crate::Frame) holds its columns, decided while reading:
//! a column with few distinct cells (an event, a group) as a code per row
//! and its distinct texts; a numeric column whose cells are nearly all
//! their numbers written out (times in days, ages) as each row's number
//! and the few other cells' texts, its text written back only if a caller
//! asks for a cell's text; any other as its trimmed cells packed into one
//! text buffer with 4-byte end offsets, plus each row's number when every
//! present cell is a finite number. The physical line of each row is kept
//! as a few marks (not one number per row), and what the whole column is
//! (numbers or text) is counted while reading.
//!
//! Why: ten million rows of short cells stored as one `String` each, or even
//! with an 8-byte offset and an 8-byte line number per cell, cost several
//! times the file; this layout costs 4 bytes a cell for a coded column, 8
//! for a column of numbers, the cell text plus 4 (plus 8 when numeric) for
//! any other. A coded column is typed, parsed and compared once per
//! distinct text, not once per cell, and the analyses read numbers and
//! codes without parsing or comparing text again. The usual cells take a
//! short path: a short cell of a coded column is found by one 8-byte word
//! compared with every known text at once, a whole number by one word
//! parsed at once (no loop or branch whose outcome changes from cell to
//! cell: missed predictions were most of the reading's cost).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// Distinct trimmed values whose spaced forms a column remembers (a file
/// padded throughout, `a, b` style, would otherwise keep one entry per
/// distinct label; a few thousand cover any real grouping column).
const MAX_SPACED_VALUES: usize = 4096;

/// Distinct texts a part of a column may have and stay coded: enough for
/// any grouping or event column, few enough that their lookup stays in the
/// cache (a column of times or identifiers passes it within a few hundred
/// rows and is stored as text).
pub(crate) const MAX_CODES: usize = 256;

/// Rows of a coded piece that are copied into a text piece when the column
/// turns out not to be coded; a longer coded piece is kept as it is.
const RECODE_ROWS: usize = 1 << 16;

/// Distinct texts compared in turn before a hash lookup (fewer comparisons
/// than a hash costs).
const FEW: usize = 8;
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

    #[inline]
    fn push(&mut self, end: usize) {
        match self {
            Offsets::Narrow(v) => v.push(end as u32),
            Offsets::Wide(v) => v.push(end as u64),
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
    /// Counts one trimmed cell of row `row` and returns its number: NaN
    /// when it is missing or not a finite number (every finite number is
    /// returned as `str::parse::<f64>` reads it).
    #[inline]
    fn note(&mut self, row: usize, cell: &str) -> f64 {
        if cell.is_empty() {
            self.empty_cells += 1;
            self.missing_cells += 1;
            return f64::NAN;
        }
        if cell.as_bytes()[0] == b'N' && crate::is_missing(cell) {
            self.missing_cells += 1;
            return f64::NAN;
        }
        if let Some(v) = plain_decimal(cell) {
            return v;
        }
        if self.first_unparsable.is_some() {
            return f64::NAN;
        }
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            Ok(_) => {
                self.first_not_finite.get_or_insert(row);
                f64::NAN
            }
            Err(_) => {
                self.first_unparsable = Some(row);
                self.first_not_finite.get_or_insert(row);
                f64::NAN
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

/// Powers of ten that are exact in an `f64`.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// The value of a plain decimal cell ([`is_plain_decimal`]), `None` for any
/// other cell. Up to 15 digits it is the digits as a whole number divided
/// by a power of ten: both exact in an `f64`, so the one rounding of the
/// division gives the correctly rounded value, the one `str::parse` gives
/// (Clinger's fast path); longer cells are handed to `str::parse`.
#[inline]
pub(crate) fn plain_decimal(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    if b.len() > 16 {
        return if is_plain_decimal(t) {
            t.parse::<f64>().ok()
        } else {
            None
        };
    }
    let mut m: u64 = 0;
    let mut digits = 0usize;
    let mut point: Option<usize> = None;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d < 10 {
            m = m * 10 + u64::from(d);
            digits += 1;
        } else if c == b'.' && point.is_none() {
            point = Some(digits);
        } else {
            return None;
        }
    }
    if digits == 0 {
        return None;
    }
    if digits > 15 {
        return t.parse::<f64>().ok();
    }
    let scale = point.map_or(0, |p| digits - p);
    Some(m as f64 / POW10[scale])
}

/// The cell as `str::parse::<f64>` reads it, without its general parser for
/// plain decimals of up to 15 digits ([`plain_decimal`]: the same value).
#[inline]
pub(crate) fn parse_number(t: &str) -> Result<f64, std::num::ParseFloatError> {
    match plain_decimal(t) {
        Some(v) => Ok(v),
        None => t.parse::<f64>(),
    }
}

/// True when `t`, a cell that reads as a finite number, is exactly that
/// number written out by `{}` (`f64`'s `Display`): digits without a
/// leading zero (`0` alone, or before the point), at most one point with a
/// digit on each side and no trailing zero, at most 15 digits and 16
/// bytes. Such a number's shortest round-trip form has the same digits (a
/// decimal of at most 15 significant digits is the only one of its length
/// that reads as its double), so its text need not be kept:
/// [`write_number`] gives it back.
#[inline]
pub(crate) fn is_canonical_number(t: &str) -> bool {
    canonical_value(t).is_some()
}

/// The value of a cell of `len` bytes, `word` being the 8 bytes of the
/// file that begin with it (little-endian), when the cell is a number
/// written out ([`is_canonical_number`]) of at most 8 bytes: digits
/// without a leading zero, with at most one point inside them and no
/// trailing zero after it; `None` otherwise. All eight bytes are checked
/// and converted at once (no loop whose length varies from cell to cell);
/// the value is [`canonical_value`]'s.
#[inline]
pub(crate) fn number_of_word(word: u64, len: usize) -> Option<f64> {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    if len == 0 || len > 8 {
        return None;
    }
    let keep = if len == 8 {
        u64::MAX
    } else {
        (1u64 << (8 * len)) - 1
    };
    // Digit values in the cell's bytes (a point is 0x1E), zero above it.
    let x = (word ^ 0x3030_3030_3030_3030) & keep;
    let points = zero_bytes(x ^ 0x1E1E_1E1E_1E1E_1E1E) & keep;
    let point = (points != 0).then(|| points.trailing_zeros() as usize / 8);
    let digits = match point {
        None => x,
        Some(p) => {
            // One point, with a digit before it and a last digit after it
            // that is not 0.
            if points & (points - 1) != 0 || p == 0 || p + 1 >= len || x >> (8 * (len - 1)) == 0 {
                return None;
            }
            let low = x & ((1u64 << (8 * p)) - 1);
            low | ((x >> (8 * (p + 1))) << (8 * p))
        }
    };
    let n = len - usize::from(point.is_some());
    // A byte that was not a digit has a high nibble, or a low one above 9.
    if digits & HIGH != 0 || (digits + 0x0606_0606_0606_0606) & HIGH != 0 {
        return None;
    }
    // A leading zero only alone or just before the point.
    if n > 1 && digits & 0xFF == 0 && point != Some(1) {
        return None;
    }
    // The first digit is the lowest byte: shifted up, the cell reads as
    // eight digits with leading zeros.
    let m = digits << (8 * (8 - n));
    let m = (m * 10 + (m >> 8)) & 0x00FF_00FF_00FF_00FF;
    let m = (m * 100 + (m >> 16)) & 0x0000_FFFF_0000_FFFF;
    let m = ((m * 10_000 + (m >> 32)) & 0xFFFF_FFFF) as i64 as f64;
    Some(match point {
        None => m,
        Some(p) => m / POW10[len - 1 - p],
    })
}

/// 0x80 in each byte of `v` that is zero, nothing elsewhere (exactly: no
/// carry crosses a byte).
#[inline]
fn zero_bytes(v: u64) -> u64 {
    const LOW: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    !(((v & LOW) + LOW) | v | LOW)
}

/// The value of a cell for which [`is_canonical_number`] holds (the value
/// [`plain_decimal`] gives: the digits as a whole number divided by a
/// power of ten), `None` for any other cell: the check and the parse in
/// one pass, for the usual cell of a column of times.
#[inline]
pub(crate) fn canonical_value(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    let (&first, &last) = (b.first()?, b.last()?);
    if b.len() > 16 || (first == b'0' && b.len() > 1 && b[1] != b'.') {
        return None;
    }
    let mut m: u64 = 0;
    let mut point = None;
    for (i, &c) in b.iter().enumerate() {
        let d = c.wrapping_sub(b'0');
        if d < 10 {
            m = m * 10 + u64::from(d);
        } else if c == b'.' && point.is_none() && i > 0 && i + 1 < b.len() && last != b'0' {
            point = Some(i);
        } else {
            return None;
        }
    }
    if b.len() - usize::from(point.is_some()) > 15 {
        return None;
    }
    // Below 10^15 the digits are exact as an i64 and as an f64; a whole
    // number needs no division (its latency was felt on every cell).
    let whole = m as i64 as f64;
    Some(match point {
        None => whole,
        Some(p) => whole / POW10[b.len() - 1 - p],
    })
}

/// Appends `v` as `{}` writes it: the text of a cell for which
/// [`is_canonical_number`] holds (whole numbers without the formatter).
pub(crate) fn write_number(out: &mut Vec<u8>, v: f64) {
    if (0.0..1e15).contains(&v) && v == v.trunc() {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut n = v as u64;
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.extend_from_slice(&digits[at..]);
    } else {
        use std::io::Write as _;
        // Writing to a `Vec` cannot fail.
        let _ = write!(out, "{v}");
    }
}

/// Cells not kept as text: every cell is its number written out
/// ([`write_number`]) except the listed ones (row, text), in row order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Exceptions {
    rows: Vec<usize>,
    texts: Vec<Box<str>>,
}

impl Exceptions {
    fn push(&mut self, row: usize, text: &str) {
        self.rows.push(row);
        self.texts.push(text.into());
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    /// Appends `later`, whose first row is row `offset` here.
    fn extend(&mut self, later: Exceptions, offset: usize) {
        self.rows.extend(later.rows.iter().map(|r| r + offset));
        self.texts.extend(later.texts);
    }

    /// Writes the text of the cells of `numbers` into `bytes`, calling
    /// `end` with the end of each.
    fn write_cells(&self, numbers: &[f64], bytes: &mut Vec<u8>, mut end: impl FnMut(usize)) {
        let mut next = 0;
        for (row, &v) in numbers.iter().enumerate() {
            if self.rows.get(next) == Some(&row) {
                bytes.extend_from_slice(self.texts[next].as_bytes());
                next += 1;
            } else {
                write_number(bytes, v);
            }
            end(bytes.len());
        }
    }
}

/// The text of a column kept as numbers ([`Cells::Numbers`]), written out
/// when first asked for.
#[derive(Debug, Clone)]
pub(crate) struct WrittenText {
    bytes: String,
    ends: Offsets,
}

impl WrittenText {
    fn of(numbers: &[f64], exceptions: &Exceptions) -> WrittenText {
        let mut bytes = Vec::new();
        // A written number is at most 24 bytes long.
        let narrow = numbers.len().saturating_mul(24)
            + exceptions.texts.iter().map(|t| t.len()).sum::<usize>()
            <= u32::MAX as usize;
        let mut ends = if narrow {
            Offsets::Narrow(Vec::with_capacity(numbers.len()))
        } else {
            Offsets::Wide(Vec::with_capacity(numbers.len()))
        };
        exceptions.write_cells(numbers, &mut bytes, |e| ends.push(e));
        WrittenText {
            bytes: utf8(bytes),
            ends,
        }
    }
}

/// How a whole column's cells are stored.
#[derive(Debug, Clone)]
pub(crate) enum Cells {
    /// A code per row into the distinct trimmed texts (first-seen order),
    /// with each text's number (NaN when missing or not a finite number).
    Coded {
        codes: Vec<u32>,
        levels: Vec<String>,
        values: Vec<f64>,
    },
    /// The trimmed cells packed into one buffer, with each row's number
    /// (NaN where missing) when every present cell is a finite number.
    Text {
        bytes: String,
        ends: Offsets,
        numbers: Option<Vec<f64>>,
    },
    /// A numeric column whose cells are nearly all their numbers written
    /// out (times in days, ages): each row's number (NaN where missing)
    /// and the few other cells' texts; the whole text is written only if
    /// some caller asks for a cell's text.
    Numbers {
        numbers: Vec<f64>,
        exceptions: Exceptions,
        text: OnceLock<WrittenText>,
    },
}

/// One whole column of a frame.
#[derive(Debug, Clone)]
pub(crate) struct TextColumn {
    pub name: String,
    /// 1-based position in the file's header.
    pub position: usize,
    pub cells: Cells,
    pub typing: Typing,
    /// Text cells (not numbers) that had surrounding spaces: trimmed value
    /// → (distinct untrimmed forms, cells). Empty in the usual file; bounded
    /// by [`MAX_SPACED_VALUES`].
    pub spaced: BTreeMap<String, (Vec<String>, usize)>,
}

impl TextColumn {
    /// The trimmed text of the cell in `row`.
    #[inline]
    pub fn cell(&self, row: usize) -> &str {
        match &self.cells {
            Cells::Coded { codes, levels, .. } => &levels[codes[row] as usize],
            Cells::Text { bytes, ends, .. } => slice(bytes, ends, row),
            Cells::Numbers {
                numbers,
                exceptions,
                text,
            } => {
                let t = text.get_or_init(|| WrittenText::of(numbers, exceptions));
                slice(&t.bytes, &t.ends, row)
            }
        }
    }

    /// The number read from the cell in `row` while the file was read: NaN
    /// when it was not kept (missing, text, infinite, or a column that is
    /// not numeric throughout).
    #[inline]
    pub fn stored_number(&self, row: usize) -> f64 {
        match &self.cells {
            Cells::Coded { codes, values, .. } => values[codes[row] as usize],
            Cells::Text {
                numbers: Some(n), ..
            } => n[row],
            Cells::Text { numbers: None, .. } => f64::NAN,
            Cells::Numbers { numbers, .. } => numbers[row],
        }
    }

    /// The column made of the parts `parts` (one per part of the file, in
    /// file order).
    pub fn concat(name: String, position: usize, parts: Vec<ColumnReader>) -> TextColumn {
        let mut typing = Typing::default();
        let mut rows = 0;
        for p in &parts {
            typing = typing.then(p.typing, rows);
            rows += p.rows;
        }
        let mut spaced: BTreeMap<String, (Vec<String>, usize)> = BTreeMap::new();
        let mut pieces: Vec<Piece> = Vec::new();
        for p in parts {
            for (label, (forms, n)) in p.spaced {
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
            pieces.extend(p.done);
            pieces.push(p.current);
        }
        let numeric = typing.first_not_finite.is_none();
        let cells = if pieces.iter().all(|p| matches!(p, Piece::Coded(_))) {
            coded_cells(pieces, rows)
        } else {
            text_cells(pieces, rows, numeric)
        };
        TextColumn {
            name,
            position,
            cells,
            typing,
            spaced,
        }
    }
}

/// The text of row `row` of packed cells.
#[inline]
fn slice<'a>(bytes: &'a str, ends: &Offsets, row: usize) -> &'a str {
    let start = if row == 0 { 0 } else { ends.get(row - 1) };
    &bytes[start..ends.get(row)]
}

/// The coded pieces of a column joined: their texts merged in first-seen
/// order, each piece's codes renumbered. The first piece's codes stay as
/// they are, in their buffer (part 0 of a file sizes it for the whole
/// column): only the later parts' codes are copied.
fn coded_cells(pieces: Vec<Piece>, rows: usize) -> Cells {
    let mut codes: Vec<u32> = Vec::new();
    let mut levels: Vec<String> = Vec::new();
    let mut values: Vec<f64> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let several = pieces.len() > 1;
    for piece in pieces {
        let Piece::Coded(d) = piece else { continue };
        if codes.is_empty() && levels.is_empty() {
            codes = d.codes;
            codes.reserve(rows.saturating_sub(codes.len()));
            if several {
                for (k, text) in d.levels.iter().enumerate() {
                    index.insert(text.clone(), k as u32);
                }
            }
            levels = d.levels;
            values = d.values;
            continue;
        }
        let renumber: Vec<u32> = d
            .levels
            .into_iter()
            .zip(d.values)
            .map(|(text, value)| {
                if let Some(&k) = index.get(&text) {
                    return k;
                }
                let k = levels.len() as u32;
                index.insert(text.clone(), k);
                levels.push(text);
                values.push(value);
                k
            })
            .collect();
        codes.extend(d.codes.iter().map(|&c| renumber[c as usize]));
    }
    Cells::Coded {
        codes,
        levels,
        values,
    }
}

/// The pieces of a column joined: as numbers with the few cells that are
/// not their number written out ([`Cells::Numbers`]) when every piece
/// kept only that, otherwise as text (coded pieces and pieces kept as
/// numbers written out), with the rows' numbers when the column is
/// `numeric`.
fn text_cells(mut pieces: Vec<Piece>, rows: usize, numeric: bool) -> Cells {
    if numeric
        && pieces
            .iter()
            .all(|p| matches!(p, Piece::Text(t) if t.is_skipped()))
    {
        return numbers_cells(pieces, rows);
    }
    for piece in &mut pieces {
        if let Piece::Text(t) = piece {
            t.keep_text();
        }
    }
    if pieces.len() == 1
        && let Some(Piece::Text(t)) = pieces.pop()
        && let PieceText::Kept { bytes, ends } = t.text
    {
        return Cells::Text {
            bytes: utf8(bytes),
            ends,
            numbers: if numeric { t.numbers } else { None },
        };
    }
    let total: usize = pieces.iter().map(Piece::text_len).sum();
    let mut bytes = Vec::with_capacity(total);
    let mut ends = if total <= u32::MAX as usize {
        Offsets::Narrow(Vec::with_capacity(rows))
    } else {
        Offsets::Wide(Vec::with_capacity(rows))
    };
    let mut numbers = numeric.then(|| Vec::with_capacity(rows));
    for piece in pieces {
        match piece {
            Piece::Coded(d) => {
                for &c in &d.codes {
                    bytes.extend_from_slice(d.levels[c as usize].as_bytes());
                    ends.push(bytes.len());
                }
                if let Some(n) = &mut numbers {
                    n.extend(d.codes.iter().map(|&c| d.values[c as usize]));
                }
            }
            Piece::Text(t) => {
                let base = bytes.len();
                if let PieceText::Kept {
                    bytes: text,
                    ends: piece_ends,
                } = &t.text
                {
                    bytes.extend_from_slice(text);
                    for i in 0..piece_ends.len() {
                        ends.push(base + piece_ends.get(i));
                    }
                }
                if let Some(n) = &mut numbers {
                    // A numeric column's text pieces all kept their numbers.
                    n.extend_from_slice(t.numbers.as_deref().unwrap_or_default());
                }
            }
        }
    }
    debug_assert_eq!(ends.len(), rows);
    if numbers.as_ref().is_some_and(|n| n.len() != rows) {
        numbers = None;
    }
    Cells::Text {
        bytes: utf8(bytes),
        ends,
        numbers,
    }
}

/// The pieces of a numeric column that all kept only their numbers
/// (and exceptions), joined. The first piece's numbers stay in their
/// buffer (sized for the whole column by part 0 of a file).
fn numbers_cells(pieces: Vec<Piece>, rows: usize) -> Cells {
    let mut numbers: Vec<f64> = Vec::new();
    let mut exceptions = Exceptions::default();
    for piece in pieces {
        let Piece::Text(TextPiece {
            text: PieceText::Skipped(e),
            numbers: Some(n),
            ..
        }) = piece
        else {
            continue;
        };
        let offset = numbers.len();
        exceptions.extend(e, offset);
        if offset == 0 {
            numbers = n;
            numbers.reserve(rows.saturating_sub(numbers.len()));
        } else {
            numbers.extend_from_slice(&n);
        }
    }
    Cells::Numbers {
        numbers,
        exceptions,
        text: OnceLock::new(),
    }
}

/// Text made of whole `&str` cells: valid, checked once more at memory
/// speed.
fn utf8(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A run of rows of one column, stored one way.
#[derive(Debug)]
pub(crate) enum Piece {
    Coded(Dictionary),
    Text(TextPiece),
}

impl Piece {
    /// Bytes of the text the piece's cells make (a text piece's once kept).
    fn text_len(&self) -> usize {
        match self {
            Piece::Coded(d) => d.codes.iter().map(|&c| d.levels[c as usize].len()).sum(),
            Piece::Text(t) => match &t.text {
                PieceText::Kept { bytes, .. } => bytes.len(),
                PieceText::Skipped(_) => 0,
            },
        }
    }
}

/// How a text piece holds its cells' text.
#[derive(Debug)]
enum PieceText {
    /// Whole UTF-8 cells (pushed from `&str`, so the text is UTF-8) and
    /// their ends (4-byte while the piece is below 4 GiB: a piece of that
    /// width is closed there).
    Kept { bytes: Vec<u8>, ends: Offsets },
    /// Not kept while every cell of a numeric column but the listed ones
    /// is its number written out ([`is_canonical_number`]): copying
    /// the text of a column of times or ages costs more than the number.
    Skipped(Exceptions),
}

/// Exceptions a piece kept as numbers may list beyond one cell in
/// [`EXCEPTIONS_PER`]: more (a column with many `NA`, or numbers written
/// `007`, `1e5`, `2.50`) and the piece keeps its text after all.
const EXCEPTIONS_FLOOR: usize = 4096;
const EXCEPTIONS_PER: usize = 8;

/// Cells of one column in a run of rows, as text or as numbers.
#[derive(Debug)]
pub(crate) struct TextPiece {
    text: PieceText,
    /// Each row's number (NaN where missing) while every present cell of
    /// the column so far is a finite number; always present while the
    /// text is skipped.
    numbers: Option<Vec<f64>>,
    rows: usize,
}

impl Default for TextPiece {
    fn default() -> TextPiece {
        TextPiece::with_capacity(0, 0, false)
    }
}

impl TextPiece {
    /// A piece of a column that is `numeric` so far (then kept as
    /// numbers) or not, with room for `rows` rows and `bytes` of text.
    fn with_capacity(rows: usize, bytes: usize, numeric: bool) -> TextPiece {
        TextPiece {
            text: if numeric {
                PieceText::Skipped(Exceptions::default())
            } else {
                PieceText::Kept {
                    bytes: Vec::with_capacity(bytes),
                    ends: Offsets::Narrow(Vec::with_capacity(rows)),
                }
            },
            numbers: numeric.then(|| Vec::with_capacity(rows)),
            rows: 0,
        }
    }

    fn is_skipped(&self) -> bool {
        matches!(self.text, PieceText::Skipped(_))
    }

    /// True when a cell of `len` bytes does not fit the piece's 4-byte
    /// offsets.
    fn is_full(&self, len: usize) -> bool {
        match &self.text {
            PieceText::Kept {
                bytes,
                ends: Offsets::Narrow(_),
            } => bytes.len() + len > u32::MAX as usize,
            _ => false,
        }
    }

    #[inline]
    fn push(&mut self, cell: &str, value: f64) {
        match &mut self.text {
            PieceText::Kept { bytes, ends } => {
                let cell = cell.as_bytes();
                if cell.len() <= 16 {
                    // Short cells byte by byte: a call to memcpy costs more.
                    for &b in cell {
                        bytes.push(b);
                    }
                } else {
                    bytes.extend_from_slice(cell);
                }
                ends.push(bytes.len());
            }
            PieceText::Skipped(e) => {
                if !is_canonical_number(cell) {
                    e.push(self.rows, cell);
                }
            }
        }
        if let Some(n) = &mut self.numbers {
            n.push(value);
        }
        self.rows += 1;
    }

    /// Appends `cell` if the piece is kept as numbers and the cell is its
    /// number written out ([`canonical_value`]); false (nothing done)
    /// otherwise.
    #[inline]
    fn push_canonical(&mut self, cell: &str, word: Option<u64>) -> bool {
        if let (PieceText::Skipped(_), Some(n)) = (&self.text, &mut self.numbers)
            && let Some(v) = word
                .and_then(|w| number_of_word(w, cell.len()))
                .or_else(|| canonical_value(cell))
        {
            n.push(v);
            self.rows += 1;
            return true;
        }
        false
    }

    /// True when a piece kept as numbers lists too many exceptions.
    #[inline]
    fn has_many_exceptions(&self) -> bool {
        match &self.text {
            PieceText::Skipped(e) => e.len() > EXCEPTIONS_FLOOR + self.rows / EXCEPTIONS_PER,
            PieceText::Kept { .. } => false,
        }
    }

    /// Writes out the text of a piece kept as numbers (its numbers and
    /// exceptions give every cell), to go on as text.
    fn keep_text(&mut self) {
        if !self.is_skipped() {
            return;
        }
        let empty = PieceText::Kept {
            bytes: Vec::new(),
            ends: Offsets::Narrow(Vec::new()),
        };
        if let PieceText::Skipped(e) = std::mem::replace(&mut self.text, empty) {
            let written = WrittenText::of(self.numbers.as_deref().unwrap_or_default(), &e);
            self.text = PieceText::Kept {
                bytes: written.bytes.into_bytes(),
                ends: written.ends,
            };
        }
    }
}

/// What a distinct text counts as in a column's typing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Present,
    /// `NA` or `NaN`.
    Missing,
    /// Empty after trimming (also missing).
    Empty,
}

/// Cells of at most this many bytes are compared as one 8-byte word.
pub(crate) const SHORT: usize = 7;

/// A cell of at most [`SHORT`] bytes as one word: its bytes, zero above
/// its length, and its length in the top byte. `word` is the 8 bytes of
/// the file that begin with the cell (little-endian).
#[inline]
fn short_key(word: u64, len: usize) -> u64 {
    (word & ((1u64 << (8 * len)) - 1)) | ((len as u64) << 56)
}

/// [`short_key`] of a text of at most [`SHORT`] bytes.
fn short_key_of(text: &str) -> u64 {
    let mut word = [0u8; 8];
    word[..text.len()].copy_from_slice(text.as_bytes());
    short_key(u64::from_le_bytes(word), text.len())
}

/// The [`short_key`]s of a dictionary's first [`FEW`] texts (a longer
/// text, or none yet, has a key no short cell has).
#[derive(Debug)]
struct ShortKeys([u64; FEW]);

impl Default for ShortKeys {
    fn default() -> ShortKeys {
        ShortKeys([u64::MAX; FEW])
    }
}

impl ShortKeys {
    /// The code of the text with this key, compared with every key
    /// without a branch: the cells of an event or group column come in no
    /// order a branch predictor could learn, and a missed prediction per
    /// cell cost more than the comparisons.
    #[inline]
    fn find(&self, key: u64) -> Option<u32> {
        // One bit per comparison, independent of each other.
        let mut hits = 0u32;
        for (k, &known) in self.0.iter().enumerate() {
            hits |= u32::from(known == key) << k;
        }
        (hits != 0).then(|| hits.trailing_zeros())
    }
}

/// A code per row into the distinct texts of a run of rows.
#[derive(Debug, Default)]
pub(crate) struct Dictionary {
    codes: Vec<u32>,
    levels: Vec<String>,
    values: Vec<f64>,
    kinds: Vec<Kind>,
    index: HashMap<String, u32>,
    short: ShortKeys,
    last: u32,
    /// Some text is missing (`""`, `NA`, `NaN`): the typing must look at
    /// the kind of every cell, not only of each new text.
    some_missing: bool,
}

impl Dictionary {
    /// The code of `cell`, whose first bytes in the file are `word` (when
    /// known): by its short key while it is short and there are few
    /// texts, otherwise as [`Dictionary::find`].
    #[inline]
    fn find_word(&self, cell: &str, word: Option<u64>) -> Option<u32> {
        match word {
            Some(w) if cell.len() <= SHORT && self.levels.len() <= FEW => {
                self.short.find(short_key(w, cell.len()))
            }
            _ => self.find(cell),
        }
    }

    /// The code of `cell` if it is known.
    #[inline]
    fn find(&self, cell: &str) -> Option<u32> {
        let same =
            |t: &str| t.len() == cell.len() && t.bytes().zip(cell.bytes()).all(|(a, b)| a == b);
        if let Some(t) = self.levels.get(self.last as usize)
            && same(t)
        {
            return Some(self.last);
        }
        if self.levels.len() <= FEW {
            self.levels.iter().position(|t| same(t)).map(|k| k as u32)
        } else {
            self.index.get(cell).copied()
        }
    }
}

/// One column of one part of a file as it is read: the pieces stored so
/// far, its typing and its spaced labels.
#[derive(Debug)]
pub(crate) struct ColumnReader {
    done: Vec<Piece>,
    current: Piece,
    /// Rows pushed.
    rows: usize,
    /// Upper bounds of the part's rows and text, for the buffers' capacity.
    rows_bound: usize,
    bytes_bound: usize,
    typing: Typing,
    spaced: BTreeMap<String, (Vec<String>, usize)>,
    /// Set when a spaced label was left out for the bound: the parts of a
    /// file can then not be merged into what one pass would have kept, so
    /// the file is read again in one part.
    pub spaced_full: bool,
}

impl ColumnReader {
    /// A reader for a part of at most `rows_bound` rows and `bytes_bound`
    /// bytes (capacity hints only).
    pub fn new(rows_bound: usize, bytes_bound: usize) -> ColumnReader {
        ColumnReader {
            done: Vec::new(),
            current: Piece::Coded(Dictionary {
                codes: Vec::with_capacity(rows_bound),
                ..Dictionary::default()
            }),
            rows: 0,
            rows_bound,
            bytes_bound: bytes_bound.min(u32::MAX as usize),
            typing: Typing::default(),
            spaced: BTreeMap::new(),
            spaced_full: false,
        }
    }

    /// Appends the next cell, `raw` (untrimmed).
    #[inline]
    pub fn push(&mut self, raw: &str) {
        self.push_word(raw, None);
    }

    /// [`ColumnReader::push`] of a cell whose first 8 bytes in the file
    /// (little-endian; bytes after the cell included) are `word`, when
    /// there are 8: a short cell of a coded column is then found by one
    /// word.
    #[inline]
    pub fn push_word(&mut self, raw: &str, word: Option<u64>) {
        let trimmed = trim(raw);
        // The word begins with the cell only when nothing was trimmed.
        let word = word.filter(|_| trimmed.len() == raw.len());
        if trimmed.len() != raw.len() {
            self.note_spaced(raw, trimmed);
        }
        let row = self.rows;
        self.rows += 1;
        // The usual cells first, in a few instructions: a known text of a
        // coded column, a number written out in a column kept as numbers.
        match &mut self.current {
            Piece::Coded(d) => {
                if let Some(k) = d.find_word(trimmed, word) {
                    d.last = k;
                    d.codes.push(k);
                    if !d.some_missing {
                        return;
                    }
                    match d.kinds[k as usize] {
                        Kind::Present => {}
                        Kind::Missing => self.typing.missing_cells += 1,
                        Kind::Empty => {
                            self.typing.missing_cells += 1;
                            self.typing.empty_cells += 1;
                        }
                    }
                    return;
                }
            }
            Piece::Text(t) => {
                if t.push_canonical(trimmed, word) {
                    // Nothing to count in the typing.
                    return;
                }
            }
        }
        self.push_other(row, trimmed);
    }

    /// [`ColumnReader::push`] of a cell that is not one of the usual ones:
    /// a new text of a coded column, or a cell of a text piece.
    #[inline(never)]
    fn push_other(&mut self, row: usize, trimmed: &str) {
        if let Piece::Coded(d) = &mut self.current {
            if d.levels.len() < MAX_CODES {
                let kind = if trimmed.is_empty() {
                    Kind::Empty
                } else if crate::is_missing(trimmed) {
                    Kind::Missing
                } else {
                    Kind::Present
                };
                let value = self.typing.note(row, trimmed);
                let k = d.levels.len() as u32;
                d.levels.push(trimmed.to_string());
                d.values.push(value);
                d.kinds.push(kind);
                d.some_missing |= kind != Kind::Present;
                if let Some(key) = d.short.0.get_mut(k as usize)
                    && trimmed.len() <= SHORT
                {
                    *key = short_key_of(trimmed);
                }
                if d.levels.len() > FEW {
                    if d.index.is_empty() {
                        for (i, t) in d.levels.iter().enumerate() {
                            d.index.insert(t.clone(), i as u32);
                        }
                    } else {
                        d.index.insert(trimmed.to_string(), k);
                    }
                }
                d.last = k;
                d.codes.push(k);
                return;
            }
            self.switch_to_text();
            if let Piece::Text(t) = &mut self.current
                && t.push_canonical(trimmed, None)
            {
                return;
            }
        }
        let value = self.typing.note(row, trimmed);
        if let Piece::Text(t) = &mut self.current {
            if t.is_full(trimmed.len()) {
                let numeric = t.numbers.is_some();
                let next = TextPiece::with_capacity(0, 0, numeric);
                let full = std::mem::replace(t, next);
                self.done.push(Piece::Text(full));
            }
            if t.numbers.is_some() && self.typing.first_not_finite.is_some() {
                // The column is text after all: the numbers so far give
                // the text they stood for.
                t.keep_text();
                t.numbers = None;
            }
            t.push(trimmed, value);
            if t.has_many_exceptions() {
                t.keep_text();
            }
        }
    }

    /// Goes on as text: the column has more distinct texts than a coded
    /// piece holds. A short coded piece is written out as text; a long one
    /// is kept as it is.
    fn switch_to_text(&mut self) {
        let numeric = self.typing.first_not_finite.is_none();
        let left = self.rows_bound.saturating_sub(self.rows);
        // Rewritten only when short, in rows and in text (a 4-byte offset
        // addresses it).
        let (recode, rows) = match &self.current {
            Piece::Coded(d) => (
                d.codes.len() <= RECODE_ROWS
                    && d.codes
                        .iter()
                        .map(|&c| d.levels[c as usize].len())
                        .sum::<usize>()
                        < 1 << 30,
                d.codes.len(),
            ),
            Piece::Text(_) => return,
        };
        let capacity = if recode { left + rows } else { left };
        let mut text = TextPiece::with_capacity(capacity, self.bytes_bound, numeric);
        let coded = std::mem::replace(&mut self.current, Piece::Text(TextPiece::default()));
        if let Piece::Coded(d) = coded {
            if recode {
                for &c in &d.codes {
                    let c = c as usize;
                    text.push(&d.levels[c], d.values[c]);
                }
            } else {
                self.done.push(Piece::Coded(d));
            }
        }
        self.current = Piece::Text(text);
    }

    /// Remembers a cell whose text had surrounding spaces (not counting the
    /// CR of a CRLF line end), when it is text rather than a number.
    #[inline(never)]
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

    /// Notes that the rows up to `rows` follow the last mark line by line
    /// (for a reader that called [`Lines::push`] only where the line is
    /// not the last mark's plus the rows since).
    #[inline]
    pub fn set_len(&mut self, rows: usize) {
        self.rows = rows;
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
