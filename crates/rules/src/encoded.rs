//! Encoded forms of keywords, so that secrets inside encoded text are found by the same
//! keyword automaton. A keyword's base64 depends on its offset in the encoded bytes (three
//! alignments), and only the characters that the keyword's bits alone decide are kept; its
//! hex is its bytes in lower- or upper-case digits; its percent-encoding escapes the bytes
//! that URLs reserve.

/// How a fragment of a keyword is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Encoding {
    /// Base64 (standard or URL-safe alphabet).
    Base64,
    /// Hexadecimal digits, two per byte.
    Hex,
    /// URL percent-encoding (`%XX` escapes).
    Percent,
}

impl Encoding {
    /// Every encoding, in bit order.
    pub const ALL: [Encoding; 3] = [Encoding::Base64, Encoding::Hex, Encoding::Percent];

    /// The encoding's bit in a set of encodings.
    pub fn bit(self) -> u8 {
        match self {
            Encoding::Base64 => 1,
            Encoding::Hex => 2,
            Encoding::Percent => 4,
        }
    }

    /// The name reports use.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Hex => "hex",
            Encoding::Percent => "percent",
        }
    }
}

/// The fragments of every encoding of `keyword` (as written), shortest kept at 4 bytes.
pub fn fragments(keyword: &[u8]) -> Vec<(Encoding, Vec<u8>)> {
    let mut out = Vec::new();
    if keyword.len() < 4 {
        return out;
    }
    for form in case_forms(keyword) {
        for f in base64_fragments(&form, 4) {
            out.push((Encoding::Base64, f));
        }
        let hex: String = form.iter().map(|b| format!("{b:02x}")).collect();
        out.push((Encoding::Hex, hex.clone().into_bytes()));
        out.push((Encoding::Hex, hex.to_ascii_uppercase().into_bytes()));
        if form.iter().any(|b| !unreserved(*b)) {
            let upper: String = form
                .iter()
                .map(|&b| {
                    if unreserved(b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            let lower = escape_digits_lowercase(&upper);
            out.push((Encoding::Percent, upper.into_bytes()));
            out.push((Encoding::Percent, lower.into_bytes()));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Bytes that URLs never escape (RFC 3986 unreserved characters).
pub fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// `%3A` → `%3a`: the same escapes with lower-case hex digits.
fn escape_digits_lowercase(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut after_percent = 0;
    for c in text.chars() {
        if c == '%' {
            after_percent = 2;
            out.push(c);
        } else if after_percent > 0 {
            after_percent -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 (standard alphabet, no padding) of `bytes`.
fn base64(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(STANDARD[((n >> (18 - 6 * i)) & 63) as usize]);
        }
    }
    out
}

/// The base64 fragments that any encoding of `keyword` contains, one per alignment: the
/// characters whose 6 bits all come from the keyword. Fragments shorter than `min_len` are
/// left out (too common to be worth a candidate).
pub fn base64_fragments(keyword: &[u8], min_len: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for offset in 0..3usize {
        let mut padded = vec![0u8; offset];
        padded.extend_from_slice(keyword);
        let encoded = base64(&padded);
        let first = (8 * offset).div_ceil(6);
        let end = (8 * (offset + keyword.len())) / 6;
        if end > first && end - first >= min_len && end <= encoded.len() {
            out.push(encoded[first..end].to_vec());
        }
    }
    out
}

/// The case forms of a keyword worth encoding: as written, lower case, upper case and
/// capitalised.
pub fn case_forms(original: &[u8]) -> Vec<Vec<u8>> {
    let mut forms = vec![
        original.to_vec(),
        original.to_ascii_lowercase(),
        original.to_ascii_uppercase(),
    ];
    let mut cap = original.to_ascii_lowercase();
    if let Some(c) = cap.first_mut() {
        c.make_ascii_uppercase();
    }
    forms.push(cap);
    forms.sort();
    forms.dedup();
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b"Man"), b"TWFu");
        assert_eq!(base64(b"Ma"), b"TWE");
        assert_eq!(base64(b"hello world"), b"aGVsbG8gd29ybGQ");
    }

    #[test]
    fn hex_and_percent_fragments() {
        let f = fragments(b"db://");
        assert!(f.contains(&(Encoding::Hex, b"64623a2f2f".to_vec())));
        assert!(f.contains(&(Encoding::Hex, b"64623A2F2F".to_vec())));
        assert!(f.contains(&(Encoding::Percent, b"db%3A%2F%2F".to_vec())));
        assert!(f.contains(&(Encoding::Percent, b"db%3a%2f%2f".to_vec())));
        // Nothing to escape: no percent fragment.
        assert!(
            !fragments(b"ghp_")
                .iter()
                .any(|(e, _)| *e == Encoding::Percent)
        );
        assert!(fragments(b"abc").is_empty());
    }

    #[test]
    fn fragments_occur_in_every_encoding() {
        let kw = b"ghp_";
        let frags = base64_fragments(kw, 3);
        assert!(!frags.is_empty());
        for prefix in [&b""[..], b"x", b"xy", b"token: ", b"ab\n"] {
            let mut text = prefix.to_vec();
            text.extend_from_slice(b"ghp_0123456789abcdef more text");
            let enc = base64(&text);
            assert!(
                frags
                    .iter()
                    .any(|f| enc.windows(f.len()).any(|w| w == &f[..])),
                "prefix {prefix:?}: none of {frags:?} in {}",
                String::from_utf8_lossy(&enc)
            );
        }
    }
}
