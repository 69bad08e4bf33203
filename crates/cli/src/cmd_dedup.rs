//! `storyline dedup`: exact and near-duplicate groups for a set of articles.
//!
//! Reads articles with the text crate's ingest (JSON Lines, `.txt`/`.html` files or
//! directories), feeds them in batches to a [`DedupIndex`] (in memory, or persistent in a
//! redb file with `--db` so later runs are checked against earlier ones), then writes one
//! JSON line per article, `{"id", "group", "canonical", "exact"}`, and prints a summary.
//!
//! Pipeline: this thread reads JSON Lines in chunks of raw lines
//! ([`storyline_text::ingest::RawLines`], the reader behind `ingest::read_inputs`), then
//! parses, cleans (`RawArticle::prepare_with`, minus language detection) and sketches (shingles, MinHash, band keys) every
//! record of the chunk on all cores ([`Sketcher::sketch_par`]); a worker thread inserts the
//! previous chunk into the index meanwhile (LSH queries, verification, union-find, store
//! writes). Other inputs go through `read_inputs` and are sketched the same way. `--no-clean`
//! skips the text crate's cleaning for input that is already clean text (HTML records are
//! still extracted).

use std::io::{BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};

use anyhow::Context;
use storyline_dedup::{DedupConfig, DedupIndex, SketchedDoc, Sketcher};
use storyline_store::{MemStore, RedbStore, Store};
use storyline_text::ingest::{
    default_record_id, input_kind, parse_record, InputKind, RawLine, RawLines,
};
use storyline_text::{PrepareOptions, RawArticle, RecordError};

/// Articles prepared in parallel and handed to the index per batch (one store write each): the
/// pipeline's batch, so `dedup` inserts the articles `cluster` and `ingest` see in the same order.
const BATCH: usize = storyline_engine::pipeline::BATCH;
/// Cleaning as ingest does it, minus language detection: groups do not depend on it.
const PREPARE: PrepareOptions = PrepareOptions {
    detect_language: false,
};
/// Bad records reported individually before only counting them.
const MAX_REPORTED_ERRORS: usize = 10;

/// Arguments of `storyline dedup`.
#[derive(clap::Args, Debug)]
pub struct DedupArgs {
    /// Input files or directories (JSONL, .txt, .html); `-` reads JSONL from stdin.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Jaccard similarity threshold for near duplicates.
    #[arg(long, default_value_t = 0.8)]
    pub threshold: f64,
    /// Write groups as JSON Lines here (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Persistent index (redb file); reruns check new articles against earlier ones.
    /// Default: in memory.
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// MinHash permutations.
    #[arg(long, default_value_t = 128)]
    pub num_perm: usize,
    /// Words per shingle.
    #[arg(long, default_value_t = 3)]
    pub shingle: usize,
    /// Use the `title` and `text` fields as they are, without the text crate's cleaning
    /// (boilerplate removal, Unicode NFC, title/date/language detection).
    #[arg(long)]
    pub no_clean: bool,
}

/// Run `storyline dedup`.
pub fn run(args: DedupArgs, job: &storyline_engine::JobOptions) -> anyhow::Result<()> {
    let cfg = DedupConfig {
        threshold: args.threshold,
        num_perm: args.num_perm,
        shingle: args.shingle,
        ..DedupConfig::default()
    };
    let store: Arc<dyn Store> = match &args.db {
        Some(p) => {
            Arc::new(RedbStore::open(p).with_context(|| format!("opening index {}", p.display()))?)
        }
        None => Arc::new(MemStore::new()),
    };
    let mut index = DedupIndex::open(store, cfg).context("opening dedup index")?;
    let opts = job.ingest.clone();
    let mut first_bad: Option<String> = None;
    // Path-level problems (missing file, unsupported type) fail before any work.
    let kinds = args
        .inputs
        .iter()
        .map(|p| {
            if p != Path::new("-") && !p.exists() {
                anyhow::bail!("{}: no such file or directory", p.display());
            }
            Ok(input_kind(p)?)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let progress = if std::io::stderr().is_terminal() {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} articles ({per_sec}) {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        Some(pb)
    } else {
        None
    };

    let sketcher = index.sketcher();
    // The ingest iterator is not `Send`, so reading stays on this thread, which also drives
    // the parallel preparation; the index inserts on a scoped worker meanwhile.
    let (tx, rx) = mpsc::sync_channel::<Vec<SketchedDoc>>(1);
    let bad_records = std::thread::scope(|s| -> anyhow::Result<usize> {
        let worker = s.spawn(|| -> anyhow::Result<()> {
            for batch in rx {
                index.insert_sketched(&batch)?;
                if let Some(pb) = &progress {
                    pb.inc(batch.len() as u64);
                }
            }
            Ok(())
        });
        let mut bad = 0usize;
        // Hands prepared documents to the worker and reports bad records, in input order.
        // Returns false to stop: a send error means the worker failed (its error is reported
        // below); under `--strict` the first bad record stops the run after the documents
        // before it.
        let mut emit = |items: Vec<Result<SketchedDoc, String>>| -> bool {
            let mut batch = Vec::with_capacity(items.len());
            let mut go_on = true;
            for item in items {
                match item {
                    Ok(doc) => batch.push(doc),
                    Err(e) if job.strict => {
                        first_bad = Some(e);
                        go_on = false;
                        break;
                    }
                    Err(e) => {
                        bad += 1;
                        if bad <= MAX_REPORTED_ERRORS {
                            eprintln!("warning: skipping record: {e}");
                        }
                    }
                }
            }
            // The pipeline's order rule inside a batch (date, undated last, then id), so groups,
            // canonicals and group numbers are the ones `cluster` and `ingest` report.
            let order =
                storyline_engine::pipeline::stream_order(&batch, |d| (d.published, d.id.as_str()));
            let mut slots: Vec<Option<SketchedDoc>> = batch.into_iter().map(Some).collect();
            let batch: Vec<SketchedDoc> = order.iter().filter_map(|&i| slots[i].take()).collect();
            if !batch.is_empty() && tx.send(batch).is_err() {
                return false;
            }
            go_on
        };
        'inputs: for (path, kind) in args.inputs.iter().zip(&kinds) {
            if *kind == InputKind::Jsonl {
                let mut lines = open_lines(path, opts.max_record_bytes)?;
                loop {
                    let chunk = lines
                        .next_chunk(BATCH)
                        .with_context(|| format!("reading {}", path.display()))?;
                    if chunk.is_empty() {
                        break;
                    }
                    let limit = opts.max_record_bytes;
                    let docs = sketcher.sketch_par(chunk, |(line_no, raw)| {
                        prepare_line(path, line_no, raw, args.no_clean, limit)
                    });
                    if !emit(docs) {
                        break 'inputs;
                    }
                }
                if lines.records() == 0 {
                    let e = format!("{}: {}", path.display(), RecordError::EmptyFile);
                    if !emit(vec![Err(e)]) {
                        break 'inputs;
                    }
                }
            } else {
                let mut articles =
                    storyline_text::ingest::read_inputs(std::slice::from_ref(path), &opts)?;
                loop {
                    let chunk: Vec<_> = articles.by_ref().take(BATCH).collect();
                    if chunk.is_empty() {
                        break;
                    }
                    let docs = sketch_articles(&sketcher, chunk);
                    if !emit(docs) {
                        break 'inputs;
                    }
                }
            }
        }
        drop(tx);
        worker
            .join()
            .map_err(|_| anyhow::anyhow!("dedup worker thread panicked"))??;
        Ok(bad)
    })?;
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    if let Some(e) = first_bad {
        return Err(
            storyline_engine::Error::Strict(Box::new(storyline_engine::Error::Record(e))).into(),
        );
    }
    if bad_records > MAX_REPORTED_ERRORS {
        eprintln!("warning: {bad_records} records skipped in total");
    }

    let to_stdout = args.out.is_none();
    {
        let sink: Box<dyn Write> = match &args.out {
            Some(p) => Box::new(
                std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
            ),
            None => Box::new(std::io::stdout().lock()),
        };
        let mut w = BufWriter::with_capacity(1 << 16, sink);
        for a in index.assignments()? {
            serde_json::to_writer(
                &mut w,
                &Row {
                    id: &a.id,
                    group: a.group,
                    canonical: &a.canonical,
                    exact: a.exact,
                },
            )?;
            w.write_all(b"\n")?;
        }
        w.flush()?;
    }

    let s = index.summary();
    let (b, r) = index.lsh_params();
    let summary = format!(
        "articles: {}\nexact-duplicate groups: {}\nnear-duplicate groups: {}\nlargest group: {}\n\
         exact duplicates: {}\nskipped records: {bad_records}\n\
         (threshold {}, {} permutations, {}-word shingles, LSH {b} bands x {r} rows)",
        s.articles,
        s.exact_groups,
        s.near_groups,
        s.largest_group,
        s.exact_duplicates,
        args.threshold,
        args.num_perm,
        args.shingle,
    );
    if to_stdout {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    Ok(())
}

/// One output line (fields in alphabetical order, as earlier releases wrote them).
#[derive(serde::Serialize)]
struct Row<'a> {
    canonical: &'a str,
    exact: bool,
    group: u64,
    id: &'a str,
}

/// Id, dedup text (title and body) and published date of a cleaned article.
type Prepared = (String, String, Option<i64>);

fn owned(a: storyline_text::Article) -> Prepared {
    let text = a.full_text();
    (a.id, text, a.published.map(|d| d.timestamp()))
}

/// `--no-clean`: title + text as given; HTML-only records still need extraction.
fn uncleaned(raw: RawArticle) -> Result<Prepared, RecordError> {
    if raw.text.is_none() {
        return raw.prepare_with(&PREPARE).map(owned);
    }
    let published = raw
        .date
        .as_deref()
        .and_then(storyline_text::dates::parse_date)
        .map(|d| d.timestamp());
    let body = raw.text.unwrap_or_default();
    let text = match raw.title {
        Some(t) => format!("{t}\n\n{body}"),
        None => body,
    };
    Ok((raw.id, text, published))
}

/// Size-limited lines of one JSON Lines input (`-` is stdin).
fn open_lines(path: &Path, limit: u64) -> anyhow::Result<RawLines<Box<dyn std::io::BufRead>>> {
    let reader: Box<dyn std::io::BufRead> = if path == Path::new("-") {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        Box::new(BufReader::with_capacity(1 << 16, f))
    };
    Ok(RawLines::new(reader, limit))
}

/// Parses (and unless `no_clean`, cleans) one JSON Lines record, with the same semantics and
/// messages (`file:line: reason`) as `ingest::read_inputs`, under its panic guard.
fn prepare_line(
    path: &Path,
    line_no: u64,
    raw: RawLine,
    no_clean: bool,
    limit: u64,
) -> Result<Prepared, String> {
    if !no_clean {
        return storyline_text::ingest::prepare_line(path, line_no, raw, limit, &PREPARE)
            .map(owned)
            .map_err(|e| e.to_string());
    }
    let result = match raw {
        RawLine::TooLong(size) => Err(RecordError::TooLarge { size, limit }),
        RawLine::Line(bytes) => storyline_text::ingest::guard_record(|| {
            parse_record(&bytes, default_record_id(path, line_no)).and_then(uncleaned)
        }),
    };
    result.map_err(|e| format!("{}:{line_no}: {e}", path.display()))
}

/// Sketches articles read by `ingest::read_inputs` (already cleaned) on all cores.
fn sketch_articles(
    sketcher: &Sketcher,
    chunk: Vec<storyline_text::Result<storyline_text::Article>>,
) -> Vec<Result<SketchedDoc, String>> {
    sketcher.sketch_par(chunk, |item| item.map(owned).map_err(|e| e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(inputs: Vec<PathBuf>, out: Option<PathBuf>, db: Option<PathBuf>) -> DedupArgs {
        DedupArgs {
            inputs,
            threshold: 0.8,
            out,
            db,
            num_perm: 128,
            shingle: 3,
            no_clean: false,
        }
    }

    fn read_out(p: &std::path::Path) -> Vec<serde_json::Value> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn groups_duplicates_across_runs_with_db() {
        let dir = tempfile::tempdir().unwrap();
        let body = "The river burst its banks after three days of heavy rain, flooding \
                    hundreds of homes in the valley. Emergency crews evacuated residents \
                    overnight and the regional government declared a state of emergency.";
        let first = dir.path().join("a.jsonl");
        let rec = |id: &str, text: &str| serde_json::json!({"id": id, "text": text}).to_string();
        std::fs::write(
            &first,
            format!(
                "{}\n{}\n",
                rec("a1", body),
                rec(
                    "a2",
                    "A quiet day at the stock market ended with small gains."
                )
            ),
        )
        .unwrap();
        let second = dir.path().join("b.jsonl");
        std::fs::write(&second, format!("{}\n", rec("b1", &body.to_uppercase()))).unwrap();
        let db = dir.path().join("idx.redb");
        let out = dir.path().join("g.jsonl");
        run(
            args(vec![first], Some(out.clone()), Some(db.clone())),
            &Default::default(),
        )
        .unwrap();
        assert_eq!(read_out(&out).len(), 2);
        run(
            args(vec![second], Some(out.clone()), Some(db)),
            &Default::default(),
        )
        .unwrap();
        let rows = read_out(&out);
        assert_eq!(rows.len(), 3);
        let b1 = rows.iter().find(|r| r["id"] == "b1").unwrap();
        assert_eq!(b1["canonical"], "a1");
        assert_eq!(b1["exact"], true);
        let a2 = rows.iter().find(|r| r["id"] == "a2").unwrap();
        assert_ne!(a2["group"], b1["group"]);
    }

    #[test]
    fn missing_input_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let r = run(
            args(vec![dir.path().join("nope.jsonl")], None, None),
            &Default::default(),
        );
        assert!(r.is_err());
    }
}
