//! Error type of the dedup crate.

/// Errors from building or using a [`crate::DedupIndex`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The underlying store failed.
    #[error("store: {0}")]
    Store(#[from] storyline_store::Error),
    /// A configuration value is out of range.
    #[error("invalid dedup configuration: {0}")]
    InvalidConfig(String),
    /// The store was built with a different configuration; signatures would not compare.
    #[error("store was built with dedup config {stored}, but {requested} was requested")]
    ConfigMismatch { stored: String, requested: String },
    /// Persisted dedup state could not be decoded.
    #[error("corrupt dedup state: {0}")]
    Corrupt(String),
    /// A previous batch failed after changing in-memory state; reopen the index.
    #[error("index is poisoned by an earlier failed batch; reopen it from the store")]
    Poisoned,
    /// More than `u32::MAX - 1` documents.
    #[error("too many documents for one index")]
    TooManyDocuments,
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_convert() {
        let e: Error = storyline_store::Error::Poisoned.into();
        assert!(e.to_string().starts_with("store:"), "{e}");
    }
}
