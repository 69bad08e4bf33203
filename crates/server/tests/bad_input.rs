//! Bad requests over loopback: each gets its status and a JSON error, and leaves the store as it
//! was (article count and a stored article unchanged).

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{json, Value};
use storyline_engine::Service;
use storyline_server::client::{get, post_json, request, request_streamed, Response};
use storyline_server::{start, Running, ServerConfig};

const TOKEN: &str = "s3cret";

struct Fixture {
    _dir: tempfile::TempDir,
    running: Running,
    before: Value,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let svc = Arc::new(Service::open(dir.path().join("bad.redb")).unwrap());
        let cfg = ServerConfig {
            token: Some(TOKEN.into()),
            max_body_bytes: 1 << 20,
            ..ServerConfig::default()
        };
        let running = start(svc, "127.0.0.1:0", cfg).unwrap();
        let seed = json!({"articles": [
            {"id": "keep-1", "title": "Port strike halts Rotterdam", "text": "Dock workers in Rotterdam walked out on Monday over pay, halting container traffic, the FNV union said.", "date": "2024-03-04"},
            {"id": "keep-2", "title": "Measles outbreak in Marlow County", "text": "Health officials in Marlow County confirmed five measles cases among unvaccinated children.", "date": "2024-03-05"}
        ]});
        let r = post_json(
            running.addr(),
            "/v1/articles",
            Some(TOKEN),
            &serde_json::to_vec(&seed).unwrap(),
        )
        .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        let before = get(running.addr(), "/v1/articles/keep-1").unwrap().json();
        Fixture {
            _dir: dir,
            running,
            before,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.running.addr()
    }

    /// Asserts the status, a JSON error containing `needle`, and an unchanged store.
    fn check(&self, r: Response, status: u16, needle: &str) {
        assert_eq!(r.status, status, "{}", r.text());
        let msg = r.json()["error"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no JSON error: {}", r.text()));
        assert!(
            msg.to_lowercase().contains(&needle.to_lowercase()),
            "{msg:?} lacks {needle:?}"
        );
        let health = get(self.addr(), "/healthz").unwrap().json();
        assert_eq!(health["articles"], 2, "article count changed");
        assert_eq!(
            get(self.addr(), "/v1/articles/keep-1").unwrap().json(),
            self.before
        );
    }
}

#[test]
fn invalid_json_is_400() {
    let f = Fixture::new();
    let r = post_json(
        f.addr(),
        "/v1/articles",
        Some(TOKEN),
        br#"{"articles": [{"id": "x", "text": "y"#,
    )
    .unwrap();
    f.check(r, 400, "invalid JSON");
}

#[test]
fn wrong_types_are_400() {
    let f = Fixture::new();
    let r = post_json(
        f.addr(),
        "/v1/articles",
        Some(TOKEN),
        br#"{"articles": [{"id": "t1", "text": 5}]}"#,
    )
    .unwrap();
    f.check(r, 400, "record 0");
    let r = post_json(
        f.addr(),
        "/v1/articles",
        Some(TOKEN),
        br#"{"articles": "not a list"}"#,
    )
    .unwrap();
    f.check(r, 400, "array");
    let r = post_json(f.addr(), "/v1/articles", Some(TOKEN), b"[1, 2]").unwrap();
    f.check(r, 400, "article object");
}

#[test]
fn one_bad_record_rejects_the_whole_batch() {
    let f = Fixture::new();
    let body = json!({"articles": [
        {"id": "good-1", "text": "A perfectly fine article about the harbour strike in Rotterdam."},
        {"id": "bad-2", "title": "no body"}
    ]});
    let r = post_json(
        f.addr(),
        "/v1/articles",
        Some(TOKEN),
        &serde_json::to_vec(&body).unwrap(),
    )
    .unwrap();
    f.check(r, 400, "record 1 (id \"bad-2\")");
    assert_eq!(
        get(f.addr(), "/v1/articles/good-1").unwrap().status,
        404,
        "nothing of the batch is stored"
    );
}

#[test]
fn body_over_the_limit_is_413() {
    let f = Fixture::new();
    // 100 MiB, streamed in 64 KiB chunks; the limit here is 1 MiB.
    let chunk = vec![b' '; 64 << 10];
    let headers = [
        ("Content-Type", "application/json"),
        ("Authorization", "Bearer s3cret"),
    ];
    let r = request_streamed(
        f.addr(),
        "POST",
        "/v1/articles",
        &headers,
        100 << 20,
        &chunk,
    )
    .unwrap();
    f.check(r, 413, "limit");
}

#[test]
fn invalid_utf8_is_400() {
    let f = Fixture::new();
    let r = post_json(
        f.addr(),
        "/v1/articles",
        Some(TOKEN),
        b"{\"id\": \"u1\", \"text\": \"caf\xe9 \xff\xfe\"}",
    )
    .unwrap();
    f.check(r, 400, "UTF-8");
}

#[test]
fn missing_token_is_401_with_www_authenticate() {
    let f = Fixture::new();
    let r = post_json(
        f.addr(),
        "/v1/articles",
        None,
        br#"{"id": "n1", "text": "Some text."}"#,
    )
    .unwrap();
    assert!(r
        .header("www-authenticate")
        .is_some_and(|h| h.starts_with("Bearer")));
    f.check(r, 401, "token");
}

#[test]
fn wrong_token_is_403() {
    let f = Fixture::new();
    let r = post_json(
        f.addr(),
        "/v1/articles",
        Some("guess"),
        br#"{"id": "w1", "text": "Some text."}"#,
    )
    .unwrap();
    f.check(r, 403, "token");
}

#[test]
fn wrong_content_type_is_415() {
    let f = Fixture::new();
    let headers = [
        ("Content-Type", "text/plain"),
        ("Authorization", "Bearer s3cret"),
    ];
    let r = request(
        f.addr(),
        "POST",
        "/v1/articles",
        &headers,
        br#"{"id": "c1", "text": "Some text."}"#,
    )
    .unwrap();
    f.check(r, 415, "content type");
}

#[test]
fn reads_need_the_token_when_required() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Arc::new(Service::open(dir.path().join("reads.redb")).unwrap());
    let cfg = ServerConfig {
        token: Some(TOKEN.into()),
        read_token_required: true,
        ..ServerConfig::default()
    };
    let running = start(svc, "127.0.0.1:0", cfg).unwrap();
    let r = get(running.addr(), "/v1/events").unwrap();
    assert_eq!(r.status, 401, "{}", r.text());
    let auth = format!("Bearer {TOKEN}");
    let headers = [("Authorization", auth.as_str())];
    let r = request(running.addr(), "GET", "/v1/events", &headers, &[]).unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["total"], 0);
    // Health checks stay open.
    assert_eq!(get(running.addr(), "/healthz").unwrap().status, 200);
}
