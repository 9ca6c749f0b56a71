//! Character folding for search: fullwidth ASCII to ASCII and Traditional
//! Chinese to Simplified, one character at a time, so that `開源` and `开源`,
//! `ＧＰＴ` and `GPT` are one token.
//!
//! The Traditional → Simplified table is OpenCC's `TSCharacters` (through the
//! `ferrous-opencc` crate), read once per process: each character of the CJK
//! blocks of the Basic Multilingual Plane is converted on its own and kept when
//! it becomes one other character of that plane. Staying in the plane keeps a
//! folded string as long in UTF-16 as the original, which `search.js` relies on
//! to highlight matches in the original text; the site ships the part of this
//! table it needs (see [`super::SearchIndex::fold_pairs`]) so the browser folds
//! queries with the same data.

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;
use std::sync::OnceLock;

/// Code points looked up in the table: CJK Extension A, the Unified
/// Ideographs and the Compatibility Ideographs.
const RANGES: [(u32, u32); 2] = [(0x3400, 0x9FFF), (0xF900, 0xFAFF)];

/// Simplified form of each BMP code point, 0 where it has none.
fn table() -> &'static [u16] {
    static TABLE: OnceLock<Vec<u16>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = vec![0u16; 0x1_0000];
        let Ok(cc) = OpenCC::from_config(BuiltinConfig::T2s) else { return table };
        let chars: Vec<char> = RANGES.iter().flat_map(|&(a, b)| (a..=b).filter_map(char::from_u32)).collect();
        // One call over every character, each on its own line so that no
        // phrase of the dictionary spans two of them.
        let mut all = String::with_capacity(chars.len() * 4);
        for &c in &chars {
            all.push(c);
            all.push('\n');
        }
        for (&from, to) in chars.iter().zip(cc.convert(&all).split('\n')) {
            let mut it = to.chars();
            if let (Some(t), None) = (it.next(), it.next()) {
                if t != from && (t as u32) < 0x1_0000 {
                    table[from as usize] = t as u16;
                }
            }
        }
        table
    })
}

/// The Simplified form of `c`, or `c`.
pub fn simplified(c: char) -> char {
    let u = c as u32;
    if !(0x3400..=0xFFFF).contains(&u) {
        return c;
    }
    match table()[u as usize] {
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
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => simplified(c),
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
        // Thousands of pairs, all within the BMP, none mapping to itself.
        let pairs: Vec<(char, char)> = pairs().collect();
        assert!(pairs.len() > 2000, "{}", pairs.len());
        assert!(pairs.iter().all(|(f, t)| f != t && (*t as u32) < 0x1_0000));
    }
}
