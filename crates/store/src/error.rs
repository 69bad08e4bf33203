//! Error type of the store crate.

/// Errors returned by every [`crate::Store`] backend.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The redb backend failed (I/O, corruption, lock held by another process, ...).
    #[error("redb: {0}")]
    Redb(#[from] redb::Error),
    /// The file was written by a different, incompatible schema version.
    #[error("schema version mismatch: store has version {found}, this build expects {expected}")]
    SchemaMismatch { found: u32, expected: u32 },
    /// Metadata could not be decoded.
    #[error("corrupt store metadata: {0}")]
    Corrupt(String),
    /// Table names must be 1..=255 bytes.
    #[error("invalid table name {0:?}")]
    InvalidTable(String),
    /// A [`crate::CrashStore`] refused this write: the simulated crash (tests only).
    #[error("simulated crash at write {write}")]
    Crashed { write: u64 },
    /// A previous writer panicked while holding the lock (in-memory store).
    #[error("store lock poisoned")]
    Poisoned,
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Error::Redb(e.into())
            }
        }
    )*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_mention_versions() {
        let e = Error::SchemaMismatch {
            found: 7,
            expected: 1,
        };
        let s = e.to_string();
        assert!(s.contains('7') && s.contains('1'), "{s}");
    }
}
