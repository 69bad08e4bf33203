//! Every page of `extraction-dev.jsonl.gz` (990 real web pages: news, blogs, institutional pages
//! in German, English, Chinese and others) goes through the preparation path of ingest, one JSON
//! line at a time: [`RawLines`] with the default record size limit, then [`prepare_line`] (what
//! `read_inputs` runs on each line: `parse_record`, then `RawArticle::prepare`, under the panic
//! guard). No page may panic (a caught panic is a [`RecordError::Internal`]), and no page may be
//! dropped: each one becomes an article with text or a named [`RecordError`]. The failures are
//! printed by kind.
//!
//! Run with `cargo test -p storyline-text --test extraction_pages -- --nocapture` to see the
//! summary. Skips, saying why, when the dataset is absent (CI has it in `../shared/datasets`).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use storyline_text::ingest::{prepare_line, RawLine, RawLines, DEFAULT_MAX_RECORD_BYTES};
use storyline_text::{Error, PrepareOptions, RecordError};

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
        RecordError::Internal(_) => "internal error (panic)",
    }
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
    let opts = PrepareOptions::default();
    while let Some((n, line)) = lines
        .next_line()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    {
        let id = match &line {
            RawLine::Line(buf) => page_id(buf),
            RawLine::TooLong(_) => "?".to_string(),
        };
        match prepare_line(&path, n, line, DEFAULT_MAX_RECORD_BYTES, &opts) {
            Ok(article) => {
                assert!(
                    !article.text.trim().is_empty(),
                    "line {n} ({}): prepared with an empty text",
                    article.id
                );
                prepared += 1;
            }
            Err(Error::Record {
                line: Some(l),
                reason,
                ..
            }) if l == n => failed
                .entry(kind(&reason))
                .or_default()
                .push(format!("line {n} ({id}): {reason}")),
            Err(other) => panic!("line {n} ({id}): not a record error: {other}"),
        }
    }
    let failures: usize = failed.values().map(Vec::len).sum();
    println!(
        "{DATASET}: {} pages, {prepared} prepared, {failures} failed with a record error",
        lines.records(),
    );
    for (kind, pages) in &failed {
        println!("  {kind}: {}", pages.len());
        for p in pages {
            println!("    {p}");
        }
    }
    let panics = failed
        .get("internal error (panic)")
        .map_or(&[][..], Vec::as_slice);
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
