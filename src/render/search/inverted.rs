//! Building the inverted index from the posts, the costly part of search:
//! every post's tokens counted on its own (posts in parallel, each thread
//! reusing its buffers), then merged into each token's postings, the tokens
//! cut by hash into [`PARTS`] partitions merged in parallel.
//!
//! A token of at most 7 UTF-8 bytes (a CJK character or bigram, most words)
//! is a number while it is counted and merged, [`pack`]: no string, no
//! allocation per token. Longer ones (few but in English text) are strings.
//! A partition gives each of its tokens a number as it first meets it and
//! appends (token number, post, score) to one list as the posts come, in
//! order; a counting sort by token number then lays each token's postings
//! out in post order, and they are encoded into one buffer per partition.
//! The tokens are put in order once, at the end.
//!
//! Measured on a Chinese weekly (407 posts of ~8,000 characters, 1.5 million
//! (token, post) pairs), see docs/bench.md "Search": hash maps of strings and
//! one growing buffer per token cost most of the build's time there, in
//! allocation and page faults.

use super::postings;
use super::table::Table;
use super::tokens::{Indexed, for_each_index_run};
use super::{BODY_MAX, HEADING, Source, TAG, TITLE};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHasher};
use std::cell::RefCell;
use std::hash::{Hash, Hasher};

/// Posts counted at a time before their tokens are merged (memory stays
/// near the index's size).
const BATCH: usize = 64;
/// Partitions of the tokens merged in parallel (a power of two).
const PARTS: usize = 64;

/// A token of at most 7 UTF-8 bytes as a number: the bytes big-endian from
/// the top, zero-padded, the low byte free (a score while counting). No token
/// has a NUL byte, so the numbers sort as the strings do.
pub(super) fn pack(b: &[u8]) -> Option<u64> {
    if b.len() > 7 || b.is_empty() {
        return None;
    }
    let mut k = 0u64;
    for (i, &x) in b.iter().enumerate() {
        k |= u64::from(x) << (56 - 8 * i);
    }
    Some(k)
}

/// How many UTF-8 bytes a packed token has.
fn packed_len(k: u64) -> usize {
    match k >> 8 {
        0 => 0,
        b => 7 - b.trailing_zeros() as usize / 8,
    }
}

/// A character's UTF-8 bytes from the top of a u32, zero-padded, and their
/// number (most CJK characters: three bytes, computed).
#[inline]
fn utf8_top(c: char) -> (u64, u32) {
    let u = c as u32;
    if (0x800..0x1_0000).contains(&u) {
        return (u64::from((0xE0 | u >> 12) << 24 | (0x80 | (u >> 6 & 0x3F)) << 16 | (0x80 | (u & 0x3F)) << 8), 3);
    }
    let mut buf = [0u8; 4];
    let n = c.encode_utf8(&mut buf).len() as u32;
    (u64::from(u32::from_be_bytes(buf)), n)
}

/// The packed number of a CJK pair, if it has at most 7 bytes.
#[cfg(test)]
fn pair_key(c: char, d: char) -> Option<u64> {
    pair_top(utf8_top(c), utf8_top(d))
}

/// [`pair_key`] of two characters given by [`utf8_top`].
#[inline]
fn pair_top((a, n): (u64, u32), (b, m): (u64, u32)) -> Option<u64> {
    (n + m <= 7).then(|| a << 32 | b << (32 - 8 * n))
}

/// One post's distinct tokens, each with its score.
#[derive(Default)]
struct Counted {
    /// Packed tokens (`key | score`), grouped by partition.
    packed: Vec<u64>,
    /// `packed[starts[p]..starts[p + 1]]` is partition `p`.
    starts: Vec<usize>,
    /// Longer tokens, grouped by partition likewise.
    long: Vec<(String, u8)>,
    long_starts: Vec<usize>,
}

/// Per-thread buffers of [`count`].
struct Scratch {
    /// Scores of the post's CJK characters of the BMP, by code point (most
    /// of the tokens of Chinese text: counted without hashing).
    chars: Vec<u8>,
    touched: Vec<u16>,
    packed: Table<u8>,
    long: FxHashMap<String, u8>,
    sorted: Vec<u64>,
}

impl Default for Scratch {
    fn default() -> Scratch {
        Scratch { chars: vec![0; 0x1_0000], touched: Vec::new(), packed: Table::default(), long: FxHashMap::default(), sorted: Vec::new() }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

#[inline]
fn bump(v: &mut u8, field: u8) {
    if field == 0 {
        if *v & BODY_MAX < BODY_MAX {
            *v += 1;
        }
    } else {
        *v |= field;
    }
}

fn part_of(k: u64) -> usize {
    (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize % PARTS
}

fn long_part(t: &str) -> usize {
    let mut h = FxHasher::default();
    t.hash(&mut h);
    part_of(h.finish())
}

/// Group packed tokens by partition (a counting sort), filling `starts`.
fn group(items: &mut Vec<u64>, starts: &mut Vec<usize>, sorted: &mut Vec<u64>) {
    starts.clear();
    starts.resize(PARTS + 1, 0);
    for &k in items.iter() {
        starts[part_of(k >> 8) + 1] += 1;
    }
    for p in 0..PARTS {
        starts[p + 1] += starts[p];
    }
    let mut at = [0usize; PARTS];
    at.copy_from_slice(&starts[..PARTS]);
    sorted.clear();
    sorted.resize(items.len(), 0);
    for &k in items.iter() {
        let slot = &mut at[part_of(k >> 8)];
        sorted[*slot] = k;
        *slot += 1;
    }
    std::mem::swap(items, sorted);
}

/// The start of each partition in `items`, sorted by partition.
fn long_starts(items: &[(String, u8)]) -> Vec<usize> {
    (0..=PARTS).map(|p| items.partition_point(|(t, _)| long_part(t) < p)).collect()
}

/// Count a token given as its UTF-8 bytes.
fn count_bytes(packed: &mut Table<u8>, long: &mut FxHashMap<String, u8>, t: &[u8], field: u8) {
    match pack(t) {
        Some(k) => bump(packed.entry(k).0, field),
        None => {
            let t = std::str::from_utf8(t).unwrap_or_default();
            match long.get_mut(t) {
                Some(v) => bump(v, field),
                None => bump(long.entry(t.to_string()).or_insert(0), field),
            }
        }
    }
}

fn count(src: &Source<'_>, scratch: &mut Scratch) -> Counted {
    let Scratch { chars, touched, packed, long, sorted } = scratch;
    let mut add = |run: Indexed<'_>, field: u8| match run {
        // The tokens of [`super::tokens::cjk_tokens`] (in another order, which counting
        // does not see), each character's UTF-8 computed once.
        Indexed::Cjk(cs) => {
            let mut prev: Option<(char, (u64, u32))> = None;
            for &d in cs {
                let top = utf8_top(d);
                if let Some((c, before)) = prev {
                    if let Some(k) = pair_top(before, top) {
                        bump(packed.entry(k).0, field);
                    } else {
                        let mut buf = [0u8; 8];
                        let n = c.encode_utf8(&mut buf).len();
                        let m = d.encode_utf8(&mut buf[n..]).len();
                        count_bytes(packed, long, &buf[..n + m], field);
                    }
                }
                if (d as u32) < 0x1_0000 {
                    let v = &mut chars[d as usize];
                    if *v == 0 {
                        touched.push(d as u16);
                    }
                    bump(v, field);
                } else {
                    count_bytes(packed, long, d.encode_utf8(&mut [0; 4]).as_bytes(), field);
                }
                prev = Some((d, top));
            }
        }
        Indexed::Word(w) => count_bytes(packed, long, w.as_bytes(), field),
    };
    for_each_index_run(src.title, |t| add(t, TITLE));
    for h in &src.headings {
        for_each_index_run(h, |t| add(t, HEADING));
    }
    for tag in &src.tags {
        for_each_index_run(tag, |t| add(t, TAG));
    }
    for_each_index_run(src.text, |t| add(t, 0));
    let mut out = Counted { packed: Vec::with_capacity(packed.len() + touched.len()), ..Counted::default() };
    for u in touched.drain(..) {
        let c = char::from_u32(u32::from(u)).unwrap_or_default();
        out.packed.push(utf8_top(c).0 << 32 | u64::from(std::mem::take(&mut chars[usize::from(u)])));
    }
    packed.drain(|k, s| out.packed.push(k | u64::from(s)));
    group(&mut out.packed, &mut out.starts, sorted);
    out.long.extend(long.drain());
    out.long.sort_by_cached_key(|(t, _)| long_part(t));
    out.long_starts = long_starts(&out.long);
    out
}

/// Bytes of postings per block of a partition's arena.
const BLOCK: usize = 12;
const NONE: u32 = u32::MAX;

/// One token's postings being written: a chain of blocks of the arena.
#[derive(Clone, Copy)]
struct Chain {
    head: u32,
    tail: u32,
    /// Bytes used in the tail block.
    fill: u32,
    /// The last post added.
    last: u32,
}

/// One partition's tokens being merged: each token gets a number as it is
/// first met, and its postings are written as the posts come (in order)
/// into a chain of small blocks of one arena: no allocation per token.
#[derive(Default)]
struct Part {
    ids: Table<u32>,
    long_ids: FxHashMap<String, u32>,
    /// Each token's text: its packed number, or its string's index in `long`
    /// (then [`LONG`] is set).
    keys: Vec<u64>,
    long: Vec<String>,
    chains: Vec<Chain>,
    blocks: Vec<[u8; BLOCK]>,
    next: Vec<u32>,
}

/// The low byte of a key of [`Part::keys`] that is a long token's index (a
/// packed one's low byte is 0).
const LONG: u64 = 1;

impl Part {
    fn new_block(&mut self) -> u32 {
        self.blocks.push([0; BLOCK]);
        self.next.push(NONE);
        (self.blocks.len() - 1) as u32
    }

    fn new_token(&mut self, key: u64) -> u32 {
        let b = self.new_block();
        self.keys.push(key);
        self.chains.push(Chain { head: b, tail: b, fill: 0, last: 0 });
        (self.keys.len() - 1) as u32
    }

    /// Append `post` and its score to the postings of token `id` ([`postings::push`]).
    #[inline(always)]
    fn push(&mut self, id: u32, post: u32, score: u8) {
        let mut chain = self.chains[id as usize];
        let (bytes, n) = postings::entry(&mut chain.last, post, score);
        let fill = chain.fill as usize;
        if fill + n <= BLOCK {
            let block = &mut self.blocks[chain.tail as usize];
            for (k, &byte) in bytes.to_le_bytes()[..n].iter().enumerate() {
                block[fill + k] = byte;
            }
            chain.fill += n as u32;
        } else {
            for &byte in &bytes.to_le_bytes()[..n] {
                if chain.fill as usize == BLOCK {
                    let b = self.new_block();
                    self.next[chain.tail as usize] = b;
                    chain.tail = b;
                    chain.fill = 0;
                }
                self.blocks[chain.tail as usize][chain.fill as usize] = byte;
                chain.fill += 1;
            }
        }
        self.chains[id as usize] = chain;
    }

    fn add(&mut self, p: usize, first: u32, batch: &[Counted]) {
        for (n, c) in batch.iter().enumerate() {
            let post = first + n as u32;
            for &e in &c.packed[c.starts[p]..c.starts[p + 1]] {
                let key = e >> 8 << 8;
                let next = self.keys.len() as u32;
                let (id, new) = self.ids.entry(key);
                if new {
                    *id = next;
                }
                let id = *id;
                if new {
                    self.new_token(key);
                }
                self.push(id, post, e as u8);
            }
            for (t, s) in &c.long[c.long_starts[p]..c.long_starts[p + 1]] {
                let id = match self.long_ids.get(t) {
                    Some(&id) => id,
                    None => {
                        let id = self.new_token((self.long.len() as u64) << 8 | LONG);
                        self.long.push(t.clone());
                        self.long_ids.insert(t.clone(), id);
                        id
                    }
                };
                self.push(id, post, *s);
            }
        }
    }

    /// The partition's tokens laid out one after another.
    fn finish(self) -> Tokens {
        let mut out = Tokens {
            text: String::with_capacity(self.keys.len() * 6),
            postings: Vec::with_capacity(self.blocks.len() * BLOCK),
            ends: Vec::with_capacity(self.keys.len()),
        };
        for (&key, chain) in self.keys.iter().zip(&self.chains) {
            if key & 0xFF == LONG {
                out.text.push_str(&self.long[(key >> 8) as usize]);
            } else {
                // A packed token's bytes are a whole token's UTF-8.
                out.text.push_str(std::str::from_utf8(&key.to_be_bytes()[..packed_len(key)]).unwrap_or_default());
            }
            let mut b = chain.head;
            while b != chain.tail {
                out.postings.extend_from_slice(&self.blocks[b as usize]);
                b = self.next[b as usize];
            }
            out.postings.extend_from_slice(&self.blocks[b as usize][..chain.fill as usize]);
            out.ends.push((out.text.len(), out.postings.len()));
        }
        out
    }
}

/// Tokens with their encoded postings, in no particular order: the tokens'
/// UTF-8 bytes concatenated, their postings likewise, and where each ends in both.
#[derive(Debug, Clone, Default)]
pub(super) struct Tokens {
    text: String,
    postings: Vec<u8>,
    ends: Vec<(usize, usize)>,
}

impl Tokens {
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Token `n` and its postings.
    pub(super) fn get(&self, n: usize) -> (&str, &[u8]) {
        let (from_t, from_p) = if n == 0 { (0, 0) } else { self.ends[n - 1] };
        let (to_t, to_p) = self.ends[n];
        (&self.text[from_t..to_t], &self.postings[from_p..to_p])
    }

    /// About the bytes of the tokens and their postings in shards.
    pub(super) fn bytes(&self) -> usize {
        self.text.len() + self.postings.len() + 2 * self.len()
    }
}

/// The tokens of `sources` (post `n` being `sources[n]`) with their
/// encoded postings, in partitions (the tokens of each in no order).
pub(super) fn build(sources: &[Source<'_>]) -> Vec<Tokens> {
    let mut parts: Vec<Part> = (0..PARTS).map(|_| Part::default()).collect();
    let mut counted: Vec<Counted> = Vec::new();
    for (b, batch) in sources.chunks(BATCH).enumerate() {
        batch.par_iter().map(|src| SCRATCH.with(|s| count(src, &mut s.borrow_mut()))).collect_into_vec(&mut counted);
        let first = (b * BATCH) as u32;
        parts.par_iter_mut().enumerate().for_each(|(p, part)| part.add(p, first, &counted));
    }
    parts.into_par_iter().map(Part::finish).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_tokens_round_trip_and_sort_as_strings() {
        let unpack = |k: u64| String::from_utf8(k.to_be_bytes()[..packed_len(k)].to_vec()).unwrap();
        for t in ["a", "预训", "abcdefg", "ünï"] {
            assert_eq!(unpack(pack(t.as_bytes()).unwrap()), t);
        }
        assert!(pack(b"abcdefgh").is_none() && pack(b"").is_none());
        let mut words = ["b", "ab", "a", "预", "z9", "abc", "预训"];
        let mut keys: Vec<u64> = words.iter().map(|w| pack(w.as_bytes()).unwrap()).collect();
        keys.sort();
        words.sort();
        assert_eq!(keys.into_iter().map(unpack).collect::<Vec<_>>(), words);
    }

    #[test]
    fn pairs_pack_as_their_bytes() {
        for (c, d) in [('预', '训'), ('a', '训'), ('ü', 'x'), ('训', 'ü'), ('𠀀', 'a')] {
            let s: String = [c, d].iter().collect();
            assert_eq!(pair_key(c, d), pack(s.as_bytes()), "{s}");
        }
        assert_eq!(pair_key('𠀀', '𠀁'), None);
    }
}
