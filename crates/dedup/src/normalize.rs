//! Text normalisation and word-shingle hashing.
//!
//! Normalisation: Unicode lowercase; words are maximal runs of alphanumeric characters
//! (`char::is_alphanumeric`), everything else separates words. The normalised text is the
//! words joined by single spaces; a shingle of `k` words is the corresponding substring,
//! hashed once with xxh3-64. A text with fewer than `k` words (but at least one) yields a
//! single shingle of all its words; a text without words yields none.

use std::sync::LazyLock;

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

/// Code points below this are classified by [`LOWER_TABLE`] (two-byte UTF-8 and ASCII).
const TABLE_END: usize = 0x800;
/// [`LOWER_TABLE`] entry of an alphanumeric char whose lowercase is not one char below
/// `TABLE_END` (U+0130 'İ' → "i̇"): handled by `char::to_lowercase`.
const SLOW: u16 = u16::MAX;

/// For each code point below `TABLE_END`: 0 when not alphanumeric, else its lowercase code
/// point (or [`SLOW`]). Built from `char::is_alphanumeric` and `char::to_lowercase`, so it
/// agrees with them by construction.
static LOWER_TABLE: LazyLock<Box<[u16]>> = LazyLock::new(|| {
    (0..TABLE_END as u32)
        .map(|cp| match char::from_u32(cp) {
            Some(c) if c.is_alphanumeric() => {
                let mut l = c.to_lowercase();
                match (l.next(), l.next()) {
                    (Some(x), None) if (x as usize) < TABLE_END && x != '\0' => x as u16,
                    _ => SLOW,
                }
            }
            _ => 0,
        })
        .collect()
});

/// U+2000..U+206F (General Punctuation: spaces, dashes, quotes, format characters) holds no
/// alphanumeric character (checked by a test); curly quotes and dashes are common in news.
const PUNCTUATION_BLOCK: std::ops::Range<u32> = 0x2000..0x2070;

/// The branch-free ASCII loop of [`Scratch::normalize`] over the ASCII prefix of `bytes`;
/// returns its length. A separate function so that its state stays in registers.
#[inline(never)]
fn ascii_run(
    bytes: &[u8],
    buf: &mut [u8],
    starts: &mut [u32],
    pos: &mut usize,
    words: &mut usize,
    prev: &mut bool,
) -> usize {
    let (mut p, mut w, mut pr) = (*pos, *words, *prev);
    let mut n = 0;
    for &b in bytes {
        if b >= 0x80 {
            break;
        }
        let l = ASCII_MAP[b as usize];
        let letter = l != 0;
        buf[p] = if letter { l } else { b' ' };
        starts[w] = p as u32;
        w += usize::from(letter & !pr);
        p += usize::from(letter | pr);
        pr = letter;
        n += 1;
    }
    (*pos, *words, *prev) = (p, w, pr);
    n
}

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
    ///
    /// ASCII bytes take a branch-free path: every byte writes its lowercase form, or a space
    /// for a separator, at the output position, which advances unless the byte is a separator
    /// following another separator; word starts are recorded the same way. A trailing space
    /// is dropped at the end. Invariant: `buf.len() >= pos + (bytes left) + 8`, so every write
    /// is in bounds.
    pub fn normalize(&mut self, text: &str) -> &str {
        let bytes = text.as_bytes();
        let n = bytes.len();
        let mut buf = std::mem::take(&mut self.norm).into_bytes();
        buf.clear();
        buf.resize(n + 8, 0);
        let starts = &mut self.starts;
        starts.clear();
        // Words are at least one byte and separated by at least one: at most (n + 1) / 2.
        starts.resize(n / 2 + 2, 0);
        let table = &**LOWER_TABLE;
        let mut pos = 0usize;
        let mut words = 0usize;
        // Whether the previous character was alphanumeric (inside a word).
        let mut prev = false;
        let mut i = 0;
        while i < n {
            let b = bytes[i];
            if b < 0x80 {
                let run = ascii_run(
                    &bytes[i..],
                    &mut buf,
                    starts,
                    &mut pos,
                    &mut words,
                    &mut prev,
                );
                i += run;
                continue;
            }
            // Non-ASCII: `enc[..m]` is the lowercase form when alphanumeric (m = 0: not).
            let mut enc = [0u8; 12];
            let mut m = 0;
            if b < 0xE0 {
                // Two-byte UTF-8 (lead 0xC2..=0xDF; `text` is valid UTF-8 and `i` is on a
                // boundary): decode by hand and classify with the table.
                let cont = bytes.get(i + 1).copied().unwrap_or(0x80);
                let cp = (usize::from(b & 0x1F) << 6) | usize::from(cont & 0x3F);
                i += 2;
                match table[cp] {
                    0 => {}
                    SLOW => {
                        let c = char::from_u32(cp as u32).unwrap_or(char::REPLACEMENT_CHARACTER);
                        for l in c.to_lowercase() {
                            m += l.encode_utf8(&mut enc[m..]).len();
                        }
                    }
                    l => {
                        let l = char::from_u32(u32::from(l)).unwrap_or(char::REPLACEMENT_CHARACTER);
                        m = l.encode_utf8(&mut enc).len();
                    }
                }
            } else {
                let c = text[i..]
                    .chars()
                    .next()
                    .unwrap_or(char::REPLACEMENT_CHARACTER);
                i += c.len_utf8();
                if !PUNCTUATION_BLOCK.contains(&(c as u32)) && c.is_alphanumeric() {
                    // At most three chars of at most four bytes.
                    for l in c.to_lowercase() {
                        m += l.encode_utf8(&mut enc[m..]).len();
                    }
                }
            }
            if m == 0 {
                if prev {
                    buf[pos] = b' ';
                    pos += 1;
                }
                prev = false;
                continue;
            }
            if !prev {
                starts[words] = pos as u32;
                words += 1;
            }
            prev = true;
            // Keep the invariant: lowercase may be longer than the original.
            let need = pos + m + (n - i) + 8;
            if buf.len() < need {
                buf.resize(need, 0);
            }
            buf[pos..pos + m].copy_from_slice(&enc[..m]);
            pos += m;
        }
        if !prev && pos > 0 {
            // The separator written after the last word.
            pos -= 1;
        }
        buf.truncate(pos);
        starts.truncate(words);
        // Only ASCII and whole `char::encode_utf8` sequences are below `pos`.
        self.norm = String::from_utf8(buf)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
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
    fn table_paths_match_char_definition_for_every_char() {
        let mut s = Scratch::new();
        for cp in (0..0x3000u32).chain([0xFF21, 0x1D400, 0x10FFFF]) {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let text = format!("a{c}b {c} x{c}{c}");
            assert_eq!(s.normalize(&text), reference(&text), "U+{cp:04X}");
        }
        for cp in PUNCTUATION_BLOCK {
            assert!(!char::from_u32(cp).is_some_and(char::is_alphanumeric));
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
