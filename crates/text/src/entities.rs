//! Model-free named-entity candidates: people, places and organisations.
//!
//! Candidates are maximal runs of capitalised words (with inner connectors such as "of" or "de")
//! inside a sentence. Sentence-initial words count only when the same word is also capitalised
//! mid-sentence somewhere in the document, or is a known place or an acronym. Leading titles
//! ("Foreign Minister", "U.S. Secretary of State") are split off and mark the rest as a person;
//! demonyms ("Japanese", "North Korean") and aliases ("U.S.", "N. Korea") map to canonical places.
//! A lone surname is merged into the full name used elsewhere in the document.
//! Types come from gazetteers, title cues and organisation keywords; the rest is `Other`.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::borrow::Cow;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::gazetteer::{
    self, ALIASES, DEMONYMS, NOT_ENTITIES, ORG_WORDS, PERSON_TITLES, PLACES, PLACE_WORDS,
};
use crate::tokens::Analyzer;

/// The type of an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    Person,
    Place,
    Org,
    Other,
}

/// One entity of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Display name: the longest surface form used in the document.
    pub name: String,
    /// Canonical lower-case key, shared across documents ("u.s." and "United States" → "united states").
    pub key: String,
    pub kind: EntityKind,
    /// Number of mentions in the document.
    pub count: u32,
}

impl Entity {
    /// Keys for matching across documents: the full key, plus the surname for multi-word people so
    /// that "Kishida" in one article matches "Fumio Kishida" in another.
    pub fn match_keys(&self) -> impl Iterator<Item = &str> {
        let surname = match self.kind {
            EntityKind::Person => self.key.rsplit(' ').next().filter(|s| *s != self.key),
            _ => None,
        };
        std::iter::once(self.key.as_str()).chain(surname)
    }
}

static PLACE_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| PLACES.iter().copied().collect());

#[derive(Debug, Clone)]
struct Word<'a> {
    text: &'a str,
    /// First word of a sentence (or of a line, or after an opening quote).
    initial: bool,
    /// Followed by punctuation that ends a name (comma, period, colon...), or a possessive.
    stop_after: bool,
}

fn is_cap(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_uppercase)
}

/// An age written as one hyphenated word ("sixty-year-old", "61-year-old"): never part of a name.
fn is_age(lower: &str) -> bool {
    ["-year-old", "-years-old"]
        .iter()
        .any(|s| lower.len() > s.len() && lower.ends_with(s))
}

fn is_acronym(w: &str) -> bool {
    let letters: Vec<char> = w.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase())
}

const CONNECTORS: &[&str] = &[
    "of", "de", "del", "della", "di", "da", "van", "von", "der", "den", "la", "le", "al", "bin",
    "y", "&",
];

/// Splits text into words with sentence and punctuation marks. Keeps inner dots, hyphens and
/// apostrophes ("U.S.", "al-Assad", "O'Brien"); strips possessive "'s".
fn scan(text: &str) -> Vec<Word<'_>> {
    let mut out: Vec<Word<'_>> = Vec::new();
    let mut initial = true;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().unwrap_or(' ');
        let len = c.len_utf8();
        if c.is_alphanumeric() || c == '&' {
            let start = i;
            let mut end = i + len;
            if c != '&' {
                while end < text.len() {
                    let d = text[end..].chars().next().unwrap_or(' ');
                    if d.is_alphanumeric() {
                        end += d.len_utf8();
                    } else if matches!(d, '.' | '-' | '\'' | '’') {
                        let next = text[end + d.len_utf8()..].chars().next();
                        if next.is_some_and(char::is_alphanumeric) {
                            end += d.len_utf8();
                        } else {
                            break;
                        }
                    } else {
                        break;
                    }
                }
            }
            let mut word = &text[start..end];
            let mut possessive = false;
            for suffix in ["'s", "’s"] {
                if let Some(w) = word.strip_suffix(suffix) {
                    word = w;
                    possessive = true;
                }
            }
            // An initial or an acronym with dots keeps its final dot: "N.", "U.S.".
            let mut consumed_dot = false;
            if end < text.len() && bytes[end] == b'.' {
                let letters = word.chars().filter(|c| c.is_alphabetic()).count();
                let dotted =
                    word.contains('.') && word.chars().all(|c| c == '.' || c.is_uppercase());
                if (letters == 1 && word.chars().all(char::is_uppercase)) || dotted {
                    word = &text[start..end + 1];
                    end += 1;
                    consumed_dot = true;
                }
            }
            out.push(Word {
                text: word,
                initial,
                stop_after: possessive,
            });
            initial = false;
            let _ = consumed_dot;
            i = end;
            continue;
        }
        if !c.is_whitespace() || c == '\n' {
            if let Some(last) = out.last_mut() {
                last.stop_after = true;
            }
        }
        let spaced = text[..i].ends_with(' ') && text[i + len..].starts_with(' ');
        if matches!(
            c,
            '.' | '!' | '?' | '\n' | ':' | ';' | '“' | '"' | '(' | '[' | '—' | '|'
        ) || (matches!(c, '-' | '–') && spaced)
        {
            initial = true;
        }
        i += len;
    }
    out
}

/// Extracts entities from a document body, optionally with its title. Sorted by mentions, then name.
pub fn extract(title: Option<&str>, body: &str, analyzer: &Analyzer) -> Vec<Entity> {
    let words = scan(body);
    // Words seen capitalised mid-sentence, and words seen in lower case.
    let mut cap_mid: HashSet<&str> = HashSet::default();
    // Borrowed when the word is lower case already (most words): no allocation per word.
    let mut lower_seen: HashSet<Cow<'_, str>> = HashSet::default();
    for w in &words {
        if is_cap(w.text) && !w.initial {
            cap_mid.insert(w.text);
        } else if !is_cap(w.text) {
            lower_seen.insert(if w.text.chars().any(char::is_uppercase) {
                Cow::Owned(w.text.to_lowercase())
            } else {
                Cow::Borrowed(w.text)
            });
        }
    }
    let mut mentions: Vec<(Vec<&str>, bool)> = Vec::new();
    spans(&words, &cap_mid, &lower_seen, analyzer, &mut mentions);
    if let Some(t) = title {
        let tw = scan(t);
        let caps = tw.iter().filter(|w| is_cap(w.text)).count();
        let title_case = caps * 10 >= tw.len() * 6;
        let mut tm = Vec::new();
        spans(&tw, &cap_mid, &lower_seen, analyzer, &mut tm);
        for (span, person) in tm {
            // Title-case headlines capitalise everything: keep only names the body also uses.
            let known = span.iter().all(|w| {
                cap_mid.contains(w)
                    || is_acronym(w)
                    || PLACE_SET.contains(w.to_lowercase().as_str())
            });
            if !title_case || known {
                mentions.push((span, person));
            }
        }
    }
    resolve(mentions)
}

fn spans<'a>(
    words: &[Word<'a>],
    cap_mid: &HashSet<&str>,
    lower_seen: &HashSet<Cow<'_, str>>,
    analyzer: &Analyzer,
    out: &mut Vec<(Vec<&'a str>, bool)>,
) {
    let mut i = 0;
    while i < words.len() {
        if !is_cap(words[i].text) {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i + 1; // exclusive
        while end <= words.len() {
            if words[end - 1].stop_after || end == words.len() {
                break;
            }
            let next = &words[end];
            if is_cap(next.text) && !next.initial {
                end += 1;
            } else if CONNECTORS.contains(&next.text)
                && words
                    .get(end + 1)
                    .is_some_and(|w| is_cap(w.text) && !w.initial)
                && !next.stop_after
            {
                end += 2;
            } else {
                break;
            }
        }
        let mut span: Vec<&str> = words[start..end].iter().map(|w| w.text).collect();
        i = end;
        // Drop leading words that are not names: sentence openers, weekdays, lower-case words.
        let mut first_initial = words[start].initial;
        while let Some(first) = span.first() {
            let lower = first.to_lowercase();
            // "New Zealand", "South Africa": a known place of two words keeps its first word.
            let starts_place = || {
                span.get(1)
                    .is_some_and(|second| is_place_pair(&lower, &second.to_lowercase()))
            };
            let common = !is_acronym(first)
                && (analyzer.is_stop(&lower)
                    || gazetteer::contains(NOT_ENTITIES, &lower)
                    || is_age(&lower))
                && !starts_place();
            let unproven = first_initial
                && !cap_mid.contains(first)
                && !is_acronym(first)
                && !PLACE_SET.contains(lower.as_str())
                && gazetteer::lookup(DEMONYMS, &lower).is_none()
                && (lower_seen.contains(lower.as_str())
                    || span.len() == 1
                    || analyzer.is_stop(&lower))
                && !starts_place();
            if common || unproven {
                span.remove(0);
                first_initial = false;
            } else {
                break;
            }
        }
        while span.last().is_some_and(|w| {
            CONNECTORS.contains(w) || gazetteer::contains(NOT_ENTITIES, &w.to_lowercase())
        }) {
            span.pop();
        }
        if span.is_empty() {
            continue;
        }
        split_titles(span, out);
    }
}

/// Splits "Japanese Foreign Minister Fumio Kishida" into the place "Japanese" and the person
/// "Fumio Kishida". A span made only of titles is dropped.
fn split_titles<'a>(span: Vec<&'a str>, out: &mut Vec<(Vec<&'a str>, bool)>) {
    // Each word lower-cased once; the rules below test them against several lists.
    let lower: Vec<String> = span.iter().map(|w| w.to_lowercase()).collect();
    split_titles_lower(&span, &lower, out);
}

fn split_titles_lower<'a>(span: &[&'a str], lower: &[String], out: &mut Vec<(Vec<&'a str>, bool)>) {
    // "New" in "New Zealand" opens a place, not a title ("new coach").
    let starts_place = |j: usize| j + 1 < span.len() && is_place_pair(&lower[j], &lower[j + 1]);
    let is_title = |j: usize| {
        gazetteer::contains(PERSON_TITLES, lower[j].trim_end_matches('.')) && !starts_place(j)
    };
    let is_org = |j: usize| gazetteer::contains(ORG_WORDS, &lower[j]);
    let org = (0..span.len()).any(is_org);
    // "American Hasim Rahman": a leading nationality is a place, the rest a name.
    if span.len() >= 2 && !org && gazetteer::lookup(DEMONYMS, &lower[0]).is_some() {
        out.push((vec![span[0]], false));
        split_titles_lower(&span[1..], &lower[1..], out);
        return;
    }
    let last_title = (0..span.len()).rposition(|j| is_title(j) || span[j] == "of");
    // Split only when what follows the titles is a name, not an organisation ("Foreign Ministry").
    let rest_is_org = |t: usize| (t + 1..span.len()).any(is_org);
    match last_title.filter(|&t| !rest_is_org(t)) {
        Some(t) if t + 1 < span.len() && (0..=t).any(is_title) => {
            let rest = span[t + 1..].to_vec();
            // Places and demonyms inside the title part ("U.S.", "Japanese") are entities too,
            // and so is an organisation that precedes the titles ("City Council President ...").
            if let Some(o) = (0..t + 1).rposition(is_org) {
                if o > 0 || !is_title(0) {
                    out.push((span[..=o].to_vec(), false));
                }
            }
            let mut j = 0;
            while j <= t {
                let w = span[j];
                if j < t && starts_place(j) {
                    out.push((span[j..j + 2].to_vec(), false));
                    j += 2;
                    continue;
                }
                if canonical_place(&lower[j]).is_some() {
                    out.push((vec![w], false));
                }
                j += 1;
            }
            // `rest` holds no organisation word (checked above): a person.
            out.push((rest, true));
        }
        _ => {
            if (0..span.len()).all(|j| is_title(j) || span[j] == "of") {
                return;
            }
            out.push((span.to_vec(), false));
        }
    }
}

/// True when two lower-case words are a known place together ("new" "zealand").
fn is_place_pair(first: &str, second: &str) -> bool {
    canonical_place(&format!("{first} {second}")).is_some()
}

/// The canonical place key for a surface form, through aliases, demonyms and the gazetteer.
fn canonical_place(lower: &str) -> Option<String> {
    if let Some(a) = gazetteer::lookup(ALIASES, lower) {
        return PLACE_SET.contains(a).then(|| a.to_string());
    }
    if let Some(p) = gazetteer::lookup(DEMONYMS, lower) {
        return Some(p.to_string());
    }
    PLACE_SET.contains(lower).then(|| lower.to_string())
}

fn canonical_key(surface: &str) -> String {
    let lower = expand_abbreviation(&surface.to_lowercase());
    if let Some(p) = canonical_place(&lower) {
        return p;
    }
    if let Some(a) = gazetteer::lookup(ALIASES, &lower) {
        return a.to_string();
    }
    lower.replace('’', "'")
}

/// Spells out a leading "Mt"/"Mt.", "Ft"/"Ft." or "St"/"St." ("Mt Cook" and "Mount Cook" are one
/// key). Only in front: a trailing "St." is a street.
fn expand_abbreviation(lower: &str) -> String {
    for (short, long) in [("mt", "mount"), ("ft", "fort"), ("st", "saint")] {
        if let Some(rest) = lower.strip_prefix(short) {
            let rest = rest.strip_prefix('.').unwrap_or(rest);
            if let Some(name) = rest.strip_prefix(' ').filter(|n| !n.is_empty()) {
                return format!("{long} {name}");
            }
        }
    }
    lower.to_string()
}

fn classify(key: &str, words: &[&str], person_cue: bool) -> EntityKind {
    if PLACE_SET.contains(key) {
        return EntityKind::Place;
    }
    let last = words
        .last()
        .map(|w| w.trim_end_matches('.').to_lowercase())
        .unwrap_or_default();
    if gazetteer::contains(ORG_WORDS, &last)
        || words
            .iter()
            .any(|w| gazetteer::contains(ORG_WORDS, &w.to_lowercase()))
    {
        return EntityKind::Org;
    }
    if person_cue {
        return EntityKind::Person;
    }
    if words.len() >= 2 && gazetteer::contains(PLACE_WORDS, &last) {
        return EntityKind::Place;
    }
    if words.len() == 1 && is_acronym(words[0]) {
        return EntityKind::Org;
    }
    EntityKind::Other
}

fn resolve(mentions: Vec<(Vec<&str>, bool)>) -> Vec<Entity> {
    struct Acc {
        name: String,
        words: usize,
        count: u32,
        person: bool,
        kind_words: Vec<String>,
    }
    let mut by_key: HashMap<String, Acc> = HashMap::default();
    for (span, person) in &mentions {
        let surface = span.join(" ");
        let key = canonical_key(&surface);
        let acc = by_key.entry(key).or_insert_with(|| Acc {
            name: surface.clone(),
            words: span.len(),
            count: 0,
            person: false,
            kind_words: span.iter().map(|s| s.to_string()).collect(),
        });
        acc.count += 1;
        acc.person |= *person;
        let shouting = |n: &str| {
            n.chars()
                .filter(|c| c.is_alphabetic())
                .all(char::is_uppercase)
        };
        if shouting(&acc.name) && !shouting(&surface) && span.len() == acc.words {
            acc.name = surface.clone();
        }
        if span.len() > acc.words {
            acc.name = surface;
            acc.words = span.len();
            acc.kind_words = span.iter().map(|s| s.to_string()).collect();
        }
    }
    // A two-to-four-word name whose words are all unknown, and whose last word is used alone,
    // is a person's full name ("Fumio Kishida" ... "Kishida").
    let singles: HashSet<String> = by_key
        .keys()
        .filter(|k| !k.contains(' '))
        .cloned()
        .collect();
    for (key, acc) in by_key.iter_mut() {
        let parts: Vec<&str> = key.split(' ').collect();
        let plain = parts.iter().all(|p| {
            !PLACE_SET.contains(p) && !gazetteer::contains(ORG_WORDS, p) && !CONNECTORS.contains(p)
        });
        if (2..=4).contains(&parts.len())
            && plain
            && parts.last().is_some_and(|l| singles.contains(*l))
        {
            acc.person = true;
        }
    }
    // Merge a lone word into the unique longer person name ending (or starting) with it.
    let keys: Vec<String> = by_key.keys().cloned().collect();
    for k in keys.iter().filter(|k| !k.contains(' ')) {
        let owners: Vec<&String> = keys
            .iter()
            .filter(|o| o.contains(' ') && by_key[*o].person)
            .filter(|o| o.rsplit(' ').next() == Some(k.as_str()))
            .collect();
        if let [owner] = owners.as_slice() {
            if let Some(single) = by_key.remove(k) {
                if let Some(o) = by_key.get_mut(*owner) {
                    o.count += single.count;
                }
            }
        }
    }
    // Merge a lone word into the unique organisation name starting with it ("Halcyon" →
    // "Halcyon Systems").
    let keys: Vec<String> = by_key.keys().cloned().collect();
    for k in keys.iter().filter(|k| !k.contains(' ')) {
        let owners: Vec<&String> = keys
            .iter()
            .filter(|o| o.contains(' ') && o.split(' ').next() == Some(k.as_str()))
            .filter(|o| {
                let last = o.rsplit(' ').next().unwrap_or("");
                gazetteer::contains(ORG_WORDS, last) && !by_key.get(*o).is_some_and(|a| a.person)
            })
            .collect();
        if let [owner] = owners.as_slice() {
            if let Some(single) = by_key.remove(k) {
                if let Some(o) = by_key.get_mut(*owner) {
                    o.count += single.count;
                }
            }
        }
    }
    let mut out: Vec<Entity> = by_key
        .into_iter()
        .map(|(key, acc)| {
            let words: Vec<&str> = acc.kind_words.iter().map(String::as_str).collect();
            let kind = classify(&key, &words, acc.person);
            let name = if PLACE_SET.contains(key.as_str()) && kind == EntityKind::Place {
                title_case(&key)
            } else {
                acc.name
            };
            Entity {
                name,
                key,
                kind,
                count: acc.count,
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    out
}

fn title_case(key: &str) -> String {
    key.split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ents(title: Option<&str>, body: &str) -> Vec<Entity> {
        extract(title, body, &Analyzer::for_lang("en"))
    }

    fn find<'a>(e: &'a [Entity], key: &str) -> Option<&'a Entity> {
        e.iter().find(|x| x.key == key)
    }

    #[test]
    fn people_places_and_titles() {
        let body = "In a meeting in Tokyo, Japanese Foreign Minister Fumio Kishida and U.S. Secretary of State \
                    John Kerry agreed on the need for North Korea to take steps. Kishida told a news conference \
                    that Japan would act. Kerry said the U.S. was committed. The Foreign Ministry said so.";
        let e = ents(None, body);
        let kishida = find(&e, "fumio kishida").expect("kishida");
        assert_eq!(kishida.kind, EntityKind::Person);
        assert_eq!(kishida.count, 2);
        assert_eq!(find(&e, "john kerry").unwrap().kind, EntityKind::Person);
        assert_eq!(find(&e, "north korea").unwrap().kind, EntityKind::Place);
        assert_eq!(find(&e, "united states").unwrap().count, 2);
        assert_eq!(find(&e, "japan").unwrap().count, 2, "{e:?}");
        assert_eq!(find(&e, "tokyo").unwrap().kind, EntityKind::Place);
        assert_eq!(find(&e, "foreign ministry").unwrap().kind, EntityKind::Org);
        assert!(find(&e, "in").is_none() && find(&e, "the").is_none());
        assert!(kishida.match_keys().any(|k| k == "kishida"));
    }

    #[test]
    fn a_two_word_place_opening_a_sentence_keeps_its_first_word() {
        let e = ents(
            None,
            "New Zealand police said a climber fell on Sunday. The new route was closed. \
             South Africa sent a team. The south face is steep.",
        );
        assert_eq!(
            find(&e, "new zealand").map(|x| x.kind),
            Some(EntityKind::Place),
            "{e:?}"
        );
        assert!(find(&e, "zealand").is_none(), "{e:?}");
        assert!(find(&e, "south africa").is_some(), "{e:?}");
    }

    #[test]
    fn ap_state_abbreviations_are_the_states() {
        let e = ents(
            None,
            "LOS ANGELES, Calif. - Lindsay Lohan checked into a clinic in Palm Springs, Calif., on \
             Thursday. Her lawyer flew in from Trenton, N.J., the same day.",
        );
        let ca = find(&e, "california").expect("california");
        assert_eq!(
            (ca.kind, ca.name.as_str()),
            (EntityKind::Place, "California"),
            "{e:?}"
        );
        assert_eq!(ca.count, 2, "{e:?}");
        assert!(
            find(&e, "new jersey").is_some() && find(&e, "calif").is_none(),
            "{e:?}"
        );
    }

    #[test]
    fn a_leading_age_is_not_part_of_the_name() {
        let e = ents(
            None,
            "Sixty-year-old Sharron Diane Crawford Smith is now accused of murdering two women.",
        );
        assert!(find(&e, "sharron diane crawford smith").is_some(), "{e:?}");
        assert!(is_age("61-year-old") && !is_age("-year-old") && !is_age("old"));
    }

    #[test]
    fn abbreviated_place_names_share_a_key() {
        let a = ents(
            None,
            "Dr Mark Vinar is presumed dead after disappearing off a ridge on Mt Cook.",
        );
        let b = ents(
            None,
            "Two climbers fell on Mount Cook, New Zealand's highest peak, police said.",
        );
        assert!(find(&a, "mount cook").is_some(), "{a:?}");
        assert!(find(&b, "mount cook").is_some(), "{b:?}");
        assert_eq!(expand_abbreviation("st. louis"), "saint louis");
        assert_eq!(expand_abbreviation("main st."), "main st.");
        assert_eq!(expand_abbreviation("mt"), "mt");
    }

    #[test]
    fn org_before_title_and_shouted_datelines() {
        let e = ents(
            None,
            "NORHAVEN — City Council President Omar Haddad spoke. Haddad said Norhaven would vote.",
        );
        assert_eq!(
            find(&e, "omar haddad").unwrap().kind,
            EntityKind::Person,
            "{e:?}"
        );
        assert_eq!(
            find(&e, "city council").unwrap().kind,
            EntityKind::Org,
            "{e:?}"
        );
        assert_eq!(find(&e, "norhaven").unwrap().name, "Norhaven", "{e:?}");
    }

    #[test]
    fn dash_starts_a_sentence_and_short_org_names_merge() {
        let e = ents(
            None,
            "NORHAVEN, March 4 (GWS) - Enterprise software maker Halcyon Systems said on Monday that \
             Halcyon would buy a rival.",
        );
        assert!(find(&e, "enterprise").is_none(), "{e:?}");
        assert_eq!(find(&e, "halcyon systems").unwrap().count, 2, "{e:?}");
    }

    #[test]
    fn leading_nationality_is_split_off() {
        let e = ents(
            None,
            "Klitschko stopped American Hasim Rahman in Mannheim. Rahman fell twice.",
        );
        assert!(find(&e, "hasim rahman").is_some(), "{e:?}");
        assert_eq!(find(&e, "united states").unwrap().kind, EntityKind::Place);
        assert!(find(&e, "american airlines").is_none());
        let e = ents(None, "He flew with American Airlines to Dallas on Monday.");
        assert!(find(&e, "american airlines").is_some(), "{e:?}");
    }

    #[test]
    fn sentence_initial_common_words_are_not_entities() {
        let e = ents(None, "Dock workers walked out. Workers said the dock was closed. Police arrived at the port.");
        assert!(
            e.iter().all(|x| x.key != "dock" && x.key != "workers"),
            "{e:?}"
        );
    }

    #[test]
    fn aliases_and_headline_case() {
        let e = ents(
            Some("Kishida, Kerry Urge N. Korea To Drop Nuclear Test"),
            "Kishida met Kerry. They discussed N. Korea and the UN Security Council.",
        );
        assert!(find(&e, "north korea").is_some(), "{e:?}");
        assert!(
            find(&e, "drop").is_none() && find(&e, "urge").is_none(),
            "{e:?}"
        );
        assert!(find(&e, "un security council").is_some(), "{e:?}");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = ents(Some(&s), &s);
        }
    }
}
