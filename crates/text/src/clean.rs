//! Boilerplate removal for scraped article text.
//!
//! Works line by line: a line is dropped when it is a section label ("National / Politics"), a byline,
//! a share/subscribe/follow/cookie/newsletter line, a navigation line repeated in the same document,
//! a caption that merely repeats the start of the next paragraph, or has (almost) no letters. Long
//! lines are never dropped by the phrase rules: real sentences may mention "Facebook" or "cookies".

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;

/// Lines longer than this many words are treated as article prose and kept by the phrase rules.
const MAX_BOILERPLATE_WORDS: usize = 16;

/// The result of [`clean_text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    /// Cleaned text, one paragraph per line.
    pub text: String,
    /// The lines that were removed, in order.
    pub removed: Vec<String>,
}

/// NFC-normalises and collapses whitespace within one line; removes control and zero-width characters.
pub fn normalize_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfc() {
        if c.is_whitespace() || c == '\u{00a0}' {
            pending_space = !out.is_empty();
            continue;
        }
        if c.is_control()
            || matches!(
                c,
                '\u{200b}'..='\u{200f}' | '\u{2060}' | '\u{feff}' | '\u{00ad}'
            )
        {
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

static SECTION_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    // "National / Politics", "Home > World > Asia", "News | Business", "WORLD » EUROPE"
    Regex::new(r"^[\p{L}][\p{L}&.'\- ]{0,30}(\s*[/|>»›•·]\s*[\p{L}][\p{L}&.'\- ]{0,30}){1,5}$")
        .unwrap()
});

static BYLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(
            (by|von|por|par|di|door|przez)\s+[\p{Lu}][\p{L}.'\-]+(\s+[\p{Lu}][\p{L}.'\-]+){0,3}(\s*(,|and|&|\|)\s*.*)?
          | (staff\s+(writer|reporter)|associated\s+press|reuters\s+staff|afp|ap|dpa|efe)(\s+(writer|staff))?
          | (reporting|writing|editing|additional\s+reporting)\s+by\b.*
          | (updated|published|posted|last\s+updated)\s*:?\s+.*\d.*
        )$",
    )
    .unwrap()
});

static BOILERPLATE_PHRASE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)(
            become\s+a\s+fan | follow\s+(us|@)\b | like\s+us\s+on | find\s+us\s+on | join\s+us\s+on
          | share\s+(this|on|via|article|story)\b | ^share$ | ^(tweet|email|print|comments?|save)(\s+this)?$
          | subscribe | newsletter | sign\s+up\s+(for|to|now) | unsubscribe
          | cookie | privacy\s+(policy|settings|notice) | terms\s+(of\s+(use|service)|and\s+conditions)
          | all\s+rights\s+reserved | ^copyright\b | ^©
          | click\s+here | read\s+more | ^related(\s+(articles?|stories|coverage|topics))?\s*:?$
          | ^(advertisement|sponsored(\s+content)?|skip\s+to\s+(main\s+)?content|back\s+to\s+top|menu|search)$
          | download\s+(our|the)\s+app | (facebook|twitter|instagram|linkedin|whatsapp|pinterest|youtube|tiktok)\s*$
          | ^(home|news|sport|sports|business|world|politics|opinion|video|photos)(\s+(home|news))?$
          | ^\d+\s+comments?$ | ^(image|photo|picture)\s*(:|credit|source) | getty\s+images\s*$
          | ^(loading|please\s+wait)\W*$ | javascript
          | (jetzt|hier)\s+(teilen|abonnieren) | newsletter\s+abonnieren
          | compartir | suscr[ií]bete | s'abonner | partager
        )",
    )
    .unwrap()
});

/// Cleans scraped plain text. See the module documentation for the rules.
pub fn clean_text(raw: &str) -> Cleaned {
    let lines: Vec<String> = raw
        .lines()
        .map(normalize_inline)
        .filter(|l| !l.is_empty())
        .collect();
    // Short lines that occur more than once in one document are navigation or footers.
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for l in &lines {
        if word_count(l) <= MAX_BOILERPLATE_WORDS {
            *counts.entry(l.as_str()).or_default() += 1;
        }
    }
    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    let mut removed = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let repeated = counts.get(line.as_str()).copied().unwrap_or(0) > 1;
        let caption = lines
            .get(i + 1)
            .is_some_and(|next| next.len() > line.len() + 20 && next.starts_with(line.as_str()));
        if is_boilerplate(line) || repeated || caption {
            removed.push(line.clone());
        } else {
            kept.push(line);
        }
    }
    Cleaned {
        text: kept.join("\n"),
        removed,
    }
}

/// True when a single (normalised) line is boilerplate on its own.
pub fn is_boilerplate(line: &str) -> bool {
    let words = word_count(line);
    let letters = line.chars().filter(|c| c.is_alphabetic()).count();
    if letters * 2 < line.chars().count().min(40) || letters == 0 {
        return true;
    }
    if words > MAX_BOILERPLATE_WORDS {
        return false;
    }
    (words <= 6 && SECTION_LABEL.is_match(line))
        || (words <= 12 && BYLINE.is_match(line))
        || BOILERPLATE_PHRASE.is_match(line)
}

fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

/// Splits a headline off the top of cleaned text: the first line when it is short and does not end
/// like a sentence. Returns `(title, body)`; the body keeps everything when no title is found.
pub fn split_title(text: &str) -> (Option<String>, String) {
    let mut lines = text.lines();
    let Some(first) = lines.next() else {
        return (None, String::new());
    };
    let rest: Vec<&str> = lines.collect();
    let words = word_count(first);
    let sentence_end = first.ends_with(['.', '!', '?', '"', '”', '\'']);
    if !rest.is_empty() && (2..=25).contains(&words) && !sentence_end {
        (Some(first.to_string()), rest.join("\n"))
    } else {
        (None, text.to_string())
    }
}

/// Removes a repeated headline from the start of the body.
pub fn strip_leading_title(text: &str, title: &str) -> String {
    match text.split_once('\n') {
        Some((first, rest)) if first.trim().eq_ignore_ascii_case(title.trim()) => rest.to_string(),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_labels_bylines_footers() {
        let raw = "National / Politics\n\nKishida, Kerry urge North Korea to end standoff\n\nBy Jane Doe\n\
                   Japan and the United States called on North Korea on Sunday to stop its provocations.\n\
                   Become a fan on Facebook\nSubscribe to our newsletter\nWe use cookies to improve your experience.";
        let c = clean_text(raw);
        assert_eq!(
            c.text,
            "Kishida, Kerry urge North Korea to end standoff\n\
             Japan and the United States called on North Korea on Sunday to stop its provocations."
        );
        assert_eq!(c.removed.len(), 5);
    }

    #[test]
    fn keeps_prose_that_mentions_boilerplate_words() {
        let line =
            "The company said it would share its findings on Facebook and Twitter with regulators \
                    next week, after the cookie policy review ordered by the court in Brussels.";
        assert_eq!(clean_text(line).text, line);
    }

    #[test]
    fn drops_repeated_navigation_and_captions() {
        let raw = "Home\nWorld\nMinister resigns\nThe minister resigned on Friday after a week of protests in the capital.\n\
                   World\nThe minister resigned\nThe minister resigned on Friday, his office said in a statement.";
        let c = clean_text(raw);
        assert!(!c.text.lines().any(|l| l == "World" || l == "Home"));
        assert!(!c.text.lines().any(|l| l == "The minister resigned"));
        assert!(c.text.contains("Minister resigns"));
    }

    #[test]
    fn normalises_unicode_and_whitespace() {
        assert_eq!(
            normalize_inline("  Cafe\u{301}\u{00a0}\u{200b}au\t lait "),
            "Café au lait"
        );
    }

    #[test]
    fn title_split_rules() {
        let (t, b) = split_title("Strike ends at port\nWorkers returned on Monday.");
        assert_eq!(t.as_deref(), Some("Strike ends at port"));
        assert_eq!(b, "Workers returned on Monday.");
        let (t, _) = split_title("Workers returned on Monday.\nMore text.");
        assert!(t.is_none());
    }
}
