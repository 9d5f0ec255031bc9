//! Offline checks of the checksums that providers build into their tokens. A token that
//! fails its provider's checksum was not issued by the provider: test data, a typo, a
//! made-up example.
use keysnare_types::{Checksum, ChecksumKind};

/// Verifies `secret` against `kind`; `None` when the secret does not have the shape the
/// checksum applies to (a longer token format, say), so nothing can be said.
pub fn verify(kind: ChecksumKind, secret: &[u8]) -> Option<Checksum> {
    let ok = match kind {
        ChecksumKind::GithubCrc32 => github_crc32(secret)?,
        ChecksumKind::PypiMacaroon => pypi_macaroon(secret)?,
    };
    Some(if ok {
        Checksum::Valid
    } else {
        Checksum::Invalid
    })
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` in base 62, zero-padded to 6 digits (2^32 < 62^6).
fn base62_6(mut n: u32) -> [u8; 6] {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// `prefix_` (4 bytes), 30 base62 characters, then their CRC32 in 6 base62 digits.
fn github_crc32(secret: &[u8]) -> Option<bool> {
    if secret.len() != 40 || secret[3] != b'_' {
        return None;
    }
    let (body, check) = secret[4..].split_at(30);
    Some(base62_6(crc32fast::hash(body)) == check)
}

/// Reads an unsigned LEB128 varint.
fn varint(data: &[u8], at: &mut usize) -> Option<usize> {
    let mut value: usize = 0;
    for shift in (0..35).step_by(7) {
        let b = *data.get(*at)?;
        *at += 1;
        value |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// One field of a version-2 macaroon: `(type, data)`, or `(0, [])` for end-of-section.
fn field<'a>(data: &'a [u8], at: &mut usize) -> Option<(usize, &'a [u8])> {
    let kind = varint(data, at)?;
    if kind == 0 {
        return Some((0, &[]));
    }
    let len = varint(data, at)?;
    let bytes = data.get(*at..at.checked_add(len)?)?;
    *at += len;
    Some((kind, bytes))
}

/// `pypi-` and a version-2 binary macaroon (base64): header with location `pypi.org` or
/// `test.pypi.org` and an identifier, caveat sections, then a 32-byte signature.
fn pypi_macaroon(secret: &[u8]) -> Option<bool> {
    let encoded = secret.strip_prefix(b"pypi-")?;
    let Some(data) = crate::decode::decode_base64(encoded) else {
        return Some(false);
    };
    Some(parse_macaroon(&data).is_some())
}

fn parse_macaroon(data: &[u8]) -> Option<()> {
    const LOCATION: usize = 1;
    const IDENTIFIER: usize = 2;
    const VID: usize = 4;
    const SIGNATURE: usize = 6;
    if data.first() != Some(&2) {
        return None;
    }
    let mut at = 1;
    // Header: location, identifier, end of section.
    let (kind, location) = field(data, &mut at)?;
    if kind != LOCATION || !(location == b"pypi.org" || location == b"test.pypi.org") {
        return None;
    }
    let (kind, id) = field(data, &mut at)?;
    if kind != IDENTIFIER || id.is_empty() {
        return None;
    }
    if field(data, &mut at)?.0 != 0 {
        return None;
    }
    // Caveats: each [location] identifier [vid] end; an empty section ends them.
    loop {
        let (kind, _) = field(data, &mut at)?;
        match kind {
            0 => break,
            LOCATION | IDENTIFIER => {
                let mut kind = kind;
                while kind != 0 {
                    if !matches!(kind, LOCATION | IDENTIFIER | VID) {
                        return None;
                    }
                    kind = field(data, &mut at)?.0;
                }
            }
            _ => return None,
        }
    }
    let (kind, signature) = field(data, &mut at)?;
    (kind == SIGNATURE && signature.len() == 32 && at == data.len()).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token with a correct checksum, built the way the provider documents it.
    pub(crate) fn github_like(prefix: &str, body: &str) -> String {
        assert_eq!(body.len(), 30);
        let check = base62_6(crc32fast::hash(body.as_bytes()));
        format!("{prefix}{body}{}", std::str::from_utf8(&check).unwrap())
    }

    #[test]
    fn base62_digits() {
        assert_eq!(&base62_6(0), b"000000");
        assert_eq!(&base62_6(61), b"00000z");
        assert_eq!(&base62_6(62), b"000010");
        assert_eq!(&base62_6(u32::MAX), b"4gfFC3");
    }

    #[test]
    fn github_checksum() {
        let good = github_like("ghp_", "Zq8Lw3Tx0Vb7Nc2Mk5Rj9Hs4Pd6Fg1");
        assert_eq!(
            verify(ChecksumKind::GithubCrc32, good.as_bytes()),
            Some(Checksum::Valid)
        );
        let mut bad = good.clone().into_bytes();
        bad[10] = if bad[10] == b'a' { b'b' } else { b'a' };
        assert_eq!(
            verify(ChecksumKind::GithubCrc32, &bad),
            Some(Checksum::Invalid)
        );
        // Another length: not the format the checksum applies to.
        assert_eq!(
            verify(ChecksumKind::GithubCrc32, &good.as_bytes()[..39]),
            None
        );
    }

    fn push_field(out: &mut Vec<u8>, kind: u8, data: &[u8]) {
        out.push(kind);
        out.push(data.len() as u8);
        out.extend_from_slice(data);
    }

    fn macaroon(location: &[u8], caveats: &[&[u8]], sig_len: usize) -> Vec<u8> {
        let mut m = vec![2];
        push_field(&mut m, 1, location);
        push_field(&mut m, 2, b"k7Qe0ZpX3mWv9LrT");
        m.push(0);
        for c in caveats {
            push_field(&mut m, 2, c);
            m.push(0);
        }
        m.push(0);
        push_field(&mut m, 6, &vec![0x5a; sig_len]);
        m
    }

    fn b64url(bytes: &[u8]) -> String {
        const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    #[test]
    fn pypi_macaroon_structure() {
        let check = |m: &[u8]| {
            verify(
                ChecksumKind::PypiMacaroon,
                format!("pypi-{}", b64url(m)).as_bytes(),
            )
        };
        let good = macaroon(
            b"pypi.org",
            &[br#"{"version": 1, "permissions": "user"}"#],
            32,
        );
        assert_eq!(check(&good), Some(Checksum::Valid));
        assert_eq!(
            check(&macaroon(b"test.pypi.org", &[], 32)),
            Some(Checksum::Valid)
        );
        assert_eq!(
            check(&macaroon(b"evil.example", &[b"x"], 32)),
            Some(Checksum::Invalid)
        );
        assert_eq!(
            check(&macaroon(b"pypi.org", &[b"x"], 31)),
            Some(Checksum::Invalid)
        );
        assert_eq!(check(&good[..good.len() - 1]), Some(Checksum::Invalid));
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(check(&trailing), Some(Checksum::Invalid));
        assert_eq!(
            verify(ChecksumKind::PypiMacaroon, b"pypi-AgEIcHlwaS5vcmc!!!"),
            Some(Checksum::Invalid)
        );
    }
}
