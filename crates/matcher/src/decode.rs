//! Secrets inside base64 text: decoded only around base64 fragments of keywords, with hard
//! caps on the size decoded and on nesting.
use keysnare_types::{Decoded, Match, Span};

use crate::{Matcher, has_allow_marker};

/// Layers of encoding looked through (base64 inside base64 is two).
pub const MAX_DEPTH: usize = 2;
/// The longest base64 run decoded around one fragment, in bytes of encoded text.
pub const MAX_RUN: usize = 64 * 1024;
/// Bytes decoded per blob at most, all runs and layers together.
pub const MAX_DECODED_PER_BLOB: usize = 4 * 1024 * 1024;
/// Shorter runs are not worth decoding: no credential fits.
pub(crate) const MIN_RUN: usize = 16;

/// What is left of the decoding allowance of one blob.
pub struct DecodeBudget {
    left: usize,
}

impl DecodeBudget {
    /// The allowance of one blob.
    pub fn new() -> DecodeBudget {
        DecodeBudget {
            left: MAX_DECODED_PER_BLOB,
        }
    }
}

impl Default for DecodeBudget {
    fn default() -> Self {
        DecodeBudget::new()
    }
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

fn value(b: u8) -> Option<u8> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    })
}

/// Decodes base64 (standard or URL-safe alphabet, padding optional); a dangling last
/// character is dropped.
pub(crate) fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    let text = match text.iter().position(|&b| b == b'=') {
        Some(i) => &text[..i],
        None => text,
    };
    let usable = text.len() - usize::from(text.len() % 4 == 1);
    let mut out = Vec::with_capacity(usable * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in &text[..usable] {
        acc = (acc << 6) | u32::from(value(b)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Decodes the base64 runs around `hits` (fragments of keywords, sorted by start) and scans
/// what they hold. Matches are placed on the encoded run and carry the decoded secret.
pub(crate) fn scan_encoded(
    matcher: &mut Matcher,
    hay: &[u8],
    hits: &[(usize, usize)],
    depth: usize,
    budget: &mut DecodeBudget,
) -> Vec<Match> {
    let mut out = Vec::new();
    let mut done_until = 0;
    let mut inner = Vec::new();
    for &(start, end) in hits {
        if start < done_until || budget.left == 0 {
            continue;
        }
        let lo_limit = start.saturating_sub(MAX_RUN / 2);
        let mut lo = start;
        while lo > lo_limit && is_b64(hay[lo - 1]) {
            lo -= 1;
        }
        let hi_limit = hay.len().min(end + MAX_RUN / 2);
        let mut hi = end;
        while hi < hi_limit && is_b64(hay[hi]) {
            hi += 1;
        }
        while hi < hay.len() && hi - end < MAX_RUN && hay[hi] == b'=' {
            hi += 1;
        }
        done_until = hi;
        let run = Span::new(lo, hi);
        if run.len() < MIN_RUN || has_allow_marker(hay, run) {
            continue;
        }
        let Some(decoded) = decode_base64(&hay[run.range()]) else {
            continue;
        };
        if decoded.len() > budget.left {
            budget.left = 0;
            continue;
        }
        budget.left -= decoded.len();
        inner.clear();
        matcher.scan_depth(&decoded, &mut inner, depth + 1, budget);
        for m in inner.drain(..) {
            let (encoding, secret) = match m.decoded {
                Some(d) => (format!("{} in base64", d.encoding), d.secret),
                None => ("base64".to_string(), decoded[m.secret.range()].to_vec()),
            };
            out.push(Match {
                rule: m.rule,
                span: run,
                secret: run,
                entropy: m.entropy,
                decoded: Some(Box::new(Decoded { encoding, secret })),
                checksum: m.checksum,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_both_alphabets_with_and_without_padding() {
        assert_eq!(decode_base64(b"aGVsbG8gd29ybGQ=").unwrap(), b"hello world");
        assert_eq!(decode_base64(b"aGVsbG8gd29ybGQ").unwrap(), b"hello world");
        assert_eq!(
            decode_base64(b"-_-_").unwrap(),
            decode_base64(b"+/+/").unwrap()
        );
        assert!(decode_base64(b"ab$d").is_none());
    }
}

#[cfg(test)]
mod scan_tests {
    use std::sync::Arc;

    use keysnare_rules::{RuleSet, Source};

    use crate::Matcher;

    const RULE: &str = r#"
[[rules]]
id = "demo.token"
name = "Demo token"
provider = "Demo"
pattern = '''\b(?P<secret>dmt_[A-Za-z0-9]{20})\b'''
severity = "high"
"#;

    fn b64(bytes: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in bytes.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= c.len() {
                    out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    fn matcher() -> Matcher {
        Matcher::new(Arc::new(
            RuleSet::load(&[Source::text("demo.toml", RULE)]).unwrap(),
        ))
    }

    #[test]
    fn secrets_in_base64_are_found_at_every_alignment() {
        let token = "dmt_Q7mX2pL9vR4sT8wZ1kN6";
        for prefix in ["", " ", "x ", "xy ", "TOKEN=", "password: x\ntoken: "] {
            let encoded = b64(format!("{prefix}{token}\n").as_bytes());
            let hay = format!("apiVersion: v1\nkind: Secret\ndata:\n  env: {encoded}\n");
            let mut found = Vec::new();
            matcher().scan(hay.as_bytes(), &mut found);
            assert_eq!(found.len(), 1, "prefix {prefix:?}");
            let d = found[0].decoded.as_ref().unwrap();
            assert_eq!(d.secret, token.as_bytes());
            assert_eq!(d.encoding, "base64");
            assert_eq!(&hay.as_bytes()[found[0].span.range()], encoded.as_bytes());
        }
    }

    #[test]
    fn two_layers_are_looked_through_and_no_more() {
        let token = "dmt_Q7mX2pL9vR4sT8wZ1kN6";
        // Each layer also mentions the keyword, as a real document around a secret would.
        let layer = |inner: &str| b64(format!("dmt_ref {inner}").as_bytes());
        let once = b64(format!("token={token}").as_bytes());
        let twice = layer(&once);
        let mut found = Vec::new();
        matcher().scan(format!("x = \"{twice}\"").as_bytes(), &mut found);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].decoded.as_ref().unwrap().encoding,
            "base64 in base64"
        );
        assert_eq!(found[0].decoded.as_ref().unwrap().secret, token.as_bytes());
        let thrice = layer(&twice);
        found.clear();
        matcher().scan(thrice.as_bytes(), &mut found);
        assert!(found.is_empty(), "depth is capped at {}", super::MAX_DEPTH);
    }

    #[test]
    fn plain_base64_without_keyword_is_not_decoded() {
        let noise = b64(&(0u8..=255).cycle().take(3000).collect::<Vec<u8>>());
        let mut found = Vec::new();
        matcher().scan(noise.as_bytes(), &mut found);
        assert!(found.is_empty());
    }
}
