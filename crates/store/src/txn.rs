//! [`WriteTxn`]: one atomic, durable write that several components fill before it commits.

use crate::{Op, Result, Store};

/// A write transaction: the puts and deletes of every component that takes part in one
/// logical write (articles, dedup records, cluster state), applied by [`WriteTxn::commit`] as
/// one [`Store::write_batch`] — all of them or none, durable when `commit` returns.
///
/// Reads through the store do not see a transaction's own writes before it commits: components
/// keep what they wrote in the current transaction in memory (the dedup index does).
///
/// ```
/// use storyline_store::{MemStore, Store};
///
/// let store = MemStore::new();
/// let mut txn = store.begin_write();
/// txn.put("articles", b"a1", b"first");
/// txn.put("order", &0u64.to_be_bytes(), b"a1");
/// assert!(store.get("articles", b"a1")?.is_none(), "nothing is visible before the commit");
/// txn.commit(&store)?;
/// assert_eq!(store.get("articles", b"a1")?.as_deref(), Some(&b"first"[..]));
/// # Ok::<(), storyline_store::Error>(())
/// ```
#[derive(Debug, Default)]
#[must_use = "a write transaction does nothing until it is committed"]
pub struct WriteTxn {
    ops: Vec<(String, Vec<u8>, Option<Vec<u8>>)>,
}

impl WriteTxn {
    /// An empty transaction (also [`Store::begin_write`]).
    pub fn new() -> WriteTxn {
        WriteTxn::default()
    }

    /// Inserts or overwrites `key` in `table`.
    pub fn put(&mut self, table: &str, key: &[u8], value: &[u8]) {
        self.ops
            .push((table.to_string(), key.to_vec(), Some(value.to_vec())));
    }

    /// Puts an owned value (saves a copy of a freshly encoded record).
    pub fn put_owned(&mut self, table: &str, key: Vec<u8>, value: Vec<u8>) {
        self.ops.push((table.to_string(), key, Some(value)));
    }

    /// Removes `key` from `table` (a no-op when absent).
    pub fn delete(&mut self, table: &str, key: &[u8]) {
        self.ops.push((table.to_string(), key.to_vec(), None));
    }

    /// Number of queued puts and deletes.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The queued operations, in order.
    pub fn ops(&self) -> Vec<Op<'_>> {
        self.ops
            .iter()
            .map(|(t, k, v)| match v {
                Some(v) => Op::put(t, k, v),
                None => Op::delete(t, k),
            })
            .collect()
    }

    /// Applies every queued operation to `store` in one atomic, durable batch. An empty
    /// transaction writes nothing.
    pub fn commit(self, store: &(impl Store + ?Sized)) -> Result<()> {
        if self.ops.is_empty() {
            return Ok(());
        }
        store.write_batch(&self.ops())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemStore;

    #[test]
    fn ops_apply_in_order_and_only_on_commit() {
        let store = MemStore::new();
        let mut txn = store.begin_write();
        txn.put("t", b"k", b"1");
        txn.delete("t", b"k");
        txn.put_owned("t", b"j".to_vec(), b"2".to_vec());
        assert_eq!(txn.len(), 3);
        assert!(store.get("t", b"j").unwrap().is_none());
        txn.commit(&store).unwrap();
        assert!(store.get("t", b"k").unwrap().is_none());
        assert_eq!(store.get("t", b"j").unwrap().as_deref(), Some(&b"2"[..]));
    }
}
