//! The Storyline HTTP service: a JSON API (axum) over a durable [`Service`] — post articles, get
//! their duplicates, events and storylines, compare two articles, search — plus `/healthz`,
//! Prometheus `/metrics`, `/openapi.json` and the embedded web page at `/`.
//!
//! The main entry points are [`router`] (the axum app) and [`start`] (bind, serve on a background
//! runtime, stop gracefully). Writes go through the service's single writer and return only once
//! durable; reads come from its in-memory view. Every error is a JSON `{"error": "..."}` with the
//! status chosen in one place ([`Error`]'s `IntoResponse`).
//!
//! ```no_run
//! use std::sync::Arc;
//! use storyline_engine::Service;
//! use storyline_server::{start, ServerConfig};
//!
//! let svc = Arc::new(Service::open("storyline.redb")?);
//! let running = start(svc, "127.0.0.1:8080", ServerConfig::default())?;
//! println!("serving on http://{}", running.addr());
//! running.wait()?; // until SIGTERM / ctrl-c (with `handle_signals`) or `stop()`
//! # Ok::<(), storyline_server::Error>(())
//! ```

#![recursion_limit = "256"]

pub mod client;
mod error;
mod metrics;
mod openapi;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use storyline_engine::service::ListQuery;
use storyline_engine::{compare_articles, comparison_json, Service};
use storyline_text::ingest::record_from_value;
use storyline_text::RawArticle;

pub use error::{Error, Result};
pub use metrics::Metrics;

mod assets {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// Default request body limit: 16 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 << 20;
/// Default and largest page size of lists and search.
pub const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 1000;
/// Entries per list of `/related`.
const RELATED_CAP: usize = 50;

/// Server options.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Bearer token for writes (`POST /v1/articles`); `None` leaves writes open.
    pub token: Option<String>,
    /// Also require the token for reads.
    pub read_token_required: bool,
    /// Largest accepted request body (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub max_body_bytes: usize,
    /// Stop gracefully on SIGTERM and ctrl-c (default false; the CLI turns it on).
    pub handle_signals: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            token: None,
            read_token_required: false,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            handle_signals: false,
        }
    }
}

#[derive(Clone)]
struct AppState {
    svc: Arc<Service>,
    cfg: Arc<ServerConfig>,
    metrics: Arc<Metrics>,
}

/// The axum application over `svc`.
pub fn router(svc: Arc<Service>, cfg: ServerConfig) -> Router {
    let limit = cfg.max_body_bytes;
    let state = AppState {
        svc,
        cfg: Arc::new(cfg),
        metrics: Arc::new(Metrics::default()),
    };
    Router::new()
        .route("/", get(index))
        .route("/assets/{*path}", get(asset))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route("/openapi.json", get(openapi_json))
        .route("/v1/articles", post(post_articles))
        .route(
            "/v1/articles/{id}",
            get(get_article).put(put_article).delete(delete_article),
        )
        .route("/v1/articles/{id}/related", get(get_related))
        .route("/v1/compare", post(post_compare))
        .route("/v1/events", get(list_events))
        .route("/v1/events/{id}", get(get_event))
        .route("/v1/storylines", get(list_storylines))
        .route("/v1/storylines/{id}", get(get_storyline))
        .route("/v1/search", get(search))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// A server running on a background thread; see [`start`].
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
}

impl Running {
    /// The bound address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits until the server stops (signal or [`Running::stop`] from elsewhere).
    pub fn wait(mut self) -> Result<()> {
        self.join()
    }

    /// Stops accepting, finishes in-flight requests, writes the cluster snapshot and returns.
    pub fn stop(mut self) -> Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.join()
    }

    fn join(&mut self) -> Result<()> {
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| Error::Internal("server thread panicked".into()))?,
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = self.join();
    }
}

/// Binds `addr` and serves the API on a background thread with its own tokio runtime. On stop
/// (graceful: in-flight requests finish) the cluster snapshot is written.
pub fn start(svc: Arc<Service>, addr: &str, cfg: ServerConfig) -> Result<Running> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let signals = cfg.handle_signals;
    let thread = std::thread::Builder::new()
        .name("storyline-http".into())
        .spawn(move || -> Result<()> {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                let app = router(svc.clone(), cfg);
                axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown(rx, signals))
                    .await?;
                tokio::task::spawn_blocking(move || svc.snapshot())
                    .await
                    .map_err(|e| Error::Internal(e.to_string()))??;
                Ok(())
            })
        })?;
    Ok(Running {
        addr: bound,
        stop: Some(tx),
        thread: Some(thread),
    })
}

async fn shutdown(rx: tokio::sync::oneshot::Receiver<()>, signals: bool) {
    if !signals {
        let _ = rx.await;
        return;
    }
    let term = async {
        #[cfg(unix)]
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await
    };
    tokio::select! {
        _ = rx => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// Counts requests by matched route and status, with latency.
async fn track(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let t0 = Instant::now();
    let resp = next.run(req).await;
    st.metrics
        .record(&route, resp.status().as_u16(), t0.elapsed());
    resp
}

/// Runs blocking service work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("worker failed: {e}")))?
}

/// Runs a read on the blocking pool and answers its result as JSON.
async fn read_json<T: Serialize + Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<Json<Value>> {
    let v = blocking(f).await?;
    Ok(Json(serde_json::to_value(v).map_err(internal)?))
}

/// [`read_json`] for a lookup by id: `None` is a 404 naming the kind of thing and the id.
async fn find_json<T: Serialize + Send + 'static>(
    what: &str,
    id: &str,
    f: impl FnOnce() -> Result<Option<T>> + Send + 'static,
) -> Result<Json<Value>> {
    match blocking(f).await? {
        Some(v) => Ok(Json(serde_json::to_value(v).map_err(internal)?)),
        None => Err(Error::NotFound(format!("no {what} with id {id:?}"))),
    }
}

/// Checks the bearer token: always for writes, for reads when `read_token_required`.
fn authorize(st: &AppState, headers: &HeaderMap, write: bool) -> Result<()> {
    let Some(token) = st.cfg.token.as_deref() else {
        return Ok(());
    };
    if !write && !st.cfg.read_token_required {
        return Ok(());
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    match given {
        None => Err(Error::Unauthorized),
        Some(g) if constant_time_eq(g.as_bytes(), token.as_bytes()) => Ok(()),
        Some(_) => Err(Error::Forbidden),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A JSON request body: checks the content type and the size limit, then parses it.
fn json_body(
    headers: &HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Value> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let essence = ctype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(Error::UnsupportedMediaType(ctype));
    }
    let body = match body {
        Ok(b) => b,
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(Error::TooLarge(0)),
        Err(r) => return Err(Error::BadRequest(r.body_text())),
    };
    let text = std::str::from_utf8(&body).map_err(|e| {
        Error::BadRequest(format!(
            "body is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        ))
    })?;
    serde_json::from_str(text).map_err(|e| Error::BadRequest(format!("invalid JSON: {e}")))
}

/// One article object of a request; `what` names it in errors.
fn raw_article(v: Value, what: &str) -> Result<RawArticle> {
    if !v.is_object() {
        return Err(Error::BadRequest(format!(
            "{what}: expected an article object"
        )));
    }
    let raw = record_from_value(v, String::new())
        .map_err(|e| Error::BadRequest(format!("{what}: {e}")))?;
    if raw.id.is_empty() {
        return Err(Error::BadRequest(format!("{what}: missing `id`")));
    }
    Ok(raw)
}

/// Checks the token (a write's, or a read's when `write` is false), then reads the JSON body
/// under the configured size limit.
fn authorized_body(
    st: &AppState,
    headers: &HeaderMap,
    write: bool,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Value> {
    authorize(st, headers, write)?;
    let limit = st.cfg.max_body_bytes;
    json_body(headers, body).map_err(|e| match e {
        Error::TooLarge(_) => Error::TooLarge(limit),
        e => e,
    })
}

async fn post_articles(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<Value>> {
    let value = authorized_body(&st, &headers, true, body)?;
    let items: Vec<Value> = match value {
        Value::Object(mut m) if m.contains_key("articles") => match m.remove("articles") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(Error::BadRequest(
                    "`articles` must be an array of article objects".into(),
                ))
            }
        },
        v @ Value::Object(_) => vec![v],
        _ => {
            return Err(Error::BadRequest(
                "expected an article object or {\"articles\": [...]}".into(),
            ))
        }
    };
    if items.is_empty() {
        return Err(Error::BadRequest("`articles` is empty".into()));
    }
    let raws = items
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let id = v.get("id").map(|x| x.to_string()).unwrap_or_default();
            raw_article(v, &format!("record {i} (id {id})"))
        })
        .collect::<Result<Vec<_>>>()?;
    let svc = st.svc.clone();
    let results = blocking(move || Ok(svc.ingest(raws)?)).await?;
    Ok(Json(serde_json::json!({ "results": results })))
}

/// `PUT /v1/articles/{id}`: replaces (or creates) one article; the body's `id`, when given,
/// must be the path's.
async fn put_article(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<Value>> {
    let mut value = authorized_body(&st, &headers, true, body)?;
    let Value::Object(m) = &mut value else {
        return Err(Error::BadRequest("expected an article object".into()));
    };
    match m.get("id") {
        None => {
            m.insert("id".into(), Value::String(id.clone()));
        }
        Some(Value::String(b)) if *b == id => {}
        Some(other) => {
            return Err(Error::BadRequest(format!(
                "the body's id {other} is not the path's {id:?}"
            )))
        }
    }
    let raw = raw_article(value, &format!("article {id:?}"))?;
    let article = raw
        .prepare()
        .map_err(|e| Error::BadRequest(format!("article {id:?}: {e}")))?;
    let svc = st.svc.clone();
    let result = blocking(move || Ok(svc.replace(article)?)).await?;
    Ok(Json(serde_json::json!({ "result": result })))
}

/// `DELETE /v1/articles/{id}`: removes an article everywhere, durably.
async fn delete_article(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    authorize(&st, &headers, true)?;
    let (svc, id2) = (st.svc.clone(), id.clone());
    if blocking(move || Ok(svc.delete(&id2)?)).await? {
        Ok(Json(serde_json::json!({ "id": id, "deleted": true })))
    } else {
        Err(Error::NotFound(format!("no article with id {id:?}")))
    }
}

async fn get_article(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    authorize(&st, &headers, false)?;
    let (svc, id2) = (st.svc.clone(), id.clone());
    find_json("article", &id, move || Ok(svc.article(&id2)?)).await
}

async fn get_related(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    authorize(&st, &headers, false)?;
    let (svc, id2) = (st.svc.clone(), id.clone());
    find_json("article", &id, move || Ok(svc.related(&id2, RELATED_CAP)?)).await
}

async fn post_compare(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<Value>> {
    let value = authorized_body(&st, &headers, false, body)?;
    let Value::Object(mut m) = value else {
        return Err(Error::BadRequest(
            "expected {\"a\": article, \"b\": article} or {\"a_id\": str, \"b_id\": str}".into(),
        ));
    };
    let svc = st.svc.clone();
    let out = if m.contains_key("a_id") || m.contains_key("b_id") {
        let id = |k: &str| match m.get(k) {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(Error::BadRequest(format!("`{k}` must be a string"))),
        };
        let (a_id, b_id) = (id("a_id")?, id("b_id")?);
        blocking(move || {
            let load = |id: &str| {
                svc.article_source(id)?
                    .ok_or_else(|| Error::NotFound(format!("no article with id {id:?}")))
            };
            let (a, b) = (load(&a_id)?, load(&b_id)?);
            Ok(comparison_json(&a, &b, &compare_articles(&a, &b)?))
        })
        .await?
    } else {
        let mut side = |k: &str| -> Result<RawArticle> {
            let mut v = m
                .remove(k)
                .ok_or_else(|| Error::BadRequest(format!("missing `{k}`")))?;
            if let Value::Object(o) = &mut v {
                o.entry("id")
                    .or_insert_with(|| Value::String(k.to_string()));
            }
            raw_article(v, &format!("`{k}`"))
        };
        let (a, b) = (side("a")?, side("b")?);
        blocking(move || {
            let prep = |r: RawArticle, k: &str| {
                r.prepare()
                    .map_err(|e| Error::BadRequest(format!("`{k}`: {e}")))
            };
            let (a, b) = (prep(a, "a")?, prep(b, "b")?);
            Ok(comparison_json(&a, &b, &compare_articles(&a, &b)?))
        })
        .await?
    };
    Ok(Json(out))
}

/// Query of the event and storyline lists.
#[derive(Debug, Deserialize)]
struct ListParams {
    limit: Option<usize>,
    offset: Option<usize>,
    since: Option<String>,
    until: Option<String>,
    entity: Option<String>,
}

fn list_query(p: std::result::Result<Query<ListParams>, QueryRejection>) -> Result<ListQuery> {
    let Query(p) = p.map_err(|e| Error::BadRequest(e.body_text()))?;
    let date = |name: &str, v: Option<String>| -> Result<_> {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => storyline_text::dates::parse_date(s)
                .map(Some)
                .ok_or_else(|| {
                    Error::BadRequest(format!(
                        "`{name}`: cannot parse {s:?} as a date (use RFC 3339 or YYYY-MM-DD)"
                    ))
                }),
        }
    };
    Ok(ListQuery {
        limit: p.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT),
        offset: p.offset.unwrap_or(0),
        since: date("since", p.since)?,
        until: date("until", p.until)?,
        entity: p.entity,
    })
}

fn cluster_id(s: &str, what: &str) -> Result<u32> {
    s.parse()
        .map_err(|_| Error::NotFound(format!("no {what} with id {s:?}")))
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(e.to_string())
}

async fn list_events(
    State(st): State<AppState>,
    headers: HeaderMap,
    q: std::result::Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<Value>> {
    authorize(&st, &headers, false)?;
    let (q, svc) = (list_query(q)?, st.svc.clone());
    read_json(move || Ok(svc.events(&q)?)).await
}

async fn get_event(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    authorize(&st, &headers, false)?;
    let (svc, eid) = (st.svc.clone(), cluster_id(&id, "event")?);
    find_json("event", &id, move || Ok(svc.event(eid)?)).await
}

async fn list_storylines(
    State(st): State<AppState>,
    headers: HeaderMap,
    q: std::result::Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<Value>> {
    authorize(&st, &headers, false)?;
    let (q, svc) = (list_query(q)?, st.svc.clone());
    read_json(move || Ok(svc.storylines(&q)?)).await
}

async fn get_storyline(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    authorize(&st, &headers, false)?;
    let (svc, sid) = (st.svc.clone(), cluster_id(&id, "storyline")?);
    find_json("storyline", &id, move || Ok(svc.storyline(sid)?)).await
}

#[derive(Debug, Deserialize)]
struct SearchParams {
    q: Option<String>,
    limit: Option<usize>,
}

async fn search(
    State(st): State<AppState>,
    headers: HeaderMap,
    q: std::result::Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<Value>> {
    authorize(&st, &headers, false)?;
    let Query(p) = q.map_err(|e| Error::BadRequest(e.body_text()))?;
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
    let svc = st.svc.clone();
    read_json(move || Ok(svc.search(p.q.as_deref().unwrap_or(""), limit)?)).await
}

async fn healthz(State(st): State<AppState>) -> Json<Value> {
    Json(serde_json::json!({"status": "ok", "articles": st.svc.len()}))
}

async fn metrics_text(State(st): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.metrics.render(st.svc.len()),
    )
        .into_response()
}

async fn openapi_json() -> Json<Value> {
    Json(openapi::document())
}

fn asset_response(name: &str) -> Result<Response> {
    let (_, mime, bytes) = assets::ASSETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| Error::NotFound(format!("no asset {name:?}")))?;
    Ok(([(header::CONTENT_TYPE, *mime)], Body::from(*bytes)).into_response())
}

async fn index() -> Result<Response> {
    asset_response("index.html")
}

async fn asset(Path(path): Path<String>) -> Result<Response> {
    asset_response(&path)
}

async fn not_found(req: Request) -> Error {
    Error::NotFound(format!(
        "no route for {} {}",
        req.method(),
        req.uri().path()
    ))
}
