//! The console's HTTP rules over a fake home: sign-in and its cookies, pages only for a
//! session, every POST refused without the session's form token or the role, and what the
//! port was asked to do.

use super::*;
use ascent_core::approval::{Approval, Decision};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use tower::ServiceExt;

#[derive(Default)]
struct FakeHome {
    calls: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl Operations for FakeHome {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    async fn inbox(&self) -> Result<Inbox, OpsError> {
        Ok(Inbox::default())
    }
    async fn decide(
        &self,
        id: &str,
        operator: &Operator,
        decision: Decision,
        _comment: Option<String>,
    ) -> Result<Approval, OpsError> {
        self.calls
            .lock()
            .push(format!("decide {id} {decision:?} by {}", operator.email));
        Err(OpsError::Refused("the requester may never approve".into()))
    }
    async fn agents(&self) -> Result<Vec<AgentRow>, OpsError> {
        Ok(vec![])
    }
    async fn set_paused(&self, agent: &str, paused: bool, op: &Operator) -> Result<(), OpsError> {
        self.calls
            .lock()
            .push(format!("paused {agent} {paused} by {}", op.email));
        Ok(())
    }
    async fn queues(&self) -> Result<Vec<QueueRow>, OpsError> {
        Ok(vec![])
    }
    async fn dead_letters(&self) -> Result<Vec<DeadLetterRow>, OpsError> {
        Ok(vec![])
    }
    async fn redrive(&self, ids: Option<Vec<String>>, op: &Operator) -> Result<usize, OpsError> {
        self.calls
            .lock()
            .push(format!("redrive {ids:?} by {}", op.email));
        Ok(1)
    }
    async fn record(&self, a: ConsoleAction) -> Result<(), OpsError> {
        self.calls.lock().push(format!("{} {}", a.action, a.actor));
        Ok(())
    }
}

fn settings() -> ConsoleSettings {
    // One hash for all three (hashing is the slow part of these tests).
    let hash = access::hash_password("pw").unwrap();
    let account = |email: &str, role| OperatorAccount {
        email: email.into(),
        role,
        password_hash: hash.clone(),
    };
    ConsoleSettings {
        session_minutes: 30,
        max_failed_sign_ins: 3,
        lockout_minutes: 15,
        operators: vec![
            account("viewer@x.example", Role::Viewer),
            account("approver@x.example", Role::Approver),
            account("admin@x.example", Role::Admin),
        ],
    }
}

fn console() -> (Arc<FakeHome>, Arc<Console>) {
    let home = Arc::new(FakeHome::default());
    let c = Arc::new(Console::new(home.clone(), settings(), false));
    (home, c)
}

async fn send(c: &Arc<Console>, req: Request<Body>) -> axum::response::Response {
    router(c.clone()).oneshot(req).await.unwrap()
}

fn post(path: &str, cookie: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn cookies(r: &axum::response::Response) -> Vec<String> {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

/// Signs `email` in through the form; the session cookie and its form token.
async fn signed_in(c: &Arc<Console>, email: &str) -> (String, String) {
    let r = post(
        "/console/sign-in",
        "ascent_console_form=abc",
        &format!("csrf=abc&email={email}&password=pw"),
    );
    let r = send(c, r).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set = cookies(&r);
    let session = set
        .iter()
        .find(|c| c.starts_with("ascent_console="))
        .unwrap();
    for attr in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/console",
        "Max-Age=1800",
    ] {
        assert!(session.contains(attr), "{session}");
    }
    let token = session
        .trim_start_matches("ascent_console=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = c
        .sessions
        .get(&token, Utc::now())
        .await
        .unwrap()
        .unwrap()
        .csrf;
    (format!("ascent_console={token}"), csrf)
}

#[tokio::test]
async fn pages_need_a_session_and_sign_in_needs_the_form_token_and_password() {
    let (home, c) = console();
    let r = send(
        &c,
        Request::get("/console/approvals")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/console/sign-in");
    // Without the double-submit cookie's value: refused before the password is looked at.
    let r = post(
        "/console/sign-in",
        "ascent_console_form=abc",
        "csrf=zzz&email=admin@x.example&password=pw",
    );
    assert_eq!(send(&c, r).await.status(), StatusCode::FORBIDDEN);
    let r = post(
        "/console/sign-in",
        "ascent_console_form=abc",
        "csrf=abc&email=admin@x.example&password=nope",
    );
    assert_eq!(send(&c, r).await.status(), StatusCode::UNAUTHORIZED);
    let (cookie, _) = signed_in(&c, "viewer@x.example").await;
    let r = Request::get("/console/approvals")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    let r = send(&c, r).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    let calls = home.calls.lock().clone();
    assert_eq!(
        calls,
        [
            "console.sign-in-refused admin@x.example",
            "console.signed-in viewer@x.example"
        ]
    );
}

#[tokio::test]
async fn password_guessing_locks_the_address_out_even_for_the_right_password() {
    let (home, c) = console();
    let attempt = |password: &str| {
        post(
            "/console/sign-in",
            "ascent_console_form=abc",
            &format!("csrf=abc&email=Admin@x.example&password={password}"),
        )
    };
    for _ in 0..3 {
        assert_eq!(
            send(&c, attempt("guess")).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked: the right password is not even checked.
    let r = send(&c, attempt("pw")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("Too many failed sign-ins"));
    assert!(
        home.calls
            .lock()
            .contains(&"console.sign-in-locked Admin@x.example".to_string())
    );
    // Another address is not.
    signed_in(&c, "viewer@x.example").await;
}

#[tokio::test]
async fn a_post_without_the_session_s_token_is_refused_and_nothing_is_done() {
    let (home, c) = console();
    let (cookie, csrf) = signed_in(&c, "admin@x.example").await;
    let r = send(
        &c,
        post("/console/agents/billing/pause", &cookie, "csrf=forged"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = send(
        &c,
        post(
            "/console/agents/billing/pause",
            &cookie,
            &format!("csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let calls = home.calls.lock().clone();
    assert!(
        calls.iter().any(|c| c.starts_with("console.refused")),
        "{calls:?}"
    );
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.starts_with("paused"))
            .collect::<Vec<_>>(),
        ["paused billing true by admin@x.example"]
    );
}

#[tokio::test]
async fn each_role_does_only_what_it_may() {
    let (home, c) = console();
    let (viewer, vcsrf) = signed_in(&c, "viewer@x.example").await;
    let r = send(
        &c,
        post(
            "/console/approvals/apr-1",
            &viewer,
            &format!("csrf={vcsrf}&decision=approve"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (approver, acsrf) = signed_in(&c, "approver@x.example").await;
    let r = send(
        &c,
        post(
            "/console/queues/redrive",
            &approver,
            &format!("csrf={acsrf}&id=3"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The approver may try a decision; the home's rule refuses it, said with 409.
    let r = send(
        &c,
        post(
            "/console/approvals/apr-1",
            &approver,
            &format!("csrf={acsrf}&decision=approve"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let (admin, xcsrf) = signed_in(&c, "admin@x.example").await;
    let r = send(
        &c,
        post(
            "/console/queues/redrive",
            &admin,
            &format!("csrf={xcsrf}&id=3"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Without an id: every dead letter.
    let r = send(
        &c,
        post("/console/queues/redrive", &admin, &format!("csrf={xcsrf}")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let done: Vec<String> = home
        .calls
        .lock()
        .iter()
        .filter(|c| !c.starts_with("console."))
        .cloned()
        .collect();
    assert_eq!(
        done,
        [
            "decide apr-1 Approve by approver@x.example",
            "redrive Some([\"3\"]) by admin@x.example",
            "redrive None by admin@x.example"
        ]
    );
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let (_, c) = console();
    let (cookie, csrf) = signed_in(&c, "viewer@x.example").await;
    let r = send(
        &c,
        post("/console/sign-out", &cookie, &format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = Request::get("/console/agents")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&c, r).await.status(), StatusCode::SEE_OTHER);
}

/// A session store that is down.
struct DownStore;

#[async_trait::async_trait]
impl SessionStore for DownStore {
    async fn put(&self, _: &str, _: &Session) -> Result<(), OpsError> {
        Err(OpsError::Internal("the table is unreachable".into()))
    }
    async fn get(&self, _: &str) -> Result<Option<Session>, OpsError> {
        Err(OpsError::Internal("the table is unreachable".into()))
    }
    async fn remove(&self, _: &str) -> Result<(), OpsError> {
        Err(OpsError::Internal("the table is unreachable".into()))
    }
    async fn failures(&self, _: &str, _: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>, OpsError> {
        Err(OpsError::Internal("the table is unreachable".into()))
    }
    async fn failed(&self, _: &str, _: DateTime<Utc>, _: DateTime<Utc>) -> Result<(), OpsError> {
        Err(OpsError::Internal("the table is unreachable".into()))
    }
    async fn forget_failures(&self, _: &str) -> Result<(), OpsError> {
        Err(OpsError::Internal("the table is unreachable".into()))
    }
}

/// A store that is down only for writing a session: the lockout reads, the sign-in cannot
/// keep its session.
struct UnwritableStore(MemorySessionStore);

#[async_trait::async_trait]
impl SessionStore for UnwritableStore {
    async fn put(&self, _: &str, _: &Session) -> Result<(), OpsError> {
        Err(OpsError::Internal("throttled".into()))
    }
    async fn get(&self, key: &str) -> Result<Option<Session>, OpsError> {
        self.0.get(key).await
    }
    async fn remove(&self, key: &str) -> Result<(), OpsError> {
        self.0.remove(key).await
    }
    async fn failures(
        &self,
        e: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, OpsError> {
        self.0.failures(e, since).await
    }
    async fn failed(
        &self,
        e: &str,
        at: DateTime<Utc>,
        keep: DateTime<Utc>,
    ) -> Result<(), OpsError> {
        self.0.failed(e, at, keep).await
    }
    async fn forget_failures(&self, e: &str) -> Result<(), OpsError> {
        self.0.forget_failures(e).await
    }
}

#[tokio::test]
async fn a_failing_session_store_signs_no_one_in_and_answers_500() {
    let stores: [Arc<dyn SessionStore>; 2] = [
        Arc::new(DownStore),
        Arc::new(UnwritableStore(MemorySessionStore::new())),
    ];
    for store in stores {
        let home = Arc::new(FakeHome::default());
        let c = Arc::new(Console::new(home.clone(), settings(), false).with_sessions(store));
        // The right password.
        let r = post(
            "/console/sign-in",
            "ascent_console_form=abc",
            "csrf=abc&email=admin@x.example&password=pw",
        );
        let r = send(&c, r).await;
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let set = cookies(&r);
        assert!(
            !set.iter().any(|c| c.starts_with("ascent_console=")),
            "{set:?}"
        );
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        let body = String::from_utf8_lossy(&body);
        assert!(body.contains("not possible just now"), "{body}");
        assert!(!body.contains("throttled") && !body.contains("unreachable"));
        // A wrong one is refused all the same.
        let r = post(
            "/console/sign-in",
            "ascent_console_form=abc",
            "csrf=abc&email=admin@x.example&password=nope",
        );
        let status = send(&c, r).await.status();
        assert_ne!(status, StatusCode::SEE_OTHER);
        assert!(
            !home
                .calls
                .lock()
                .iter()
                .any(|c| c.starts_with("console.signed-in")),
            "{:?}",
            home.calls.lock()
        );
    }
    // A page asked with a cookie while the store is down: 500, never the page.
    let c = Arc::new(
        Console::new(Arc::new(FakeHome::default()), settings(), false)
            .with_sessions(Arc::new(DownStore)),
    );
    let r = Request::get("/console/agents")
        .header(header::COOKIE, "ascent_console=0123")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(&c, r).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

/// A privacy desk that says what it was asked.
#[derive(Default)]
struct FakeDesk {
    asked: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl privacy::PrivacyDesk for FakeDesk {
    async fn export(&self, email: &str, phone: Option<&str>) -> Result<String, OpsError> {
        self.asked.lock().push(format!("export {email} {phone:?}"));
        Ok(format!("{{\"identifiers\": [\"{email}\"]}}"))
    }
    async fn erase(
        &self,
        email: &str,
        _: Option<&str>,
        op: &Operator,
        request_id: &str,
    ) -> Result<String, OpsError> {
        self.asked
            .lock()
            .push(format!("erase {email} by {} as {request_id}", op.email));
        Ok(format!(
            "erasure {request_id}\n  lead-generation: 1 deleted"
        ))
    }
}

#[tokio::test]
async fn an_admin_exports_and_erases_a_person_by_post_and_no_one_else_may() {
    let home = Arc::new(FakeHome::default());
    let desk = Arc::new(FakeDesk::default());
    let c = Arc::new(Console::new(home.clone(), settings(), false).with_privacy(desk.clone()));
    // A viewer and an approver are refused, and nothing is asked of the desk.
    for who in ["viewer@x.example", "approver@x.example"] {
        let (cookie, csrf) = signed_in(&c, who).await;
        let r = post(
            "/console/privacy/export",
            &cookie,
            &format!("csrf={csrf}&email=ana@x.example"),
        );
        assert_eq!(send(&c, r).await.status(), StatusCode::FORBIDDEN, "{who}");
    }
    let (cookie, csrf) = signed_in(&c, "admin@x.example").await;
    // Without the session's form token: refused.
    let r = post(
        "/console/privacy/export",
        &cookie,
        "csrf=forged&email=ana@x.example",
    );
    assert_eq!(send(&c, r).await.status(), StatusCode::FORBIDDEN);
    assert!(desk.asked.lock().is_empty());
    // The export is a JSON attachment, never cached.
    let r = post(
        "/console/privacy/export",
        &cookie,
        &format!("csrf={csrf}&email=ana@x.example&phone=%2B4930123456"),
    );
    let r = send(&c, r).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
    assert!(
        r.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    // An erasure needs the confirmation ticked.
    let r = post(
        "/console/privacy/erase",
        &cookie,
        &format!("csrf={csrf}&email=ana@x.example"),
    );
    assert_eq!(send(&c, r).await.status(), StatusCode::BAD_REQUEST);
    let r = post(
        "/console/privacy/erase",
        &cookie,
        &format!("csrf={csrf}&email=ana@x.example&confirm=yes"),
    );
    let r = send(&c, r).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("lead-generation: 1 deleted"));
    let asked = desk.asked.lock().clone();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert_eq!(asked[0], "export ana@x.example Some(\"+4930123456\")");
    assert!(asked[1].starts_with("erase ana@x.example by admin@x.example as dsr-"));
    let calls = home.calls.lock().clone();
    assert!(calls.contains(&"privacy.exported admin@x.example".to_string()));
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.starts_with("console.refused"))
            .count(),
        3
    );
}

/// A directory that asks every operator for a one-time code (as a Cognito pool with MFA does),
/// and refuses one who is in no console group.
struct CodeDirectory;

#[async_trait::async_trait]
impl crate::Authenticator for CodeDirectory {
    async fn authenticate(
        &self,
        email: &str,
        password: &str,
    ) -> Result<crate::Verdict, crate::SignInError> {
        match (email, password) {
            ("nogroup@x.example", "pw") => Err(crate::SignInError::Refused(
                "nogroup@x.example is in no console group".into(),
            )),
            (_, "pw") => Ok(crate::Verdict::CodeNeeded {
                session: format!("session-of-{email}"),
            }),
            _ => Err(crate::SignInError::BadCredentials),
        }
    }

    async fn answer_code(
        &self,
        email: &str,
        session: &str,
        code: &str,
    ) -> Result<crate::Verdict, crate::SignInError> {
        if session == format!("session-of-{email}") && code == "123456" {
            Ok(crate::Verdict::SignedIn(Operator {
                email: email.into(),
                role: Role::Admin,
            }))
        } else {
            Err(crate::SignInError::BadCredentials)
        }
    }
}

#[tokio::test]
async fn a_directory_asking_for_a_code_signs_in_only_with_the_right_one_and_counts_the_rest() {
    let home = Arc::new(FakeHome::default());
    let c = Arc::new(
        Console::new(home.clone(), settings(), false).with_authenticator(Arc::new(CodeDirectory)),
    );
    // The password step answers with the code form, no session yet.
    let r = post(
        "/console/sign-in",
        "ascent_console_form=abc",
        "csrf=abc&email=ana@x.example&password=pw",
    );
    let r = send(&c, r).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!cookies(&r).iter().any(|c| c.starts_with("ascent_console=")));
    let body = String::from_utf8(
        axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(body.contains("id=\"sign-in-code\""), "{body}");
    assert!(
        body.contains("value=\"session-of-ana@x.example\""),
        "{body}"
    );
    // A wrong code is refused and counted; without the form token, nothing is asked.
    let code = |csrf: &str, code: &str| {
        post(
            "/console/sign-in/code",
            "ascent_console_form=abc",
            &format!(
                "csrf={csrf}&email=ana@x.example&session=session-of-ana@x.example&code={code}"
            ),
        )
    };
    assert_eq!(
        send(&c, code("zzz", "123456")).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&c, code("abc", "000000")).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(
        home.calls
            .lock()
            .contains(&"console.sign-in-refused ana@x.example".to_string())
    );
    // The right one opens the session.
    let r = send(&c, code("abc", "123456")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(cookies(&r).iter().any(|c| c.starts_with("ascent_console=")));
    // Known but in no group: 403, said as it is, counted.
    let r = post(
        "/console/sign-in",
        "ascent_console_form=abc",
        "csrf=abc&email=nogroup@x.example&password=pw",
    );
    assert_eq!(send(&c, r).await.status(), StatusCode::FORBIDDEN);
    // Three failures of one address lock it out, the code step too.
    for _ in 0..3 {
        send(&c, code("abc", "999999")).await;
    }
    assert_eq!(
        send(&c, code("abc", "123456")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}
