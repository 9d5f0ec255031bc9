//! Binary keystores, recognised by their first bytes rather than by name: PKCS#12 (`.p12`,
//! `.pfx`; RFC 7292) and Java's JKS and JCEKS keystores.
//!
//! A keystore that holds a private or secret key is a credential even when the key is
//! encrypted: the store's password is most often a default (`changeit`) or sits in the
//! configuration beside it. A store of certificates alone (a truststore) holds no secret and
//! is not reported. A reported value is the whole file: its bytes are what leaked, and its
//! fingerprint then names this keystore.

use memchr::memmem;

use crate::Found;

/// DER tag of a SEQUENCE.
const SEQUENCE: u8 = 0x30;

/// `1.2.840.113549.1.7` (PKCS#7 content types) as DER object identifier content, without
/// its last arc: `…7.1` is `data`, `…7.2` `signedData` (a PFX's `authSafe`).
const PKCS7: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07];

/// `1.2.840.113549.1.12.10.1.1` (`keyBag`: an unencrypted PKCS#8 private key), as a DER
/// object identifier with its tag and length.
const KEY_BAG: &[u8] = &[
    0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x0C, 0x0A, 0x01, 0x01,
];

/// `1.2.840.113549.1.12.10.1.2` (`pkcs8ShroudedKeyBag`: a password-encrypted private key).
const SHROUDED_KEY_BAG: &[u8] = &[
    0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x0C, 0x0A, 0x01, 0x02,
];

/// The magic numbers of Java keystores: JKS and JCEKS.
const JKS_MAGIC: [u8; 4] = [0xFE, 0xED, 0xFE, 0xED];
const JCEKS_MAGIC: [u8; 4] = [0xCE, 0xCE, 0xCE, 0xCE];

/// Reads a DER length at `input[at..]`: the length and where the content starts.
fn der_length(input: &[u8], at: usize) -> Option<(usize, usize)> {
    let first = *input.get(at)?;
    if first < 0x80 {
        return Some((usize::from(first), at + 1));
    }
    let n = usize::from(first & 0x7F);
    if n == 0 || n > 4 {
        return None;
    }
    let bytes = input.get(at + 1..at + 1 + n)?;
    let len = bytes
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Some((len, at + 1 + n))
}

/// Whether `input` starts like a PKCS#12 PFX: `SEQUENCE { INTEGER 3, SEQUENCE { OID
/// pkcs7-data or pkcs7-signedData, …`.
pub(crate) fn is_pkcs12(input: &[u8]) -> bool {
    (|| {
        if *input.first()? != SEQUENCE {
            return None;
        }
        let (_, at) = der_length(input, 1)?;
        // version INTEGER 3
        if input.get(at..at + 3)? != [0x02, 0x01, 0x03] {
            return None;
        }
        let at = at + 3;
        if *input.get(at)? != SEQUENCE {
            return None;
        }
        let (_, at) = der_length(input, at + 1)?;
        if input.get(at..at + 2)? != [0x06, 0x09] || input.get(at + 2..at + 10)? != PKCS7 {
            return None;
        }
        matches!(input.get(at + 10)?, 0x01 | 0x02).then_some(())
    })()
    .is_some()
}

/// A PKCS#12 file with an unencrypted private key (`keyBag`).
pub(crate) fn pkcs12_key(input: &[u8], out: &mut Vec<Found>) {
    if is_pkcs12(input) && memmem::find(input, KEY_BAG).is_some() {
        out.push(whole(input, "keyBag"));
    }
}

/// A PKCS#12 file with a password-encrypted private key (`pkcs8ShroudedKeyBag`) and no
/// unencrypted one. A file whose bags are all inside encrypted content cannot be told from a
/// truststore without its password, and is not reported.
pub(crate) fn pkcs12_encrypted_key(input: &[u8], out: &mut Vec<Found>) {
    if is_pkcs12(input)
        && memmem::find(input, KEY_BAG).is_none()
        && memmem::find(input, SHROUDED_KEY_BAG).is_some()
    {
        out.push(whole(input, "pkcs8ShroudedKeyBag"));
    }
}

/// Whether `input` starts like a JKS or JCEKS keystore (magic and version 1 or 2).
pub(crate) fn is_java_keystore(input: &[u8]) -> bool {
    input.len() >= 12
        && (input[..4] == JKS_MAGIC || input[..4] == JCEKS_MAGIC)
        && matches!(input[4..8], [0, 0, 0, 1] | [0, 0, 0, 2])
}

/// A JKS or JCEKS keystore with a private-key entry (tag 1) or a JCEKS secret-key entry
/// (tag 3). The entries are read in order until one is found; a store of trusted
/// certificates alone (tag 2) is not reported.
pub(crate) fn java_keystore(input: &[u8], out: &mut Vec<Found>) {
    if !is_java_keystore(input) {
        return;
    }
    if let Some(field) = java_key_entry(input) {
        out.push(whole(input, field));
    }
}

/// The kind of the first key entry of a Java keystore, if it has one.
fn java_key_entry(input: &[u8]) -> Option<&'static str> {
    let mut r = Reader { input, at: 4 };
    let version = r.u32()?;
    let count = r.u32()?;
    for _ in 0..count {
        let tag = r.u32()?;
        match tag {
            1 => return Some("PrivateKeyEntry"),
            3 => return Some("SecretKeyEntry"),
            2 => {
                r.utf()?; // alias
                r.skip(8)?; // creation date
                r.certificate(version)?;
            }
            _ => return None,
        }
    }
    None
}

/// A cursor over a Java keystore's big-endian fields.
struct Reader<'a> {
    input: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn skip(&mut self, n: usize) -> Option<()> {
        let end = self.at.checked_add(n)?;
        (end <= self.input.len()).then(|| self.at = end)
    }

    fn u16(&mut self) -> Option<usize> {
        let b = self.input.get(self.at..self.at + 2)?;
        self.at += 2;
        Some(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    fn u32(&mut self) -> Option<usize> {
        let b = self.input.get(self.at..self.at + 4)?;
        self.at += 4;
        usize::try_from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])).ok()
    }

    /// A `DataOutput.writeUTF` string: a 16-bit length and the bytes.
    fn utf(&mut self) -> Option<()> {
        let n = self.u16()?;
        self.skip(n)
    }

    /// A certificate: its type name (version 2 stores), a 32-bit length and the encoding.
    fn certificate(&mut self, version: usize) -> Option<()> {
        if version == 2 {
            self.utf()?;
        }
        let n = self.u32()?;
        self.skip(n)
    }
}

fn whole(input: &[u8], field: &str) -> Found {
    Found {
        span: 0..input.len(),
        field: field.to_string(),
        decoded: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JKS store: `count` entries of the given tags (trusted certificates carry a small
    /// certificate; key entries stop the reading, so their bodies do not matter).
    fn jks(magic: [u8; 4], version: u32, tags: &[u32]) -> Vec<u8> {
        let mut v = magic.to_vec();
        v.extend(version.to_be_bytes());
        v.extend((tags.len() as u32).to_be_bytes());
        for &tag in tags {
            v.extend(tag.to_be_bytes());
            v.extend(3u16.to_be_bytes());
            v.extend(b"ca1");
            v.extend(0u64.to_be_bytes());
            if version == 2 {
                v.extend(5u16.to_be_bytes());
                v.extend(b"X.509");
            }
            v.extend(4u32.to_be_bytes());
            v.extend([0x30, 0x02, 0x05, 0x00]);
        }
        v
    }

    fn run(f: fn(&[u8], &mut Vec<Found>), input: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        f(input, &mut out);
        for found in &out {
            assert_eq!(found.span, 0..input.len());
        }
        out.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn java_keystores_with_keys_are_reported() {
        assert_eq!(
            run(java_keystore, &jks(JKS_MAGIC, 2, &[2, 2, 1])),
            ["PrivateKeyEntry"]
        );
        assert_eq!(
            run(java_keystore, &jks(JKS_MAGIC, 1, &[1])),
            ["PrivateKeyEntry"]
        );
        assert_eq!(
            run(java_keystore, &jks(JCEKS_MAGIC, 2, &[2, 3])),
            ["SecretKeyEntry"]
        );
    }

    #[test]
    fn truststores_and_other_bytes_are_not() {
        assert!(run(java_keystore, &jks(JKS_MAGIC, 2, &[2, 2])).is_empty());
        assert!(run(java_keystore, &jks(JKS_MAGIC, 3, &[1])).is_empty());
        // A count larger than the entries present: reading stops at the end.
        let mut short = jks(JKS_MAGIC, 2, &[2]);
        short[8..12].copy_from_slice(&1_000_000u32.to_be_bytes());
        assert!(run(java_keystore, &short).is_empty());
        assert!(run(java_keystore, b"\xFE\xED\xFE\xED").is_empty());
        assert!(run(java_keystore, b"plain text, no keystore").is_empty());
    }

    /// The head of a PFX (RFC 7292 §4) followed by `bags`.
    fn pfx(bags: &[&[u8]]) -> Vec<u8> {
        let mut body = vec![0x02, 0x01, 0x03, SEQUENCE, 0x0B, 0x06, 0x09];
        body.extend(PKCS7);
        body.push(0x01);
        for bag in bags {
            body.extend(*bag);
        }
        let mut v = vec![SEQUENCE, 0x82];
        v.extend((body.len() as u16).to_be_bytes());
        v.extend(body);
        v
    }

    #[test]
    fn pkcs12_key_bags() {
        let plain = pfx(&[KEY_BAG]);
        let shrouded = pfx(&[SHROUDED_KEY_BAG]);
        assert!(is_pkcs12(&plain) && is_pkcs12(&shrouded));
        assert_eq!(run(pkcs12_key, &plain), ["keyBag"]);
        assert!(run(pkcs12_encrypted_key, &plain).is_empty());
        assert_eq!(
            run(pkcs12_encrypted_key, &shrouded),
            ["pkcs8ShroudedKeyBag"]
        );
        assert!(run(pkcs12_key, &shrouded).is_empty());
        // Certificates alone, or a DER sequence that is no PFX.
        assert!(run(pkcs12_encrypted_key, &pfx(&[])).is_empty());
        let mut other = plain.clone();
        other[6] = 0x02; // version 2
        assert!(!is_pkcs12(&other));
        assert!(!is_pkcs12(&[SEQUENCE, 0x84, 0xFF]));
    }

    #[test]
    fn truncated_input_never_panics() {
        let inputs = [pfx(&[KEY_BAG]), jks(JKS_MAGIC, 2, &[2, 2, 1])];
        for input in &inputs {
            for n in 0..input.len() {
                let mut out = Vec::new();
                pkcs12_key(&input[..n], &mut out);
                pkcs12_encrypted_key(&input[..n], &mut out);
                java_keystore(&input[..n], &mut out);
            }
        }
    }
}
