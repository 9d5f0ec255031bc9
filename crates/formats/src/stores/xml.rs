//! XML credential files: Azure publish profiles, Maven's `settings.xml`, `NuGet.config`,
//! Jenkins' `credentials.xml`.

use crate::Found;
use crate::util::{Xml, local_name, report, xml_walk};

/// Azure App Service publish profiles (`*.PublishSettings`, downloaded from the portal or
/// `az webapp deployment list-publishing-profiles`) and Visual Studio's publish profiles
/// (`*.pubxml`, `*.pubxml.user`): every `userPWD` attribute (the deployment password of
/// the app's publishing user), a `<Password>` element, and the legacy Azure Service
/// Management files' `ManagementCertificate` (a base64 PKCS#12 with its private key)
/// (<https://learn.microsoft.com/en-us/azure/app-service/deploy-configure-credentials>,
/// <https://learn.microsoft.com/en-us/aspnet/core/host-and-deploy/visual-studio-publish-profiles>).
pub(super) fn azure_publish_profile(input: &[u8], out: &mut Vec<Found>) {
    xml_walk(input, |input, open, ev| match ev {
        Xml::Open { attrs, .. } => {
            for (k, v) in attrs {
                let name = &input[k.clone()];
                if name.eq_ignore_ascii_case(b"userPWD")
                    || name.eq_ignore_ascii_case(b"ManagementCertificate")
                {
                    report(out, input, v.clone(), name, None);
                }
            }
        }
        Xml::Text(t) => {
            if let Some(el) = open.last()
                && local_name(input, el) == b"Password"
            {
                report(out, input, t, b"Password", None);
            }
        }
    });
}

/// Maven's `settings.xml` (`~/.m2/settings.xml`, `${maven.home}/conf/settings.xml`, or one
/// passed with `-s`): `<password>` and `<passphrase>` of each `<server>` and `<proxy>`.
/// Values encrypted with the master password (`{…}`) are left out: `settings-security.xml`
/// holds what decrypts them (<https://maven.apache.org/settings.html#servers>,
/// <https://maven.apache.org/guides/mini/guide-encryption.html>).
pub(super) fn maven_settings(input: &[u8], out: &mut Vec<Found>) {
    xml_walk(input, |input, open, ev| {
        let Xml::Text(t) = ev else { return };
        let Some(el) = open.last() else { return };
        let name = local_name(input, el);
        if name != b"password" && name != b"passphrase" {
            return;
        }
        let parent = open
            .len()
            .checked_sub(2)
            .map(|p| local_name(input, &open[p]));
        if !matches!(parent, Some(b"server" | b"proxy")) {
            return;
        }
        let v = &input[t.clone()];
        if v.starts_with(b"{") && v.ends_with(b"}") {
            return;
        }
        report(out, input, t, name, None);
    });
}

/// NuGet's `NuGet.config`: `ClearTextPassword` in `<packageSourceCredentials>` (an `add`
/// element's `value`). `Password` there is encrypted with the Windows user's key (DPAPI)
/// and left out (<https://learn.microsoft.com/en-us/nuget/reference/nuget-config-file#packagesourcecredentials>).
pub(super) fn nuget_config(input: &[u8], out: &mut Vec<Found>) {
    xml_walk(input, |input, _open, ev| {
        let Xml::Open { name, attrs } = ev else {
            return;
        };
        if local_name(input, &name) != b"add" {
            return;
        }
        let attr = |name: &[u8]| {
            attrs
                .iter()
                .find(|(k, _)| input[k.clone()].eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        if let (Some(k), Some(v)) = (attr(b"key"), attr(b"value"))
            && input[k].eq_ignore_ascii_case(b"ClearTextPassword")
        {
            report(out, input, v, b"ClearTextPassword", None);
        }
    });
}

/// Jenkins' `credentials.xml` (the global credentials of the Credentials plugin; folders
/// keep theirs in their `config.xml`): `<password>`, `<secret>`, `<privateKey>`,
/// `<passphrase>` and `<secretBytes>` of each credential. The values are usually
/// `{AQAAABAAAA…}`, encrypted with the controller's `secrets/master.key` and
/// `secrets/hudson.util.Secret`, which decrypt them wherever those files are too: they are
/// reported (the base64 inside the braces) (<https://www.jenkins.io/doc/book/using/using-credentials/>,
/// <https://www.jenkins.io/doc/developer/security/secrets/>).
pub(super) fn jenkins_credentials(input: &[u8], out: &mut Vec<Found>) {
    xml_walk(input, |input, open, ev| {
        let Xml::Text(t) = ev else { return };
        let Some(el) = open.last() else { return };
        let name = local_name(input, el);
        if !matches!(
            name,
            b"password" | b"secret" | b"privateKey" | b"passphrase" | b"secretBytes"
        ) {
            return;
        }
        // An encrypted value, `{base64}`: the base64 inside the braces (braces alone read
        // as a template).
        let v = &input[t.clone()];
        let t = if v.len() > 2 && v.starts_with(b"{") && v.ends_with(b"}") {
            t.start + 1..t.end - 1
        } else {
            t
        };
        report(out, input, t, name, None);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stores::{run, want};

    #[test]
    fn publish_settings() {
        let file = r#"<publishData><publishProfile profileName="shop - Web Deploy" publishMethod="MSDeploy" publishUrl="shop.scm.azurewebsites.net:443" msdeploySite="shop" userName="$shop" userPWD="SynthXk29pLm4Zq8wV3m7AbCdEfGhIjKlMnOpQrStUvWxYz0123" destinationAppUrl="http://shop.azurewebsites.net" SQLServerDBConnectionString="" mySQLDBConnectionString="" hostingProviderForumLink="" controlPanelLink="https://portal.azure.com" webSystem="WebSites"><databases /></publishProfile><publishProfile profileName="shop - FTP" publishMethod="FTP" publishUrl="ftps://waws-prod.ftp.azurewebsites.windows.net/site/wwwroot" ftpPassiveMode="True" userName="shop\$shop" userPWD="SynthXk29pLm4Zq8wV3m7AbCdEfGhIjKlMnOpQrStUvWxYz0123"><databases /></publishProfile></publishData>"#;
        let found = run(azure_publish_profile, file);
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0],
            want(&[(
                "userPWD",
                "SynthXk29pLm4Zq8wV3m7AbCdEfGhIjKlMnOpQrStUvWxYz0123",
                None
            )])[0]
        );
        let asm = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<PublishData>\r\n  <PublishProfile SchemaVersion=\"2.0\" PublishMethod=\"AzureServiceManagementAPI\">\r\n    <Subscription ServiceManagementUrl=\"https://management.core.windows.net\" Id=\"00000000-1111-2222-3333-444444444444\" Name=\"Dev\" ManagementCertificate=\"MIIKSynthPFXXk29pLm4Zq8wV3m7\" />\r\n  </PublishProfile>\r\n</PublishData>\r\n";
        assert_eq!(
            run(azure_publish_profile, asm),
            want(&[(
                "ManagementCertificate",
                "MIIKSynthPFXXk29pLm4Zq8wV3m7",
                None
            )])
        );
        let pubxml_user = "<Project><PropertyGroup><UserName>$shop</UserName><Password>Zq8wV3m7-Synth</Password><EncryptedPassword>AQAAANCMnd8BFdERjHoAwE/Cl+sBAAAASynth</EncryptedPassword></PropertyGroup></Project>";
        assert_eq!(
            run(azure_publish_profile, pubxml_user),
            want(&[("Password", "Zq8wV3m7-Synth", None)])
        );
    }

    #[test]
    fn publish_settings_clean() {
        let file = r#"<publishData><publishProfile profileName="shop - Web Deploy" publishMethod="MSDeploy" userName="$shop" userPWD="" /><publishProfile profileName="shop - FTP" userName="shop\$shop" userPWD="$(PublishPassword)" /></publishData>"#;
        assert!(run(azure_publish_profile, file).is_empty());
    }

    #[test]
    fn maven_servers() {
        let file = r#"<?xml version="1.0" encoding="UTF-8"?>
<settings xmlns="http://maven.apache.org/SETTINGS/1.2.0">
  <servers>
    <server>
      <id>corp-releases</id>
      <username>deployer</username>
      <password>Xk29-pLm4-Synth</password>
    </server>
    <server>
      <id>corp-snapshots</id>
      <username>deployer</username>
      <password>{COQLCE6DU6GtcS5P=}</password>
    </server>
    <server>
      <id>ssh-site</id>
      <privateKey>${user.home}/.ssh/id_rsa</privateKey>
      <passphrase><![CDATA[Zq8&wV3m7-Synth]]></passphrase>
    </server>
  </servers>
  <proxies>
    <proxy><id>corp</id><host>proxy.corp.test</host><username>ops</username><password>pr&amp;xy-Synth7</password></proxy>
  </proxies>
</settings>
"#;
        assert_eq!(
            run(maven_settings, file),
            want(&[
                ("password", "Xk29-pLm4-Synth", None),
                ("passphrase", "Zq8&wV3m7-Synth", None),
                ("password", "pr&amp;xy-Synth7", None),
            ])
        );
    }

    #[test]
    fn maven_clean() {
        let file = r#"<settings>
  <servers>
    <server><id>a</id><username>${env.MVN_USER}</username><password>${env.MVN_PASSWORD}</password></server>
    <server><id>b</id><password>{jSMOWnoPFgsHVpMvz5VrIt5kRbzGpI8u+9EF1iFQyJQ=}</password></server>
    <server><id>c</id><password></password></server>
  </servers>
  <profiles><profile><properties><password>not-a-server-field</password></properties></profile></profiles>
</settings>"#;
        assert!(
            run(maven_settings, file).is_empty(),
            "{:?}",
            run(maven_settings, file)
        );
    }

    #[test]
    fn nuget_credentials() {
        let file = r#"<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="corp" value="https://nuget.corp.test/v3/index.json" />
  </packageSources>
  <packageSourceCredentials>
    <corp>
      <add key="Username" value="ci-bot" />
      <add key="ClearTextPassword" value="Xk29-pLm4-Synth" />
    </corp>
    <github>
      <add key="Username" value="octo-dev" />
      <add key="Password" value="AQAAANCMnd8BFdERjHoAwE/Cl+sBAAAASynthDPAPI" />
    </github>
  </packageSourceCredentials>
</configuration>"#;
        assert_eq!(
            run(nuget_config, file),
            want(&[("ClearTextPassword", "Xk29-pLm4-Synth", None)])
        );
        let clean = r#"<configuration><packageSourceCredentials><corp><add key="Username" value="ci-bot" /><add key="ClearTextPassword" value="%NUGET_PASSWORD%" /></corp></packageSourceCredentials></configuration>"#;
        assert!(run(nuget_config, clean).is_empty());
    }

    #[test]
    fn jenkins_store() {
        let file = r#"<?xml version='1.1' encoding='UTF-8'?>
<com.cloudbees.plugins.credentials.SystemCredentialsProvider plugin="credentials@1337.v60b_d7b_c7b_c9f">
  <domainCredentialsMap class="hudson.util.CopyOnWriteMap$Hash">
    <entry>
      <com.cloudbees.plugins.credentials.domains.Domain>
        <specifications/>
      </com.cloudbees.plugins.credentials.domains.Domain>
      <java.util.concurrent.CopyOnWriteArrayList>
        <com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>
          <scope>GLOBAL</scope>
          <id>deploy</id>
          <description></description>
          <username>deployer</username>
          <password>{AQAAABAAAAAQSynthXk29pLm4Zq8wV3m7AbCdEfGh=}</password>
          <usernameSecret>false</usernameSecret>
        </com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>
        <org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl>
          <scope>GLOBAL</scope>
          <id>slack</id>
          <secret>{AQAAABAAAAAgSynthZq8wV3m7Xk29pLm4=}</secret>
        </org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl>
        <com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey plugin="ssh-credentials@305">
          <scope>GLOBAL</scope>
          <id>git-ssh</id>
          <username>git</username>
          <privateKeySource class="com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey$DirectEntryPrivateKeySource">
            <privateKey>{AQAAABAAAAQwSynthKeyXk29pLm4=}</privateKey>
          </privateKeySource>
        </com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey>
      </java.util.concurrent.CopyOnWriteArrayList>
    </entry>
  </domainCredentialsMap>
</com.cloudbees.plugins.credentials.SystemCredentialsProvider>
"#;
        assert_eq!(
            run(jenkins_credentials, file),
            want(&[
                (
                    "password",
                    "AQAAABAAAAAQSynthXk29pLm4Zq8wV3m7AbCdEfGh=",
                    None
                ),
                ("secret", "AQAAABAAAAAgSynthZq8wV3m7Xk29pLm4=", None),
                ("privateKey", "AQAAABAAAAQwSynthKeyXk29pLm4=", None),
            ])
        );
    }

    #[test]
    fn jenkins_clean() {
        let file = r#"<?xml version='1.1' encoding='UTF-8'?>
<com.cloudbees.plugins.credentials.SystemCredentialsProvider plugin="credentials@1337">
  <domainCredentialsMap class="hudson.util.CopyOnWriteMap$Hash">
    <entry>
      <com.cloudbees.plugins.credentials.domains.Domain><specifications/></com.cloudbees.plugins.credentials.domains.Domain>
      <java.util.concurrent.CopyOnWriteArrayList>
        <com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>
          <id>deploy</id><username>deployer</username><password></password>
        </com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>
        <org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl>
          <id>slack</id><secret>${SLACK_TOKEN}</secret>
        </org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl>
      </java.util.concurrent.CopyOnWriteArrayList>
    </entry>
  </domainCredentialsMap>
</com.cloudbees.plugins.credentials.SystemCredentialsProvider>
"#;
        assert!(run(jenkins_credentials, file).is_empty());
    }
}
