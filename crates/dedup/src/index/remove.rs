//! Removing a document from a [`DedupIndex`]: its group is rebuilt without it.
//!
//! A removed document keeps its number (numbers are positions in insertion order) but leaves
//! the id table, the exact-hash map and every group; LSH queries skip it. The rest of its group
//! is re-verified pairwise (MinHash estimate against the threshold, or equal exact hashes), so
//! two copies that were joined only through the removed document part, and the remaining members
//! get new canonicals. Every member's record is rewritten with the links of the rebuilt group,
//! so reopening the index (which replays the records) gives the same groups.

use storyline_store::WriteTxn;

use super::{
    band_keys, decode_num, estimate_jaccard, DedupIndex, Record, F_DELETED, F_EXACT, T_DOC, T_ID,
};
use crate::{Error, Result};

/// Most members of a group re-verified pairwise on a removal; a larger group keeps the stored
/// links of its members (less the removed document's).
const MAX_REVERIFIED: usize = 2_000;

/// What [`DedupIndex::remove_into`] changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// The removed document's number.
    pub doc: u32,
    /// The other members of its former group with their new canonical's number, in number order.
    pub regrouped: Vec<(u32, u32)>,
}

impl DedupIndex {
    /// Removes the document `id` (when indexed) and queues the changed records into `txn`. The
    /// index's memory already reflects the removal when this returns: if `txn` is not committed,
    /// reopen the index before using it again ([`DedupIndex::poison`]).
    pub fn remove_into(&mut self, id: &str, txn: &mut WriteTxn) -> Result<Option<Removed>> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        let Some(raw) = self.store.get(T_ID, id.as_bytes())? else {
            return Ok(None);
        };
        let num = decode_num(&raw)?;
        if num as usize >= self.parent.len() || self.is_deleted(num) {
            return Err(Error::Corrupt(format!(
                "id {id:?} maps to doc {num}, which is not live"
            )));
        }
        let root = self.find(num);
        let members: Vec<u32> = (0..self.parent.len() as u32)
            .filter(|&d| d != num && !self.is_deleted(d) && self.find(d) == root)
            .collect();
        let mut gone = self.load_record(num)?;
        self.set_deleted(num);
        if self.exact.get(&gone.exact_hash) == Some(&num) {
            self.exact.remove(&gone.exact_hash);
        }
        gone.flags |= F_DELETED;
        gone.links.clear();
        txn.put_owned(T_DOC, num.to_be_bytes().to_vec(), gone.encode());
        txn.delete(T_ID, id.as_bytes());
        self.parent[num as usize] = num;
        self.canon[num as usize] = num;
        let regrouped = self.regroup(&members, num, txn)?;
        Ok(Some(Removed {
            doc: num,
            regrouped,
        }))
    }

    /// Rebuilds the group of `members` (ascending) without `removed`: resets their union-find
    /// entries, re-verifies them pairwise and rewrites their records.
    fn regroup(
        &mut self,
        members: &[u32],
        removed: u32,
        txn: &mut WriteTxn,
    ) -> Result<Vec<(u32, u32)>> {
        let mut records: Vec<Record> = Vec::with_capacity(members.len());
        for &d in members {
            records.push(self.load_record(d)?);
        }
        let sigs: Vec<Vec<u32>> = if members.len() <= MAX_REVERIFIED {
            members
                .iter()
                .map(|&d| self.load_sig(d))
                .collect::<Result<_>>()?
        } else {
            Vec::new()
        };
        for &d in members {
            self.parent[d as usize] = d;
            self.canon[d as usize] = d;
        }
        let threshold = self.cfg.threshold;
        for k in 0..members.len() {
            let d = members[k];
            let mut links = Vec::new();
            if sigs.is_empty() {
                links = records[k]
                    .links
                    .iter()
                    .copied()
                    .filter(|&l| l != removed)
                    .collect();
            } else {
                for j in 0..k {
                    let same_text = records[j].exact_hash == records[k].exact_hash;
                    if same_text || estimate_jaccard(&sigs[j], &sigs[k]) >= threshold {
                        links.push(members[j]);
                    }
                }
            }
            for &l in &links {
                self.union(d, l);
            }
            // An exact copy whose original is gone becomes the original of its text: it enters
            // the exact map and the LSH buckets.
            let was_exact = records[k].flags & F_EXACT != 0;
            let original = members[..k]
                .iter()
                .zip(&records[..k])
                .any(|(_, r)| r.exact_hash == records[k].exact_hash);
            if was_exact && !original {
                records[k].flags &= !F_EXACT;
                self.exact_bits[d as usize / 64] &= !(1 << (d % 64));
                self.exact.insert(records[k].exact_hash, d);
                let sig = match sigs.get(k) {
                    Some(s) => s.clone(),
                    None => self.load_sig(d)?,
                };
                let mut keys = Vec::with_capacity(self.bands);
                band_keys(&sig, self.bands, self.rows, &mut keys);
                self.lsh.insert(d, &keys);
                records[k].keys = keys;
            }
            records[k].links = links;
            txn.put_owned(T_DOC, d.to_be_bytes().to_vec(), records[k].encode());
        }
        Ok(members
            .iter()
            .map(|&d| {
                let r = self.find(d);
                (d, self.canon[r as usize])
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use storyline_store::{MemStore, Store};

    use crate::{DedupConfig, DedupIndex, DocRef};

    const BODY: &str =
        "The river burst its banks after three days of heavy rain, flooding hundreds \
        of homes in the valley. Emergency crews evacuated residents overnight and the regional \
        government declared a state of emergency on Tuesday morning.";

    fn docs<'a>(texts: &'a [(&'a str, String)]) -> Vec<DocRef<'a>> {
        texts
            .iter()
            .map(|(id, t)| DocRef {
                id,
                text: t,
                published: None,
            })
            .collect()
    }

    #[test]
    fn removing_the_canonical_regroups_its_copies_and_survives_reopen() {
        let store = Arc::new(MemStore::new());
        let texts = vec![
            ("a", BODY.to_string()),
            ("b", BODY.to_string()),
            ("c", format!("{BODY} Share this article.")),
            (
                "other",
                "A quiet day at the stock market ended with small gains.".into(),
            ),
        ];
        let mut idx = DedupIndex::open(store.clone(), DedupConfig::default()).unwrap();
        idx.insert_batch(&docs(&texts)).unwrap();
        let before = idx.assignments().unwrap();
        assert!(before[..3].iter().all(|a| a.canonical == "a"));
        let mut txn = store.begin_write();
        let r = idx.remove_into("a", &mut txn).unwrap().unwrap();
        txn.commit(&*store).unwrap();
        assert_eq!(r.doc, 0);
        assert_eq!(
            r.regrouped,
            vec![(1, 1), (2, 1)],
            "b, an exact copy, is canonical now"
        );
        let after = idx.assignments().unwrap();
        assert_eq!(after.len(), 3);
        assert!(after.iter().all(|a| a.id != "a"));
        assert_eq!(after[0].canonical, "b");
        assert!(!after[0].exact, "b is the original of its text now");
        assert_eq!(idx.live_len(), 3);
        // A new exact copy finds b; the id "a" can be inserted again, as a new document.
        let again = vec![
            ("d", BODY.to_string()),
            ("a", "Something else entirely, about a cat.".into()),
        ];
        let got = idx.insert_batch(&docs(&again)).unwrap();
        assert_eq!((got[0].canonical.as_str(), got[0].exact), ("b", true));
        assert_eq!((got[1].doc, got[1].canonical.as_str()), (5, "a"));
        let live = idx.assignments().unwrap();
        drop(idx);
        let mut reopened = DedupIndex::open(store, DedupConfig::default()).unwrap();
        assert_eq!(reopened.assignments().unwrap(), live);
        assert!(reopened.is_deleted(0));
    }

    #[test]
    fn a_chain_parts_when_its_middle_is_removed() {
        // x ~ y ~ z but x and z differ too much: removing y leaves two groups.
        let words: Vec<String> = (0..60).map(|i| format!("w{i}")).collect();
        let text = |lo: usize, hi: usize| words[lo..hi].join(" ");
        let store = Arc::new(MemStore::new());
        let mut idx = DedupIndex::open(
            store.clone(),
            DedupConfig {
                threshold: 0.5,
                ..DedupConfig::default()
            },
        )
        .unwrap();
        let texts = vec![("x", text(0, 40)), ("y", text(10, 50)), ("z", text(20, 60))];
        idx.insert_batch(&docs(&texts)).unwrap();
        let groups: Vec<u64> = idx.assignments().unwrap().iter().map(|a| a.group).collect();
        assert_eq!(groups, vec![0, 0, 0], "one group through y");
        let mut txn = store.begin_write();
        idx.remove_into("y", &mut txn).unwrap();
        txn.commit(&*store).unwrap();
        let a = idx.assignments().unwrap();
        assert_eq!(a.len(), 2);
        assert_ne!(a[0].group, a[1].group, "{a:?}");
        assert!(idx
            .remove_into("y", &mut store.begin_write())
            .unwrap()
            .is_none());
    }
}
