//! `storyline dedup`: exact and near-duplicate groups for a set of articles.
//!
//! Reads articles with the text crate's ingest (JSON Lines, `.txt`/`.html` files or
//! directories), feeds them in batches to a [`DedupIndex`] (in memory, or persistent in a
//! redb file with `--db` so later runs are checked against earlier ones), then writes one
//! JSON line per article, `{"id", "group", "canonical", "exact"}`, and prints a summary.
//! JSON Lines inputs are parsed and cleaned on all cores (the text crate's
//! `ingest::parse_record` + `RawArticle::prepare`, per line, same semantics as
//! `ingest::read_inputs`); other inputs go through `read_inputs`. Reading/cleaning
//! overlaps with hashing of the previous batch on a worker thread. `--no-clean` skips the
//! text crate's cleaning for input that is already clean text (HTML records are still
//! extracted).

use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};

use anyhow::Context;
use storyline_dedup::{DedupConfig, DedupIndex, DocRef};
use storyline_store::{MemStore, RedbStore, Store};
use storyline_text::ingest::{input_kind, parse_record, InputKind};
use storyline_text::{RawArticle, RecordError};

/// Articles handed from the reader thread to the index per batch.
const BATCH: usize = 4096;
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

struct Owned {
    id: String,
    text: String,
    published: Option<i64>,
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

    // The ingest iterator is not `Send`, so it stays on this thread; the index hashes
    // on a scoped worker (plus rayon) while the next batch is read and cleaned.
    let (tx, rx) = mpsc::sync_channel::<Vec<Owned>>(2);
    let bad_records = std::thread::scope(|s| -> anyhow::Result<usize> {
        let worker = s.spawn(|| -> anyhow::Result<()> {
            for batch in rx {
                let docs: Vec<DocRef<'_>> = batch
                    .iter()
                    .map(|a| DocRef {
                        id: &a.id,
                        text: &a.text,
                        published: a.published,
                    })
                    .collect();
                index.insert_batch(&docs)?;
                if let Some(pb) = &progress {
                    pb.inc(docs.len() as u64);
                }
            }
            Ok(())
        });
        let mut bad = 0usize;
        let mut batch = Vec::with_capacity(BATCH);
        let mut emit = |item: Result<Owned, String>, batch: &mut Vec<Owned>| -> bool {
            match item {
                Ok(doc) => {
                    batch.push(doc);
                    if batch.len() >= BATCH {
                        let full = std::mem::replace(batch, Vec::with_capacity(BATCH));
                        // A send error means the worker failed; its error is reported below.
                        return tx.send(full).is_ok();
                    }
                }
                Err(e) if job.strict => {
                    first_bad = Some(e);
                    return false;
                }
                Err(e) => {
                    bad += 1;
                    if bad <= MAX_REPORTED_ERRORS {
                        eprintln!("warning: skipping record: {e}");
                    }
                }
            }
            true
        };
        'inputs: for (path, kind) in args.inputs.iter().zip(&kinds) {
            if *kind == InputKind::Jsonl {
                let mut lines = JsonlLines::open(path, opts.max_record_bytes)?;
                loop {
                    let chunk = lines.next_chunk(BATCH)?;
                    if chunk.is_empty() {
                        break;
                    }
                    for item in prepare_parallel(path, chunk, args.no_clean, opts.max_record_bytes)
                    {
                        if !emit(item, &mut batch) {
                            break 'inputs;
                        }
                    }
                }
                if lines.records == 0 {
                    emit(
                        Err(format!("{}: {}", path.display(), RecordError::EmptyFile)),
                        &mut batch,
                    );
                }
            } else {
                for item in storyline_text::ingest::read_inputs(std::slice::from_ref(path), &opts)?
                {
                    let item = item.map(owned).map_err(|e| e.to_string());
                    if !emit(item, &mut batch) {
                        break 'inputs;
                    }
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.send(batch);
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
                &serde_json::json!({
                    "id": a.id, "group": a.group, "canonical": a.canonical, "exact": a.exact,
                }),
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

fn owned(a: storyline_text::Article) -> Owned {
    Owned {
        text: a.full_text(),
        published: a.published.map(|d| d.timestamp()),
        id: a.id,
    }
}

/// `--no-clean`: title + text as given; HTML-only records still need extraction.
fn uncleaned(raw: RawArticle) -> Result<Owned, RecordError> {
    if raw.text.is_none() {
        return raw.prepare().map(owned);
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
    Ok(Owned {
        id: raw.id,
        text,
        published,
    })
}

/// Lines of one JSON Lines input with their 1-based line numbers; blank lines skipped.
struct JsonlLines {
    reader: Box<dyn BufRead>,
    limit: u64,
    line_no: u64,
    records: u64,
}

/// One raw line (or the size of an over-long line, which is not kept).
enum RawLine {
    Line(Vec<u8>),
    TooLong(u64),
}

impl JsonlLines {
    fn open(path: &Path, limit: u64) -> anyhow::Result<Self> {
        let reader: Box<dyn BufRead> = if path == Path::new("-") {
            Box::new(BufReader::new(std::io::stdin()))
        } else {
            let f =
                std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
            Box::new(BufReader::with_capacity(1 << 16, f))
        };
        Ok(JsonlLines {
            reader,
            limit,
            line_no: 0,
            records: 0,
        })
    }

    /// Up to `n` non-blank lines; empty at end of input.
    fn next_chunk(&mut self, n: usize) -> anyhow::Result<Vec<(u64, RawLine)>> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let mut buf = Vec::new();
            let read = (&mut self.reader)
                .take(self.limit + 2)
                .read_until(b'\n', &mut buf)?;
            if read == 0 {
                break;
            }
            self.line_no += 1;
            if buf.last() != Some(&b'\n') && buf.len() as u64 > self.limit {
                // Over the limit: skip the rest of the line without keeping it.
                let mut size = buf.len() as u64;
                loop {
                    let chunk = self.reader.fill_buf()?;
                    if chunk.is_empty() {
                        break;
                    }
                    let (used, done) = match chunk.iter().position(|&b| b == b'\n') {
                        Some(i) => (i + 1, true),
                        None => (chunk.len(), false),
                    };
                    size += used as u64;
                    self.reader.consume(used);
                    if done {
                        break;
                    }
                }
                self.records += 1;
                out.push((self.line_no, RawLine::TooLong(size)));
                continue;
            }
            while matches!(buf.last(), Some(b'\n' | b'\r')) {
                buf.pop();
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.records += 1;
            if buf.len() as u64 > self.limit {
                out.push((self.line_no, RawLine::TooLong(buf.len() as u64)));
            } else {
                out.push((self.line_no, RawLine::Line(buf)));
            }
        }
        Ok(out)
    }
}

/// Parse (and unless `no_clean`, clean) a chunk of lines on all cores, keeping order.
fn prepare_parallel(
    path: &Path,
    chunk: Vec<(u64, RawLine)>,
    no_clean: bool,
    limit: u64,
) -> Vec<Result<Owned, String>> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let one = |(line_no, raw): &(u64, RawLine)| -> Result<Owned, String> {
        let result = match raw {
            RawLine::TooLong(size) => Err(RecordError::TooLarge { size: *size, limit }),
            RawLine::Line(bytes) => {
                parse_record(bytes, format!("{stem}:{line_no}")).and_then(|r| {
                    if no_clean {
                        uncleaned(r)
                    } else {
                        r.prepare().map(owned)
                    }
                })
            }
        };
        result.map_err(|e| format!("{}:{line_no}: {e}", path.display()))
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = chunk.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = chunk
            .chunks(per)
            .map(|part| s.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec![Err("record preparation panicked".to_string())])
            })
            .collect()
    })
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
