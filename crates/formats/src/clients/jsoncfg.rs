//! JSON settings of editor plugins and desktop clients: SFTP/FTP plugins' server
//! configurations, Robo 3T / Robomongo connections, Firefox's saved logins.

use crate::Found;

use super::{json_strings, report};

/// Editor plugins' server configurations, all JSON (with comments for Sublime Text):
/// Sublime SFTP `sftp-config.json` (`"password"`), Atom remote-ftp `.ftpconfig` (`"pass"`,
/// `"passphrase"`), Atom remote-sync `.remote-sync.json` (`"password"`), the VS Code SFTP
/// extension's `.vscode/sftp.json` (`"password"`, `"passphrase"`, also in `"profiles"`),
/// and deployment files such as `deployment-config.json` (`"password"`)
/// (<https://codexns.io/products/sftp_for_subime/settings>,
/// <https://github.com/Natizyskunk/vscode-sftp/wiki/Configuration>).
pub(super) fn sftp_config(input: &[u8], out: &mut Vec<Found>) {
    json_strings(input, |key, value| {
        if matches!(
            key,
            b"password" | b"pass" | b"passphrase" | b"ftp_password" | b"sftp_password"
        ) {
            report(out, input, value, key, None);
        }
    });
}

/// Robo 3T / Robomongo (`robo3t.json`, `robomongo.json`): each connection's
/// `credentials[].userPassword`, its SSH tunnel's `userPassword` / `passphrase` (or the
/// older flat `sshUserPassword`, `sshPassphrase`) and SSL `pemPassPhrase`.
pub(super) fn robomongo(input: &[u8], out: &mut Vec<Found>) {
    json_strings(input, |key, value| {
        let k = key.to_ascii_lowercase();
        if k.ends_with(b"password") || k.ends_with(b"passphrase") {
            report(out, input, value, key, None);
        }
    });
}

/// Firefox's `logins.json`: each login's `encryptedPassword`, encrypted with the profile's
/// NSS key database (`key4.db`), which decrypts it without a primary password unless one
/// was set.
pub(super) fn firefox_logins(input: &[u8], out: &mut Vec<Found>) {
    json_strings(input, |key, value| {
        if key == b"encryptedPassword" {
            report(out, input, value, key, None);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::super::tests::{pairs, run};
    use super::*;

    const SUBLIME: &str = r#"{
    // The tab key will cycle through the settings when first created
    // Visit https://codexns.io/products/sftp_for_subime/settings for help

    // sftp, ftp or ftps
    "type": "sftp",

    "save_before_upload": true,
    "upload_on_save": false,
    "sync_down_on_open": false,

    "host": "web.synthetic.test",
    "user": "deploy",
    "password": "Subl-Synthetic-4kQ",
    //"port": "22",

    "remote_path": "/var/www/",
    "ignore_regexes": [
        "\\.sublime-(project|workspace)", "sftp-config(-alt\\d?)?\\.json"
    ],
    "connect_timeout": 30,
}
"#;

    const VSCODE: &str = r#"{
    "name": "Staging",
    "host": "staging.synthetic.test",
    "protocol": "sftp",
    "port": 22,
    "username": "web",
    "password": "Vsc-Synthetic-81z",
    "remotePath": "/srv/app",
    "uploadOnSave": true,
    "profiles": {
        "prod": { "host": "prod.synthetic.test", "passphrase": "Pp-Synthetic-6t", "privateKeyPath": "~/.ssh/id_ed25519" }
    }
}"#;

    const ATOM: &str = r#"{
    "protocol": "ftp",
    "host": "ftp.synthetic.test",
    "port": 21,
    "user": "site",
    "pass": "Atom-Synthetic-2w",
    "promptForPass": false,
    "remote": "/",
    "secure": false
}"#;

    #[test]
    fn editor_sftp_configs() {
        assert_eq!(
            run(sftp_config, SUBLIME),
            pairs(&[("password", "Subl-Synthetic-4kQ")])
        );
        assert_eq!(
            run(sftp_config, VSCODE),
            pairs(&[
                ("password", "Vsc-Synthetic-81z"),
                ("passphrase", "Pp-Synthetic-6t")
            ])
        );
        assert_eq!(
            run(sftp_config, ATOM),
            pairs(&[("pass", "Atom-Synthetic-2w")])
        );
    }

    #[test]
    fn editor_sftp_clean_twins() {
        let clean = SUBLIME.replace("Subl-Synthetic-4kQ", "");
        assert!(run(sftp_config, &clean).is_empty());
        let clean = VSCODE
            .replace("\"Vsc-Synthetic-81z\"", "null")
            .replace("\"Pp-Synthetic-6t\"", "true");
        assert!(run(sftp_config, &clean).is_empty());
        let clean = ATOM.replace("Atom-Synthetic-2w", "${FTP_PASS}");
        assert!(run(sftp_config, &clean).is_empty());
    }

    const ROBO3T: &str = r#"{
    "autoExpand": true,
    "connections": [
        {
            "connectionName": "shop (synthetic)",
            "serverHost": "mongo.synthetic.test",
            "serverPort": 27017,
            "credentials": [
                {
                    "databaseName": "admin",
                    "enabled": true,
                    "mechanism": "SCRAM-SHA-256",
                    "userName": "admin",
                    "userPassword": "Mongo-Synthetic-5d"
                }
            ],
            "ssh": {
                "enabled": true,
                "host": "bastion.synthetic.test",
                "method": "publickey",
                "passphrase": "Key-Synthetic-9u",
                "privateKeyFile": "/home/dev/.ssh/id_rsa",
                "userName": "jump",
                "userPassword": ""
            },
            "sshUserPassword": "Old-Synthetic-3c"
        }
    ]
}"#;

    #[test]
    fn robomongo_connections() {
        assert_eq!(
            run(robomongo, ROBO3T),
            pairs(&[
                ("userPassword", "Mongo-Synthetic-5d"),
                ("passphrase", "Key-Synthetic-9u"),
                ("sshUserPassword", "Old-Synthetic-3c"),
            ])
        );
        let clean = ROBO3T
            .replace("Mongo-Synthetic-5d", "")
            .replace("Key-Synthetic-9u", "")
            .replace("Old-Synthetic-3c", "");
        assert!(run(robomongo, &clean).is_empty());
    }

    const LOGINS: &str = r#"{"nextId":3,"logins":[{"id":1,"hostname":"https://shop.synthetic.test","httpRealm":null,"formSubmitURL":"https://shop.synthetic.test","usernameField":"email","passwordField":"password","encryptedUsername":"MEIEEPgAAAAAAAAAAAAAAAAAAAEwFAYIKoZIhvcNAwcECFN5bnRoZXRpYwQYU3ludGhldGljLXVzZXJuYW1lLTAwMDE=","encryptedPassword":"MEIEEPgAAAAAAAAAAAAAAAAAAAEwFAYIKoZIhvcNAwcECFN5bnRoZXRpYwQYU3ludGhldGljLXBhc3N3b3JkLTAwMQ==","guid":"{5b0c1f2e-synthetic}","encType":1,"timeCreated":1700000000000,"timeLastUsed":1700000000000,"timePasswordChanged":1700000000000,"timesUsed":1}],"potentiallyVulnerablePasswords":[],"dismissedBreachAlertsByLoginGUID":{},"version":3}"#;

    #[test]
    fn firefox_saved_logins() {
        assert_eq!(
            run(firefox_logins, LOGINS),
            pairs(&[(
                "encryptedPassword",
                "MEIEEPgAAAAAAAAAAAAAAAAAAAEwFAYIKoZIhvcNAwcECFN5bnRoZXRpYwQYU3ludGhldGljLXBhc3N3b3JkLTAwMQ=="
            )])
        );
        let clean = r#"{"nextId":1,"logins":[],"potentiallyVulnerablePasswords":[],"dismissedBreachAlertsByLoginGUID":{},"version":3}"#;
        assert!(run(firefox_logins, clean).is_empty());
    }
}
