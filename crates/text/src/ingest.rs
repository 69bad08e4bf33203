//! Streaming readers for JSON Lines, directories of `.txt`/`.html` files, and single files.
//!
//! Memory stays constant in the number of records: JSON Lines are read one line at a time, and a
//! line over the size limit is skipped without being held in memory. Every bad record becomes an
//! [`Error::Record`] naming the file and line; the iterator then goes on with the next record.
//! Each record's parsing and preparation runs under [`guard_record`], so a panic on one record (a
//! bug) becomes that record's [`RecordError::Internal`] instead of ending the whole read. A
//! `date` field that cannot be read does not reject its record: the article is kept undated and
//! a warning naming the file and line goes to stderr.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::article::{Article, PrepareOptions, Prepared, RawArticle};
use crate::error::{Error, RecordError, Result};

/// By default, records over 2 MiB are rejected.
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 2 * 1024 * 1024;

/// Options for [`read_inputs`].
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Records larger than this (bytes of one JSON line or one file) are rejected.
    pub max_record_bytes: u64,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

/// The kind of one input path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Jsonl,
    Text,
    Html,
    Dir,
}

/// Classifies a path by its extension (directories are [`InputKind::Dir`]).
pub fn input_kind(path: &Path) -> Result<InputKind> {
    if path.is_dir() {
        return Ok(InputKind::Dir);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "jsonl" | "json" | "ndjson" => Ok(InputKind::Jsonl),
        "txt" | "text" => Ok(InputKind::Text),
        "html" | "htm" => Ok(InputKind::Html),
        _ if path == Path::new("-") => Ok(InputKind::Jsonl),
        _ => Err(Error::Unsupported(path.to_path_buf())),
    }
}

/// Streams articles from several inputs in order. Path-level problems (missing file, unsupported
/// type) are returned up front; record-level problems come through the iterator.
///
/// A directory input reads the `.txt` and `.html` files in it and in its subdirectories, in path
/// order. What it skips is named on stderr (`warning: skipping PATH: why`): files of other types,
/// entries that cannot be read (a broken symlink), and a symlinked directory that leads back to
/// one of its ancestors (a loop) or to a directory already read.
pub fn read_inputs(paths: &[PathBuf], opts: &IngestOptions) -> Result<Articles> {
    let mut sources = Vec::new();
    for p in paths {
        match input_kind(p)? {
            InputKind::Dir => {
                sources.extend(dir_files(p, &mut |w| eprintln!("warning: skipping {w}"))?);
            }
            _ => {
                if p != Path::new("-") && !p.exists() {
                    return Err(Error::io(
                        p,
                        std::io::Error::from(std::io::ErrorKind::NotFound),
                    ));
                }
                sources.push(p.clone());
            }
        }
    }
    Ok(Articles {
        sources: sources.into_iter(),
        current: None,
        opts: opts.clone(),
    })
}

/// The `.txt` and `.html` files under `dir` (recursively), sorted by path. Each skipped entry is
/// passed to `skipped` as `PATH: reason`. Only `dir` itself failing to open is an error.
fn dir_files(dir: &Path, skipped: &mut dyn FnMut(&str)) -> Result<Vec<PathBuf>> {
    let root = std::fs::canonicalize(dir).map_err(|e| Error::io(dir, e))?;
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut walk = DirWalk {
        ancestors: vec![root.clone()],
        seen: std::collections::HashSet::from([root]),
        files: Vec::new(),
        skipped,
    };
    walk.entries(dir, entries);
    let mut files = walk.files;
    files.sort();
    Ok(files)
}

/// State of [`dir_files`]: the canonical paths of the directories being read (to tell a loop) and
/// of all directories read so far (to read each once).
struct DirWalk<'a> {
    ancestors: Vec<PathBuf>,
    seen: std::collections::HashSet<PathBuf>,
    files: Vec<PathBuf>,
    skipped: &'a mut dyn FnMut(&str),
}

impl DirWalk<'_> {
    fn entries(&mut self, dir: &Path, entries: std::fs::ReadDir) {
        let mut paths = Vec::new();
        for entry in entries {
            match entry {
                Ok(e) => paths.push(e.path()),
                Err(e) => (self.skipped)(&format!("an entry of {}: {e}", dir.display())),
            }
        }
        paths.sort();
        for path in paths {
            self.entry(path);
        }
    }

    fn entry(&mut self, path: PathBuf) {
        // `metadata` follows symlinks: a symlinked file or directory counts as what it points to.
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => return self.skip(&path, &format!("cannot read it ({e})")),
        };
        if !meta.is_dir() {
            match input_kind(&path) {
                Ok(InputKind::Text | InputKind::Html) => self.files.push(path),
                _ => self.skip(
                    &path,
                    "unsupported file type (directories are read for .txt and .html files)",
                ),
            }
            return;
        }
        let canonical = match std::fs::canonicalize(&path) {
            Ok(c) => c,
            Err(e) => return self.skip(&path, &format!("cannot resolve it ({e})")),
        };
        if self.ancestors.contains(&canonical) {
            let why = format!("symlink loop (it leads back to {})", canonical.display());
            return self.skip(&path, &why);
        }
        if !self.seen.insert(canonical.clone()) {
            let why = format!("{} was already read", canonical.display());
            return self.skip(&path, &why);
        }
        match std::fs::read_dir(&path) {
            Ok(entries) => {
                self.ancestors.push(canonical);
                self.entries(&path, entries);
                self.ancestors.pop();
            }
            Err(e) => self.skip(&path, &format!("cannot read it ({e})")),
        }
    }

    fn skip(&mut self, path: &Path, why: &str) {
        (self.skipped)(&format!("{}: {why}", path.display()));
    }
}

/// Iterator over the articles of several inputs; see [`read_inputs`].
pub struct Articles {
    sources: std::vec::IntoIter<PathBuf>,
    current: Option<JsonlReader<Box<dyn BufRead>>>,
    opts: IngestOptions,
}

impl Iterator for Articles {
    type Item = Result<Article>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = &mut self.current {
                match r.next() {
                    Some(item) => return Some(item),
                    None => self.current = None,
                }
            }
            let path = self.sources.next()?;
            match input_kind(&path) {
                Ok(InputKind::Jsonl) => match open_jsonl(&path, &self.opts) {
                    Ok(r) => self.current = Some(r),
                    Err(e) => return Some(Err(e)),
                },
                Ok(kind) => return Some(read_single(&path, kind, &self.opts)),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

fn open_jsonl(path: &Path, opts: &IngestOptions) -> Result<JsonlReader<Box<dyn BufRead>>> {
    let reader: Box<dyn BufRead> = if path == Path::new("-") {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let f = File::open(path).map_err(|e| Error::io(path, e))?;
        Box::new(BufReader::with_capacity(1 << 16, f))
    };
    Ok(JsonlReader::new(
        reader,
        path.to_path_buf(),
        opts.max_record_bytes,
    ))
}

/// Reads one `.txt` or `.html` file as one article whose id is the file stem.
fn read_single(path: &Path, kind: InputKind, opts: &IngestOptions) -> Result<Article> {
    let record_err = |reason| Error::Record {
        path: path.to_path_buf(),
        line: None,
        reason,
    };
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    f.take(opts.max_record_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > opts.max_record_bytes {
        let size = std::fs::metadata(path)
            .map(|m| m.len())
            .unwrap_or(bytes.len() as u64);
        return Err(record_err(RecordError::TooLarge {
            size,
            limit: opts.max_record_bytes,
        }));
    }
    if bytes.starts_with(UTF8_BOM) {
        bytes.drain(..UTF8_BOM.len());
    }
    let content = String::from_utf8(bytes)
        .map_err(|e| record_err(RecordError::InvalidUtf8(e.utf8_error().valid_up_to())))?;
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut raw = RawArticle {
        id,
        ..RawArticle::default()
    };
    if kind == InputKind::Html {
        raw.html = Some(content);
    } else {
        raw.text = Some(content);
    }
    let prepared = guard_record(|| raw.prepare_reporting(&PrepareOptions::default()));
    Ok(warn_date(
        prepared.map_err(record_err)?,
        &path.display().to_string(),
    ))
}

/// The article of `prepared`, after naming its date warning, if any, on stderr (`at` is the
/// record's `file` or `file:line`).
fn warn_date(prepared: Prepared, at: &str) -> Article {
    if let Some(w) = &prepared.date_warning {
        eprintln!("warning: {at}: {w}");
    }
    prepared.article
}

/// Runs one record's stage (parsing, preparation) so that a panic in it becomes
/// [`RecordError::Internal`] with the panic message: one bad record never ends a whole read. The
/// panic is still reported on stderr by the panic hook, with its source location.
pub fn guard_record<T>(
    stage: impl FnOnce() -> std::result::Result<T, RecordError>,
) -> std::result::Result<T, RecordError> {
    // Unwind safety: a stage owns or only reads its record, and the shared state it touches
    // (the analyzer cache, a Mutex, and per-thread stem caches) stays valid after a panic.
    catch_unwind(AssertUnwindSafe(stage))
        .unwrap_or_else(|payload| Err(RecordError::Internal(panic_message(payload.as_ref()))))
}

/// The message of a panic payload (`panic!` with a literal or with format arguments).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}

/// One line of a JSON Lines file, read by [`RawLines`], parsed and prepared exactly as
/// [`read_inputs`] does: under [`guard_record`], with errors naming `path` and `line`, and the
/// default id [`default_record_id`], and a date field that cannot be read named on stderr (the
/// article is kept undated; see [`RawArticle::prepare_reporting`]). For callers that prepare
/// chunks of lines in parallel ([`RawLines::next_chunk`]); `limit` is the one the lines were
/// read with.
pub fn prepare_line(
    path: &Path,
    line: u64,
    raw: RawLine,
    limit: u64,
    opts: &PrepareOptions,
) -> Result<Article> {
    let result = match raw {
        RawLine::TooLong(size) => Err(RecordError::TooLarge { size, limit }),
        RawLine::Line(bytes) => guard_record(|| {
            parse_record(&bytes, default_record_id(path, line))?.prepare_reporting(opts)
        }),
    };
    match result {
        Ok(prepared) => Ok(warn_date(prepared, &format!("{}:{line}", path.display()))),
        Err(reason) => Err(Error::Record {
            path: path.to_path_buf(),
            line: Some(line),
            reason,
        }),
    }
}

/// The UTF-8 byte order mark, which some editors write at the start of a file; it is stripped
/// from the start of a JSON Lines input and of a `.txt`/`.html` file.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// One non-blank line of a JSON Lines input, as read by [`RawLines`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawLine {
    /// The line's bytes, without its newline (and without a `\r` before it).
    Line(Vec<u8>),
    /// The line was longer than the limit and was skipped without being kept; holds its length
    /// in bytes (without the newline).
    TooLong(u64),
}

/// Size-limited line reader for JSON Lines: yields the non-blank lines of a `BufRead` with
/// their 1-based line numbers. A UTF-8 byte order mark at the start of the input is dropped
/// (it does not count toward the first line's limit). A line over the limit is skipped as it is
/// read, so memory stays bounded by the limit whatever the input. Shared by [`JsonlReader`] and by callers that parse
/// records in parallel (read a chunk with [`RawLines::next_chunk`], then prepare each line with
/// [`prepare_line`], or parse it with [`parse_record`] under [`guard_record`]).
#[derive(Debug)]
pub struct RawLines<R> {
    reader: R,
    limit: u64,
    line_no: u64,
    records: u64,
}

impl<R: BufRead> RawLines<R> {
    /// Reads `reader`; lines over `limit` bytes become [`RawLine::TooLong`].
    pub fn new(reader: R, limit: u64) -> Self {
        RawLines {
            reader,
            limit,
            line_no: 0,
            records: 0,
        }
    }

    /// Non-blank lines read so far (over-long lines included): the records of the input.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The next non-blank line and its 1-based number; `None` at the end of the input.
    pub fn next_line(&mut self) -> std::io::Result<Option<(u64, RawLine)>> {
        loop {
            let mut buf = Vec::new();
            let first = self.line_no == 0;
            // The first line may hold a byte order mark on top of the limit.
            let limit = self
                .limit
                .saturating_add(if first { UTF8_BOM.len() as u64 } else { 0 });
            let Some(mut total) = self.read_line(&mut buf, limit)? else {
                return Ok(None);
            };
            self.line_no += 1;
            if first && buf.starts_with(UTF8_BOM) {
                buf.drain(..UTF8_BOM.len());
                total -= UTF8_BOM.len() as u64;
            }
            if total > self.limit {
                self.records += 1;
                return Ok(Some((self.line_no, RawLine::TooLong(total))));
            }
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.records += 1;
            return Ok(Some((self.line_no, RawLine::Line(buf))));
        }
    }

    /// Up to `n` next non-blank lines; empty at the end of the input.
    pub fn next_chunk(&mut self, n: usize) -> std::io::Result<Vec<(u64, RawLine)>> {
        let mut out = Vec::with_capacity(n.min(1 << 16));
        while out.len() < n {
            match self.next_line()? {
                Some(line) => out.push(line),
                None => break,
            }
        }
        Ok(out)
    }

    /// Reads one line into `buf` (cleared first; left empty when the line is over `limit`).
    /// Returns the line's length without the newline, or `None` at the end of the input.
    fn read_line(&mut self, buf: &mut Vec<u8>, limit: u64) -> std::io::Result<Option<u64>> {
        buf.clear();
        let mut total: u64 = 0;
        let mut any = false;
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (part, found_newline) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (&chunk[..i], true),
                None => (chunk, false),
            };
            total += part.len() as u64;
            if total <= limit {
                buf.extend_from_slice(part);
            }
            let used = part.len() + usize::from(found_newline);
            self.reader.consume(used);
            if found_newline {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if total > limit {
            buf.clear();
        }
        Ok(Some(total))
    }
}

/// A JSON Lines reader over any `BufRead`, yielding one article per non-blank line.
pub struct JsonlReader<R> {
    lines: RawLines<R>,
    path: PathBuf,
    done: bool,
}

impl<R: BufRead> JsonlReader<R> {
    pub fn new(reader: R, path: PathBuf, limit: u64) -> Self {
        JsonlReader {
            lines: RawLines::new(reader, limit),
            path,
            done: false,
        }
    }
}

/// The id given to a JSON Lines record without one: `<file stem>:<line>`.
pub fn default_record_id(path: &Path, line: u64) -> String {
    format!(
        "{}:{line}",
        path.file_stem()
            .map(|s| s.to_string_lossy())
            .unwrap_or_default()
    )
}

impl<R: BufRead> Iterator for JsonlReader<R> {
    type Item = Result<Article>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let line = match self.lines.next_line() {
            Ok(l) => l,
            Err(e) => {
                self.done = true;
                return Some(Err(Error::io(&self.path, e)));
            }
        };
        match line {
            None => {
                self.done = true;
                if self.lines.records() == 0 {
                    return Some(Err(Error::Record {
                        path: self.path.clone(),
                        line: None,
                        reason: RecordError::EmptyFile,
                    }));
                }
                None
            }
            Some((n, raw)) => Some(prepare_line(
                &self.path,
                n,
                raw,
                self.lines.limit,
                &PrepareOptions::default(),
            )),
        }
    }
}

/// Parses one JSON Lines record. Recognised fields: `id`, `title`, `text`, `html`, `url`, `date` or
/// `published`, `lang` (or `language`), `source`; other scalar fields go to [`Article::extra`].
pub fn parse_record(
    bytes: &[u8],
    default_id: String,
) -> std::result::Result<RawArticle, RecordError> {
    let s = std::str::from_utf8(bytes).map_err(|e| RecordError::InvalidUtf8(e.valid_up_to()))?;
    let value: Value =
        serde_json::from_str(s).map_err(|e| RecordError::InvalidJson(e.to_string()))?;
    record_from_value(value, default_id)
}

/// [`parse_record`] for an already parsed JSON value (e.g. one element of an API request).
pub fn record_from_value(
    value: Value,
    default_id: String,
) -> std::result::Result<RawArticle, RecordError> {
    let Value::Object(map) = value else {
        return Err(RecordError::InvalidJson("expected a JSON object".into()));
    };
    let mut raw = RawArticle {
        id: default_id,
        ..RawArticle::default()
    };
    for (k, v) in map {
        let field = match k.as_str() {
            "id" => &mut raw.id,
            _ => {
                let slot = match k.as_str() {
                    "title" | "headline" => &mut raw.title,
                    "text" | "body" | "content" => &mut raw.text,
                    "html" => &mut raw.html,
                    "url" | "link" => &mut raw.url,
                    "date" | "published" | "published_at" | "pub_date" => &mut raw.date,
                    "lang" | "language" => &mut raw.lang,
                    "source" => &mut raw.source,
                    _ => {
                        if let Some(s) = scalar(&v) {
                            raw.extra.insert(k, s);
                        }
                        continue;
                    }
                };
                if slot.is_none() {
                    *slot = optional_string(&k, v)?;
                }
                continue;
            }
        };
        match scalar(&v) {
            Some(s) if !s.is_empty() => *field = s,
            _ => {
                return Err(RecordError::InvalidField {
                    field: "id",
                    reason: "must be a non-empty string or number".into(),
                })
            }
        }
    }
    Ok(raw)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn optional_string(key: &str, v: Value) -> std::result::Result<Option<String>, RecordError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) if matches!(key, "date" | "published" | "published_at" | "pub_date") => {
            Ok(Some(n.to_string()))
        }
        other => Err(RecordError::InvalidField {
            field: static_field(key),
            reason: format!("expected a string, found {}", type_name(&other)),
        }),
    }
}

fn static_field(key: &str) -> &'static str {
    const FIELDS: [&str; 16] = [
        "title",
        "headline",
        "text",
        "body",
        "content",
        "html",
        "url",
        "link",
        "date",
        "published",
        "published_at",
        "pub_date",
        "lang",
        "language",
        "source",
        "id",
    ];
    FIELDS
        .iter()
        .find(|f| **f == key)
        .copied()
        .unwrap_or("field")
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Finds the article with a given id in one input (JSON Lines, or a `.txt`/`.html` file whose stem
/// is the id). Bad records before it are skipped.
pub fn find_article(path: &Path, id: &str, opts: &IngestOptions) -> Result<Article> {
    for item in read_inputs(&[path.to_path_buf()], opts)? {
        match item {
            Ok(a) if a.id == id => return Ok(a),
            Ok(_) => {}
            Err(e) if e.is_record_error() => {}
            Err(e) => return Err(e),
        }
    }
    Err(Error::NotFound {
        path: path.to_path_buf(),
        id: id.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn reader(input: &[u8], limit: u64) -> JsonlReader<Cursor<Vec<u8>>> {
        JsonlReader::new(
            Cursor::new(input.to_vec()),
            PathBuf::from("in.jsonl"),
            limit,
        )
    }

    const GOOD: &str = r#"{"id": "a1", "title": "Strike ends", "text": "Dock workers returned to work on Tuesday after a deal.", "date": "2024-03-19", "event": "e1", "n": 3}"#;

    #[test]
    fn reads_good_records_and_keeps_extra_fields() {
        let input = format!("{GOOD}\n\n{}\n", GOOD.replace("a1", "a2"));
        let got: Vec<_> = reader(input.as_bytes(), 1 << 20).collect();
        assert_eq!(got.len(), 2);
        let a = got[0].as_ref().unwrap();
        assert_eq!(a.id, "a1");
        assert_eq!(a.title.as_deref(), Some("Strike ends"));
        assert_eq!(a.extra.get("event").map(String::as_str), Some("e1"));
        assert_eq!(a.extra.get("n").map(String::as_str), Some("3"));
    }

    #[test]
    fn bad_records_are_reported_with_line_numbers_and_skipped() {
        let long = format!(r#"{{"id": "big", "text": "{}"}}"#, "x ".repeat(1000));
        let mut input = Vec::new();
        input.extend_from_slice(b"{not json}\n");
        input.extend_from_slice(b"{\"id\": \"u\", \"text\": \"caf\xff\"}\n");
        input.extend_from_slice(long.as_bytes());
        input.push(b'\n');
        input.extend_from_slice(b"{\"id\": \"m\"}\n");
        input.extend_from_slice(b"[1, 2]\n");
        input.extend_from_slice(b"{\"id\": \"t\", \"text\": 5}\n");
        input.extend_from_slice(GOOD.as_bytes());
        let got: Vec<_> = reader(&input, 500).collect();
        assert_eq!(got.len(), 7);
        let msgs: Vec<String> = got[..6]
            .iter()
            .map(|r| r.as_ref().unwrap_err().to_string())
            .collect();
        assert!(
            msgs[0].starts_with("in.jsonl:1: invalid JSON"),
            "{}",
            msgs[0]
        );
        assert!(
            msgs[1].starts_with("in.jsonl:2: invalid UTF-8"),
            "{}",
            msgs[1]
        );
        assert!(
            msgs[2].starts_with("in.jsonl:3: record is 2"),
            "{}",
            msgs[2]
        );
        assert!(
            msgs[2].ends_with("over the limit of 500 bytes"),
            "{}",
            msgs[2]
        );
        assert!(
            msgs[3].starts_with("in.jsonl:4: record has no text"),
            "{}",
            msgs[3]
        );
        assert!(msgs[4].contains("expected a JSON object"), "{}", msgs[4]);
        assert!(msgs[5].contains("invalid field `text`"), "{}", msgs[5]);
        assert_eq!(got[6].as_ref().unwrap().id, "a1");
    }

    #[test]
    fn raw_lines_number_lines_skip_blanks_and_bound_long_ones() {
        let input = b"{\"a\":1}\r\n\n  \n0123456789abc\n{\"b\":2}";
        let mut lines = RawLines::new(Cursor::new(input.to_vec()), 10);
        let chunk = lines.next_chunk(2).unwrap();
        assert_eq!(
            chunk,
            vec![
                (1, RawLine::Line(b"{\"a\":1}".to_vec())),
                (4, RawLine::TooLong(13)),
            ]
        );
        assert_eq!(
            lines.next_chunk(5).unwrap(),
            vec![(5, RawLine::Line(b"{\"b\":2}".to_vec()))]
        );
        assert!(lines.next_chunk(5).unwrap().is_empty());
        assert_eq!(lines.records(), 3);
    }

    #[test]
    fn empty_input_is_an_error_record() {
        let got: Vec<_> = reader(b"", 100).collect();
        assert_eq!(got.len(), 1);
        assert!(got[0]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("no records"));
        let got: Vec<_> = reader(b"\n \n", 100).collect();
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn an_unreadable_date_keeps_the_record_undated() {
        let input = GOOD.replace("2024-03-19", "sometime in spring");
        let got: Vec<_> = reader(input.as_bytes(), 1 << 20).collect();
        let a = got[0].as_ref().unwrap();
        assert_eq!((a.id.as_str(), a.published), ("a1", None));
        let input = GOOD.replace("2024-03-19", "19. März 2024 um 10:00 Uhr");
        let got: Vec<_> = reader(input.as_bytes(), 1 << 20).collect();
        let when = got[0].as_ref().unwrap().published.unwrap();
        assert_eq!(when.to_rfc3339(), "2024-03-19T00:00:00+00:00");
    }

    #[test]
    fn missing_id_gets_file_and_line() {
        let got: Vec<_> =
            reader(b"{\"text\": \"An article without an id at all.\"}\n", 1000).collect();
        assert_eq!(got[0].as_ref().unwrap().id, "in:1");
    }

    #[test]
    fn reads_directories_and_single_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("b.txt"),
            "Title here\nA body sentence about the port strike.",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("a.html"),
            "<html><body><p>An HTML article body about the port strike in Rotterdam.</p></body></html>",
        )
        .unwrap();
        std::fs::write(dir.path().join("skip.bin"), [0u8, 1, 2]).unwrap();
        let got: Vec<Article> = read_inputs(&[dir.path().to_path_buf()], &IngestOptions::default())
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            got.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
            vec!["a", "b"]
        );
        assert!(got[0].text.contains("Rotterdam"));
        assert_eq!(got[1].title.as_deref(), Some("Title here"));
        assert!(matches!(
            read_inputs(&[dir.path().join("skip.bin")], &IngestOptions::default()),
            Err(Error::Unsupported(_))
        ));
        assert!(read_inputs(
            &[dir.path().join("missing.jsonl")],
            &IngestOptions::default()
        )
        .is_err());
    }

    #[test]
    fn a_panic_becomes_that_records_internal_error_and_reading_goes_on() {
        let _hook = crate::article::tests::inject_panic("boom");
        let input = format!(
            "{GOOD}\n{}\n{}\n",
            GOOD.replace("a1", "boom"),
            GOOD.replace("a1", "a3")
        );
        let got: Vec<_> = reader(input.as_bytes(), 1 << 20).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].as_ref().unwrap().id, "a1");
        assert_eq!(got[2].as_ref().unwrap().id, "a3");
        match &got[1] {
            Err(Error::Record {
                path,
                line: Some(2),
                reason: RecordError::Internal(msg),
            }) => {
                assert_eq!(path, Path::new("in.jsonl"));
                assert_eq!(msg, "injected panic for record \"boom\"");
            }
            other => panic!("expected an internal error on line 2, got {other:?}"),
        }
        let shown = got[1].as_ref().unwrap_err().to_string();
        assert_eq!(
            shown,
            "in.jsonl:2: internal error (a bug; please report it): panicked: \
             injected panic for record \"boom\""
        );
        assert!(got[1].as_ref().unwrap_err().is_record_error());
    }

    #[test]
    fn the_panic_guard_covers_files_directories_and_prepare_line() {
        let _hook = crate::article::tests::inject_panic("boom");
        let dir = tempfile::tempdir().unwrap();
        let body = "A body sentence about the port strike in Rotterdam.";
        std::fs::write(dir.path().join("boom.txt"), body).unwrap();
        std::fs::write(dir.path().join("calm.txt"), body).unwrap();
        let jsonl = dir.path().join("in.jsonl");
        std::fs::write(&jsonl, format!("{}\n", GOOD.replace("a1", "boom"))).unwrap();
        let got: Vec<_> = read_inputs(
            &[dir.path().to_path_buf(), jsonl.clone()],
            &IngestOptions::default(),
        )
        .unwrap()
        .collect();
        assert_eq!(got.len(), 3);
        assert!(matches!(
            &got[0],
            Err(Error::Record { path, line: None, reason: RecordError::Internal(_) })
                if path.ends_with("boom.txt")
        ));
        assert_eq!(got[1].as_ref().unwrap().id, "calm");
        assert!(matches!(
            &got[2],
            Err(Error::Record { path, line: Some(1), reason: RecordError::Internal(_) })
                if *path == jsonl
        ));
        let line = RawLine::Line(GOOD.replace("a1", "boom").into_bytes());
        let e = prepare_line(&jsonl, 7, line, 1 << 20, &PrepareOptions::default()).unwrap_err();
        assert!(e.to_string().ends_with("in.jsonl:7: internal error (a bug; please report it): panicked: injected panic for record \"boom\""), "{e}");
        // Without the injected panic the same record prepares.
        drop(_hook);
        let line = RawLine::Line(GOOD.replace("a1", "boom").into_bytes());
        assert!(prepare_line(&jsonl, 7, line, 1 << 20, &PrepareOptions::default()).is_ok());
    }

    #[test]
    fn guard_record_keeps_results_and_reads_both_panic_payloads() {
        assert_eq!(guard_record(|| Ok(3)), Ok(3));
        assert_eq!(
            guard_record::<()>(|| Err(RecordError::MissingText)),
            Err(RecordError::MissingText)
        );
        assert_eq!(
            guard_record::<()>(|| panic!("plain")),
            Err(RecordError::Internal("plain".into()))
        );
        let n = 10;
        assert_eq!(
            guard_record::<()>(|| panic!("index {n} out of range")),
            Err(RecordError::Internal("index 10 out of range".into()))
        );
        assert_eq!(
            guard_record::<()>(|| std::panic::panic_any(5u8)),
            Err(RecordError::Internal("(no message)".into()))
        );
    }

    #[test]
    fn a_byte_order_mark_starting_a_jsonl_input_is_dropped() {
        let input = format!("\u{feff}{GOOD}\n{}\n", GOOD.replace("a1", "a2"));
        let got: Vec<_> = reader(input.as_bytes(), 1 << 20).collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].as_ref().unwrap().id, "a1");
        assert_eq!(got[1].as_ref().unwrap().id, "a2");
        // The mark does not count toward the limit of the first line.
        let mut lines = RawLines::new(Cursor::new(b"\xEF\xBB\xBF{\"a\":1}\n".to_vec()), 7);
        assert_eq!(
            lines.next_line().unwrap(),
            Some((1, RawLine::Line(b"{\"a\":1}".to_vec())))
        );
        // A mark alone is a blank line; a mark further on is the record's own (bad) content.
        let got: Vec<_> = reader(b"\xEF\xBB\xBF\n", 100).collect();
        assert!(got[0]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("no records"));
        let input = format!("{GOOD}\n\u{feff}{GOOD}\n");
        let got: Vec<_> = reader(input.as_bytes(), 1 << 20).collect();
        assert!(got[0].is_ok());
        assert!(got[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("invalid JSON"));
    }

    #[test]
    fn a_byte_order_mark_starting_a_text_or_html_file_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let jsonl = dir.path().join("bom.jsonl");
        std::fs::write(&jsonl, format!("\u{feff}{GOOD}\n")).unwrap();
        let txt = dir.path().join("bom.txt");
        std::fs::write(
            &txt,
            "\u{feff}Title here\nA body sentence about the port strike.",
        )
        .unwrap();
        let html = dir.path().join("bom.html");
        std::fs::write(
            &html,
            "\u{feff}<!doctype html><html><head><title>Port strike</title></head><body>\
             <p>An HTML article body about the port strike in Rotterdam.</p></body></html>",
        )
        .unwrap();
        let got: Vec<Article> = read_inputs(&[jsonl, txt, html], &IngestOptions::default())
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(got[0].id, "a1");
        assert_eq!(got[1].title.as_deref(), Some("Title here"));
        assert!(!got[1].text.contains('\u{feff}'));
        assert_eq!(got[2].title.as_deref(), Some("Port strike"));
        assert!(got[2].text.contains("Rotterdam"), "{}", got[2].text);
        // (Cleaning drops U+FEFF anyway; reading drops the mark first, so a file that holds
        // nothing else is an empty file, not one emptied by cleaning.)
        let only = dir.path().join("only.txt");
        std::fs::write(&only, "\u{feff}").unwrap();
        let got: Vec<_> = read_inputs(&[only], &IngestOptions::default())
            .unwrap()
            .collect();
        assert!(matches!(
            got[0],
            Err(Error::Record {
                reason: RecordError::MissingText,
                ..
            })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn directories_are_read_recursively_naming_what_they_skip() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let body = "A body sentence about the port strike in Rotterdam.";
        std::fs::write(root.join("a.txt"), body).unwrap();
        std::fs::write(root.join("skip.bin"), [0u8, 1, 2]).unwrap();
        std::fs::write(root.join("notes.md"), body).unwrap();
        std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
        std::fs::write(root.join("sub/b.html"), format!("<p>{body}</p>")).unwrap();
        std::fs::write(root.join("sub/deeper/c.txt"), body).unwrap();
        symlink(root, root.join("sub/deeper/up")).unwrap(); // a loop to the root
        symlink(root.join("sub"), root.join("sub/me")).unwrap(); // a loop to itself
        symlink(root.join("sub"), root.join("zalias")).unwrap(); // `sub` a second time
        symlink(root.join("missing.txt"), root.join("gone.txt")).unwrap(); // broken
        symlink(root.join("a.txt"), root.join("linked.txt")).unwrap(); // a file: read

        let mut skipped = Vec::new();
        let files = dir_files(root, &mut |w| skipped.push(w.to_string())).unwrap();
        let rel: Vec<String> = files
            .iter()
            .map(|f| f.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(
            rel,
            vec!["a.txt", "linked.txt", "sub/b.html", "sub/deeper/c.txt"]
        );
        let named = |p: &str, why: &str| {
            let p = root.join(p).display().to_string();
            skipped
                .iter()
                .any(|w| w.starts_with(&format!("{p}: ")) && w.contains(why))
        };
        assert_eq!(skipped.len(), 6, "{skipped:#?}");
        assert!(named("gone.txt", "cannot read it"), "{skipped:#?}");
        assert!(named("notes.md", "unsupported file type"), "{skipped:#?}");
        assert!(named("skip.bin", "unsupported file type"), "{skipped:#?}");
        assert!(named("sub/deeper/up", "symlink loop"), "{skipped:#?}");
        assert!(named("sub/me", "symlink loop"), "{skipped:#?}");
        assert!(named("zalias", "was already read"), "{skipped:#?}");

        // The reader goes through the loop without failing, reading each file once.
        let got: Vec<Article> = read_inputs(&[root.to_path_buf()], &IngestOptions::default())
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let ids: Vec<&str> = got.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, vec!["a", "linked", "b", "c"]);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000)) {
            for r in reader(&bytes, 300) {
                let _ = r;
            }
        }
    }
}
