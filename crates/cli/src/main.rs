//! `storyline`: the command-line tool. Thin glue over the library crates; every error is mapped
//! to an exit code in [`exit_code`].

mod cmd_dedup;
mod cmd_service;

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use storyline_engine::pipeline::{stream_inputs, PipelineConfig};
use storyline_engine::{
    eval_clusters, eval_pairs, load_article, ClusterConfig, ClusterRun, Comparison, JobOptions,
    Level,
};
use storyline_text::ingest::IngestOptions;

/// `println!` that ends the process quietly (exit 0) when stdout is a closed pipe
/// (`storyline ... | head`), instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($t)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

/// Storyline: duplicates, events and storylines from a stream of news articles.
#[derive(Parser, Debug)]
#[command(name = "storyline", version, about)]
struct Cli {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    embed: EmbedArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug, Clone)]
struct InputArgs {
    /// Fail (exit 3) on the first bad input record instead of reporting and skipping it.
    #[arg(long, global = true)]
    strict: bool,
    /// Largest accepted record (one JSON line or one file), in bytes.
    #[arg(long, global = true, default_value_t = storyline_text::ingest::DEFAULT_MAX_RECORD_BYTES)]
    max_record_bytes: u64,
}

/// The dense signal (built with the cargo feature `embed`; ignored otherwise).
#[derive(Args, Debug, Clone)]
struct EmbedArgs {
    /// Embedding model directory (default: $STORYLINE_MODEL, else
    /// ~/.local/share/storyline/models/e5-small-q4, where scripts/install-model.sh puts it).
    #[arg(long, global = true, value_name = "DIR")]
    model: Option<PathBuf>,
    /// Use sparse signals only, even when an embedding model is available.
    #[arg(long, global = true)]
    no_embed: bool,
    /// Cache article embeddings in this redb file (keyed by model and input text).
    #[arg(long, global = true, value_name = "FILE")]
    embed_cache: Option<PathBuf>,
}

impl EmbedArgs {
    /// The loaded embedder, or `None` (after one note on stderr) when it is unavailable.
    #[cfg(feature = "embed")]
    fn dense(&self) -> Option<storyline_engine::dense::Dense> {
        if self.no_embed {
            return None;
        }
        let dense = storyline_engine::dense::Dense::load_or_warn(self.model.as_deref())?;
        match &self.embed_cache {
            None => Some(dense),
            Some(path) => match storyline_store::RedbStore::open(path) {
                Ok(store) => Some(dense.with_cache(std::sync::Arc::new(store))),
                Err(e) => {
                    eprintln!("note: embedding cache {} unavailable ({e})", path.display());
                    Some(dense)
                }
            },
        }
    }
}

impl InputArgs {
    // `..default()` fills `dense`, which exists only with the feature `embed`.
    #[allow(clippy::needless_update)]
    fn job(&self) -> JobOptions {
        JobOptions {
            ingest: IngestOptions {
                max_record_bytes: self.max_record_bytes,
            },
            strict: self.strict,
            ..JobOptions::default()
        }
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Decide whether two articles are duplicates, the same event, the same storyline, or unrelated.
    Compare(CompareArgs),
    /// Cluster articles into events and storylines.
    Cluster(ClusterArgs),
    /// Find exact and near-duplicate groups.
    Dedup(cmd_dedup::DedupArgs),
    /// Evaluate against human-labelled data.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Add articles to a service database (incremental; durable per batch).
    Ingest(cmd_service::IngestArgs),
    /// Serve the HTTP API and web page over a service database.
    Serve(cmd_service::ServeArgs),
    /// Ingest inputs, then serve (one-command service run).
    Up(cmd_service::UpArgs),
    /// Write the stored articles with their assignments as JSON Lines, in ingest order.
    Export(cmd_service::ExportArgs),
    /// Re-ingest an export into a service database.
    Import(cmd_service::ImportArgs),
    /// Remove articles from a service database everywhere (duplicates, events, storylines, search).
    Delete(cmd_service::DeleteArgs),
}

#[derive(Args, Debug)]
struct CompareArgs {
    /// First article: a .txt or .html file, or a JSON Lines file (with --id-a).
    a: PathBuf,
    /// Second article.
    b: PathBuf,
    /// Record id in A when A is JSON Lines (default: its first record).
    #[arg(long)]
    id_a: Option<String>,
    /// Record id in B when B is JSON Lines (default: its first record).
    #[arg(long)]
    id_b: Option<String>,
    /// Record id in both files (shorthand for --id-a/--id-b when they share a file).
    #[arg(long)]
    id: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct ClusterArgs {
    /// Input files or directories (JSON Lines, .txt, .html).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Write one JSON line per article here: {"id", "event_id", "storyline_id", ...}.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Events and storylines to list in the summary.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Print the whole result as one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand, Debug)]
enum EvalCommand {
    /// Pearson correlation with human similarity judgements (SemEval-2022 Task 8 pairs).
    Pairs {
        file: PathBuf,
        #[arg(long)]
        json: bool,
        /// Also write one JSON line per pair (id, language pair, score, signals, gold) here.
        #[arg(long)]
        predictions: Option<PathBuf>,
    },
    /// B-cubed, pairwise F1 and ARI of the clustering against a gold label field.
    Clusters {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The gold label field.
        #[arg(long, default_value = "event")]
        label: String,
        /// Which clustering level to score.
        #[arg(long, value_enum, default_value_t = LevelArg::Event)]
        level: LevelArg,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LevelArg {
    Event,
    Storyline,
}

/// Exit codes: 0 success, 1 failure, 2 usage error (clap), 3 bad input under `--strict`.
fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(storyline_engine::Error::Strict(_)) =
            cause.downcast_ref::<storyline_engine::Error>()
        {
            return 3;
        }
        if let Some(e) = cause.downcast_ref::<storyline_text::Error>() {
            if e.is_record_error() {
                return 3;
            }
        }
    }
    1
}

// mimalloc: analysis runs on every core and allocates many small strings; glibc's allocator
// contends between threads (analysis 1.6–1.9× faster with mimalloc in stream_bench).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    #[cfg(not(feature = "embed"))]
    let job = cli.input.job();
    #[cfg(feature = "embed")]
    let job = {
        let mut job = cli.input.job();
        if matches!(
            cli.command,
            Command::Cluster(_) | Command::Eval(EvalCommand::Clusters { .. })
        ) {
            job.dense = cli.embed.dense().map(std::sync::Arc::new);
        }
        job
    };
    match cli.command {
        Command::Compare(args) => compare(args, &job, &cli.embed),
        Command::Cluster(args) => cluster(args, &job),
        Command::Dedup(args) => cmd_dedup::run(args, &job),
        Command::Ingest(args) => cmd_service::ingest(args, &job),
        Command::Serve(args) => cmd_service::serve(args, &job),
        Command::Up(args) => cmd_service::up(args, &job),
        Command::Export(args) => cmd_service::export(args),
        Command::Import(args) => cmd_service::import(args, &job),
        Command::Delete(args) => cmd_service::delete(args),
        Command::Eval(EvalCommand::Pairs {
            file,
            json,
            predictions,
        }) => {
            #[cfg(feature = "embed")]
            let report = match cli.embed.dense() {
                Some(d) => storyline_engine::eval_pairs_dense(&file, job.strict, &d, report_bad)?,
                None => eval_pairs(&file, job.strict, report_bad)?,
            };
            #[cfg(not(feature = "embed"))]
            let report = eval_pairs(&file, job.strict, report_bad)?;
            if let Some(path) = predictions {
                let f = create_file(&path)?;
                let mut w = BufWriter::new(f);
                for p in &report.predictions {
                    serde_json::to_writer(&mut w, p)?;
                    w.write_all(b"\n")?;
                }
                w.flush()?;
            }
            if json {
                out!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                out!("pairs: {} (skipped {})", report.n, report.skipped);
                out!("pearson (score vs -Overall): {:.4}", report.pearson);
                out!("{:<8} {:>5} {:>8}", "langs", "n", "pearson");
                for (k, g) in &report.by_lang_pair {
                    let p = g.pearson.map_or("-".to_string(), |p| format!("{p:.4}"));
                    out!("{k:<8} {:>5} {p:>8}", g.n);
                }
                if let Some(d) = &report.dense {
                    print_dense_pairs(&report, d);
                }
            }
            Ok(())
        }
        Command::Eval(EvalCommand::Clusters {
            files,
            label,
            level,
            json,
        }) => {
            let level = match level {
                LevelArg::Event => Level::Event,
                LevelArg::Storyline => Level::Storyline,
            };
            let r = eval_clusters(
                &files,
                &label,
                level,
                &job,
                ClusterConfig::default(),
                report_bad,
            )?;
            if json {
                out!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                let s = &r.scores;
                out!(
                    "documents: {} scored, {} unlabelled, {} skipped; {:.2} s",
                    s.n,
                    r.unlabelled,
                    r.skipped,
                    r.seconds
                );
                out!(
                    "{} clusters vs {} gold `{}` clusters ({} level)",
                    s.clusters,
                    s.gold_clusters,
                    r.label,
                    r.level
                );
                out!(
                    "B3        precision {:.4}  recall {:.4}  F1 {:.4}",
                    s.b3_precision,
                    s.b3_recall,
                    s.b3_f1
                );
                out!(
                    "pairwise  precision {:.4}  recall {:.4}  F1 {:.4}",
                    s.pairwise_precision,
                    s.pairwise_recall,
                    s.pairwise_f1
                );
                out!("ARI {:.4}  NMI {:.4}", s.ari, s.nmi);
            }
            Ok(())
        }
    }
}

/// Writes clustering rows as JSON Lines.
fn write_rows(
    path: &std::path::Path,
    rows: &[storyline_engine::ArticleAssignment],
) -> anyhow::Result<()> {
    let mut w = BufWriter::new(create_file(path)?);
    for a in rows {
        serde_json::to_writer(&mut w, a)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(())
}

/// Creates an output file, and its parent directories when missing.
pub(crate) fn create_file(path: &std::path::Path) -> anyhow::Result<std::fs::File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))
}

/// Reports one skipped bad record on stderr.
pub(crate) fn report_bad(e: &storyline_engine::Error) {
    eprintln!("warning: skipped bad record: {e}");
}

/// The with-embeddings figures of `eval pairs`, beside the sparse ones of the same run.
fn print_dense_pairs(r: &storyline_engine::PairsReport, d: &storyline_engine::DenseReport) {
    out!(
        "with embeddings ({}; {} texts at {:.1} texts/s):",
        d.model,
        d.texts,
        d.texts_per_second
    );
    out!(
        "pearson (score vs -Overall): {:.4}   sparse only {:.4}   embedding cosine alone {:.4}",
        d.pearson,
        r.pearson,
        d.pearson_cosine
    );
    out!("{:<8} {:>5} {:>8} {:>8}", "langs", "n", "sparse", "embed");
    let fmt = |p: Option<f64>| p.map_or("-".to_string(), |p| format!("{p:.4}"));
    for (k, g) in &d.by_lang_pair {
        let sparse = r.by_lang_pair.get(k).and_then(|s| s.pearson);
        out!("{k:<8} {:>5} {:>8} {:>8}", g.n, fmt(sparse), fmt(g.pearson));
    }
}

fn compare(args: CompareArgs, job: &JobOptions, embed: &EmbedArgs) -> anyhow::Result<()> {
    let id_a = args.id_a.as_deref().or(args.id.first().map(String::as_str));
    let id_b = args
        .id_b
        .as_deref()
        .or(args.id.get(1).or(args.id.first()).map(String::as_str));
    let a = load_article(&args.a, id_a, &job.ingest)
        .with_context(|| format!("reading {}", args.a.display()))?;
    let b = load_article(&args.b, id_b, &job.ingest)
        .with_context(|| format!("reading {}", args.b.display()))?;
    #[cfg(feature = "embed")]
    let c = storyline_engine::compare_articles_dense(&a, &b, embed.dense().as_ref())?;
    #[cfg(not(feature = "embed"))]
    let c = {
        let _ = embed;
        storyline_engine::compare_articles(&a, &b)?
    };
    if args.json {
        let out = storyline_engine::comparison_json(&a, &b, &c);
        out!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_comparison(&a, &b, &c);
    }
    Ok(())
}

fn print_comparison(a: &storyline_text::Article, b: &storyline_text::Article, c: &Comparison) {
    let title =
        |x: &storyline_text::Article| x.title.clone().unwrap_or_else(|| "(untitled)".into());
    out!("relation: {}   score: {:.3}", c.relation, c.score);
    out!("A: {} — {}", a.id, title(a));
    out!("B: {} — {}", b.id, title(b));
    let r = &c.reasons;
    let ents: Vec<String> = r
        .shared_entities
        .iter()
        .take(12)
        .map(|e| {
            format!(
                "{} ({:?}, {}×/{}×)",
                e.name, e.kind, e.mentions.0, e.mentions.1
            )
            .replace("(Person", "(person")
            .replace("(Place", "(place")
            .replace("(Org", "(org")
            .replace("(Other", "(other")
        })
        .collect();
    out!(
        "shared entities: {}",
        if ents.is_empty() {
            "none".into()
        } else {
            ents.join(", ")
        }
    );
    out!("shared terms: {}", r.shared_terms.join(", "));
    out!(
        "signals: body {:.3}, title+lead {:.3}, entities {:.3}; shingle Jaccard {:.3}, containment {:.3}",
        r.signals.body, r.signals.head, r.signals.entities, r.shingle_jaccard, r.containment
    );
    match r.time_gap_days {
        Some(g) => out!("time gap: {g:.1} days"),
        None => out!("time gap: unknown"),
    }
    out!("why:");
    for e in &r.explanation {
        out!("  - {e}");
    }
}

fn cluster(args: ClusterArgs, job: &JobOptions) -> anyhow::Result<()> {
    // Streams the inputs through the pipeline in batches (bounded memory); the dense signal has
    // weight 0 for events by default, so the stream does not embed (`eval clusters` can).
    let mut run = ClusterRun::new(PipelineConfig::default())?;
    let sketcher = run.pipeline().sketcher();
    let stats = stream_inputs(&args.inputs, job, &sketcher, report_bad, |batch| {
        run.add(&batch)
    })?;
    let skipped = stats.skipped;
    if args.json {
        let c = run.finish()?;
        if let Some(path) = &args.out {
            write_rows(path, &c.assignments)?;
        }
        out!("{}", serde_json::to_string_pretty(&c)?);
        return Ok(());
    }
    // Rows go straight to the output file as they are resolved; nothing keeps them all.
    let mut w = match &args.out {
        Some(path) => Some(BufWriter::new(create_file(path)?)),
        None => None,
    };
    let c = run.write(args.top, |row| {
        if let Some(w) = w.as_mut() {
            serde_json::to_writer(&mut *w, row).map_err(std::io::Error::from)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })?;
    if let Some(mut w) = w {
        w.flush()?;
    }
    out!(
        "articles: {} (skipped {}), duplicates: {}, events: {}, storylines: {}",
        c.articles,
        skipped,
        c.duplicates,
        c.events,
        c.storylines
    );
    let span = |s: &storyline_engine::ClusterSummary| match (&s.first, &s.last) {
        (Some(f), Some(l)) if f == l => f.clone(),
        (Some(f), Some(l)) => format!("{f} → {l}"),
        _ => "undated".into(),
    };
    out!("\nbiggest storylines:");
    for (s, events) in &c.top_storylines {
        out!(
            "  [{}] {} articles, {} events, {} — {}",
            s.id,
            s.size,
            events,
            span(s),
            s.label
        );
    }
    out!("\nbiggest events:");
    for e in &c.top_events {
        out!(
            "  [{}] {} articles, {} — {}",
            e.id,
            e.size,
            span(e),
            e.label
        );
    }
    if let Some(path) = &args.out {
        out!("\nwrote {}", path.display());
    }
    Ok(())
}
