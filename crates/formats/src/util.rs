//! Pieces every parser uses.

/// Whether `value` is no credential at all: empty, whitespace, a template or reference
/// (`${VAR}`, `$VAR`, `{{ x }}`, `%(x)s`, `%VAR%`, `<password>`, `[password]`), masked
/// (`****`), or a well-known placeholder word.
pub(crate) fn is_no_value(value: &[u8]) -> bool {
    let v = value.trim_ascii();
    if v.is_empty() {
        return true;
    }
    let starts = |p: &[u8]| v.starts_with(p);
    if starts(b"${") || starts(b"$(") || starts(b"{{") || starts(b"%(") || starts(b"<") {
        return true;
    }
    // `$VAR` or `$name`: an upper-case name, or a lower-case one without digits.
    let name = &v[1..];
    if v[0] == b'$'
        && !name.is_empty()
        && (name
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
            || name.iter().all(|b| b.is_ascii_lowercase() || *b == b'_'))
    {
        return true;
    }
    if v.len() > 2
        && ((v[0] == b'%' && v[v.len() - 1] == b'%') || (v[0] == b'[' && v[v.len() - 1] == b']'))
    {
        return true;
    }
    if v.iter().all(|&b| b == b'*' || b == b'x' || b == b'X' || b == b'.') {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    const WORDS: &[&[u8]] = &[
        b"password",
        b"passwd",
        b"changeme",
        b"change_me",
        b"secret",
        b"your_password",
        b"yourpassword",
        b"your-password",
        b"null",
        b"none",
        b"undefined",
        b"redacted",
        b"placeholder",
    ];
    WORDS.contains(&lower.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_values() {
        for v in [
            &b""[..],
            b"  ",
            b"${DB_PASSWORD}",
            b"$DB_PASSWORD",
            b"$password",
            b"{{ .Password }}",
            b"%(pw)s",
            b"%PASSWORD%",
            b"<password>",
            b"[password]",
            b"********",
            b"changeme",
            b"Password",
        ] {
            assert!(is_no_value(v), "{}", String::from_utf8_lossy(v));
        }
        for v in [&b"Xk29-pLm4"[..], b"hunter2", b"$ecret99", b"p%ss"] {
            assert!(!is_no_value(v), "{}", String::from_utf8_lossy(v));
        }
    }
}
