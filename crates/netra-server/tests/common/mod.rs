//! A small registry with two sites, four accounts (one per role) and an
//! in-process router to send requests to (`tower::ServiceExt::oneshot`).

#![allow(dead_code)]

pub mod fields;
pub mod multipart;

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use netra_server::accounts::{NewUser, Role, create_user, hash_password};
use netra_server::{AppState, Clock, Config, Shared, router};
use netra_store::{Actor, Bundle, ImportOptions, Location, Registry};
use serde_json::Value;
use tower::ServiceExt;

pub const PASSWORD: &str = "a long enough password";

/// Sites a (patients a1, a2) and b (patient b1).
pub const BUNDLE: &[(&str, &str)] = &[
    ("study.csv", "study,title\ns,Test study\n"),
    ("sites.csv", "site,study,name\na,s,Centre A\nb,s,Centre B\n"),
    (
        "patients.csv",
        "patient,site,sex,birth_date,diagnosis_date,last_followup_date,vital_status,death_date,notes\n\
         a1,a,female,1950-05-17,2010-03-01,2015-06-01,dead,2015-06-01,seen by Dr House\n\
         a2,a,male,1962,2012-07,2020-01-10,alive,,\n\
         b1,b,male,1970-01-02,2011-01-15,2014-02-01,dead,2014-02-01,\n",
    ),
    (
        "tumours.csv",
        "patient,tumour,primary_site,differentiation,ki67_percent\n\
         a1,1,pancreas,well,2\na2,1,jejunum_ileum,well,10\nb1,1,pancreas,well,25\n",
    ),
    (
        "treatments.csv",
        "patient,treatment,type,start_date,end_date\n\
         a1,T1,targeted,2010-04-01,2011-01-01\nb1,T1,chemotherapy,2011-02-01,2011-08-01\n",
    ),
    (
        "treatment_agents.csv",
        "patient,treatment,agent\na1,T1,everolimus\nb1,T1,temozolomide\n",
    ),
    (
        "assessments.csv",
        "patient,assessment,date,modality\na1,A1,2010-03-20,ct\na1,A2,2010-07-01,ct\nb1,A1,2011-01-20,ct\n",
    ),
    (
        "lesions.csv",
        "patient,assessment,lesion,organ,role,longest_mm\n\
         a1,A1,L1,liver,target,50\na1,A2,L1,liver,target,30\nb1,A1,L1,liver,target,40\n",
    ),
];

/// The four accounts: (name, role, sites).
pub const USERS: &[(&str, Role, &[&str])] = &[
    ("admin", Role::Administrator, &[]),
    ("dm_a", Role::DataManager, &["a"]),
    ("inv_a", Role::Investigator, &["a"]),
    ("analyst", Role::Analyst, &[]),
];

pub struct TestApp {
    pub dir: tempfile::TempDir,
    pub state: Shared,
    pub app: Router,
    pub clock: Clock,
    /// Where the registry is.
    pub location: Location,
    /// The PostgreSQL server URL and the database made for this test.
    pg: Option<(String, String)>,
}

impl TestApp {
    /// Drops the PostgreSQL database of the test (SQLite: nothing to do).
    pub async fn finish(self) {
        let TestApp { state, app, pg, .. } = self;
        drop(app);
        state.registry.pool().close().await;
        if let Some((admin, name)) = pg {
            use sqlx::Executor;
            let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
            let _ = pool
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await;
            pool.close().await;
        }
    }
}

/// A second server on the same registry, as a second `netra serve` process
/// would be: its own pool, cohort index, limiter and hashing gate.
pub async fn second_server(t: &TestApp) -> (Shared, Router) {
    let registry = Registry::open(&t.location).await.expect("open");
    let state = AppState::new(registry, t.state.config.clone(), t.clock.clone())
        .await
        .expect("state");
    let app = router(state.clone());
    (state, app)
}

/// The backends to test: always SQLite, PostgreSQL when
/// `NETRA_TEST_POSTGRES_URL` is set (scripts/test.sh starts a throwaway
/// cluster and sets it).
pub fn backends() -> Vec<&'static str> {
    let mut v = vec!["sqlite"];
    if std::env::var("NETRA_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
        v.push("postgres");
    }
    v
}

static PG_COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A fresh PostgreSQL database on the test server: its location, and the
/// (server URL, name) to drop it by.
async fn postgres_location() -> (Location, (String, String)) {
    use sqlx::Executor;
    let admin = std::env::var("NETRA_TEST_POSTGRES_URL").unwrap();
    let n = PG_COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let name = format!("netra_srv_{}_{n}", std::process::id());
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
    pool.execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
        .await
        .unwrap();
    pool.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    pool.close().await;
    let (scheme, rest) = admin.split_once("://").unwrap();
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let host = before_query.split('/').next().unwrap_or(before_query);
    let mut url = format!("{scheme}://{host}/{name}");
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    (Location::Postgres(url), (admin, name))
}

/// A logged-in client: its cookie and CSRF token.
#[derive(Debug, Clone)]
pub struct Login {
    pub cookie: String,
    pub csrf: String,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }
}

pub async fn test_app() -> TestApp {
    test_app_with(Config::default()).await
}

pub async fn test_app_with(config: Config) -> TestApp {
    test_app_on("sqlite", config).await
}

/// The test registry on `backend` ("sqlite" or "postgres").
pub async fn test_app_on(backend: &str, config: Config) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let (location, pg) = match backend {
        "sqlite" => (Location::Sqlite(dir.path().join("reg.db")), None),
        "postgres" => {
            let (l, pg) = postgres_location().await;
            (l, Some(pg))
        }
        other => panic!("unknown backend {other}"),
    };
    let (registry, _) = Registry::init(&location).await.expect("init");
    let bundle_dir = dir.path().join("bundle");
    std::fs::create_dir(&bundle_dir).unwrap();
    for (name, text) in BUNDLE {
        std::fs::write(bundle_dir.join(name), text).unwrap();
    }
    let bundle = Bundle::read_dir(&bundle_dir).expect("bundle");
    registry
        .import_bundle(
            &bundle,
            &ImportOptions {
                actor: Actor {
                    user: "loader".into(),
                    reason: Some("test data".into()),
                },
                dry_run: false,
            },
        )
        .await
        .expect("import");
    let hash = hash_password(PASSWORD).unwrap();
    for (name, role, sites) in USERS {
        create_user(
            &registry,
            &NewUser {
                username: name.to_string(),
                display_name: None,
                role: *role,
                sites: sites.iter().map(|s| s.to_string()).collect(),
            },
            &hash,
            0,
        )
        .await
        .expect("user");
    }
    let clock = Clock::default();
    let state = AppState::new(registry, config, clock.clone())
        .await
        .expect("state");
    let app = router(state.clone());
    TestApp {
        dir,
        state,
        app,
        clock,
        location,
        pg,
    }
}

/// A request under construction.
pub struct Req {
    method: Method,
    uri: String,
    headers: Vec<(String, String)>,
    body: Body,
    peer: SocketAddr,
}

pub fn req(method: &str, uri: &str) -> Req {
    Req {
        method: method.parse().unwrap(),
        uri: uri.to_string(),
        headers: Vec::new(),
        body: Body::empty(),
        peer: "10.0.0.1:40000".parse().unwrap(),
    }
}

impl Req {
    pub fn header(mut self, k: &str, v: &str) -> Req {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }

    /// Session cookie and the CSRF header.
    pub fn login(self, l: &Login) -> Req {
        self.header("cookie", &l.cookie)
            .header("x-csrf-token", &l.csrf)
    }

    /// Session cookie only.
    pub fn cookie(self, l: &Login) -> Req {
        self.header("cookie", &l.cookie)
    }

    pub fn json(mut self, v: Value) -> Req {
        self.headers
            .push(("content-type".into(), "application/json".into()));
        self.body = Body::from(v.to_string());
        self
    }

    pub fn form(mut self, fields: &[(&str, &str)]) -> Req {
        self.headers.push((
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
        self.body = Body::from(serde_urlencoded::to_string(fields).unwrap());
        self
    }

    /// A raw body (set the content type with `header`).
    pub fn body(mut self, bytes: Vec<u8>) -> Req {
        self.body = Body::from(bytes);
        self
    }

    pub fn client_ip(mut self, ip: &str) -> Req {
        self.peer = format!("{ip}:40000").parse().unwrap();
        self
    }

    pub async fn send(self, t: &TestApp) -> Response {
        self.send_to(t.app.clone()).await
    }

    /// Sends to a router (clone it from the TestApp): the future is
    /// `'static`, for spawning many requests at once.
    pub async fn send_to(self, app: Router) -> Response {
        let mut b = Request::builder().method(self.method).uri(&self.uri);
        for (k, v) in &self.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let mut r = b.body(self.body).unwrap();
        r.extensions_mut().insert(ConnectInfo(self.peer));
        let resp = app.oneshot(r).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Response {
            status,
            headers,
            body,
        }
    }
}

/// The `name=value` part of a Set-Cookie header.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_string()
}

pub async fn login(t: &TestApp, user: &str) -> Login {
    let r = req("POST", "/api/login")
        .json(serde_json::json!({ "username": user, "password": PASSWORD }))
        .send(t)
        .await;
    assert_eq!(r.status, StatusCode::OK, "login {user}: {}", r.text());
    let cookie = cookie_pair(&r.set_cookies()[0]);
    let csrf = r.json()["csrf_token"].as_str().unwrap().to_string();
    Login { cookie, csrf }
}

/// Sends every request at once (each on its own task) and returns the
/// answers in the order given.
pub async fn all_at_once(t: &TestApp, requests: Vec<Req>) -> Vec<Response> {
    let mut set = tokio::task::JoinSet::new();
    for (i, r) in requests.into_iter().enumerate() {
        let app = t.app.clone();
        set.spawn(async move { (i, r.send_to(app).await) });
    }
    let mut out: Vec<(usize, Response)> = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.expect("request task"));
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// Adds a simulated registry of `n` patients (sites `sim-c01`, `sim-c02`)
/// to the app, generated with `seed`.
pub async fn add_simulated(t: &TestApp, n: u64, seed: u64) {
    let dir = t.dir.path().join("sim");
    let cfg = netra_sim::SimConfig {
        patients: n,
        seed,
        study: "sim".into(),
        sites: 2,
        threads: 1,
    };
    netra_sim::write_bundle(netra_sim::Model::published(), &cfg, &dir, &mut |_| {})
        .expect("simulate");
    let bundle = Bundle::read_dir(&dir).expect("bundle");
    t.state
        .registry
        .import_bundle(
            &bundle,
            &ImportOptions {
                actor: Actor {
                    user: "loader".into(),
                    reason: Some("simulated".into()),
                },
                dry_run: false,
            },
        )
        .await
        .expect("import");
}

/// The registry's courses the analyses use: every patient not excluded.
pub async fn included_courses(t: &TestApp) -> Vec<netra_clinical::registry::model::PatientCourse> {
    let courses = t
        .state
        .registry
        .courses(&netra_store::CourseFilter::default())
        .await
        .unwrap();
    courses
        .into_iter()
        .filter(|c| !c.patient.excluded.unwrap_or(false))
        .collect()
}
