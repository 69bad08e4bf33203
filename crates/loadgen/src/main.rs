//! `loadgen`: load generator for the Storyline HTTP service.
//!
//! * `loadgen fill --n N --out FILE` writes N synthetic articles as JSONL for `storyline ingest`.
//! * `loadgen run --addr HOST:PORT --token T` sends an open-loop, constant-rate mix of reads and
//!   writes for a fixed time and prints latency percentiles; it exits non-zero when p99 reaches the
//!   limit or any request fails.
//!
//! Open loop: request `i` is due at `start + i / rate` whatever earlier requests are doing, and its
//! latency is measured from that due time (not from when it was actually sent), so a stalled server
//! shows up in the percentiles instead of silently lowering the rate (no coordinated omission).

use std::io::{BufWriter, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use storyline_loadgen::synth::{Rng, Synth, FIRST, LAST};
use tokio::sync::mpsc;

#[derive(Parser)]
#[command(about = "Load generator for the Storyline HTTP service")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write N synthetic articles (templated news with varied people, organisations, places, dates
    /// over months, ~6% near-duplicates) as JSONL for `storyline ingest`.
    Fill {
        #[arg(long)]
        n: u64,
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Article ids are `{prefix}-{n:07}`.
        #[arg(long, default_value = "syn")]
        prefix: String,
        /// Publication dates span this many days from 2024-01-01.
        #[arg(long, default_value_t = 365)]
        days: u64,
    },
    /// Open-loop constant-rate load against a running `storyline serve`.
    Run(RunConfig),
}

fn main() -> Result<()> {
    match Cli::parse().cmd {
        Cmd::Fill {
            n,
            out,
            seed,
            prefix,
            days,
        } => fill(n, &out, seed, &prefix, days),
        Cmd::Run(cfg) => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let ok = rt.block_on(run(cfg))?;
            if !ok {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

fn fill(n: u64, out: &std::path::Path, seed: u64, prefix: &str, days: u64) -> Result<()> {
    let t0 = Instant::now();
    let file = std::fs::File::create(out).with_context(|| format!("create {}", out.display()))?;
    let mut w = BufWriter::new(file);
    let mut synth = Synth::new(seed, prefix, days);
    for _ in 0..n {
        serde_json::to_writer(&mut w, &synth.next_article())?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "wrote {n} articles ({:.1} MB) to {} in {:.1?}",
        bytes as f64 / 1e6,
        out.display(),
        t0.elapsed()
    );
    Ok(())
}

#[derive(clap::Args)]
struct RunConfig {
    /// Server address (loopback only: this is a local test tool).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// Bearer token for `POST /v1/articles`.
    #[arg(long, default_value = "")]
    token: String,
    /// Requests per second.
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// Seconds of load.
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Percent of requests that are writes (a POST of `batch` new articles).
    #[arg(long, default_value_t = 5)]
    write_pct: u32,
    /// Articles per write.
    #[arg(long, default_value_t = 3)]
    batch: usize,
    /// Fail (exit 1) when p99 latency reaches this many milliseconds.
    #[arg(long, default_value_t = 50.0)]
    p99_ms: f64,
    /// Also read articles `{prefix}-0000000 … {prefix}-{N-1}` (as written by `fill`), so reads
    /// spread over the whole store and not only the articles found while warming up.
    #[arg(long, default_value_t = 0)]
    fill_count: u64,
    #[arg(long, default_value = "syn")]
    fill_prefix: String,
    #[arg(long, default_value_t = 2)]
    seed: u64,
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Article,
    Related,
    EventList,
    Event,
    StorylineList,
    Storyline,
    Search,
    Write,
}

const KINDS: [Kind; 8] = [
    Kind::Article,
    Kind::Related,
    Kind::EventList,
    Kind::Event,
    Kind::StorylineList,
    Kind::Storyline,
    Kind::Search,
    Kind::Write,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Article => "GET article",
            Kind::Related => "GET related",
            Kind::EventList => "GET events",
            Kind::Event => "GET event",
            Kind::StorylineList => "GET storylines",
            Kind::Storyline => "GET storyline",
            Kind::Search => "GET search",
            Kind::Write => "POST articles",
        }
    }
}

/// Ids found while warming up; reads pick from these.
struct Targets {
    articles: Vec<String>,
    events: Vec<String>,
    storylines: Vec<String>,
    fill_count: u64,
    fill_prefix: String,
}

struct Outcome {
    kind: Kind,
    latency: Duration,
    /// None on success; else a short description.
    error: Option<String>,
}

async fn send(
    client: &HttpClient,
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Result<Value> {
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .header("accept", "application/json");
    let body = match body {
        Some(v) => {
            req = req.header("content-type", "application/json");
            if !token.is_empty() {
                req = req.header("authorization", format!("Bearer {token}"));
            }
            Full::new(Bytes::from(serde_json::to_vec(&v)?))
        }
        None => Full::new(Bytes::new()),
    };
    let resp = client.request(req.body(body)?).await?;
    let status = resp.status();
    let bytes = resp.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        let msg = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
        bail!("{method} {path}: HTTP {status}: {msg}");
    }
    serde_json::from_slice(&bytes).with_context(|| format!("{method} {path}: response is not JSON"))
}

fn ids(v: &Value, list: &str) -> Vec<String> {
    // Article ids are strings; event and storyline ids are numbers.
    let id = |x: &Value| match &x["id"] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    v[list]
        .as_array()
        .map(|a| a.iter().filter_map(id).collect())
        .unwrap_or_default()
}

async fn warm_up(client: &HttpClient, cfg: &RunConfig) -> Result<Targets> {
    let a = cfg.addr.as_str();
    let storylines = ids(
        &send(client, a, "GET", "/v1/storylines?limit=100", "", None).await?,
        "storylines",
    );
    let events = ids(
        &send(client, a, "GET", "/v1/events?limit=500", "", None).await?,
        "events",
    );
    let mut articles = Vec::new();
    for e in events.iter().take(60) {
        let ev = send(
            client,
            a,
            "GET",
            &format!("/v1/events/{}", enc(e)),
            "",
            None,
        )
        .await?;
        articles.extend(ids(&ev, "articles"));
    }
    if articles.is_empty() && cfg.fill_count == 0 {
        bail!("the server has no articles to read: ingest some (loadgen fill + storyline ingest) or pass --fill-count");
    }
    Ok(Targets {
        articles,
        events,
        storylines,
        fill_count: cfg.fill_count,
        fill_prefix: cfg.fill_prefix.clone(),
    })
}

/// Percent-encodes everything but unreserved characters (ids and queries go into URL paths and queries).
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn pick_kind(rng: &mut Rng, write_pct: u32) -> Kind {
    let r = rng.below(100) as u32;
    if r < write_pct {
        return Kind::Write;
    }
    // Reads, weighted: article 25, related 20, search 15, event list 10, event 10, storyline list 10, storyline 10.
    match rng.below(100) {
        0..=24 => Kind::Article,
        25..=44 => Kind::Related,
        45..=59 => Kind::Search,
        60..=69 => Kind::EventList,
        70..=79 => Kind::Event,
        80..=89 => Kind::StorylineList,
        _ => Kind::Storyline,
    }
}

/// The request for one tick: (kind, method, path, body). Falls back to a list read when a pool is empty.
fn plan(
    rng: &mut Rng,
    t: &Targets,
    synth: &mut Synth,
    kind: Kind,
    batch: usize,
) -> (Kind, &'static str, String, Option<Value>) {
    let article = |rng: &mut Rng| -> Option<String> {
        let from_fill = t.fill_count > 0 && (t.articles.is_empty() || rng.chance(0.5));
        if from_fill {
            Some(format!(
                "{}-{:07}",
                t.fill_prefix,
                rng.next_u64() % t.fill_count
            ))
        } else if t.articles.is_empty() {
            None
        } else {
            Some(t.articles[rng.below(t.articles.len())].clone())
        }
    };
    let list =
        |rng: &mut Rng, what: &str| format!("/v1/{what}?limit=20&offset={}", rng.below(5) * 20);
    match kind {
        Kind::Article | Kind::Related => match article(rng) {
            Some(id) if kind == Kind::Article => {
                (kind, "GET", format!("/v1/articles/{}", enc(&id)), None)
            }
            Some(id) => (
                kind,
                "GET",
                format!("/v1/articles/{}/related", enc(&id)),
                None,
            ),
            None => (Kind::StorylineList, "GET", list(rng, "storylines"), None),
        },
        Kind::Event if !t.events.is_empty() => (
            kind,
            "GET",
            format!("/v1/events/{}", enc(&t.events[rng.below(t.events.len())])),
            None,
        ),
        Kind::Storyline if !t.storylines.is_empty() => (
            kind,
            "GET",
            format!(
                "/v1/storylines/{}",
                enc(&t.storylines[rng.below(t.storylines.len())])
            ),
            None,
        ),
        Kind::Event | Kind::EventList => (Kind::EventList, "GET", list(rng, "events"), None),
        Kind::Storyline | Kind::StorylineList => {
            (Kind::StorylineList, "GET", list(rng, "storylines"), None)
        }
        Kind::Search => {
            // Surnames and (via the place syllables in titles) words the synthetic corpus contains.
            let q = if rng.chance(0.5) {
                rng.pick(LAST).to_string()
            } else {
                format!("{} {}", rng.pick(FIRST), rng.pick(LAST))
            };
            (
                kind,
                "GET",
                format!("/v1/search?q={}&limit=10", enc(&q)),
                None,
            )
        }
        Kind::Write => {
            let articles: Vec<Value> = (0..batch.max(1)).map(|_| synth.next_article()).collect();
            (
                kind,
                "POST",
                "/v1/articles".to_string(),
                Some(json!({ "articles": articles })),
            )
        }
    }
}

async fn run(cfg: RunConfig) -> Result<bool> {
    if cfg.rate == 0 || cfg.duration == 0 {
        bail!("--rate and --duration must be positive");
    }
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(Duration::from_secs(5)));
    let client: HttpClient = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(connector);

    let targets = warm_up(&client, &cfg)
        .await
        .context("warm-up (is the server running?)")?;
    eprintln!(
        "warm-up: {} storylines, {} events, {} articles found{}",
        targets.storylines.len(),
        targets.events.len(),
        targets.articles.len(),
        if cfg.fill_count > 0 {
            format!(", plus {} filled ids", cfg.fill_count)
        } else {
            String::new()
        }
    );
    let targets = Arc::new(targets);
    let client = Arc::new(client);
    let addr: Arc<str> = cfg.addr.clone().into();
    let token: Arc<str> = cfg.token.clone().into();

    let total = cfg.rate as u64 * cfg.duration;
    let period = Duration::from_secs_f64(1.0 / cfg.rate as f64);
    let (tx, mut rx) = mpsc::unbounded_channel::<Outcome>();
    let mut rng = Rng::new(cfg.seed);
    // Unique ids per run so repeated runs against one store always add new articles.
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut synth = Synth::new(cfg.seed ^ run_id, &format!("lg{run_id}"), 365);

    eprintln!(
        "running: {} req/s for {} s ({total} requests, {}% writes of {} articles)",
        cfg.rate, cfg.duration, cfg.write_pct, cfg.batch
    );
    let start = tokio::time::Instant::now();
    for i in 0..total {
        let due = start + period.mul_f64(i as f64);
        tokio::time::sleep_until(due).await;
        let kind = pick_kind(&mut rng, cfg.write_pct);
        let (kind, method, path, body) = plan(&mut rng, &targets, &mut synth, kind, cfg.batch);
        let (client, addr, token, tx) = (client.clone(), addr.clone(), token.clone(), tx.clone());
        tokio::spawn(async move {
            let res = tokio::time::timeout(
                Duration::from_secs(10),
                send(&client, &addr, method, &path, &token, body),
            )
            .await;
            let error = match res {
                Ok(Ok(_)) => None,
                Ok(Err(e)) => Some(format!("{e:#}")),
                Err(_) => Some(format!("{method} {path}: timed out after 10 s")),
            };
            // Measured from the due time: includes any queueing behind a slow server.
            let _ = tx.send(Outcome {
                kind,
                latency: due.elapsed(),
                error,
            });
        });
    }
    drop(tx);
    let sent_in = start.elapsed();

    // Microseconds, 1 µs .. 60 s, 3 significant digits.
    let new_hist = || Histogram::<u64>::new_with_bounds(1, 60_000_000, 3);
    let mut all = new_hist()?;
    let mut per_kind: Vec<(Kind, Histogram<u64>, u64)> = Vec::new();
    for k in KINDS {
        per_kind.push((k, new_hist()?, 0));
    }
    let mut errors = 0u64;
    let mut first_errors = Vec::new();
    while let Some(o) = rx.recv().await {
        let us = (o.latency.as_micros() as u64).clamp(1, 60_000_000);
        all.saturating_record(us);
        if let Some(slot) = per_kind.iter_mut().find(|(k, _, _)| *k == o.kind) {
            slot.1.saturating_record(us);
            if o.error.is_some() {
                slot.2 += 1;
            }
        }
        if let Some(e) = o.error {
            errors += 1;
            if first_errors.len() < 5 {
                first_errors.push(e);
            }
        }
    }
    let elapsed = start.elapsed();

    let ms = |us: u64| us as f64 / 1000.0;
    println!(
        "requests: {} in {:.1} s (scheduled {:.1} req/s, sent over {:.1} s), errors: {errors}",
        all.len(),
        elapsed.as_secs_f64(),
        cfg.rate,
        sent_in.as_secs_f64()
    );
    println!(
        "latency (ms, from due time): p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        ms(all.value_at_quantile(0.50)),
        ms(all.value_at_quantile(0.90)),
        ms(all.value_at_quantile(0.99)),
        ms(all.max())
    );
    println!(
        "{:<15} {:>7} {:>7} {:>9} {:>9} {:>9}",
        "kind", "count", "errors", "p50 ms", "p99 ms", "max ms"
    );
    for (k, h, e) in &per_kind {
        if !h.is_empty() {
            println!(
                "{:<15} {:>7} {:>7} {:>9.2} {:>9.2} {:>9.2}",
                k.name(),
                h.len(),
                e,
                ms(h.value_at_quantile(0.5)),
                ms(h.value_at_quantile(0.99)),
                ms(h.max())
            );
        }
    }
    for e in &first_errors {
        println!("error: {e}");
    }
    let p99 = ms(all.value_at_quantile(0.99));
    let ok = errors == 0 && p99 < cfg.p99_ms && all.len() == total;
    if ok {
        println!("PASS: p99 {p99:.2} ms < {} ms, no errors", cfg.p99_ms);
    } else {
        println!(
            "FAIL: p99 {p99:.2} ms (limit {} ms), {errors} errors",
            cfg.p99_ms
        );
    }
    Ok(ok)
}
