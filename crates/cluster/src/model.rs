//! TF-IDF article vectors with incrementally updated document frequencies.

use serde::{Deserialize, Serialize};
use storyline_text::{EntityKind, Features};

use rustc_hash::FxHashSet;

use crate::vector::{term_id, SparseVec, Vocab};

/// The sub-vectors of one article. Every vector is L2-normalised.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DocVector {
    /// Title and body terms (the title counted twice), sublinear TF × IDF.
    pub body: SparseVec,
    /// Title and lead terms: what the article is mainly about.
    pub head: SparseVec,
    /// Entity keys (people, places, organisations, other names), sublinear count × IDF.
    pub entities: SparseVec,
    /// Body terms that are not part of entity names: what happened, rather than who and where.
    pub plain: SparseVec,
    /// Title and lead terms that are not part of entity names: the event as the lead states it.
    pub head_plain: SparseVec,
    /// People only (a subset of `entities`): the participants.
    pub persons: SparseVec,
    /// Numbers of two or more digits in the text (scores, counts, years), IDF-weighted.
    pub numbers: SparseVec,
    /// Publication time, Unix seconds.
    pub published: Option<i64>,
    /// Years mentioned in the text.
    pub years: Vec<i32>,
    pub lang: String,
    /// Dense embedding (unit length for an article; a sum of members' embeddings for an event),
    /// when the engine runs with an embedding model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dense: Option<Vec<f32>>,
}

impl DocVector {
    /// The sparse sub-vectors, in a fixed order (body, head, entities, plain, head_plain, persons,
    /// numbers).
    pub fn fields(&self) -> [&SparseVec; 7] {
        [
            &self.body,
            &self.head,
            &self.entities,
            &self.plain,
            &self.head_plain,
            &self.persons,
            &self.numbers,
        ]
    }

    /// Mutable sub-vectors, in the order of [`DocVector::fields`].
    pub fn fields_mut(&mut self) -> [&mut SparseVec; 7] {
        [
            &mut self.body,
            &mut self.head,
            &mut self.entities,
            &mut self.plain,
            &mut self.head_plain,
            &mut self.persons,
            &mut self.numbers,
        ]
    }
}

/// Vocabularies and document frequencies for terms and entities. By default, both grow with every
/// observed document, so IDF adapts to the stream.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Model {
    pub terms: Vocab,
    pub entities: Vocab,
}

/// Entity weight multiplier by kind: people and organisations identify stories better than the
/// countries every foreign-news article mentions.
fn kind_weight(kind: EntityKind) -> f32 {
    match kind {
        EntityKind::Person => 1.5,
        EntityKind::Org => 1.2,
        EntityKind::Place => 1.0,
        EntityKind::Other => 0.8,
    }
}

/// A document's terms and entities as ids with raw weights: the half of vectorisation that
/// needs no model, so it can run in parallel ahead of the sequential clusterer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Prepared {
    /// Title (counted twice) and body term counts.
    body: SparseVec,
    /// Title and lead term counts.
    head: SparseVec,
    /// Body term counts without entity-name terms.
    plain: SparseVec,
    /// Title and lead term counts without entity-name terms.
    head_plain: SparseVec,
    /// Counts of all-digit terms.
    numbers: SparseVec,
    /// Distinct title and body term ids (for document frequencies).
    terms: Vec<u32>,
    /// `(entity key id, weight before IDF, is a person)`, one per key of every entity.
    entities: Vec<(u32, f32, bool)>,
    /// Distinct entity key ids.
    entity_ids: Vec<u32>,
    years: Vec<i32>,
    lang: String,
}

fn counts<'a>(terms: impl Iterator<Item = (&'a str, f32)>) -> SparseVec {
    SparseVec::from_pairs(terms.map(|(t, w)| (term_id(t), w)).collect())
}

impl Model {
    pub fn new() -> Model {
        Model::default()
    }

    /// Turns analysed features into ids and counts. Needs no model: run it in parallel.
    pub fn prepare(f: &Features) -> Prepared {
        let analyzer = storyline_text::Analyzer::for_lang(&f.lang);
        let name_ids: FxHashSet<u32> = f
            .entities
            .iter()
            .flat_map(|e| analyzer.terms(&e.name))
            .map(|t| term_id(&t))
            .collect();
        // Each term is hashed once; the sub-vectors are built from two sorted count vectors.
        let ids = |terms: &[String]| -> Vec<(u32, f32)> {
            terms.iter().map(|t| (term_id(t), 1.0)).collect()
        };
        let title_ids = ids(&f.title_terms);
        let body_only = SparseVec::from_pairs(ids(&f.body_terms));
        let mut head_pairs = title_ids.clone();
        head_pairs.extend(ids(&f.lead_terms));
        let head = SparseVec::from_pairs(head_pairs);
        let not_name = |v: &SparseVec| {
            SparseVec(
                v.0.iter()
                    .filter(|(id, _)| !name_ids.contains(id))
                    .copied()
                    .collect(),
            )
        };
        let plain = not_name(&body_only);
        let head_plain = not_name(&head);
        // Title terms count twice in the body vector.
        let mut body = body_only;
        body.add_scaled(&SparseVec::from_pairs(title_ids), 2.0);
        let numbers = counts(
            f.body_terms
                .iter()
                .chain(&f.title_terms)
                .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
                .map(|t| (t.as_str(), 1.0)),
        );
        let terms: Vec<u32> = body.0.iter().map(|(id, _)| *id).collect();
        let entities: Vec<(u32, f32, bool)> = f
            .entities
            .iter()
            .flat_map(|e| {
                let w = (1.0 + (e.count.max(1) as f32).ln()) * kind_weight(e.kind);
                let person = e.kind == EntityKind::Person;
                e.match_keys().map(move |k| (term_id(k), w, person))
            })
            .collect();
        let mut entity_ids: Vec<u32> = entities.iter().map(|e| e.0).collect();
        entity_ids.sort_unstable();
        entity_ids.dedup();
        Prepared {
            body,
            head,
            plain,
            head_plain,
            numbers,
            terms,
            entities,
            entity_ids,
            years: f.years.clone(),
            lang: f.lang.clone(),
        }
    }

    /// Adds one document's distinct terms and entities to the document frequencies.
    pub fn observe(&mut self, f: &Features) {
        self.observe_prepared(&Self::prepare(f));
    }

    /// [`Model::observe`] for a prepared document.
    pub fn observe_prepared(&mut self, p: &Prepared) {
        self.terms.observe(p.terms.iter().copied());
        self.entities.observe(p.entity_ids.iter().copied());
    }

    /// Sublinear TF × IDF, L2-normalised; ids no observed document contained are dropped.
    /// `base` holds sorted ids with their IDF (`None` for unobserved ids), looked up by a merge walk
    /// since `counts`' ids are sorted too; an id missing from `base` is looked up in `vocab`.
    fn tfidf(vocab: &Vocab, counts: &SparseVec, base: &[(u32, Option<f32>)]) -> SparseVec {
        let mut j = 0;
        let v: Vec<(u32, f32)> = counts
            .0
            .iter()
            .filter_map(|&(id, tf)| {
                while j < base.len() && base[j].0 < id {
                    j += 1;
                }
                let idf = match base.get(j) {
                    Some(&(b, idf)) if b == id => idf,
                    _ => Self::idf_if_seen(vocab, id),
                };
                let tf = if tf == 1.0 { 1.0 } else { 1.0 + tf.ln() };
                idf.map(|idf| (id, tf * idf))
            })
            .collect();
        SparseVec(v).normalized()
    }

    /// The IDF of an id, `None` when no observed document contained it.
    fn idf_if_seen(vocab: &Vocab, id: u32) -> Option<f32> {
        (vocab.df(id) > 0).then(|| vocab.idf(id))
    }

    /// Vectorises a document with the current document frequencies. Terms never observed are
    /// ignored, so call [`Model::observe`] first for a document that should count.
    pub fn vectorize(&self, f: &Features, published: Option<i64>) -> DocVector {
        self.vectorize_prepared(&Self::prepare(f), published)
    }

    /// [`Model::vectorize`] for a prepared document.
    pub fn vectorize_prepared(&self, p: &Prepared, published: Option<i64>) -> DocVector {
        let ent: Vec<(u32, f32, bool)> = p
            .entities
            .iter()
            .filter(|e| self.entities.df(e.0) > 0)
            .map(|&(id, w, person)| (id, w * self.entities.idf(id), person))
            .collect();
        let persons =
            SparseVec::from_pairs(ent.iter().filter(|e| e.2).map(|e| (e.0, e.1)).collect())
                .normalized();
        let entities =
            SparseVec::from_pairs(ent.into_iter().map(|e| (e.0, e.1)).collect()).normalized();
        // Every other field's ids are among the body's (title and body terms): one IDF lookup
        // per distinct term.
        let idf: Vec<(u32, Option<f32>)> = p
            .body
            .0
            .iter()
            .map(|&(id, _)| (id, Self::idf_if_seen(&self.terms, id)))
            .collect();
        DocVector {
            body: Self::tfidf(&self.terms, &p.body, &idf),
            head: Self::tfidf(&self.terms, &p.head, &idf),
            entities,
            plain: Self::tfidf(&self.terms, &p.plain, &idf),
            head_plain: Self::tfidf(&self.terms, &p.head_plain, &idf),
            persons,
            numbers: Self::tfidf(&self.terms, &p.numbers, &idf),
            published,
            years: p.years.clone(),
            lang: p.lang.clone(),
            dense: None,
        }
    }
}
