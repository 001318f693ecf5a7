//! Writes every figure type to a directory as SVG and PNG, for looking at:
//! `cargo run -p netra-report --example gallery -- /tmp/gallery`.

use std::path::PathBuf;

use netra_report::Figure;
use netra_report::figure::km::{KmFigure, KmSeries};
use netra_stats::km::{KmOptions, km_by_group};

fn write(dir: &PathBuf, name: &str, fig: &dyn Figure) {
    let svg = fig.to_svg().expect("svg");
    std::fs::write(dir.join(format!("{name}.svg")), &svg).expect("write svg");
    #[cfg(feature = "png")]
    {
        let png = fig.to_png(150.0).expect("png");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write png");
    }
}

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "gallery".into()));
    std::fs::create_dir_all(&dir).expect("create dir");

    // A small two-group cohort in months.
    let time = [
        3.0, 5.0, 6.0, 6.0, 8.0, 11.0, 12.0, 15.0, 17.0, 20.0, 24.0, 26.0, 30.0, 31.0, 38.0, 40.0,
        2.0, 2.5, 4.0, 5.0, 7.0, 7.0, 9.0, 10.0, 13.0, 14.0, 16.0, 22.0,
    ];
    let event = [
        true, false, true, true, false, true, true, false, true, true, false, true, false, true,
        false, false, true, true, true, false, true, true, true, false, true, true, false, false,
    ];
    let group: Vec<u32> = (0..time.len()).map(|i| u32::from(i >= 16)).collect();
    let curves = km_by_group(&time, &event, None, &group, 2, &KmOptions::default()).unwrap();
    let mut km = KmFigure::survival(
        vec![
            KmSeries::from_km("Treated (n = 16)", &curves[0]),
            KmSeries::from_km("Untreated (n = 12)", &curves[1]),
        ],
        "Months since first administration",
    );
    km.y_label = "Overall survival".into();
    km.ticks = Some(vec![0.0, 6.0, 12.0, 18.0, 24.0, 30.0, 36.0, 42.0]);
    km.show_ci = true;
    km.show_median = true;
    km.p_value_text = Some("Log-rank p = 0.012".into());
    write(&dir, "km", &km);
    println!("wrote {}", dir.display());
}
