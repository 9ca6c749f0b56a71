//! Character folding for search: fullwidth ASCII to ASCII and Traditional
//! Chinese to Simplified, one character at a time, so that `開源` and `开源`,
//! `ＧＰＴ` and `GPT` are one token.
//!
//! The Traditional → Simplified table is OpenCC's `TSCharacters`: each
//! character of the CJK blocks of the Basic Multilingual Plane converted on its
//! own (through the `ferrous-opencc` crate) and kept when it becomes one other
//! character of that plane. Staying in the plane keeps a folded string as long
//! in UTF-16 as the original, which `search.js` relies on to highlight matches
//! in the original text; the site ships the part of this table it needs (see
//! [`super::SearchIndex::fold_pairs`]) so the browser folds queries with the
//! same data.
//!
//! The table is kept in `t2s.txt` beside this file, the pairs one after the
//! other (`開开關关…`) by code point, and built into the binary: converting
//! every character with OpenCC cost ~5 ms per process, 3% of a 400-post
//! build (docs/bench.md "Search"). A test checks it against the crate.

use crate::markdown::cjk::is_cjk;
use std::sync::OnceLock;

/// The (Traditional, Simplified) pairs, by code point of the Traditional one.
const PAIRS: &str = include_str!("t2s.txt");

/// Simplified form of each BMP code point, 0 where it has none.
fn table() -> &'static [u16] {
    static TABLE: OnceLock<Vec<u16>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = vec![0u16; 0x1_0000];
        let mut chars = PAIRS.chars();
        while let (Some(from), Some(to)) = (chars.next(), chars.next()) {
            if let (Some(slot), Ok(to)) = (table.get_mut(from as usize), u16::try_from(to as u32)) {
                *slot = to;
            }
        }
        table
    })
}

/// The Simplified form of `c`, or `c`.
pub fn simplified(c: char) -> char {
    simplified_in(table(), c)
}

#[inline]
fn simplified_in(table: &[u16], c: char) -> char {
    let u = c as u32;
    if !(0x3400..=0xFFFF).contains(&u) {
        return c;
    }
    match table[u as usize] {
        0 => c,
        t => char::from_u32(u32::from(t)).unwrap_or(c),
    }
}

/// Every (Traditional, Simplified) pair of the table, by code point.
pub fn pairs() -> impl Iterator<Item = (char, char)> {
    table().iter().enumerate().filter(|(_, t)| **t != 0).filter_map(|(f, &t)| Some((char::from_u32(f as u32)?, char::from_u32(u32::from(t))?)))
}

/// Fullwidth ASCII (`ＧＰＴ`) to ASCII, then Traditional to Simplified.
pub fn fold(c: char) -> char {
    folder()(c)
}

/// [`fold`] with the table looked up once, for a loop over many characters.
#[inline]
pub fn folder() -> impl Fn(char) -> char + Copy {
    let table = table();
    move |c| match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => simplified_in(table, c),
    }
}

/// Each BMP code point's [`fold`], with bit 31 set when the folded character
/// is CJK ([`is_cjk`]): the tokenizer's one lookup per character.
fn classes() -> &'static [u32] {
    static CLASSES: OnceLock<Vec<u32>> = OnceLock::new();
    CLASSES.get_or_init(|| {
        let fold = folder();
        (0..0x1_0000u32)
            .map(|u| match char::from_u32(u) {
                Some(c) => {
                    let f = fold(c);
                    f as u32 | if is_cjk(f) { CJK } else { 0 }
                }
                None => u,
            })
            .collect()
    })
}

const CJK: u32 = 1 << 31;

/// [`fold`] of a character and whether the folded one is CJK ([`is_cjk`]),
/// with the table looked up once, for a loop over many characters.
#[inline]
pub fn classifier() -> impl Fn(char) -> (char, bool) + Copy {
    let classes = classes();
    move |c| match classes.get(c as usize) {
        Some(&e) => (char::from_u32(e & !CJK).unwrap_or(c), e & CJK != 0),
        // Outside the BMP nothing folds.
        None => (c, is_cjk(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_folds_to_simplified() {
        let s: String = "開源無人機與軟體".chars().map(fold).collect();
        assert_eq!(s, "开源无人机与软体");
        assert_eq!(fold('开'), '开');
        assert_eq!(fold('Ｇ'), 'G');
        assert_eq!(fold('a'), 'a');
        let class = classifier();
        assert_eq!(
            [class('開'), class('Ｇ'), class('a'), class('𠀀'), class('，')],
            [('开', true), ('G', false), ('a', false), ('𠀀', true), (',', false)]
        );
        assert!((0..0x11_0000).filter_map(char::from_u32).all(|c| class(c) == (fold(c), is_cjk(fold(c)))));
        // Thousands of pairs, all within the BMP, none mapping to itself.
        let pairs: Vec<(char, char)> = pairs().collect();
        assert!(pairs.len() > 2000, "{}", pairs.len());
        assert!(pairs.iter().all(|(f, t)| f != t && (*t as u32) < 0x1_0000));
    }

    /// Code points looked up in OpenCC: CJK Extension A, the Unified
    /// Ideographs and the Compatibility Ideographs.
    const RANGES: [(u32, u32); 2] = [(0x3400, 0x9FFF), (0xF900, 0xFAFF)];

    #[test]
    fn the_table_is_opencc_character_by_character() {
        use ferrous_opencc::OpenCC;
        use ferrous_opencc::config::BuiltinConfig;
        let cc = OpenCC::from_config(BuiltinConfig::T2s).unwrap();
        let chars: Vec<char> = RANGES.iter().flat_map(|&(a, b)| (a..=b).filter_map(char::from_u32)).collect();
        // One call over every character, each on its own line so that no
        // phrase of the dictionary spans two of them.
        let all: String = chars.iter().flat_map(|&c| [c, '\n']).collect();
        let mut want = String::new();
        for (&from, to) in chars.iter().zip(cc.convert(&all).split('\n')) {
            let mut it = to.chars();
            if let (Some(t), None) = (it.next(), it.next()) {
                if t != from && (t as u32) < 0x1_0000 {
                    want.extend([from, t]);
                }
            }
        }
        // On a new OpenCC: write `want` to t2s.txt.
        assert!(PAIRS == want, "t2s.txt differs from OpenCC's table ({} against {} characters)", PAIRS.chars().count(), want.chars().count());
    }
}
