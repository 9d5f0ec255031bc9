//! The patterns of a rule set's keyword search and the tables that find them without an
//! automaton: every keyword (lowercase) and every encoded fragment of the keywords, the
//! rules each one came from, and two lookup tables keyed by a pattern's first bytes.
//!
//! The build script computes this for the embedded pack and writes it out as static data
//! (`Index::emit`): a scan with the default rules then builds no keyword structure at
//! start-up. A set that is the pack with rules left out (by confidence, `rules.disable`)
//! uses the pack's index with those rules taken out of each pattern's list
//! ([`Index::subset`]); any other set builds its own ([`Index::build`]).
use std::borrow::Cow;
use std::collections::HashMap;

/// The longest key of a table: a pattern is keyed by its first bytes, up to this many.
const MAX_KEY_LEN: usize = 4;

/// Filter bits per key: about one position in a hundred whose bytes are no key passes the
/// filter.
const FILTER_BITS_PER_KEY: usize = 64;

/// The multiplier of the filters' hash (Fibonacci hashing: the high bits are the slot).
const FILTER_HASH: u32 = 0x9E37_79B1;

/// Patterns and their tables (see the module documentation). Every field is a slice so
/// that the embedded pack's index is static data, borrowed as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Index {
    /// Every pattern's bytes, one after the other: the keywords, then the fragments.
    pub bytes: Cow<'static, [u8]>,
    /// Where each pattern ends in `bytes` (each starts where the one before it ends).
    pub ends: Cow<'static, [u32]>,
    /// How many patterns are keywords: the others are fragments.
    pub keywords: usize,
    /// For each fragment (pattern `keywords + i`): its encodings, as [`crate::Encoding::bit`]s, for
    /// the rules of the set; zero for a fragment none of whose rules is in the set.
    pub fragment_kinds: Cow<'static, [u8]>,
    /// For each pattern: the rules it came from, ascending (positions in the list the
    /// index was built from), as `rules[rule_ends[p - 1]..rule_ends[p]]`.
    pub rules: Cow<'static, [u32]>,
    /// For each entry of `rules` that belongs to a fragment: the encodings in which that
    /// rule has the fragment (zero for a keyword's entries).
    pub rule_kinds: Cow<'static, [u8]>,
    /// Where each pattern's rules end in `rules`.
    pub rule_ends: Cow<'static, [u32]>,
    /// Keywords by their first bytes (lowercase): `keyword_tables[n - 1]` holds those
    /// keyed by `n` bytes, the keywords of `n` bytes, or of more for the last table.
    pub keyword_tables: [Table; MAX_KEY_LEN],
    /// Fragments by their first bytes (exact), as `keyword_tables` are.
    pub fragment_tables: [Table; MAX_KEY_LEN],
}

/// Patterns grouped by a key made of their first bytes, behind a bit filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Table {
    /// One bit per slot (`Table::slot`): set when some key falls in that slot. A power of
    /// two of bits, about [`FILTER_BITS_PER_KEY`] per key; empty when there is no key.
    pub filter: Cow<'static, [u64]>,
    /// The keys, sorted and distinct.
    pub keys: Cow<'static, [u32]>,
    /// `keys[i]`'s patterns are `patterns[starts[i]..starts[i + 1]]`.
    pub starts: Cow<'static, [u32]>,
    /// Pattern numbers, grouped by key, ascending within a key.
    pub patterns: Cow<'static, [u32]>,
}

/// The key of up to [`MAX_KEY_LEN`] bytes: the first byte lowest.
fn key_of(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .rev()
        .fold(0u32, |k, &b| (k << 8) | u32::from(b))
}

/// The key of the first `n` of the four bytes held in `word` (first byte lowest).
#[inline]
fn key_prefix(word: u32, n: usize) -> u32 {
    if n >= 4 {
        word
    } else {
        word & ((1u32 << (8 * n)) - 1)
    }
}

/// `(key length, key)` of each pattern `(number, bytes)`, into one pair list per table.
fn keyed<'a>(
    patterns: impl Iterator<Item = (usize, &'a [u8])>,
    fold_case: bool,
) -> [Table; MAX_KEY_LEN] {
    let mut pairs: [Vec<(u32, u32)>; MAX_KEY_LEN] = Default::default();
    for (p, bytes) in patterns {
        if bytes.is_empty() {
            continue;
        }
        let head = &bytes[..bytes.len().min(MAX_KEY_LEN)];
        let key = if fold_case {
            key_of(&head.to_ascii_lowercase())
        } else {
            key_of(head)
        };
        pairs[head.len() - 1].push((key, p as u32));
    }
    pairs.map(Table::new)
}

impl Table {
    /// The table of `(key, pattern)` pairs.
    fn new(mut pairs: Vec<(u32, u32)>) -> Table {
        pairs.sort_unstable();
        pairs.dedup();
        let mut keys: Vec<u32> = Vec::new();
        let mut starts = Vec::new();
        let mut patterns = Vec::with_capacity(pairs.len());
        for (key, pattern) in pairs {
            if keys.last() != Some(&key) {
                keys.push(key);
                starts.push(patterns.len() as u32);
            }
            patterns.push(pattern);
        }
        starts.push(patterns.len() as u32);
        let mut filter = Vec::new();
        if !keys.is_empty() {
            let bits = (keys.len() * FILTER_BITS_PER_KEY)
                .next_power_of_two()
                .max(64);
            filter = vec![0u64; bits / 64];
            for &key in &keys {
                let slot = Table::slot(key, filter.len());
                filter[slot / 64] |= 1 << (slot % 64);
            }
        }
        Table {
            filter: filter.into(),
            keys: keys.into(),
            starts: starts.into(),
            patterns: patterns.into(),
        }
    }

    /// The filter bit of `key` in a filter of `words` 64-bit words (a power of two).
    fn slot(key: u32, words: usize) -> usize {
        let bits = (words * 64).trailing_zeros();
        (key.wrapping_mul(FILTER_HASH) >> (32 - bits)) as usize
    }

    /// Whether the table has no key.
    fn is_empty(&self) -> bool {
        self.filter.is_empty()
    }

    /// The patterns whose key is `key` (past the filter).
    fn lookup(&self, key: u32) -> &[u32] {
        match self.keys.binary_search(&key) {
            Ok(i) => &self.patterns[self.starts[i] as usize..self.starts[i + 1] as usize],
            Err(_) => &[],
        }
    }
}

/// Calls `candidate(position, pattern)` for each pattern of `tables` whose key is the
/// bytes of `hay` at that position (ASCII lowercase when `fold_case`), in position order;
/// the caller compares the whole pattern.
#[inline]
fn scan_tables(
    tables: &[Table; MAX_KEY_LEN],
    hay: &[u8],
    fold_case: bool,
    mut candidate: impl FnMut(usize, usize),
) {
    // For each table with keys: its key length, key mask, filter and the filter's shift.
    let probes: Vec<(usize, u32, &[u64], u32, &Table)> = tables
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .map(|(i, t)| {
            let n = i + 1;
            let bits = (t.filter.len() * 64).trailing_zeros();
            (n, key_prefix(u32::MAX, n), &t.filter[..], 32 - bits, t)
        })
        .collect();
    let Some(&(shortest, ..)) = probes.first() else {
        return;
    };
    let byte = |i: usize| {
        let b = hay.get(i).copied().unwrap_or(0);
        u32::from(if fold_case { b.to_ascii_lowercase() } else { b })
    };
    // The four bytes from position `i`, first lowest, zero past the end.
    let mut word = byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24;
    for i in 0..hay.len().saturating_sub(shortest - 1) {
        let left = hay.len() - i;
        for &(n, mask, filter, shift, table) in &probes {
            let key = word & mask;
            let slot = (key.wrapping_mul(FILTER_HASH) >> shift) as usize;
            if filter[slot / 64] & (1 << (slot % 64)) != 0 && n <= left {
                for &p in table.lookup(key) {
                    candidate(i, p as usize);
                }
            }
        }
        word = (word >> 8) | byte(i + 4) << 24;
    }
}

impl Index {
    /// The index of rules given as their keywords (lowercase) and encoded fragments (each
    /// with its encodings as [`crate::Encoding::bit`]s), in rule order. Keywords are numbered in
    /// order of first use; fragments follow, sorted, one pattern per distinct byte string
    /// with the encodings of all its uses.
    pub fn build<'a, I>(rules: I) -> Index
    where
        I: IntoIterator<Item = (&'a [Vec<u8>], Vec<(&'a [u8], u8)>)>,
    {
        let mut keyword_number: HashMap<&[u8], usize> = HashMap::new();
        let mut keywords: Vec<(&[u8], Vec<u32>)> = Vec::new();
        let mut fragments: Vec<(&[u8], u32, u8)> = Vec::new();
        for (ri, (kws, frags)) in rules.into_iter().enumerate() {
            let ri = ri as u32;
            for k in kws {
                let n = *keyword_number.entry(k.as_slice()).or_insert_with(|| {
                    keywords.push((k.as_slice(), Vec::new()));
                    keywords.len() - 1
                });
                if keywords[n].1.last() != Some(&ri) {
                    keywords[n].1.push(ri);
                }
            }
            fragments.extend(frags.into_iter().map(|(f, bits)| (f, ri, bits)));
        }
        fragments.sort_unstable();
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        let mut rules = Vec::new();
        let mut rule_kinds = Vec::new();
        let mut rule_ends = Vec::new();
        for (k, users) in &keywords {
            bytes.extend_from_slice(k);
            ends.push(bytes.len() as u32);
            rules.extend_from_slice(users);
            rule_kinds.resize(rules.len(), 0);
            rule_ends.push(rules.len() as u32);
        }
        let mut fragment_kinds: Vec<u8> = Vec::new();
        let mut last: Option<&[u8]> = None;
        let mut fragment_start = 0;
        // Sorted by fragment, then rule: each fragment's entries are one per rule.
        for (f, ri, kind) in fragments {
            if last != Some(f) {
                bytes.extend_from_slice(f);
                ends.push(bytes.len() as u32);
                fragment_kinds.push(0);
                rule_ends.push(rules.len() as u32);
                fragment_start = rules.len();
                last = Some(f);
            }
            *fragment_kinds.last_mut().expect("pushed") |= kind;
            if rules.len() == fragment_start || rules.last() != Some(&ri) {
                rules.push(ri);
                rule_kinds.push(0);
                *rule_ends.last_mut().expect("pushed") = rules.len() as u32;
            }
            *rule_kinds.last_mut().expect("pushed") |= kind;
        }
        let mut index = Index {
            bytes: bytes.into(),
            ends: ends.into(),
            keywords: keywords.len(),
            fragment_kinds: fragment_kinds.into(),
            rules: rules.into(),
            rule_kinds: rule_kinds.into(),
            rule_ends: rule_ends.into(),
            keyword_tables: Default::default(),
            fragment_tables: Default::default(),
        };
        let keywords = index.keywords;
        index.keyword_tables = keyed((0..keywords).map(|p| (p, index.pattern(p))), true);
        index.fragment_tables = keyed(
            (keywords..index.len()).map(|p| (p, index.pattern(p))),
            false,
        );
        index
    }

    /// This index for a set of some of the rules it was built from, in the same order:
    /// `kept[i]` is rule `i`'s position in the set, if it is in it. Patterns stay (their
    /// numbers too); each pattern's rules are those kept, and a fragment's encodings are
    /// those of its kept rules. A keyword none of whose rules is kept leads to no rule, and
    /// a fragment none of whose rules is kept has no encoding, so the matcher skips both:
    /// what is found is what [`Index::build`] over the kept rules would find.
    ///
    /// # Performance
    /// Copies the rule lists and fragment encodings (a few hundred KiB for the pack); the
    /// pattern bytes and tables stay borrowed.
    pub fn subset(&self, kept: &[Option<u32>]) -> Index {
        let mut rules = Vec::with_capacity(self.rules.len());
        let mut rule_kinds = Vec::with_capacity(self.rules.len());
        let mut rule_ends = Vec::with_capacity(self.rule_ends.len());
        let mut fragment_kinds = vec![0u8; self.fragment_kinds.len()];
        let mut from = 0;
        for (p, &end) in self.rule_ends.iter().enumerate() {
            for j in from..end as usize {
                if let Some(position) = kept.get(self.rules[j] as usize).copied().flatten() {
                    rules.push(position);
                    rule_kinds.push(self.rule_kinds[j]);
                    if p >= self.keywords {
                        fragment_kinds[p - self.keywords] |= self.rule_kinds[j];
                    }
                }
            }
            rule_ends.push(rules.len() as u32);
            from = end as usize;
        }
        Index {
            fragment_kinds: fragment_kinds.into(),
            rules: rules.into(),
            rule_kinds: rule_kinds.into(),
            rule_ends: rule_ends.into(),
            ..self.clone()
        }
    }

    /// Each rule's fragments with their encodings, for the `rules` rules the index was
    /// built from: what [`Index::build`] was given, in fragment order.
    pub fn fragments_by_rule(&self, rules: usize) -> Vec<Vec<(&[u8], u8)>> {
        let mut out = vec![Vec::new(); rules];
        for p in self.keywords..self.len() {
            let start = p.checked_sub(1).map_or(0, |q| self.rule_ends[q] as usize);
            for j in start..self.rule_ends[p] as usize {
                if let Some(list) = out.get_mut(self.rules[j] as usize) {
                    list.push((self.pattern(p), self.rule_kinds[j]));
                }
            }
        }
        out
    }

    /// The number of patterns.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The bytes of pattern `p`.
    #[inline]
    pub fn pattern(&self, p: usize) -> &[u8] {
        let start = if p == 0 { 0 } else { self.ends[p - 1] as usize };
        &self.bytes[start..self.ends[p] as usize]
    }

    /// Every pattern, in order.
    pub fn patterns(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).map(|p| self.pattern(p))
    }

    /// The rules of pattern `p`.
    #[inline]
    pub fn rules_of(&self, p: usize) -> &[u32] {
        let start = if p == 0 {
            0
        } else {
            self.rule_ends[p - 1] as usize
        };
        &self.rules[start..self.rule_ends[p] as usize]
    }

    /// Appends to `out` every occurrence of a keyword in `hay`, ASCII case ignored, as
    /// `(end, start, pattern)`, sorted by end (the order of an automaton's overlapping
    /// search): the same occurrences as the keyword patterns of an ASCII-case-insensitive
    /// Aho–Corasick automaton.
    pub fn find_keywords(&self, hay: &[u8], out: &mut Vec<(usize, usize, usize)>) {
        let first = out.len();
        scan_tables(&self.keyword_tables, hay, true, |i, p| {
            let k = self.pattern(p);
            if hay
                .get(i..i + k.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(k))
            {
                out.push((i + k.len(), i, p));
            }
        });
        out[first..].sort_unstable();
    }

    /// Appends to `out` every exact occurrence in `hay` of a fragment that some rule of
    /// the set uses, as `(start, end, encodings)`, sorted by start.
    pub fn find_fragments(&self, hay: &[u8], out: &mut Vec<(usize, usize, u8)>) {
        let first = out.len();
        scan_tables(&self.fragment_tables, hay, false, |i, p| {
            let kinds = self.fragment_kinds[p - self.keywords];
            let f = self.pattern(p);
            if kinds != 0 && hay[i..].starts_with(f) {
                out.push((i, i + f.len(), kinds));
            }
        });
        out[first..].sort_unstable();
    }

    /// Writes the Rust source of a constant expression of this index (for the build
    /// script), its pattern bytes included from the file `bytes_file`.
    #[allow(dead_code)] // Used by the build script, which compiles this module too.
    pub fn emit(&self, bytes_file: &str, out: &mut String) {
        use std::fmt::Write as _;
        fn slice<T: std::fmt::Display>(name: &str, values: &[T], out: &mut String) {
            let _ = write!(out, "{name}: std::borrow::Cow::Borrowed(&[");
            for v in values {
                let _ = write!(out, "{v},");
            }
            out.push_str("]),\n");
        }
        fn tables(name: &str, tables: &[Table], out: &mut String) {
            let _ = writeln!(out, "{name}: [");
            for t in tables {
                out.push_str("crate::index::Table {\n");
                slice("filter", &t.filter, out);
                slice("keys", &t.keys, out);
                slice("starts", &t.starts, out);
                slice("patterns", &t.patterns, out);
                out.push_str("},\n");
            }
            out.push_str("],\n");
        }
        out.push_str("crate::index::Index {\n");
        let _ = writeln!(
            out,
            "bytes: std::borrow::Cow::Borrowed(include_bytes!({bytes_file:?})),"
        );
        slice("ends", &self.ends, out);
        let _ = writeln!(out, "keywords: {},", self.keywords);
        slice("fragment_kinds", &self.fragment_kinds, out);
        slice("rules", &self.rules, out);
        slice("rule_kinds", &self.rule_kinds, out);
        slice("rule_ends", &self.rule_ends, out);
        tables("keyword_tables", &self.keyword_tables, out);
        tables("fragment_tables", &self.fragment_tables, out);
        out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoded::Encoding;

    fn kw(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|k| k.as_bytes().to_vec()).collect()
    }

    fn frag<'a>(list: &[&'a str]) -> Vec<(&'a [u8], u8)> {
        list.iter()
            .map(|f| (f.as_bytes(), Encoding::Base64.bit()))
            .collect()
    }

    #[test]
    fn keywords_are_found_in_any_case_in_end_order() {
        let (a, b) = (kw(&["key", "api_key", "token"]), kw(&["key"]));
        let index = Index::build([(&a[..], Vec::new()), (&b[..], Vec::new())]);
        assert_eq!(index.rules_of(0), &[0, 1]);
        assert_eq!(index.rules_of(1), &[0]);
        let mut hits = Vec::new();
        index.find_keywords(b"API_KEY=1 TOKEN ke", &mut hits);
        let found: Vec<(usize, usize, &[u8])> = hits
            .iter()
            .map(|&(end, start, p)| (start, end, index.pattern(p)))
            .collect();
        assert_eq!(
            found,
            vec![(0, 7, &b"api_key"[..]), (4, 7, b"key"), (10, 15, b"token")]
        );
    }

    /// Keywords of every length (tables keyed by one to four bytes) are found where a
    /// comparison at every position finds them, the haystack's ends included.
    #[test]
    fn the_tables_find_what_a_comparison_at_every_position_finds() {
        let keywords = kw(&["a", "ba", "abc", "bbb", "abca", "cabba", "aab"]);
        let fragments = frag(&["ABca", "aBcAb", "bbbb"]);
        let index = Index::build([(&keywords[..], fragments)]);
        // Inputs over a small alphabet (a simple generator, the same every run), so that
        // patterns overlap often.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for len in 0..200 {
            let hay: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    b"abcABC"[(seed % 6) as usize]
                })
                .collect();
            let mut expect_keywords = Vec::new();
            let mut expect_fragments = Vec::new();
            for i in 0..hay.len() {
                for p in 0..index.len() {
                    let pat = index.pattern(p);
                    let Some(h) = hay.get(i..i + pat.len()) else {
                        continue;
                    };
                    if p < index.keywords && h.eq_ignore_ascii_case(pat) {
                        expect_keywords.push((i + pat.len(), i, p));
                    } else if p >= index.keywords && h == pat {
                        let kinds = index.fragment_kinds[p - index.keywords];
                        expect_fragments.push((i, i + pat.len(), kinds));
                    }
                }
            }
            expect_keywords.sort_unstable();
            expect_fragments.sort_unstable();
            let (mut keywords, mut fragments) = (Vec::new(), Vec::new());
            index.find_keywords(&hay, &mut keywords);
            index.find_fragments(&hay, &mut fragments);
            assert_eq!(
                keywords,
                expect_keywords,
                "{}",
                String::from_utf8_lossy(&hay)
            );
            assert_eq!(
                fragments,
                expect_fragments,
                "{}",
                String::from_utf8_lossy(&hay)
            );
        }
    }

    #[test]
    fn fragments_merge_their_encodings_and_rules() {
        let none = Vec::new();
        let a = frag(&["QUJD", "ZGVm"]);
        let mut b = frag(&["QUJD"]);
        b.push((b"QUJD", Encoding::Hex.bit()));
        let index = Index::build([(&none[..], a.clone()), (&none[..], b.clone())]);
        assert_eq!(index.fragments_by_rule(2), vec![a, vec![(&b"QUJD"[..], 3)]]);
        assert_eq!(index.len(), 2);
        assert_eq!(index.pattern(0), b"QUJD");
        assert_eq!(
            index.fragment_kinds[0],
            Encoding::Base64.bit() | Encoding::Hex.bit()
        );
        assert_eq!(index.rules_of(0), &[0, 1]);
        assert_eq!(index.rules_of(1), &[0]);
        let mut hits = Vec::new();
        index.find_fragments(b"xxQUJDZGVmquJD", &mut hits);
        assert_eq!(hits, vec![(2, 6, 3), (6, 10, 1)]);
        // Without rule 1, `QUJD` is base64 alone; without rule 0, `ZGVm` belongs to no rule
        // and is no longer found.
        let subset = index.subset(&[Some(0), None]);
        assert_eq!(subset.fragment_kinds[0], Encoding::Base64.bit());
        let subset = index.subset(&[None, Some(0)]);
        assert_eq!(subset.rules_of(0), &[0]);
        assert!(subset.rules_of(1).is_empty());
        hits.clear();
        subset.find_fragments(b"xxQUJDZGVmquJD", &mut hits);
        assert_eq!(hits, vec![(2, 6, 3)]);
        // Each subset is the index of its rules alone, but for the patterns it keeps.
        let alone = Index::build([(&none[..], b)]);
        assert_eq!(alone.fragment_kinds[0], subset.fragment_kinds[0]);
    }
}
