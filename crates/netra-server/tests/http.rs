//! HTTP-level tests of `netra serve`: the router driven in-process on a
//! temporary SQLite registry. Sessions and cookies, CSRF, expiry, rate
//! limiting, every role against every resource (other sites' patients
//! included), the write path through the importer's checks and the audit
//! trail, pseudonymisation, the patient list, analyses and downloads, the
//! OpenAPI document.

mod common;

use axum::http::StatusCode;
use common::*;
use netra_server::Config;
use serde_json::json;

#[tokio::test]
async fn login_sets_an_httponly_samesite_strict_session_cookie() {
    let t = test_app().await;
    let bad = req("POST", "/api/login")
        .json(json!({"username": "admin", "password": "wrong password!"}))
        .send(&t)
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        bad.json()["error"]["message"],
        "wrong user name or password"
    );
    // An unknown account gets the same answer.
    let unknown = req("POST", "/api/login")
        .json(json!({"username": "nobody", "password": PASSWORD}))
        .send(&t)
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.json(), bad.json());

    let ok = req("POST", "/api/login")
        .json(json!({"username": "dm_a", "password": PASSWORD}))
        .send(&t)
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let set = &ok.set_cookies()[0];
    assert!(set.starts_with("netra_session="), "{set}");
    assert!(set.contains("; HttpOnly") && set.contains("; SameSite=Strict"));
    assert!(!set.contains("Secure"), "plain HTTP: no Secure flag");
    let body = ok.json();
    assert_eq!(body["user"]["role"], "data_manager");
    assert_eq!(body["user"]["sites"], json!(["a"]));
    assert_eq!(body["csrf_token"].as_str().unwrap().len(), 64);
    // The token in the cookie is not what the database stores.
    let token = cookie_pair(set).split('=').nth(1).unwrap().to_string();
    let registry = &t.state.registry;
    assert!(registry.session(&token).await.unwrap().is_none());
    let hash = netra_server::session::token_hash(&token);
    assert!(registry.session(&hash).await.unwrap().is_some());
    // Failed and successful logins are logged.
    let events: Vec<String> = registry
        .recent_events(100)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .map(|e| e.event)
        .collect();
    assert_eq!(events, ["login_failed", "login_failed", "login"]);
}

#[tokio::test]
async fn behind_a_tls_proxy_cookies_are_secure_and_host_prefixed() {
    let t = test_app_with(Config {
        behind_tls_proxy: true,
        ..Config::default()
    })
    .await;
    let ok = req("POST", "/api/login")
        .json(json!({"username": "admin", "password": PASSWORD}))
        .send(&t)
        .await;
    let set = &ok.set_cookies()[0];
    assert!(set.starts_with("__Host-netra_session="), "{set}");
    assert!(set.contains("; Secure") && set.contains("; Path=/"));
    // The plain cookie name is not accepted then.
    let token = cookie_pair(set).split_once('=').unwrap().1.to_string();
    let r = req("GET", "/api/me")
        .header("cookie", &format!("netra_session={token}"))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = req("GET", "/api/me")
        .header("cookie", &cookie_pair(set))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn without_a_session_pages_redirect_to_login_and_the_api_answers_401() {
    let t = test_app().await;
    let r = req("GET", "/patients/a1?x=1").send(&t).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.header("location").unwrap(),
        "/login?next=%2Fpatients%2Fa1%3Fx%3D1"
    );
    for path in ["/api/patients", "/api/me", "/api/analysis", "/api/users"] {
        let r = req("GET", path).send(&t).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(r.json()["error"]["status"], 401);
    }
    // A made-up cookie is no session either.
    let r = req("GET", "/api/me")
        .header("cookie", "netra_session=00ff")
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // The OpenAPI document is public.
    let r = req("GET", "/api/openapi.json").send(&t).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn the_login_form_needs_its_own_token_against_login_csrf() {
    let t = test_app().await;
    let form = req("GET", "/login?next=/analysis").send(&t).await;
    assert_eq!(form.status, StatusCode::OK);
    let set = form
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("netra_login="))
        .expect("login cookie");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));
    let token = cookie_pair(&set).split_once('=').unwrap().1.to_string();
    assert!(form.text().contains(&format!("value=\"{token}\"")));
    let fields = |csrf: &str| {
        vec![
            ("username", "admin".to_string()),
            ("password", PASSWORD.to_string()),
            ("_csrf", csrf.to_string()),
            ("next", "/analysis".to_string()),
        ]
    };
    let send = |cookie: Option<String>, csrf: String| {
        let f = fields(&csrf);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut r = req("POST", "/login").form(&f);
        if let Some(c) = cookie {
            r = r.header("cookie", &c);
        }
        r
    };
    // A cross-site form has no cookie (SameSite=Strict), or a wrong token.
    let r = send(None, token.clone()).send(&t).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.set_cookies()
            .iter()
            .all(|c| !c.starts_with("netra_session="))
    );
    let r = send(Some(cookie_pair(&set)), "f".repeat(64)).send(&t).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(Some(cookie_pair(&set)), token).send(&t).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location").unwrap(), "/analysis");
    assert!(r.set_cookies()[0].starts_with("netra_session="));
}

#[tokio::test]
async fn every_state_change_needs_the_sessions_csrf_token() {
    let t = test_app().await;
    let admin = login(&t, "admin").await;
    let body = json!({"values": {"patient": "a1", "event": "AE1", "term": "Nausea", "grade": 1}, "reason": "seen at visit"});
    // API: no header, a forged header, the token of another session.
    let r = req("POST", "/api/records/adverse_event")
        .cookie(&admin)
        .json(body.clone())
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("CSRF")
    );
    let r = req("POST", "/api/records/adverse_event")
        .cookie(&admin)
        .header("x-csrf-token", &"0".repeat(64))
        .json(body.clone())
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let other = login(&t, "dm_a").await;
    let r = req("POST", "/api/records/adverse_event")
        .cookie(&admin)
        .header("x-csrf-token", &other.csrf)
        .json(body.clone())
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = req("POST", "/api/records/adverse_event")
        .login(&admin)
        .json(body)
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    // Forms: the `_csrf` field.
    let fields = |csrf: &str| {
        vec![
            ("_csrf", csrf.to_string()),
            ("f_patient", "a1".to_string()),
            ("f_event", "AE2".to_string()),
            ("f_term", "Fatigue".to_string()),
            ("f_grade", "2".to_string()),
            ("reason", "seen at visit".to_string()),
        ]
    };
    for (csrf, expected) in [
        ("", StatusCode::FORBIDDEN),
        ("forged", StatusCode::FORBIDDEN),
        (other.csrf.as_str(), StatusCode::FORBIDDEN),
        (admin.csrf.as_str(), StatusCode::SEE_OTHER),
    ] {
        let f = fields(csrf);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = req("POST", "/records/adverse_event/new")
            .cookie(&admin)
            .form(&f)
            .send(&t)
            .await;
        assert_eq!(r.status, expected, "csrf '{csrf}': {}", r.text());
    }
    // Logging out is a state change too.
    let r = req("POST", "/logout").cookie(&admin).send(&t).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = req("POST", "/logout")
        .cookie(&admin)
        .form(&[("_csrf", &admin.csrf)])
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.set_cookies()[0].contains("Max-Age=0"));
    let r = req("GET", "/api/me").cookie(&admin).send(&t).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the session ended");
}

#[tokio::test]
async fn sessions_expire_when_idle_and_after_their_absolute_lifetime() {
    let t = test_app().await;
    let cfg = t.state.config.sessions;
    // Idle.
    let s = login(&t, "inv_a").await;
    t.clock.advance(cfg.idle - 120);
    assert_eq!(
        req("GET", "/api/me").cookie(&s).send(&t).await.status,
        StatusCode::OK
    );
    t.clock.advance(cfg.idle - 120);
    assert_eq!(
        req("GET", "/api/me").cookie(&s).send(&t).await.status,
        StatusCode::OK
    );
    // Ended once idle for the limit plus the bounded slack of last_seen.
    t.clock
        .advance(cfg.idle + netra_server::session::touch_every(cfg));
    let r = req("GET", "/api/me").cookie(&s).send(&t).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    let r = req("GET", "/patients").cookie(&s).send(&t).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let to = r.header("location").unwrap();
    // Expired sessions are deleted: the page then simply asks to log in.
    assert!(to.starts_with("/login?"), "{to}");
    // Absolute: active every 20 minutes, yet ended after the lifetime. The
    // clock is real time plus the test's offset, so the last request stays
    // a step short of the lifetime: at exactly the lifetime, any second
    // that really passed since the login would end the session (the test
    // failed now and then on a loaded machine).
    let s = login(&t, "inv_a").await;
    let mut elapsed = 0;
    while elapsed + 1200 < cfg.absolute {
        t.clock.advance(1200);
        elapsed += 1200;
        assert_eq!(
            req("GET", "/api/me").cookie(&s).send(&t).await.status,
            StatusCode::OK,
            "after {elapsed} s"
        );
    }
    t.clock.advance(cfg.absolute - elapsed + 1);
    assert_eq!(
        req("GET", "/api/me").cookie(&s).send(&t).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_expired_page_session_sends_back_to_login_saying_so() {
    let t = test_app().await;
    let s = login(&t, "admin").await;
    let life = t.state.config.sessions;
    t.clock
        .advance(life.idle + netra_server::session::touch_every(life));
    let r = req("GET", "/analysis").cookie(&s).send(&t).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.header("location").unwrap(),
        "/login?expired=1&next=%2Fanalysis"
    );
    let page = req("GET", "/login?expired=1&next=%2Fanalysis")
        .send(&t)
        .await;
    assert!(page.text().contains("Your session has expired"));
    // A state change with the expired session is refused (401, not 403).
    let r = req("POST", "/api/logout").login(&s).send(&t).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn try_login(t: &TestApp, user: &str, password: &str, ip: &str) -> StatusCode {
    req("POST", "/api/login")
        .client_ip(ip)
        .json(json!({"username": user, "password": password}))
        .send(t)
        .await
        .status
}

#[tokio::test]
async fn failed_logins_are_limited_per_account_and_per_address() {
    let t = test_app().await;
    // Per account: 5 failures within 15 minutes, from different addresses.
    for i in 0..5 {
        assert_eq!(
            try_login(&t, "dm_a", "wrong password 1", &format!("10.1.0.{i}")).await,
            StatusCode::UNAUTHORIZED
        );
    }
    // Now even the right password is refused, with Retry-After.
    let r = req("POST", "/api/login")
        .client_ip("10.1.0.9")
        .json(json!({"username": "dm_a", "password": PASSWORD}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Other accounts are not affected.
    assert_eq!(
        try_login(&t, "inv_a", PASSWORD, "10.1.0.9").await,
        StatusCode::OK
    );
    // After the window the account logs in again.
    t.clock.advance(901);
    assert_eq!(
        try_login(&t, "dm_a", PASSWORD, "10.1.0.9").await,
        StatusCode::OK
    );

    // Per address: 20 failures over many made-up accounts.
    for i in 0..20 {
        assert_eq!(
            try_login(&t, &format!("guess{i}"), "wrong password 2", "10.2.0.1").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        try_login(&t, "analyst", PASSWORD, "10.2.0.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        try_login(&t, "analyst", PASSWORD, "10.2.0.2").await,
        StatusCode::OK
    );
    let events = t.state.registry.recent_events(1000).await.unwrap();
    let refused = events.iter().filter(|e| e.event == "login_refused").count();
    assert_eq!(refused, 2);
}

#[tokio::test]
async fn behind_a_proxy_the_forwarded_address_is_limited() {
    let t = test_app_with(Config {
        behind_tls_proxy: true,
        ..Config::default()
    })
    .await;
    let attempt = |ip: &'static str, user: String| {
        req("POST", "/api/login")
            .client_ip("127.0.0.1")
            .header("x-forwarded-for", &format!("203.0.113.7, {ip}"))
            .json(json!({"username": user, "password": "wrong password 3"}))
    };
    for i in 0..20 {
        attempt("198.51.100.1", format!("g{i}")).send(&t).await;
    }
    assert_eq!(
        attempt("198.51.100.1", "g99".into()).send(&t).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The proxy's own address is shared by everyone: not what is limited.
    assert_eq!(
        attempt("198.51.100.2", "g99".into()).send(&t).await.status,
        StatusCode::UNAUTHORIZED
    );
}
