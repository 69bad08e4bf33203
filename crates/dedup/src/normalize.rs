//! Text normalisation and word-shingle hashing.
//!
//! Normalisation: Unicode lowercase; words are maximal runs of alphanumeric characters
//! (`char::is_alphanumeric`), everything else separates words. The normalised text is the
//! words joined by single spaces; a shingle of `k` words is the corresponding substring,
//! hashed once with xxh3-64. A text with fewer than `k` words (but at least one) yields a
//! single shingle of all its words; a text without words yields none.

use xxhash_rust::xxh3::xxh3_64;

/// ASCII byte -> lowercase byte if alphanumeric, else 0.
const ASCII_MAP: [u8; 128] = {
    let mut m = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        m[i] = if c.is_ascii_digit() || c.is_ascii_lowercase() {
            c
        } else if c.is_ascii_uppercase() {
            c + 32
        } else {
            0
        };
        i += 1;
    }
    m
};

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
        let mut norm = std::mem::take(&mut self.norm).into_bytes();
        let starts = &mut self.starts;
        norm.clear();
        starts.clear();
        norm.reserve(text.len());
        let bytes = text.as_bytes();
        let mut in_word = false;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0x80 {
                // ASCII fast path: one table lookup gives "not alphanumeric" (0) or the
                // lowercase byte.
                let l = ASCII_MAP[b as usize];
                i += 1;
                if l == 0 {
                    in_word = false;
                    continue;
                }
                if !in_word {
                    if !norm.is_empty() {
                        norm.push(b' ');
                    }
                    starts.push(norm.len() as u32);
                    in_word = true;
                }
                norm.push(l);
                continue;
            }
            // Non-ASCII: decode one char (`text` is valid UTF-8 and `i` is on a boundary).
            let c = text[i..]
                .chars()
                .next()
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            i += c.len_utf8();
            if !c.is_alphanumeric() {
                in_word = false;
                continue;
            }
            if !in_word {
                if !norm.is_empty() {
                    norm.push(b' ');
                }
                starts.push(norm.len() as u32);
                in_word = true;
            }
            let mut buf = [0u8; 4];
            for l in c.to_lowercase() {
                norm.extend_from_slice(l.encode_utf8(&mut buf).as_bytes());
            }
        }
        debug_assert!(std::str::from_utf8(&norm).is_ok());
        // SAFETY: only ASCII bytes and whole `char::encode_utf8` sequences were pushed.
        self.norm = unsafe { String::from_utf8_unchecked(norm) };
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

    fn reference(text: &str) -> String {
        let mut words = Vec::new();
        let mut cur = String::new();
        for c in text.chars() {
            if c.is_alphanumeric() {
                cur.extend(c.to_lowercase());
            } else if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
        }
        if !cur.is_empty() {
            words.push(cur);
        }
        words.join(" ")
    }

    proptest::proptest! {
        #[test]
        fn fast_path_matches_char_definition(text in "(?s).{0,80}", ascii in "[ -~]{0,80}") {
            let mut s = Scratch::new();
            proptest::prop_assert_eq!(s.normalize(&text), reference(&text));
            proptest::prop_assert_eq!(s.normalize(&ascii), reference(&ascii));
        }
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
