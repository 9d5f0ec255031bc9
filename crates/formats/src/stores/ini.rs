//! `key = value` files: `.npmrc`, `.my.cnf`, `.pypirc`, `pip.conf`, `.s3cfg`, AWS
//! `credentials` / `config`, Cargo `credentials.toml`, `gradle.properties`.

use crate::Found;
use crate::util::{
    base64_decode, ini_entries, lines, report, strip_trailing_comment, unquote, url_passwords,
};

/// npm's configuration (`.npmrc`, per project, user or global): `_authToken`, `_auth`
/// (base64 `user:password`, decoded) and `_password` (base64 of the password, decoded),
/// alone or scoped to a registry (`//registry.npmjs.org/:_authToken=…`)
/// (<https://docs.npmjs.com/cli/v10/configuring-npm/npmrc#auth-related-configuration>).
pub(super) fn npmrc(input: &[u8], out: &mut Vec<Found>) {
    for e in ini_entries(input, b"=") {
        // The setting's name after a registry scope (`//host/path/:`).
        let name = e
            .key
            .iter()
            .rposition(|&b| b == b':')
            .map_or(e.key, |p| &e.key[p + 1..]);
        let v = unquote(input, e.value);
        match name {
            b"_authToken" => report(out, input, v, name, None),
            b"_auth" => {
                let Some(d) = base64_decode(&input[v.clone()]) else {
                    continue;
                };
                if let Some(c) = memchr::memchr(b':', &d)
                    && c + 1 < d.len()
                {
                    report(out, input, v, name, Some(d));
                }
            }
            b"_password" => {
                // Base64 by definition; a value that does not decode is kept as written.
                let d = base64_decode(&input[v.clone()])
                    .filter(|d| !d.is_empty() && d.iter().all(|b| b.is_ascii_graphic()));
                report(out, input, v, name, d);
            }
            _ => {}
        }
    }
}

/// MySQL / MariaDB option files (`~/.my.cnf`, `/etc/my.cnf`, `~/.mylogin.cnf` is
/// encrypted and not read here): `password` (and `password1`..`password3` for
/// multi-factor authentication) in any group (`[client]`, `[mysql]`, `[mysqldump]`...), the
/// value quoted or not, `#` and `;` comments
/// (<https://dev.mysql.com/doc/refman/8.4/en/option-files.html>). A `password` without a
/// value makes the client prompt.
pub(super) fn my_cnf(input: &[u8], out: &mut Vec<Found>) {
    for e in ini_entries(input, b"=") {
        let key: Vec<u8> = e
            .key
            .iter()
            .map(|&b| {
                if b == b'-' {
                    b'_'
                } else {
                    b.to_ascii_lowercase()
                }
            })
            .collect();
        if matches!(
            key.as_slice(),
            b"password" | b"password1" | b"password2" | b"password3"
        ) {
            report(
                out,
                input,
                strip_trailing_comment(input, e.value),
                e.key,
                None,
            );
        }
    }
}

/// The `.pypirc` of distutils, twine and setuptools: `password` of each index server's
/// section (for PyPI an API token, `pypi-…`), `=` or `:` separating it
/// (<https://packaging.python.org/en/latest/specifications/pypirc/>).
pub(super) fn pypirc(input: &[u8], out: &mut Vec<Found>) {
    for e in ini_entries(input, b"=:") {
        if e.key.eq_ignore_ascii_case(b"password") {
            report(out, input, unquote(input, e.value), e.key, None);
        }
    }
}

/// pip's configuration (`pip.conf`, `pip.ini`): the password of any URL with credentials
/// (`index-url`, `extra-index-url`, `find-links`, their continuation lines)
/// (<https://pip.pypa.io/en/stable/topics/configuration/>,
/// <https://pip.pypa.io/en/stable/topics/authentication/>).
pub(super) fn pip_conf(input: &[u8], out: &mut Vec<Found>) {
    for (start, line) in lines(input) {
        let t = line.trim_ascii_start();
        if t.starts_with(b"#") || t.starts_with(b";") {
            continue;
        }
        for pw in url_passwords(input, start..start + line.len()) {
            report(out, input, pw, b"password", None);
        }
    }
}

/// s3cmd's `.s3cfg`: `secret_key`, `access_token` (a session token) and `gpg_passphrase`
/// (<https://s3tools.org/kb/item14.htm>).
pub(super) fn s3cfg(input: &[u8], out: &mut Vec<Found>) {
    for e in ini_entries(input, b"=") {
        let key = e.key.to_ascii_lowercase();
        if matches!(
            key.as_slice(),
            b"secret_key" | b"access_token" | b"gpg_passphrase"
        ) {
            report(out, input, unquote(input, e.value), e.key, None);
        }
    }
}

/// The AWS CLI and SDKs' shared `credentials` and `config` files: `aws_secret_access_key`,
/// `aws_session_token` (and its old name `aws_security_token`) of each profile
/// (<https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html>).
pub(super) fn aws_credentials(input: &[u8], out: &mut Vec<Found>) {
    for e in ini_entries(input, b"=") {
        let key = e.key.to_ascii_lowercase();
        if matches!(
            key.as_slice(),
            b"aws_secret_access_key" | b"aws_session_token" | b"aws_security_token"
        ) {
            report(out, input, unquote(input, e.value), e.key, None);
        }
    }
}

/// Cargo's `credentials.toml` (`credentials` before Rust 1.39): `token` of `[registry]`
/// (crates.io) and of each `[registries.NAME]`, and `secret-key` of asymmetric tokens
/// (<https://doc.rust-lang.org/cargo/reference/config.html#credentials>).
pub(super) fn cargo_credentials(input: &[u8], out: &mut Vec<Found>) {
    for e in ini_entries(input, b"=") {
        let key = e
            .key
            .strip_prefix(b"\"")
            .and_then(|k| k.strip_suffix(b"\""))
            .unwrap_or(e.key);
        if key == b"token" || key == b"secret-key" {
            report(
                out,
                input,
                strip_trailing_comment(input, e.value),
                key,
                None,
            );
        }
    }
}

/// Whether a property name holds a credential: one of its words (split at `.`, `_`, `-`
/// and lower-to-upper case changes) is password/passwd/pwd/passphrase/token/secret/key or
/// ends with one of them, and its last word does not name something else (an id, a file,
/// an alias...).
pub(crate) fn is_secret_property(name: &[u8]) -> bool {
    let mut words: Vec<Vec<u8>> = Vec::new();
    let mut cur = Vec::new();
    let mut prev_lower = false;
    for &b in name {
        if (matches!(b, b'.' | b'_' | b'-') || (b.is_ascii_uppercase() && prev_lower))
            && !cur.is_empty()
        {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = b.is_ascii_lowercase() || b.is_ascii_digit();
        if !matches!(b, b'.' | b'_' | b'-') {
            cur.push(b.to_ascii_lowercase());
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    const SECRET: &[&[u8]] = &[
        b"password",
        b"passwd",
        b"pwd",
        b"passphrase",
        b"token",
        b"secret",
        b"key",
        b"apikey",
        b"secretkey",
        b"accesskey",
        b"privatekey",
    ];
    const OTHER: &[&[u8]] = &[
        b"id",
        b"file",
        b"path",
        b"alias",
        b"dir",
        b"url",
        b"uri",
        b"type",
        b"name",
        b"user",
        b"username",
        b"length",
        b"size",
        b"store",
        b"ring",
        b"ringfile",
        b"location",
        b"env",
        b"enabled",
        b"expiry",
        b"expiration",
        b"header",
        b"prefix",
        b"format",
        b"algorithm",
    ];
    let is_secret = words.iter().any(|w| SECRET.contains(&w.as_slice()));
    let last_other = words.last().is_some_and(|w| OTHER.contains(&w.as_slice()));
    is_secret && !last_other
}

/// Gradle's `gradle.properties` (project or `~/.gradle/`), a Java properties file: the
/// value of every property whose name holds a credential (`signing.password`,
/// `mavenCentralPassword`, `gpr.key`, `MYAPP_UPLOAD_STORE_PASSWORD`,
/// `signingInMemoryKey`...; not `signing.keyId` or `signing.secretKeyRingFile`), `=`, `:`
/// or a space separating it, `\` continuing a value on the next line
/// (<https://docs.gradle.org/current/userguide/build_environment.html#sec:gradle_configuration_properties>,
/// <https://docs.oracle.com/javase/8/docs/api/java/util/Properties.html#load-java.io.Reader->).
pub(super) fn gradle_properties(input: &[u8], out: &mut Vec<Found>) {
    let mut it = lines(input).peekable();
    while let Some((start, line)) = it.next() {
        let t = line.trim_ascii_start();
        let lead = line.len() - t.len();
        if t.is_empty() || t[0] == b'#' || t[0] == b'!' {
            continue;
        }
        // The key ends at the first unescaped `=`, `:` or whitespace.
        let mut i = 0;
        while i < t.len() && !matches!(t[i], b'=' | b':' | b' ' | b'\t' | b'\x0c') {
            i += if t[i] == b'\\' { 2 } else { 1 };
        }
        let key = &t[..i.min(t.len())];
        let mut j = i.min(t.len());
        while j < t.len() && matches!(t[j], b' ' | b'\t' | b'\x0c') {
            j += 1;
        }
        if j < t.len() && matches!(t[j], b'=' | b':') {
            j += 1;
        }
        while j < t.len() && matches!(t[j], b' ' | b'\t' | b'\x0c') {
            j += 1;
        }
        let vstart = start + lead + j;
        let mut vend = start + line.len();
        // A line ending with an odd number of backslashes continues on the next.
        let mut last = line;
        while last.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1 {
            let Some((s, l)) = it.next() else { break };
            vend = s + l.len();
            last = l;
        }
        if is_secret_property(key) && vstart < vend {
            report(out, input, vstart..vend, key, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stores::{run, want};

    #[test]
    fn npmrc_auth() {
        // `_auth` is base64 of `ci-bot:Xk29-pLm4-Synthetic`; `_password` of `Zq8wV3m7Synth`.
        let file = "\u{feff}registry=https://registry.npmjs.org/\r
@corp:registry=https://npm.corp.test/\r
//registry.npmjs.org/:_authToken=npm_SynthTok3nXk29pLm4Zq8wV3m7AbCdEf012345\r
//npm.corp.test/:_auth=\"Y2ktYm90OlhrMjktcExtNC1TeW50aGV0aWM=\"\r
//npm.corp.test/legacy/:username=ci-bot\r
//npm.corp.test/legacy/:_password=WnE4d1YzbTdTeW50aA==\r
; always-auth=true\r
_authToken = 4c1e9a7f-Synthetic-7b2d\r
";
        assert_eq!(
            run(npmrc, file),
            want(&[
                (
                    "_authToken",
                    "npm_SynthTok3nXk29pLm4Zq8wV3m7AbCdEf012345",
                    None
                ),
                (
                    "_auth",
                    "Y2ktYm90OlhrMjktcExtNC1TeW50aGV0aWM=",
                    Some("ci-bot:Xk29-pLm4-Synthetic")
                ),
                ("_password", "WnE4d1YzbTdTeW50aA==", Some("Zq8wV3m7Synth")),
                ("_authToken", "4c1e9a7f-Synthetic-7b2d", None),
            ])
        );
    }

    #[test]
    fn npmrc_clean() {
        let file = "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n//npm.corp.test/:_auth=\n//npm.corp.test/:_auth=Y2ktYm90Og==\n# //registry.npmjs.org/:_authToken=npm_SynthTok3n\n//npm.corp.test/:_password=\"\"\nalways-auth=true\n";
        assert!(run(npmrc, file).is_empty(), "{:?}", run(npmrc, file));
    }

    #[test]
    fn my_cnf_groups() {
        let file = "[client]\nuser=app\npassword=\"Xk29-pLm4 #notcomment\"\n\n[mysqldump]\npassword = Zq8wV3m7-Synth # the dump role\n[mysql]\npassword2='mfa-Pw-9Synth'\n";
        assert_eq!(
            run(my_cnf, file),
            want(&[
                ("password", "Xk29-pLm4 #notcomment", None),
                ("password", "Zq8wV3m7-Synth", None),
                ("password2", "mfa-Pw-9Synth", None),
            ])
        );
    }

    #[test]
    fn my_cnf_clean() {
        let file = "[client]\nuser=app\npassword\n# password=Xk29-pLm4\n[mysql]\npassword=\"\"\npassword=${MYSQL_PWD}\n";
        assert!(run(my_cnf, file).is_empty(), "{:?}", run(my_cnf, file));
    }

    #[test]
    fn pypirc_servers() {
        let file = "[distutils]\nindex-servers =\n    pypi\n    corp\n\n[pypi]\nusername = __token__\npassword = pypi-SynthAgEIcHlwaS5vcmcXk29pLm4Zq8wV3m7\n\n[corp]\nrepository: https://pypi.corp.test/\nusername: ci\npassword: Xk29-pLm4-Synth\n";
        assert_eq!(
            run(pypirc, file),
            want(&[
                (
                    "password",
                    "pypi-SynthAgEIcHlwaS5vcmcXk29pLm4Zq8wV3m7",
                    None
                ),
                ("password", "Xk29-pLm4-Synth", None),
            ])
        );
    }

    #[test]
    fn pypirc_clean() {
        let file = "[pypi]\nusername = __token__\npassword =\n[corp]\nusername: ci\npassword: %(PYPI_PASSWORD)s\n";
        assert!(run(pypirc, file).is_empty());
    }

    #[test]
    fn pip_conf_urls() {
        let file = "[global]\ntimeout = 60\nindex-url = https://ci:Xk29-pLm4@pypi.corp.test/simple\nextra-index-url =\n    https://pypi.org/simple\n    https://__token__:glpat-Synth7Zq8wV3m@gitlab.corp.test/api/v4/projects/1/packages/pypi/simple\n";
        assert_eq!(
            run(pip_conf, file),
            want(&[
                ("password", "Xk29-pLm4", None),
                ("password", "glpat-Synth7Zq8wV3m", None),
            ])
        );
    }

    #[test]
    fn pip_conf_clean() {
        let file = "[global]\nindex-url = https://pypi.corp.test/simple\nextra-index-url = https://ci@pypi.corp.test/simple\n# index-url = https://ci:Xk29-pLm4@pypi.corp.test/simple\n[install]\nfind-links = https://ci:${PIP_PASSWORD}@pypi.corp.test/links\n";
        assert!(run(pip_conf, file).is_empty(), "{:?}", run(pip_conf, file));
    }

    #[test]
    fn s3cfg_keys() {
        let file = "[default]\naccess_key = AKIA2SYNTH7XK29PLM4Q\nsecret_key = p0vaxfZaG4oES1L7rCYnnPuOXAqtlOZ8Synth/7k\naccess_token = \ngpg_passphrase = Zq8-wV3m-Synth\nhost_base = s3.amazonaws.com\n";
        assert_eq!(
            run(s3cfg, file),
            want(&[
                (
                    "secret_key",
                    "p0vaxfZaG4oES1L7rCYnnPuOXAqtlOZ8Synth/7k",
                    None
                ),
                ("gpg_passphrase", "Zq8-wV3m-Synth", None),
            ])
        );
        let clean = "[default]\naccess_key = \nsecret_key = \ngpg_passphrase = \n";
        assert!(run(s3cfg, clean).is_empty());
    }

    #[test]
    fn aws_profiles() {
        let file = "[default]\r\naws_access_key_id = AKIA2SYNTH7XK29PLM4Q\r\naws_secret_access_key = d3i17Q6dvnXI5k7mUoAXOTuqROHjpRSwBLa5z8kz\r\n\r\n[profile ci]\r\nregion = eu-west-1\r\nAWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjSynthXk29pLm4Zq8wV3m7==\r\n";
        assert_eq!(
            run(aws_credentials, file),
            want(&[
                (
                    "aws_secret_access_key",
                    "d3i17Q6dvnXI5k7mUoAXOTuqROHjpRSwBLa5z8kz",
                    None
                ),
                (
                    "AWS_SESSION_TOKEN",
                    "IQoJb3JpZ2luX2VjSynthXk29pLm4Zq8wV3m7==",
                    None
                ),
            ])
        );
        let clean = "[default]\naws_access_key_id = AKIA2SYNTH7XK29PLM4Q\naws_secret_access_key =\n[profile sso]\nsso_start_url = https://corp.awsapps.com/start\ncredential_process = /usr/bin/creds\naws_secret_access_key = {{ aws_secret }}\n";
        assert!(run(aws_credentials, clean).is_empty());
    }

    #[test]
    fn cargo_tokens() {
        let file = "[registry]\ntoken = \"cioSynthXk29pLm4Zq8wV3m7AbCdEfGh01\" # crates.io\n\n[registries.corp]\ntoken = \"Bearer Zq8wV3m7-Synth\"\nsecret-key = \"k3.secret.SynthXk29pLm4\"\n";
        assert_eq!(
            run(cargo_credentials, file),
            want(&[
                ("token", "cioSynthXk29pLm4Zq8wV3m7AbCdEfGh01", None),
                ("token", "Bearer Zq8wV3m7-Synth", None),
                ("secret-key", "k3.secret.SynthXk29pLm4", None),
            ])
        );
        let clean = "[registry]\ntoken = \"\"\n[registries.corp]\nindex = \"sparse+https://crates.corp.test/\"\ncredential-provider = \"cargo:token\"\n";
        assert!(run(cargo_credentials, clean).is_empty());
    }

    #[test]
    fn gradle_secret_properties() {
        let file = "org.gradle.jvmargs=-Xmx2g\nsigning.keyId=24875D73\nsigning.password=Xk29-pLm4-Synth\nsigning.secretKeyRingFile=/home/ci/.gnupg/secring.gpg\nmavenCentralPassword : Zq8wV3m7Synth\ngpr.key gprSynth7Xk29pLm4Zq8wV3m7AbCdEfGh01234\nMYAPP_UPLOAD_KEY_ALIAS=upload\nMYAPP_UPLOAD_STORE_PASSWORD=st0re-Pw-Synth\nsigningInMemoryKey=line1\\\n  line2\nsystemProp.http.proxyPassword=pr0xy-Synth\n";
        assert_eq!(
            run(gradle_properties, file),
            want(&[
                ("signing.password", "Xk29-pLm4-Synth", None),
                ("mavenCentralPassword", "Zq8wV3m7Synth", None),
                ("gpr.key", "gprSynth7Xk29pLm4Zq8wV3m7AbCdEfGh01234", None),
                ("MYAPP_UPLOAD_STORE_PASSWORD", "st0re-Pw-Synth", None),
                ("signingInMemoryKey", "line1\\\n  line2", None),
                ("systemProp.http.proxyPassword", "pr0xy-Synth", None),
            ])
        );
    }

    #[test]
    fn gradle_clean() {
        let file = "org.gradle.jvmargs=-Xmx2g\nsigning.keyId=24875D73\nsigning.password=\nsigning.secretKeyRingFile=/home/ci/.gnupg/secring.gpg\n# mavenCentralPassword=Zq8wV3m7Synth\nmavenCentralPassword=${env.MAVEN_PASSWORD}\nMYAPP_UPLOAD_KEY_ALIAS=upload\nMYAPP_UPLOAD_STORE_FILE=upload.keystore\n";
        assert!(
            run(gradle_properties, file).is_empty(),
            "{:?}",
            run(gradle_properties, file)
        );
    }
}
