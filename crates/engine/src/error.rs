use std::path::PathBuf;

/// Errors of the engine's jobs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Text(#[from] storyline_text::Error),
    #[error(transparent)]
    Metric(#[from] storyline_eval::Error),
    #[error(transparent)]
    Dedup(#[from] storyline_dedup::Error),
    #[cfg(feature = "embed")]
    #[error(transparent)]
    Embed(#[from] storyline_embed::Error),
    #[error("{}:{line}: {reason}", path.display())]
    BadPair {
        path: PathBuf,
        line: u64,
        reason: String,
    },
    #[error("{}: {reason}", path.display())]
    Input { path: PathBuf, reason: String },
    /// A bad record, already described (file, line, reason).
    #[error("{0}")]
    Record(String),
    #[error("stopped at the first bad record (strict mode): {0}")]
    Strict(Box<Error>),
    #[error(transparent)]
    Store(#[from] storyline_store::Error),
    /// Record `index` (0-based) of a batch is invalid; nothing of the batch was stored.
    #[error("record {index} (id {id:?}): {reason}")]
    BadRecord {
        index: usize,
        id: String,
        reason: String,
    },
    /// A stored id sent again with another title or text (`POST` never overwrites: use
    /// `PUT /v1/articles/{id}` or `Service::replace`); `stored` is the stored version.
    #[error("article {id:?} is already stored with another title or text (replace it with PUT /v1/articles/{{id}})")]
    Conflict {
        id: String,
        stored: Box<crate::service::ArticleOut>,
    },
    /// Writing a job's output failed.
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
    /// Stored service state is inconsistent or unreadable.
    #[error("corrupt service state: {0}")]
    Corrupt(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
