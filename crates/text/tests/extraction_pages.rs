//! Every page of `extraction-dev.jsonl.gz` (990 real web pages: news, blogs, institutional pages
//! in German, English, Chinese and others) goes through the preparation path of ingest, one JSON
//! line at a time: [`RawLines`] with the default record size limit, [`parse_record`], then
//! [`RawArticle::prepare`]. No page may panic, and no page may be dropped: each one becomes an
//! article with text or a named [`RecordError`]. The failures are printed by kind.
//!
//! Run with `cargo test -p storyline-text --test extraction_pages -- --nocapture` to see the
//! summary. Skips, saying why, when the dataset is absent (CI has it in `../shared/datasets`).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use storyline_text::ingest::{
    default_record_id, parse_record, RawLine, RawLines, DEFAULT_MAX_RECORD_BYTES,
};
use storyline_text::{RawArticle, RecordError};

const DATASET: &str = "extraction-dev.jsonl.gz";

/// `../shared/datasets/<name>` beside the workspace root, else `/work/shared/datasets/<name>`.
fn dataset(name: &str) -> Option<PathBuf> {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets");
    let candidates = [beside, PathBuf::from("/work/shared/datasets")];
    let found = candidates.iter().map(|d| d.join(name)).find(|p| p.exists());
    if found.is_none() {
        eprintln!(
            "SKIP: {name} is absent from {} (CI provides ../shared/datasets)",
            candidates
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(" and ")
        );
    }
    found
}

/// The variant of a record error, as a stable name for the summary.
fn kind(e: &RecordError) -> &'static str {
    match e {
        RecordError::InvalidUtf8(_) => "invalid UTF-8",
        RecordError::InvalidJson(_) => "invalid JSON",
        RecordError::TooLarge { .. } => "too large",
        RecordError::MissingText => "missing text",
        RecordError::EmptyAfterCleaning => "empty after cleaning",
        RecordError::EmptyFile => "empty file",
        RecordError::InvalidField { .. } => "invalid field",
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-string panic payload)".to_string())
}

/// The `id` field of a JSON line, for naming a page in a report.
fn page_id(line: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(line)
        .ok()
        .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}

#[test]
fn every_page_prepares_or_fails_with_a_named_error() {
    let Some(path) = dataset(DATASET) else {
        return;
    };
    let file = File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = RawLines::new(
        BufReader::new(GzDecoder::new(file)),
        DEFAULT_MAX_RECORD_BYTES,
    );
    let mut prepared = 0u64;
    let mut failed: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut panics: Vec<String> = Vec::new();
    while let Some((n, line)) = lines
        .next_line()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    {
        let buf = match line {
            RawLine::Line(buf) => buf,
            RawLine::TooLong(size) => {
                failed
                    .entry("too large")
                    .or_default()
                    .push(format!("line {n}: {size} bytes"));
                continue;
            }
        };
        let id = default_record_id(&path, n);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            parse_record(&buf, id).and_then(RawArticle::prepare)
        }));
        match outcome {
            Ok(Ok(article)) => {
                assert!(
                    !article.text.trim().is_empty(),
                    "line {n} ({}): prepared with an empty text",
                    article.id
                );
                prepared += 1;
            }
            Ok(Err(e)) => failed
                .entry(kind(&e))
                .or_default()
                .push(format!("line {n} ({}): {e}", page_id(&buf))),
            Err(p) => panics.push(format!(
                "line {n} ({}): panicked: {}",
                page_id(&buf),
                panic_message(p.as_ref())
            )),
        }
    }
    let failures: usize = failed.values().map(Vec::len).sum();
    println!(
        "{DATASET}: {} pages, {prepared} prepared, {failures} failed with a record error, {} panicked",
        lines.records(),
        panics.len()
    );
    for (kind, pages) in &failed {
        println!("  {kind}: {}", pages.len());
        for p in pages {
            println!("    {p}");
        }
    }
    assert!(
        panics.is_empty(),
        "{} pages panicked:\n{}",
        panics.len(),
        panics.join("\n")
    );
    // Nothing is dropped silently: every record is counted once, prepared or failed.
    assert_eq!(prepared + failures as u64, lines.records());
    assert!(lines.records() > 0, "{}: no records", path.display());
}
