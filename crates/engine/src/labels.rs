//! Cluster labels: the most frequent entities (people and organisations first) and keyphrases of
//! an event's or a storyline's members, accumulated as articles arrive ([`LabelAcc`]), so a
//! clustering in progress keeps one small table per event instead of every article's features.

use std::collections::{HashMap, HashSet};

use storyline_text::{Entity, EntityKind, Features};

/// By default, a label weighs each member's first 6 entities and first 3 keyphrases.
pub(crate) const LABEL_ENTITIES: usize = 6;
pub(crate) const LABEL_PHRASES: usize = 3;

/// The inputs of [`label`] for one article: its first entities and keyphrases, term lists empty.
pub(crate) fn label_inputs(entities: &[Entity], keyphrases: &[String]) -> Features {
    Features {
        lang: String::new(),
        title_terms: Vec::new(),
        body_terms: Vec::new(),
        lead_terms: Vec::new(),
        entities: entities.iter().take(LABEL_ENTITIES).cloned().collect(),
        keyphrases: keyphrases.iter().take(LABEL_PHRASES).cloned().collect(),
        years: Vec::new(),
    }
}

/// The weighted entity and keyphrase counts of a set of articles, from which [`LabelAcc::label`]
/// renders a label. Adding members in any order, or merging accumulators, gives the same label
/// as [`label`] over all the members.
#[derive(Debug, Clone, Default)]
pub struct LabelAcc {
    /// Entity key → (weight, longest name seen).
    ents: HashMap<String, (f32, String)>,
    phrases: HashMap<String, usize>,
}

impl LabelAcc {
    /// Counts one member's first entities and keyphrases.
    pub fn add(&mut self, entities: &[Entity], keyphrases: &[String]) {
        for e in entities.iter().take(LABEL_ENTITIES) {
            let w = match e.kind {
                EntityKind::Person | EntityKind::Org => 1.5,
                EntityKind::Place => 1.0,
                EntityKind::Other => 0.7,
            };
            let slot = self
                .ents
                .entry(e.key.clone())
                .or_insert_with(|| (0.0, e.name.clone()));
            slot.0 += w;
            if e.name.len() > slot.1.len() {
                slot.1 = e.name.clone();
            }
        }
        for p in keyphrases.iter().take(LABEL_PHRASES) {
            *self.phrases.entry(p.clone()).or_default() += 1;
        }
    }

    /// Adds another accumulator's counts.
    pub fn merge(&mut self, other: &LabelAcc) {
        for (k, (w, name)) in &other.ents {
            let slot = self
                .ents
                .entry(k.clone())
                .or_insert_with(|| (0.0, name.clone()));
            slot.0 += w;
            if name.len() > slot.1.len() {
                slot.1 = name.clone();
            }
        }
        for (p, n) in &other.phrases {
            *self.phrases.entry(p.clone()).or_default() += n;
        }
    }

    /// The label: the three weightiest entities, then two keyphrases that do not only repeat
    /// their words.
    pub fn label(&self) -> String {
        let mut ents: Vec<(&str, (f32, &str))> = self
            .ents
            .iter()
            .map(|(k, (w, n))| (k.as_str(), (*w, n.as_str())))
            .collect();
        ents.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0).then(a.0.cmp(b.0)));
        let mut phrases: Vec<(&str, usize)> =
            self.phrases.iter().map(|(p, n)| (p.as_str(), *n)).collect();
        phrases.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut parts: Vec<&str> = ents.iter().take(3).map(|(_, (_, n))| *n).collect();
        // A keyphrase whose words all belong to the names shown ("lohan" beside "Lindsay Lohan")
        // says nothing new: the next one is shown instead.
        let named: HashSet<String> = parts
            .iter()
            .flat_map(|n| storyline_text::tokens::words(n))
            .collect();
        parts.extend(
            phrases
                .iter()
                .filter(|(p, _)| !p.split(' ').all(|w| named.contains(w)))
                .take(2)
                .map(|(p, _)| *p),
        );
        parts.join(" · ")
    }
}

/// A label from the members' most frequent entities (people and organisations first) and
/// keyphrases.
pub fn label<'a>(members: impl Iterator<Item = &'a Features>) -> String {
    let mut acc = LabelAcc::default();
    for f in members {
        acc.add(&f.entities, &f.keyphrases);
    }
    acc.label()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(entities: &[(&str, EntityKind)], phrases: &[&str]) -> Features {
        let entities: Vec<Entity> = entities
            .iter()
            .map(|&(name, kind)| Entity {
                name: name.to_string(),
                key: name.to_lowercase(),
                kind,
                count: 1,
            })
            .collect();
        let phrases: Vec<String> = phrases.iter().map(|p| p.to_string()).collect();
        label_inputs(&entities, &phrases)
    }

    #[test]
    fn labels_skip_keyphrases_that_repeat_the_names_shown() {
        let m = [
            member(
                &[
                    ("Lindsay Lohan", EntityKind::Person),
                    ("Betty Ford Center", EntityKind::Org),
                ],
                &["betty ford center", "lohan", "court ordered rehab"],
            ),
            member(
                &[("Lindsay Lohan", EntityKind::Person)],
                &["lohan", "probation violation", "court ordered rehab"],
            ),
        ];
        assert_eq!(
            label(m.iter()),
            "Lindsay Lohan · Betty Ford Center · court ordered rehab · probation violation"
        );
    }
}
