//! TF-IDF article vectors with incrementally updated document frequencies.

use serde::{Deserialize, Serialize};
use storyline_text::{EntityKind, Features};

use crate::vector::{SparseVec, Vocab};

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

impl Model {
    pub fn new() -> Model {
        Model::default()
    }

    /// Adds one document's distinct terms and entities to the document frequencies.
    pub fn observe(&mut self, f: &Features) {
        let mut ids: Vec<u32> = f
            .title_terms
            .iter()
            .chain(&f.body_terms)
            .map(|t| self.terms.intern(t))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        self.terms.observe(ids);
        let mut ents: Vec<u32> = f
            .entities
            .iter()
            .flat_map(|e| e.match_keys())
            .map(|k| self.entities.intern(k))
            .collect();
        ents.sort_unstable();
        ents.dedup();
        self.entities.observe(ents);
    }

    fn tfidf<'a>(vocab: &Vocab, terms: impl Iterator<Item = (&'a str, f32)>) -> SparseVec {
        let pairs: Vec<(u32, f32)> = terms
            .filter_map(|(t, w)| vocab.get(t).map(|id| (id, w)))
            .collect();
        let mut v = SparseVec::from_pairs(pairs);
        for p in &mut v.0 {
            p.1 = (1.0 + p.1.ln()) * vocab.idf(p.0);
        }
        v.normalized()
    }

    /// Vectorises a document with the current document frequencies. Terms never observed are
    /// ignored, so call [`Model::observe`] first for a document that should count.
    pub fn vectorize(&self, f: &Features, published: Option<i64>) -> DocVector {
        let title = f.title_terms.iter().map(|t| (t.as_str(), 2.0));
        let body = Self::tfidf(
            &self.terms,
            title.chain(f.body_terms.iter().map(|t| (t.as_str(), 1.0))),
        );
        let analyzer = storyline_text::Analyzer::for_lang(&f.lang);
        let name_terms: std::collections::HashSet<String> = f
            .entities
            .iter()
            .flat_map(|e| analyzer.terms(&e.name))
            .collect();
        let plain = Self::tfidf(
            &self.terms,
            f.body_terms
                .iter()
                .filter(|t| !name_terms.contains(*t))
                .map(|t| (t.as_str(), 1.0)),
        );
        let head_plain = Self::tfidf(
            &self.terms,
            f.title_terms
                .iter()
                .chain(&f.lead_terms)
                .filter(|t| !name_terms.contains(*t))
                .map(|t| (t.as_str(), 1.0)),
        );
        let head = Self::tfidf(
            &self.terms,
            f.title_terms
                .iter()
                .chain(&f.lead_terms)
                .map(|t| (t.as_str(), 1.0)),
        );
        let ent_pairs: Vec<(u32, f32, bool)> = f
            .entities
            .iter()
            .flat_map(|e| {
                let w = (1.0 + (e.count.max(1) as f32).ln()) * kind_weight(e.kind);
                let person = e.kind == EntityKind::Person;
                e.match_keys()
                    .map(move |k| (k, w, person))
                    .collect::<Vec<_>>()
            })
            .filter_map(|(k, w, person)| {
                self.entities
                    .get(k)
                    .map(|id| (id, w * self.entities.idf(id), person))
            })
            .collect();
        let persons = SparseVec::from_pairs(
            ent_pairs
                .iter()
                .filter(|p| p.2)
                .map(|p| (p.0, p.1))
                .collect(),
        )
        .normalized();
        let ent_pairs: Vec<(u32, f32)> = ent_pairs.into_iter().map(|p| (p.0, p.1)).collect();
        let numbers = Self::tfidf(
            &self.terms,
            f.body_terms
                .iter()
                .chain(&f.title_terms)
                .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
                .map(|t| (t.as_str(), 1.0)),
        );
        DocVector {
            body,
            head,
            entities: SparseVec::from_pairs(ent_pairs).normalized(),
            plain,
            head_plain,
            persons,
            numbers,
            published,
            years: f.years.clone(),
            lang: f.lang.clone(),
            dense: None,
        }
    }
}
