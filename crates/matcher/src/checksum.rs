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
        ChecksumKind::BasicAuth => basic_auth(secret)?,
        ChecksumKind::NkeyCrc16 => nkey_crc16(secret)?,
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

/// Whether `text` is printable: UTF-8 without control characters.
fn printable(text: &[u8]) -> bool {
    std::str::from_utf8(text).is_ok_and(|s| !s.chars().any(char::is_control))
}

/// Whether `value` is a shell or environment reference as a whole: `$NAME`, `%NAME%`.
fn is_variable(value: &[u8]) -> bool {
    let ident = |s: &[u8]| {
        s.first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && s.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    match value {
        [b'$', rest @ ..] => ident(rest),
        [b'%', rest @ .., b'%'] => ident(rest),
        _ => false,
    }
}

/// HTTP Basic credentials (RFC 7617): canonical base64 (standard alphabet, padded or not)
/// of `user-id:password`, printable, with a non-empty password that is not a placeholder
/// or a variable reference.
fn basic_auth(secret: &[u8]) -> Option<bool> {
    let body = secret
        .strip_suffix(b"==")
        .or_else(|| secret.strip_suffix(b"="))
        .unwrap_or(secret);
    let padded = body.len() != secret.len();
    if body.is_empty()
        || body.len() % 4 == 1
        || (padded && !secret.len().is_multiple_of(4))
        || !body
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/'))
    {
        return Some(false);
    }
    let Some(text) = crate::decode::decode_base64(body) else {
        return Some(false);
    };
    if !printable(&text) {
        return Some(false);
    }
    let Some(colon) = text.iter().position(|&b| b == b':') else {
        return Some(false);
    };
    let (user, password) = (&text[..colon], &text[colon + 1..]);
    Some(
        !password.is_empty()
            && !crate::filters::is_placeholder(password)
            && !is_variable(password)
            && !is_sample_password(user, password),
    )
}

/// The passwords of documentation samples: the user name again (`admin:admin`), the word
/// "password" and its short forms, RFC 7617's `open sesame`.
fn is_sample_password(user: &[u8], password: &[u8]) -> bool {
    const SAMPLES: &[&[u8]] = &[
        b"password",
        b"passwd",
        b"pass",
        b"pwd",
        b"secret",
        b"open sesame",
        b"test",
        b"1234",
        b"12345",
        b"123456",
        b"changeit",
        b"letmein",
        b"foobar",
        b"bar",
    ];
    password.eq_ignore_ascii_case(user) || SAMPLES.iter().any(|s| password.eq_ignore_ascii_case(s))
}

/// CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection), as nkeys use.
fn crc16_xmodem(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// RFC 4648 base32 without padding; `None` on a byte outside the alphabet or non-zero
/// trailing bits.
fn decode_base32(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in text {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'2'..=b'7' => b - b'2' + 26,
            _ => return None,
        };
        acc = (acc << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
        acc &= (1 << bits) - 1;
    }
    (acc == 0).then_some(out)
}

/// NATS nkeys: base32 of a seed (2 prefix bytes, 32-byte key: 58 characters) or a public
/// key (1 prefix byte, 32-byte key: 56 characters), each followed by the CRC-16/XMODEM of
/// what precedes it, little-endian.
fn nkey_crc16(secret: &[u8]) -> Option<bool> {
    if secret.len() != 58 && secret.len() != 56 {
        return None;
    }
    let Some(raw) = decode_base32(secret) else {
        return Some(false);
    };
    let (data, crc) = raw.split_at(raw.len() - 2);
    Some(crc16_xmodem(data) == u16::from_le_bytes([crc[0], crc[1]]))
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
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
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

    /// Standard base64 with padding (RFC 4648 section 4).
    fn b64(bytes: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn basic_auth_credentials() {
        let check = |text: &[u8]| verify(ChecksumKind::BasicAuth, b64(text).as_bytes());
        assert_eq!(check(b"deploy:Vq3rT8xLm2Pz"), Some(Checksum::Valid));
        assert_eq!(check(b"ops@acme.io:k7 Q!e0Z:pX"), Some(Checksum::Valid));
        assert_eq!(check(b":tok3nV4lu3"), Some(Checksum::Valid));
        assert_eq!(
            check("renée:mot-de-passe-9".as_bytes()),
            Some(Checksum::Valid)
        );
        // Unpadded base64 of the same credentials.
        let unpadded = b64(b"deploy:Vq3rT8xLm2Pz")
            .trim_end_matches('=')
            .to_string();
        assert_eq!(
            verify(ChecksumKind::BasicAuth, unpadded.as_bytes()),
            Some(Checksum::Valid)
        );
        // No colon, an empty password, control or invalid bytes.
        assert_eq!(check(b"justonetoken"), Some(Checksum::Invalid));
        assert_eq!(check(b"deploy:"), Some(Checksum::Invalid));
        assert_eq!(check(b"deploy:pa\x01ss"), Some(Checksum::Invalid));
        assert_eq!(check(b"deploy:\xff\xfe\x00\x9c"), Some(Checksum::Invalid));
        // Placeholders and variable references as the password.
        assert_eq!(check(b"admin:${ADMIN_PASSWORD}"), Some(Checksum::Invalid));
        assert_eq!(check(b"admin:$ADMIN_PASSWORD"), Some(Checksum::Invalid));
        assert_eq!(check(b"admin:%ADMIN_PASSWORD%"), Some(Checksum::Invalid));
        assert_eq!(check(b"admin:<password>"), Some(Checksum::Invalid));
        assert_eq!(check(b"admin:xxxxxxxx"), Some(Checksum::Invalid));
        // Documentation samples.
        assert_eq!(check(b"Aladdin:open sesame"), Some(Checksum::Invalid));
        assert_eq!(check(b"user:password"), Some(Checksum::Invalid));
        assert_eq!(check(b"admin:admin"), Some(Checksum::Invalid));
        // Not base64, or not canonical: a dangling character, misplaced padding.
        assert_eq!(
            verify(ChecksumKind::BasicAuth, b"information"),
            Some(Checksum::Invalid)
        );
        assert_eq!(
            verify(ChecksumKind::BasicAuth, b"ZGVwbG95OlZxM3JUOHhMbTJQeg="),
            Some(Checksum::Invalid)
        );
        assert_eq!(
            verify(ChecksumKind::BasicAuth, b"ZGVw_G95OlZxM3JUOHhMbTJQeg=="),
            Some(Checksum::Invalid)
        );
        assert_eq!(
            verify(ChecksumKind::BasicAuth, b""),
            Some(Checksum::Invalid)
        );
    }

    /// RFC 4648 base32 without padding.
    fn b32(bytes: &[u8]) -> String {
        const ABC: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut out = String::new();
        let mut acc: u32 = 0;
        let mut bits = 0;
        for &b in bytes {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(ABC[((acc >> bits) & 31) as usize] as char);
            }
            acc &= (1 << bits) - 1;
        }
        if bits > 0 {
            out.push(ABC[((acc << (5 - bits)) & 31) as usize] as char);
        }
        out
    }

    /// An nkey built the way the nkeys library encodes one: prefix bytes, key, CRC16 (LE).
    fn nkey(prefix: &[u8], key: &[u8; 32]) -> String {
        let mut raw = prefix.to_vec();
        raw.extend_from_slice(key);
        let crc = crc16_xmodem(&raw);
        raw.extend_from_slice(&crc.to_le_bytes());
        b32(&raw)
    }

    #[test]
    fn crc16_xmodem_check_value() {
        // The catalogued check value of CRC-16/XMODEM over "123456789".
        assert_eq!(crc16_xmodem(b"123456789"), 0x31c3);
    }

    #[test]
    fn nkey_seeds_and_public_keys() {
        let key: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11));
        // Seed of a user key: 18<<3 | (20<<3)>>5, ((20<<3) & 31) << 3.
        let user_seed = nkey(&[0x95, 0x00], &key);
        assert_eq!(user_seed.len(), 58);
        assert!(user_seed.starts_with("SUA"));
        assert_eq!(
            verify(ChecksumKind::NkeyCrc16, user_seed.as_bytes()),
            Some(Checksum::Valid)
        );
        // Seed of an operator key (14<<3): "SOA...".
        let operator_seed = nkey(&[0x93, 0x80], &key);
        assert!(operator_seed.starts_with("SOA"));
        assert_eq!(
            verify(ChecksumKind::NkeyCrc16, operator_seed.as_bytes()),
            Some(Checksum::Valid)
        );
        // A public account key (prefix 0): 56 characters, "A...".
        let account = nkey(&[0x00], &key);
        assert_eq!(account.len(), 56);
        assert_eq!(
            verify(ChecksumKind::NkeyCrc16, account.as_bytes()),
            Some(Checksum::Valid)
        );
        // One character changed: the CRC no longer matches.
        let mut bad = user_seed.clone().into_bytes();
        bad[20] = if bad[20] == b'Q' { b'R' } else { b'Q' };
        assert_eq!(
            verify(ChecksumKind::NkeyCrc16, &bad),
            Some(Checksum::Invalid)
        );
        // Outside the alphabet, and another length.
        let mut lower = user_seed.clone().into_bytes();
        lower[30] = b'1';
        assert_eq!(
            verify(ChecksumKind::NkeyCrc16, &lower),
            Some(Checksum::Invalid)
        );
        assert_eq!(
            verify(ChecksumKind::NkeyCrc16, &user_seed.as_bytes()[..57]),
            None
        );
    }
}
