//! [`CrashStore`]: a store that "crashes" at the n-th durable write, for replayable crash tests.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, KeyRange, Op, Result, Store, Visitor};

/// Wraps a store and fails its `n`-th [`Store::write_batch`] and every later one, applying none
/// of them, as if the process had died right before that commit (in the style of redb's
/// `CrashBackend`). The inner store then holds exactly what was durable at the crash: reopen the
/// component over it and check its invariants. Reads keep working.
///
/// ```
/// use std::sync::Arc;
/// use storyline_store::{CrashStore, MemStore, Op, Store};
///
/// let disk = Arc::new(MemStore::new());
/// let store = CrashStore::new(disk.clone(), 2);
/// store.write_batch(&[Op::put("t", b"a", b"1")])?;
/// assert!(store.write_batch(&[Op::put("t", b"b", b"2")]).is_err());
/// assert!(store.write_batch(&[Op::put("t", b"c", b"3")]).is_err());
/// assert_eq!(disk.count("t")?, 1);
/// # Ok::<(), storyline_store::Error>(())
/// ```
#[derive(Debug)]
pub struct CrashStore<S> {
    inner: S,
    crash_at: u64,
    writes: AtomicU64,
}

impl<S: Store> CrashStore<S> {
    /// Crashes at the `crash_at`-th write (1-based; 0 never crashes).
    pub fn new(inner: S, crash_at: u64) -> CrashStore<S> {
        CrashStore {
            inner,
            crash_at,
            writes: AtomicU64::new(0),
        }
    }

    /// Writes attempted so far (the failed ones included).
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// True once the crash happened.
    pub fn crashed(&self) -> bool {
        self.crash_at > 0 && self.writes() >= self.crash_at
    }
}

impl<S: Store> Store for CrashStore<S> {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.inner.get(table, key)
    }

    fn scan(&self, table: &str, range: KeyRange<'_>, visit: &mut Visitor<'_>) -> Result<()> {
        self.inner.scan(table, range, visit)
    }

    fn write_batch(&self, ops: &[Op<'_>]) -> Result<()> {
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        if self.crash_at > 0 && n >= self.crash_at {
            return Err(Error::Crashed { write: n });
        }
        self.inner.write_batch(ops)
    }
}
