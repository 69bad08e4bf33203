//! Text normalisation and word-shingle hashing.
//!
//! Normalisation: Unicode lowercase; words are maximal runs of alphanumeric characters
//! (`char::is_alphanumeric`), everything else separates words. The normalised text is the
//! words joined by single spaces; a shingle of `k` words is the corresponding substring,
//! hashed once with xxh3-64. A text with fewer than `k` words (but at least one) yields a
//! single shingle of all its words; a text without words yields none.

use xxhash_rust::xxh3::xxh3_64;

/// Reusable buffers so that shingling allocates nothing per shingle (or per document,
/// once warmed up).
#[derive(Debug, Default)]
pub struct Scratch {
    norm: String,
    starts: Vec<u32>,
    /// Shingle hashes of the last [`Scratch::shingle`] call.
    pub hashes: Vec<u64>,
}

impl Scratch {
    /// Empty scratch buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Normalise `text` (see the module docs) into the internal buffer and return it.
    pub fn normalize(&mut self, text: &str) -> &str {
        let norm = &mut self.norm;
        let starts = &mut self.starts;
        norm.clear();
        starts.clear();
        norm.reserve(text.len());
        let mut in_word = false;
        for c in text.chars() {
            let alnum = if c.is_ascii() {
                c.is_ascii_alphanumeric()
            } else {
                c.is_alphanumeric()
            };
            if !alnum {
                in_word = false;
                continue;
            }
            if !in_word {
                if !norm.is_empty() {
                    norm.push(' ');
                }
                starts.push(norm.len() as u32);
                in_word = true;
            }
            if c.is_ascii() {
                norm.push(c.to_ascii_lowercase());
            } else {
                norm.extend(c.to_lowercase());
            }
        }
        &self.norm
    }

    /// Normalise `text`, fill [`Scratch::hashes`] with its `k`-word shingle hashes and
    /// return the xxh3-64 hash of the whole normalised text (the exact-duplicate key).
    pub fn shingle(&mut self, text: &str, k: usize) -> u64 {
        self.normalize(text);
        let exact = xxh3_64(self.norm.as_bytes());
        self.hashes.clear();
        let n = self.starts.len();
        let k = k.max(1);
        let bytes = self.norm.as_bytes();
        if n == 0 {
            return exact;
        }
        if n < k {
            self.hashes.push(xxh3_64(bytes));
            return exact;
        }
        self.hashes.reserve(n - k + 1);
        for i in 0..=(n - k) {
            let start = self.starts[i] as usize;
            // Word i+k-1 ends one byte before the next word's start (the space), or at
            // the end of the text.
            let end = if i + k < n {
                self.starts[i + k] as usize - 1
            } else {
                bytes.len()
            };
            self.hashes.push(xxh3_64(&bytes[start..end]));
        }
        exact
    }

    /// The words of the last normalised text.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.norm.split(' ').filter(|w| !w.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_and_splits() {
        let mut s = Scratch::new();
        assert_eq!(
            s.normalize("Hello, WORLD!  Straße—ÉTÉ 42x"),
            "hello world straße été 42x"
        );
        assert_eq!(s.words().count(), 5);
        assert_eq!(s.normalize(" ... "), "");
    }

    #[test]
    fn shingles_are_word_ngrams() {
        let mut s = Scratch::new();
        s.shingle("a b c d", 3);
        assert_eq!(
            s.hashes,
            vec![xxh3_64(b"a b c"), xxh3_64(b"b c d")],
            "two 3-shingles"
        );
        s.shingle("Only two", 3);
        assert_eq!(s.hashes, vec![xxh3_64(b"only two")]);
        s.shingle("!!!", 3);
        assert!(s.hashes.is_empty());
    }

    #[test]
    fn exact_hash_ignores_case_and_punctuation() {
        let mut s = Scratch::new();
        let a = s.shingle("The cat sat.", 2);
        let b = s.shingle("the  CAT, sat", 2);
        let c = s.shingle("the cat sat down", 2);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
