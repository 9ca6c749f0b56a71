//! A hash table of packed tokens (non-zero `u64`s whose low byte is 0, see
//! [`super::inverted`]) to small values, for the two lookups the index makes
//! per token: counting a post's tokens and numbering a partition's.
//!
//! Open addressing, linear probing, a multiplicative hash, 0 for an empty
//! slot; it is emptied by the slots it used, so a table reused post after post
//! costs only what each post puts in. Measured with callgrind on a Chinese
//! weekly (3.7 million tokens, docs/bench.md "Search"): `FxHashMap::entry`
//! took about 40 instructions a token where this takes about 15, and the
//! lookups were a third of the index's time.

/// Keys to values of type `V`.
#[derive(Debug, Clone)]
pub(super) struct Table<V> {
    keys: Vec<u64>,
    values: Vec<V>,
    /// The slots in use, in the order they were filled.
    used: Vec<u32>,
    shift: u32,
}

impl<V: Copy + Default> Default for Table<V> {
    fn default() -> Table<V> {
        Table::with_bits(10)
    }
}

impl<V: Copy + Default> Table<V> {
    fn with_bits(bits: u32) -> Table<V> {
        Table { keys: vec![0; 1 << bits], values: vec![V::default(); 1 << bits], used: Vec::new(), shift: 64 - bits }
    }

    #[inline]
    fn slot(&self, key: u64) -> usize {
        let mask = self.keys.len() - 1;
        let mut i = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize;
        while self.keys[i] != key && self.keys[i] != 0 {
            i = (i + 1) & mask;
        }
        i
    }

    /// The value of `key` (not 0), inserted as `V::default()` if it is new,
    /// and whether it was.
    #[inline(always)]
    pub(super) fn entry(&mut self, key: u64) -> (&mut V, bool) {
        debug_assert!(key != 0);
        let mut i = self.slot(key);
        let new = self.keys[i] == 0;
        if new {
            if (self.used.len() + 1) * 2 > self.keys.len() {
                self.grow();
                i = self.slot(key);
            }
            self.keys[i] = key;
            self.values[i] = V::default();
            self.used.push(i as u32);
        }
        (&mut self.values[i], new)
    }

    #[cold]
    fn grow(&mut self) {
        let bits = 64 - self.shift + 1;
        let mut bigger = Table::with_bits(bits);
        for &i in &self.used {
            let (k, v) = (self.keys[i as usize], self.values[i as usize]);
            let j = bigger.slot(k);
            bigger.keys[j] = k;
            bigger.values[j] = v;
            bigger.used.push(j as u32);
        }
        *self = bigger;
    }

    /// How many keys the table holds.
    pub(super) fn len(&self) -> usize {
        self.used.len()
    }

    /// Every key with its value, in the order they were inserted, leaving the table empty.
    pub(super) fn drain(&mut self, mut f: impl FnMut(u64, V)) {
        for &i in &self.used {
            f(self.keys[i as usize], self.values[i as usize]);
            self.keys[i as usize] = 0;
        }
        self.used.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_grow_and_drain_in_order() {
        let mut t: Table<u32> = Table::default();
        for k in 1..5000u64 {
            for _ in 0..(k % 3) {
                *t.entry(k << 8).0 += 1;
            }
        }
        assert_eq!(t.len(), 5000 - 1 - 1666);
        let (v, new) = t.entry(2 << 8);
        assert_eq!((*v, new), (2, false));
        let mut seen = Vec::new();
        t.drain(|k, v| seen.push((k >> 8, v)));
        assert_eq!(t.len(), 0);
        assert_eq!(seen[..3], [(1, 1), (2, 2), (4, 1)]);
        assert!(seen.iter().all(|&(k, v)| u64::from(v) == k % 3));
        assert!(t.entry(7 << 8).1);
    }
}
