//! Fast, exact character classes for hot loops.
//!
//! `char::is_alphanumeric` on non-ASCII text goes through a binary search of Unicode tables;
//! [`is_alphanumeric`] answers characters below U+0800 (Latin, Greek, Cyrillic, Hebrew, Arabic
//! and more) from a bitmap built from that same function, and defers to it above.

use std::sync::LazyLock;

/// Characters below this are answered from the bitmap.
const TABLE_END: u32 = 0x800;

static ALNUM: LazyLock<[u64; TABLE_END as usize / 64]> = LazyLock::new(|| {
    let mut bits = [0u64; TABLE_END as usize / 64];
    for (cp, word) in (0..TABLE_END).zip((0..TABLE_END).map(|c| c as usize / 64)) {
        if char::from_u32(cp).is_some_and(char::is_alphanumeric) {
            bits[word] |= 1 << (cp % 64);
        }
    }
    bits
});

/// Same as `char::is_alphanumeric`.
#[inline]
pub(crate) fn is_alphanumeric(c: char) -> bool {
    let cp = c as u32;
    if cp < 0x80 {
        return c.is_ascii_alphanumeric();
    }
    if cp < TABLE_END {
        return ALNUM[cp as usize / 64] & (1 << (cp % 64)) != 0;
    }
    c.is_alphanumeric()
}

/// [`lowercase_alphanumeric`] of a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lower {
    /// `!c.is_alphanumeric()`.
    NotAlphanumeric,
    /// Alphanumeric, and `c.to_lowercase()` is this one char.
    Char(char),
    /// Alphanumeric; ask `char::to_lowercase` (and beware: `str::to_lowercase` treats
    /// capital sigma by context).
    Other,
}

/// For each code point below [`TABLE_END`]: 0 when not alphanumeric, [`u16::MAX`] when the
/// lowercase is not a single char below `TABLE_END` (or is capital sigma, whose `str`
/// lowercase depends on context), else the lowercase code point. Built from the std functions.
static LOWER: LazyLock<Box<[u16]>> = LazyLock::new(|| {
    (0..TABLE_END)
        .map(|cp| match char::from_u32(cp) {
            Some(c) if c.is_alphanumeric() => {
                let mut l = c.to_lowercase();
                match (l.next(), l.next()) {
                    (Some(x), None) if (x as u32) < TABLE_END && x != '\0' && c != 'Σ' => x as u16,
                    _ => u16::MAX,
                }
            }
            _ => 0,
        })
        .collect()
});

/// Alphanumeric class and lowercase of `c` (table lookup below U+0800).
#[inline]
pub(crate) fn lowercase_alphanumeric(c: char) -> Lower {
    let cp = c as u32;
    if cp >= TABLE_END {
        return if c.is_alphanumeric() {
            Lower::Other
        } else {
            Lower::NotAlphanumeric
        };
    }
    match LOWER[cp as usize] {
        0 => Lower::NotAlphanumeric,
        u16::MAX => Lower::Other,
        l => char::from_u32(u32::from(l)).map_or(Lower::Other, Lower::Char),
    }
}

/// For non-ASCII `c`: same as `c.is_whitespace() || c == '\u{a0}' || c.is_control() ||` a
/// zero-width/format character removed by cleaning (U+200B..U+200F, U+2060, U+FEFF, U+00AD).
/// Control characters (category Cc) above ASCII are U+0080..U+009F; Unicode White_Space above
/// ASCII is U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
#[inline]
pub(crate) fn is_space_or_invisible(c: char) -> bool {
    matches!(
        c as u32,
        0x80..=0xA0
            | 0xAD
            | 0x1680
            | 0x2000..=0x200F
            | 0x2028
            | 0x2029
            | 0x202F
            | 0x205F
            | 0x2060
            | 0x3000
            | 0xFEFF
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphanumeric_matches_std_everywhere() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(is_alphanumeric(c), c.is_alphanumeric(), "{:?}", c);
        }
    }

    #[test]
    fn lowercase_table_matches_std() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            match lowercase_alphanumeric(c) {
                Lower::NotAlphanumeric => assert!(!c.is_alphanumeric(), "{c:?}"),
                Lower::Char(l) => {
                    assert!(c.is_alphanumeric() && c != 'Σ', "{c:?}");
                    assert_eq!(c.to_lowercase().collect::<String>(), l.to_string());
                }
                Lower::Other => assert!(c.is_alphanumeric(), "{c:?}"),
            }
        }
    }

    #[test]
    fn space_or_invisible_matches_its_definition() {
        for c in (0x80..=0x10FFFFu32).filter_map(char::from_u32) {
            let want = c.is_whitespace()
                || c == '\u{a0}'
                || c.is_control()
                || matches!(
                    c,
                    '\u{200b}'..='\u{200f}' | '\u{2060}' | '\u{feff}' | '\u{00ad}'
                );
            assert_eq!(is_space_or_invisible(c), want, "{:?}", c);
        }
    }
}
