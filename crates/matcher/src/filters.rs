//! The filters a candidate secret passes before it becomes a match.
use memchr::{memchr, memmem, memrchr};

use keysnare_rules::Rule;
use keysnare_types::Span;

/// Inline markers that drop every match on their line.
pub const ALLOW_MARKERS: &[&str] = &[
    "keysnare:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
];

/// Substrings (ASCII case-insensitive) that make a secret an obvious placeholder.
const PLACEHOLDERS: &[&[u8]] = &[
    b"example",
    b"xxxxx",
    b"placeholder",
    b"changeme",
    b"dummy",
    b"redacted",
    b"your_",
    b"your-",
];

/// Parts of example credentials that providers publish in their documentation (case
/// sensitive): a secret holding one is the example, not a leak. AWS's examples end in
/// `EXAMPLE`, which `PLACEHOLDERS` covers.
const DOCUMENTATION_EXAMPLES: &[&[u8]] = &[
    // The payload of jwt.io's sample token: {"sub":"1234567890","name":"John Doe",...}.
    b"eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
];

/// How far around a match the inline allow marker is looked for on very long lines.
const MARKER_REACH: usize = 4096;

/// Shannon entropy of `bytes`, in bits per byte (0 for empty input).
pub fn entropy(bytes: &[u8]) -> f32 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    let h: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum();
    h as f32
}

/// Starts of values that are references or templates, not secrets: `${VAR}`, `$(cmd)`,
/// `{{ var }}`, `%(name)s`, `<password>`, and lock-file integrity hashes.
const REFERENCE_PREFIXES: &[&[u8]] = &[
    b"${", b"$(", b"{{", b"%(", b"<", b"sha512-", b"sha384-", b"sha256-", b"sha1-",
];

/// Whether `secret` is one `@NAME@` or `@@NAME@@` token (Maven / Ant resource filtering,
/// sed- and configure-style templates): letters, digits, `_`, `.`, `:` and `-` between the
/// same number of `@` on each side.
fn is_at_token(secret: &[u8]) -> bool {
    let at = if secret.starts_with(b"@@") { 2 } else { 1 };
    secret.len() > 2 * at
        && secret[..at].iter().all(|&b| b == b'@')
        && secret[secret.len() - at..].iter().all(|&b| b == b'@')
        && secret[at..secret.len() - at]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

/// Whether `secret` is an obvious placeholder: it contains a placeholder word (such as
/// `example` or `xxxxx`), is one repeated byte, is a reference, template or interpolation
/// (`${VAR}`, `{{ var }}`, `{name}`, `%(x)s`, `<password>`, `@db.password@`,
/// `@@DB_PASSWORD@@`), a lock-file integrity hash (`sha512-…`), or holds a provider's
/// published documentation example (jwt.io's sample token).
pub fn is_placeholder(secret: &[u8]) -> bool {
    if let Some((&first, rest)) = secret.split_first()
        && rest.iter().all(|&b| b == first)
    {
        return true;
    }
    if REFERENCE_PREFIXES.iter().any(|p| secret.starts_with(p)) || is_at_token(secret) {
        return true;
    }
    // An interpolation: `{name}`, `{g.password()}`, `{0}` (Python f-strings and
    // str.format, C#, Rust format strings): the whole secret, or its start when a rule's
    // value class stopped before the `}`. `{SHA}…` (an htpasswd hash) is not one.
    if secret.first() == Some(&b'{')
        && secret
            .get(1)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        && secret
            .iter()
            .position(|&b| b == b'}')
            .is_none_or(|i| i == secret.len() - 1)
    {
        return true;
    }
    if DOCUMENTATION_EXAMPLES
        .iter()
        .any(|e| memmem::find(secret, e).is_some())
    {
        return true;
    }
    let lower = secret.to_ascii_lowercase();
    PLACEHOLDERS
        .iter()
        .any(|p| memmem::find(&lower, p).is_some())
}

/// The line holding `span`; on lines longer than a few KiB, only the neighbourhood of
/// `span`.
pub(crate) fn line_around(hay: &[u8], span: Span) -> &[u8] {
    let lo = span.start.saturating_sub(MARKER_REACH);
    let hi = hay.len().min(span.end.saturating_add(MARKER_REACH));
    let line_start = memrchr(b'\n', &hay[lo..span.start]).map_or(lo, |i| lo + i + 1);
    let line_end = memchr(b'\n', &hay[span.end..hi]).map_or(hi, |i| span.end + i);
    &hay[line_start..line_end]
}

/// Whether the line around `span` holds an inline allow marker. On lines longer than a few
/// KiB only the neighbourhood of the match is searched.
pub fn has_allow_marker(hay: &[u8], span: Span) -> bool {
    let line = line_around(hay, span);
    ALLOW_MARKERS
        .iter()
        .any(|m| memmem::find(line, m.as_bytes()).is_some())
}

/// Whether a secret looks machine-made or is a strong password: at least 10 bytes, no
/// whitespace, at least three of lower case, upper case, digits and symbols, at least 3
/// bits of entropy per byte, and not shaped like a path, a URL or a reference
/// (`/…`, `.…`, `~…`, `$…`, `%…`, `{…`, `<…`, `…://…`), nor a publishable key (`pk_…`,
/// `pk.…`). Rules whose keys name a password or secret (`strong_value_confidence`) report
/// such values with more confidence than other values of the same key.
pub fn looks_strong(secret: &[u8]) -> bool {
    if secret.len() < 10
        || secret.iter().any(|b| b.is_ascii_whitespace())
        // Publishable keys (Stripe `pk_…`, Mapbox `pk.…`) are public by design.
        || secret.starts_with(b"pk_")
        || secret.starts_with(b"pk.")
        || matches!(secret[0], b'/' | b'.' | b'~' | b'$' | b'%' | b'{' | b'<')
        || secret.windows(3).any(|w| w == b"://")
    {
        return false;
    }
    let classes = [
        secret.iter().any(u8::is_ascii_lowercase),
        secret.iter().any(u8::is_ascii_uppercase),
        secret.iter().any(u8::is_ascii_digit),
        secret.iter().any(|b| !b.is_ascii_alphanumeric()),
    ];
    classes.iter().filter(|c| **c).count() >= 3 && entropy(secret) >= 3.0
}

/// Applies every filter to the candidate `secret` of `rule` (`whole` is the rule's whole
/// match): entropy below the rule's `min_entropy`, a placeholder, the rule's allowlist,
/// an inline allow marker. The secret's entropy when it is kept.
pub(crate) fn keep(rule: &Rule, hay: &[u8], whole: Span, secret: Span) -> Option<f32> {
    let bytes = &hay[secret.range()];
    if bytes.is_empty() {
        return None;
    }
    let h = entropy(bytes);
    if h < rule.min_entropy
        || is_placeholder(bytes)
        || rule.allows_secret(bytes)
        || rule.allows_match(&hay[whole.range()])
        || has_allow_marker(hay, secret)
    {
        return None;
    }
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_known_strings() {
        assert_eq!(entropy(b""), 0.0);
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-6);
        assert!((entropy(b"0123456789abcdef") - 4.0).abs() < 1e-6);
    }

    #[test]
    fn placeholders() {
        assert!(is_placeholder(b"AKIAIOSFODNN7EXAMPLE"));
        assert!(is_placeholder(b"xxxxxxxxxxxx"));
        assert!(is_placeholder(b"********"));
        assert!(is_placeholder(b"your_api_key_here"));
        assert!(!is_placeholder(b"q8Zt3vLw0pXs"));
    }

    #[test]
    fn documentation_examples_are_placeholders() {
        let sample = [
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.",
            "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
            ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        ]
        .concat();
        assert!(is_placeholder(sample.as_bytes()));
        assert!(!is_placeholder(b"eyJzdWIiOiJhY21lLWNpIn0"));
    }

    #[test]
    fn strong_values() {
        for s in [
            &b"ayn1TrDk!R4eR4VJK9P"[..],
            b"Kq9z7wX2mP4v",
            b"Zx8-Pq2_Lm7n",
        ] {
            assert!(looks_strong(s), "{}", String::from_utf8_lossy(s));
        }
        for s in [
            &b"postgres"[..],
            b"changeme123",
            b"short1A!",
            b"alllowercaseandlong",
            b"/etc/app/Secret1.key",
            b"https://Host1.example/x",
            b"pk_live_Kq9z7wX2mP4vN8",
            b"pk.eyJ1IjoiYWNtZSJ9.Kq9z7wX2mP4v",
            b"has Space1 inside",
        ] {
            assert!(!looks_strong(s), "{}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn references_and_templates_are_placeholders() {
        for s in [
            &b"${DB_PASSWORD}"[..],
            b"$(cat /run/secrets/db)",
            b"{{ vault_db_password }}",
            b"%(password)s",
            b"<your-password>",
            b"sha512-Q29uc2lkZXIgdGhpcyBhIGhhc2ggb2YgYSBsb2NrZmlsZQ==",
            b"@db.password@",
            b"@@DB_PASSWORD@@",
            b"@@pw:16:3@@",
            b"{g.password()}",
            b"{db_password}",
            b"{0}",
        ] {
            assert!(is_placeholder(s), "{}", String::from_utf8_lossy(s));
        }
        assert!(
            !is_placeholder(b"{\"k\": 1}"),
            "JSON is not an interpolation"
        );
        assert!(
            !is_placeholder(b"{SHA}IKFg1lvcBAoPI2XuI8Lqr0/2L0M="),
            "an htpasswd hash"
        );
        assert!(
            is_placeholder(b"{g.password"),
            "a value class stopped before the brace"
        );
        assert!(
            !is_placeholder(b"p4$$w0rd-Kq9z"),
            "a `$` inside a value is fine"
        );
        for s in [
            &b"@x7Kq!9z@"[..],
            b"@@Kq9z7@",
            b"@Kq9z7@@",
            b"@@",
            b"@@@@",
            b"@Kq9z7w",
        ] {
            // `@@` and `@@@@` are repeated bytes: placeholders of their own kind.
            if s.iter().any(|&b| b != b'@') {
                assert!(!is_placeholder(s), "{}", String::from_utf8_lossy(s));
            }
        }
    }

    #[test]
    fn allow_marker_only_on_the_same_line() {
        let hay = b"a = SECRET # keysnare:allow\nb = SECRET\n";
        assert!(has_allow_marker(hay, Span::new(4, 10)));
        assert!(!has_allow_marker(hay, Span::new(32, 38)));
        let hay = b"token = SECRET // gitleaks:allow";
        assert!(has_allow_marker(hay, Span::new(8, 14)));
        let hay = b"pw: SECRET  # pragma: allowlist secret";
        assert!(has_allow_marker(hay, Span::new(4, 10)));
    }
}
