//! Secrets inside encoded text (base64, hex, percent-encoding): decoded only around encoded
//! fragments of keywords, with hard caps on the size decoded and on nesting.
use keysnare_rules::Encoding;
use keysnare_types::{Decoded, Match, Span};

use crate::{Matcher, has_allow_marker};

/// Layers of encoding looked through (base64 inside base64 is two).
pub const MAX_DEPTH: usize = 2;
/// The longest encoded run decoded around one fragment, in bytes of encoded text.
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

/// The run of `allowed` bytes around `start..end`, at most [`MAX_RUN`] bytes of encoded
/// text: `(lo, hi)`.
fn run_around(hay: &[u8], start: usize, end: usize, allowed: fn(u8) -> bool) -> (usize, usize) {
    let lo_limit = start.saturating_sub(MAX_RUN / 2);
    let mut lo = start;
    while lo > lo_limit && allowed(hay[lo - 1]) {
        lo -= 1;
    }
    let hi_limit = hay.len().min(end + MAX_RUN / 2);
    let mut hi = end;
    while hi < hi_limit && allowed(hay[hi]) {
        hi += 1;
    }
    (lo, hi)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes hex digits in pairs; a dangling last digit is dropped.
pub(crate) fn decode_hex(text: &[u8]) -> Option<Vec<u8>> {
    text.chunks_exact(2)
        .map(|p| Some((hex_value(p[0])? << 4) | hex_value(p[1])?))
        .collect()
}

/// Bytes of percent-encoded text: unreserved characters, escapes, and the sub-delimiters
/// and separators that a URL or form value holds unescaped.
fn is_percent_text(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'%' | b'-' | b'.' | b'_' | b'~' | b'+' | b'!' | b'*' | b'(' | b')' | b',' | b';'
        )
}

/// Decodes `%XX` escapes (a malformed escape stays as it is); `None` when there is none.
pub(crate) fn decode_percent(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut escapes = 0;
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'%'
            && let (Some(h), Some(l)) = (
                text.get(i + 1).copied().and_then(hex_value),
                text.get(i + 2).copied().and_then(hex_value),
            )
        {
            out.push((h << 4) | l);
            escapes += 1;
            i += 3;
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    (escapes > 0).then_some(out)
}

/// The encoded run around one fragment hit and what it decodes to.
fn decode_around(
    hay: &[u8],
    start: usize,
    end: usize,
    encoding: Encoding,
) -> Option<(Span, Vec<u8>)> {
    match encoding {
        Encoding::Base64 => {
            let (lo, mut hi) = run_around(hay, start, end, is_b64);
            while hi < hay.len() && hi - end < MAX_RUN && hay[hi] == b'=' {
                hi += 1;
            }
            let run = Span::new(lo, hi);
            if run.len() < MIN_RUN {
                return None;
            }
            Some((run, decode_base64(&hay[run.range()])?))
        }
        Encoding::Hex => {
            let (mut lo, hi) = run_around(hay, start, end, |b| b.is_ascii_hexdigit());
            // Pairs are aligned on the fragment (a keyword's hex starts a byte).
            lo += (start - lo) % 2;
            let hi = hi - (hi - lo) % 2;
            let run = Span::new(lo, hi);
            if run.len() < MIN_RUN {
                return None;
            }
            Some((run, decode_hex(&hay[run.range()])?))
        }
        Encoding::Percent => {
            let (lo, hi) = run_around(hay, start, end, is_percent_text);
            let run = Span::new(lo, hi);
            if run.len() < MIN_RUN {
                return None;
            }
            Some((run, decode_percent(&hay[run.range()])?))
        }
    }
}

/// Decodes the encoded runs around `hits` (fragments of keywords, sorted by start, with
/// their encodings as bits) and scans what they hold. Matches are placed on the encoded run
/// and carry the decoded secret.
pub(crate) fn scan_encoded(
    matcher: &mut Matcher,
    hay: &[u8],
    hits: &[(usize, usize, u8)],
    depth: usize,
    budget: &mut DecodeBudget,
) -> Vec<Match> {
    let mut out = Vec::new();
    // Per encoding: the end of the last run decoded, so that each run is decoded once.
    let mut done_until = [0usize; 3];
    let mut inner = Vec::new();
    for &(start, end, kinds) in hits {
        for (k, encoding) in Encoding::ALL.into_iter().enumerate() {
            if kinds & encoding.bit() == 0 || start < done_until[k] || budget.left == 0 {
                continue;
            }
            let Some((run, decoded)) = decode_around(hay, start, end, encoding) else {
                continue;
            };
            done_until[k] = run.end;
            if has_allow_marker(hay, run) {
                continue;
            }
            if decoded.len() > budget.left {
                budget.left = 0;
                continue;
            }
            budget.left -= decoded.len();
            inner.clear();
            matcher.scan_depth(&decoded, &mut inner, depth + 1, budget);
            for m in inner.drain(..) {
                let (label, secret) = match m.decoded {
                    Some(d) => (format!("{} in {}", d.encoding, encoding.name()), d.secret),
                    None => (
                        encoding.name().to_string(),
                        decoded[m.secret.range()].to_vec(),
                    ),
                };
                out.push(Match {
                    rule: m.rule,
                    span: run,
                    secret: run,
                    entropy: m.entropy,
                    decoded: Some(Box::new(Decoded {
                        encoding: label,
                        secret,
                    })),
                    checksum: m.checksum,
                    confidence: m.confidence,
                    score: m.score,
                });
            }
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
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(bytes)
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
    fn secrets_in_hex_are_found_in_either_case() {
        let token = "dmt_Q7mX2pL9vR4sT8wZ1kN6";
        for upper in [false, true] {
            let mut hex: String = format!("token={token}\n")
                .bytes()
                .map(|b| format!("{b:02x}"))
                .collect();
            if upper {
                hex = hex.to_ascii_uppercase();
            }
            // An odd number of hex digits before the encoded text: pairs follow the keyword.
            let hay = format!("blob: 0{hex}\n");
            let mut found = Vec::new();
            matcher().scan(hay.as_bytes(), &mut found);
            assert_eq!(found.len(), 1, "upper {upper}");
            let d = found[0].decoded.as_ref().unwrap();
            assert_eq!(
                (d.secret.as_slice(), d.encoding.as_str()),
                (token.as_bytes(), "hex")
            );
        }
    }

    const URL_RULE: &str = r#"
[[rules]]
id = "demo.url"
name = "Demo URL"
provider = "Demo"
pattern = '''demodb://[a-z]{1,16}:(?P<secret>[^@/\s]{8,32})@'''
keywords = ["demodb://"]
severity = "high"
"#;

    #[test]
    fn secrets_in_percent_encoded_text_are_found() {
        let m = &mut Matcher::new(Arc::new(
            RuleSet::load(&[Source::text("url.toml", URL_RULE)]).unwrap(),
        ));
        let mut found = Vec::new();
        for hay in [
            "https://ci.internal/hook?next=1&dsn=demodb%3A%2F%2Fapp%3As3cr3tPassw0rd%40db.internal%2Fmain&x=2",
            "dsn=demodb%3a%2f%2fapp%3as3cr3tPassw0rd%40db.internal",
        ] {
            found.clear();
            m.scan(hay.as_bytes(), &mut found);
            assert_eq!(found.len(), 1, "{hay}");
            let d = found[0].decoded.as_ref().unwrap();
            assert_eq!(
                (d.secret.as_slice(), d.encoding.as_str()),
                (&b"s3cr3tPassw0rd"[..], "percent")
            );
        }
        // Percent-encoding without an encoded keyword is not decoded.
        found.clear();
        m.scan(b"q=a%20b%20c%20d%20e%20f%20g%20h", &mut found);
        assert!(found.is_empty());
    }

    #[test]
    fn decoders() {
        assert_eq!(super::decode_hex(b"6869").unwrap(), b"hi");
        assert_eq!(super::decode_hex(b"68zz"), None);
        assert_eq!(super::decode_percent(b"a%3Ab%2fc%zz").unwrap(), b"a:b/c%zz");
        assert_eq!(super::decode_percent(b"plain"), None);
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
