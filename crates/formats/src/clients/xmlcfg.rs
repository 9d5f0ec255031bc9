//! XML settings of desktop clients: FileZilla's site manager, DBeaver's data sources (and
//! their JSON successor), JetBrains IDEs' deployment servers and data sources.

use base64::Engine as _;

use crate::Found;

use super::{contains_ci, json_strings, report, xml_tags};

/// FileZilla (`sitemanager.xml`, `recentservers.xml`, `filezilla.xml`): each `<Server>`'s
/// `<Pass>`, in the clear or `<Pass encoding="base64">` (decoded), and the proxy password
/// settings (`<Setting name="Proxy pass">`). `encoding="crypt"` values are encrypted with
/// the user's master password and are left out.
/// (<https://wiki.filezilla-project.org/Site_Manager>)
pub(super) fn filezilla(input: &[u8], out: &mut Vec<Found>) {
    xml_tags(input, |input, tag| {
        let Some(text) = tag.text.clone() else {
            return;
        };
        if tag.name == b"Pass" {
            match tag.attr(b"encoding").map(|r| &input[r]) {
                None | Some(b"" | b"plain") => report(out, input, text, b"Pass", None),
                Some(b"base64") => {
                    let raw = &input[text.clone()];
                    let decoded = base64::engine::general_purpose::STANDARD
                        .decode(raw.trim_ascii())
                        .ok();
                    if decoded.is_some() {
                        report(out, input, text, b"Pass", decoded);
                    }
                }
                Some(_) => {}
            }
        } else if tag.name == b"Setting"
            && tag.attr(b"name").is_some_and(|n| {
                let n = &input[n];
                contains_ci(n, b"proxy") && (n.ends_with(b"pass") || n.ends_with(b"password"))
            })
        {
            report(out, input, text, b"Proxy pass", None);
        }
    });
}

/// Whether an attribute or property name names a password or passphrase.
fn is_password_name(name: &[u8]) -> bool {
    let n = name.to_ascii_lowercase();
    let flag = [
        &b"save"[..],
        b"remember",
        b"use",
        b"prompt",
        b"ask",
        b"store",
        b"keep",
    ]
    .iter()
    .any(|p| n.starts_with(p))
        || [
            &b"file"[..],
            b"path",
            b"type",
            b"mode",
            b"storage",
            b"provider",
            b"enabled",
        ]
        .iter()
        .any(|p| n.ends_with(p));
    !flag && (contains_ci(&n, b"password") || contains_ci(&n, b"passphrase") || n == b"pass")
}

/// Whether a value is a flag rather than a password.
fn is_flag(value: &[u8]) -> bool {
    matches!(value, b"true" | b"false")
}

/// Password attributes (`password="…"`, `passphrase="…"`), `<property name="password"
/// value="…"/>` / `<option name="password" value="…"/>`, and the text of the elements in
/// `text_tags`.
fn xml_passwords(input: &[u8], out: &mut Vec<Found>, text_tags: &[&[u8]]) {
    xml_tags(input, |input, tag| {
        for (name, value) in &tag.attrs {
            if is_password_name(name) && !is_flag(&input[value.clone()]) {
                report(out, input, value.clone(), name, None);
            }
        }
        if let (Some(name), Some(value)) = (tag.attr(b"name"), tag.attr(b"value"))
            && is_password_name(&input[name.clone()])
            && !is_flag(&input[value.clone()])
        {
            report(out, input, value, &input[name], None);
        }
        if let Some(text) = tag.text.clone()
            && text_tags.contains(&tag.name)
        {
            report(out, input, text, tag.name, None);
        }
    });
}

/// DBeaver: `data-sources.xml` (`<connection … password="…">`, network handlers'
/// `password`) and `data-sources.json` (`"password"` members, where a version saved them
/// outside the encrypted `credentials-config.json`).
/// (<https://dbeaver.com/docs/dbeaver/Admin-Manage-Connections/>)
pub(super) fn dbeaver(input: &[u8], out: &mut Vec<Found>) {
    let first = input.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        json_strings(input, |key, value| {
            if key == b"password" || key == b"passphrase" {
                report(out, input, value, key, None);
            }
        });
    } else {
        xml_passwords(input, out, &[]);
    }
}

/// JetBrains IDEs: `WebServers.xml` (deployment servers: `<fileTransfer … password="…">`,
/// `<option name="password" value="…"/>`) and `dataSources.xml` / `dataSources.local.xml`
/// (`<user-password>`, driver `<property name="password" value="…"/>`). Stored passwords are
/// lightly scrambled by the IDE, not encrypted.
/// (<https://www.jetbrains.com/help/idea/deployment-connection-tab.html>)
pub(super) fn jetbrains(input: &[u8], out: &mut Vec<Found>) {
    xml_passwords(input, out, &[b"user-password"]);
}

#[cfg(test)]
mod tests {
    use super::super::tests::{decoded, pairs, run};
    use super::*;

    const SITEMANAGER: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<FileZilla3 version="3.66.4" platform="windows">
	<Servers>
		<Server>
			<Host>ftp.synthetic-shop.test</Host>
			<Port>21</Port>
			<Protocol>0</Protocol>
			<Type>0</Type>
			<User>deploy</User>
			<Pass encoding="base64">WGsyOS1wTG00LVN5bnRoZXRpYw==</Pass>
			<Logontype>1</Logontype>
			<Name>Shop (synthetic)</Name>
		</Server>
		<Folder expanded="1">Clients
			<Server>
				<Host>sftp.synthetic-client.test</Host>
				<Port>22</Port>
				<Protocol>1</Protocol>
				<User>web</User>
				<Pass>s3cr3t-Synthetic-7&amp;x</Pass>
				<Logontype>1</Logontype>
			</Server>
			<Server>
				<Host>locked.synthetic.test</Host>
				<Pass encoding="crypt" pubkey="synthetic">ABCDEF0123</Pass>
			</Server>
		</Folder>
	</Servers>
</FileZilla3>
"#;

    const SITEMANAGER_CLEAN: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<FileZilla3 version="3.66.4" platform="windows">
	<Servers>
		<Server>
			<Host>ftp.synthetic-shop.test</Host>
			<User>deploy</User>
			<Pass encoding="base64" />
			<Logontype>2</Logontype>
		</Server>
		<Server>
			<Host>sftp.synthetic-client.test</Host>
			<User>web</User>
			<Pass></Pass>
			<Logontype>3</Logontype>
		</Server>
		<Server><Host>x</Host><Pass>${FTP_PASSWORD}</Pass></Server>
	</Servers>
</FileZilla3>
"#;

    const FILEZILLA_XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<FileZilla3 version="3.66.4" platform="*nix">
	<Settings>
		<Setting name="Use Pasv mode">1</Setting>
		<Setting name="Proxy type">1</Setting>
		<Setting name="Proxy host">proxy.synthetic.test</Setting>
		<Setting name="Proxy user">fzuser</Setting>
		<Setting name="Proxy pass">Prx-9dLq2-Synthetic</Setting>
	</Settings>
</FileZilla3>
"#;

    #[test]
    fn filezilla_sites() {
        assert_eq!(
            run(filezilla, SITEMANAGER),
            pairs(&[
                ("Pass", "WGsyOS1wTG00LVN5bnRoZXRpYw=="),
                ("Pass", "s3cr3t-Synthetic-7&amp;x"),
            ])
        );
        assert_eq!(
            decoded(filezilla, SITEMANAGER),
            [Some("Xk29-pLm4-Synthetic".to_string()), None]
        );
        assert!(run(filezilla, SITEMANAGER_CLEAN).is_empty());
    }

    #[test]
    fn filezilla_settings() {
        assert_eq!(
            run(filezilla, FILEZILLA_XML),
            pairs(&[("Proxy pass", "Prx-9dLq2-Synthetic")])
        );
        let clean = FILEZILLA_XML.replace("Prx-9dLq2-Synthetic", "");
        assert!(run(filezilla, &clean).is_empty());
    }

    const DBEAVER_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<data-sources>
	<data-source id="postgres-jdbc-17a2f" provider="postgresql" driver="postgres-jdbc" name="orders (synthetic)" save-password="true" show-system-objects="true" read-only="false">
		<connection host="db.synthetic.test" port="5432" server="" database="orders" url="jdbc:postgresql://db.synthetic.test:5432/orders" user="app" password="Db-7qW2-Synthetic" type="dev">
			<network-handler type="TUNNEL" id="ssh_tunnel" enabled="true" user="jump" password="Ssh-4kP9-Synthetic" save-password="true">
				<property name="host" value="bastion.synthetic.test"/>
				<property name="authType" value="PASSWORD"/>
			</network-handler>
		</connection>
	</data-source>
</data-sources>
"#;

    const DBEAVER_JSON: &str = r#"{
	"folders": {},
	"connections": {
		"mysql8-18b3c": {
			"provider": "mysql",
			"driver": "mysql8",
			"name": "shop (synthetic)",
			"save-password": true,
			"configuration": {
				"host": "localhost",
				"port": "3306",
				"url": "jdbc:mysql://localhost:3306/",
				"user": "root",
				"password": "My-5tR8-Synthetic",
				"auth-model": "native"
			}
		}
	}
}"#;

    #[test]
    fn dbeaver_sources() {
        assert_eq!(
            run(dbeaver, DBEAVER_XML),
            pairs(&[
                ("password", "Db-7qW2-Synthetic"),
                ("password", "Ssh-4kP9-Synthetic")
            ])
        );
        assert_eq!(
            run(dbeaver, DBEAVER_JSON),
            pairs(&[("password", "My-5tR8-Synthetic")])
        );
        let clean_xml = DBEAVER_XML
            .replace("Db-7qW2-Synthetic", "")
            .replace("Ssh-4kP9-Synthetic", "${SSH_PASSWORD}");
        assert!(run(dbeaver, &clean_xml).is_empty());
        let clean_json = DBEAVER_JSON.replace("My-5tR8-Synthetic", "");
        assert!(run(dbeaver, &clean_json).is_empty());
    }

    const WEB_SERVERS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<application>
  <component name="WebServers">
    <option name="servers">
      <webServer id="6b1f0c2e-synthetic" name="staging" url="http://staging.synthetic.test">
        <fileTransfer accessType="SFTP" host="staging.synthetic.test" port="22" rootFolder="/var/www" login="deploy" password="dfdfdfdf9a8b7c6d5e4f" passphrase="Kp-3vN8-Synthetic" keyPair="true" privateKeyFile="$USER_HOME$/.ssh/id_ed25519">
          <advancedOptions>
            <advancedOptions dataProtectionLevel="Private" passiveMode="true" shareSSLContext="true" />
          </advancedOptions>
          <option name="password" value="Opt-6mX1-Synthetic" />
          <option name="savePassword" value="true" />
        </fileTransfer>
      </webServer>
    </option>
  </component>
</application>
"#;

    const DATA_SOURCES_LOCAL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project version="4">
  <component name="dataSourceStorageLocal" created-in="IU-233.11799.241">
    <data-source name="orders@localhost" uuid="2f1e4c7a-synthetic">
      <database-info product="PostgreSQL" version="15.4" jdbc-version="4.2" driver-name="PostgreSQL JDBC Driver" />
      <secret-storage>master_key</secret-storage>
      <user-name>app</user-name>
      <user-password>dfdfdfdf1a2b3c4d5e6f7a8b</user-password>
      <driver-properties>
        <property name="password" value="Drv-2hT5-Synthetic" />
      </driver-properties>
    </data-source>
  </component>
</project>
"#;

    #[test]
    fn jetbrains_servers_and_sources() {
        assert_eq!(
            run(jetbrains, WEB_SERVERS),
            pairs(&[
                ("password", "dfdfdfdf9a8b7c6d5e4f"),
                ("passphrase", "Kp-3vN8-Synthetic"),
                ("password", "Opt-6mX1-Synthetic"),
            ])
        );
        assert_eq!(
            run(jetbrains, DATA_SOURCES_LOCAL),
            pairs(&[
                ("user-password", "dfdfdfdf1a2b3c4d5e6f7a8b"),
                ("password", "Drv-2hT5-Synthetic"),
            ])
        );
        let clean = WEB_SERVERS
            .replace("dfdfdfdf9a8b7c6d5e4f", "")
            .replace("Kp-3vN8-Synthetic", "")
            .replace("Opt-6mX1-Synthetic", "");
        assert!(run(jetbrains, &clean).is_empty());
        let clean = DATA_SOURCES_LOCAL
            .replace("dfdfdfdf1a2b3c4d5e6f7a8b", "")
            .replace("Drv-2hT5-Synthetic", "${DB_PASSWORD}");
        assert!(run(jetbrains, &clean).is_empty());
    }
}
