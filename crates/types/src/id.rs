use std::fmt;

use sha1::Digest as _;

/// Git's id of a blob: SHA-1 of `"blob {len}\0"` followed by the content.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId([u8; 20]);

impl BlobId {
    /// The blob id of `data`, as `git hash-object` computes it.
    pub fn of(data: &[u8]) -> BlobId {
        let mut h = sha1::Sha1::new();
        h.update(format!("blob {}\0", data.len()).as_bytes());
        h.update(data);
        BlobId(h.finalize().into())
    }

    /// Wraps raw id bytes (for ids read from git).
    pub const fn from_bytes(bytes: [u8; 20]) -> BlobId {
        BlobId(bytes)
    }

    /// The raw bytes of the id.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// Parses 40 hex digits.
    pub fn from_hex(s: &str) -> Result<BlobId, ParseIdError> {
        let mut out = [0u8; 20];
        decode_hex(s, &mut out)?;
        Ok(BlobId(out))
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({self})")
    }
}

/// The identity of a finding: a keyed hash of the rule id and the secret.
///
/// It never includes a path, line or commit, so it survives rebases, squashes and moved
/// code, and an ignore entry holding it can never hide a different secret. Printed as 32
/// lowercase hex digits: the first 128 bits of HMAC-SHA256 under a [`FingerprintKey`] over
/// a versioned, domain-separated input (`v2`), or of SHA-256 over the same input without a
/// key (`v1`, see [`Fingerprint::unkeyed`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 16]);

/// The key of keyed fingerprints: a secret of one project or team (a committed key file, or
/// `KEYSNARE_FINGERPRINT_KEY` in CI and developers' shells). Fingerprints made with it are
/// HMAC-SHA256 under it, which nobody without it can test guessed secrets against.
///
/// A key is a value of one scan's configuration, so one process can scan several projects,
/// each with its own key. `Debug` does not show the key.
///
/// ```
/// use keysnare_types::{Fingerprint, FingerprintKey};
///
/// let a = FingerprintKey::new(b"project a".to_vec());
/// let b = FingerprintKey::new(b"project b".to_vec());
/// assert_eq!(a.fingerprint("r", b"s3cr3t"), Fingerprint::of(Some(&a), "r", b"s3cr3t"));
/// assert_ne!(a.fingerprint("r", b"s3cr3t"), b.fingerprint("r", b"s3cr3t"));
/// assert_ne!(a.fingerprint("r", b"s3cr3t"), Fingerprint::unkeyed("r", b"s3cr3t"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct FingerprintKey(std::sync::Arc<[u8]>);

impl FingerprintKey {
    /// A key of these bytes.
    pub fn new(bytes: Vec<u8>) -> FingerprintKey {
        FingerprintKey(bytes.into())
    }

    /// The keyed (`v2`) fingerprint of `secret` found by rule `rule_id`.
    pub fn fingerprint(&self, rule_id: &str, secret: &[u8]) -> Fingerprint {
        Fingerprint::digest(Some(&self.0), rule_id, secret)
    }
}

impl fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FingerprintKey({} bytes)", self.0.len())
    }
}

/// HMAC-SHA256 (RFC 2104) of the parts of a message.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::Mac as _;
    // HMAC takes a key of any length (a longer one is hashed first): this cannot fail.
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(key)
        .expect("HMAC takes keys of any length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

impl Fingerprint {
    /// The fingerprint of `secret` found by rule `rule_id`: under `key` (`v2`, see
    /// [`FingerprintKey::fingerprint`]), or unkeyed without one (`v1`, see
    /// [`Fingerprint::unkeyed`]).
    pub fn of(key: Option<&FingerprintKey>, rule_id: &str, secret: &[u8]) -> Fingerprint {
        Fingerprint::digest(key.map(|k| &*k.0), rule_id, secret)
    }

    fn digest(key: Option<&[u8]>, rule_id: &str, secret: &[u8]) -> Fingerprint {
        let rule_len = (rule_id.len() as u64).to_le_bytes();
        let secret_len = (secret.len() as u64).to_le_bytes();
        let digest: [u8; 32] = match key {
            Some(key) => hmac_sha256(
                key,
                &[
                    b"keysnare fingerprint v2\0",
                    &rule_len,
                    rule_id.as_bytes(),
                    &secret_len,
                    secret,
                ],
            ),
            None => {
                let mut h = sha2::Sha256::new();
                h.update(b"keysnare fingerprint v1\0");
                h.update(rule_len);
                h.update(rule_id.as_bytes());
                h.update(secret_len);
                h.update(secret);
                h.finalize().into()
            }
        };
        let mut out = [0u8; 16];
        out.copy_from_slice(&digest[..16]);
        Fingerprint(out)
    }

    /// The unkeyed (`v1`) fingerprint of `secret` found by rule `rule_id`: the first 128
    /// bits of SHA-256 over a versioned, length-prefixed encoding of both. What scans of a
    /// project without a key print, and what fingerprints were before they were keyed, so
    /// ignore and baseline entries holding it are still accepted where a key exists.
    pub fn unkeyed(rule_id: &str, secret: &[u8]) -> Fingerprint {
        Fingerprint::digest(None, rule_id, secret)
    }

    /// Parses 32 hex digits, as printed by [`Display`](fmt::Display).
    pub fn from_hex(s: &str) -> Result<Fingerprint, ParseIdError> {
        let mut out = [0u8; 16];
        decode_hex(s, &mut out)?;
        Ok(Fingerprint(out))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// A string that is not an id of the expected length in hex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseIdError {
    expected_len: usize,
}

impl fmt::Display for ParseIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {} hex digits", self.expected_len)
    }
}

impl std::error::Error for ParseIdError {}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

fn decode_hex(s: &str, out: &mut [u8]) -> Result<(), ParseIdError> {
    let err = ParseIdError {
        expected_len: out.len() * 2,
    };
    let s = s.as_bytes();
    if s.len() != out.len() * 2 {
        return Err(err);
    }
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    for (i, pair) in s.chunks_exact(2).enumerate() {
        let (Some(hi), Some(lo)) = (nibble(pair[0]), nibble(pair[1])) else {
            return Err(err);
        };
        out[i] = hi << 4 | lo;
    }
    Ok(())
}

#[cfg(test)]
mod tests {

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        let mac = hmac_sha256(&[0x0b; 20], &[b"Hi ", b"There"]);
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // A key longer than the block is hashed first (RFC 4231, test case 6).
        let mac = hmac_sha256(
            &[0xaa; 131],
            &[b"Test Using Larger Than Block-Size Key - Hash Key First"],
        );
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
    use super::*;

    #[test]
    fn blob_id_matches_git() {
        // `printf '' | git hash-object --stdin`
        assert_eq!(
            BlobId::of(b"").to_string(),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
    }

    #[test]
    fn hex_round_trips() {
        let id = BlobId::of(b"abc");
        assert_eq!(BlobId::from_hex(&id.to_string()), Ok(id));
        let fp = Fingerprint::unkeyed("r", b"s");
        assert_eq!(Fingerprint::from_hex(&fp.to_string()), Ok(fp));
        assert!(Fingerprint::from_hex("zz").is_err());
        assert!(Fingerprint::from_hex(&"g".repeat(32)).is_err());
    }

    /// Fingerprints are written into ignore files and baselines: their bytes never change.
    /// The expected values were computed apart from this crate (HMAC-SHA256 and SHA-256 of
    /// the same encoding by another implementation).
    #[test]
    fn fingerprints_are_pinned() {
        let rule = "aws.access-key-id";
        let secret = b"s3cr3t-value";
        assert_eq!(
            FingerprintKey::new(b"team key".to_vec())
                .fingerprint(rule, secret)
                .to_string(),
            "3d941b10899cf31bf15a9baa0ac5d759"
        );
        // A key longer than SHA-256's block is hashed first.
        assert_eq!(
            FingerprintKey::new(vec![b'k'; 100])
                .fingerprint(rule, secret)
                .to_string(),
            "031527c654b01b8f274e5e1037bbaee5"
        );
        assert_eq!(
            Fingerprint::unkeyed(rule, secret).to_string(),
            "e5a20d085ee0c89f327b17b0d0f3cbc7"
        );
    }

    #[test]
    fn fingerprint_is_not_ambiguous_across_the_separator() {
        assert_ne!(
            Fingerprint::unkeyed("ab", b"c"),
            Fingerprint::unkeyed("a", b"bc")
        );
        let key = FingerprintKey::new(b"k".to_vec());
        assert_ne!(key.fingerprint("ab", b"c"), key.fingerprint("a", b"bc"));
    }

    #[test]
    fn keys_are_values_not_process_state() {
        let a = FingerprintKey::new(b"key a".to_vec());
        let b = FingerprintKey::new(b"key b".to_vec());
        // Interleaved: computing under one key leaves the other untouched.
        let fa = a.fingerprint("r", b"s");
        let fb = b.fingerprint("r", b"s");
        assert_ne!(fa, fb);
        assert_eq!(a.fingerprint("r", b"s"), fa);
        assert_eq!(Fingerprint::of(Some(&b), "r", b"s"), fb);
        assert_eq!(
            Fingerprint::of(None, "r", b"s"),
            Fingerprint::unkeyed("r", b"s")
        );
        assert_ne!(fa, Fingerprint::unkeyed("r", b"s"));
        assert!(!format!("{a:?}").contains("key a"), "Debug hides the key");
    }
}
