//! The OpenAPI 3.0 description of the JSON API, written by hand (a
//! generator would add a macro framework to the build for one document). A
//! test checks that every `/api/` route of the router is described and
//! every described path is routed.

use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::analysis::{Grouping, MENU};

fn err(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn ok_json(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

fn key_param() -> Value {
    json!({
        "name": "key", "in": "query", "required": true, "style": "form", "explode": true,
        "description": "the record's key parts in key order (see /api/schema); repeat the parameter; an absent optional part is empty",
        "schema": { "type": "array", "items": { "type": "string" } }
    })
}

fn entity_param() -> Value {
    json!({
        "name": "entity", "in": "path", "required": true,
        "description": "table name: study, site, patient, tumour, metastasis, biomarker, treatment, treatment_agent, radionuclide_administration, assessment, lesion, clinical_status, adverse_event",
        "schema": { "type": "string" }
    })
}

fn q(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } })
}

fn analysis_params() -> Vec<Value> {
    let endpoints: Vec<String> = MENU
        .iter()
        .map(|(e, f)| format!("{}|{}", e.code(), f.code()))
        .collect();
    let groups: Vec<&str> = Grouping::ALL.iter().map(|g| g.code()).collect();
    vec![
        q(
            "endpoint",
            &format!(
                "endpoint code; with `from`, one of: {}",
                endpoints.join(", ")
            ),
        ),
        q(
            "from",
            "time zero: diagnosis, metastatic, entry, line:1, line:2, line:3",
        ),
        q("group", &format!("grouping: {}", groups.join(", "))),
        q("site", "only this site (among those the user may see)"),
        q("primary", "only this primary site (code)"),
        q("grade", "only this WHO 2019 grade (g1, g2, g3, nec_…)"),
        q("sex", "only this sex (code)"),
        q("age_min", "youngest age at diagnosis"),
        q("age_max", "oldest age at diagnosis"),
        q("diagnosed_from", "first year of diagnosis"),
        q("diagnosed_to", "last year of diagnosis"),
        q("include_excluded", "1 to include patients marked excluded"),
        q(
            "landmark",
            "landmark time of the survival rate, months (default 36)",
        ),
        q(
            "ci",
            "1 to draw confidence bands, 0 not to (default: for up to three curves)",
        ),
    ]
    .into_iter()
    .chain(settings_params())
    .collect()
}

/// The rule settings and endpoint options: every field of the analysis
/// layer's `RuleSettings` (a study file's `[settings]`) and of its
/// `EndpointRequest` except the menu's endpoint, time zero and units, by
/// their serde names (the same list the analysis form shows).
fn settings_params() -> Vec<Value> {
    crate::analysis::setting_fields(&crate::analysis::Query::default())
        .into_iter()
        .map(|(name, default, _)| {
            let description = match name.as_str() {
                "min_cell" => "small-cell threshold: counts below it are withheld (analysts: at least the server's --min-cell)".to_string(),
                "criteria" => "response criteria: recist1.1, who, choi, mrecist or custom (with criteria_toml)".to_string(),
                "criteria_toml" => "the TOML text of custom response criteria".to_string(),
                "add_on_agents" => "agent codes that never advance the line, comma-separated".to_string(),
                _ => format!(
                    "rule setting or endpoint option as in a study file's [settings] / [[endpoint]] (docs/web.md); default {}",
                    if default.is_empty() { "none" } else { default.as_str() }
                ),
            };
            q(&name, &description)
        })
        .collect()
}

/// The document as JSON text.
pub fn document() -> String {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| build().to_string()).clone()
}

/// The document.
pub fn build() -> Value {
    let auth = json!([{ "session": [] }]);
    let write = json!([{ "session": [], "csrf": [] }]);
    let unauth = err("not logged in, or the session expired");
    let forbidden = err("not allowed for this role, or missing or invalid CSRF token");
    let not_found = err("no such record, or a patient of a site the user may not see");
    let invalid =
        err("the values failed the importer's checks: `problems` lists each with its field");
    let record_body = json!({
        "type": "object", "required": ["values", "reason"],
        "properties": {
            "key": { "type": "array", "items": { "type": "string" }, "description": "PUT: the key of the record to update" },
            "values": { "type": "object", "additionalProperties": { "oneOf": [ {"type":"string"}, {"type":"number"}, {"type":"boolean"}, {"type":"null"} ] },
                        "description": "column → value; texts as in the bundle format (dates YYYY, YYYY-MM, YYYY-MM-DD; codes; yes/no)" },
            "reason": { "type": "string", "description": "why; required, kept in the audit trail" }
        }
    });
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "netra registry API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The JSON API of `netra serve`: accounts, patients and their records (with the importer's validation and the audit trail), audit history, the live RECIST preview and cohort survival analyses. Log in with POST /api/login; send the returned csrf_token in the X-CSRF-Token header of every POST, PUT and DELETE. Roles and permissions: docs/web.md."
        },
        "components": {
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": "netra_session",
                             "description": "set by POST /api/login (named __Host-netra_session behind TLS)" },
                "csrf": { "type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                          "description": "the session's csrf_token (POST /api/login, GET /api/me)" }
            },
            "schemas": {
                "Error": { "type": "object", "properties": { "error": { "type": "object", "properties": {
                    "status": { "type": "integer" }, "message": { "type": "string" },
                    "problems": { "type": "array", "items": { "type": "object", "properties": {
                        "field": { "type": "string", "nullable": true }, "message": { "type": "string" }, "value": { "type": "string", "nullable": true } } } } } } } },
                "User": { "type": "object", "properties": {
                    "username": { "type": "string" }, "display_name": { "type": "string", "nullable": true },
                    "role": { "type": "string", "enum": ["administrator", "data_manager", "investigator", "analyst"] },
                    "sites": { "type": "array", "items": { "type": "string" } }, "active": { "type": "boolean" } } },
                "Session": { "type": "object", "properties": {
                    "user": { "$ref": "#/components/schemas/User" }, "csrf_token": { "type": "string" },
                    "idle_expires_at": { "type": "integer" }, "expires_at": { "type": "integer" } } },
                "PatientList": { "type": "object", "properties": {
                    "total": { "type": "integer", "nullable": true, "description": "null for analysts when fewer than min_cell match" }, "min_cell": { "type": "integer" }, "page": { "type": "integer" }, "pages": { "type": "integer" }, "per_page": { "type": "integer" },
                    "patients": { "type": "array", "items": { "type": "object", "properties": {
                        "id": { "type": "string", "description": "code, or pseudonym for analysts" }, "site": { "type": "string" }, "sex": { "type": "string" },
                        "age": { "type": "string", "nullable": true }, "primary_site": { "type": "string", "nullable": true }, "grade": { "type": "string", "nullable": true },
                        "vital_status": { "type": "string" }, "diagnosis_date": { "type": "string", "nullable": true }, "last_date": { "type": "string", "nullable": true },
                        "treatments": { "type": "integer" }, "assessments": { "type": "integer" } } } } } },
                "Analysis": { "type": "object", "description": "see docs/web.md; medians and rates in months and proportions" }
            }
        },
        "paths": {
            "/api/openapi.json": { "get": { "summary": "this document", "security": [], "responses": { "200": { "description": "OpenAPI 3.0 document" } } } },
            "/api/login": { "post": { "summary": "log in (sets the session cookie)", "security": [],
                "requestBody": body(json!({ "type": "object", "required": ["username", "password"], "properties": { "username": {"type":"string"}, "password": {"type":"string"} } })),
                "responses": { "200": ok_json("logged in", json!({ "$ref": "#/components/schemas/Session" })),
                               "401": err("wrong user name or password"), "429": err("too many failed logins, attempts in flight included (Retry-After header)"),
                               "503": err("busy checking other passwords (Retry-After header)") } } },
            "/api/logout": { "post": { "summary": "log out", "security": write, "responses": { "204": { "description": "logged out" }, "401": unauth, "403": forbidden } } },
            "/api/me": { "get": { "summary": "the session: user, role, sites, CSRF token, expiry", "security": auth,
                "responses": { "200": ok_json("the session", json!({ "$ref": "#/components/schemas/Session" })), "401": unauth } } },
            "/api/account/password": { "post": { "summary": "change one's own password", "security": write,
                "requestBody": body(json!({ "type": "object", "required": ["current", "new"], "properties": { "current": {"type":"string"}, "new": {"type":"string"} } })),
                "responses": { "204": { "description": "changed; other sessions of the account end" }, "400": err("password too short or long"), "401": unauth, "403": forbidden, "429": err("too many wrong passwords") } } },
            "/api/users": {
                "get": { "summary": "list accounts (administrators)", "security": auth,
                    "responses": { "200": ok_json("accounts", json!({ "type": "array", "items": { "$ref": "#/components/schemas/User" } })), "401": unauth, "403": forbidden } },
                "post": { "summary": "create an account (administrators)", "security": write,
                    "requestBody": body(json!({ "type": "object", "required": ["username", "role", "password"], "properties": {
                        "username": {"type":"string"}, "display_name": {"type":"string"}, "role": {"type":"string"},
                        "sites": { "type": "array", "items": {"type":"string"}, "description": "required for data_manager and investigator" }, "password": {"type":"string"} } })),
                    "responses": { "201": ok_json("created", json!({ "$ref": "#/components/schemas/User" })), "400": err("invalid name, role, sites or password"), "401": unauth, "403": forbidden, "409": err("the account exists") } } },
            "/api/users/{name}": { "put": { "summary": "change an account's role, sites, activity (administrators); its sessions end", "security": write,
                "parameters": [ { "name": "name", "in": "path", "required": true, "schema": { "type": "string" } } ],
                "requestBody": body(json!({ "type": "object", "required": ["role"], "properties": {
                    "role": {"type":"string"}, "sites": { "type": "array", "items": {"type":"string"} }, "active": {"type":"boolean"}, "display_name": {"type":"string"} } })),
                "responses": { "200": ok_json("changed", json!({ "$ref": "#/components/schemas/User" })), "400": err("invalid role or sites"), "401": unauth, "403": forbidden, "404": err("no such account") } } },
            "/api/users/{name}/password": { "post": { "summary": "set an account's password (administrators)", "security": write,
                "parameters": [ { "name": "name", "in": "path", "required": true, "schema": { "type": "string" } } ],
                "requestBody": body(json!({ "type": "object", "required": ["password"], "properties": { "password": {"type":"string"} } })),
                "responses": { "204": { "description": "set; the account's sessions end" }, "400": err("password too short or long"), "401": unauth, "403": forbidden, "404": err("no such account") } } },
            "/api/schema": { "get": { "summary": "the registry's entities, columns, codes, keys and references", "security": auth,
                "responses": { "200": ok_json("schema", json!({ "type": "object" })), "401": unauth } } },
            "/api/patients": { "get": { "summary": "patient list: search, filters, pages of 50 (only the sites the user may see)", "security": auth,
                "parameters": [ q("q", "text in the code (pseudonym for analysts)"), q("site", "site code"), q("primary", "primary-site code"), q("grade", "WHO grade code"), q("vital", "vital-status code"), q("sort", "column: patient (natural code order, the default), site, sex, age, primary, grade, vital, diagnosis, last, treatments, assessments"), q("dir", "asc (default) or desc"), q("page", "page from 1") ],
                "responses": { "200": ok_json("a page", json!({ "$ref": "#/components/schemas/PatientList" })), "400": err("unknown code in a filter or sort column"), "401": unauth } } },
            "/api/patients/{id}": { "get": { "summary": "every record of a patient, by table (pseudonymised for analysts)", "security": auth,
                "parameters": [ { "name": "id", "in": "path", "required": true, "description": "patient code, or pseudonym for analysts", "schema": { "type": "string" } } ],
                "responses": { "200": ok_json("the course", json!({ "type": "object" })), "401": unauth, "404": not_found } } },
            "/api/records/{entity}": {
                "get": { "summary": "one record by key", "security": auth, "parameters": [ entity_param(), key_param() ],
                    "responses": { "200": ok_json("the record", json!({ "type": "object" })), "400": err("malformed key"), "401": unauth, "403": forbidden, "404": not_found } },
                "post": { "summary": "create a record (importer's checks, audit entry with the reason)", "security": write, "parameters": [ entity_param() ],
                    "requestBody": body(record_body.clone()),
                    "responses": { "201": ok_json("created", json!({ "type": "object", "properties": { "entity": {"type":"string"}, "key": { "type": "array", "items": {"type":"string"} } } })),
                                   "401": unauth, "403": forbidden, "404": not_found, "409": err("a record with this key exists (also when created at the same moment by another request)"), "422": invalid.clone(),
                                   "507": err("the server could not save: disk full") } },
                "put": { "summary": "update a record (key columns cannot change)", "security": write, "parameters": [ entity_param() ],
                    "requestBody": body(record_body),
                    "responses": { "200": ok_json("updated", json!({ "type": "object" })), "401": unauth, "403": forbidden, "404": not_found,
                                   "409": err("the record was changed or deleted by someone else meanwhile"), "422": invalid, "507": err("the server could not save: disk full") } },
                "delete": { "summary": "delete a record (refused while others refer to it)", "security": write, "parameters": [ entity_param() ],
                    "requestBody": body(json!({ "type": "object", "required": ["key", "reason"], "properties": { "key": { "type": "array", "items": {"type":"string"} }, "reason": {"type":"string"} } })),
                    "responses": { "204": { "description": "deleted" }, "401": unauth, "403": forbidden, "404": not_found, "409": err("other records refer to it, or the record was changed meanwhile"), "422": err("no reason given"),
                                   "507": err("the server could not save: disk full") } } },
            "/api/records/{entity}/history": { "get": { "summary": "the audit history of a record (not for analysts)", "security": auth, "parameters": [ entity_param(), key_param() ],
                "responses": { "200": ok_json("entries, oldest first", json!({ "type": "array", "items": { "type": "object", "properties": {
                    "seq": {"type":"integer"}, "at": {"type":"string"}, "user": {"type":"string"}, "reason": {"type":"string","nullable":true},
                    "action": {"type":"string"}, "old_values": {"type":"object","nullable":true}, "new_values": {"type":"object","nullable":true} } } })),
                    "401": unauth, "403": forbidden, "404": not_found } } },
            "/api/recist/preview": { "post": { "summary": "the response of an assessment with a typed lesion (nothing saved)", "security": write,
                "parameters": [ { "name": "patient", "in": "query", "required": true, "schema": { "type": "string" } }, { "name": "assessment", "in": "query", "required": true, "schema": { "type": "string" } } ],
                "requestBody": body(json!({ "type": "object", "properties": { "values": { "type": "object", "description": "lesion columns → texts" } } })),
                "responses": { "200": ok_json("time-point response, sums and changes", json!({ "type": "object" })), "401": unauth, "403": forbidden, "404": not_found } } },
            "/api/analysis": { "get": { "summary": "Kaplan–Meier by group, medians with CI, landmark rates, log-rank test, response rates", "security": auth,
                "parameters": analysis_params(),
                "responses": { "200": ok_json("the analysis", json!({ "$ref": "#/components/schemas/Analysis" })), "400": err("invalid parameter"), "401": unauth } } },
            "/api/analysis/{file}": { "get": { "summary": "downloads of an analysis: km.svg, km.png (300 dpi), survival.csv, response.csv, groups.csv, patients.csv (one row per patient: group, time, event; not for analysts; audited); for ttp and pfs endpoints, cuminc (the analysis layer's cumulative-incidence JSON: progression and death without progression by group, Gray's test) and cuminc.svg", "security": auth,
                "parameters": std::iter::once(json!({ "name": "file", "in": "path", "required": true, "schema": { "type": "string", "enum": ["km.svg", "km.png", "survival.csv", "response.csv", "groups.csv", "patients.csv", "cuminc", "cuminc.svg"] } })).chain(analysis_params()).collect::<Vec<_>>(),
                "responses": { "200": { "description": "the file" }, "400": err("invalid parameter"), "401": unauth, "404": err("nothing to draw") } } }
        }
    });
    let (list, run) = generic_paths(&auth, &write);
    doc["paths"]["/api/analyses"] = list;
    doc["paths"]["/api/analyses/{name}"] = run;
    doc
}

/// `GET /api/analyses` and `POST /api/analyses/{name}`: the analysis
/// layer's registry, every analysis by name (`crate::generic`).
fn generic_paths(auth: &Value, write: &Value) -> (Value, Value) {
    let names: Vec<&str> = netra_analysis::analyses::registry()
        .iter()
        .map(|a| a.name())
        .collect();
    let described: Vec<String> = netra_analysis::analyses::registry()
        .iter()
        .map(|a| format!("`{}`: {}", a.name(), a.description()))
        .collect();
    let filters = [
        ("site", "only this site (among those the user may see)"),
        ("primary", "only this primary site (code)"),
        ("grade", "only this WHO 2019 grade"),
        ("sex", "only this sex (code)"),
        (
            "age_min",
            "youngest age at diagnosis (analysts: a multiple of 5)",
        ),
        (
            "age_max",
            "oldest age at diagnosis (analysts: the last year of a 5-year band)",
        ),
        ("diagnosed_from", "first year of diagnosis"),
        ("diagnosed_to", "last year of diagnosis"),
        ("include_excluded", "1 to include patients marked excluded"),
    ];
    let settings = serde_json::to_value(netra_analysis::settings::RuleSettings::default())
        .unwrap_or(Value::Null);
    let mut params: Vec<Value> = vec![json!({
        "name": "name", "in": "path", "required": true,
        "description": described.join("; "),
        "schema": { "type": "string", "enum": names }
    })];
    params.extend(filters.iter().map(|(n, d)| q(n, d)));
    if let Value::Object(m) = &settings {
        params.extend(m.keys().map(|k| {
            q(k, "rule setting as in a study file's [settings] (min_cell: the small-cell threshold; analysts at least the server's --min-cell)")
        }));
    }
    let list = json!({ "get": {
        "summary": "every registered analysis: name, description, default request, example request",
        "security": auth,
        "responses": {
            "200": ok_json("the analyses", json!({ "type": "object", "properties": { "analyses": { "type": "array", "items": { "type": "object", "properties": {
                "name": {"type":"string"}, "description": {"type":"string"},
                "default_request": {"type":"object"}, "example_request": {"type":"object"}, "run": {"type":"string"} } } } } })),
            "401": err("not logged in, or the session expired")
        } } });
    let run = json!({ "post": {
        "summary": "run a registered analysis: the body is its request (fields not given take their defaults), the URL parameters select the cohort and rule settings as for /api/analysis; the output is the JSON of `netra analyse NAME --json`, under the small-cell rule for analysts (docs/web.md)",
        "security": write,
        "parameters": params,
        "requestBody": body(json!({ "type": "object", "description": "the analysis' request (GET /api/analyses lists each default)" })),
        "responses": {
            "200": ok_json("the output", json!({ "type": "object", "properties": {
                "analysis": {"type":"string"}, "revision": {"type":"integer"},
                "min_cell": {"type":"integer", "description": "the small-cell threshold applied (absent: full detail)"},
                "suppressed": {"type":"array", "items": {"type":"string"}, "description": "paths of the withheld values (`*`: the whole output, cohort below min_cell)"},
                "output": {"type":"object", "nullable": true} } })),
            "400": err("unknown request field (with the nearest), invalid value or parameter"),
            "401": err("not logged in, or the session expired"),
            "403": err("missing or invalid CSRF token; analysts: a request naming the study arm"),
            "404": err("no such analysis (with the nearest name), or a site the user may not see")
        } } });
    (list, run)
}
