//! `netra analyse NAME`: any analysis of the layer's registry
//! (`netra_analysis::analyses::registry`) on a registry's cohort, its
//! request from a JSON file and/or `--set key=value`, its output as JSON
//! (`--json`, the same JSON the web's `POST /api/analyses/{name}` and a
//! study file's `[[analysis]]` give) or as a labelled table
//! (`netra_report::table::generic`). `netra analyse --list` lists them.
//!
//! Nothing here knows an analysis: a newly registered one is available as
//! soon as it is listed in the registry.

use std::path::PathBuf;

use netra_analysis::analyses::{self, DynAnalysis};
use netra_analysis::condition;
use netra_analysis::settings::RuleSettings;
use netra_analysis::{Cohort, CohortSpec};
use netra_report::table::generic;
use netra_store::{CourseFilter, Location, Registry};
use serde_json::{Map, Value, json};

use super::registry_args::block_on;
use crate::output::write_stdout;

/// Arguments of `netra analyse`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The analysis to run (`netra analyse --list` names them).
    #[arg(required_unless_present = "list")]
    pub name: Option<String>,
    /// List the analyses with their descriptions and default requests.
    #[arg(long)]
    pub list: bool,
    /// Registry database: a SQLite file path, sqlite://PATH or postgres://…
    /// (default: $NETRA_DB, else ./netra.db).
    #[arg(long = "registry", alias = "db", value_name = "DB")]
    pub registry: Option<String>,
    /// The request as a JSON file (fields not given take their defaults).
    #[arg(long, value_name = "FILE.json")]
    pub request: Option<PathBuf>,
    /// A request field, over the file's: `by=who_grade`, `line=2`,
    /// `endpoint.from=line:1`, `landmarks=[12,24]` (a value that reads as
    /// JSON is taken as JSON, anything else as text). Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Rule settings from a TOML file (its `[settings]` table: line rules,
    /// criteria, min_cell …), as `netra lines --settings`.
    #[arg(long, value_name = "FILE.toml")]
    pub settings: Option<PathBuf>,
    /// A cohort condition (`"age_at_diagnosis >= 18"`), as a study file's
    /// `[cohort] where`. Repeatable: all must hold.
    #[arg(long = "where", value_name = "CONDITION")]
    pub conditions: Vec<String>,
    /// Only patients of these sites (comma-separated; default all).
    #[arg(long, value_name = "SITE,…", value_delimiter = ',')]
    pub site: Vec<String>,
    /// Keep patients marked excluded from the study's analyses.
    #[arg(long)]
    pub include_excluded: bool,
    /// Print the output as JSON (default: a labelled table).
    #[arg(long)]
    pub json: bool,
    /// `--plot`: the analysis' figure, for those that have one
    /// (`subgroups`: the subgroup forest plot).
    #[command(flatten)]
    pub plot: crate::plot::PlotArgs,
}

/// Runs `netra analyse`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.list {
        return write_stdout(&list(args.json)?);
    }
    let name = args.name.as_deref().unwrap_or_default();
    let analysis = analyses::find_or_suggest(name)?;
    args.plot.check()?;
    if args.plot.plot.is_some() && !FIGURES.contains(&analysis.name()) {
        anyhow::bail!(
            "--plot: analysis '{}' has no figure here (figures: {})",
            analysis.name(),
            FIGURES.join(", ")
        );
    }
    let request = request(&args)?;
    analyses::check_request(analysis, &request)?;
    let settings = match &args.settings {
        Some(path) => netra_study::spec::read_settings(path)?,
        None => RuleSettings::default(),
    };
    let spec = CohortSpec {
        include_excluded: args.include_excluded,
        conditions: args
            .conditions
            .iter()
            .map(|c| {
                condition::parse_expr(c).map_err(|e| {
                    anyhow::anyhow!(
                        "--where '{c}': at character {}: {}",
                        c.get(..e.offset).map_or(0, |p| p.chars().count()) + 1,
                        e.message
                    )
                })
            })
            .collect::<anyhow::Result<_>>()?,
        derived: Vec::new(),
    };
    let location = Location::resolve(args.registry.as_deref());
    let filter = CourseFilter {
        sites: (!args.site.is_empty()).then(|| args.site.clone()),
        patients: None,
    };
    let courses = block_on(async {
        let registry = Registry::open(&location).await?;
        let courses = registry.courses(&filter).await;
        registry.close().await;
        courses
    })??;
    let cohort = Cohort::new(courses, &spec, settings.resolve()?)?;
    let out = analysis.run_json(&cohort, request)?;
    let figure = match &args.plot.plot {
        Some(_) => args
            .plot
            .render(&*figure(analysis.name(), &out, &args.plot)?)?,
        None => None,
    };
    if let Some(f) = figure {
        f.write()?;
    }
    let text = if args.json {
        serde_json::to_string_pretty(&out)? + "\n"
    } else {
        let t = generic::table(
            format!("{}: {}", analysis.name(), analysis.description()),
            &out,
        );
        generic::to_text(&t)
    };
    write_stdout(&text)
}

/// The analyses `--plot` draws.
const FIGURES: &[&str] = &["subgroups"];

/// The figure of an analysis' output (its JSON read back as the output).
fn figure(
    name: &str,
    out: &Value,
    plot: &crate::plot::PlotArgs,
) -> anyhow::Result<Box<dyn netra_report::Figure>> {
    use netra_report::figure::subgroup::{InteractionTest, figure};
    match name {
        "subgroups" => {
            let out: netra_analysis::analyses::subgroups::SubgroupOutput =
                serde_json::from_value(out.clone())?;
            let mut f = figure(&out, InteractionTest::LikelihoodRatio);
            f.title = plot.title();
            if let Some(x) = &plot.xlab {
                f.x_label = x.clone();
            }
            Ok(Box::new(f))
        }
        other => anyhow::bail!("--plot: analysis '{other}' has no figure here"),
    }
}

/// The analyses: a table of names and descriptions, or JSON with each
/// default and example request.
fn list(as_json: bool) -> anyhow::Result<String> {
    let all = analyses::registry();
    if as_json {
        let v: Vec<Value> = all.iter().map(|a| describe(*a)).collect();
        return Ok(serde_json::to_string_pretty(&v)? + "\n");
    }
    let width = all.iter().map(|a| a.name().len()).max().unwrap_or(0);
    Ok(all
        .iter()
        .map(|a| format!("{:<width$}  {}\n", a.name(), a.description()))
        .collect())
}

/// An analysis as `--list --json` and `GET /api/analyses` describe it.
fn describe(a: &dyn DynAnalysis) -> Value {
    json!({
        "name": a.name(),
        "description": a.description(),
        "default_request": a.default_request(),
        "example_request": a.example_request(),
    })
}

/// The request: the JSON file (if any) with the `--set` fields laid over.
fn request(args: &Args) -> anyhow::Result<Value> {
    let mut v = match &args.request {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => Value::Object(Map::new()),
    };
    for s in &args.set {
        let (key, text) = s
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--set '{s}': give KEY=VALUE"))?;
        let value =
            serde_json::from_str(text.trim()).unwrap_or_else(|_| Value::String(text.into()));
        set(&mut v, key.trim(), value).map_err(|m| anyhow::anyhow!("--set '{s}': {m}"))?;
    }
    Ok(v)
}

/// Sets the dotted `key` of an object.
fn set(v: &mut Value, key: &str, value: Value) -> Result<(), String> {
    let mut parts = key.split('.').peekable();
    let mut at = v;
    while let Some(p) = parts.next() {
        if p.is_empty() {
            return Err("empty field name".into());
        }
        let obj = at
            .as_object_mut()
            .ok_or_else(|| format!("'{p}' is inside a field that is not an object"))?;
        if parts.peek().is_none() {
            obj.insert(p.to_string(), value);
            return Ok(());
        }
        at = obj
            .entry(p.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_reads_json_values_and_dotted_keys() {
        let mut v = json!({"by": "sex"});
        set(&mut v, "endpoint.from", json!("line:1")).unwrap();
        set(&mut v, "by", json!("who_grade")).unwrap();
        set(&mut v, "landmarks", json!([12, 24])).unwrap();
        assert_eq!(
            v,
            json!({"by": "who_grade", "endpoint": {"from": "line:1"}, "landmarks": [12, 24]})
        );
        assert!(set(&mut v, "by.x", json!(1)).is_err());
        assert!(set(&mut v, "a..b", json!(1)).is_err());
    }
}
