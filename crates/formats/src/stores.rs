//! Credential stores and the configuration files of command-line clients and package
//! managers: `.git-credentials`, `.netrc`, `.pgpass`, Docker's `config.json`, kubeconfig...
//!
//! The parsers are grouped by the shape of the files they read: one entry per line
//! ([`lines`]), `key = value` sections ([`ini`]), JSON ([`json`]), YAML ([`yaml`]) and XML
//! ([`xml`]).

use crate::Found;

mod ini;
mod json;
mod lines;
mod xml;
mod yaml;

/// A parser: appends the credentials it finds in the input.
type Run = fn(&[u8], &mut Vec<Found>);

/// The parsers of this module, by name.
pub(crate) const PARSERS: &[(&str, Run)] = &[
    ("pgpass", lines::pgpass),
    ("netrc", lines::netrc),
    ("git-credentials", lines::git_credentials),
    ("docker-config", json::docker_config),
    ("npmrc", ini::npmrc),
    ("yarnrc", yaml::yarnrc),
    ("kubeconfig", yaml::kubeconfig),
    ("kubernetes-secret", yaml::kube_secret),
    ("aws-credentials", ini::aws_credentials),
    ("gcloud-credentials", json::gcloud_credentials),
    ("my-cnf", ini::my_cnf),
    ("pypirc", ini::pypirc),
    ("pip-conf", ini::pip_conf),
    ("s3cfg", ini::s3cfg),
    ("github-cli", yaml::github_cli),
    ("tugboat", yaml::tugboat),
    ("heroku-json", json::heroku_json),
    ("azure-publish-profile", xml::azure_publish_profile),
    ("terraform-state", json::terraform_state),
    ("maven-settings", xml::maven_settings),
    ("nuget-config", xml::nuget_config),
    ("gradle-properties", ini::gradle_properties),
    ("composer-auth", json::composer_auth),
    ("cargo-credentials", ini::cargo_credentials),
    ("jenkins-credentials", xml::jenkins_credentials),
];

/// What a parser finds in `input`: `(field, value, decoded)` for each credential.
#[cfg(test)]
pub(crate) fn run(f: Run, input: &str) -> Vec<(String, String, Option<String>)> {
    let mut out = Vec::new();
    f(input.as_bytes(), &mut out);
    out.iter()
        .map(|x| {
            (
                x.field.clone(),
                input[x.span.clone()].to_string(),
                x.decoded
                    .as_ref()
                    .map(|d| String::from_utf8_lossy(d).into_owned()),
            )
        })
        .collect()
}

/// `(field, value, decoded)` triples for comparing with [`run`]'s.
#[cfg(test)]
pub(crate) fn want(v: &[(&str, &str, Option<&str>)]) -> Vec<(String, String, Option<String>)> {
    v.iter()
        .map(|(f, v, d)| (f.to_string(), v.to_string(), d.map(str::to_string)))
        .collect()
}

#[cfg(test)]
mod tests {
    /// Every parser survives arbitrary bytes: no panic, and every span lies in the input.
    #[test]
    fn hostile_input() {
        let mut junk = Vec::new();
        let mut x: u32 = 7;
        let alphabet = b"{}[]\":,<>/=!-'\\\n\r #abc|:password machine login auth kind: Secret data:\n  users:\n  token: \xff\xfe";
        for _ in 0..50_000 {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            junk.push(alphabet[(x >> 16) as usize % alphabet.len()]);
        }
        for (name, f) in super::PARSERS {
            for len in [0, 1, 3, 64, 4096, junk.len()] {
                let input = &junk[..len];
                let mut out = Vec::new();
                f(input, &mut out);
                for found in &out {
                    assert!(
                        found.span.end <= input.len() && found.span.start < found.span.end,
                        "{name}"
                    );
                }
            }
        }
    }
}
