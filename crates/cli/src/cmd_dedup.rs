//! `storyline dedup`: exact and near-duplicate groups for a set of articles.
//!
//! Reads articles with the text crate's ingest (JSON Lines, `.txt`/`.html` files or
//! directories), feeds them in batches to a [`DedupIndex`] (in memory, or persistent in a
//! redb file with `--db` so later runs are checked against earlier ones), then writes one
//! JSON line per article, `{"id", "group", "canonical", "exact"}`, and prints a summary.
//! Reading/cleaning runs on its own thread while the index hashes the previous batch.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{mpsc, Arc};

use anyhow::Context;
use storyline_dedup::{DedupConfig, DedupIndex, DocRef};
use storyline_store::{MemStore, RedbStore, Store};

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
}

struct Owned {
    id: String,
    text: String,
    published: Option<i64>,
}

/// Run `storyline dedup`.
pub fn run(args: DedupArgs) -> anyhow::Result<()> {
    let cfg = DedupConfig {
        threshold: args.threshold,
        num_perm: args.num_perm,
        shingle: args.shingle,
        ..DedupConfig::default()
    };
    let store: Arc<dyn Store> = match &args.db {
        Some(p) => Arc::new(
            RedbStore::open(p).with_context(|| format!("opening index {}", p.display()))?,
        ),
        None => Arc::new(MemStore::new()),
    };
    let mut index = DedupIndex::open(store, cfg).context("opening dedup index")?;
    let articles = storyline_text::ingest::read_inputs(
        &args.inputs,
        &storyline_text::ingest::IngestOptions::default(),
    )?;

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
        for item in articles {
            match item {
                Ok(a) => {
                    batch.push(Owned {
                        text: a.full_text(),
                        published: a.published.map(|d| d.timestamp()),
                        id: a.id,
                    });
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        if tx.send(full).is_err() {
                            break; // the worker failed; its error is reported below
                        }
                    }
                }
                Err(e) => {
                    bad += 1;
                    if bad <= MAX_REPORTED_ERRORS {
                        eprintln!("warning: skipping record: {e}");
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
                rec("a2", "A quiet day at the stock market ended with small gains.")
            ),
        )
        .unwrap();
        let second = dir.path().join("b.jsonl");
        std::fs::write(&second, format!("{}\n", rec("b1", &body.to_uppercase()))).unwrap();
        let db = dir.path().join("idx.redb");
        let out = dir.path().join("g.jsonl");
        run(args(vec![first], Some(out.clone()), Some(db.clone()))).unwrap();
        assert_eq!(read_out(&out).len(), 2);
        run(args(vec![second], Some(out.clone()), Some(db))).unwrap();
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
        let r = run(args(vec![dir.path().join("nope.jsonl")], None, None));
        assert!(r.is_err());
    }
}
