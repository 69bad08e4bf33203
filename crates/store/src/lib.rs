//! Storage layer for Storyline.
//!
//! A [`Store`] is a set of *named tables*, each an ordered map from byte keys to byte
//! values. Writes go through [`Store::write_batch`], which applies a slice of [`Op`]s as
//! one atomic transaction that is durable when the call returns (for on-disk backends).
//! Reads are point lookups ([`Store::get`]) and ordered scans ([`Store::scan`],
//! [`Store::scan_prefix`]). Higher layers (dedup signatures, LSH buckets, articles,
//! cluster state) choose their own table names and key encodings; the trait never
//! needs to change when a new kind of record is added.
//!
//! Two backends implement the trait:
//! * [`MemStore`]: a `BTreeMap` behind a lock, for tests and one-shot CLI runs.
//! * [`RedbStore`]: an on-disk [redb](https://docs.rs/redb) database; every batch is
//!   committed with `Durability::Immediate` (fsync) before `write_batch` returns.
//!
//! Both check a schema version stored in the [`META_TABLE`] on open and refuse to open
//! data written by an incompatible version ([`Error::SchemaMismatch`]).
//!
//! ```
//! use storyline_store::{MemStore, Op, Store};
//!
//! let store = MemStore::new();
//! store.write_batch(&[
//!     Op::put("articles", b"a1", b"{\"title\":\"x\"}"),
//!     Op::put("articles", b"a2", b"{\"title\":\"y\"}"),
//! ])?;
//! assert_eq!(store.get("articles", b"a1")?.as_deref(), Some(&b"{\"title\":\"x\"}"[..]));
//! let keys: Vec<Vec<u8>> = store.scan_prefix("articles", b"a")?.into_iter().map(|(k, _)| k).collect();
//! assert_eq!(keys, vec![b"a1".to_vec(), b"a2".to_vec()]);
//! # Ok::<(), storyline_store::Error>(())
//! ```

mod crash;
mod error;
mod mem;
mod redb_store;
mod txn;

pub use crash::CrashStore;
pub use error::{Error, Result};
pub use mem::MemStore;
pub use redb_store::RedbStore;
pub use txn::WriteTxn;

use std::ops::{Bound, ControlFlow};

/// Version of the on-disk layout written by this crate. Bump when a change makes old
/// files unreadable; [`RedbStore::open`] refuses files with a different version.
pub const SCHEMA_VERSION: u32 = 1;

/// Table reserved for store metadata (schema version). Applications may add their own
/// keys here as long as they do not start with `store.`.
pub const META_TABLE: &str = "meta";

/// Key of the schema version (little-endian `u32`) inside [`META_TABLE`].
pub const SCHEMA_KEY: &[u8] = b"store.schema_version";

/// One mutation inside a [`Store::write_batch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op<'a> {
    /// Insert or overwrite `key` in `table`.
    Put {
        table: &'a str,
        key: &'a [u8],
        value: &'a [u8],
    },
    /// Remove `key` from `table` (a no-op when absent).
    Delete { table: &'a str, key: &'a [u8] },
}

impl<'a> Op<'a> {
    /// Shorthand for [`Op::Put`].
    pub fn put(table: &'a str, key: &'a [u8], value: &'a [u8]) -> Self {
        Op::Put { table, key, value }
    }

    /// Shorthand for [`Op::Delete`].
    pub fn delete(table: &'a str, key: &'a [u8]) -> Self {
        Op::Delete { table, key }
    }

    /// The table this op touches.
    pub fn table(&self) -> &'a str {
        match self {
            Op::Put { table, .. } | Op::Delete { table, .. } => table,
        }
    }
}

/// Callback of [`Store::scan`]: receives `(key, value)`, returns `Break` to stop early.
pub type Visitor<'a> = dyn FnMut(&[u8], &[u8]) -> ControlFlow<()> + 'a;

/// A key range for [`Store::scan`]; bounds borrow the caller's bytes.
pub type KeyRange<'a> = (Bound<&'a [u8]>, Bound<&'a [u8]>);

/// Named tables of byte keys to byte values with atomic, durable batches.
///
/// Invariants every implementation upholds:
/// * `write_batch` is all-or-nothing: after a crash either every op of a batch is
///   visible or none is; ops inside a batch apply in order.
/// * A successful `write_batch` is durable (survives process kill; for on-disk stores,
///   power loss) when it returns.
/// * Reading a table that was never written is not an error: it is empty.
/// * Scans visit keys in ascending byte order.
pub trait Store: Send + Sync {
    /// Look up one key.
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Visit `(key, value)` pairs of `table` within `range` in ascending key order until
    /// `visit` returns [`ControlFlow::Break`].
    fn scan(&self, table: &str, range: KeyRange<'_>, visit: &mut Visitor<'_>) -> Result<()>;

    /// Apply `ops` atomically and durably.
    fn write_batch(&self, ops: &[Op<'_>]) -> Result<()>;

    /// A new, empty write transaction for this store; every component of one logical write
    /// queues into it, and [`WriteTxn::commit`] applies it as one atomic, durable batch.
    fn begin_write(&self) -> WriteTxn {
        WriteTxn::new()
    }

    /// All pairs whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, table: &str, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        let end = prefix_successor(prefix);
        let upper = match &end {
            Some(e) => Bound::Excluded(e.as_slice()),
            None => Bound::Unbounded,
        };
        self.scan(table, (Bound::Included(prefix), upper), &mut |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }

    /// Number of keys in `table` (a full scan; O(n)).
    fn count(&self, table: &str) -> Result<u64> {
        let mut n = 0u64;
        self.scan(table, (Bound::Unbounded, Bound::Unbounded), &mut |_, _| {
            n += 1;
            ControlFlow::Continue(())
        })?;
        Ok(n)
    }
}

impl<S: Store + ?Sized> Store for std::sync::Arc<S> {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        (**self).get(table, key)
    }
    fn scan(&self, table: &str, range: KeyRange<'_>, visit: &mut Visitor<'_>) -> Result<()> {
        (**self).scan(table, range, visit)
    }
    fn write_batch(&self, ops: &[Op<'_>]) -> Result<()> {
        (**self).write_batch(ops)
    }
}

impl<S: Store + ?Sized> Store for Box<S> {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        (**self).get(table, key)
    }
    fn scan(&self, table: &str, range: KeyRange<'_>, visit: &mut Visitor<'_>) -> Result<()> {
        (**self).scan(table, range, visit)
    }
    fn write_batch(&self, ops: &[Op<'_>]) -> Result<()> {
        (**self).write_batch(ops)
    }
}

/// Smallest byte string greater than every string starting with `prefix`, or `None` when
/// no such bound exists (empty prefix or all `0xFF`).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last != u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Table names must be non-empty and at most 255 bytes (a redb-friendly limit applied to
/// every backend so they behave alike).
pub(crate) fn check_table_name(table: &str) -> Result<()> {
    if table.is_empty() || table.len() > 255 {
        return Err(Error::InvalidTable(table.to_string()));
    }
    Ok(())
}

/// Validate or initialise the schema version through the trait itself.
pub(crate) fn check_schema(store: &dyn Store) -> Result<()> {
    match store.get(META_TABLE, SCHEMA_KEY)? {
        None => store.write_batch(&[Op::put(
            META_TABLE,
            SCHEMA_KEY,
            &SCHEMA_VERSION.to_le_bytes(),
        )]),
        Some(raw) => {
            let bytes: [u8; 4] = raw
                .as_slice()
                .try_into()
                .map_err(|_| Error::Corrupt(format!("schema version has {} bytes", raw.len())))?;
            let found = u32::from_le_bytes(bytes);
            if found == SCHEMA_VERSION {
                Ok(())
            } else {
                Err(Error::SchemaMismatch {
                    found,
                    expected: SCHEMA_VERSION,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_successor_cases() {
        assert_eq!(prefix_successor(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_successor(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_successor(b"\xff\xff"), None);
        assert_eq!(prefix_successor(b""), None);
    }

    #[test]
    fn op_table_accessor() {
        assert_eq!(Op::put("t", b"k", b"v").table(), "t");
        assert_eq!(Op::delete("u", b"k").table(), "u");
    }

    #[test]
    fn table_name_limits() {
        assert!(check_table_name("").is_err());
        assert!(check_table_name(&"x".repeat(256)).is_err());
        assert!(check_table_name("ok").is_ok());
    }
}
