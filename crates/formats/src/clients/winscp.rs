//! WinSCP's INI configuration (`WinSCP.ini`): the saved sessions' `Password=` (also
//! `ProxyPassword=`, `TunnelPassword=`), hex strings scrambled with a fixed, public
//! algorithm, which are decoded when no master password was set
//! (<https://winscp.net/eng/docs/ui_pref_storage>, <https://winscp.net/eng/docs/security_credentials>).

use std::ops::Range;

use crate::Found;

use super::{lines, report, trim};

/// The keys whose values are scrambled passwords.
const KEYS: &[&[u8]] = &[b"Password", b"ProxyPassword", b"TunnelPassword"];

pub(super) fn winscp(input: &[u8], out: &mut Vec<Found>) {
    let mut section = Section::default();
    for (start, line) in lines(input) {
        let t = line.trim_ascii();
        if t.starts_with(b"[") {
            section.flush(input, out);
            continue;
        }
        if t.starts_with(b";") || t.starts_with(b"#") {
            continue;
        }
        let Some(eq) = memchr::memchr(b'=', line) else {
            continue;
        };
        let key = line[..eq].trim_ascii();
        let value = trim(input, start + eq + 1..start + line.len());
        match key {
            b"HostName" => section.host = Some(value),
            b"UserName" => section.user = Some(value),
            b"ProxyHost" => section.proxy_host = Some(value),
            b"ProxyUsername" => section.proxy_user = Some(value),
            b"TunnelHostName" => section.tunnel_host = Some(value),
            b"TunnelUserName" => section.tunnel_user = Some(value),
            _ if KEYS.contains(&key) => section.passwords.push((key.to_vec(), value)),
            _ => {}
        }
    }
    section.flush(input, out);
}

/// A session's passwords and the names they are keyed with.
#[derive(Default)]
struct Section {
    host: Option<Range<usize>>,
    user: Option<Range<usize>>,
    proxy_host: Option<Range<usize>>,
    proxy_user: Option<Range<usize>>,
    tunnel_host: Option<Range<usize>>,
    tunnel_user: Option<Range<usize>>,
    passwords: Vec<(Vec<u8>, Range<usize>)>,
}

impl Section {
    fn flush(&mut self, input: &[u8], out: &mut Vec<Found>) {
        let s = std::mem::take(self);
        let get = |r: &Option<Range<usize>>| r.clone().map_or(&b""[..], |r| &input[r]);
        for (key, value) in s.passwords {
            let (user, host) = match key.as_slice() {
                b"ProxyPassword" => (get(&s.proxy_user), get(&s.proxy_host)),
                b"TunnelPassword" => (get(&s.tunnel_user), get(&s.tunnel_host)),
                _ => (get(&s.user), get(&s.host)),
            };
            let k: Vec<u8> = [unescape(user), unescape(host)].concat();
            let decoded = decrypt(&input[value.clone()], &k);
            report(out, input, value, &key, decoded);
        }
    }
}

/// WinSCP escapes some bytes of INI values as `%XX`.
fn unescape(v: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'%'
            && let (Some(h), Some(l)) = (
                v.get(i + 1).and_then(|&b| hex(b)),
                v.get(i + 2).and_then(|&b| hex(b)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(v[i]);
            i += 1;
        }
    }
    out
}

const MAGIC: u8 = 0xA3;
const FLAG: u8 = 0xFF;

/// Undoes WinSCP's password scrambling: each byte is `!(b ^ 0xA3)` as two hex digits; a
/// flag byte (`0xFF`, then a dummy byte, then the length; or directly the length), a count
/// of random bytes to skip, then the bytes of `key + password` (key: user name and host
/// name) when flagged. `None` when `value` does not decode so (a master-password-encrypted
/// value, a damaged one, another session's key).
fn decrypt(value: &[u8], key: &[u8]) -> Option<Vec<u8>> {
    let mut bytes = value.chunks(2).map(|p| {
        let d = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
        match p {
            [h, l] => Some(!(((d(*h)? << 4) | d(*l)?) ^ MAGIC)),
            _ => None,
        }
    });
    let mut next = || bytes.next().flatten();
    let flag = next()?;
    let length = if flag == FLAG {
        next()?;
        next()?
    } else {
        flag
    };
    let skip = next()?;
    for _ in 0..skip {
        next()?;
    }
    let mut result = Vec::with_capacity(usize::from(length));
    for _ in 0..length {
        result.push(next()?);
    }
    if flag == FLAG {
        result = result.strip_prefix(key)?.to_vec();
    }
    (!result.is_empty()).then_some(result)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{decoded, pairs, run};
    use super::*;

    /// WinSCP's scrambling, for building test values: flag, dummy, length, `shift` random
    /// bytes, `key + password`, padding.
    fn scramble(password: &str, key: &str, shift: u8) -> String {
        let enc = |b: u8| format!("{:02X}", !b ^ MAGIC);
        let data = format!("{key}{password}");
        let mut s = enc(FLAG) + &enc(0) + &enc(data.len() as u8) + &enc(shift);
        for i in 0..shift {
            s += &enc(i.wrapping_mul(37));
        }
        for b in data.bytes() {
            s += &enc(b);
        }
        while s.len() < 100 {
            s += &enc(0x5A);
        }
        s
    }

    #[test]
    fn sessions_decoded() {
        let p1 = scramble("Scp-Synthetic-6v", "deploysftp.synthetic.test", 7);
        let p2 = scramble("Prx-Synthetic-1k", "proxyuserproxy.synthetic.test", 0);
        let ini = format!(
            "[Configuration\\Interface]
RandomSeedFile=%25APPDATA%25\\winscp.rnd

[Sessions\\deploy@sftp.synthetic.test]
HostName=sftp.synthetic.test
UserName=deploy
Password={p1}
ProxyMethod=3
ProxyHost=proxy.synthetic.test
ProxyUsername=proxyuser
ProxyPassword={p2}

[Sessions\\broken]
HostName=other.synthetic.test
UserName=someone
Password=A35C4E5B
"
        );
        assert_eq!(
            run(winscp, &ini),
            pairs(&[
                ("Password", &p1),
                ("ProxyPassword", &p2),
                ("Password", "A35C4E5B")
            ])
        );
        assert_eq!(
            decoded(winscp, &ini),
            [
                Some("Scp-Synthetic-6v".to_string()),
                Some("Prx-Synthetic-1k".to_string()),
                None
            ]
        );
    }

    #[test]
    fn sessions_without_passwords() {
        let ini = "[Sessions\\deploy@sftp.synthetic.test]
HostName=sftp.synthetic.test
UserName=deploy
PublicKeyFile=C:%5CUsers%5Cdev%5Ckey.ppk
Password=

[Configuration\\Security]
UseMasterPassword=0
";
        assert!(run(winscp, ini).is_empty());
    }
}
