//! Regexes with Unicode word boundaries, made fast on non-ASCII text.
//!
//! The regex crate's lazy DFA cannot evaluate a Unicode `\b` once the haystack has a non-ASCII
//! byte and then falls back to a much slower NFA engine for the whole search. [`WordRegex`] keeps
//! the exact pattern and also compiles it with every `\b` removed. Dropping an assertion only
//! widens a pattern, so every exact match is also a match of the loose one, and the loose
//! pattern's leftmost match starts no later than the exact pattern's. The loose pattern runs on
//! the DFA; the exact one only when the loose one matched, and only from that match's start.
//! Results are exactly those of the exact pattern.

use regex::{Captures, Regex};

/// A pattern and its `\b`-free relaxation; see the module docs.
#[derive(Debug)]
pub(crate) struct WordRegex {
    exact: Regex,
    loose: Regex,
}

impl WordRegex {
    /// Compiles `pattern`; an invalid pattern is a programming error (patterns are constants).
    pub(crate) fn new(pattern: &str) -> WordRegex {
        WordRegex {
            exact: Regex::new(pattern).expect("valid regex"),
            loose: Regex::new(&without_word_boundaries(pattern)).expect("valid regex"),
        }
    }

    /// Same as `Regex::is_match` on the exact pattern.
    pub(crate) fn is_match(&self, haystack: &str) -> bool {
        self.loose
            .find(haystack)
            .is_some_and(|m| self.exact.is_match_at(haystack, m.start()))
    }

    /// Same as `Regex::captures_iter` on the exact pattern (for short haystacks: no DFA pre-pass).
    pub(crate) fn captures_iter<'r, 'h>(
        &'r self,
        haystack: &'h str,
    ) -> regex::CaptureMatches<'r, 'h> {
        self.exact.captures_iter(haystack)
    }

    /// Same as `Regex::captures` on the exact pattern.
    pub(crate) fn captures<'h>(&self, haystack: &'h str) -> Option<Captures<'h>> {
        let m = self.loose.find(haystack)?;
        self.exact.captures_at(haystack, m.start())
    }
}

/// `pattern` with every `\b` assertion removed (escaped backslashes, `\\b`, are kept).
fn without_word_boundaries(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => {}
            Some(n) => {
                out.push('\\');
                out.push(n);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_only_word_boundaries() {
        assert_eq!(without_word_boundaries(r"\bfoo\s+\d\b"), r"foo\s+\d");
        assert_eq!(without_word_boundaries(r"a\\b\B"), r"a\\b\B");
    }

    #[test]
    fn agrees_with_the_exact_pattern() {
        let pat = r"(?i)\b(may|sep)\s+(\d{1,2}),?\s+((?:19|20)\d\d)\b";
        let w = WordRegex::new(pat);
        let exact = Regex::new(pat).unwrap();
        for hay in [
            "On May 3, 2013 it rained",
            "éMay 3, 2013 no boundary before",
            "Ümay 3, 2013 and then May 4, 2014",
            "ſep 9 2001ü",
            "ſep 9 2001 ",
            "nothing here",
            "May 3, 20133 then sep 1 1999.",
        ] {
            assert_eq!(w.is_match(hay), exact.is_match(hay), "{hay}");
            let got = w.captures(hay).map(|c| c.get(0).map(|m| m.range()));
            let want = exact.captures(hay).map(|c| c.get(0).map(|m| m.range()));
            assert_eq!(got, want, "{hay}");
        }
    }
}
