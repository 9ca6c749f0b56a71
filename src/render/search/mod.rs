//! Site search that works for Chinese, with no server: the `/search/` page of
//! each language and an inverted index built at build time, which
//! `static/search.js` loads from the deployed folder, a few files per query.
//!
//! Tokens: [`tokens`] (Traditional and Simplified fold to one, see [`fold`]).
//! Each (token, post) has a score: how often the token is in the body (at
//! most [`BODY_MAX`]), plus [`TAG`], [`HEADING`] and [`TITLE`] when it is in
//! a tag, a heading or the title, so that title and heading matches rank
//! first. A query's score in a post is the sum over its terms of the best
//! score of a token the term matches, twice that for the term itself.
//!
//! Files, under `LANG-PREFIX/search/`:
//! - `index.json`: `{"v": 2, "count", "shards", "chunk", "fold"}`; for small
//!   sites (up to 16 posts, 64 KiB of index) it also holds `"docs"`,
//!   `"index"` (the one shard, base64) and `"fold"` (the table itself)
//!   inline, and nothing else is loaded.
//! - `shard-K.bin`: the tokens whose [`tokens::shard_key`] hashes (FNV-1a
//!   over UTF-16 code units) to K, with their postings ([`postings`]); posts
//!   are numbered newest first.
//! - `docs-K.json`: `[[url, title, date, summary, text], …]` of posts
//!   `K*chunk ..`, fetched only for the results shown; `text` is the start of
//!   the body, for snippets, and `summary` the number of its characters that
//!   are the summary when the summary is that, else the summary.
//! - `fold.json`: the Traditional → Simplified pairs whose Simplified
//!   character is in the index, as one string (`開开關关…`), fetched for
//!   queries with CJK characters.

pub mod fold;
pub mod postings;
pub mod tokens;

pub use tokens::{Term, Tok, fnv1a_utf16, for_each_index_token, index_tokens, query_terms, shard_of};

use super::Engine;
use super::views::Views;
use crate::error::Error;
use crate::markdown::cjk::is_cjk;
use crate::output::Output;
use crate::site::Site;
use base64::Engine as _;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde_json::{Value, json};

/// Most body occurrences a score counts.
pub const BODY_MAX: u8 = 15;
/// Score of a token in a post's tags.
pub const TAG: u8 = 16;
/// Score of a token in a post's headings.
pub const HEADING: u8 = 32;
/// Score of a token in a post's title.
pub const TITLE: u8 = 64;
/// Characters of each post's text kept for result snippets.
pub const TEXT_LIMIT: usize = 300;
/// Posts per `docs-K.json`: a page of 10 results fetches about 10 of them.
pub const DOCS_PER_CHUNK: usize = 2;
/// A site of at most this many posts, whose inverted index is at most
/// [`INLINE_BYTES`], has all of its index in `index.json`: one fetch.
const INLINE_DOCS: usize = 16;
const INLINE_BYTES: usize = 64 * 1024;
/// Target size of one shard of the inverted index: a query fetches one per
/// term (two or three for two words).
const SHARD_BYTES: usize = 8 * 1024;
const MAX_SHARDS: usize = 4096;
/// Posts counted at a time before their tokens are merged into the index
/// (memory stays near the index's size).
const BATCH: usize = 64;
/// Partitions of the index merged in parallel (a power of two).
const PARTS: usize = 64;

/// What a result shows about a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub url: String,
    pub title: String,
    pub date: String,
    pub summary: String,
    pub text: String,
}

/// What a post gives the index: its fields, and what a result shows.
#[derive(Debug, Clone, Default)]
pub struct Source<'a> {
    pub title: &'a str,
    pub tags: Vec<&'a str>,
    pub headings: Vec<&'a str>,
    /// The body as plain text.
    pub text: &'a str,
}

/// The inverted index of one language's posts.
#[derive(Debug, Clone, Default)]
pub struct SearchIndex {
    /// Newest first; a post's number is its position here.
    pub docs: Vec<Doc>,
    /// Every token with its encoded postings ([`postings`]), by token.
    pub tokens: Vec<(String, Vec<u8>)>,
}

/// A token of at most 7 UTF-8 bytes (a CJK bigram, most words) as a number:
/// counting and merging then hash integers, not strings. The bytes go
/// first, big-endian, and the length last, so numbers sort as the strings do.
fn pack(b: &[u8]) -> Option<u64> {
    if b.len() > 7 {
        return None;
    }
    let mut k = b.len() as u64;
    for (i, &x) in b.iter().enumerate() {
        k |= u64::from(x) << (56 - 8 * i);
    }
    Some(k)
}

fn unpack(k: u64) -> String {
    let len = (k & 0xFF) as usize;
    let bytes: Vec<u8> = (0..len).map(|i| (k >> (56 - 8 * i)) as u8).collect();
    String::from_utf8(bytes).unwrap_or_default()
}

fn part_of(k: u64) -> usize {
    (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize % PARTS
}

/// The tokens of one post with their scores, packed ones sorted by partition.
#[derive(Default)]
struct Counted {
    packed: Vec<(u64, u8)>,
    /// `packed[starts[p]..starts[p + 1]]` is partition `p`.
    starts: Vec<usize>,
    long: Vec<(String, u8)>,
}

/// Per-thread scratch space of [`count`].
struct Scratch {
    /// Scores of the post's CJK characters of the BMP, by code point (most
    /// of the tokens of Chinese text: counted without hashing).
    chars: Vec<u8>,
    touched: Vec<u16>,
    packed: FxHashMap<u64, u8>,
    long: FxHashMap<String, u8>,
}

impl Default for Scratch {
    fn default() -> Scratch {
        Scratch { chars: vec![0; 0x1_0000], touched: Vec::new(), packed: FxHashMap::default(), long: FxHashMap::default() }
    }
}

fn bump(v: &mut u8, field: u8) {
    if field == 0 {
        if *v & BODY_MAX < BODY_MAX {
            *v += 1;
        }
    } else {
        *v |= field;
    }
}

fn count(src: &Source<'_>, scratch: &mut Scratch) -> Counted {
    let Scratch { chars, touched, packed, long } = scratch;
    let mut bytes = |t: &[u8], field: u8| match pack(t) {
        Some(k) => bump(packed.entry(k).or_insert(0), field),
        None => {
            let t = std::str::from_utf8(t).unwrap_or_default();
            match long.get_mut(t) {
                Some(v) => bump(v, field),
                None => bump(long.entry(t.to_string()).or_insert(0), field),
            }
        }
    };
    let mut add = |t: Tok<'_>, field: u8| match t {
        Tok::Char(c) if (c as u32) < 0x1_0000 => {
            let v = &mut chars[c as usize];
            if *v == 0 {
                touched.push(c as u16);
            }
            bump(v, field);
        }
        Tok::Char(c) => bytes(c.encode_utf8(&mut [0; 4]).as_bytes(), field),
        Tok::Pair(c, d) => {
            let mut buf = [0u8; 8];
            let n = c.encode_utf8(&mut buf).len();
            let m = d.encode_utf8(&mut buf[n..]).len();
            bytes(&buf[..n + m], field);
        }
        Tok::Word(w) => bytes(w.as_bytes(), field),
    };
    for_each_index_token(src.title, |t| add(t, TITLE));
    for h in &src.headings {
        for_each_index_token(h, |t| add(t, HEADING));
    }
    for tag in &src.tags {
        for_each_index_token(tag, |t| add(t, TAG));
    }
    for_each_index_token(src.text, |t| add(t, 0));
    for u in touched.drain(..) {
        let c = char::from_u32(u32::from(u)).unwrap_or_default();
        if let Some(k) = pack(c.encode_utf8(&mut [0; 4]).as_bytes()) {
            packed.insert(k, std::mem::take(&mut chars[usize::from(u)]));
        }
    }
    let mut out = Counted { packed: packed.drain().collect(), starts: Vec::with_capacity(PARTS + 1), long: long.drain().collect() };
    out.packed.sort_unstable_by_key(|&(k, _)| part_of(k));
    out.starts.extend((0..=PARTS).map(|p| out.packed.partition_point(|&(k, _)| part_of(k) < p)));
    out
}

impl SearchIndex {
    /// Index the posts of `lang` of `site`.
    pub fn build(site: &Site, lang: &str) -> SearchIndex {
        let posts = site.posts_by_lang.get(lang).map(Vec::as_slice).unwrap_or_default();
        // Whitespace only separates tokens: the body is tokenized as it is.
        let sources: Vec<Source<'_>> = posts
            .iter()
            .map(|&i| {
                let e = &site.entries[i];
                Source {
                    title: &e.post.title,
                    tags: e.post.tags.iter().map(String::as_str).collect(),
                    headings: e.rendered.headings.iter().map(|h| h.text.as_str()).collect(),
                    text: &e.rendered.text,
                }
            })
            .collect();
        let docs = posts
            .par_iter()
            .map(|&i| {
                let e = &site.entries[i];
                Doc {
                    url: e.url.clone(),
                    title: e.post.title.clone(),
                    date: e.post.date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
                    summary: super::feeds::summary(site, i),
                    text: collapsed_start(&e.rendered.text, TEXT_LIMIT),
                }
            })
            .collect();
        SearchIndex::from_sources(&sources, docs)
    }

    /// Index `sources`, post `n` being `sources[n]` (and `docs[n]`): token
    /// counts per post in parallel, merged in post order a batch at a time,
    /// each partition of the tokens on its own core.
    pub fn from_sources(sources: &[Source<'_>], docs: Vec<Doc>) -> SearchIndex {
        let mut parts: Vec<FxHashMap<u64, postings::Writer>> = (0..PARTS).map(|_| FxHashMap::default()).collect();
        let mut long: FxHashMap<String, postings::Writer> = FxHashMap::default();
        for (b, batch) in sources.chunks(BATCH).enumerate() {
            let counted: Vec<Counted> = batch.par_iter().map_init(Scratch::default, |scratch, src| count(src, scratch)).collect();
            let first = (b * BATCH) as u32;
            parts.par_iter_mut().enumerate().for_each(|(p, map)| {
                for (k, c) in counted.iter().enumerate() {
                    for &(key, score) in &c.packed[c.starts[p]..c.starts[p + 1]] {
                        map.entry(key).or_default().push(first + k as u32, score);
                    }
                }
            });
            for (k, c) in counted.into_iter().enumerate() {
                for (token, score) in c.long {
                    long.entry(token).or_default().push(first + k as u32, score);
                }
            }
        }
        // Packed tokens sort as numbers; the long ones (few) as strings; then the two merge.
        let mut packed: Vec<(u64, Vec<u8>)> = Vec::with_capacity(parts.iter().map(|m| m.len()).sum());
        for map in parts {
            packed.extend(map.into_iter().map(|(k, w)| (k, w.bytes)));
        }
        packed.par_sort_unstable_by_key(|(k, _)| *k);
        let mut long: Vec<(String, Vec<u8>)> = long.into_iter().map(|(t, w)| (t, w.bytes)).collect();
        long.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let packed: Vec<(String, Vec<u8>)> = packed.into_par_iter().map(|(k, b)| (unpack(k), b)).collect();
        let mut tokens = Vec::with_capacity(packed.len() + long.len());
        let (mut a, mut b) = (packed.into_iter().peekable(), long.into_iter().peekable());
        loop {
            let take_a = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => x.0 < y.0,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            tokens.extend(if take_a { a.next() } else { b.next() });
        }
        SearchIndex { docs, tokens }
    }

    /// The tokens `term` matches, with their postings.
    fn matching(&self, term: &Term) -> &[(String, Vec<u8>)] {
        let from = self.tokens.partition_point(|(t, _)| t.as_str() < term.token.as_str());
        let len = if term.prefix {
            self.tokens[from..].partition_point(|(t, _)| t.starts_with(&term.token))
        } else {
            usize::from(self.tokens.get(from).is_some_and(|(t, _)| *t == term.token))
        };
        &self.tokens[from..from + len]
    }

    /// Post → score of one term: the best of the tokens it matches.
    fn term_scores(&self, term: &Term) -> FxHashMap<u32, u32> {
        let mut scores: FxHashMap<u32, u32> = FxHashMap::default();
        for (token, bytes) in self.matching(term) {
            let w = if *token == term.token { 2 } else { 1 };
            for (p, s) in postings::decode(bytes) {
                let e = scores.entry(p).or_default();
                *e = (*e).max(u32::from(s) * w);
            }
        }
        scores
    }

    /// The posts matching every required term of `query`, best first (then
    /// newest first): the reference for what `search.js` does.
    pub fn search(&self, query: &str) -> Vec<(usize, u32)> {
        let terms = query_terms(query);
        let mut total: Option<FxHashMap<u32, u32>> = None;
        for term in terms.iter().filter(|t| t.required) {
            let scores = self.term_scores(term);
            total = Some(match total {
                None => scores,
                Some(prev) => prev.into_iter().filter_map(|(p, s)| scores.get(&p).map(|t| (p, s + t))).collect(),
            });
        }
        let mut total = total.unwrap_or_default();
        for term in terms.iter().filter(|t| !t.required) {
            let scores = self.term_scores(term);
            for (p, s) in total.iter_mut() {
                *s += scores.get(p).copied().unwrap_or(0);
            }
        }
        let mut hits: Vec<(usize, u32)> = total.into_iter().map(|(p, s)| (p as usize, s)).collect();
        hits.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        hits
    }

    /// About the bytes of the inverted index.
    fn bytes(&self) -> usize {
        self.tokens.iter().map(|(t, p)| t.len() + p.len() + 2).sum()
    }

    /// How many shards the inverted index is cut into.
    pub fn shard_count(&self) -> usize {
        self.bytes().div_ceil(SHARD_BYTES).next_power_of_two().clamp(1, MAX_SHARDS)
    }

    /// The Traditional → Simplified pairs a query may need: those whose
    /// Simplified character is in the index, as `開开關关…`.
    pub fn fold_pairs(&self) -> String {
        let present = |c: char| {
            let mut buf = [0u8; 4];
            let s: &str = c.encode_utf8(&mut buf);
            self.tokens.binary_search_by(|(t, _)| t.as_str().cmp(s)).is_ok()
        };
        fold::pairs().filter(|&(_, s)| is_cjk(s) && present(s)).flat_map(|(t, s)| [t, s]).collect()
    }

    /// The index's files, by path inside the language's `search/` folder.
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        let small = self.docs.len() <= INLINE_DOCS && self.bytes() <= INLINE_BYTES;
        self.files_in(if small { 1 } else { self.shard_count() })
    }

    /// [`SearchIndex::files`] with the inverted index in `shards` shards.
    pub fn files_in(&self, shards: usize) -> Vec<(String, Vec<u8>)> {
        let shards = shards.max(1);
        let inline = shards == 1 && self.docs.len() <= INLINE_DOCS;
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); shards];
        for (n, (token, _)) in self.tokens.iter().enumerate() {
            members[shard_of(token, shards)].push(n);
        }
        let bins: Vec<Vec<u8>> =
            members.par_iter().map(|m| postings::shard(m.iter().map(|&n| (self.tokens[n].0.as_str(), self.tokens[n].1.as_slice())))).collect();
        let fold = self.fold_pairs();
        let mut meta = json!({
            "v": 2,
            "count": self.docs.len(),
            "shards": shards,
            "chunk": DOCS_PER_CHUNK,
            "fold": !fold.is_empty(),
        });
        let mut files = Vec::new();
        if inline {
            meta["docs"] = Value::Array(self.docs.iter().map(doc_json).collect());
            meta["index"] = Value::String(base64::engine::general_purpose::STANDARD.encode(&bins[0]));
            meta["fold"] = Value::String(fold);
        } else {
            for (k, bin) in bins.into_iter().enumerate() {
                files.push((format!("shard-{k}.bin"), bin));
            }
            let chunks: Vec<(String, Vec<u8>)> = self
                .docs
                .par_chunks(DOCS_PER_CHUNK)
                .enumerate()
                .map(|(k, chunk)| (format!("docs-{k}.json"), Value::Array(chunk.iter().map(doc_json).collect()).to_string().into_bytes()))
                .collect();
            files.extend(chunks);
            if !fold.is_empty() {
                files.push(("fold.json".into(), Value::String(fold).to_string().into_bytes()));
            }
        }
        files.insert(0, ("index.json".into(), meta.to_string().into_bytes()));
        files
    }
}

/// A result's entry in `docs-K.json`: the summary as a length when the text starts with it.
fn doc_json(d: &Doc) -> Value {
    let summary = match d.text.strip_prefix(d.summary.as_str()) {
        Some(_) => json!(d.summary.chars().count()),
        None => json!(d.summary),
    };
    json!([d.url, d.title, d.date, summary, d.text])
}

/// The first `max` characters of `text` with its whitespace runs as one
/// space (read no further than needed: bodies can be long).
fn collapsed_start(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut n = 0;
    for word in text.split_whitespace() {
        if n >= max {
            break;
        }
        if n > 0 {
            out.push(' ');
            n += 1;
        }
        for c in word.chars() {
            if n >= max {
                break;
            }
            out.push(c);
            n += 1;
        }
    }
    out
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
pub fn index_files(site: &Site) -> Vec<(String, Vec<u8>)> {
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

    fn index(posts: &[(&str, &str)]) -> SearchIndex {
        let sources: Vec<Source<'_>> = posts.iter().map(|(title, text)| Source { title, text, ..Source::default() }).collect();
        let docs = (0..posts.len())
            .map(|n| Doc { url: format!("/p{n}/"), title: posts[n].0.into(), date: String::new(), summary: String::new(), text: posts[n].1.into() })
            .collect();
        SearchIndex::from_sources(&sources, docs)
    }

    #[test]
    fn packed_tokens_round_trip() {
        for t in ["", "a", "预训", "abcdefg", "ünï"] {
            assert_eq!(unpack(pack(t.as_bytes()).unwrap()), t);
        }
        assert!(pack(b"abcdefgh").is_none());
        // As numbers, in the order of the strings.
        let mut words = ["b", "ab", "a", "预", "z9", "abc", "预训"];
        let mut keys: Vec<u64> = words.iter().map(|w| pack(w.as_bytes()).unwrap()).collect();
        keys.sort();
        words.sort();
        assert_eq!(keys.into_iter().map(unpack).collect::<Vec<_>>(), words);
    }

    #[test]
    fn scores_count_the_body_and_mark_the_title() {
        let ix = index(&[("量化", "量化 量化 模型"), ("x", &"模型 ".repeat(40))]);
        let scores = |t: &str| postings::decode(&ix.tokens.iter().find(|(k, _)| k == t).unwrap().1);
        assert_eq!(scores("量化"), [(0, TITLE + 2)]);
        assert_eq!(scores("模型"), [(0, 1), (1, BODY_MAX)]);
        assert_eq!(ix.search("量化"), [(0, 2 * u32::from(TITLE + 2))]);
        assert!(ix.search("").is_empty());
    }

    #[test]
    fn small_indexes_are_one_file_and_large_ones_shard() {
        let ix = index(&[("標題", "正文 text")]);
        let files = ix.files();
        assert_eq!(files.len(), 1);
        let meta: Value = serde_json::from_slice(&files[0].1).unwrap();
        assert_eq!(meta["shards"], 1);
        assert_eq!(meta["docs"][0][0], "/p0/");
        assert_eq!(meta["fold"], "標标題题");
        let shard = base64::engine::general_purpose::STANDARD.decode(meta["index"].as_str().unwrap()).unwrap();
        assert_eq!(postings::read_shard(&shard).unwrap(), ix.tokens);

        let many: Vec<(String, String)> = (0..200).map(|n| (format!("第{n}期"), format!("内容{n} 关键词{} word{n}", n * 7919 % 1000))).collect();
        let refs: Vec<(&str, &str)> = many.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let ix = index(&refs);
        let files = ix.files_in(8);
        let meta: Value = serde_json::from_slice(&files[0].1).unwrap();
        assert_eq!(meta["shards"], 8);
        assert!(meta.get("index").is_none() && meta.get("docs").is_none());
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"docs-99.json") && !names.contains(&"docs-100.json"), "{names:?}");
        // Every token is in the shard its key hashes to, in order, with its postings.
        let mut found = Vec::new();
        for k in 0..8 {
            let bin = &files.iter().find(|(n, _)| *n == format!("shard-{k}.bin")).unwrap().1;
            let part = postings::read_shard(bin).unwrap();
            assert!(part.windows(2).all(|w| w[0].0 < w[1].0));
            assert!(part.iter().all(|(t, _)| shard_of(t, 8) == k));
            found.extend(part);
        }
        found.sort();
        assert_eq!(found, ix.tokens);
    }

    #[test]
    fn snippet_text_is_the_collapsed_start() {
        assert_eq!(collapsed_start("  a \n\n b  c ", 10), "a b c");
        assert_eq!(collapsed_start("预训练 还没有", 5), "预训练 还");
        assert_eq!(collapsed_start("ab cd", 3), "ab ");
        assert_eq!(collapsed_start("", 3), "");
    }

    #[test]
    fn summaries_that_start_the_text_are_a_length() {
        let d = Doc { url: "/a/".into(), title: "t".into(), date: String::new(), summary: "开头。".into(), text: "开头。后文".into() };
        assert_eq!(doc_json(&d), json!(["/a/", "t", "", 3, "开头。后文"]));
        let d = Doc { summary: "另一段".into(), ..d };
        assert_eq!(doc_json(&d)[3], "另一段");
    }
}
