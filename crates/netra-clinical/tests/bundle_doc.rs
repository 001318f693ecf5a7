//! `docs/bundle-format.md` documents the bundle; its column tables and
//! vocabulary list are generated from the schema. This test fails when they
//! drift apart; `NETRA_BLESS=1` rewrites the generated parts.

use netra_clinical::registry::schema::{Entity, markdown_table, markdown_vocabularies};

fn generated_tables() -> String {
    let mut out = String::new();
    for e in Entity::ALL {
        let spec = e.spec();
        out.push_str(&format!("### `{}`\n\n{}\n\n", spec.file, spec.doc));
        out.push_str(&markdown_table(e));
        out.push('\n');
    }
    out
}

fn replace_between(doc: &str, begin: &str, end: &str, body: &str) -> String {
    let b = doc.find(begin).expect("begin marker") + begin.len();
    let e = doc.find(end).expect("end marker");
    format!("{}\n{}{}", &doc[..b], body, &doc[e..])
}

#[test]
fn bundle_format_doc_matches_the_schema() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/bundle-format.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let want = replace_between(
        &doc,
        "<!-- BEGIN GENERATED TABLES -->",
        "<!-- END GENERATED TABLES -->",
        &generated_tables(),
    );
    let want = replace_between(
        &want,
        "<!-- BEGIN GENERATED VOCABULARIES -->",
        "<!-- END GENERATED VOCABULARIES -->",
        &format!("{}\n", markdown_vocabularies()),
    );
    if std::env::var_os("NETRA_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    assert!(
        doc == want,
        "docs/bundle-format.md is out of date with the schema; run \
         NETRA_BLESS=1 cargo test -p netra-clinical --test bundle_doc"
    );
}
