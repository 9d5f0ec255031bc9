//! Encoded forms of keywords, so that secrets inside base64 text are found by the same
//! keyword automaton: a keyword's base64 depends on its offset in the encoded bytes (three
//! alignments), and only the characters that the keyword's bits alone decide are kept.

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
