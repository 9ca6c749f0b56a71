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
//! Building: [`inverted`] (tokens counted per post in parallel, merged per
//! partition; no string or allocation per token). The tokens are kept in
//! partitions, in no order; each shard puts its own in order when written.
//!
//! Files, under `LANG-PREFIX/search/`:
//! - `index.json`: `{"v": 2, "count", "shards", "chunk", "fold", "phrase"}`
//!   (`phrase`: [`PHRASE`], the weight of a phrase's score); for small
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
mod inverted;
pub mod postings;
mod table;
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
/// How many times a phrase's score (two words side by side, see [`tokens`])
/// weighs a word's: once in the body, the words side by side outrank any
/// number of them apart there.
pub const PHRASE: u32 = 2 * BODY_MAX as u32 + 1;
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
    /// Every token with its encoded postings ([`postings`]), in partitions.
    parts: Vec<inverted::Tokens>,
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

    /// Index `sources`, post `n` being `sources[n]` (and `docs[n]`).
    pub fn from_sources(sources: &[Source<'_>], docs: Vec<Doc>) -> SearchIndex {
        SearchIndex { docs, parts: inverted::build(sources) }
    }

    /// How many tokens the index has.
    pub fn len(&self) -> usize {
        self.parts.iter().map(inverted::Tokens::len).sum()
    }

    /// Whether the index has no token.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every token with its encoded postings, in no particular order.
    fn unordered(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.parts.iter().flat_map(|p| (0..p.len()).map(move |n| p.get(n)))
    }

    /// Every token with its encoded postings, in UTF-8 byte order.
    pub fn tokens(&self) -> Vec<(&str, &[u8])> {
        let mut all: Vec<(&str, &[u8])> = self.unordered().collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        all
    }

    /// The tokens `term` matches, of `tokens` (in order), with their postings.
    fn matching<'a>(tokens: &'a [(&'a str, &'a [u8])], term: &Term) -> &'a [(&'a str, &'a [u8])] {
        let t = term.token.as_str();
        let from = tokens.partition_point(|(k, _)| *k < t);
        let len = if term.prefix {
            tokens[from..].partition_point(|(k, _)| k.starts_with(t))
        } else {
            usize::from(tokens.get(from).is_some_and(|(k, _)| *k == t))
        };
        &tokens[from..from + len]
    }

    /// Post → score of one term: the best of the tokens it matches.
    fn term_scores(tokens: &[(&str, &[u8])], term: &Term) -> FxHashMap<u32, u32> {
        let mut scores: FxHashMap<u32, u32> = FxHashMap::default();
        for &(token, bytes) in SearchIndex::matching(tokens, term) {
            let w = if token == term.token { 2 } else { 1 } * if term.token.contains(' ') { PHRASE } else { 1 };
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
        let tokens = self.tokens();
        let mut total: Option<FxHashMap<u32, u32>> = None;
        for term in terms.iter().filter(|t| t.required) {
            let scores = SearchIndex::term_scores(&tokens, term);
            total = Some(match total {
                None => scores,
                Some(prev) => prev.into_iter().filter_map(|(p, s)| scores.get(&p).map(|t| (p, s + t))).collect(),
            });
        }
        let mut total = total.unwrap_or_default();
        for term in terms.iter().filter(|t| !t.required) {
            let scores = SearchIndex::term_scores(&tokens, term);
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
        self.parts.iter().map(inverted::Tokens::bytes).sum()
    }

    /// How many shards the inverted index is cut into.
    pub fn shard_count(&self) -> usize {
        self.bytes().div_ceil(SHARD_BYTES).next_power_of_two().clamp(1, MAX_SHARDS)
    }

    /// The Traditional → Simplified pairs a query may need: those whose
    /// Simplified character is in the index, as `開开關关…`.
    pub fn fold_pairs(&self) -> String {
        // One-character tokens of the BMP (at most 3 UTF-8 bytes), each
        // partition's found in parallel.
        let singles: Vec<Vec<u16>> = self
            .parts
            .par_iter()
            .map(|p| {
                (0..p.len())
                    .filter_map(|n| {
                        let t = p.get(n).0;
                        let mut cs = t.chars();
                        match (t.len() <= 3, cs.next(), cs.next()) {
                            (true, Some(c), None) => u16::try_from(c as u32).ok(),
                            _ => None,
                        }
                    })
                    .collect()
            })
            .collect();
        let mut present = vec![false; 0x1_0000];
        for &u in singles.iter().flatten() {
            present[usize::from(u)] = true;
        }
        fold::pairs().filter(|&(_, s)| is_cjk(s) && present[s as usize]).flat_map(|(t, s)| [t, s]).collect()
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
        // Each partition's tokens grouped by shard (in parallel, a counting
        // sort of their numbers), then each shard's gathered from every
        // partition and put in order.
        let cut: Vec<(Vec<usize>, Vec<u32>)> = self
            .parts
            .par_iter()
            .map(|p| {
                let of: Vec<u32> = (0..p.len()).map(|n| shard_of(p.get(n).0, shards) as u32).collect();
                let mut starts = vec![0usize; shards + 1];
                for &k in &of {
                    starts[k as usize + 1] += 1;
                }
                for k in 0..shards {
                    starts[k + 1] += starts[k];
                }
                let mut at = starts.clone();
                let mut order = vec![0u32; of.len()];
                for (n, &k) in of.iter().enumerate() {
                    order[at[k as usize]] = n as u32;
                    at[k as usize] += 1;
                }
                (starts, order)
            })
            .collect();
        let bins: Vec<Vec<u8>> = (0..shards)
            .into_par_iter()
            .map(|k| {
                // By the first 8 bytes as a number, then the rest: the
                // tokens' order (they are distinct and have no NUL byte),
                // mostly without comparing strings.
                let mut m: Vec<(u64, &str, &[u8])> = Vec::new();
                for (part, (starts, order)) in self.parts.iter().zip(&cut) {
                    m.extend(order[starts[k]..starts[k + 1]].iter().map(|&n| {
                        let (t, p) = part.get(n as usize);
                        (prefix(t), t, p)
                    }));
                }
                m.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
                postings::shard(m.iter().map(|&(_, t, p)| (t, p)))
            })
            .collect();
        let fold = self.fold_pairs();
        let mut meta = json!({
            "v": 2,
            "count": self.docs.len(),
            "shards": shards,
            "chunk": DOCS_PER_CHUNK,
            "fold": !fold.is_empty(),
            "phrase": PHRASE,
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

/// The first 8 bytes of `token`, big-endian, zero-padded.
fn prefix(token: &str) -> u64 {
    let b = token.as_bytes();
    let mut k = [0u8; 8];
    let n = b.len().min(8);
    k[..n].copy_from_slice(&b[..n]);
    u64::from_be_bytes(k)
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

    fn owned(ix: &SearchIndex) -> Vec<(String, Vec<u8>)> {
        ix.tokens().into_iter().map(|(t, p)| (t.to_string(), p.to_vec())).collect()
    }

    #[test]
    fn scores_count_the_body_and_mark_the_title() {
        let ix = index(&[("量化", "量化 量化 模型"), ("x", &"模型 ".repeat(40))]);
        let scores = |t: &str| postings::decode(ix.tokens().into_iter().find(|(k, _)| *k == t).unwrap().1);
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
        assert_eq!(postings::read_shard(&shard).unwrap(), owned(&ix));

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
        assert_eq!(found, owned(&ix));
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
