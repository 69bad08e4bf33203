//! The persistent, incremental [`DedupIndex`].
//!
//! State lives in the [`Store`] under four tables (all keys big-endian so scans run in
//! insertion order):
//! * `dedup.doc`: doc number (`u32`) → record: flags, published date, exact hash, the
//!   earlier doc numbers it was united with ("links"), its LSH band keys, its external id.
//! * `dedup.id`: external id → doc number.
//! * `dedup.sig`: doc number → MinHash signature (`num_perm` x `u32` LE).
//! * `meta` / `dedup.config`: the [`DedupConfig`] as JSON; reopening with a different
//!   config is refused because stored signatures would not be comparable.
//!
//! RAM holds only what queries need: LSH buckets, the exact-hash map, the union-find
//! forest with per-group canonical, and published dates (about 200 bytes per document at
//! the defaults). Signatures of earlier batches are read back from the store only when an
//! LSH candidate must be verified. Opening replays the `dedup.doc` table; because group
//! roots are always the smallest doc number and canonicals are a pure function of group
//! membership, replay reproduces exactly the same groups.
//!
//! A batch is applied with one [`Store::write_batch`]; the call returns only after that
//! batch is durable, so every acknowledged document survives a crash.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use storyline_store::{Op, Store, WriteTxn, META_TABLE};

use crate::lsh::{band_keys, optimal_params_equal_weights, BandIndex, MixBuild};
use crate::minhash::{estimate_jaccard, Permutations};
use crate::normalize::Scratch;
use crate::{Error, Result};

type ParamCache = HashMap<(u64, usize), (usize, usize)>;

const T_DOC: &str = "dedup.doc";
const T_ID: &str = "dedup.id";
const T_SIG: &str = "dedup.sig";
const CONFIG_KEY: &[u8] = b"dedup.config";
const NO_DATE: i64 = i64::MAX;

const F_EXACT: u8 = 1;
const F_PUBLISHED: u8 = 2;
/// The document was removed ([`DedupIndex::remove_into`]): its number stays taken, nothing
/// else of it counts.
const F_DELETED: u8 = 4;

mod remove;
pub use remove::Removed;

/// Tunables of a [`DedupIndex`]. `threshold`, `num_perm`, `shingle` and `seed` are fixed
/// for the lifetime of a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DedupConfig {
    /// Jaccard similarity at or above which two texts are near duplicates. Default 0.8.
    pub threshold: f64,
    /// MinHash permutations. Default 128.
    pub num_perm: usize,
    /// Words per shingle. Default 3 (word trigrams: robust to light edits, selective on
    /// news prose).
    pub shingle: usize,
    /// Seed of the permutation family. Default 1.
    pub seed: u64,
    /// Most documents visited per LSH bucket per query (guards against pathological
    /// buckets). Default 4096.
    #[serde(default = "default_max_bucket_scan")]
    pub max_bucket_scan: usize,
}

fn default_max_bucket_scan() -> usize {
    4096
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            threshold: 0.8,
            num_perm: 128,
            shingle: 3,
            seed: 1,
            max_bucket_scan: default_max_bucket_scan(),
        }
    }
}

impl DedupConfig {
    /// Check ranges: `0 < threshold <= 1`, `2 <= num_perm <= 1024`, `1 <= shingle <= 64`,
    /// and at least two LSH bands (as datasketch requires).
    pub fn validate(&self) -> Result<()> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(Error::InvalidConfig(format!(
                "threshold {} not in (0, 1]",
                self.threshold
            )));
        }
        if !(2..=1024).contains(&self.num_perm) {
            return Err(Error::InvalidConfig(format!(
                "num_perm {} not in 2..=1024",
                self.num_perm
            )));
        }
        if !(1..=64).contains(&self.shingle) {
            return Err(Error::InvalidConfig(format!(
                "shingle {} not in 1..=64",
                self.shingle
            )));
        }
        if self.max_bucket_scan == 0 {
            return Err(Error::InvalidConfig("max_bucket_scan must be > 0".into()));
        }
        let (b, _) = self.lsh_params();
        if b < 2 {
            return Err(Error::InvalidConfig(format!(
                "threshold {} with {} permutations gives fewer than 2 LSH bands",
                self.threshold, self.num_perm
            )));
        }
        Ok(())
    }

    /// LSH `(bands, rows)` for this threshold and `num_perm` (datasketch's optimum with
    /// equal false-positive and false-negative weights).
    pub fn lsh_params(&self) -> (usize, usize) {
        // The search integrates ~600 curves; memoise per (threshold, num_perm).
        static CACHE: OnceLock<Mutex<ParamCache>> = OnceLock::new();
        let key = (self.threshold.to_bits(), self.num_perm);
        let cache = CACHE.get_or_init(Default::default);
        if let Some(&p) = cache.lock().ok().as_ref().and_then(|c| c.get(&key)) {
            return p;
        }
        let p = optimal_params_equal_weights(self.threshold, self.num_perm);
        if let Ok(mut c) = cache.lock() {
            c.insert(key, p);
        }
        p
    }

    fn compatible(&self, other: &DedupConfig) -> bool {
        self.threshold == other.threshold
            && self.num_perm == other.num_perm
            && self.shingle == other.shingle
            && self.seed == other.seed
    }
}

/// One input document. `text` should be cleaned article text; the index normalises it
/// again for shingling. `published` is Unix seconds.
#[derive(Debug, Clone, Copy)]
pub struct DocRef<'a> {
    pub id: &'a str,
    pub text: &'a str,
    pub published: Option<i64>,
}

impl<'a> DocRef<'a> {
    /// Undated documents from parallel id and text slices (the shorter one bounds the batch).
    pub fn undated(ids: &'a [String], texts: &'a [String]) -> Vec<DocRef<'a>> {
        ids.iter()
            .zip(texts)
            .map(|(id, text)| DocRef {
                id,
                text,
                published: None,
            })
            .collect()
    }
}

/// Group membership of one document, as of the end of the batch that reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// External id of the document.
    pub id: String,
    /// Group id: the internal number of the group's first-seen member. Stable: it only
    /// changes when the group is merged into an older group.
    pub group: u64,
    /// External id of the group's canonical member: earliest `published`, ties and
    /// undated groups broken by first seen.
    pub canonical: String,
    /// Whether the normalised text is identical to an earlier document's.
    pub exact: bool,
    /// The document's own number: its position in insertion order (0-based).
    #[serde(default)]
    pub doc: u32,
    /// The number of the group's canonical member (see `canonical`).
    #[serde(default)]
    pub canonical_doc: u32,
}

/// Counts over the whole index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Documents in the index.
    pub articles: u64,
    /// Groups with at least two members whose members all share one normalised text.
    pub exact_groups: u64,
    /// Groups with at least two members of which at least two differ in text.
    pub near_groups: u64,
    /// Size of the largest group.
    pub largest_group: u64,
    /// Documents that are exact copies of an earlier document.
    pub exact_duplicates: u64,
}

/// What an insert needs from a text, computed without index state (so on any thread): exact
/// hash, MinHash signature and LSH band keys. Made by a [`Sketcher`]; consumed by
/// [`DedupIndex::insert_sketched`].
#[derive(Debug, Clone)]
pub struct Sketch {
    /// [`Sketcher::fingerprint`] of the sketcher that made it.
    fingerprint: u64,
    exact: u64,
    empty: bool,
    sig: Box<[u32]>,
    keys: Box<[u32]>,
}

/// Computes [`Sketch`]es for one index configuration. Cheap to clone; `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Sketcher {
    perms: Arc<Permutations>,
    shingle: usize,
    bands: usize,
    rows: usize,
    fingerprint: u64,
}

impl Sketcher {
    /// Sketch of one text; `scratch` is reused between calls to avoid allocations.
    pub fn sketch(&self, text: &str, scratch: &mut Scratch) -> Sketch {
        let exact = scratch.shingle(text, self.shingle);
        let mut sig = vec![0u32; self.perms.len()].into_boxed_slice();
        self.perms.signature_into(&scratch.hashes, &mut sig);
        let mut keys = Vec::with_capacity(self.bands);
        band_keys(&sig, self.bands, self.rows, &mut keys);
        Sketch {
            fingerprint: self.fingerprint,
            exact,
            empty: scratch.hashes.is_empty(),
            sig,
            keys: keys.into_boxed_slice(),
        }
    }
}

impl Sketcher {
    /// Turns `items` into documents with `prepare` (returning id, text and published date, or
    /// an error that is passed through) and sketches them, in parallel on the rayon pool.
    /// Output order is input order. Each text is sketched right after it is prepared, while it
    /// is still in cache, and dropped afterwards.
    pub fn sketch_par<T, E, F>(&self, items: Vec<T>, prepare: F) -> Vec<Result<SketchedDoc, E>>
    where
        T: Send,
        E: Send,
        F: Fn(T) -> Result<(String, String, Option<i64>), E> + Sync + Send,
    {
        items
            .into_par_iter()
            .map_init(Scratch::new, |scratch, item| {
                let (id, text, published) = prepare(item)?;
                Ok(SketchedDoc {
                    id,
                    published,
                    sketch: self.sketch(&text, scratch),
                })
            })
            .collect()
    }
}

/// A document with its [`Sketch`], for [`DedupIndex::insert_sketched`].
#[derive(Debug, Clone)]
pub struct SketchedDoc {
    pub id: String,
    /// Unix seconds.
    pub published: Option<i64>,
    pub sketch: Sketch,
}

/// Id and date of one document of a batch.
struct Meta<'a> {
    id: &'a str,
    published: Option<i64>,
}

struct NewDoc {
    input: usize,
    links: Vec<u32>,
    exact: bool,
}

struct Record {
    flags: u8,
    published: i64,
    exact_hash: u64,
    links: Vec<u32>,
    keys: Vec<u32>,
    id: String,
}

impl Record {
    fn encode(&self) -> Vec<u8> {
        let mut v =
            Vec::with_capacity(20 + 4 * (self.links.len() + self.keys.len()) + self.id.len());
        v.push(self.flags);
        v.extend_from_slice(&self.published.to_le_bytes());
        v.extend_from_slice(&self.exact_hash.to_le_bytes());
        v.extend_from_slice(&(self.links.len() as u16).to_le_bytes());
        for l in &self.links {
            v.extend_from_slice(&l.to_le_bytes());
        }
        v.push(self.keys.len() as u8);
        for k in &self.keys {
            v.extend_from_slice(&k.to_le_bytes());
        }
        v.extend_from_slice(self.id.as_bytes());
        v
    }

    fn decode(raw: &[u8]) -> Result<Record> {
        let bad = || Error::Corrupt(format!("doc record of {} bytes", raw.len()));
        let mut pos = 0usize;
        let mut take = |n: usize| -> Result<&[u8]> {
            let s = raw.get(pos..pos + n).ok_or_else(bad)?;
            pos += n;
            Ok(s)
        };
        let flags = take(1)?[0];
        let published = i64::from_le_bytes(take(8)?.try_into().map_err(|_| bad())?);
        let exact_hash = u64::from_le_bytes(take(8)?.try_into().map_err(|_| bad())?);
        let nl = u16::from_le_bytes(take(2)?.try_into().map_err(|_| bad())?) as usize;
        let links = take(4 * nl)?
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let nk = take(1)?[0] as usize;
        let keys = take(4 * nk)?
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let id = std::str::from_utf8(&raw[pos..])
            .map_err(|_| Error::Corrupt("doc id is not UTF-8".into()))?
            .to_string();
        Ok(Record {
            flags,
            published,
            exact_hash,
            links,
            keys,
            id,
        })
    }
}

fn decode_num(raw: &[u8]) -> Result<u32> {
    let b: [u8; 4] = raw
        .try_into()
        .map_err(|_| Error::Corrupt(format!("doc number of {} bytes", raw.len())))?;
    Ok(u32::from_be_bytes(b))
}

/// Incremental near-duplicate index over a [`Store`]. See the module docs for layout.
pub struct DedupIndex {
    store: Arc<dyn Store>,
    cfg: DedupConfig,
    sketcher: Sketcher,
    bands: usize,
    rows: usize,
    lsh: BandIndex,
    exact: HashMap<u64, u32, MixBuild>,
    /// Union-find parent; a root is always the smallest doc number of its group.
    parent: Vec<u32>,
    /// Canonical doc of each root's group (valid at roots only).
    canon: Vec<u32>,
    /// Published Unix seconds, `i64::MAX` when unknown.
    published: Vec<i64>,
    /// One bit per doc: exact copy of an earlier doc.
    exact_bits: Vec<u64>,
    /// One bit per doc: removed.
    deleted_bits: Vec<u64>,
    poisoned: bool,
}

impl std::fmt::Debug for DedupIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DedupIndex")
            .field("cfg", &self.cfg)
            .field("docs", &self.parent.len())
            .finish_non_exhaustive()
    }
}

impl DedupIndex {
    /// Open (or create) the index stored in `store`, replaying persisted state.
    pub fn open(store: Arc<dyn Store>, cfg: DedupConfig) -> Result<Self> {
        cfg.validate()?;
        let requested = serde_json::to_string(&cfg).map_err(|e| Error::Corrupt(e.to_string()))?;
        match store.get(META_TABLE, CONFIG_KEY)? {
            Some(raw) => {
                let stored: DedupConfig = serde_json::from_slice(&raw)
                    .map_err(|e| Error::Corrupt(format!("dedup config: {e}")))?;
                if !stored.compatible(&cfg) {
                    return Err(Error::ConfigMismatch {
                        stored: String::from_utf8_lossy(&raw).into_owned(),
                        requested,
                    });
                }
            }
            None => store.write_batch(&[Op::put(META_TABLE, CONFIG_KEY, requested.as_bytes())])?,
        }
        let (bands, rows) = cfg.lsh_params();
        // Identifies sketches of this configuration: everything a sketch depends on.
        let fingerprint = xxhash_rust::xxh3::xxh3_64(
            format!(
                "{}|{}|{}|{bands}|{rows}",
                cfg.num_perm, cfg.seed, cfg.shingle
            )
            .as_bytes(),
        );
        let sketcher = Sketcher {
            perms: Arc::new(Permutations::new(cfg.num_perm, cfg.seed)),
            shingle: cfg.shingle,
            bands,
            rows,
            fingerprint,
        };
        let mut idx = DedupIndex {
            sketcher,
            store,
            cfg,
            bands,
            rows,
            lsh: BandIndex::new(bands),
            exact: HashMap::default(),
            parent: Vec::new(),
            canon: Vec::new(),
            published: Vec::new(),
            exact_bits: Vec::new(),
            deleted_bits: Vec::new(),
            poisoned: false,
        };
        idx.replay()?;
        Ok(idx)
    }

    fn replay(&mut self) -> Result<()> {
        let store = self.store.clone();
        let mut failure: Option<Error> = None;
        store.scan(
            T_DOC,
            (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
            &mut |k, v| {
                let step = (|| -> Result<()> {
                    let num = decode_num(k)?;
                    if num as usize != self.parent.len() {
                        return Err(Error::Corrupt(format!(
                            "doc {num} follows {} docs",
                            self.parent.len()
                        )));
                    }
                    let rec = Record::decode(v)?;
                    let exact = rec.flags & F_EXACT != 0;
                    self.push_doc(num, rec.published, exact);
                    if rec.flags & F_DELETED != 0 {
                        self.set_deleted(num);
                        return Ok(());
                    }
                    if !exact {
                        self.exact.entry(rec.exact_hash).or_insert(num);
                    }
                    if rec.keys.len() == self.bands {
                        self.lsh.insert(num, &rec.keys);
                    }
                    for &l in &rec.links {
                        if l >= num {
                            return Err(Error::Corrupt(format!("doc {num} links to {l}")));
                        }
                        self.union(num, l);
                    }
                    Ok(())
                })();
                match step {
                    Ok(()) => std::ops::ControlFlow::Continue(()),
                    Err(e) => {
                        failure = Some(e);
                        std::ops::ControlFlow::Break(())
                    }
                }
            },
        )?;
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &DedupConfig {
        &self.cfg
    }

    /// LSH `(bands, rows)` in use.
    pub fn lsh_params(&self) -> (usize, usize) {
        (self.bands, self.rows)
    }

    /// Number of documents indexed.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether the index holds no document.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    fn push_doc(&mut self, num: u32, published: i64, exact: bool) {
        self.parent.push(num);
        self.canon.push(num);
        self.published.push(published);
        let word = num as usize / 64;
        if self.exact_bits.len() <= word {
            self.exact_bits.push(0);
        }
        if exact {
            self.exact_bits[word] |= 1 << (num % 64);
        }
    }

    fn is_exact(&self, num: u32) -> bool {
        self.exact_bits[num as usize / 64] & (1 << (num % 64)) != 0
    }

    /// Whether document `num` was removed.
    pub fn is_deleted(&self, num: u32) -> bool {
        self.deleted_bits
            .get(num as usize / 64)
            .is_some_and(|w| w & (1 << (num % 64)) != 0)
    }

    fn set_deleted(&mut self, num: u32) {
        let word = num as usize / 64;
        if self.deleted_bits.len() <= word {
            self.deleted_bits.resize(word + 1, 0);
        }
        self.deleted_bits[word] |= 1 << (num % 64);
    }

    /// Documents in the index, removed ones left out.
    pub fn live_len(&self) -> usize {
        let removed: u32 = self.deleted_bits.iter().map(|w| w.count_ones()).sum();
        self.parent.len() - removed as usize
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let gp = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = gp;
            x = gp;
        }
        x
    }

    fn canon_key(&self, d: u32) -> (i64, u32) {
        (self.published[d as usize], d)
    }

    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[child as usize] = root;
        let (ca, cb) = (self.canon[root as usize], self.canon[child as usize]);
        if self.canon_key(cb) < self.canon_key(ca) {
            self.canon[root as usize] = cb;
        }
    }

    fn load_sig(&self, num: u32) -> Result<Vec<u32>> {
        let raw = self
            .store
            .get(T_SIG, &num.to_be_bytes())?
            .ok_or_else(|| Error::Corrupt(format!("signature of doc {num} missing")))?;
        if raw.len() != 4 * self.cfg.num_perm {
            return Err(Error::Corrupt(format!(
                "signature of doc {num} has {} bytes",
                raw.len()
            )));
        }
        Ok(raw
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    fn load_record(&self, num: u32) -> Result<Record> {
        let raw = self
            .store
            .get(T_DOC, &num.to_be_bytes())?
            .ok_or_else(|| Error::Corrupt(format!("record of doc {num} missing")))?;
        Record::decode(&raw)
    }

    /// The sketcher for this index's configuration, to compute [`Sketch`]es on other threads.
    pub fn sketcher(&self) -> Sketcher {
        self.sketcher.clone()
    }

    /// Compute sketches for `docs` in parallel (rayon).
    fn prepare(&self, docs: &[DocRef<'_>]) -> Vec<Sketch> {
        let sketcher = &self.sketcher;
        docs.par_iter()
            .map_init(Scratch::new, |scratch, d| sketcher.sketch(d.text, scratch))
            .collect()
    }

    /// Insert a batch and return one [`Assignment`] per input, in input order.
    ///
    /// Documents whose id is already indexed (earlier batch or earlier in this batch) are
    /// not re-inserted; their current assignment is returned. The batch is durable when
    /// this returns `Ok`. On a store error the index must be reopened
    /// ([`Error::Poisoned`] afterwards).
    pub fn insert_batch(&mut self, docs: &[DocRef<'_>]) -> Result<Vec<Assignment>> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        let sketches = self.prepare(docs);
        let metas: Vec<Meta<'_>> = docs
            .iter()
            .map(|d| Meta {
                id: d.id,
                published: d.published,
            })
            .collect();
        let refs: Vec<&Sketch> = sketches.iter().collect();
        let mut txn = self.store.begin_write();
        let out = self.insert_impl(&metas, &refs, &mut txn)?;
        if let Err(e) = txn.commit(&*self.store) {
            self.poisoned = true;
            return Err(e.into());
        }
        Ok(out)
    }

    /// [`DedupIndex::insert_batch`] for documents sketched beforehand with this index's
    /// [`DedupIndex::sketcher`] (e.g. on worker threads while the previous batch is inserted).
    /// Sketches made for another configuration are refused ([`Error::InvalidConfig`]).
    pub fn insert_sketched(&mut self, docs: &[SketchedDoc]) -> Result<Vec<Assignment>> {
        let mut txn = self.store.begin_write();
        let refs: Vec<&SketchedDoc> = docs.iter().collect();
        let out = self.insert_sketched_into(&refs, &mut txn)?;
        if let Err(e) = txn.commit(&*self.store) {
            self.poisoned = true;
            return Err(e.into());
        }
        Ok(out)
    }

    /// [`DedupIndex::insert_sketched`] that queues the batch's records into `txn` instead of
    /// writing them, so they commit atomically with the caller's own records. The index's
    /// memory already holds the batch when this returns: if `txn` is not committed, reopen
    /// the index (or call [`DedupIndex::poison`]) before the next insert.
    pub fn insert_sketched_into(
        &mut self,
        docs: &[&SketchedDoc],
        txn: &mut WriteTxn,
    ) -> Result<Vec<Assignment>> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        if docs
            .iter()
            .any(|d| d.sketch.fingerprint != self.sketcher.fingerprint)
        {
            return Err(Error::InvalidConfig(
                "sketch made for a different dedup configuration".into(),
            ));
        }
        let metas: Vec<Meta<'_>> = docs
            .iter()
            .map(|d| Meta {
                id: &d.id,
                published: d.published,
            })
            .collect();
        let refs: Vec<&Sketch> = docs.iter().map(|d| &d.sketch).collect();
        self.insert_impl(&metas, &refs, txn)
    }

    /// Marks the index unusable (every later insert fails with [`Error::Poisoned`]): for a
    /// caller whose transaction holding this index's records failed to commit.
    pub fn poison(&mut self) {
        self.poisoned = true;
    }

    /// Inserts documents with their sketches (`docs[i]` ↔ `prepared[i]`).
    fn insert_impl(
        &mut self,
        docs: &[Meta<'_>],
        prepared: &[&Sketch],
        txn: &mut WriteTxn,
    ) -> Result<Vec<Assignment>> {
        let start = self.parent.len() as u32;
        if self.parent.len() + docs.len() >= u32::MAX as usize {
            return Err(Error::TooManyDocuments);
        }
        self.lsh.reserve(docs.len());
        self.exact.reserve(docs.len());

        // Sequential phase: ids, exact map, LSH query + verification, unions.
        let mut slot = vec![0u32; docs.len()];
        let mut seen: HashMap<&str, u32> = HashMap::with_capacity(docs.len());
        let mut old_exact: HashMap<u32, (bool, String)> = HashMap::new();
        let mut new_docs: Vec<NewDoc> = Vec::new();
        let mut cands: Vec<u32> = Vec::new();
        let threshold = self.cfg.threshold;
        for (i, d) in docs.iter().enumerate() {
            if let Some(&num) = seen.get(d.id) {
                slot[i] = num;
                continue;
            }
            if let Some(raw) = self.store.get(T_ID, d.id.as_bytes())? {
                let num = decode_num(&raw)?;
                let rec = self.load_record(num)?;
                old_exact.insert(num, (rec.flags & F_EXACT != 0, rec.id));
                seen.insert(d.id, num);
                slot[i] = num;
                continue;
            }
            let num = start + new_docs.len() as u32;
            seen.insert(d.id, num);
            slot[i] = num;
            let p = &prepared[i];
            let mut links = Vec::new();
            let exact_of = self.exact.get(&p.exact).copied();
            self.push_doc(num, d.published.unwrap_or(NO_DATE), exact_of.is_some());
            if let Some(orig) = exact_of {
                self.union(num, orig);
                links.push(orig);
            } else {
                self.exact.insert(p.exact, num);
                if !p.empty {
                    cands.clear();
                    self.lsh
                        .candidates(&p.keys, self.cfg.max_bucket_scan, &mut cands);
                    cands.sort_unstable();
                    cands.dedup();
                    for &c in &cands {
                        if self.is_deleted(c) || self.find(c) == self.find(num) {
                            continue;
                        }
                        let sim = if c >= start {
                            let other = &prepared[new_docs[(c - start) as usize].input];
                            estimate_jaccard(&other.sig, &p.sig)
                        } else {
                            match self.load_sig(c) {
                                Ok(s) => estimate_jaccard(&s, &p.sig),
                                Err(e) => {
                                    self.poisoned = true;
                                    return Err(e);
                                }
                            }
                        };
                        if sim >= threshold {
                            self.union(num, c);
                            links.push(c);
                        }
                    }
                    self.lsh.insert(num, &p.keys);
                }
            }
            new_docs.push(NewDoc {
                input: i,
                links,
                exact: exact_of.is_some(),
            });
        }

        // Persist the batch atomically.
        if !new_docs.is_empty() {
            if let Err(e) = self.persist(docs, prepared, &new_docs, start, txn) {
                self.poisoned = true;
                return Err(e);
            }
        }

        // Report.
        let mut id_cache: HashMap<u32, String> = HashMap::new();
        let mut out = Vec::with_capacity(docs.len());
        for (i, d) in docs.iter().enumerate() {
            let num = slot[i];
            let root = self.find(num);
            let canon = self.canon[root as usize];
            let canonical = if canon >= start {
                docs[new_docs[(canon - start) as usize].input]
                    .id
                    .to_string()
            } else if let Some(s) = id_cache.get(&canon) {
                s.clone()
            } else {
                let s = self.load_record(canon)?.id;
                id_cache.insert(canon, s.clone());
                s
            };
            let exact = if num >= start {
                new_docs[(num - start) as usize].exact
            } else {
                old_exact.get(&num).map(|e| e.0).unwrap_or(false)
            };
            let id = if num >= start {
                d.id.to_string()
            } else {
                old_exact
                    .get(&num)
                    .map(|e| e.1.clone())
                    .unwrap_or_else(|| d.id.to_string())
            };
            out.push(Assignment {
                id,
                group: root as u64,
                canonical,
                exact,
                doc: num,
                canonical_doc: canon,
            });
        }
        Ok(out)
    }

    fn persist(
        &self,
        docs: &[Meta<'_>],
        prepared: &[&Sketch],
        new_docs: &[NewDoc],
        start: u32,
        txn: &mut WriteTxn,
    ) -> Result<()> {
        for (off, nd) in new_docs.iter().enumerate() {
            let d = &docs[nd.input];
            let p = &prepared[nd.input];
            if nd.links.len() > u16::MAX as usize {
                return Err(Error::Corrupt("too many links for one document".into()));
            }
            let in_lsh = !nd.exact && !p.empty;
            let rec = Record {
                flags: if nd.exact { F_EXACT } else { 0 }
                    | if d.published.is_some() {
                        F_PUBLISHED
                    } else {
                        0
                    },
                published: d.published.unwrap_or(NO_DATE),
                exact_hash: p.exact,
                links: nd.links.clone(),
                keys: if in_lsh { p.keys.to_vec() } else { Vec::new() },
                id: d.id.to_string(),
            };
            let num = (start + off as u32).to_be_bytes();
            txn.put_owned(T_DOC, num.to_vec(), rec.encode());
            txn.put(T_ID, d.id.as_bytes(), &num);
            txn.put_owned(
                T_SIG,
                num.to_vec(),
                p.sig.iter().flat_map(|v| v.to_le_bytes()).collect(),
            );
        }
        Ok(())
    }

    /// Current assignment of an already indexed document.
    pub fn get(&mut self, id: &str) -> Result<Option<Assignment>> {
        let Some(raw) = self.store.get(T_ID, id.as_bytes())? else {
            return Ok(None);
        };
        let num = decode_num(&raw)?;
        if num as usize >= self.parent.len() {
            return Err(Error::Corrupt(format!(
                "id {id:?} maps to unknown doc {num}"
            )));
        }
        let root = self.find(num);
        let canon = self.canon[root as usize];
        Ok(Some(Assignment {
            id: id.to_string(),
            group: root as u64,
            canonical: self.load_record(canon)?.id,
            exact: self.is_exact(num),
            doc: num,
            canonical_doc: canon,
        }))
    }

    /// Assignments of every indexed document in insertion order (final state: later
    /// batches may have merged groups or changed canonicals since a batch reported).
    pub fn assignments(&mut self) -> Result<Vec<Assignment>> {
        let mut ids: Vec<String> = Vec::with_capacity(self.parent.len());
        let mut failure = None;
        self.store.scan(
            T_DOC,
            (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
            &mut |_, v| match Record::decode(v) {
                Ok(r) => {
                    ids.push(r.id);
                    std::ops::ControlFlow::Continue(())
                }
                Err(e) => {
                    failure = Some(e);
                    std::ops::ControlFlow::Break(())
                }
            },
        )?;
        if let Some(e) = failure {
            return Err(e);
        }
        if ids.len() != self.parent.len() {
            return Err(Error::Corrupt(format!(
                "{} stored docs, {} in memory",
                ids.len(),
                self.parent.len()
            )));
        }
        let mut out = Vec::with_capacity(ids.len());
        for num in 0..ids.len() as u32 {
            if self.is_deleted(num) {
                continue;
            }
            let root = self.find(num);
            let canon = self.canon[root as usize];
            out.push(Assignment {
                id: ids[num as usize].clone(),
                group: root as u64,
                canonical: ids[canon as usize].clone(),
                exact: self.is_exact(num),
                doc: num,
                canonical_doc: canon,
            });
        }
        Ok(out)
    }

    /// Counts over the whole index.
    pub fn summary(&mut self) -> Summary {
        let n = self.parent.len();
        let mut size = vec![0u32; n];
        let mut non_exact = vec![0u32; n];
        let mut exact_duplicates = 0;
        for num in 0..n as u32 {
            if self.is_deleted(num) {
                continue;
            }
            let r = self.find(num) as usize;
            size[r] += 1;
            if self.is_exact(num) {
                exact_duplicates += 1;
            } else {
                non_exact[r] += 1;
            }
        }
        let mut s = Summary {
            articles: self.live_len() as u64,
            exact_duplicates,
            ..Summary::default()
        };
        for r in 0..n {
            if size[r] >= 2 {
                if non_exact[r] == 1 {
                    s.exact_groups += 1;
                } else {
                    s.near_groups += 1;
                }
            }
            s.largest_group = s.largest_group.max(size[r] as u64);
        }
        s
    }

    /// Approximate heap bytes of the in-RAM index (excluding the store).
    pub fn heap_bytes(&self) -> usize {
        self.lsh.heap_bytes()
            + self.exact.capacity() * 17
            + self.parent.capacity() * 4
            + self.canon.capacity() * 4
            + self.published.capacity() * 8
            + self.exact_bits.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use storyline_store::MemStore;

    fn doc<'a>(id: &'a str, text: &'a str) -> DocRef<'a> {
        DocRef {
            id,
            text,
            published: None,
        }
    }

    fn mem_index() -> DedupIndex {
        DedupIndex::open(Arc::new(MemStore::new()), DedupConfig::default()).unwrap()
    }

    const BASE: &str = "The central bank raised interest rates by a quarter point on Tuesday, \
        citing persistent inflation in services and a tight labour market. Officials said \
        further increases were possible if price pressures did not ease over the summer, \
        while several board members argued for a pause to assess the effect of earlier moves \
        on lending, housing and business investment across the region.";

    #[test]
    fn record_roundtrip() {
        let r = Record {
            flags: F_EXACT,
            published: -5,
            exact_hash: 42,
            links: vec![1, 2],
            keys: vec![7; 9],
            id: "ü-1".into(),
        };
        let d = Record::decode(&r.encode()).unwrap();
        assert_eq!((d.flags, d.published, d.exact_hash), (F_EXACT, -5, 42));
        assert_eq!(
            (d.links, d.keys, d.id),
            (vec![1, 2], vec![7; 9], "ü-1".to_string())
        );
        assert!(Record::decode(&[1, 2, 3]).is_err());
    }

    #[test]
    fn exact_and_near_duplicates_group() {
        let mut idx = mem_index();
        let near = BASE.replace("Tuesday", "Wednesday");
        let other =
            "A completely different story about football results and weather in the mountains.";
        let out = idx
            .insert_batch(&[
                doc("a", BASE),
                doc("b", &BASE.to_uppercase()),
                doc("c", &near),
                doc("d", other),
            ])
            .unwrap();
        assert_eq!(out[0].group, out[1].group);
        assert!(out[1].exact && !out[0].exact && !out[2].exact);
        assert_eq!(out[2].group, out[0].group);
        assert_ne!(out[3].group, out[0].group);
        assert!(out.iter().take(3).all(|a| a.canonical == "a"));
        assert_eq!(out[3].canonical, "d");
        let s = idx.summary();
        assert_eq!(
            (s.articles, s.near_groups, s.exact_groups, s.largest_group),
            (4, 1, 0, 3)
        );
    }

    #[test]
    fn canonical_prefers_earliest_published() {
        let mut idx = mem_index();
        let a = idx
            .insert_batch(&[DocRef {
                id: "late",
                text: BASE,
                published: Some(200),
            }])
            .unwrap();
        assert_eq!(a[0].canonical, "late");
        let b = idx
            .insert_batch(&[
                DocRef {
                    id: "undated",
                    text: BASE,
                    published: None,
                },
                DocRef {
                    id: "early",
                    text: BASE,
                    published: Some(100),
                },
            ])
            .unwrap();
        assert!(b.iter().all(|x| x.canonical == "early"), "{b:?}");
        assert_eq!(idx.get("late").unwrap().unwrap().canonical, "early");
        assert_eq!(b[0].group, a[0].group, "group id survives");
    }

    #[test]
    fn reinserting_an_id_is_idempotent() {
        let mut idx = mem_index();
        let first = idx.insert_batch(&[doc("a", BASE)]).unwrap();
        let again = idx
            .insert_batch(&[doc("a", "different text"), doc("a", BASE)])
            .unwrap();
        assert_eq!(idx.len(), 1);
        assert_eq!(again[0], first[0]);
        assert_eq!(again[1], first[0]);
    }

    #[test]
    fn empty_texts_group_only_exactly() {
        let mut idx = mem_index();
        let out = idx
            .insert_batch(&[doc("a", ""), doc("b", "..."), doc("c", "word")])
            .unwrap();
        assert_eq!(out[0].group, out[1].group);
        assert!(out[1].exact);
        assert_ne!(out[2].group, out[0].group);
    }

    #[test]
    fn sketched_inserts_match_plain_inserts() {
        let near = BASE.replace("Tuesday", "Wednesday");
        let texts = [("a", BASE), ("b", near.as_str()), ("c", "Another story.")];
        let mut plain = mem_index();
        let want = plain
            .insert_batch(&texts.map(|(id, t)| doc(id, t)))
            .unwrap();
        let mut idx = mem_index();
        let sketcher = idx.sketcher();
        let mut scratch = Scratch::new();
        let docs: Vec<SketchedDoc> = texts
            .iter()
            .map(|(id, t)| SketchedDoc {
                id: id.to_string(),
                published: None,
                sketch: sketcher.sketch(t, &mut scratch),
            })
            .collect();
        assert_eq!(idx.insert_sketched(&docs).unwrap(), want);

        let other = DedupConfig {
            seed: 2,
            ..DedupConfig::default()
        };
        let mut foreign = DedupIndex::open(Arc::new(MemStore::new()), other).unwrap();
        assert!(matches!(
            foreign.insert_sketched(&docs),
            Err(Error::InvalidConfig(_))
        ));
    }

    #[test]
    fn config_validation() {
        let bad = DedupConfig {
            threshold: 1.5,
            ..DedupConfig::default()
        };
        assert!(bad.validate().is_err());
        let bad = DedupConfig {
            num_perm: 1,
            ..DedupConfig::default()
        };
        assert!(bad.validate().is_err());
        let bad = DedupConfig {
            shingle: 0,
            ..DedupConfig::default()
        };
        assert!(bad.validate().is_err());
        assert_eq!(DedupConfig::default().lsh_params(), (9, 13));
    }

    #[test]
    fn reopening_with_other_config_is_refused() {
        let store: Arc<dyn Store> = Arc::new(MemStore::new());
        DedupIndex::open(store.clone(), DedupConfig::default()).unwrap();
        let other = DedupConfig {
            shingle: 5,
            ..DedupConfig::default()
        };
        assert!(matches!(
            DedupIndex::open(store.clone(), other),
            Err(Error::ConfigMismatch { .. })
        ));
        let scan_only = DedupConfig {
            max_bucket_scan: 10,
            ..DedupConfig::default()
        };
        assert!(DedupIndex::open(store, scan_only).is_ok());
    }
}
