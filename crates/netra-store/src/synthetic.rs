//! A quick, deterministic generator of valid bundles of any size, for tests
//! and the import benchmark. It exercises every file and most columns but is
//! *not* calibrated to any cohort: `netra simulate` is the realistic one.

use std::io::{BufWriter, Write};
use std::path::Path;

use netra_clinical::registry::Day;
use netra_clinical::registry::ctcae;

use crate::StoreError;

/// SplitMix64: tiny, fast, and the same stream on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

struct Files {
    w: Vec<BufWriter<std::fs::File>>,
}

impl Files {
    fn line(&mut self, i: usize, text: std::fmt::Arguments<'_>) -> std::io::Result<()> {
        self.w[i].write_fmt(text)?;
        self.w[i].write_all(b"\n")
    }
}

const HEADERS: [(&str, &str); 13] = [
    ("study.csv", "study,title"),
    ("sites.csv", "site,study,name,country"),
    (
        "patients.csv",
        "patient,site,sex,birth_date,diagnosis_date,metastatic_date,metastatic_setting,ecog,last_followup_date,vital_status,death_date,death_cause",
    ),
    (
        "tumours.csv",
        "patient,tumour,primary_site,differentiation,nec_cell_type,ki67_percent,mitoses_per_2mm2,krenning_uptake",
    ),
    (
        "metastases.csv",
        "patient,site,date,at_metastatic_diagnosis,liver_pattern",
    ),
    (
        "biomarkers.csv",
        "patient,marker,date,value,unit,upper_limit",
    ),
    (
        "treatments.csv",
        "patient,treatment,type,start_date,end_date,intent,stop_reason",
    ),
    (
        "treatment_agents.csv",
        "patient,treatment,agent,dose,dose_unit,interval_days",
    ),
    (
        "radionuclide_administrations.csv",
        "patient,treatment,administration,date,activity_gbq",
    ),
    (
        "assessments.csv",
        "patient,assessment,date,modality,criteria,treatment,investigator_response",
    ),
    (
        "lesions.csv",
        "patient,assessment,lesion,organ,role,longest_mm,short_axis_mm",
    ),
    ("clinical_status.csv", "patient,date,ecog,symptoms"),
    (
        "adverse_events.csv",
        "patient,event,term,grade,onset_date,attribution,treatment",
    ),
];

/// Writes a valid bundle of `n_patients` patients to `dir`. Deterministic for
/// a seed. About 40 rows per patient.
pub fn write_bundle(dir: &Path, n_patients: usize, seed: u64) -> Result<(), StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir.display(), e))?;
    let io = |e: std::io::Error| StoreError::io(dir.display(), e);
    let mut files = Files { w: Vec::new() };
    for (name, header) in HEADERS {
        let f = std::fs::File::create(dir.join(name)).map_err(io)?;
        let mut w = BufWriter::with_capacity(1 << 16, f);
        writeln!(w, "{header}").map_err(io)?;
        files.w.push(w);
    }
    let mut rng = Rng::new(seed);
    files
        .line(0, format_args!("synth,Synthetic registry (seed {seed})"))
        .map_err(io)?;
    let n_sites = (1 + n_patients / 2000).clamp(3, 50);
    for s in 0..n_sites {
        files
            .line(1, format_args!("s{s:02},synth,Centre {s},FR"))
            .map_err(io)?;
    }
    for p in 0..n_patients {
        write_patient(&mut files, &mut rng, p, n_sites).map_err(io)?;
    }
    for w in &mut files.w {
        w.flush().map_err(io)?;
    }
    Ok(())
}

fn write_patient(f: &mut Files, rng: &mut Rng, p: usize, n_sites: usize) -> std::io::Result<()> {
    let code = format!("P{p:07}");
    let site = format!("s{:02}", rng.below(n_sites as u64));
    let birth_year = 1930 + rng.below(50) as i32;
    let diag = Day::from_ymd(1995 + rng.below(20) as i32, 1, 1)
        .expect("date")
        .plus_days(rng.below(365) as i32);
    let meta = diag.plus_days(if rng.below(2) == 0 {
        0
    } else {
        rng.below(1500) as i32
    });
    let span = 60 + rng.below(3000) as i32;
    let last = meta.plus_days(span);
    let dead = rng.below(10) < 6;
    let sex = if rng.below(100) < 56 {
        "male"
    } else {
        "female"
    };
    let setting = *rng.pick(&[
        "metastatic_at_diagnosis",
        "recurrent_after_resection",
        "progressed_from_non_metastatic",
    ]);
    f.line(
        2,
        format_args!(
            "{code},{site},{sex},{birth_year},{diag},{meta},{setting},{},{last},{},{},{}",
            rng.below(3),
            if dead { "dead" } else { "alive" },
            if dead {
                last.to_string()
            } else {
                String::new()
            },
            if dead { "disease" } else { "" },
        ),
    )?;
    let poor = rng.below(100) < 15;
    let ki67 = if poor {
        30.0 + rng.below(60) as f64
    } else {
        (rng.below(250) as f64) / 10.0
    };
    f.line(
        3,
        format_args!(
            "{code},1,{},{},{},{ki67},{},{}",
            rng.pick(&[
                "pancreas",
                "jejunum_ileum",
                "rectum",
                "stomach",
                "lung",
                "unknown",
                "colon"
            ]),
            if poor { "poor" } else { "well" },
            if poor {
                *rng.pick(&["small_cell", "large_cell"])
            } else {
                ""
            },
            rng.below(30),
            rng.below(5),
        ),
    )?;
    let sites = ["liver", "lymph_node", "bone", "lung", "peritoneum"];
    let n_met = 1 + rng.below(3) as usize;
    for s in sites.iter().take(n_met) {
        f.line(
            4,
            format_args!(
                "{code},{s},{meta},yes,{}",
                if *s == "liver" {
                    *rng.pick(&["type_i", "type_ii", "type_iii"])
                } else {
                    ""
                }
            ),
        )?;
    }
    for b in 0..2 + rng.below(4) {
        let d = meta.plus_days((b as i32) * 90);
        if d > last {
            break;
        }
        f.line(
            5,
            format_args!(
                "{code},chromogranin_a,{d},{},ug/L,100",
                (rng.below(200_000) as f64) / 100.0
            ),
        )?;
    }
    // Treatments in sequence from the metastatic diagnosis.
    let mut start = meta.plus_days(14);
    let mut treatments: Vec<(String, Day, Day)> = Vec::new();
    for t in 1..=1 + rng.below(4) {
        let len = 30 + rng.below(400) as i32;
        let end = start.plus_days(len);
        if end > last {
            break;
        }
        let id = format!("T{t}");
        let (ty, agents): (&str, &[(&str, &str, &str)]) = match rng.below(6) {
            0 => ("somatostatin_analogue", &[("lanreotide", "120", "mg")]),
            1 => ("targeted", &[("everolimus", "10", "mg")]),
            2 => (
                "chemotherapy",
                &[
                    ("capecitabine", "1500", "mg/m2"),
                    ("temozolomide", "200", "mg/m2"),
                ],
            ),
            3 => ("radionuclide", &[("lu177_dotatate", "7.4", "GBq")]),
            4 => (
                "tace",
                &[("doxorubicin", "50", "mg"), ("lipiodol", "10", "mL")],
            ),
            _ => (
                "chemotherapy",
                &[("cisplatin", "75", "mg/m2"), ("etoposide", "100", "mg/m2")],
            ),
        };
        let stop = if rng.below(3) == 0 {
            "toxicity"
        } else {
            "progression"
        };
        f.line(
            6,
            format_args!("{code},{id},{ty},{start},{end},palliative,{stop}"),
        )?;
        for (a, dose, unit) in agents {
            f.line(7, format_args!("{code},{id},{a},{dose},{unit},28"))?;
        }
        if ty == "radionuclide" {
            for k in 0..4 {
                let d = start.plus_days(56 * k);
                if d > end {
                    break;
                }
                f.line(8, format_args!("{code},{id},{},{d},7.4", k + 1))?;
            }
        }
        treatments.push((id, start, end));
        start = end.plus_days(7 + rng.below(60) as i32);
    }
    // Assessments every ~3 months with two or three lesions.
    let n_lesions = 1 + rng.below(3);
    let mut size: Vec<f64> = (0..n_lesions)
        .map(|_| 15.0 + rng.below(60) as f64)
        .collect();
    let mut d = meta.plus_days(7);
    let mut a = 0;
    while d <= last && a < 12 {
        a += 1;
        let evaluated = treatments
            .iter()
            .find(|(_, s, e)| *s <= d && d <= e.plus_days(30))
            .map(|(id, _, _)| id.as_str())
            .unwrap_or("");
        let resp = if a == 1 {
            ""
        } else {
            *rng.pick(&["sd", "sd", "pr", "pd"])
        };
        f.line(
            9,
            format_args!("{code},A{a:02},{d},ct,recist_1_1,{evaluated},{resp}"),
        )?;
        for (l, s) in size.iter_mut().enumerate() {
            *s = (*s * (0.8 + 0.45 * rng.unit())).max(0.0);
            let s = (*s * 10.0).round() / 10.0;
            if l == 2 {
                f.line(
                    10,
                    format_args!(
                        "{code},A{a:02},L{},lymph_node,target,{s},{}",
                        l + 1,
                        (s * 0.6 * 10.0).round() / 10.0
                    ),
                )?;
            } else {
                f.line(
                    10,
                    format_args!("{code},A{a:02},L{},liver,target,{s},", l + 1),
                )?;
            }
        }
        d = d.plus_days(80 + rng.below(30) as i32);
    }
    for v in 0..1 + rng.below(4) {
        let d = meta.plus_days(30 + 120 * v as i32);
        if d > last {
            break;
        }
        f.line(
            11,
            format_args!(
                "{code},{d},{},{}",
                rng.below(3),
                rng.pick(&["improved", "stable", "worsened"])
            ),
        )?;
    }
    for (e, (id, s, _)) in treatments.iter().enumerate().take(rng.below(3) as usize) {
        let term = *rng.pick(&["Fatigue", "Nausea", "Platelet count decreased", "Diarrhea"]);
        // Only grades CTCAE v5.0 defines for the term (no grade 4 fatigue).
        let grade = ctcae::nearest_defined(term, 1 + rng.below(4) as u8);
        f.line(
            12,
            format_args!(
                "{code},AE{},{term},{grade},{},possible,{id}",
                e + 1,
                s.plus_days(10)
            ),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let u = Rng::new(1).unit();
        assert!((0.0..1.0).contains(&u));
    }
}
