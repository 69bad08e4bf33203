//! The real `storyline serve` binary over loopback: SIGKILL mid-ingest at seeded random points
//! loses no acknowledged article; SIGTERM exits 0 with the data kept; ingest/export/import.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use storyline_server::client::{get, post_json, request};

const TOKEN: &str = "crash-test-token";
const ARTICLES: usize = 5_000;
const BATCH: usize = 50;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_storyline")
}

/// Starts `storyline serve` on a free loopback port; returns the child and its address.
fn serve(db: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(bin())
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--snapshot-every",
            "400",
            "--db",
        ])
        .arg(db)
        .env("STORYLINE_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn storyline serve");
    let mut line = String::new();
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    reader.read_line(&mut line).expect("serve prints its URL");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.trim().trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
            sink.clear();
        }
    });
    (child, addr)
}

/// xorshift64*: the test's seeded randomness.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Synthetic articles: templated sentences with varied people, places, organisations and dates.
fn synthetic(n: usize, seed: u64) -> Vec<Value> {
    const PEOPLE: [&str; 12] = [
        "Maria Lopez",
        "John Okafor",
        "Anna Schmidt",
        "Kenji Tanaka",
        "Priya Natarajan",
        "Tom Becker",
        "Elena Petrova",
        "Samuel Adeyemi",
        "Laura Rossi",
        "Omar Haddad",
        "Sofia Lindqvist",
        "David Chen",
    ];
    const PLACES: [&str; 10] = [
        "Rotterdam",
        "Lagos",
        "Osaka",
        "Valparaiso",
        "Gdansk",
        "Mombasa",
        "Halifax",
        "Porto",
        "Busan",
        "Tampere",
    ];
    const ORGS: [&str; 8] = [
        "the port authority",
        "the dockworkers union",
        "the health ministry",
        "the city council",
        "the weather service",
        "the central bank",
        "the energy regulator",
        "the transport agency",
    ];
    const TOPICS: [(&str, &str); 6] = [
        (
            "strike",
            "Workers walked out over pay and conditions, halting traffic for hours.",
        ),
        (
            "flood",
            "Heavy rain pushed rivers over their banks and forced evacuations.",
        ),
        (
            "outbreak",
            "Officials confirmed new cases and urged residents to get vaccinated.",
        ),
        (
            "blackout",
            "A grid failure cut power to tens of thousands of homes overnight.",
        ),
        (
            "budget",
            "The plan raises spending on schools and cuts fuel subsidies.",
        ),
        (
            "election",
            "Turnout was higher than expected as polls closed late in the evening.",
        ),
    ];
    let mut rng = Rng(seed | 1);
    (0..n)
        .map(|i| {
            let person = PEOPLE[rng.below(PEOPLE.len() as u64) as usize];
            let place = PLACES[rng.below(PLACES.len() as u64) as usize];
            let org = ORGS[rng.below(ORGS.len() as u64) as usize];
            let (topic, detail) = TOPICS[rng.below(TOPICS.len() as u64) as usize];
            let day = 1 + (i / 120) % 28;
            let month = 1 + (i / (120 * 28)) % 12;
            json!({
                "id": format!("syn-{i:05}"),
                "title": format!("{place} {topic}: {person} responds to {org}"),
                "text": format!(
                    "{person} spoke in {place} on day {day} about the {topic}, according to {org}.\n\n{detail} \
                     Report number {i} quoted {person} as saying the response in {place} would take weeks.\n\n\
                     {org} said it would publish figures for {place} later this month."
                ),
                "date": format!("2024-{month:02}-{day:02}"),
                "url": format!("https://news.example/{place}/{i}").to_lowercase(),
            })
        })
        .collect()
}

fn count(addr: SocketAddr) -> u64 {
    get(addr, "/healthz").unwrap().json()["articles"]
        .as_u64()
        .unwrap()
}

fn sigterm(child: &Child) {
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(st.success());
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let t0 = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(t0.elapsed() < limit, "server did not exit within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigkill_at_random_points_loses_no_acknowledged_article() {
    let articles = Arc::new(synthetic(ARTICLES, 7));
    let batches: Vec<Vec<u8>> = articles
        .chunks(BATCH)
        .map(|c| serde_json::to_vec(&json!({ "articles": c })).unwrap())
        .collect();
    let batches = Arc::new(batches);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(42);
    let mut rng = Rng(seed | 1);
    let t_all = Instant::now();
    let mut report = Vec::new();
    for run in 0..5u64 {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crash.redb");
        // Kill after k acknowledged batches, k seeded at random in a different fifth of the
        // stream's 100 batches per run (1..=19, 20..=38, ..., 77..=95).
        let k = (1 + run * 19 + rng.below(19)) as usize;
        let (mut child, addr) = serve(&db);
        let acked: Arc<Mutex<Vec<usize>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let client = {
            let (acked, stop, batches) = (acked.clone(), stop.clone(), batches.clone());
            std::thread::spawn(move || {
                for (b, body) in batches.iter().enumerate() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    match post_json(addr, "/v1/articles", Some(TOKEN), body) {
                        Ok(r) if r.status == 200 => acked.lock().unwrap().push(b),
                        Ok(r) => panic!("batch {b}: status {} {}", r.status, r.text()),
                        Err(_) => break, // the server was killed mid-request
                    }
                }
            })
        };
        // SIGKILL once k batches are acknowledged, while the next one is in flight.
        let t0 = Instant::now();
        while acked.lock().unwrap().len() < k {
            assert!(t0.elapsed() < Duration::from_secs(300), "ingest too slow");
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(rng.below(40)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, Ordering::SeqCst);
        client.join().unwrap();
        let acked = acked.lock().unwrap().clone();

        // Restart on the same file: opens without repair, every acknowledged article is there.
        let (mut child, addr) = serve(&db);
        let stored = count(addr);
        let mut checked = 0;
        for &b in &acked {
            for a in &articles[b * BATCH..(b + 1) * BATCH] {
                let id = a["id"].as_str().unwrap();
                let r = get(addr, &format!("/v1/articles/{id}")).unwrap();
                assert_eq!(
                    r.status, 200,
                    "run {run}: acknowledged {id} missing after SIGKILL"
                );
                assert_eq!(r.json()["title"], a["title"]);
                checked += 1;
            }
        }
        assert!(
            stored as usize >= checked,
            "run {run}: {stored} stored < {checked} acknowledged"
        );
        // It accepts more writes: the rest of the stream, from the first unacknowledged batch.
        let next = acked.last().map_or(0, |b| b + 1);
        let r = post_json(addr, "/v1/articles", Some(TOKEN), &batches[next]).unwrap();
        assert_eq!(
            r.status,
            200,
            "run {run}: write after restart: {}",
            r.text()
        );
        assert_eq!(count(addr) as usize, (next + 1) * BATCH);
        sigterm(&child);
        assert!(wait_exit(&mut child, Duration::from_secs(60)).success());
        report.push(format!(
            "run {run}: killed after {} acknowledged batches ({checked} articles), {stored} stored after restart, all present",
            acked.len()
        ));
    }
    for line in &report {
        println!("{line}");
    }
    println!("5 kill points in {:.1} s", t_all.elapsed().as_secs_f64());
}

#[test]
fn sigterm_exits_zero_and_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("term.redb");
    let articles = synthetic(150, 3);
    let (mut child, addr) = serve(&db);
    for chunk in articles.chunks(BATCH) {
        let body = serde_json::to_vec(&json!({ "articles": chunk })).unwrap();
        assert_eq!(
            post_json(addr, "/v1/articles", Some(TOKEN), &body)
                .unwrap()
                .status,
            200
        );
    }
    let before = get(addr, "/v1/articles/syn-00042").unwrap().json();
    sigterm(&child);
    let st = wait_exit(&mut child, Duration::from_secs(60));
    assert_eq!(st.code(), Some(0), "exit status {st:?}");
    let (mut child, addr) = serve(&db);
    assert_eq!(count(addr), 150);
    assert_eq!(get(addr, "/v1/articles/syn-00042").unwrap().json(), before);
    sigterm(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(60)).success());
}

#[test]
fn ingest_export_import_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/sample/articles.jsonl"
    );
    let db = dir.path().join("a.redb");
    let run = |args: &[&str]| {
        let out = Command::new(bin()).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let dbs = db.to_str().unwrap();
    let first = run(&["ingest", sample, "--db", dbs]);
    assert!(first.contains("62 new"), "{first}");
    let again = run(&["ingest", sample, "--db", dbs]);
    assert!(again.contains("0 new, 62 already stored"), "{again}");
    let export = dir.path().join("export.jsonl");
    run(&["export", "--db", dbs, "--out", export.to_str().unwrap()]);
    let lines: Vec<Value> = std::fs::read_to_string(&export)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 62);
    assert_eq!(lines[0]["seq"], 0);
    for k in [
        "id",
        "title",
        "text",
        "date",
        "event_id",
        "storyline_id",
        "duplicate_of",
        "entities",
    ] {
        assert!(lines[0].get(k).is_some(), "export lacks {k}");
    }
    let db2 = dir.path().join("b.redb");
    let imported = run(&[
        "import",
        export.to_str().unwrap(),
        "--db",
        db2.to_str().unwrap(),
    ]);
    assert!(imported.contains("62 new"), "{imported}");
    let export2 = dir.path().join("export2.jsonl");
    run(&[
        "export",
        "--db",
        db2.to_str().unwrap(),
        "--out",
        export2.to_str().unwrap(),
    ]);
    let ids = |p: &Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(
        ids(&export),
        ids(&export2),
        "same articles in the same order"
    );
}

#[test]
fn put_and_delete_are_durable_the_moment_they_are_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("changes.redb");
    let (mut child, addr) = serve(&db);
    let articles = synthetic(120, 41);
    let body = serde_json::to_vec(&json!({ "articles": articles })).unwrap();
    let r = post_json(addr, "/v1/articles", Some(TOKEN), &body).unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let auth = format!("Bearer {TOKEN}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let id = |k: usize| articles[k]["id"].as_str().unwrap().to_string();

    // A re-POST of a stored id with other text: 409 with the stored version, nothing changed.
    let mut changed = articles[0].clone();
    changed["text"] = "A different text under the same id.".into();
    let r = post_json(
        addr,
        "/v1/articles",
        Some(TOKEN),
        changed.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.json()["stored"]["id"], articles[0]["id"]);

    // Writes need the token.
    let r = request(addr, "DELETE", &format!("/v1/articles/{}", id(1)), &[], &[]).unwrap();
    assert_eq!(r.status, 401);
    let r = request(addr, "DELETE", "/v1/articles/no-such-id", &headers, &[]).unwrap();
    assert_eq!(r.status, 404);
    assert!(r.json()["error"].is_string());

    let r = request(
        addr,
        "DELETE",
        &format!("/v1/articles/{}", id(1)),
        &headers,
        &[],
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["deleted"], true);
    let mut replacement = articles[2].clone();
    replacement["text"] = "Replaced: the council approved the new harbour budget on Friday after a long debate, officials said.".into();
    replacement["title"] = "Council approves harbour budget".into();
    let r = request(
        addr,
        "PUT",
        &format!("/v1/articles/{}", id(2)),
        &headers,
        replacement.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let placed = r.json()["result"].clone();
    // SIGKILL right after the answers: both changes must survive.
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, addr) = serve(&db);
    assert_eq!(count(addr), 119);
    assert_eq!(
        get(addr, &format!("/v1/articles/{}", id(1)))
            .unwrap()
            .status,
        404
    );
    let a = get(addr, &format!("/v1/articles/{}", id(2)))
        .unwrap()
        .json();
    assert!(a["text"].as_str().unwrap().starts_with("Replaced"), "{a}");
    assert_eq!(a["event_id"], placed["event_id"]);
    let ev = get(addr, &format!("/v1/events/{}", a["event_id"]))
        .unwrap()
        .json();
    assert!(ev["articles"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["id"] != id(1).as_str()));
    let found = get(addr, "/v1/search?q=harbour%20budget").unwrap().json();
    assert!(found["articles"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == id(2).as_str()));
    sigterm(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(20)).success());
}
