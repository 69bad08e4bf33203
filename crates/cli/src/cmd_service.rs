//! `storyline ingest | serve | up | export | import`: the durable service database.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use storyline_engine::pipeline::stream_inputs;
use storyline_engine::{JobOptions, Service};
use storyline_server::{ServerConfig, DEFAULT_MAX_BODY_BYTES};

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Input files or directories (JSON Lines, .txt, .html).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Service database (created when missing).
    #[arg(long)]
    db: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Service database (created when missing).
    #[arg(long)]
    db: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// Bearer token required for writes (also read from STORYLINE_TOKEN).
    #[arg(long, env = "STORYLINE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Require the token for reads too.
    #[arg(long)]
    read_token_required: bool,
    /// Largest accepted request body, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Ingest these inputs before serving.
    #[arg(long)]
    ingest: Vec<PathBuf>,
    /// Articles between two cluster-state snapshots.
    #[arg(long, default_value_t = storyline_engine::service::SNAPSHOT_EVERY)]
    snapshot_every: u64,
}

#[derive(Args, Debug)]
pub struct UpArgs {
    /// Input files or directories to ingest before serving.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Service database.
    #[arg(long)]
    db: PathBuf,
    /// Output JSON Lines file (default: stdout).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct DeleteArgs {
    /// Service database.
    #[arg(long)]
    db: PathBuf,
    /// Ids of the articles to remove.
    #[arg(required = true)]
    ids: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// A JSON Lines export (`storyline export`).
    file: PathBuf,
    /// Service database (created when missing).
    #[arg(long)]
    db: PathBuf,
}

fn open(db: &Path) -> anyhow::Result<Service> {
    Service::open(db).with_context(|| format!("opening {}", db.display()))
}

/// Ingests `inputs` into `svc` in durable batches (the pipeline's batches, as `cluster` cuts
/// them); prints counts.
fn ingest_into(svc: &Service, inputs: &[PathBuf], job: &JobOptions) -> anyhow::Result<()> {
    let before = svc.len();
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} records {per_sec} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let mut duplicates = 0usize;
    let sketcher = svc.sketcher().clone();
    let report = |e: &storyline_engine::Error| {
        bar.suspend(|| eprintln!("warning: skipped bad record: {e}"));
    };
    let stats = stream_inputs(inputs, job, &sketcher, report, |batch| {
        let n = batch.len() as u64;
        let results = svc.ingest_analysed(batch)?;
        duplicates += results.iter().filter(|r| r.duplicate_of.is_some()).count();
        bar.inc(n);
        Ok(())
    })?;
    bar.finish_and_clear();
    svc.snapshot()?;
    let added = svc.len() - before;
    println!(
        "read {} articles (skipped {} bad records): {added} new, {} already stored, {duplicates} duplicates; {} articles in the store",
        stats.articles,
        stats.skipped,
        stats.articles - added,
        svc.len()
    );
    Ok(())
}

pub fn ingest(args: IngestArgs, job: &JobOptions) -> anyhow::Result<()> {
    let svc = open(&args.db)?;
    ingest_into(&svc, &args.inputs, job)
}

pub fn serve(args: ServeArgs, job: &JobOptions) -> anyhow::Result<()> {
    let svc = Arc::new(
        Service::open_with(&args.db, args.snapshot_every)
            .with_context(|| format!("opening {}", args.db.display()))?,
    );
    if !args.ingest.is_empty() {
        ingest_into(&svc, &args.ingest, job)?;
    }
    let cfg = ServerConfig {
        token: args.token.filter(|t| !t.is_empty()),
        read_token_required: args.read_token_required,
        max_body_bytes: args.max_body_bytes,
        handle_signals: true,
    };
    if cfg.token.is_none() {
        eprintln!(
            "warning: no --token / STORYLINE_TOKEN: writes are open to anyone who can connect"
        );
    }
    if cfg.read_token_required && cfg.token.is_none() {
        anyhow::bail!("--read-token-required needs --token or STORYLINE_TOKEN");
    }
    let running = storyline_server::start(svc.clone(), &args.addr, cfg)
        .with_context(|| format!("listening on {}", args.addr))?;
    println!(
        "storyline: serving {} articles from {} on http://{}/",
        svc.len(),
        args.db.display(),
        running.addr()
    );
    std::io::stdout().flush()?;
    running.wait()?;
    eprintln!("storyline: stopped; cluster snapshot written");
    Ok(())
}

pub fn up(args: UpArgs, job: &JobOptions) -> anyhow::Result<()> {
    let mut serve_args = args.serve;
    serve_args.ingest.extend(args.inputs);
    serve(serve_args, job)
}

pub fn export(args: ExportArgs) -> anyhow::Result<()> {
    let svc = open(&args.db)?;
    let sink: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(crate::create_file(p)?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = BufWriter::new(sink);
    let mut n = 0usize;
    let mut io_err = None;
    svc.export(|x| {
        let a = &x.article;
        let line = serde_json::json!({
            "id": a.id,
            "title": a.title,
            "text": a.text,
            "url": a.url,
            "date": a.date.as_ref().map(storyline_engine::service::rfc3339),
            "lang": a.lang,
            "event_id": a.event_id,
            "storyline_id": a.storyline_id,
            "group": x.group,
            "canonical": x.canonical,
            "event_label": x.event_label,
            "storyline_label": x.storyline_label,
            "duplicate_of": a.duplicate_of,
            "entities": a.entities.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
            "seq": a.seq,
        });
        let res = serde_json::to_writer(&mut w, &line)
            .map_err(std::io::Error::from)
            .and_then(|_| w.write_all(b"\n"));
        if let Err(e) = res {
            io_err = Some(e);
            return Err(storyline_engine::Error::Record("write failed".into()));
        }
        n += 1;
        Ok(())
    })
    .map_err(|e| match io_err.take() {
        Some(io) => anyhow::Error::from(io),
        None => e.into(),
    })?;
    w.flush()?;
    if let Some(p) = &args.out {
        eprintln!("exported {n} articles to {}", p.display());
    }
    Ok(())
}

pub fn import(args: ImportArgs, job: &JobOptions) -> anyhow::Result<()> {
    let svc = open(&args.db)?;
    ingest_into(&svc, &[args.file], job)
}

/// `storyline delete --db DB ID...`: removes articles everywhere, each durably; an id that is not
/// stored is reported, and makes the command fail after the others are removed.
pub fn delete(args: DeleteArgs) -> anyhow::Result<()> {
    let svc = open(&args.db)?;
    let mut missing = Vec::new();
    for id in &args.ids {
        if svc.delete(id).with_context(|| format!("removing {id:?}"))? {
            println!("removed {id}");
        } else {
            missing.push(id.as_str());
        }
    }
    svc.snapshot()?;
    if !missing.is_empty() {
        anyhow::bail!(
            "not stored in {}: {}",
            args.db.display(),
            missing.join(", ")
        );
    }
    Ok(())
}
