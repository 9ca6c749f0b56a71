//! The search tokenizer: how text is cut into the tokens of the index, and a
//! query into the terms looked up. `static/search.js` cuts queries by the same
//! rules; `tests/search/contract.json` holds cases that both must pass.
//!
//! Every character is folded first ([`super::fold`]: fullwidth to ASCII,
//! Traditional to Simplified) and letters are lowercased. Then:
//!
//! - A run of CJK characters gives every character and every pair of
//!   neighbours, in order (`预训练` → `预`, `预训`, `训`, `训练`, `练`): the
//!   bigrams of Lucene's CJKAnalyzer, plus unigrams for one-character queries.
//! - Other text gives words: runs of letters and digits. Words joined by
//!   `_ - . / : @` form a compound (an identifier, a URL, a version) that is
//!   indexed whole after its words (`tokio_with_wasm` → `tokio`, `with`,
//!   `wasm`, `tokio_with_wasm`).
//! - Two words with only spaces between them ([`is_space`]) also give the
//!   pair, joined by one space, before the second (`open model` → `open`,
//!   `open model`, `model`): a phrase of the text.
//!
//! A query's CJK runs give their bigrams (or the character, alone), its words
//! match any token they start; both must be found. Its compounds (matched
//! exactly) and the pair
//! of characters across a space between two CJK runs (`开源 模型` → `源模`)
//! and the pair of words across spaces (`open model` → `open model`) are
//! looked up too and only add to the score: they rank whole identifiers and
//! adjacent words first.

use super::fold::classifier;
use crate::markdown::cjk::is_cjk;

/// Longer words (hashes, base64) are not indexed.
pub const MAX_WORD: usize = 40;
/// Longer compounds (long URLs) are indexed by their words only.
pub const MAX_COMPOUND: usize = 80;

/// The characters that may stand between two words of a phrase.
pub fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{a0}')
}

/// Characters that join words into a compound.
fn is_joiner(c: char) -> bool {
    matches!(c, '_' | '-' | '.' | '/' | ':' | '@')
}

/// A run of text of one kind, as the tokenizer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run<'a> {
    /// Folded CJK characters.
    Cjk(&'a [char]),
    /// A compound's folded, lowercased text (joiners at either end dropped),
    /// the byte ranges of its words in it, and whether only spaces stand
    /// between it and the run of words before it.
    Words(&'a str, &'a [(usize, usize)], bool),
}

/// Call `f` with every run of `text`, in order, reusing its buffers.
pub fn for_each_run(text: &str, mut f: impl FnMut(Run<'_>)) {
    let mut cjk: Vec<char> = Vec::new();
    let mut compound = String::new();
    let mut parts: Vec<(usize, usize)> = Vec::new();
    // Joiners after the last word, kept only if another word follows.
    let mut joiners = String::new();
    let mut in_word = false;
    // Whether only spaces followed the last run of words (so far), and
    // whether the compound being read started so.
    let mut spaced = false;
    let mut after_space = false;
    let flush_words = |compound: &mut String,
                       parts: &mut Vec<(usize, usize)>,
                       in_word: &mut bool,
                       joiners: &mut String,
                       after_space: bool,
                       f: &mut dyn FnMut(Run<'_>)|
     -> bool {
        if *in_word {
            if let Some(last) = parts.last_mut() {
                last.1 = compound.len();
            }
            *in_word = false;
        }
        let dangling = !joiners.is_empty();
        let words = !parts.is_empty();
        if words {
            f(Run::Words(compound, parts, after_space));
        }
        compound.clear();
        parts.clear();
        joiners.clear();
        words && !dangling
    };
    let class = classifier();
    for c in text.chars() {
        let (c, is_cjk_char) = class(c);
        if is_cjk_char {
            // No word is being read (the common case in Chinese text): nothing to flush.
            if !parts.is_empty() {
                flush_words(&mut compound, &mut parts, &mut in_word, &mut joiners, after_space, &mut f);
            }
            spaced = false;
            cjk.push(c);
            continue;
        }
        if !cjk.is_empty() {
            f(Run::Cjk(&cjk));
            cjk.clear();
        }
        if c.is_alphanumeric() {
            if !in_word {
                if parts.is_empty() {
                    after_space = spaced;
                }
                compound.push_str(&joiners);
                joiners.clear();
                parts.push((compound.len(), compound.len()));
                in_word = true;
            }
            compound.extend(c.to_lowercase());
        } else if is_joiner(c) && (in_word || !joiners.is_empty()) {
            if in_word {
                if let Some(last) = parts.last_mut() {
                    last.1 = compound.len();
                }
                in_word = false;
            }
            joiners.push(c);
        } else {
            let ended = flush_words(&mut compound, &mut parts, &mut in_word, &mut joiners, after_space, &mut f);
            spaced = is_space(c) && (ended || spaced);
        }
    }
    flush_words(&mut compound, &mut parts, &mut in_word, &mut joiners, after_space, &mut f);
    if !cjk.is_empty() {
        f(Run::Cjk(&cjk));
    }
}

/// One index token, as [`for_each_index_token`] gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok<'a> {
    /// A CJK character.
    Char(char),
    /// Two neighbouring CJK characters.
    Pair(char, char),
    /// A word or a compound.
    Word(&'a str),
}

impl Tok<'_> {
    /// The token's text.
    pub fn text(&self) -> String {
        match *self {
            Tok::Char(c) => c.to_string(),
            Tok::Pair(c, d) => [c, d].iter().collect(),
            Tok::Word(w) => w.to_string(),
        }
    }
}

/// Call `f` with every index token of `text`, in order (with repeats).
pub fn for_each_index_token(text: &str, mut f: impl FnMut(Tok<'_>)) {
    for_each_index_run(text, |run| match run {
        Indexed::Cjk(cs) => cjk_tokens(cs, |c, d| f(d.map_or(Tok::Char(c), |d| Tok::Pair(c, d)))),
        Indexed::Word(w) => f(Tok::Word(w)),
    });
}

/// The tokens of a run of CJK characters, in order: every character `c`
/// (as `f(c, None)`), each followed by its pair with the next one `d`, if
/// there is one (`f(c, Some(d))`).
#[inline]
pub fn cjk_tokens(cs: &[char], mut f: impl FnMut(char, Option<char>)) {
    for (i, &c) in cs.iter().enumerate() {
        f(c, None);
        if let Some(&d) = cs.get(i + 1) {
            f(c, Some(d));
        }
    }
}

/// Index tokens by kind, as [`for_each_index_run`] gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indexed<'a> {
    /// A run of CJK characters, whose tokens [`cjk_tokens`] gives.
    Cjk(&'a [char]),
    /// A word, a compound or a phrase.
    Word(&'a str),
}

/// The index tokens of `text`, in order (with repeats), a run of CJK
/// characters at a time.
pub fn for_each_index_run(text: &str, mut f: impl FnMut(Indexed<'_>)) {
    // The last word of the previous run of words, and the phrase's buffer.
    let mut last = String::new();
    let mut phrase = String::new();
    for_each_run(text, |run| match run {
        Run::Cjk(cs) => {
            last.clear();
            f(Indexed::Cjk(cs));
        }
        Run::Words(whole, parts, after_space) => {
            if let Some(p) = phrase_of(&last, whole, parts, after_space, &mut phrase) {
                f(Indexed::Word(p));
            }
            let (a, b) = parts[parts.len() - 1];
            last.clear();
            last.push_str(&whole[a..b]);
            for &(a, b) in parts {
                let w = &whole[a..b];
                if w.chars().count() <= MAX_WORD {
                    f(Indexed::Word(w));
                }
            }
            if parts.len() > 1 && whole.chars().count() <= MAX_COMPOUND {
                f(Indexed::Word(whole));
            }
        }
    });
}

/// The phrase of the previous run's last word `last` and this run's first
/// word, when only spaces stand between them and both are indexed words.
fn phrase_of<'p>(last: &str, whole: &str, parts: &[(usize, usize)], after_space: bool, buf: &'p mut String) -> Option<&'p str> {
    let (a, b) = *parts.first()?;
    let first = &whole[a..b];
    if !after_space || last.is_empty() || last.chars().count() > MAX_WORD || first.chars().count() > MAX_WORD {
        return None;
    }
    buf.clear();
    buf.push_str(last);
    buf.push(' ');
    buf.push_str(first);
    Some(buf)
}

/// The tokens a text is indexed under, in text order (with repeats).
pub fn index_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_index_token(text, |t| out.push(t.text()));
    out
}

/// One term of a query.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Term {
    pub token: String,
    /// Matches every token it starts (words of two or more characters), else
    /// only itself.
    pub prefix: bool,
    /// A post must match it; a term that is not required only adds to the
    /// score of the posts that match the required ones.
    pub required: bool,
}

/// The terms of a query, required ones first, without repeats.
pub fn query_terms(query: &str) -> Vec<Term> {
    let mut required: Vec<Term> = Vec::new();
    let mut bonus: Vec<Term> = Vec::new();
    // The last character of the previous run, if it was CJK; the last word
    // of the previous run of words, if that was one.
    let mut last_cjk: Option<char> = None;
    let mut last = String::new();
    let mut phrase = String::new();
    for_each_run(query, |run| match run {
        Run::Cjk(cs) => {
            if let Some(p) = last_cjk {
                bonus.push(Term { token: [p, cs[0]].iter().collect(), prefix: false, required: false });
            }
            if cs.len() == 1 {
                required.push(Term { token: cs[0].to_string(), prefix: false, required: true });
            } else {
                required.extend(cs.windows(2).map(|p| Term { token: p.iter().collect(), prefix: false, required: true }));
            }
            last_cjk = cs.last().copied();
            last.clear();
        }
        Run::Words(whole, parts, after_space) => {
            if let Some(p) = phrase_of(&last, whole, parts, after_space, &mut phrase) {
                bonus.push(Term { token: p.to_string(), prefix: false, required: false });
            }
            let (a, b) = parts[parts.len() - 1];
            last.clear();
            last.push_str(&whole[a..b]);
            for &(a, b) in parts {
                let word = &whole[a..b];
                required.push(Term { token: word.to_string(), prefix: word.chars().count() >= 2, required: true });
            }
            if parts.len() > 1 {
                bonus.push(Term { token: whole.to_string(), prefix: false, required: false });
            }
            last_cjk = None;
        }
    });
    let mut seen = std::collections::BTreeSet::new();
    required.into_iter().chain(bonus).filter(|t| seen.insert(t.token.clone())).collect()
}

/// The shard key of a token: a CJK token, a compound or a phrase whole (those
/// terms are matched exactly), a word its first two characters (the shortest word
/// matched by prefix), so that every token a term can match is in one shard.
pub fn shard_key(token: &str) -> &str {
    let mut chars = token.char_indices();
    match chars.next() {
        Some((_, c)) if is_cjk(c) || token.contains(is_joiner) || token.contains(' ') => token,
        Some(_) => chars.nth(1).map_or(token, |(i, _)| &token[..i]),
        None => token,
    }
}

/// FNV-1a (32 bit) over UTF-16 code units: the same number in Rust and JavaScript.
pub fn fnv1a_utf16(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for u in s.encode_utf16() {
        h ^= u32::from(u);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The shard of a token among `shards`.
pub fn shard_of(token: &str, shards: usize) -> usize {
    fnv1a_utf16(shard_key(token)) as usize % shards.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(q: &str) -> Vec<(String, bool, bool)> {
        query_terms(q).into_iter().map(|t| (t.token, t.prefix, t.required)).collect()
    }

    #[test]
    fn cjk_unigrams_and_bigrams_and_latin_words() {
        assert_eq!(index_tokens("GPT的预训练"), ["gpt", "的", "的预", "预", "预训", "训", "训练", "练"]);
        assert_eq!(index_tokens("中 OpenAI，Sam"), ["中", "openai", "sam"]);
        assert_eq!(index_tokens("ＧＰＴ４ It's"), ["gpt4", "gpt4 it", "it", "s"]);
        assert!(index_tokens(&"a".repeat(MAX_WORD + 1)).is_empty());
        assert!(index_tokens("，。！ --- ").is_empty());
    }

    #[test]
    fn compounds_whole_and_split() {
        assert_eq!(index_tokens("use tokio_with_wasm."), ["use", "use tokio", "tokio", "with", "wasm", "tokio_with_wasm"]);
        assert_eq!(index_tokens("GPT-5 v1.2"), ["gpt", "5", "gpt-5", "5 v1", "v1", "2", "v1.2"]);
        assert_eq!(index_tokens("-a- b"), ["a", "b"]);
        assert_eq!(index_tokens("開源"), ["开", "开源", "源"]);
    }

    #[test]
    fn words_with_only_spaces_between_are_also_a_phrase() {
        assert_eq!(index_tokens("Open  model\nweights"), ["open", "open model", "model", "model weights", "weights"]);
        // Punctuation, a dangling joiner or CJK between: no phrase.
        assert_eq!(index_tokens("open. model"), ["open", "model"]);
        assert_eq!(index_tokens("open- model"), ["open", "model"]);
        assert_eq!(index_tokens("open -model"), ["open", "model"]);
        assert_eq!(index_tokens("open 的 model"), ["open", "的", "model"]);
        // A compound's last and first words pair with their neighbours.
        assert_eq!(index_tokens("a_b c"), ["a", "b", "a_b", "b c", "c"]);
        assert_eq!(index_tokens(&format!("{} b", "a".repeat(MAX_WORD + 1))), ["b"]);
        assert_eq!(terms("open model"), [("open".into(), true, true), ("model".into(), true, true), ("open model".into(), false, false)]);
        assert_eq!(shard_key("open model"), "open model");
    }

    #[test]
    fn query_terms_required_then_bonus() {
        assert_eq!(terms("预训练"), [("预训".into(), false, true), ("训练".into(), false, true)]);
        assert_eq!(
            terms("模 GPT a"),
            [("模".into(), false, true), ("gpt".into(), true, true), ("a".into(), false, true), ("gpt a".into(), false, false)]
        );
        assert_eq!(terms("训练 训练"), [("训练".into(), false, true), ("练训".into(), false, false)]);
        assert_eq!(terms("gpt GPT"), [("gpt".into(), true, true), ("gpt gpt".into(), false, false)]);
        assert_eq!(terms("开源 模型"), [("开源".into(), false, true), ("模型".into(), false, true), ("源模".into(), false, false)]);
        assert_eq!(
            terms("tokio_with_wasm"),
            [("tokio".into(), true, true), ("with".into(), true, true), ("wasm".into(), true, true), ("tokio_with_wasm".into(), false, false)]
        );
        assert!(terms("  ，").is_empty());
    }

    #[test]
    fn hashes_match_javascript() {
        // Values computed by the same function in search.js.
        assert_eq!(fnv1a_utf16(""), 0x811c_9dc5);
        assert_eq!(fnv1a_utf16("a"), 0xe40c_292c);
        assert_eq!(shard_key("预训"), "预训");
        assert_eq!(shard_key("openai"), "op");
        assert_eq!(shard_key("tokio_with_wasm"), "tokio_with_wasm");
        assert_eq!(shard_key("x"), "x");
        assert_eq!(shard_of("anything", 1), 0);
    }
}
