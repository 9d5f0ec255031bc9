//! JSON credential files: Docker's `config.json` and `.dockercfg`, Google Cloud credential
//! files, Composer's `auth.json`, Terraform state, Heroku API keys.

use std::ops::Range;

use crate::Found;
use crate::util::{Json, base64_decode, json_walk, key_is, report};

/// The key's bytes (empty for none).
fn key<'a>(input: &'a [u8], k: &Option<Range<usize>>) -> &'a [u8] {
    k.as_ref()
        .and_then(|r| input.get(r.clone()))
        .unwrap_or_default()
}

/// Docker's client configuration (`~/.docker/config.json`: `{"auths": {"REGISTRY": {"auth":
/// …}}}`) and its predecessor `~/.dockercfg` (`{"REGISTRY": {"auth": …}}`): `auth` is
/// base64 `user:password` (decoded; a value that does not decode to a user and a non-empty
/// password is no credential), `identitytoken` and `registrytoken` are tokens, and
/// `password` a password (<https://docs.docker.com/reference/cli/docker/#configuration-files>,
/// <https://docs.docker.com/reference/cli/docker/login/>).
pub(super) fn docker_config(input: &[u8], out: &mut Vec<Found>) {
    json_walk(input, |input, _path, k, ev| {
        let Json::Str(v) = ev else { return };
        let name = key(input, &k);
        if name.eq_ignore_ascii_case(b"auth") {
            let Some(d) = base64_decode(&input[v.clone()]) else {
                return;
            };
            match memchr::memchr(b':', &d) {
                Some(c) if c + 1 < d.len() => report(out, input, v, name, Some(d)),
                _ => {}
            }
        } else if name.eq_ignore_ascii_case(b"identitytoken")
            || name.eq_ignore_ascii_case(b"registrytoken")
            || name.eq_ignore_ascii_case(b"password")
        {
            report(out, input, v, name, None);
        }
    });
}

/// Google Cloud credential files: Application Default Credentials and gcloud's user
/// credentials (`application_default_credentials.json`, `legacy_credentials/*/adc.json`:
/// `client_secret` and `refresh_token` of an `authorized_user`) and service-account keys
/// (`private_key`, a PEM PKCS#8 key with JSON-escaped newlines)
/// (<https://cloud.google.com/docs/authentication/application-default-credentials>,
/// <https://cloud.google.com/iam/docs/keys-create-delete>).
pub(super) fn gcloud_credentials(input: &[u8], out: &mut Vec<Found>) {
    json_walk(input, |input, path, k, ev| {
        let Json::Str(v) = ev else { return };
        // The top-level members only: nested ones belong to something else.
        if path.len() != 1 {
            return;
        }
        let name = key(input, &k);
        if matches!(
            name,
            b"private_key" | b"client_secret" | b"refresh_token" | b"access_token"
        ) {
            report(out, input, v, name, None);
        }
    });
}

/// A Heroku API key stored in JSON (`{"HEROKU_API_KEY": "…"}`, `{"api_key": "…"}`), as CI
/// and deployment tools keep it (<https://devcenter.heroku.com/articles/authentication>).
pub(super) fn heroku_json(input: &[u8], out: &mut Vec<Found>) {
    json_walk(input, |input, _path, k, ev| {
        let Json::Str(v) = ev else { return };
        let name = key(input, &k);
        if name.eq_ignore_ascii_case(b"HEROKU_API_KEY")
            || name.eq_ignore_ascii_case(b"api_key")
            || name == b"apiKey"
        {
            report(out, input, v, name, None);
        }
    });
}

/// Composer's `auth.json` (per project or in COMPOSER_HOME), or the same sections in
/// `composer.json`'s `config`: `http-basic.HOST.password`, `github-oauth.HOST`,
/// `gitlab-oauth.HOST`, `gitlab-token.HOST` (a string, or `{"username", "token"}`),
/// `bitbucket-oauth.HOST.consumer-secret`, `bearer.HOST` and `forgejo-token.HOST.token`
/// (<https://getcomposer.org/doc/articles/authentication-for-private-packages.md>).
pub(super) fn composer_auth(input: &[u8], out: &mut Vec<Found>) {
    json_walk(input, |input, path, k, ev| {
        let Json::Str(v) = ev else { return };
        let name = key(input, &k);
        let up = |n: usize| {
            path.len()
                .checked_sub(n)
                .map_or(&b""[..], |i| key(input, &path[i]))
        };
        let field: &[u8] = match (up(1), up(2), name) {
            (b"github-oauth" | b"gitlab-oauth" | b"gitlab-token" | b"bearer", _, _) => up(1),
            (_, b"http-basic", b"password")
            | (_, b"gitlab-token" | b"forgejo-token", b"token")
            | (_, b"bitbucket-oauth", b"consumer-secret") => up(2),
            _ => return,
        };
        report(out, input, v, field, None);
    });
}

/// Whether a Terraform attribute name holds a credential.
fn is_secret_attribute(name: &[u8]) -> bool {
    let n = name.to_ascii_lowercase();
    const HOLDS: &[&[u8]] = &[
        b"password",
        b"passwd",
        b"secret",
        b"token",
        b"private_key",
        b"access_key",
        b"api_key",
        b"apikey",
        b"connection_string",
        b"client_key",
        b"master_key",
        b"shared_key",
        b"auth_key",
        b"kube_config",
        b"kube_admin_config",
    ];
    const NOT: &[&[u8]] = &[
        b"_id",
        b"_ids",
        b"_arn",
        b"_name",
        b"_type",
        b"_length",
        b"_version",
        b"_ttl",
        b"_url",
        b"_uri",
        b"_fingerprint",
        b"_policy",
        b"_enabled",
        b"_count",
        b"_path",
        b"_file",
        b"_algorithm",
        b"_prefix",
        b"_location",
        b"_expiration",
        b"_wo_version",
        b"_hash",
        b"_rotation",
        b"_reset",
    ];
    HOLDS.iter().any(|h| memchr::memmem::find(&n, h).is_some())
        && !NOT.iter().any(|s| n.ends_with(s))
}

/// A string in a resource instance's `attributes`: its top-level attribute and own key.
struct Attr {
    top: Vec<u8>,
    leaf: Vec<u8>,
    value: Range<usize>,
}

/// Terraform state (`*.tfstate`, `*.tfstate.backup`, the JSON of format version 3 or 4):
/// every string in a resource instance's `attributes` whose name holds a credential
/// (`password`, `secret`, `token`, `private_key_pem`, `access_key`, `connection_string`…;
/// not `*_id`, `*_arn`, `*_name`…), those the instance lists in `sensitive_attributes`,
/// `random_password`'s `result` and the value of every output marked `sensitive`
/// (<https://developer.hashicorp.com/terraform/language/state/sensitive-data>,
/// <https://developer.hashicorp.com/terraform/internals/json-format#state-representation>).
pub(super) fn terraform_state(input: &[u8], out: &mut Vec<Found>) {
    let mut resource_type: Vec<u8> = Vec::new();
    let mut attrs: Vec<Attr> = Vec::new();
    let mut sensitive: Vec<Vec<u8>> = Vec::new();
    let mut output: Vec<Range<usize>> = Vec::new();
    let mut output_sensitive = false;
    let flush = |out: &mut Vec<Found>,
                 attrs: &mut Vec<Attr>,
                 sensitive: &mut Vec<Vec<u8>>,
                 resource_type: &[u8]| {
        for a in attrs.drain(..) {
            let random = resource_type == b"random_password" && a.top == b"result";
            if random || is_secret_attribute(&a.leaf) || sensitive.contains(&a.top) {
                report(out, input, a.value, &a.leaf, None);
            }
        }
        sensitive.clear();
    };
    json_walk(input, |input, path, k, ev| {
        let at = |i: usize| path.get(i).map_or(&b""[..], |p| key(input, p));
        let name = key(input, &k);
        // Outputs: {"outputs": {"NAME": {"value": …, "type": …, "sensitive": true}}}.
        if path.len() >= 3 && at(1) == b"outputs" {
            match &ev {
                Json::Other(b"true") if path.len() == 3 && name == b"sensitive" => {
                    output_sensitive = true
                }
                Json::Str(v) if (path.len() == 3 && name == b"value") || at(3) == b"value" => {
                    output.push(v.clone())
                }
                _ => {}
            }
        }
        if let Json::Close = ev
            && path.len() == 2
            && at(1) == b"outputs"
        {
            for v in output.drain(..) {
                if output_sensitive {
                    report(out, input, v, name, None);
                }
            }
            output_sensitive = false;
        }
        // Resources, format 4: resources[].instances[].attributes; format 3:
        // modules[].resources.NAME.primary.attributes.
        if let Some(a) = path.iter().position(|p| key_is(input, p, "attributes")) {
            if let Json::Str(v) = ev {
                let top = if path.len() == a + 1 { name } else { at(a + 1) };
                attrs.push(Attr {
                    top: top.to_vec(),
                    leaf: name.to_vec(),
                    value: v,
                });
            }
            return;
        }
        if let Some(s) = path
            .iter()
            .position(|p| key_is(input, p, "sensitive_attributes"))
        {
            // [[{"type": "get_attr", "value": "password"}, …], …]: the first step of each
            // path names the top-level attribute.
            if let Json::Str(v) = ev
                && name == b"value"
                && path.len() <= s + 3
            {
                sensitive.push(input[v].to_vec());
            }
            return;
        }
        match ev {
            Json::Str(v) if name == b"type" && path.len() == 3 && at(1) == b"resources" => {
                resource_type = input[v].to_vec();
            }
            // The end of an instance (format 4) or of a resource (format 3).
            Json::Close
                if (path.len() >= 2 && at(path.len() - 1) == b"instances")
                    || name == b"primary" =>
            {
                flush(out, &mut attrs, &mut sensitive, &resource_type);
            }
            _ => {}
        }
    });
    flush(out, &mut attrs, &mut sensitive, &resource_type);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stores::{run, want};

    #[test]
    fn docker_auths() {
        // base64 of `ci-bot:Xk29-pLm4-Synthetic` and `_token:Zq8wV3m7Synth`.
        let file = r#"{
	"auths": {
		"https://index.docker.io/v1/": {
			"auth": "Y2ktYm90OlhrMjktcExtNC1TeW50aGV0aWM="
		},
		"registry.corp.test:5000": {
			"auth": "X3Rva2VuOlpxOHdWM203U3ludGg"
		},
		"ghcr.io": {
			"identitytoken": "eySynthIdTok3n.Xk29pLm4"
		}
	},
	"credsStore": "desktop"
}"#;
        assert_eq!(
            run(docker_config, file),
            want(&[
                (
                    "auth",
                    "Y2ktYm90OlhrMjktcExtNC1TeW50aGV0aWM=",
                    Some("ci-bot:Xk29-pLm4-Synthetic")
                ),
                (
                    "auth",
                    "X3Rva2VuOlpxOHdWM203U3ludGg",
                    Some("_token:Zq8wV3m7Synth")
                ),
                ("identitytoken", "eySynthIdTok3n.Xk29pLm4", None),
            ])
        );
        // The legacy file: registries at the top.
        let legacy = r#"{"quay.io": {"auth": "Y2ktYm90OlhrMjktcExtNC1TeW50aGV0aWM=", "email": "ci@corp.test"}}"#;
        assert_eq!(run(docker_config, legacy).len(), 1);
    }

    #[test]
    fn docker_clean() {
        // base64 of `ci-bot:` (no password), `ci-bot` (no colon), and a template.
        let file = r#"{
  "auths": {
    "https://index.docker.io/v1/": {},
    "a.corp.test": {"auth": "Y2ktYm90Og=="},
    "b.corp.test": {"auth": "Y2ktYm90"},
    "c.corp.test": {"auth": "${DOCKER_AUTH}"},
    "d.corp.test": {"auth": ""},
    "e.corp.test": {"identitytoken": "{{ .Token }}"}
  },
  "credHelpers": {"123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login"}
}"#;
        assert!(
            run(docker_config, file).is_empty(),
            "{:?}",
            run(docker_config, file)
        );
    }

    #[test]
    fn gcloud_files() {
        let adc = r#"{
  "account": "",
  "client_id": "764086051850-SynthXk29pLm4.apps.googleusercontent.com",
  "client_secret": "GOCSPX-SynthZq8wV3m7Xk29pLm4AbCd",
  "quota_project_id": "shop-prod",
  "refresh_token": "1//0gSynth-Xk29pLm4Zq8wV3m7AbCdEfGhIjKlMnOp",
  "type": "authorized_user",
  "universe_domain": "googleapis.com"
}"#;
        assert_eq!(
            run(gcloud_credentials, adc),
            want(&[
                ("client_secret", "GOCSPX-SynthZq8wV3m7Xk29pLm4AbCd", None),
                (
                    "refresh_token",
                    "1//0gSynth-Xk29pLm4Zq8wV3m7AbCdEfGhIjKlMnOp",
                    None
                ),
            ])
        );
        let sa = r#"{
  "type": "service_account",
  "project_id": "shop-prod",
  "private_key_id": "3f9c1a7e5b2d4c6e8a0f3f9c1a7e5b2d4c6e8a0f",
  "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvSynthXk29pLm4\nZq8wV3m7==\n-----END PRIVATE KEY-----\n",
  "client_email": "deployer@shop-prod.iam.gserviceaccount.com",
  "client_id": "112233445566778899001",
  "auth_uri": "https://accounts.google.com/o/oauth2/auth",
  "token_uri": "https://oauth2.googleapis.com/token"
}"#;
        assert_eq!(
            run(gcloud_credentials, sa),
            want(&[(
                "private_key",
                r"-----BEGIN PRIVATE KEY-----\nMIIEvSynthXk29pLm4\nZq8wV3m7==\n-----END PRIVATE KEY-----\n",
                None
            )])
        );
    }

    #[test]
    fn gcloud_clean() {
        let file = r#"{"type": "external_account", "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/gh", "token_url": "https://sts.googleapis.com/v1/token", "credential_source": {"file": "/var/run/token", "format": {"type": "text"}}, "client_secret": "", "private_key": "${SA_KEY}"}"#;
        assert!(run(gcloud_credentials, file).is_empty());
    }

    #[test]
    fn heroku_keys() {
        let file = r#"{"app": "shop", "HEROKU_API_KEY": "4f3c2b1a-9d8e-4c7b-a6f5-0e1d2cSynth7"}"#;
        assert_eq!(
            run(heroku_json, file),
            want(&[(
                "HEROKU_API_KEY",
                "4f3c2b1a-9d8e-4c7b-a6f5-0e1d2cSynth7",
                None
            )])
        );
        assert!(
            run(
                heroku_json,
                r#"{"app": "shop", "HEROKU_API_KEY": "$HEROKU_API_KEY"}"#
            )
            .is_empty()
        );
    }

    #[test]
    fn composer_sections() {
        let file = r#"{
    "http-basic": {
        "repo.corp.test": {"username": "ci", "password": "Xk29-pLm4-Synth"}
    },
    "github-oauth": {"github.com": "gho_SynthXk29pLm4Zq8wV3m7AbCdEfGh0123"},
    "gitlab-token": {
        "gitlab.com": "glpat-SynthXk29pLm4Zq8w",
        "gitlab.corp.test": {"username": "ci", "token": "glpat-SynthZq8wV3m7Xk29"}
    },
    "bitbucket-oauth": {"bitbucket.org": {"consumer-key": "SynthKeyXk29", "consumer-secret": "SynthSecretZq8wV3m7"}},
    "bearer": {"packages.corp.test": "SynthBearerXk29pLm4"}
}"#;
        assert_eq!(
            run(composer_auth, file),
            want(&[
                ("http-basic", "Xk29-pLm4-Synth", None),
                (
                    "github-oauth",
                    "gho_SynthXk29pLm4Zq8wV3m7AbCdEfGh0123",
                    None
                ),
                ("gitlab-token", "glpat-SynthXk29pLm4Zq8w", None),
                ("gitlab-token", "glpat-SynthZq8wV3m7Xk29", None),
                ("bitbucket-oauth", "SynthSecretZq8wV3m7", None),
                ("bearer", "SynthBearerXk29pLm4", None),
            ])
        );
        // The same sections in composer.json's `config`.
        let composer = r#"{"name": "corp/shop", "require": {"php": "^8.2"}, "config": {"github-oauth": {"github.com": "gho_SynthXk29pLm4Zq8wV3m7AbCdEfGh0123"}}}"#;
        assert_eq!(run(composer_auth, composer).len(), 1);
    }

    #[test]
    fn composer_clean() {
        let file = r#"{"http-basic": {"repo.corp.test": {"username": "ci", "password": ""}}, "github-oauth": {}, "bearer": {"packages.corp.test": "${COMPOSER_BEARER}"}, "name": "corp/shop", "password": "not-a-composer-field"}"#;
        assert!(
            run(composer_auth, file).is_empty(),
            "{:?}",
            run(composer_auth, file)
        );
    }

    const TFSTATE: &str = r#"{
  "version": 4,
  "terraform_version": "1.9.5",
  "serial": 12,
  "lineage": "3f9c1a7e-5b2d-4c6e-8a0f-3f9c1a7e5b2d",
  "outputs": {
    "db_endpoint": {"value": "shop.cluster.eu-west-1.rds.amazonaws.com", "type": "string"},
    "admin_password": {"value": "Xk29-pLm4-SynthOut", "type": "string", "sensitive": true}
  },
  "resources": [
    {
      "mode": "managed",
      "type": "random_password",
      "name": "db",
      "provider": "provider[\"registry.terraform.io/hashicorp/random\"]",
      "instances": [
        {
          "schema_version": 3,
          "attributes": {"id": "none", "length": 24, "result": "Zq8wV3m7-SynthRandom", "special": true},
          "sensitive_attributes": []
        }
      ]
    },
    {
      "mode": "managed",
      "type": "aws_iam_access_key",
      "name": "ci",
      "instances": [
        {
          "attributes": {
            "id": "AKIA2SYNTH7XK29PLM4Q",
            "secret": "d3i17Q6dvnXI5k7mUoAXOTuqROHjpRSwSynth7kz",
            "ses_smtp_password_v4": "BSynthXk29pLm4Zq8wV3m7AbCdEfGhIjKlMn",
            "status": "Active",
            "user": "ci"
          },
          "sensitive_attributes": []
        }
      ]
    },
    {
      "mode": "managed",
      "type": "aws_db_instance",
      "name": "shop",
      "instances": [
        {
          "attributes": {"engine": "postgres", "master_user": "app", "db_creds": "app:PgSynth-7", "password_wo_version": null, "kms_key_id": "arn:aws:kms:eu-west-1:123456789012:key/abc"},
          "sensitive_attributes": [[{"type": "get_attr", "value": "db_creds"}]]
        }
      ]
    }
  ],
  "check_results": null
}"#;

    #[test]
    fn tfstate_values() {
        assert_eq!(
            run(terraform_state, TFSTATE),
            want(&[
                ("admin_password", "Xk29-pLm4-SynthOut", None),
                ("result", "Zq8wV3m7-SynthRandom", None),
                ("secret", "d3i17Q6dvnXI5k7mUoAXOTuqROHjpRSwSynth7kz", None),
                (
                    "ses_smtp_password_v4",
                    "BSynthXk29pLm4Zq8wV3m7AbCdEfGhIjKlMn",
                    None
                ),
                ("db_creds", "app:PgSynth-7", None),
            ])
        );
    }

    #[test]
    fn tfstate_clean() {
        let file = r#"{
  "version": 4,
  "terraform_version": "1.9.5",
  "outputs": {"db_endpoint": {"value": "shop.cluster.eu-west-1.rds.amazonaws.com", "type": "string"}},
  "resources": [
    {"mode": "managed", "type": "aws_secretsmanager_secret", "name": "db", "instances": [
      {"attributes": {"arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db", "name": "db", "kms_key_id": "", "recovery_window_in_days": 30, "secret_string": ""}, "sensitive_attributes": []}
    ]},
    {"mode": "managed", "type": "aws_iam_access_key", "name": "ci", "instances": [
      {"attributes": {"id": "AKIA2SYNTH7XK29PLM4Q", "secret": null, "encrypted_secret": "", "pgp_key": "keybase:ops", "status": "Active"}, "sensitive_attributes": []}
    ]}
  ]
}"#;
        assert!(
            run(terraform_state, file).is_empty(),
            "{:?}",
            run(terraform_state, file)
        );
    }
}
