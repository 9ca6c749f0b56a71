//! Site search that works for Chinese, with no server: the `/search/` page of
//! each language and an inverted index built at build time, which
//! `static/search.js` loads from the deployed folder.
//!
//! Tokens follow Lucene's CJKAnalyzer: CJK text becomes overlapping character
//! bigrams (`预训练` → `预训`, `训练`), a CJK run of one character that
//! character, and the index also keeps the last character of every longer run,
//! so that a one-character query finds every occurrence (as a unigram or as
//! the first half of a bigram). Other text becomes lowercased words;
//! fullwidth Latin letters are folded to ASCII. Queries match words by prefix.
//!
//! Files, under `LANG-PREFIX/search/`:
//! - `index.json`: `{"v", "count", "shards", "chunk", "weights"}`; for small sites
//!   it also holds `"docs"` and `"index"` inline and nothing else is loaded.
//! - `shard-K.json`: `{token: [post, score, post-delta, score, …]}`, the tokens
//!   whose key (first character of CJK, first two of a word) hashes (FNV-1a over
//!   UTF-16 code units) to K; posts are numbered newest first, delta-encoded.
//! - `docs-K.json`: `[[url, title, date, summary, text], …]` of posts
//!   `K*chunk ..`, fetched only for the results shown (text is cut for snippets).

use super::Engine;
use super::views::Views;
use crate::error::Error;
use crate::markdown::cjk::is_cjk;
use crate::output::Output;
use crate::site::Site;
use rayon::prelude::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// Score of a token in a post's title, per occurrence (body text counts 1).
pub const TITLE_WEIGHT: u32 = 10;
/// Score of a token in a post's tags, per occurrence.
pub const TAG_WEIGHT: u32 = 5;
/// Characters of each post's text kept for result snippets.
pub const TEXT_LIMIT: usize = 1000;
/// Posts per `docs-K.json`.
pub const DOCS_PER_CHUNK: usize = 10;
/// Target size of one shard of the inverted index.
const SHARD_BYTES: usize = 48 * 1024;
const MAX_SHARDS: usize = 1024;
/// Longer "words" (hashes, base64) are not indexed.
const MAX_WORD: usize = 40;

/// A run of text of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Run {
    Cjk(Vec<char>),
    Word(String),
}

/// Fullwidth ASCII (`ＧＰＴ`) to ASCII.
fn fold(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

fn runs(text: &str) -> Vec<Run> {
    let mut out = Vec::new();
    let mut cjk: Vec<char> = Vec::new();
    let mut word = String::new();
    for c in text.chars().map(fold) {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(Run::Word(std::mem::take(&mut word)));
            }
            cjk.push(c);
        } else {
            if !cjk.is_empty() {
                out.push(Run::Cjk(std::mem::take(&mut cjk)));
            }
            if c.is_alphanumeric() {
                word.extend(c.to_lowercase());
            } else if !word.is_empty() {
                out.push(Run::Word(std::mem::take(&mut word)));
            }
        }
    }
    if !word.is_empty() {
        out.push(Run::Word(word));
    }
    if !cjk.is_empty() {
        out.push(Run::Cjk(cjk));
    }
    out
}

/// The tokens a text is indexed under, in text order (with repeats).
pub fn index_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_index_token(text, |t| out.push(t.to_string()));
    out
}

/// Call `f` with every index token of `text`, in order, without allocating per token.
pub fn for_each_index_token(text: &str, mut f: impl FnMut(&str)) {
    let mut word = String::new();
    let mut words = 0usize;
    let mut prev: Option<char> = None;
    let mut pair = String::with_capacity(8);
    let flush_word = |word: &mut String, words: &mut usize, f: &mut dyn FnMut(&str)| {
        if !word.is_empty() {
            if *words <= MAX_WORD {
                f(word);
            }
            word.clear();
            *words = 0;
        }
    };
    let end_run = |prev: &mut Option<char>, pair: &mut String, f: &mut dyn FnMut(&str)| {
        if let Some(p) = prev.take() {
            pair.clear();
            pair.push(p);
            f(pair);
        }
    };
    for c in text.chars().map(fold) {
        if is_cjk(c) {
            flush_word(&mut word, &mut words, &mut f);
            if let Some(p) = prev {
                pair.clear();
                pair.push(p);
                pair.push(c);
                f(&pair);
            }
            prev = Some(c);
        } else {
            end_run(&mut prev, &mut pair, &mut f);
            if c.is_alphanumeric() {
                word.extend(c.to_lowercase());
                words += 1;
            } else {
                flush_word(&mut word, &mut words, &mut f);
            }
        }
    }
    flush_word(&mut word, &mut words, &mut f);
    end_run(&mut prev, &mut pair, &mut f);
}

/// One term of a query: a token, matched exactly or as a prefix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Term {
    pub token: String,
    /// Words of two or more characters and single CJK characters match every
    /// token they start.
    pub prefix: bool,
}

/// The terms of a query, without repeats. A CJK run of two or more
/// characters gives its bigrams only (the run-final unigram of the index
/// would not be there when the text goes on).
pub fn query_terms(query: &str) -> Vec<Term> {
    let mut out: Vec<Term> = Vec::new();
    for run in runs(query) {
        match run {
            Run::Word(w) => {
                let prefix = w.chars().count() >= 2;
                out.push(Term { token: w, prefix });
            }
            Run::Cjk(cs) if cs.len() == 1 => out.push(Term { token: cs[0].to_string(), prefix: true }),
            Run::Cjk(cs) => out.extend(cs.windows(2).map(|p| Term { token: p.iter().collect(), prefix: false })),
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|t| seen.insert(t.token.clone()));
    out
}

/// The shard key of a token: its first character if CJK, else its first two.
fn shard_key(token: &str) -> String {
    let mut chars = token.chars();
    match chars.next() {
        Some(c) if is_cjk(c) => c.to_string(),
        Some(c) => chars.next().map_or_else(|| c.to_string(), |d| format!("{c}{d}")),
        None => String::new(),
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
    fnv1a_utf16(&shard_key(token)) as usize % shards.max(1)
}

/// What a result shows about a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub url: String,
    pub title: String,
    pub date: String,
    pub summary: String,
    pub text: String,
}

/// The inverted index of one language's posts.
#[derive(Debug, Clone, Default)]
pub struct SearchIndex {
    /// Newest first; a post's number is its position here.
    pub docs: Vec<Doc>,
    /// Token → (post number, score), by post number.
    pub postings: BTreeMap<String, Vec<(u32, u32)>>,
}

impl SearchIndex {
    /// Index the posts of `lang`: token counts per post in parallel, merged
    /// in post order a batch at a time (so memory stays near the index's size).
    pub fn build(site: &Site, lang: &str) -> SearchIndex {
        let posts = site.posts_by_lang.get(lang).map(Vec::as_slice).unwrap_or_default();
        let mut postings: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
        let mut docs = Vec::with_capacity(posts.len());
        for (b, batch) in posts.chunks(512).enumerate() {
            let counted: Vec<(Vec<(String, u32)>, Doc)> = batch
                .par_iter()
                .map(|&i| {
                    let e = &site.entries[i];
                    let p = &e.post;
                    let text = collapse(&e.rendered.text);
                    let mut counts: HashMap<String, u32> = HashMap::new();
                    let mut add = |t: &str, w: u32| match counts.get_mut(t) {
                        Some(c) => *c += w,
                        None => {
                            counts.insert(t.to_string(), w);
                        }
                    };
                    for_each_index_token(&p.title, |t| add(t, TITLE_WEIGHT));
                    for tag in &p.tags {
                        for_each_index_token(tag, |t| add(t, TAG_WEIGHT));
                    }
                    for_each_index_token(&text, |t| add(t, 1));
                    let doc = Doc {
                        url: e.url.clone(),
                        title: p.title.clone(),
                        date: p.date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
                        summary: super::feeds::summary(site, i),
                        text: cut(&text, TEXT_LIMIT),
                    };
                    (counts.into_iter().collect(), doc)
                })
                .collect();
            for (k, (counts, doc)) in counted.into_iter().enumerate() {
                let n = (b * 512 + k) as u32;
                for (t, c) in counts {
                    postings.entry(t).or_default().push((n, c));
                }
                docs.push(doc);
            }
        }
        SearchIndex { docs, postings: postings.into_iter().collect() }
    }

    /// The posts matching every term of `query`, best first: the reference
    /// for what `search.js` does. Exact token matches score twice.
    pub fn search(&self, query: &str) -> Vec<(usize, u32)> {
        let terms = query_terms(query);
        if terms.is_empty() {
            return Vec::new();
        }
        let mut total: Option<HashMap<u32, u32>> = None;
        for term in &terms {
            let mut scores: HashMap<u32, u32> = HashMap::new();
            let matching: Vec<(&String, &Vec<(u32, u32)>)> = if term.prefix {
                self.postings.range(term.token.clone()..).take_while(|(k, _)| k.starts_with(&term.token)).collect()
            } else {
                self.postings.get_key_value(&term.token).into_iter().collect()
            };
            for (token, posts) in matching {
                let w = if *token == term.token { 2 } else { 1 };
                for &(p, s) in posts {
                    *scores.entry(p).or_default() += s * w;
                }
            }
            total = Some(match total {
                None => scores,
                Some(prev) => prev.into_iter().filter_map(|(p, s)| scores.get(&p).map(|t| (p, s + t))).collect(),
            });
        }
        let mut hits: Vec<(usize, u32)> = total.unwrap_or_default().into_iter().map(|(p, s)| (p as usize, s)).collect();
        hits.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        hits
    }

    /// How many shards the inverted index is cut into.
    pub fn shard_count(&self) -> usize {
        let bytes: usize = self.postings.iter().map(|(k, v)| k.len() + 6 + v.len() * 8).sum();
        bytes.div_ceil(SHARD_BYTES).next_power_of_two().clamp(1, MAX_SHARDS)
    }

    /// The index's files, by path inside the language's `search/` folder.
    pub fn files(&self) -> Vec<(String, String)> {
        let shards = self.shard_count();
        let inline = shards == 1 && self.docs.len() <= DOCS_PER_CHUNK;
        let mut parts: Vec<BTreeMap<&str, Vec<u32>>> = vec![BTreeMap::new(); shards];
        for (token, posts) in &self.postings {
            let mut flat = Vec::with_capacity(posts.len() * 2);
            let mut prev = 0;
            for &(p, s) in posts {
                flat.push(p - prev);
                flat.push(s);
                prev = p;
            }
            parts[shard_of(token, shards)].insert(token, flat);
        }
        let doc = |d: &Doc| json!([d.url, d.title, d.date, d.summary, d.text]);
        let mut meta = json!({
            "v": 1,
            "count": self.docs.len(),
            "shards": shards,
            "chunk": DOCS_PER_CHUNK,
            "weights": {"title": TITLE_WEIGHT, "tag": TAG_WEIGHT},
        });
        let mut files = Vec::new();
        if inline {
            meta["docs"] = Value::Array(self.docs.iter().map(doc).collect());
            meta["index"] = serde_json::to_value(&parts[0]).unwrap_or_default();
        } else {
            for (k, part) in parts.iter().enumerate() {
                files.push((format!("shard-{k}.json"), serde_json::to_string(part).unwrap_or_default()));
            }
            for (k, chunk) in self.docs.chunks(DOCS_PER_CHUNK).enumerate() {
                files.push((format!("docs-{k}.json"), Value::Array(chunk.iter().map(doc).collect()).to_string()));
            }
        }
        files.insert(0, ("index.json".into(), meta.to_string()));
        files
    }
}

/// Whitespace runs to one space.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max` characters of `text`.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => text[..i].to_string(),
        None => text.to_string(),
    }
}

/// The search page of every language.
pub fn pages(site: &Site, views: &Views<'_>, engine: &Engine, output: &mut Output, errors: &mut Vec<Error>) {
    let config = &site.config;
    let alternates: Vec<(String, String)> = config.languages.iter().map(|l| (l.clone(), format!("{}search/", config.lang_prefix(l)))).collect();
    for lang in &config.languages {
        let prefix = config.lang_prefix(lang);
        let path = format!("{prefix}search/index.html");
        let mut ctx = views.base_context(lang, &path, &alternates);
        ctx.insert("page_kind", "search");
        ctx.insert("search_index", &format!("{}{prefix}search/index.json", config.base_path));
        match engine.render("search.html", &ctx, None) {
            Ok(html) => {
                output.add(path, html);
            }
            Err(e) => errors.push(e),
        }
    }
}

/// Add the index files of every language (the costly part, which needs only the site).
pub fn index(site: &Site, output: &mut Output) {
    for (path, text) in index_files(site) {
        output.add(path, text);
    }
}

/// The index files of every language, by output path.
pub fn index_files(site: &Site) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for lang in &site.config.languages {
        let prefix = site.config.lang_prefix(lang);
        for (name, text) in SearchIndex::build(site, lang).files() {
            files.push((format!("{prefix}search/{name}"), text));
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(q: &str) -> Vec<(String, bool)> {
        query_terms(q).into_iter().map(|t| (t.token, t.prefix)).collect()
    }

    #[test]
    fn cjk_bigrams_and_latin_words() {
        assert_eq!(index_tokens("GPT-5的预训练还没有启动"), ["gpt", "5", "的预", "预训", "训练", "练还", "还没", "没有", "有启", "启动", "动"]);
        assert_eq!(index_tokens("中 OpenAI，Sam Altman说"), ["中", "openai", "sam", "altman", "说"]);
        assert_eq!(index_tokens("ＧＰＴ４ It's"), ["gpt4", "it", "s"]);
        assert_eq!(index_tokens("日本語のテキスト"), ["日本", "本語", "語の", "のテ", "テキ", "キス", "スト", "ト"]);
        assert!(index_tokens(&"a".repeat(MAX_WORD + 1)).is_empty());
        assert!(index_tokens("，。！ --- ").is_empty());
    }

    #[test]
    fn query_terms_drop_the_run_final_unigram() {
        assert_eq!(terms("预训练"), [("预训".into(), false), ("训练".into(), false)]);
        assert_eq!(terms("模 GPT a"), [("模".into(), true), ("gpt".into(), true), ("a".into(), false)]);
        assert_eq!(terms("训练 训练"), [("训练".into(), false)]);
        assert!(terms("  ，").is_empty());
    }

    #[test]
    fn hashes_match_javascript() {
        // Values computed by the same function in search.js.
        assert_eq!(fnv1a_utf16(""), 0x811c_9dc5);
        assert_eq!(fnv1a_utf16("a"), 0xe40c_292c);
        assert_eq!(shard_key("预训"), "预");
        assert_eq!(shard_key("openai"), "op");
        assert_eq!(shard_key("x"), "x");
        assert_eq!(shard_of("anything", 1), 0);
    }

    fn index(docs: &[(&str, &str)]) -> SearchIndex {
        let mut ix = SearchIndex::default();
        for (n, (title, text)) in docs.iter().enumerate() {
            let mut counts: BTreeMap<String, u32> = BTreeMap::new();
            for t in index_tokens(title) {
                *counts.entry(t).or_default() += TITLE_WEIGHT;
            }
            for t in index_tokens(text) {
                *counts.entry(t).or_default() += 1;
            }
            for (t, c) in counts {
                ix.postings.entry(t).or_default().push((n as u32, c));
            }
            ix.docs.push(Doc {
                url: format!("/p{n}/"),
                title: title.to_string(),
                date: String::new(),
                summary: String::new(),
                text: text.to_string(),
            });
        }
        ix
    }

    #[test]
    fn searches_intersect_and_rank_titles_first() {
        let ix = index(&[
            ("大模型周报", "本周没有新的预训练消息。GPT-4 继续更新。"),
            ("GPT-5 的预训练还没有启动", "奥特曼说还有很多工作要做。"),
            ("训练营", "预习和训练"),
        ]);
        let posts = |q: &str| ix.search(q).into_iter().map(|(p, _)| p).collect::<Vec<_>>();
        assert_eq!(posts("预训练"), [1, 0]);
        assert_eq!(posts("预训练 奥特曼"), [1]);
        assert_eq!(posts("gpt"), [1, 0]);
        assert_eq!(posts("GP"), [1, 0]);
        assert_eq!(posts("g"), Vec::<usize>::new());
        // One character: as a unigram (run end) or the start of a bigram.
        assert_eq!(posts("营"), [2]);
        assert_eq!(posts("奥"), [1]);
        assert_eq!(posts("不存在"), Vec::<usize>::new());
        assert!(ix.search("").is_empty());
    }

    #[test]
    fn small_indexes_are_one_file_and_large_ones_shard() {
        let ix = index(&[("标题", "正文 text")]);
        let files = ix.files();
        assert_eq!(files.len(), 1);
        let meta: Value = serde_json::from_str(&files[0].1).unwrap();
        assert_eq!(meta["shards"], 1);
        assert_eq!(meta["docs"][0][0], "/p0/");
        assert_eq!(meta["index"]["标题"], json!([0, TITLE_WEIGHT]));

        let many: Vec<(String, String)> = (0..200).map(|n| (format!("第{n}期"), format!("内容{n} 关键词{} word{n}", n * 7919 % 1000))).collect();
        let refs: Vec<(&str, &str)> = many.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let ix = index(&refs);
        let files = ix.files();
        let meta: Value = serde_json::from_str(&files[0].1).unwrap();
        let shards = meta["shards"].as_u64().unwrap() as usize;
        assert!(meta.get("index").is_none());
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"docs-19.json") && !names.contains(&"docs-20.json"), "{names:?}");
        // Every token is in the shard its hash names, with delta-encoded posts.
        let mut found = 0;
        for k in 0..shards {
            let part: BTreeMap<String, Vec<u32>> =
                serde_json::from_str(&files.iter().find(|(n, _)| *n == format!("shard-{k}.json")).unwrap().1).unwrap();
            for (token, flat) in part {
                assert_eq!(shard_of(&token, shards), k);
                let posts: Vec<u32> = flat
                    .chunks(2)
                    .scan(0, |p, c| {
                        *p += c[0];
                        Some(*p)
                    })
                    .collect();
                assert_eq!(posts, ix.postings[&token].iter().map(|x| x.0).collect::<Vec<_>>());
                found += 1;
            }
        }
        assert_eq!(found, ix.postings.len());
    }
}
