use std::path::PathBuf;

/// Errors of the text crate. Record-level errors name the file and the 1-based line (or the file
/// alone for one-record files) so a user can find the bad record.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}{}: {reason}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Record {
        path: PathBuf,
        /// 1-based line number for JSON Lines input; `None` for one-record files.
        line: Option<u64>,
        reason: RecordError,
    },
    #[error("{}: unsupported input (expected .jsonl/.json/.ndjson, .txt, .html/.htm or a directory)", .0.display())]
    Unsupported(PathBuf),
    #[error("{}: no article with id {id:?}", path.display())]
    NotFound { path: PathBuf, id: String },
}

/// Why one record was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("invalid UTF-8 at byte {0}")]
    InvalidUtf8(usize),
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    #[error("record is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("record has no text (neither a non-empty `text` nor `html` field)")]
    MissingText,
    #[error("record has no text left after cleaning")]
    EmptyAfterCleaning,
    #[error("file contains no records")]
    EmptyFile,
    #[error("invalid field `{field}`: {reason}")]
    InvalidField { field: &'static str, reason: String },
    /// A stage panicked on this record (a bug in Storyline, not in the input); holds the panic
    /// message. The reader goes on with the next record.
    #[error("internal error (a bug; please report it): panicked: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// True when the error concerns one record only, so a lenient reader can skip it and go on.
    pub fn is_record_error(&self) -> bool {
        matches!(self, Error::Record { .. })
    }
}
