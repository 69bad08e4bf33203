//! On-disk [`Store`] backed by redb.

use std::path::Path;

use redb::{Database, Durability, ReadableDatabase, TableDefinition, TableError};

use crate::{check_schema, check_table_name, KeyRange, Op, Result, Store, Visitor};

type BytesTable<'t> = redb::Table<'t, &'static [u8], &'static [u8]>;

fn def(name: &str) -> TableDefinition<'_, &'static [u8], &'static [u8]> {
    TableDefinition::new(name)
}

/// A [`Store`] in a single redb file.
///
/// Every [`Store::write_batch`] is one redb write transaction committed with
/// [`Durability::Immediate`], so it is on stable storage when the call returns. redb's
/// copy-on-write B-trees make a half-written transaction invisible after a crash.
/// Only one process may open the file at a time (redb takes a file lock).
pub struct RedbStore {
    db: Database,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore").finish_non_exhaustive()
    }
}

impl RedbStore {
    /// Open `path`, creating it if missing, and check its schema version.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let db = Database::create(path)?;
        let s = RedbStore { db };
        check_schema(&s)?;
        Ok(s)
    }

    /// Open with an explicit page-cache size in bytes (redb's default is 1 GiB).
    pub fn open_with_cache(path: impl AsRef<Path>, cache_bytes: usize) -> Result<Self> {
        let db = Database::builder()
            .set_cache_size(cache_bytes)
            .create(path)?;
        let s = RedbStore { db };
        check_schema(&s)?;
        Ok(s)
    }
}

impl Store for RedbStore {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let txn = self.db.begin_read()?;
        let t = match txn.open_table(def(table)) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(t.get(key)?.map(|v| v.value().to_vec()))
    }

    fn scan(&self, table: &str, range: KeyRange<'_>, visit: &mut Visitor<'_>) -> Result<()> {
        let txn = self.db.begin_read()?;
        let t = match txn.open_table(def(table)) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if let (
            std::ops::Bound::Included(a) | std::ops::Bound::Excluded(a),
            std::ops::Bound::Included(b) | std::ops::Bound::Excluded(b),
        ) = range
        {
            if a > b {
                return Ok(());
            }
        }
        for item in t.range::<&[u8]>(range)? {
            let (k, v) = item?;
            if visit(k.value(), v.value()).is_break() {
                break;
            }
        }
        Ok(())
    }

    fn write_batch(&self, ops: &[Op<'_>]) -> Result<()> {
        for op in ops {
            check_table_name(op.table())?;
        }
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        {
            // Keep each touched table open for the whole transaction; batches usually
            // touch a handful of tables, so a linear search beats hashing.
            let mut open: Vec<(&str, BytesTable<'_>)> = Vec::new();
            for op in ops {
                let name = op.table();
                let idx = match open.iter().position(|(n, _)| *n == name) {
                    Some(i) => i,
                    None => {
                        open.push((name, txn.open_table(def(name))?));
                        open.len() - 1
                    }
                };
                let table = &mut open[idx].1;
                match *op {
                    Op::Put { key, value, .. } => {
                        table.insert(key, value)?;
                    }
                    Op::Delete { key, .. } => {
                        table.remove(key)?;
                    }
                }
            }
        }
        txn.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ops::Bound;
    use std::ops::ControlFlow;

    #[test]
    fn missing_table_reads_empty() {
        let dir = tempfile::tempdir().unwrap();
        let s = RedbStore::open(dir.path().join("x.redb")).unwrap();
        assert_eq!(s.get("nope", b"k").unwrap(), None);
        let mut n = 0;
        s.scan("nope", (Bound::Unbounded, Bound::Unbounded), &mut |_, _| {
            n += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn second_open_of_same_file_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.redb");
        let _a = RedbStore::open(&p).unwrap();
        assert!(RedbStore::open(&p).is_err());
    }
}
