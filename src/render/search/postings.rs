//! The compact binary form of the inverted index, read by `static/search.js`.
//!
//! Numbers are LEB128 varints (7 bits a byte, low bits first). A token's
//! postings are its posts in increasing order, each as one varint
//! `delta << 2 | code` (the delta from the previous post, the first from 0):
//! code 0, 1 and 2 are the scores 1, 2 and 3, code 3 says a varint score
//! follows. Most tokens appear one to three times in the body of a post, and
//! cost one or two bytes there.
//!
//! A shard (`shard-K.bin`) is a varint count of tokens and then, for each
//! token in UTF-8 byte order: the varint length of its UTF-8 bytes, the
//! bytes, the varint length of its postings, the postings.

/// Append `v` as a varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The varint at `*at`, moving past it; `None` at the end or on a truncated number.
pub fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    let mut shift = 0;
    loop {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7F) << shift;
        if b < 0x80 {
            return Some(v);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

/// Append `post` (greater than `*last`, the post appended before to the
/// same token's postings, 0 for its first) with `score` to `out`.
pub fn push(out: &mut Vec<u8>, last: &mut u32, post: u32, score: u8) {
    let (bytes, n) = entry(last, post, score);
    out.extend_from_slice(&bytes.to_le_bytes()[..n]);
}

/// The bytes [`push`] appends (at most 7: a delta of 32 bits and a score),
/// first byte lowest, and their number.
#[inline]
pub fn entry(last: &mut u32, post: u32, score: u8) -> (u64, usize) {
    let delta = u64::from(post - *last);
    *last = post;
    let code = if (1..=3).contains(&score) { score - 1 } else { 3 };
    let (mut bytes, mut n) = varint(delta << 2 | u64::from(code));
    if code == 3 {
        let (s, m) = varint(u64::from(score));
        bytes |= s << (8 * n);
        n += m;
    }
    (bytes, n)
}

/// A varint of at most 35 bits as bytes, first byte lowest, and their number.
#[inline]
fn varint(mut v: u64) -> (u64, usize) {
    let (mut bytes, mut n) = (0u64, 0);
    while v >= 0x80 {
        bytes |= (v & 0x7F | 0x80) << (8 * n);
        n += 1;
        v >>= 7;
    }
    (bytes | v << (8 * n), n + 1)
}

/// Decode postings into (post, score) pairs.
pub fn decode(bytes: &[u8]) -> Vec<(u32, u8)> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut post: u64 = 0;
    while let Some(v) = get_varint(bytes, &mut at) {
        post += v >> 2;
        let score = match v & 3 {
            3 => get_varint(bytes, &mut at).unwrap_or(0) as u8,
            code => code as u8 + 1,
        };
        out.push((post as u32, score));
    }
    out
}

/// A shard of `tokens`, given in UTF-8 byte order.
pub fn shard<'a>(tokens: impl ExactSizeIterator<Item = (&'a str, &'a [u8])> + Clone) -> Vec<u8> {
    // Sized up front: growing many large buffers costs more than the writing.
    let mut out = Vec::with_capacity(10 + tokens.clone().map(|(t, p)| t.len() + p.len() + 8).sum::<usize>());
    put_varint(&mut out, tokens.len() as u64);
    for (token, postings) in tokens {
        put_varint(&mut out, token.len() as u64);
        out.extend_from_slice(token.as_bytes());
        put_varint(&mut out, postings.len() as u64);
        out.extend_from_slice(postings);
    }
    out
}

/// The (token, postings) of a shard; `None` if it is cut short or not UTF-8.
pub fn read_shard(bytes: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let mut at = 0;
    let n = get_varint(bytes, &mut at)?;
    let mut out = Vec::new();
    for _ in 0..n {
        let len = get_varint(bytes, &mut at)? as usize;
        let token = std::str::from_utf8(bytes.get(at..at + len)?).ok()?.to_string();
        at += len;
        let len = get_varint(bytes, &mut at)? as usize;
        out.push((token, bytes.get(at..at + len)?.to_vec()));
        at += len;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_round_trip() {
        let (mut bytes, mut last) = (Vec::new(), 0);
        let posts = [(0, 1), (1, 2), (5, 4), (300, 127), (70_000, 64)];
        for (p, s) in posts {
            push(&mut bytes, &mut last, p, s);
        }
        assert_eq!(&bytes[..4], [0, 5, 19, 4]);
        assert_eq!(decode(&bytes), posts);
        let s = shard([("ab", &[0u8][..]), ("预训", &bytes[..])].into_iter());
        let back = read_shard(&s).unwrap();
        assert_eq!(back[0], ("ab".to_string(), vec![0]));
        assert_eq!(back[1].0, "预训");
        assert!(read_shard(&s[..s.len() - 1]).is_none());
    }
}
