//! The HTTP API over loopback with real components: the sample corpus posted, then every route.

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{json, Value};
use storyline_engine::Service;
use storyline_server::client::{get, post_json, request};
use storyline_server::{start, Running, ServerConfig};

const TOKEN: &str = "api-test-token";

fn sample() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/sample/articles.jsonl"
    );
    std::fs::read_to_string(path)
        .expect("data/sample/articles.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("sample line is JSON"))
        .collect()
}

fn server(dir: &tempfile::TempDir) -> Running {
    let svc = Arc::new(Service::open(dir.path().join("api.redb")).unwrap());
    let cfg = ServerConfig {
        token: Some(TOKEN.into()),
        ..ServerConfig::default()
    };
    start(svc, "127.0.0.1:0", cfg).unwrap()
}

fn ok_json(addr: SocketAddr, path: &str) -> Value {
    let r = get(addr, path).unwrap();
    assert_eq!(r.status, 200, "GET {path}: {}", r.text());
    r.json()
}

#[test]
fn api_round_trip_over_the_sample_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let running = server(&dir);
    let addr = running.addr();
    let articles = sample();
    let n = articles.len();

    let body = serde_json::to_vec(&json!({ "articles": articles })).unwrap();
    let r = post_json(addr, "/v1/articles", Some(TOKEN), &body).unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let results = r.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), n);
    for (res, art) in results.iter().zip(&articles) {
        assert_eq!(res["id"], art["id"]);
        assert!(res["event_id"].is_u64() && res["storyline_id"].is_u64());
        assert!(res["duplicate_of"].is_null() || res["duplicate_of"].is_string());
    }
    // A retry is idempotent: same answers, nothing stored twice.
    let again = post_json(addr, "/v1/articles", Some(TOKEN), &body).unwrap();
    assert_eq!(again.json()["results"], Value::Array(results.clone()));
    assert_eq!(
        ok_json(addr, "/healthz"),
        json!({"status": "ok", "articles": n})
    );

    // One article alone (not wrapped) is accepted too.
    let one = json!({"id": "solo-1", "title": "Lone report on Marlow County measles", "text": "Marlow County health officials said on Tuesday that the measles outbreak had grown to seven cases.", "date": "2024-03-12"});
    let r = post_json(
        addr,
        "/v1/articles",
        Some(TOKEN),
        &serde_json::to_vec(&one).unwrap(),
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["results"][0]["id"], "solo-1");

    let first_id = articles[0]["id"].as_str().unwrap();
    let a = ok_json(addr, &format!("/v1/articles/{first_id}"));
    for k in [
        "id",
        "title",
        "text",
        "url",
        "date",
        "lang",
        "event_id",
        "storyline_id",
        "duplicate_of",
        "entities",
    ] {
        assert!(a.get(k).is_some(), "article lacks {k}: {a}");
    }
    assert!(a["date"].as_str().is_some_and(|d| d.ends_with('Z')), "{a}");
    assert!(!a["entities"].as_array().unwrap().is_empty());
    let missing = get(addr, "/v1/articles/no-such-article").unwrap();
    assert_eq!(missing.status, 404);
    assert!(missing.json()["error"]
        .as_str()
        .unwrap()
        .contains("no-such-article"));

    let rel = ok_json(addr, &format!("/v1/articles/{first_id}/related"));
    assert_eq!(rel["id"], first_id);
    for k in ["duplicates", "same_event", "same_storyline"] {
        assert!(rel[k].is_array(), "{rel}");
    }

    // Some article of the sample has company in its event.
    let busy = results
        .iter()
        .find(|r| {
            results
                .iter()
                .filter(|o| o["event_id"] == r["event_id"])
                .count()
                > 1
        })
        .expect("the sample has multi-article events");
    let rel = ok_json(
        addr,
        &format!("/v1/articles/{}/related", busy["id"].as_str().unwrap()),
    );
    let near =
        rel["same_event"].as_array().unwrap().len() + rel["duplicates"].as_array().unwrap().len();
    assert!(near >= 1, "{rel}");
    let same = rel["same_event"][0]
        .as_object()
        .or(rel["duplicates"][0].as_object())
        .unwrap();
    for k in ["id", "title", "date", "event_id"] {
        assert!(same.contains_key(k), "{same:?}");
    }

    let events = ok_json(addr, "/v1/events?limit=5");
    let total = events["total"].as_u64().unwrap();
    assert!((2..=n as u64 + 1).contains(&total), "{events}");
    let list = events["events"].as_array().unwrap();
    assert!(!list.is_empty() && list.len() <= 5);
    for k in ["id", "storyline_id", "label", "start", "end", "size"] {
        assert!(list[0].get(k).is_some(), "{}", list[0]);
    }
    let eid = busy["event_id"].as_u64().unwrap();
    let ev = ok_json(addr, &format!("/v1/events/{eid}"));
    let members = ev["articles"].as_array().unwrap();
    assert_eq!(ev["size"].as_u64().unwrap() as usize, members.len());
    assert!(members.len() >= 2);
    assert_eq!(ev["representative"], members[0]["id"]);
    let dates: Vec<&str> = members.iter().filter_map(|m| m["date"].as_str()).collect();
    assert!(
        dates.windows(2).all(|w| w[0] <= w[1]),
        "time order: {dates:?}"
    );
    for k in ["id", "title", "date", "url", "duplicate_of"] {
        assert!(members[0].get(k).is_some());
    }
    assert_eq!(get(addr, "/v1/events/999999").unwrap().status, 404);
    assert_eq!(get(addr, "/v1/events/abc").unwrap().status, 404);
    let filtered = ok_json(addr, "/v1/events?since=2100-01-01");
    assert_eq!(filtered["total"], 0);
    let bad_date = get(addr, "/v1/events?since=yesterday-ish").unwrap();
    assert_eq!(bad_date.status, 400);
    let bad_limit = get(addr, "/v1/events?limit=many").unwrap();
    assert_eq!(bad_limit.status, 400);
    assert!(bad_limit.json()["error"].is_string());

    let stories = ok_json(addr, "/v1/storylines?limit=1000");
    let slist = stories["storylines"].as_array().unwrap();
    assert!(!slist.is_empty());
    let sizes: Vec<u64> = slist.iter().map(|s| s["size"].as_u64().unwrap()).collect();
    assert!(
        sizes.windows(2).all(|w| w[0] >= w[1]),
        "largest first: {sizes:?}"
    );
    assert_eq!(
        sizes.iter().sum::<u64>(),
        n as u64 + 1,
        "every article in one storyline"
    );
    assert_eq!(stories["total"].as_u64().unwrap() as usize, slist.len());
    let sid = slist[0]["id"].as_u64().unwrap();
    let story = ok_json(addr, &format!("/v1/storylines/{sid}"));
    let sev = story["events"].as_array().unwrap();
    assert_eq!(sev.len() as u64, slist[0]["events"].as_u64().unwrap());
    let starts: Vec<&str> = sev.iter().filter_map(|e| e["start"].as_str()).collect();
    assert!(
        starts.windows(2).all(|w| w[0] <= w[1]),
        "events by start: {starts:?}"
    );
    assert!(sev[0]["articles"][0].get("url").is_some());
    assert!(story.get("merged_from").is_none());
    // An id that names one of the storyline's other events (as an old storyline id does after a
    // merge) resolves to the same storyline and says so.
    let other = sev
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .find(|&e| e != sid)
        .expect("the biggest storyline of the sample corpus has more than one event");
    let again = ok_json(addr, &format!("/v1/storylines/{other}"));
    assert_eq!(again["id"].as_u64(), Some(sid));
    assert_eq!(again["merged_from"].as_u64(), Some(other));
    assert_eq!(again["events"], story["events"]);
    let with_entity = ok_json(addr, "/v1/storylines?entity=marlow");
    assert!(with_entity["total"].as_u64().unwrap() >= 1);

    let cmp = |body: Value| {
        let r = post_json(
            addr,
            "/v1/compare",
            None,
            &serde_json::to_vec(&body).unwrap(),
        )
        .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    };
    let member_b = members[1]["id"].as_str().unwrap();
    let c = cmp(json!({"a_id": members[0]["id"], "b_id": member_b}));
    assert!(["duplicate", "same_event", "same_storyline", "unrelated"]
        .contains(&c["relation"].as_str().unwrap()));
    assert!(c["score"].is_number() && c["reasons"].is_object() && c["a"]["id"] == members[0]["id"]);
    let c = cmp(json!({"a": articles[0], "b": articles[0]}));
    assert_eq!(c["relation"], "duplicate");
    let r = post_json(
        addr,
        "/v1/compare",
        None,
        br#"{"a_id": "nope", "b_id": "nope2"}"#,
    )
    .unwrap();
    assert_eq!(r.status, 404);

    let s = ok_json(addr, "/v1/search?q=MEASLES&limit=3");
    let hits = s["articles"].as_array().unwrap();
    assert!(!hits.is_empty() && hits.len() <= 3, "{s}");
    for k in ["id", "title", "date", "event_id", "storyline_id"] {
        assert!(hits[0].get(k).is_some());
    }
    assert!(!s["storylines"].as_array().unwrap().is_empty());
    assert_eq!(ok_json(addr, "/v1/search?q=zzzzqqq")["articles"], json!([]));

    let m = get(addr, "/metrics").unwrap();
    assert_eq!(m.status, 200);
    let text = m.text();
    assert!(
        text.contains("storyline_http_requests_total{route=\"/v1/articles\",status=\"200\"} 3"),
        "{text}"
    );
    assert!(text.contains("storyline_http_request_duration_seconds_bucket"));
    assert!(text.contains(&format!("storyline_articles_stored {}", n + 1)));

    let doc = ok_json(addr, "/openapi.json");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/",
        "/assets/{path}",
        "/healthz",
        "/metrics",
        "/openapi.json",
        "/v1/articles",
        "/v1/articles/{id}",
        "/v1/articles/{id}/related",
        "/v1/compare",
        "/v1/events",
        "/v1/events/{id}",
        "/v1/storylines",
        "/v1/storylines/{id}",
        "/v1/search",
    ] {
        assert!(paths.contains_key(p), "openapi lacks {p}");
    }

    let page = request(addr, "GET", "/", &[], &[]).unwrap();
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(get(addr, "/assets/no-such-file.js").unwrap().status, 404);
    let nf = get(addr, "/v2/nothing").unwrap();
    assert_eq!(nf.status, 404);
    assert!(nf.json()["error"].is_string());

    running.stop().unwrap();
    // Reopened: the same articles and assignments.
    let svc = Service::open(dir.path().join("api.redb")).unwrap();
    assert_eq!(svc.len(), n + 1);
    let stored = svc.article(first_id).unwrap().unwrap();
    assert_eq!(
        stored.event_id as u64,
        results[0]["event_id"].as_u64().unwrap()
    );
}
