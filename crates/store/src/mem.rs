//! In-memory [`Store`] backed by `BTreeMap`s.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::RwLock;

use crate::{check_schema, check_table_name, Error, KeyRange, Op, Result, Store, Visitor};

type Table = BTreeMap<Vec<u8>, Vec<u8>>;

/// A [`Store`] kept entirely in memory. Batches are atomic with respect to concurrent
/// readers (one write lock per batch) but, naturally, not durable across processes.
#[derive(Debug)]
pub struct MemStore {
    tables: RwLock<BTreeMap<String, Table>>,
}

impl Default for MemStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemStore {
    /// An empty store carrying the current schema version.
    pub fn new() -> Self {
        let s = MemStore {
            tables: RwLock::new(BTreeMap::new()),
        };
        // Cannot fail on a fresh in-memory store: no version present, lock unpoisoned.
        let _ = check_schema(&s);
        s
    }
}

impl Store for MemStore {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let tables = self.tables.read().map_err(|_| Error::Poisoned)?;
        Ok(tables.get(table).and_then(|t| t.get(key)).cloned())
    }

    fn scan(&self, table: &str, range: KeyRange<'_>, visit: &mut Visitor<'_>) -> Result<()> {
        let tables = self.tables.read().map_err(|_| Error::Poisoned)?;
        let Some(t) = tables.get(table) else {
            return Ok(());
        };
        if let (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) =
            range
        {
            // BTreeMap::range panics on inverted or empty-excluded ranges; those are empty.
            if a > b || (a == b && !matches!(range, (Bound::Included(_), Bound::Included(_)))) {
                return Ok(());
            }
        }
        let owned = (range.0.map(<[u8]>::to_vec), range.1.map(<[u8]>::to_vec));
        for (k, v) in t.range::<Vec<u8>, _>(owned) {
            if visit(k, v).is_break() {
                break;
            }
        }
        Ok(())
    }

    fn write_batch(&self, ops: &[Op<'_>]) -> Result<()> {
        for op in ops {
            check_table_name(op.table())?;
        }
        let mut tables = self.tables.write().map_err(|_| Error::Poisoned)?;
        for op in ops {
            match *op {
                Op::Put { table, key, value } => {
                    if let Some(t) = tables.get_mut(table) {
                        t.insert(key.to_vec(), value.to_vec());
                    } else {
                        let mut t = Table::new();
                        t.insert(key.to_vec(), value.to_vec());
                        tables.insert(table.to_string(), t);
                    }
                }
                Op::Delete { table, key } => {
                    if let Some(t) = tables.get_mut(table) {
                        t.remove(key);
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ops::ControlFlow;

    #[test]
    fn put_get_delete() {
        let s = MemStore::new();
        s.write_batch(&[Op::put("t", b"k", b"v")]).unwrap();
        assert_eq!(s.get("t", b"k").unwrap(), Some(b"v".to_vec()));
        s.write_batch(&[Op::delete("t", b"k")]).unwrap();
        assert_eq!(s.get("t", b"k").unwrap(), None);
        assert_eq!(s.get("missing", b"k").unwrap(), None);
    }

    #[test]
    fn invalid_table_rejects_whole_batch() {
        let s = MemStore::new();
        let err = s.write_batch(&[Op::put("t", b"k", b"v"), Op::put("", b"k", b"v")]);
        assert!(matches!(err, Err(Error::InvalidTable(_))));
        assert_eq!(s.get("t", b"k").unwrap(), None);
    }

    #[test]
    fn inverted_range_is_empty() {
        let s = MemStore::new();
        s.write_batch(&[Op::put("t", b"b", b"")]).unwrap();
        let mut n = 0;
        s.scan(
            "t",
            (Bound::Included(b"c"), Bound::Excluded(b"a")),
            &mut |_, _| {
                n += 1;
                ControlFlow::Continue(())
            },
        )
        .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn schema_version_written() {
        let s = MemStore::new();
        assert_eq!(
            s.get(crate::META_TABLE, crate::SCHEMA_KEY).unwrap(),
            Some(crate::SCHEMA_VERSION.to_le_bytes().to_vec())
        );
    }
}
