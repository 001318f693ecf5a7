//! Colours: the Okabe–Ito palette, which stays distinguishable under the
//! common forms of colour-vision deficiency (Okabe & Ito, *Color Universal
//! Design*, 2008), plus a neutral grey.
//!
//! Assignments are fixed so that a category has the same colour in every
//! figure of a report: groups by their order, response categories and
//! therapy classes by name.

/// Okabe–Ito black.
pub const BLACK: &str = "#000000";
/// Okabe–Ito orange.
pub const ORANGE: &str = "#E69F00";
/// Okabe–Ito sky blue.
pub const SKY_BLUE: &str = "#56B4E9";
/// Okabe–Ito bluish green.
pub const BLUISH_GREEN: &str = "#009E73";
/// Okabe–Ito yellow.
pub const YELLOW: &str = "#F0E442";
/// Okabe–Ito blue.
pub const BLUE: &str = "#0072B2";
/// Okabe–Ito vermillion.
pub const VERMILLION: &str = "#D55E00";
/// Okabe–Ito reddish purple.
pub const REDDISH_PURPLE: &str = "#CC79A7";
/// Neutral grey (for "not evaluable", "other", terminal states).
pub const GREY: &str = "#999999";
/// Dark grey for reference lines and secondary text.
pub const DARK_GREY: &str = "#555555";

/// Colours of groups (curves, lines) in order: the two most contrasting
/// first (blue, vermillion), yellow last because it is faint on white.
pub const SERIES: [&str; 8] = [
    BLUE,
    VERMILLION,
    BLUISH_GREEN,
    REDDISH_PURPLE,
    ORANGE,
    SKY_BLUE,
    BLACK,
    YELLOW,
];

/// Colour of the i-th group; cycles after eight groups.
pub fn series(i: usize) -> &'static str {
    SERIES[i % SERIES.len()]
}

/// A best-response category, as the response engine classifies it
/// (RECIST 1.1, WHO, Choi, mRECIST, study-defined).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResponseClass {
    /// Complete response.
    CR,
    /// Partial response.
    PR,
    /// Minor response (study-defined criteria).
    MR,
    /// Stable disease.
    SD,
    /// Non-CR/non-PD (non-target disease only).
    NonCrNonPd,
    /// Progressive disease.
    PD,
    /// Not evaluable.
    NE,
}

impl ResponseClass {
    /// All classes, best first (legend order).
    pub const ALL: [ResponseClass; 7] = [
        ResponseClass::CR,
        ResponseClass::PR,
        ResponseClass::MR,
        ResponseClass::SD,
        ResponseClass::NonCrNonPd,
        ResponseClass::PD,
        ResponseClass::NE,
    ];

    /// The abbreviation printed in legends and tables.
    pub fn label(self) -> &'static str {
        match self {
            ResponseClass::CR => "CR",
            ResponseClass::PR => "PR",
            ResponseClass::MR => "MR",
            ResponseClass::SD => "SD",
            ResponseClass::NonCrNonPd => "Non-CR/non-PD",
            ResponseClass::PD => "PD",
            ResponseClass::NE => "NE",
        }
    }

    /// The fixed colour: blue for CR, bluish green for PR, sky blue for a
    /// minor response, orange for SD, yellow for non-CR/non-PD, vermillion
    /// for PD, grey when not evaluable.
    pub fn colour(self) -> &'static str {
        match self {
            ResponseClass::CR => BLUE,
            ResponseClass::PR => BLUISH_GREEN,
            ResponseClass::MR => SKY_BLUE,
            ResponseClass::SD => ORANGE,
            ResponseClass::NonCrNonPd => YELLOW,
            ResponseClass::PD => VERMILLION,
            ResponseClass::NE => GREY,
        }
    }

    /// Parses an abbreviation or a common name, case-insensitively.
    pub fn parse(text: &str) -> Option<ResponseClass> {
        let t = text.trim().to_ascii_lowercase().replace(['_', '-'], " ");
        Some(match t.as_str() {
            "cr" | "complete response" | "complete" => ResponseClass::CR,
            "pr" | "partial response" | "partial" | "partial regression" => ResponseClass::PR,
            "mr" | "minor response" | "minor" => ResponseClass::MR,
            "sd" | "stable disease" | "stable" | "stabilization" | "stabilisation" => {
                ResponseClass::SD
            }
            "non cr/non pd" | "non cr non pd" => ResponseClass::NonCrNonPd,
            "pd" | "progressive disease" | "progression" => ResponseClass::PD,
            "ne" | "not evaluable" => ResponseClass::NE,
            _ => return None,
        })
    }
}

impl From<ResponseClass> for netra_clinical::response::Category {
    fn from(c: ResponseClass) -> Self {
        use netra_clinical::response::Category;
        match c {
            ResponseClass::CR => Category::CR,
            ResponseClass::PR => Category::PR,
            ResponseClass::MR => Category::MR,
            ResponseClass::SD => Category::SD,
            ResponseClass::NonCrNonPd => Category::NonCrNonPd,
            ResponseClass::PD => Category::PD,
            ResponseClass::NE => Category::NE,
        }
    }
}

impl From<netra_clinical::response::Category> for ResponseClass {
    fn from(c: netra_clinical::response::Category) -> ResponseClass {
        use netra_clinical::response::Category;
        match c {
            Category::CR => ResponseClass::CR,
            Category::PR => ResponseClass::PR,
            Category::MR => ResponseClass::MR,
            Category::SD => ResponseClass::SD,
            Category::NonCrNonPd => ResponseClass::NonCrNonPd,
            Category::PD => ResponseClass::PD,
            Category::NE => ResponseClass::NE,
        }
    }
}

/// Fixed colours of the therapy classes of NET treatment lines; names are
/// matched case-insensitively. Other classes get [`ClassColours`]' spare
/// colours in order of first appearance.
pub const THERAPY_CLASSES: [(&str, &str); 8] = [
    ("somatostatin analogue", SKY_BLUE),
    ("interferon", YELLOW),
    ("chemotherapy", VERMILLION),
    ("targeted", BLUISH_GREEN),
    ("radionuclide", REDDISH_PURPLE),
    ("local", BLUE),
    ("surgery", BLACK),
    ("other", GREY),
];

/// Assigns colours to category names deterministically: known therapy
/// classes get their fixed colour, every other name the next unused
/// Okabe–Ito colour in order of first request (grey once they run out).
#[derive(Debug, Clone, Default)]
pub struct ClassColours {
    assigned: Vec<(String, &'static str)>,
}

impl ClassColours {
    /// An empty assignment.
    pub fn new() -> ClassColours {
        ClassColours::default()
    }

    /// The colour of `name` (assigning one if new).
    pub fn colour(&mut self, name: &str) -> &'static str {
        let key = name.trim().to_lowercase();
        if let Some((_, c)) = self.assigned.iter().find(|(n, _)| *n == key) {
            return c;
        }
        let colour = THERAPY_CLASSES
            .iter()
            .find(|(n, _)| *n == key)
            .map(|(_, c)| *c)
            .unwrap_or_else(|| {
                let spare = [
                    ORANGE,
                    BLUE,
                    BLUISH_GREEN,
                    REDDISH_PURPLE,
                    SKY_BLUE,
                    VERMILLION,
                    YELLOW,
                    BLACK,
                ];
                // Orange belongs to no therapy class; the others are taken
                // only when still unused in this assignment.
                spare
                    .into_iter()
                    .find(|c| !self.assigned.iter().any(|(_, a)| a == c))
                    .unwrap_or(GREY)
            });
        self.assigned.push((key, colour));
        colour
    }
}

/// Black or white, whichever reads better on `background` (`#RRGGBB`),
/// by the WCAG relative luminance.
pub fn text_on(background: &str) -> &'static str {
    let hex = background.trim_start_matches('#');
    let channel = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .map(|v| {
                let c = f64::from(v) / 255.0;
                if c <= 0.03928 {
                    c / 12.92
                } else {
                    ((c + 0.055) / 1.055).powf(2.4)
                }
            })
            .unwrap_or(1.0)
    };
    let l = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
    if l > 0.179 { BLACK } else { "#FFFFFF" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_classes_keep_their_colour_and_others_get_distinct_ones() {
        let mut c = ClassColours::new();
        assert_eq!(c.colour("Chemotherapy"), VERMILLION);
        let a = c.colour("PRRT trial arm");
        let b = c.colour("Watch and wait");
        assert_ne!(a, b);
        assert_ne!(a, VERMILLION);
        assert_eq!(c.colour("prrt trial arm"), a);
        assert_eq!(c.colour("Somatostatin analogue"), SKY_BLUE);
    }

    #[test]
    fn contrast_text() {
        assert_eq!(text_on(YELLOW), BLACK);
        assert_eq!(text_on(BLUE), "#FFFFFF");
        assert_eq!(text_on("#ffffff"), BLACK);
    }

    #[test]
    fn response_classes_parse() {
        assert_eq!(
            ResponseClass::parse(" partial response"),
            Some(ResponseClass::PR)
        );
        assert_eq!(
            ResponseClass::parse("Stabilization"),
            Some(ResponseClass::SD)
        );
        assert_eq!(ResponseClass::parse("??"), None);
    }
}
