//! YAML credential files: kubeconfig, Kubernetes `Secret` manifests, hub's and GitHub
//! CLI's configuration, tugboat's `.tugboat`, Yarn's `.yarnrc.yml`.

use std::ops::Range;

use crate::Found;
use crate::util::{Json, base64_decode, json_walk, key_is, report, yaml_entries};

/// Whether `input` is JSON rather than YAML (its first non-blank byte opens an object).
fn is_json(input: &[u8]) -> bool {
    let i = if input.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    input[i.min(input.len())..]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        == Some(&b'{')
}

/// The kubeconfig fields of a user that hold a credential; `client-key-data` is a base64
/// PEM private key.
const KUBE_USER_FIELDS: &[&str] = &[
    "token",
    "password",
    "client-key-data",
    "client-secret",
    "refresh-token",
    "id-token",
    "access-token",
];

/// Reports a kubeconfig user field.
fn kube_field(out: &mut Vec<Found>, input: &[u8], key: Range<usize>, v: Range<usize>) {
    let name = &input[key];
    if !KUBE_USER_FIELDS
        .iter()
        .any(|f| name.eq_ignore_ascii_case(f.as_bytes()))
    {
        return;
    }
    let decoded = if name.eq_ignore_ascii_case(b"client-key-data") {
        match base64_decode(&input[v.clone()]) {
            Some(d) => Some(d),
            None => return,
        }
    } else {
        None
    };
    report(out, input, v, name, decoded);
}

/// kubeconfig (`~/.kube/config`, the files KUBECONFIG lists, YAML or JSON): in `users`,
/// each user's `token`, `password`, `client-key-data` (a base64 PEM private key, decoded)
/// and the `auth-provider` config's `client-secret`, `refresh-token`, `id-token` and
/// `access-token` (<https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/>).
pub(super) fn kubeconfig(input: &[u8], out: &mut Vec<Found>) {
    if is_json(input) {
        json_walk(input, |input, path, k, ev| {
            if let (Json::Str(v), Some(k)) = (ev, k)
                && path.iter().any(|p| key_is(input, p, "users"))
            {
                kube_field(out, input, k, v);
            }
        });
        return;
    }
    yaml_entries(input, |input, e| {
        let in_users = e
            .path
            .first()
            .is_some_and(|(col, k)| *col == 0 && &input[k.clone()] == b"users");
        if let (true, Some(v)) = (in_users, e.value.clone()) {
            kube_field(out, input, e.key.clone(), v);
        }
    });
}

/// A value of a Secret's `data` (base64, decoded: a value that does not decode is no
/// credential) or `stringData`.
struct SecretValue {
    key: Range<usize>,
    value: Range<usize>,
    encoded: bool,
}

/// Whether a Secret's key names something that is not secret: a user name, a namespace,
/// a host or port, a certificate.
fn is_public_secret_key(key: &[u8]) -> bool {
    let k = key.to_ascii_lowercase();
    [
        &b"user"[..],
        b"username",
        b"namespace",
        b".crt",
        b"host",
        b"port",
    ]
    .iter()
    .any(|s| k.ends_with(s))
}

/// Reports the values of a Secret.
fn flush_secret(out: &mut Vec<Found>, input: &[u8], values: &mut Vec<SecretValue>, secret: bool) {
    for s in values.drain(..) {
        if !secret || is_public_secret_key(&input[s.key.clone()]) {
            continue;
        }
        let decoded = if s.encoded {
            match base64_decode(&input[s.value.clone()]) {
                Some(d) => Some(d),
                None => continue,
            }
        } else {
            None
        };
        let shown = decoded.as_deref().unwrap_or(&input[s.value.clone()]);
        if shown.starts_with(b"-----BEGIN CERTIFICATE-----") {
            continue;
        }
        report(out, input, s.value, &input[s.key], decoded);
    }
}

/// Kubernetes `Secret` manifests (`kind: Secret`, YAML with any number of documents, or
/// JSON as `kubectl get secret -o json` writes it): every value of `data` (base64, decoded)
/// and of `stringData`
/// (<https://kubernetes.io/docs/concepts/configuration/secret/>,
/// <https://kubernetes.io/docs/reference/kubernetes-api/config-and-storage-resources/secret-v1/>).
pub(super) fn kube_secret(input: &[u8], out: &mut Vec<Found>) {
    let mut values = Vec::new();
    let mut secret = false;
    if is_json(input) {
        json_walk(input, |input, path, k, ev| {
            let Json::Str(v) = ev else { return };
            if key_is(input, &k, "kind") && &input[v.clone()] == b"Secret" {
                secret = true;
            }
            let Some(k) = k else { return };
            let parent = path.last().cloned().flatten();
            let encoded = if key_is(input, &parent, "data") {
                true
            } else if key_is(input, &parent, "stringData") {
                false
            } else {
                return;
            };
            values.push(SecretValue {
                key: k,
                value: v,
                encoded,
            });
        });
        flush_secret(out, input, &mut values, secret);
        return;
    }
    let mut doc = 0;
    yaml_entries(input, |input, e| {
        if e.doc != doc {
            flush_secret(out, input, &mut values, secret);
            secret = false;
            doc = e.doc;
        }
        let Some(v) = e.value.clone() else { return };
        if &input[e.key.clone()] == b"kind" && &input[v.clone()] == b"Secret" {
            secret = true;
        }
        match e.path.last().map(|(_, k)| &input[k.clone()]) {
            Some(b"data") => values.push(SecretValue {
                key: e.key.clone(),
                value: v,
                encoded: true,
            }),
            Some(b"stringData") => values.push(SecretValue {
                key: e.key.clone(),
                value: v,
                encoded: false,
            }),
            _ => {}
        }
    });
    flush_secret(out, input, &mut values, secret);
}

/// Reports every scalar whose key is one of `fields`.
fn yaml_fields(input: &[u8], out: &mut Vec<Found>, fields: &[&str]) {
    yaml_entries(input, |input, e| {
        let Some(v) = e.value.clone() else { return };
        let key = &input[e.key.clone()];
        if fields
            .iter()
            .any(|f| key.eq_ignore_ascii_case(f.as_bytes()))
        {
            report(out, input, v, key, None);
        }
    });
}

/// hub's configuration (`~/.config/hub`) and GitHub CLI's `~/.config/gh/hosts.yml`: the
/// `oauth_token` of each host (<https://hub.github.com/hub.1.html#configuration>,
/// <https://cli.github.com/manual/gh_auth_login>).
pub(super) fn github_cli(input: &[u8], out: &mut Vec<Found>) {
    yaml_fields(input, out, &["oauth_token"]);
}

/// tugboat's `~/.tugboat` (a DigitalOcean command-line client): `authentication`'s
/// `client_key`, `api_key` (API v1) and `access_token` (API v2)
/// (<https://github.com/petems/tugboat#configure>).
pub(super) fn tugboat(input: &[u8], out: &mut Vec<Found>) {
    yaml_fields(input, out, &["client_key", "api_key", "access_token"]);
}

/// Yarn (2+)'s `.yarnrc.yml`: `npmAuthToken`, and `npmAuthIdent` (`user:password`, plain
/// or base64, decoded), at the top or per registry or scope
/// (<https://yarnpkg.com/configuration/yarnrc#npmAuthToken>).
pub(super) fn yarnrc(input: &[u8], out: &mut Vec<Found>) {
    yaml_entries(input, |input, e| {
        let Some(v) = e.value.clone() else { return };
        let key = &input[e.key.clone()];
        if key == b"npmAuthToken" {
            report(out, input, v, key, None);
        } else if key == b"npmAuthIdent" {
            let raw = &input[v.clone()];
            if memchr::memchr(b':', raw).is_some() {
                report(out, input, v, key, None);
            } else if let Some(d) = base64_decode(raw)
                && memchr::memchr(b':', &d).is_some_and(|c| c + 1 < d.len())
            {
                report(out, input, v, key, Some(d));
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stores::{run, want};

    const KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    server: https://k8s.corp.test:6443
  name: prod
users:
- name: admin
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    client-key-data: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tClN5bnRoZXRpYwo=
- name: ci
  user:
    token: \"eyJhbGciOiJSUzI1NiJ9.SynthXk29pLm4.Zq8wV3m7\"
- name: basic
  user:
    username: ops
    password: Xk29-pLm4-Synth # kept out of git, supposedly
- name: oidc
  user:
    auth-provider:
      name: oidc
      config:
        client-id: kubectl
        client-secret: Zq8wV3m7-SynthSecret
        refresh-token: rt-Synth-7Xk29
contexts:
- context: {cluster: prod, user: admin}
  name: prod
current-context: prod
";

    #[test]
    fn kubeconfig_users() {
        assert_eq!(
            run(kubeconfig, KUBECONFIG),
            want(&[
                (
                    "client-key-data",
                    "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tClN5bnRoZXRpYwo=",
                    Some("-----BEGIN PRIVATE KEY-----\nSynthetic\n")
                ),
                ("token", "eyJhbGciOiJSUzI1NiJ9.SynthXk29pLm4.Zq8wV3m7", None),
                ("password", "Xk29-pLm4-Synth", None),
                ("client-secret", "Zq8wV3m7-SynthSecret", None),
                ("refresh-token", "rt-Synth-7Xk29", None),
            ])
        );
        let json = r#"{"kind": "Config", "users": [{"name": "ci", "user": {"token": "SynthTok3n-Xk29pLm4"}}],
            "clusters": [{"name": "prod", "cluster": {"server": "https://k8s.corp.test"}}]}"#;
        assert_eq!(
            run(kubeconfig, json),
            want(&[("token", "SynthTok3n-Xk29pLm4", None)])
        );
    }

    #[test]
    fn kubeconfig_clean() {
        let file = "apiVersion: v1
kind: Config
users:
- name: ci
  user:
    token: ${K8S_TOKEN}
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, prod]
- name: admin
  user:
    client-certificate: /home/ops/.kube/admin.crt
    client-key: /home/ops/.kube/admin.key
    password: \"\"
preferences:
  token: not-a-user-field
";
        assert!(
            run(kubeconfig, file).is_empty(),
            "{:?}",
            run(kubeconfig, file)
        );
    }

    #[test]
    fn secret_documents() {
        // `data` values: base64 of `Xk29-pLm4-Synth` and `app`.
        let file = "apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  LOG_LEVEL: debug
---
apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
data:
  DB_PASSWORD: WGsyOS1wTG00LVN5bnRo
  DB_USER: YXBw
  ca.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJTeW50aAo=
  namespace: ZGVmYXVsdA==
stringData:
  API_TOKEN: 'Zq8wV3m7-SynthToken'
  config.yaml: |
    url: https://api.corp.test
    key: SynthKey7
";
        assert_eq!(
            run(kube_secret, file),
            want(&[
                (
                    "DB_PASSWORD",
                    "WGsyOS1wTG00LVN5bnRo",
                    Some("Xk29-pLm4-Synth")
                ),
                ("API_TOKEN", "Zq8wV3m7-SynthToken", None),
                (
                    "config.yaml",
                    "url: https://api.corp.test\n    key: SynthKey7",
                    None
                ),
            ])
        );
        let json =
            r#"{"apiVersion": "v1", "data": {"token": "WGsyOS1wTG00LVN5bnRo"}, "kind": "Secret"}"#;
        assert_eq!(
            run(kube_secret, json),
            want(&[("token", "WGsyOS1wTG00LVN5bnRo", Some("Xk29-pLm4-Synth"))])
        );
    }

    #[test]
    fn secret_clean() {
        // A Helm template, an empty value, a non-Secret's data, a value that is not base64,
        // and `Y2hhbmdlbWU=` (`changeme`).
        let file = "apiVersion: v1
kind: Secret
metadata:
  name: db
data:
  DB_PASSWORD: {{ .Values.db.password | b64enc | quote }}
  EMPTY: \"\"
  PLACEHOLDER: Y2hhbmdlbWU=
  NOT_B64: \"@@not base64@@\"
  CERT: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJTeW50aAo=
stringData:
  API_TOKEN: ${API_TOKEN}
---
kind: ConfigMap
data:
  password: WGsyOS1wTG00LVN5bnRo
";
        assert!(
            run(kube_secret, file).is_empty(),
            "{:?}",
            run(kube_secret, file)
        );
    }

    #[test]
    fn github_cli_hosts() {
        let hub = "github.com:\n- user: octo-dev\n  oauth_token: 5e1f0c3a9b7d2e4f6a8c0b1d3e5f7a9c1b3d5e7f\n  protocol: https\n";
        let gh = "github.com:\n    users:\n        octo-dev:\n            oauth_token: gho_SynthXk29pLm4Zq8wV3m7AbCdEfGh0123\n    git_protocol: ssh\n    oauth_token: gho_SynthXk29pLm4Zq8wV3m7AbCdEfGh0123\n    user: octo-dev\n";
        assert_eq!(
            run(github_cli, hub),
            want(&[(
                "oauth_token",
                "5e1f0c3a9b7d2e4f6a8c0b1d3e5f7a9c1b3d5e7f",
                None
            )])
        );
        assert_eq!(run(github_cli, gh).len(), 2);
        let clean = "github.com:\n- user: octo-dev\n  oauth_token: \"\"\n  protocol: https\n";
        assert!(run(github_cli, clean).is_empty());
    }

    #[test]
    fn tugboat_keys() {
        let file = "---\nauthentication:\n  client_key: 3f9c1a7e5b2d4c6e8a0f\n  api_key: 9d8c7b6a5f4e3d2c1b0aSynth\nssh:\n  ssh_user: root\n  ssh_key_path: ~/.ssh/id_rsa\n  ssh_port: '22'\ndefaults:\n  region: nyc2\n";
        assert_eq!(
            run(tugboat, file),
            want(&[
                ("client_key", "3f9c1a7e5b2d4c6e8a0f", None),
                ("api_key", "9d8c7b6a5f4e3d2c1b0aSynth", None),
            ])
        );
        let clean =
            "---\nauthentication:\n  client_key: ''\n  api_key: ''\nssh:\n  ssh_user: root\n";
        assert!(run(tugboat, clean).is_empty());
    }

    #[test]
    fn yarnrc_auth() {
        // base64 of `ci-bot:Xk29-pLm4-Synthetic`.
        let file = "nodeLinker: node-modules\nnpmRegistryServer: \"https://npm.corp.test\"\nnpmAuthToken: SynthTok3n-Zq8wV3m7\nnpmScopes:\n  corp:\n    npmAuthIdent: \"Y2ktYm90OlhrMjktcExtNC1TeW50aGV0aWM=\"\n    npmAlwaysAuth: true\n";
        assert_eq!(
            run(yarnrc, file),
            want(&[
                ("npmAuthToken", "SynthTok3n-Zq8wV3m7", None),
                (
                    "npmAuthIdent",
                    "Y2ktYm90OlhrMjktcExtNC1TeW50aGV0aWM=",
                    Some("ci-bot:Xk29-pLm4-Synthetic")
                ),
            ])
        );
        let clean = "npmAuthToken: \"${NPM_TOKEN}\"\nnpmScopes:\n  corp:\n    npmAuthIdent: \"${NPM_IDENT}\"\n";
        assert!(run(yarnrc, clean).is_empty());
    }
}
