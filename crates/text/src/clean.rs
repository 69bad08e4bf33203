//! Boilerplate removal for scraped article text.
//!
//! Works line by line: a line is dropped when it is a section label ("National / Politics"), a byline,
//! a share/subscribe/follow/cookie/newsletter line, a navigation line repeated in the same document,
//! a caption that merely repeats the start of the next paragraph, or has (almost) no letters. Long
//! lines are never dropped by the phrase rules: real sentences may mention "Facebook" or "cookies".

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use crate::charclass;
use crate::wordre::WordRegex;
use regex::Regex;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

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
    normalize_inline_cow(s).into_owned()
}

/// [`normalize_inline`], borrowing when the line is already normalised (the common case for
/// clean prose), so most lines are not copied.
fn normalize_inline_cow(s: &str) -> Cow<'_, str> {
    // `is_nfc_quick` = Yes means `s.nfc()` yields exactly `s.chars()`.
    if s.is_ascii() || nfc_quick_yes(s) {
        match first_change(s) {
            None => Cow::Borrowed(s),
            Some(p) => Cow::Owned(normalize_nfc_from(s, p)),
        }
    } else {
        Cow::Owned(normalize_chars(s.nfc(), s.len()))
    }
}

/// `is_nfc_quick(s.chars()) == Yes`, faster: characters below U+0300 are NFC starters
/// (canonical combining class 0, NFC_QC = Yes; checked by a test), which affect the quick check
/// exactly like ASCII, so they are passed as ASCII and the check starts at the first character
/// at or above U+0300 (lead byte >= 0xCC).
fn nfc_quick_yes(s: &str) -> bool {
    let Some(start) = s.bytes().position(|b| b >= 0xCC) else {
        return true;
    };
    let chars = s[start..]
        .chars()
        .map(|c| if c < '\u{300}' { 'a' } else { c });
    is_nfc_quick(chars) == IsNormalized::Yes
}

/// Removed outright by [`normalize_inline`] (after NFC).
fn is_dropped(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}' | '\u{2060}' | '\u{feff}' | '\u{00ad}'
        )
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{00a0}'
}

/// The character starting at byte `i` of `s` (`i` on a char boundary).
fn char_at(s: &str, i: usize) -> char {
    s[i..].chars().next().unwrap_or(char::REPLACEMENT_CHARACTER)
}

const HI: u64 = 0x8080_8080_8080_8080;
const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// Bit 7 set in each byte of `x` equal to `b`, all other bits clear (exact: no carries cross
/// bytes).
#[inline]
fn eq_bytes(x: u64, b: u8) -> u64 {
    let y = x ^ (u64::from(b) * 0x0101_0101_0101_0101);
    !(((y & LO7) + LO7) | y) & HI
}

/// For eight bytes (little-endian): `Some(spaces)`, bit 7 set in each space byte, when all are
/// printable ASCII (0x20..=0x7E); `None` otherwise.
#[inline]
fn printable_ascii8(x: u64) -> Option<u64> {
    if x & HI != 0 {
        return None;
    }
    // All bytes are below 0x80, so adding 0x60 carries out of no byte: bit 7 is then set
    // exactly in the bytes >= 0x20.
    if x.wrapping_add(0x6060_6060_6060_6060) & HI != HI || eq_bytes(x, 0x7f) != 0 {
        return None;
    }
    Some(eq_bytes(x, b' '))
}

/// The eight bytes at `i`, if there are that many.
#[inline]
fn load8(bytes: &[u8], i: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(i..i + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// For NFC input: `None` when [`normalize_chars`] would return `s` unchanged (no dropped
/// characters; whitespace only as single ASCII spaces between other characters); otherwise the
/// length of the longest prefix that normalises to itself and ends outside a space run.
fn first_change(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    // Start of the single space just passed, if the previous byte was a space.
    let mut space: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while they are printable ASCII with single inner spaces.
        if let Some(sp) = load8(bytes, i).and_then(printable_ascii8) {
            let lead = sp & 0x80 != 0;
            if sp & (sp << 8) == 0 && !(lead && (i == 0 || space.is_some())) {
                space = (sp >> 63 != 0).then_some(i + 7);
                i += 8;
                continue;
            }
        }
        // Otherwise one character at a time for (at least) the next eight bytes.
        let end = (i + 8).min(bytes.len());
        while i < end {
            let b = bytes[i];
            if b < 0x80 {
                if b == b' ' {
                    if i == 0 || space.is_some() {
                        return Some(space.unwrap_or(i));
                    }
                    space = Some(i);
                } else if b < 0x20 || b == 0x7f {
                    // Other ASCII whitespace (\t..\r) is replaced, controls are dropped.
                    return Some(space.unwrap_or(i));
                } else {
                    space = None;
                }
                i += 1;
                continue;
            }
            // Lead bytes 0xC3..=0xDF start U+00C0..U+07FF: never space or invisible.
            if (0xC3..=0xDF).contains(&b) {
                space = None;
                i += 2;
                continue;
            }
            let c = char_at(s, i);
            if charclass::is_space_or_invisible(c) {
                return Some(space.unwrap_or(i));
            }
            space = None;
            i += c.len_utf8();
        }
    }
    // A trailing space is removed.
    space
}

/// [`normalize_chars`] of NFC input whose first `keep` bytes are known to be unchanged.
fn normalize_nfc_from(s: &str, keep: usize) -> String {
    let bytes = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    out.extend_from_slice(&bytes[..keep]);
    let mut pending_space = false;
    let mut i = keep;
    while i < bytes.len() {
        // Eight printable ASCII bytes with single inner spaces are copied as they are (a leading
        // space stands for a pending one; a trailing space becomes pending).
        if let Some(sp) = load8(bytes, i).and_then(printable_ascii8) {
            let lead = sp & 0x80 != 0;
            if sp & (sp << 8) == 0 && !(lead && out.is_empty()) {
                if pending_space && !lead {
                    out.push(b' ');
                }
                if sp >> 63 != 0 {
                    out.extend_from_slice(&bytes[i..i + 7]);
                    pending_space = true;
                } else {
                    out.extend_from_slice(&bytes[i..i + 8]);
                    pending_space = false;
                }
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        if b < 0x80 {
            if b == b' ' || (b'\t'..=b'\r').contains(&b) {
                pending_space = !out.is_empty();
                i += 1;
                continue;
            }
            if b < 0x20 || b == 0x7f {
                i += 1;
                continue;
            }
            // A run of printable ASCII other than space is copied as is.
            let start = i;
            i += 1;
            while i < bytes.len() && bytes[i] > b' ' && bytes[i] < 0x7f {
                i += 1;
            }
            if pending_space {
                out.push(b' ');
                pending_space = false;
            }
            out.extend_from_slice(&bytes[start..i]);
            continue;
        }
        let c = char_at(s, i);
        let len = c.len_utf8();
        if charclass::is_space_or_invisible(c) && is_space(c) {
            pending_space = !out.is_empty();
        } else if !charclass::is_space_or_invisible(c) {
            if pending_space {
                out.push(b' ');
                pending_space = false;
            }
            out.extend_from_slice(&bytes[i..i + len]);
        }
        i += len;
    }
    // Only whole characters of `s` and ASCII spaces were copied, so this never fails.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn normalize_chars(chars: impl Iterator<Item = char>, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut pending_space = false;
    for c in chars {
        if is_space(c) {
            pending_space = !out.is_empty();
            continue;
        }
        if is_dropped(c) {
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

static BYLINE: LazyLock<WordRegex> = LazyLock::new(|| {
    WordRegex::new(
        r"(?ix)^(
            (by|von|por|par|di|door|przez)\s+[\p{Lu}][\p{L}.'\-]+(\s+[\p{Lu}][\p{L}.'\-]+){0,3}(\s*(,|and|&|\|)\s*.*)?
          | (staff\s+(writer|reporter)|associated\s+press|reuters\s+staff|afp|ap|dpa|efe)(\s+(writer|staff))?
          | (reporting|writing|editing|additional\s+reporting)\s+by\b.*
          | (updated|published|posted|last\s+updated)\s*:?\s+.*\d.*
        )$",
    )
});

static BOILERPLATE_PHRASE: LazyLock<WordRegex> = LazyLock::new(|| {
    WordRegex::new(
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
});

/// Cleans scraped plain text. See the module documentation for the rules.
pub fn clean_text(raw: &str) -> Cleaned {
    let (text, removed) = clean_lines(raw, true);
    Cleaned { text, removed }
}

/// [`clean_text`]; the removed lines are collected only when `keep_removed`.
pub(crate) fn clean_lines(raw: &str, keep_removed: bool) -> (String, Vec<String>) {
    let lines: Vec<Cow<'_, str>> = raw
        .lines()
        .map(normalize_inline_cow)
        .filter(|l| !l.is_empty())
        .collect();
    // Word counts capped at MAX_BOILERPLATE_WORDS + 1: every rule only compares with
    // thresholds up to MAX_BOILERPLATE_WORDS, and prose lines need not be counted to the end.
    let words: Vec<usize> = lines.iter().map(|l| word_count_capped(l)).collect();
    // Short lines that occur more than once in one document are navigation or footers.
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (l, &w) in lines.iter().zip(&words) {
        if w <= MAX_BOILERPLATE_WORDS {
            *counts.entry(l.as_ref()).or_default() += 1;
        }
    }
    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    let mut removed = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let line = line.as_ref();
        // Only short lines are counted, so only they can be repeated.
        let repeated =
            words[i] <= MAX_BOILERPLATE_WORDS && counts.get(line).copied().unwrap_or(0) > 1;
        let caption = lines
            .get(i + 1)
            .is_some_and(|next| next.len() > line.len() + 20 && next.starts_with(line));
        if repeated || caption || boilerplate_with_words(line, words[i]) {
            if keep_removed {
                removed.push(line.to_string());
            }
        } else {
            kept.push(line);
        }
    }
    (kept.join("\n"), removed)
}

/// True when a single (normalised) line is boilerplate on its own.
pub fn is_boilerplate(line: &str) -> bool {
    boilerplate_with_words(line, word_count_capped(line))
}

/// [`is_boilerplate`] given the line's word count (exact, or capped above
/// [`MAX_BOILERPLATE_WORDS`]).
fn boilerplate_with_words(line: &str, words: usize) -> bool {
    if few_letters(line) {
        return true;
    }
    if words > MAX_BOILERPLATE_WORDS {
        return false;
    }
    (words <= 6 && SECTION_LABEL.is_match(line))
        || (words <= 12 && BYLINE.is_match(line))
        || BOILERPLATE_PHRASE.is_match(line)
}

/// No letters, or letters under half of the first 40 characters' worth: `letters * 2 <
/// min(chars, 40)`. Stops counting at 20 letters, which already decides "no".
fn few_letters(line: &str) -> bool {
    let (mut letters, mut chars) = (0usize, 0usize);
    for c in line.chars() {
        chars += 1;
        if c.is_alphabetic() {
            letters += 1;
            if letters >= 20 {
                return false;
            }
        }
    }
    letters == 0 || letters * 2 < chars.min(40)
}

/// Whitespace-separated words, counting no further than `MAX_BOILERPLATE_WORDS + 1`.
fn word_count_capped(s: &str) -> usize {
    s.split_whitespace().take(MAX_BOILERPLATE_WORDS + 1).count()
}

/// Splits a headline off the top of cleaned text: the first line when it is short and does not end
/// like a sentence. Returns `(title, body)`; the body keeps everything when no title is found.
pub fn split_title(text: &str) -> (Option<String>, String) {
    if text.is_empty() {
        return (None, String::new());
    }
    // The first of `text.lines()` and everything after it.
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let first = first.strip_suffix('\r').unwrap_or(first);
    // Titles have at most 25 words: count no further than 26.
    let words = first.split_whitespace().take(26).count();
    let sentence_end = first.ends_with(['.', '!', '?', '"', '”', '\'']);
    if !rest.is_empty() && (2..=25).contains(&words) && !sentence_end {
        (Some(first.to_string()), join_lines(rest))
    } else {
        (None, text.to_string())
    }
}

/// `s.lines()` joined with `\n`: `s` itself unless it has `\r` or a final newline.
fn join_lines(s: &str) -> String {
    if s.contains('\r') || s.ends_with('\n') {
        s.lines().collect::<Vec<_>>().join("\n")
    } else {
        s.to_string()
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
    fn below_u0300_is_nfc_starter() {
        use unicode_normalization::char::canonical_combining_class;
        for c in ('\0'..'\u{300}').filter(|c| !c.is_ascii()) {
            assert_eq!(canonical_combining_class(c), 0, "{c:?}");
            assert_eq!(is_nfc_quick(std::iter::once(c)), IsNormalized::Yes, "{c:?}");
        }
    }

    #[test]
    fn fast_paths_match_the_char_loop() {
        for s in [
            "a  b",
            " lead",
            "trail ",
            "a \u{200b}",
            "a \u{200b}b",
            "x\u{a0}\u{a0}y",
            "\u{3000}z",
            "Straße\t\tcafé\u{85}",
            "e\u{301} ok",
            "ok",
            "",
            "  ",
            "abcdefgh ijklmnop",
            "abcdefg  hijklmnop qrstuvwx",
            " abcdefghijklmnop",
            "abcdefghijklmnop ",
            "abcdefghijklmno\u{200b} qrstuvw xyz12345",
            "\u{200b} abcdefgh ijklmnop",
            "abcdefg\t hijklmnopq rstuvwxyz",
            "a\u{7f}bcdefghijklmnop",
            "Güneş  abcdefgh ijklmnop  \u{2009}qrstuvwx ",
        ] {
            assert_eq!(
                normalize_inline(s),
                normalize_chars(s.nfc(), s.len()),
                "{s:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn normalize_inline_matches_char_loop(
            s in "(?s)[ a-zA-Z0-9.,\t\r\u{b}\u{0}\u{7f}\u{85}\u{a0}\u{ad}\u{2009}\u{200b}\u{3000}\u{feff}éü\u{301}\u{327}Σ’中]{0,48}",
            any in "(?s).{0,24}",
        ) {
            for s in [s.as_str(), any.as_str()] {
                proptest::prop_assert_eq!(normalize_inline(s), normalize_chars(s.nfc(), s.len()));
            }
        }
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
