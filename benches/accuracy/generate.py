#!/usr/bin/env python3
"""Generate the labeled accuracy corpus for secret scanners.

    python3 benches/accuracy/generate.py OUTDIR [--scale N]

Writes OUTDIR/corpus/ (the files to scan) and OUTDIR/labels.json (every planted secret:
file, 1-based line, category, provider, secret; and every hard negative line: file, line,
category). Each of the N rounds (default 8) writes one copy of every template under
corpus/rNN/ with fresh random values, so the corpus grows linearly with N. Everything comes
from one seeded RNG and fixed names: two runs with the same N give identical bytes.

Tokens follow the providers' documented formats (prefixes, lengths, alphabets, and the
CRC32 checksums of GitHub and npm tokens). They are random, so none of them is live. No
token-shaped literal is written in this file: prefixes are assembled from pieces at run
time, so the repository that holds this script stays clean under its own scanner.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import shutil
import string
import struct
import sys
import urllib.parse
import zlib

SEED = 20240611
UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
DIGITS = string.digits
ALNUM = UPPER + LOWER + DIGITS
LALNUM = LOWER + DIGITS
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = UPPER + "234567"
B62_CHECKSUM = DIGITS + UPPER + LOWER  # 0-9A-Za-z, as GitHub and npm encode the CRC32


def J(*parts: str) -> str:
    """Joins pieces: every token prefix below is written split, never whole."""
    return "".join(parts)


# ---------------------------------------------------------------------------------------
# Corpus building.


class Corpus:
    def __init__(self) -> None:
        self.files: dict[str, list[str]] = {}
        self.positives: list[dict] = []
        self.negatives: list[dict] = []

    def file(self, path: str) -> "FileBuilder":
        assert path not in self.files, path
        self.files[path] = []
        return FileBuilder(self, path)


class FileBuilder:
    def __init__(self, corpus: Corpus, path: str) -> None:
        self.c = corpus
        self.path = path
        self.lines = corpus.files[path]

    def add(self, text: str) -> "FileBuilder":
        """Context lines (no label): a finding on one of them is a false positive."""
        self.lines.extend(text.split("\n"))
        return self

    def pos(self, text: str, secret: str, category: str, provider: str) -> "FileBuilder":
        """A labeled positive; `text` may span lines (a PEM block): the label covers them all."""
        first = text.split("\n")
        # an "encoded" secret is written base64-encoded: the label holds it decoded
        assert category == "encoded" or secret.split("\n")[0] in text, (self.path, secret)
        start = len(self.lines) + 1
        self.lines.extend(first)
        self.c.positives.append(
            {
                "file": self.path,
                "line": start,
                "end_line": start + len(first) - 1,
                "category": category,
                "provider": provider,
                "secret": secret,
            }
        )
        return self

    def neg(self, text: str, category: str) -> "FileBuilder":
        """A hard negative: each of its lines must produce nothing."""
        for t in text.split("\n"):
            self.lines.append(t)
            self.c.negatives.append({"file": self.path, "line": len(self.lines), "category": category})
        return self


# ---------------------------------------------------------------------------------------
# Random values.


class Gen:
    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def pick(self, seq):
        return self.r.choice(seq)

    def n(self, lo: int, hi: int) -> int:
        return self.r.randint(lo, hi)

    def bytes(self, n: int) -> bytes:
        return bytes(self.r.getrandbits(8) for _ in range(n))

    def b64(self, n: int) -> str:
        return base64.b64encode(self.bytes(n)).decode()

    def b64url(self, n: int) -> str:
        return base64.urlsafe_b64encode(self.bytes(n)).decode().rstrip("=")

    def uuid(self) -> str:
        h = self.s(HEX, 32)
        h = h[:12] + "4" + h[13:16] + self.pick("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    # -- generic secrets ------------------------------------------------------------------
    def password(self) -> str:
        kind = self.n(0, 3)
        if kind == 0:
            return self.s(ALNUM, self.n(14, 22))
        if kind == 1:
            return self.s(ALNUM + "!@#%^*-_+=.", self.n(16, 24))
        if kind == 2:
            words = ["Falcon", "Maple", "Ridge", "Copper", "Harbor", "Quartz", "Lantern", "Orbit"]
            return f"{self.pick(words)}{self.pick('!#%*-.')}{self.s(DIGITS, 4)}{self.pick(words).lower()}{self.s(ALNUM, 6)}"
        return self.s(ALNUM, 8) + self.pick("!#%*@") + self.s(ALNUM, 10)

    def url_password(self) -> str:
        """A password as written in a URL: reserved characters percent-encoded."""
        return urllib.parse.quote(self.password(), safe="!*-_.~")

    def user(self) -> str:
        return self.pick(["deploy", "svc_app", "admin", "ci-bot", "appuser", "reporting", "etl", "backup", "grafana", "jenkins"])

    def host(self) -> str:
        return self.pick(
            [
                "db.internal.corp",
                "10.20.4.17",
                "pg-primary.prod.svc.cluster.local",
                "mysql-01.eu-west-1.rds.amazonaws.com",
                "cache.acme-int.net",
                "mq.payments.local",
                "sql-prod-7.database.windows.net",
            ]
        )

    def app(self) -> str:
        return self.pick(["billing", "orders", "auth", "search", "notifier", "ledger", "catalog", "gateway"])

    # -- provider tokens (documented formats) ---------------------------------------------
    @staticmethod
    def crc_b62(body: str) -> str:
        v = zlib.crc32(body.encode()) & 0xFFFFFFFF
        out = ""
        while v:
            v, d = divmod(v, 62)
            out = B62_CHECKSUM[d] + out
        return out.rjust(6, "0")

    def github(self, kind: str = "p", valid: bool = True) -> str:
        body = self.s(ALNUM, 30)
        check = self.crc_b62(body)
        if not valid:
            wrong = check
            while wrong == check:
                wrong = self.s(ALNUM, 6)
            check = wrong
        return J("gh", kind, "_") + body + check

    def github_fine(self) -> str:
        return J("github", "_pat_") + "11" + self.s(UPPER + DIGITS, 20) + "_" + self.s(ALNUM, 59)

    def npm(self, valid: bool = True) -> str:
        body = self.s(ALNUM, 30)
        check = self.crc_b62(body)
        if not valid:
            wrong = check
            while wrong == check:
                wrong = self.s(ALNUM, 6)
            check = wrong
        return J("np", "m_") + body + check

    def aws_id(self, temp: bool = False) -> str:
        return J("AS" if temp else "AK", "IA") + self.s(B32, 16)

    def aws_secret(self) -> str:
        return self.s(B64, 40)

    def gcp_api_key(self) -> str:
        return J("AI", "za") + self.s(B64URL, 35)

    def azure_storage_key(self) -> str:
        return self.b64(64)

    def gitlab(self, kind: str = "pat") -> str:
        return J("gl", kind, "-") + self.s(B64URL, 20)

    def slack_bot(self) -> str:
        return J("xo", "xb-") + self.s(DIGITS, 12) + "-" + self.s(DIGITS, 13) + "-" + self.s(ALNUM, 24)

    def slack_user(self) -> str:
        return J("xo", "xp-") + "-".join(self.s(DIGITS, 12) for _ in range(3)) + "-" + self.s(HEX, 32)

    def slack_webhook(self) -> str:
        return J("https://hooks.", "slack.com/services/") + "T" + self.s(UPPER + DIGITS, 8) + "/B" + self.s(UPPER + DIGITS, 10) + "/" + self.s(ALNUM, 24)

    def stripe(self, kind: str = "sk") -> str:
        return J(kind, "_li", "ve_") + self.s(ALNUM, self.pick([24, 99]))

    def stripe_whsec(self) -> str:
        return J("whs", "ec_") + self.s(ALNUM, 32)

    def twilio_sid(self) -> str:
        return "AC" + self.s(HEX, 32)

    def twilio_api_key(self) -> str:
        return J("S", "K") + self.s(HEX, 32)

    def sendgrid(self) -> str:
        return J("S", "G.") + self.s(B64URL, 22) + "." + self.s(B64URL, 43)

    def openai(self) -> str:
        marker = J("T3Blbk", "FJ")
        kind = self.n(0, 2)
        if kind == 0:
            return J("sk-", "proj-") + self.s(B64URL, 74) + marker + self.s(B64URL, 74)
        if kind == 1:
            return J("sk-", "svcacct-") + self.s(B64URL, 74) + marker + self.s(B64URL, 74)
        return J("s", "k-") + self.s(ALNUM, 20) + marker + self.s(ALNUM, 20)

    def anthropic(self) -> str:
        return J("sk-", "ant-", "api03-") + self.s(B64URL, 93) + "AA"

    def pypi(self) -> str:
        # A PyPI API token is "pypi-" + a base64url v2 macaroon: location pypi.org, an
        # identifier, a caveat, and a 32-byte signature.
        def field(tag: int, data: bytes) -> bytes:
            return bytes([tag, len(data)]) + data

        ident = self.uuid().encode()
        caveat = json.dumps({"version": 1, "permissions": "user"}, separators=(",", ":")).encode()
        mac = b"\x02" + field(1, b"pypi.org") + field(2, b"\x00" + ident[:30]) + b"\x00" + field(2, caveat) + b"\x00\x00" + field(6, self.bytes(32))
        return J("py", "pi-") + base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def dockerhub(self) -> str:
        return J("dckr", "_pat_") + self.s(B64URL, 27)

    def shopify(self, kind: str = "at") -> str:
        return J("shp", kind, "_") + self.s(HEX, 32)

    def datadog_api(self) -> str:
        return self.s(HEX, 32)

    def datadog_app(self) -> str:
        return self.s(HEX, 40)

    def huggingface(self) -> str:
        return J("h", "f_") + self.s(UPPER + LOWER, 34)

    def digitalocean(self) -> str:
        return J("do", "p_v1_") + self.s(HEX, 64)

    def mailgun(self) -> str:
        return J("ke", "y-") + self.s(HEX, 32)

    def mailchimp(self) -> str:
        return self.s(HEX, 32) + "-us" + str(self.n(2, 21))

    def postman(self) -> str:
        return J("PM", "AK-") + self.s(HEX, 24) + "-" + self.s(HEX, 34)

    def linear(self) -> str:
        return J("lin", "_api_") + self.s(ALNUM, 40)

    def newrelic(self) -> str:
        return J("NR", "AK-") + self.s(UPPER + DIGITS, 27)

    def sentry_user(self) -> str:
        return J("sntr", "yu_") + self.s(HEX, 64)

    def grafana_sa(self) -> str:
        return J("gl", "sa_") + self.s(ALNUM, 32) + "_" + self.s(HEX, 8)

    def vault(self) -> str:
        return J("hv", "s.") + "CAESI" + self.s(B64URL, 90)

    def terraform_cloud(self) -> str:
        return self.s(ALNUM, 14) + J(".atlas", "v1.") + self.s(ALNUM, 67)

    def pulumi(self) -> str:
        return J("pu", "l-") + self.s(HEX, 40)

    def doppler(self) -> str:
        return J("dp", ".pt.") + self.s(ALNUM, 43)

    def telegram(self) -> str:
        return self.s(DIGITS, 10) + ":AA" + self.s(B64URL, 33)

    def atlassian(self) -> str:
        return J("ATA", "TT3") + self.s(B64URL, 183) + "=" + self.s(HEX.upper(), 8)

    def age(self) -> str:
        return J("AGE-SECRET", "-KEY-1") + self.s("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)

    def heroku(self) -> str:
        return self.uuid()

    def square(self) -> str:
        return J("EA", "AA") + self.s(B64URL, 60)

    def jwt(self) -> str:
        header = {"alg": self.pick(["HS256", "RS256"]), "typ": "JWT"}
        now = 1700000000 + self.n(0, 20000000)
        payload = {"sub": self.uuid(), "iss": f"https://auth.{self.app()}.acme-int.net", "iat": now, "exp": now + 86400 * self.n(30, 400), "scope": "read write"}
        enc = lambda d: base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()).decode().rstrip("=")
        sig = self.b64url(32 if header["alg"] == "HS256" else 256)
        return f"{enc(header)}.{enc(payload)}.{sig}"

    def django_key(self) -> str:
        return self.s("abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)", 50)

    def wp_salt(self) -> str:
        return self.s(ALNUM + "!@#$%^&*()-_[]{}<>~+=,.;:/?|", 64).replace("'", "")

    def pem_private(self, kind: str) -> tuple[str, str]:
        """A PEM private key block: (first line, whole block)."""
        if kind == "rsa":
            label, der = "RSA PRIV" + "ATE KEY", bytes.fromhex("308204a40201000282010100") + self.bytes(1180)
        elif kind == "pkcs8":
            label, der = "PRIV" + "ATE KEY", bytes.fromhex("308204bd020100300d06092a864886f70d0101010500048204a7") + self.bytes(1180)
        elif kind == "ec":
            label, der = "EC PRIV" + "ATE KEY", bytes.fromhex("30770201010420") + self.bytes(32) + bytes.fromhex("a00a06082a8648ce3d030107a144034200") + self.bytes(65)
        else:
            label = "OPENSSH PRIV" + "ATE KEY"
            der = b"openssh-key-v1\x00" + struct.pack(">I", 4) + b"none" + struct.pack(">I", 4) + b"none" + struct.pack(">I", 0) + struct.pack(">I", 1) + self.bytes(350)
        body = base64.b64encode(der).decode()
        width = 70 if kind == "openssh" else 64
        lines = [f"-----BEGIN {label}-----"] + [body[i : i + width] for i in range(0, len(body), width)] + [f"-----END {label}-----"]
        return lines[0], "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Fixed non-secrets that scanners should leave alone. Providers' own documentation examples
# are assembled from pieces, like the token prefixes.

DOC_AWS_ID = J("AKIAIOSF", "ODNN7", "EXAMPLE")
DOC_AWS_SECRET = J("wJalrXUtnFEMI/K7MDENG/", "bPxRfiCY", "EXAMPLEKEY")
DOC_JWT = J(
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
)
DOC_AZURITE_KEY = J("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsu", "Fq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")
PNG_1PX = J("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ", "AAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def doc_slack_example() -> str:
    return J("xo", "xb-") + "123456789012-1234567890123-" + "x" * 24


# ---------------------------------------------------------------------------------------
# Templates with positives. Each takes (corpus, gen, dir) and writes one or more files.


def env_file(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/{g.app()}-service/.env")
    f.add("# local overrides, do not commit\nNODE_ENV=production\nPORT=8080\nLOG_LEVEL=info")
    f.pos(f"AWS_ACCESS_KEY_ID={(k := g.aws_id())}", k, "cloud-key", "AWS")
    f.pos(f"AWS_SECRET_ACCESS_KEY={(k := g.aws_secret())}", k, "cloud-key", "AWS")
    f.add("AWS_REGION=eu-west-1")
    f.pos(f"STRIPE_SECRET_KEY={(k := g.stripe())}", k, "saas-api-key", "Stripe")
    f.pos(f"STRIPE_WEBHOOK_SECRET={(k := g.stripe_whsec())}", k, "saas-api-key", "Stripe")
    f.pos(f"SENDGRID_API_KEY={(k := g.sendgrid())}", k, "saas-api-key", "SendGrid")
    f.pos(f"DATABASE_URL=postgres://{g.user()}:{(p := g.url_password())}@{g.host()}:5432/{g.app()}", p, "connection-string", "PostgreSQL")
    f.pos(f"OPENAI_API_KEY={(k := g.openai())}", k, "ai-api-key", "OpenAI")
    f.pos(f"DB_PASSWORD={(p := g.password())}", p, "password-in-config", "generic")
    f.neg("REDIS_PASSWORD=", "placeholder")
    f.neg("SESSION_SECRET=changeme", "placeholder")
    f.add(f"FEATURE_FLAGS=checkout_v2,search_beta\nREQUEST_TIMEOUT_MS={g.n(1000, 9000)}")


def env_ai(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/llm-playground/.env.local")
    f.add("# model provider keys")
    f.pos(f"ANTHROPIC_API_KEY={(k := g.anthropic())}", k, "ai-api-key", "Anthropic")
    f.pos(f'OPENAI_API_KEY="{(k := g.openai())}"', k, "ai-api-key", "OpenAI")
    f.pos(f"HF_TOKEN={(k := g.huggingface())}", k, "ai-api-key", "Hugging Face")
    f.neg("OPENAI_BASE_URL=https://api.openai.com/v1", "plain-value")
    f.neg("MODEL_NAME=claude-3-5-sonnet-latest", "plain-value")
    f.neg("ANTHROPIC_API_KEY=${ANTHROPIC_API_KEY}", "template-reference")


def shell_script(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/scripts/deploy_{g.app()}.sh")
    f.add("#!/usr/bin/env bash\nset -euo pipefail\n\n# deploy the service to the staging cluster")
    f.pos(f'export GITHUB_TOKEN="{(k := g.github("p"))}"', k, "vcs-token", "GitHub")
    f.pos(f"export DIGITALOCEAN_ACCESS_TOKEN={(k := g.digitalocean())}", k, "cloud-key", "DigitalOcean")
    f.add('REPO="acme/platform"\nSHA=$(git rev-parse HEAD)')
    f.neg('export NPM_TOKEN="${NPM_TOKEN:?missing}"', "template-reference")
    f.neg('export AWS_SECRET_ACCESS_KEY="$(aws configure get aws_secret_access_key)"', "template-reference")
    f.pos(f'curl -sf -H "Authorization: Bearer {(k := g.jwt())}" https://api.acme-int.net/v2/deploys', k, "jwt", "JWT")
    f.pos(f'curl -X POST -H "Content-type: application/json" --data \'{{"text":"deployed"}}\' {(k := g.slack_webhook())}', k, "saas-api-key", "Slack")
    f.pos(f"docker login -u acmebot -p {(k := g.dockerhub())} docker.io", k, "package-registry", "Docker Hub")
    f.pos(f"mysql -h {g.host()} -u {g.user()} -p'{(p := g.password().replace(chr(39), ''))}' {g.app()} < migrate.sql", p, "password-in-config", "MySQL")
    f.neg('echo "deploy finished at $(date -u +%FT%TZ)"', "plain-value")


def k8s_secret(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/k8s/{g.app()}-secret.yaml")
    f.add(f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {g.app()}-credentials\n  namespace: prod\ntype: Opaque\ndata:")
    url = "postgresql://" + ":".join([g.user(), g.url_password()]) + "@" + g.host() + ":5432/app"
    f.pos(f"  DATABASE_URL: {base64.b64encode(url.encode()).decode()}", url, "encoded", "PostgreSQL")
    k = g.aws_secret()
    f.pos(f"  AWS_SECRET_ACCESS_KEY: {base64.b64encode(k.encode()).decode()}", k, "encoded", "AWS")
    k = g.github("s")
    f.pos(f"  GH_APP_TOKEN: {base64.b64encode(k.encode()).decode()}", k, "encoded", "GitHub")
    f.add("stringData:")
    f.pos(f"  SLACK_BOT_TOKEN: {(k := g.slack_bot())}", k, "saas-api-key", "Slack")
    f.pos(f'  redis-password: "{(p := g.password())}"', p, "password-in-config", "generic")
    f.add("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:")
    f.neg("  LOG_FORMAT: json", "plain-value")
    f.neg("  PASSWORD_MIN_LENGTH: \"12\"", "plain-value")
    f.neg(f"  BUILD_ID: {g.s(HEX, 40)}", "identifier")


def k8s_deployment(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/k8s/{g.app()}-deployment.yaml")
    f.add(f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {g.app()}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.acme-int.net/app@sha256:{g.s(HEX, 64)}\n          env:")
    f.add("            - name: DATADOG_API_KEY")
    f.pos(f'              value: "{(k := g.datadog_api())}"', k, "saas-api-key", "Datadog")
    f.add("            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: db-credentials")
    f.neg("                  key: password", "plain-value")
    f.add("            - name: NEW_RELIC_API_KEY")
    f.pos(f"              value: {(k := g.newrelic())}", k, "saas-api-key", "New Relic")
    f.add("            - name: SENTRY_AUTH_TOKEN")
    f.pos(f"              value: {(k := g.sentry_user())}", k, "saas-api-key", "Sentry")


def compose(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/compose/docker-compose.yml")
    f.add("services:\n  db:\n    image: postgres:16.3\n    environment:\n      POSTGRES_USER: app")
    f.pos(f"      POSTGRES_PASSWORD: {(p := g.password())}", p, "password-in-config", "PostgreSQL")
    f.add("  mysql:\n    image: mysql:8.4\n    environment:")
    f.pos(f'      MYSQL_ROOT_PASSWORD: "{(p := g.password())}"', p, "password-in-config", "MySQL")
    f.neg("      MYSQL_PASSWORD: ${MYSQL_PASSWORD}", "template-reference")
    f.add("  worker:\n    build: .\n    environment:")
    f.pos(f"      - RABBITMQ_URL=amqp://{g.user()}:{(p := g.s(ALNUM, 20))}@mq:5672/prod", p, "connection-string", "RabbitMQ")
    f.pos(f"      - TWILIO_AUTH_TOKEN={(k := g.s(HEX, 32))}", k, "saas-api-key", "Twilio")
    f.neg(f"      - TWILIO_ACCOUNT_SID={g.twilio_sid()}", "identifier")
    f.pos(f"      - TWILIO_API_KEY={(k := g.twilio_api_key())}", k, "saas-api-key", "Twilio")
    f.neg("      - GRAFANA_ADMIN_PASSWORD=admin", "placeholder")


def gh_actions(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/.github/workflows/release.yml")
    f.add("name: release\non:\n  push:\n    tags: ['v*']\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    env:")
    f.neg("      NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}", "template-reference")
    f.pos(f"      PYPI_TOKEN: {(k := g.pypi())}", k, "package-registry", "PyPI")
    f.pos(f"      GITLAB_TOKEN: {(k := g.gitlab('pat'))}", k, "vcs-token", "GitLab")
    f.add("    steps:\n      - uses: actions/checkout@" + g.s(HEX, 40))
    f.neg("      - uses: actions/setup-node@v4\n        with:\n          node-version: 20.11.1", "identifier")
    f.add("      - run: npm publish\n        env:")
    f.pos(f"          NPM_TOKEN: {(k := g.npm())}", k, "package-registry", "npm")
    f.neg("          GITHUB_TOKEN: ${{ github.token }}", "template-reference")


def ansible(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/ansible/group_vars/{g.app()}.yml")
    f.add("---\nansible_user: ubuntu")
    f.pos(f"ansible_become_password: {(p := g.password())}", p, "password-in-config", "generic")
    f.add(f"postgresql_users:\n  - name: {g.user()}")
    f.pos(f'    password: "{(p := g.password())}"', p, "password-in-config", "PostgreSQL")
    f.add("vault_db_password: !vault |")
    f.neg("          $ANSIBLE_VAULT;1.1;AES256", "encrypted-value")
    for _ in range(4):
        f.neg("          " + g.s(HEX, 80), "encrypted-value")
    f.neg('db_password: "{{ vault_db_password }}"', "template-reference")
    f.neg("api_token: \"{{ lookup('community.hashi_vault.hashi_vault', 'secret=secret/data/app:token') }}\"", "secret-manager-ref")
    f.pos(f"vault_token: {(k := g.vault())}", k, "infra-token", "HashiCorp Vault")


def appsettings(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/dotnet/{g.app().capitalize()}.Api/appsettings.Production.json")
    f.add('{\n  "Logging": { "LogLevel": { "Default": "Warning" } },\n  "ConnectionStrings": {')
    p = g.password().replace(";", "")
    f.pos(f'    "Default": "Server=tcp:{g.host()},1433;Database={g.app()};User ID={g.user()};Password={p};Encrypt=True;"', p, "connection-string", "SQL Server")
    acct = "st" + g.s(LALNUM, 10)
    k = g.azure_storage_key()
    f.pos(f'    "Storage": "DefaultEndpointsProtocol=https;AccountName={acct};AccountKey={k};EndpointSuffix=core.windows.net"', k, "cloud-key", "Azure")
    f.add("  },\n  \"AzureAd\": {\n    \"Instance\": \"https://login.microsoftonline.com/\",")
    f.neg(f'    "TenantId": "{g.uuid()}",', "identifier")
    f.neg(f'    "ClientId": "{g.uuid()}",', "identifier")
    k = g.s(ALNUM + "_-.~", 3) + "8Q~" + g.s(ALNUM + "_-.~", 34)
    f.pos(f'    "ClientSecret": "{k}"', k, "cloud-key", "Azure")
    f.add("  },\n  \"KeyVault\": {")
    f.neg('    "SecretUri": "@Microsoft.KeyVault(SecretUri=https://kv-prod.vault.azure.net/secrets/DbPassword/)"', "secret-manager-ref")
    f.add("  },")
    f.pos(f'  "SendGrid": {{ "ApiKey": "{(k := g.sendgrid())}" }},', k, "saas-api-key", "SendGrid")
    f.neg('  "Smtp": { "Password": "" },', "placeholder")
    f.add('  "AllowedHosts": "*"\n}')


def package_json(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/web-{g.app()}/package.json")
    f.add(f'{{\n  "name": "@acme/{g.app()}-web",\n  "version": "3.{g.n(0, 20)}.{g.n(0, 9)}",\n  "private": true,\n  "scripts": {{\n    "build": "vite build",')
    f.pos(f'    "sentry:upload": "SENTRY_AUTH_TOKEN={(k := g.sentry_user())} sentry-cli sourcemaps upload dist"', k, "saas-api-key", "Sentry")
    f.add('    "test": "vitest run"\n  },\n  "config": {')
    f.pos(f'    "mapboxToken": "{(k := J("s", "k.") + g.b64url(60) + "." + g.s(B64URL, 22))}",', k, "saas-api-key", "Mapbox")
    f.pos(f'    "linearApiKey": "{(k := g.linear())}"', k, "saas-api-key", "Linear")
    f.add('  },\n  "dependencies": {\n    "react": "^18.3.1",\n    "zod": "^3.23.8"\n  }\n}')


def docker_config(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/ci/.docker/config.json")
    f.add('{\n  "auths": {')
    up = f"{g.user()}:{g.password()}"
    f.add('    "registry.acme-int.net": {')
    f.pos(f'      "auth": "{(a := base64.b64encode(up.encode()).decode())}"', a, "credential-file", "Docker registry")
    f.add("    },\n    \"https://index.docker.io/v1/\": {")
    up = f"acmebot:{g.dockerhub()}"
    f.pos(f'      "auth": "{(a := base64.b64encode(up.encode()).decode())}"', a, "credential-file", "Docker Hub")
    f.add('    }\n  },\n  "credsStore": "desktop",')
    f.neg('  "credHelpers": { "123456789012.dkr.ecr.us-east-1.amazonaws.com": "ecr-login" }', "secret-manager-ref")
    f.add("}")


def toml_config(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/{g.app()}-rs/config/production.toml")
    f.add('[server]\nbind = "0.0.0.0:8443"\n\n[database]')
    f.pos(f'url = "mysql://{g.user()}:{(p := g.s(ALNUM, 18))}@{g.host()}:3306/{g.app()}"', p, "connection-string", "MySQL")
    f.add("pool_size = 16\n\n[github]")
    f.pos(f'token = "{(k := g.github_fine())}"', k, "vcs-token", "GitHub")
    f.neg('app_id = "834211"', "identifier")
    f.add("\n[cloudflare]")
    f.pos(f'api_token = "{(k := g.s(B64URL, 40))}"', k, "cloud-key", "Cloudflare")
    f.neg('zone_id = "' + g.s(HEX, 32) + '"', "identifier")
    f.add("\n[pulumi]")
    f.pos(f'access_token = "{(k := g.pulumi())}"', k, "infra-token", "Pulumi")
    f.add("\n[secrets]")
    f.neg('provider = "aws-secretsmanager"\narn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app-AbCdEf"', "secret-manager-ref")


def ini_config(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/legacy/{g.app()}.ini")
    f.add("[app]\ndebug = false\n\n[database]\nhost = " + g.host() + "\nport = 5432\nuser = " + g.user())
    f.pos(f"password = {(p := g.password())}", p, "password-in-config", "generic")
    f.neg("password_file = /run/secrets/db_password", "plain-value")
    f.add("\n[smtp]\nserver = smtp.mailgun.org\nlogin = postmaster@mg.acme-int.net")
    f.pos(f"api_key = {(k := g.mailgun())}", k, "saas-api-key", "Mailgun")
    f.add("\n[mailchimp]")
    f.pos(f"apikey = {(k := g.mailchimp())}", k, "saas-api-key", "Mailchimp")
    f.neg("\n[interpolation]\nconn = postgresql://%(user)s:%(password)s@%(host)s/app", "template-reference")


def aws_credentials(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/home/ops/.aws/credentials")
    f.add("[default]")
    f.pos(f"aws_access_key_id = {(k := g.aws_id())}", k, "cloud-key", "AWS")
    f.pos(f"aws_secret_access_key = {(k := g.aws_secret())}", k, "cloud-key", "AWS")
    f.add("\n[ci-temp]")
    f.pos(f"aws_access_key_id = {(k := g.aws_id(temp=True))}", k, "cloud-key", "AWS")
    f.pos(f"aws_secret_access_key = {(k := g.aws_secret())}", k, "cloud-key", "AWS")
    f.add("\n[example-docs]")
    f.neg(f"aws_access_key_id = {DOC_AWS_ID}\naws_secret_access_key = {DOC_AWS_SECRET}", "doc-example-key")


def properties(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/{g.app()}-java/src/main/resources/application-prod.properties")
    f.add(f"spring.application.name={g.app()}\nserver.port=8080")
    f.add(f"spring.datasource.url=jdbc:postgresql://{g.host()}:5432/{g.app()}\nspring.datasource.username={g.user()}")
    f.pos(f"spring.datasource.password={(p := g.password())}", p, "password-in-config", "generic")
    f.pos(f"jdbc.url=jdbc:mysql://{g.host()}:3306/app?user={g.user()}&password={(p := g.s(ALNUM, 16))}&useSSL=true", p, "connection-string", "MySQL")
    f.pos(f"app.shopify.access-token={(k := g.shopify('at'))}", k, "saas-api-key", "Shopify")
    f.pos(f"app.shopify.shared-secret={(k := g.shopify('ss'))}", k, "saas-api-key", "Shopify")
    f.neg("spring.mail.password=${MAIL_PASSWORD}", "template-reference")
    f.neg("security.oauth2.client.registration.github.client-secret=${GITHUB_CLIENT_SECRET:}", "template-reference")
    f.neg("management.endpoints.web.exposure.include=health,info", "plain-value")


def xml_files(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/iis/{g.app()}/web.config")
    f.add('<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <connectionStrings>')
    p = g.password().replace(";", "").replace('"', "")
    f.pos(f'    <add name="Main" connectionString="Data Source={g.host()};Initial Catalog={g.app()};User ID={g.user()};Password={p}" providerName="System.Data.SqlClient" />', p, "connection-string", "SQL Server")
    f.add("  </connectionStrings>\n  <appSettings>")
    f.pos(f'    <add key="PostmarkApiKey" value="{(k := g.uuid())}" />', k, "saas-api-key", "Postmark")
    f.pos(f'    <add key="TwilioApiKey" value="{(k := g.twilio_api_key())}" />', k, "saas-api-key", "Twilio")
    f.neg('    <add key="PasswordResetUrl" value="https://acme-int.net/account/reset" />', "plain-value")
    f.add("  </appSettings>\n  <system.web>")
    f.neg('    <machineKey validation="HMACSHA256" decryption="AES" validationKey="AutoGenerate,IsolateApps" decryptionKey="AutoGenerate,IsolateApps" />', "plain-value")
    f.add("  </system.web>\n</configuration>")

    f = c.file(f"{d}/maven/settings.xml")
    f.add('<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">\n  <servers>\n    <server>\n      <id>acme-releases</id>\n      <username>deployer</username>')
    f.pos(f"      <password>{(p := g.password().replace('<', '').replace('&', ''))}</password>", p, "password-in-config", "Maven")
    f.add("    </server>\n    <server>\n      <id>github</id>\n      <username>acme-ci</username>")
    f.pos(f"      <password>{(k := g.github('p'))}</password>", k, "vcs-token", "GitHub")
    f.add("    </server>\n    <server>\n      <id>central-mirror</id>")
    f.neg("      <password>${env.MAVEN_PASSWORD}</password>", "template-reference")
    f.neg("      <password>{COQLCE6DU6GtcS5P=}</password>", "encrypted-value")
    f.add("    </server>\n  </servers>\n</settings>")

    f = c.file(f"{d}/tomcat/conf/tomcat-users.xml")
    f.add('<?xml version="1.0" encoding="UTF-8"?>\n<tomcat-users xmlns="http://tomcat.apache.org/xml" version="1.0">\n  <role rolename="manager-gui"/>')
    f.pos(f'  <user username="tcadmin" password="{(p := g.password().replace(chr(34), "").replace("&", "").replace("<", ""))}" roles="manager-gui,admin-gui"/>', p, "password-in-config", "Tomcat")
    f.neg('  <!-- <user username="role1" password="<must-be-changed>" roles="role1"/> -->', "placeholder")
    f.add("</tomcat-users>")

    f = c.file(f"{d}/filezilla/sitemanager.xml")
    f.add('<?xml version="1.0" encoding="UTF-8"?>\n<FileZilla3 version="3.66.1" platform="windows">\n  <Servers>\n    <Server>\n      <Host>ftp.acme-int.net</Host>\n      <Port>21</Port>\n      <Protocol>0</Protocol>\n      <User>webmaster</User>')
    pw = base64.b64encode(g.password().encode()).decode()
    f.pos("      <Pass " + 'encoding="base64">' + pw + "</Pass>", pw, "credential-file", "FileZilla")
    f.add("      <Name>prod ftp</Name>\n    </Server>\n  </Servers>\n</FileZilla3>")


def python_code(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/{g.app()}_py/{g.app()}/clients.py")
    f.add('"""Thin API clients."""\nimport os\n\nimport requests\n')
    f.pos(f'STRIPE_KEY = "{(k := g.stripe("rk"))}"', k, "saas-api-key", "Stripe")
    f.pos(f'GOOGLE_MAPS_KEY = "{(k := g.gcp_api_key())}"', k, "cloud-key", "GCP")
    f.neg('SLACK_TOKEN = os.environ["SLACK_TOKEN"]', "template-reference")
    f.neg('PASSWORD = os.getenv("DB_PASSWORD", "")', "template-reference")
    f.add("\n\ndef telegram_client():")
    f.pos(f'    return Bot(token="{(k := g.telegram())}")', k, "saas-api-key", "Telegram")
    f.add("\n\ndef session():\n    s = requests.Session()")
    f.pos(f'    s.auth = ("api", "{(p := g.password().replace(chr(34), ""))}")', p, "password-in-config", "generic")
    f.neg('    s.headers["X-Request-Id"] = "' + g.uuid() + '"', "identifier")
    f.add("    return s")


def django_settings(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/{g.app()}_site/{g.app()}_site/settings.py")
    f.add("from pathlib import Path\n\nBASE_DIR = Path(__file__).resolve().parent.parent\n")
    k = g.django_key()
    if g.n(0, 1):
        k = "django-insecure-" + k
    f.pos(f"SECRET_KEY = '{k}'", k, "framework-secret", "Django")
    f.add("DEBUG = False\nALLOWED_HOSTS = ['acme-int.net']\n\nDATABASES = {\n    'default': {\n        'ENGINE': 'django.db.backends.postgresql',\n        'NAME': 'app',\n        'USER': 'django',")
    f.pos(f"        'PASSWORD': '{(p := g.password().replace(chr(39), ''))}',", p, "password-in-config", "Django")
    f.add(f"        'HOST': '{g.host()}',\n    }}\n}}\n")
    f.neg("EMAIL_HOST_PASSWORD = os.environ.get('EMAIL_HOST_PASSWORD')", "template-reference")
    f.neg("AUTH_PASSWORD_VALIDATORS = [{'NAME': 'django.contrib.auth.password_validation.MinimumLengthValidator'}]", "plain-value")


def flask_config(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/{g.app()}_flask/config.py")
    f.add("class ProductionConfig:")
    f.pos(f"    SECRET_KEY = '{(k := g.s(HEX, 64))}'", k, "framework-secret", "Flask")
    f.pos(f"    SQLALCHEMY_DATABASE_URI = 'postgresql+psycopg2://{g.user()}:{(p := g.s(ALNUM, 20))}@{g.host()}/app'", p, "connection-string", "PostgreSQL")
    f.pos(f"    MONGO_URI = 'mongodb+srv://{g.user()}:{(p := g.s(ALNUM, 16))}@cluster0.{g.s(LALNUM, 5)}.mongodb.net/app?retryWrites=true'", p, "connection-string", "MongoDB")
    f.pos(f"    REDIS_URL = 'redis://:{(p := g.s(ALNUM, 24))}@{g.host()}:6379/0'", p, "connection-string", "Redis")
    f.neg("    SESSION_COOKIE_NAME = 'session_token'", "plain-value")


def js_code(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/web-{g.app()}/src/lib/integrations.ts")
    f.add("import { Client } from '@acme/http';\n")
    f.pos(f"const SHOPIFY_TOKEN = '{(k := g.shopify('at'))}';", k, "saas-api-key", "Shopify")
    f.pos(f'export const hf = new HfInference("{(k := g.huggingface())}");', k, "ai-api-key", "Hugging Face")
    f.neg("const apiKey = process.env.OPENAI_API_KEY ?? '';", "template-reference")
    f.neg("const password = config.get<string>('db.password');", "template-reference")
    f.pos(f"const slack = new WebClient('{(k := g.slack_user())}');", k, "saas-api-key", "Slack")
    f.pos(f"const square = new SquareClient({{ token: '{(k := g.square())}' }});", k, "saas-api-key", "Square")
    f.neg("const tokenType = 'Bearer';", "plain-value")
    f.pos(f"const postman = axios.create({{ headers: {{ 'X-Api-Key': '{(k := g.postman())}' }} }});", k, "saas-api-key", "Postman")

    f = c.file(f"{d}/web-{g.app()}/server/db.js")
    f.add("const { Pool } = require('pg');\n")
    f.pos(f"const pool = new Pool({{ connectionString: 'postgres://{g.user()}:{(p := g.s(ALNUM, 18))}@{g.host()}/app' }});", p, "connection-string", "PostgreSQL")
    f.pos(f"const anthropic = new Anthropic({{ apiKey: '{(k := g.anthropic())}' }});", k, "ai-api-key", "Anthropic")
    f.add("module.exports = { pool };")


def go_code(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/{g.app()}-go/internal/config/defaults.go")
    f.add('package config\n\nimport "os"\n\nconst (')
    f.pos(f'\tgitlabDeployToken = "{(k := g.gitlab("dt"))}"', k, "vcs-token", "GitLab")
    f.pos(f'\tgrafanaToken      = "{(k := g.grafana_sa())}"', k, "saas-api-key", "Grafana")
    f.pos(f'\tdopplerToken      = "{(k := g.doppler())}"', k, "infra-token", "Doppler")
    f.add(")\n\nfunc DSN() string {")
    f.neg('\treturn os.Getenv("DATABASE_URL")', "template-reference")
    f.add("}\n\nvar awsCreds = credentials.NewStaticCredentials(")
    f.pos(f'\t"{(k := g.aws_id())}",', k, "cloud-key", "AWS")
    f.pos(f'\t"{(k := g.aws_secret())}",', k, "cloud-key", "AWS")
    f.add('\t"",\n)')


def java_code(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/{g.app()}-java/src/main/java/com/acme/{g.app()}/Clients.java")
    f.add(f"package com.acme.{g.app()};\n\npublic final class Clients {{")
    f.pos(f'    private static final String SENDGRID = "{(k := g.sendgrid())}";', k, "saas-api-key", "SendGrid")
    f.pos(f'    private static final String DB_PASS = "{(p := g.password().replace(chr(34), "").replace(chr(92), ""))}";', p, "password-in-config", "generic")
    f.neg('    private static final String PASSWORD_PROPERTY = "spring.datasource.password";', "plain-value")
    f.neg('    private static final String TOKEN = System.getenv("API_TOKEN");', "template-reference")
    f.pos(f'    private static final String TF_TOKEN = "{(k := g.terraform_cloud())}";', k, "infra-token", "Terraform Cloud")
    f.add("}")


def ruby_code(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/{g.app()}-rails/config/initializers/services.rb")
    f.add("Rails.application.configure do")
    f.pos(f'  config.x.github_token = "{(k := g.github("o"))}"', k, "vcs-token", "GitHub")
    f.pos(f"  Stripe.api_key = '{(k := g.stripe())}'", k, "saas-api-key", "Stripe")
    f.neg("  config.x.sendgrid_key = ENV.fetch('SENDGRID_API_KEY')", "template-reference")
    f.neg("  config.x.secret = Rails.application.credentials.dig(:aws, :secret_access_key)", "secret-manager-ref")
    f.add("end")

    f = c.file(f"{d}/{g.app()}-rails/config/master.key")
    f.pos((k := g.s(HEX, 32)), k, "framework-secret", "Rails")

    f = c.file(f"{d}/{g.app()}-rails/config/secrets.yml")
    f.add("development:")
    f.neg("  secret_key_base: <%= ENV['SECRET_KEY_BASE'] %>", "template-reference")
    f.add("production:")
    f.pos(f"  secret_key_base: {(k := g.s(HEX, 128))}", k, "framework-secret", "Rails")


def php_code(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/wordpress-{g.app()}/wp-config.php")
    f.add("<?php\ndefine( 'DB_NAME', 'wordpress' );\ndefine( 'DB_USER', 'wp_" + g.app() + "' );")
    f.pos(f"define( 'DB_PASSWORD', '{(p := g.password().replace(chr(39), ''))}' );", p, "password-in-config", "WordPress")
    f.add("define( 'DB_HOST', 'localhost' );\ndefine( 'DB_CHARSET', 'utf8mb4' );\n")
    for name in ["AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY"]:
        f.pos(f"define( '{name}', '{(k := g.wp_salt())}' );", k, "framework-secret", "WordPress")
    f.neg("define( 'AUTH_SALT', 'put your unique phrase here' );", "placeholder")
    f.add("$table_prefix = 'wp_';\ndefine( 'WP_DEBUG', false );")

    f = c.file(f"{d}/laravel-{g.app()}/config/services.php")
    f.add("<?php\n\nreturn [\n    'mailgun' => [\n        'domain' => env('MAILGUN_DOMAIN'),")
    f.neg("        'secret' => env('MAILGUN_SECRET'),", "template-reference")
    f.add("    ],\n    'postmark' => [")
    f.pos(f"        'token' => '{(k := g.uuid())}',", k, "saas-api-key", "Postmark")
    f.add("    ],\n    'stripe' => [")
    f.pos(f"        'secret' => '{(k := g.stripe())}',", k, "saas-api-key", "Stripe")
    f.add("    ],\n];")


def csharp_code(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/dotnet/{g.app().capitalize()}.Worker/Program.cs")
    f.add("using Azure.Storage.Blobs;\n\nvar builder = Host.CreateApplicationBuilder(args);")
    k = g.azure_storage_key()
    f.pos(f'var blobs = new BlobServiceClient("DefaultEndpointsProtocol=https;AccountName=st{g.s(LALNUM, 8)};AccountKey={k};EndpointSuffix=core.windows.net");', k, "cloud-key", "Azure")
    f.pos(f'var sb = new ServiceBusClient("Endpoint=sb://acme-{g.app()}.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={(k := g.b64(32))}");', k, "cloud-key", "Azure")
    f.neg('var conn = builder.Configuration.GetConnectionString("Default");', "template-reference")
    f.pos(f'const string DatadogAppKey = "{(k := g.datadog_app())}";', k, "saas-api-key", "Datadog")
    f.add("builder.Build().Run();")


def terraform(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/infra/{g.app()}/terraform.tfvars")
    f.add(f'region      = "eu-west-1"\nenvironment = "prod"\ninstance_type = "t3.large"')
    f.pos(f'aws_access_key = "{(k := g.aws_id())}"', k, "cloud-key", "AWS")
    f.pos(f'aws_secret_key = "{(k := g.aws_secret())}"', k, "cloud-key", "AWS")
    f.pos(f'db_password    = "{(p := g.password().replace(chr(34), ""))}"', p, "password-in-config", "generic")
    f.pos(f'datadog_api_key = "{(k := g.datadog_api())}"', k, "saas-api-key", "Datadog")
    f.neg('db_password_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-pass-Xy12Ab"', "secret-manager-ref")
    f.neg(f'ami_id = "ami-0{g.s(HEX, 16)}"', "identifier")
    f.neg('kms_key_id = "alias/prod-app"', "identifier")

    f = c.file(f"{d}/infra/{g.app()}/gcp-sa-key.json")
    proj = f"acme-{g.app()}-{g.n(100000, 999999)}"
    first, block = g.pem_private("pkcs8")
    f.add('{\n  "type": "service_account",\n  "project_id": "' + proj + '",')
    f.neg(f'  "private_key_id": "{g.s(HEX, 40)}",', "identifier")
    esc = block.replace("\n", "\\n") + "\\n"
    f.pos(f'  "private_key": "{esc}",', esc, "private-key", "GCP")
    f.add(f'  "client_email": "terraform@{proj}.iam.gserviceaccount.com",\n  "client_id": "{g.s(DIGITS, 21)}",\n  "auth_uri": "https://accounts.google.com/o/oauth2/auth",\n  "token_uri": "https://oauth2.googleapis.com/token"\n}}')


def credential_files(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/home/dev/.netrc")
    f.pos(f"machine api.heroku.com login dev@acme-int.net password {(k := g.heroku())}", k, "credential-file", "Heroku")
    f.add("machine ftp.acme-int.net\n  login backup")
    f.pos(f"  password {(p := g.password())}", p, "credential-file", "netrc")

    f = c.file(f"{d}/home/dev/.pgpass")
    f.pos(f"{g.host()}:5432:{g.app()}:{g.user()}:{(p := g.password().replace(':', ''))}", p, "credential-file", "PostgreSQL")
    f.pos(f"*:5432:*:replicator:{(p := g.s(ALNUM, 20))}", p, "credential-file", "PostgreSQL")

    f = c.file(f"{d}/home/dev/.git-credentials")
    f.pos(f"https://acme-ci:{(k := g.github('p'))}@github.com", k, "credential-file", "GitHub")
    f.pos(f"https://oauth2:{(k := g.gitlab('pat'))}@gitlab.acme-int.net", k, "credential-file", "GitLab")
    f.pos(f"https://{g.user()}:{(p := g.s(ALNUM, 18))}@bitbucket.org", p, "credential-file", "Bitbucket")

    f = c.file(f"{d}/home/dev/.npmrc")
    f.add("registry=https://registry.npmjs.org/\nsave-exact=true")
    f.pos(f"//registry.npmjs.org/:_authToken={(k := g.npm())}", k, "package-registry", "npm")
    auth = base64.b64encode(f"{g.user()}:{g.password()}".encode()).decode()
    f.pos(f"//npm.acme-int.net/repository/npm/:_auth={auth}", auth, "credential-file", "npm registry")
    f.neg("//npm.pkg.github.com/:_authToken=${GITHUB_TOKEN}", "template-reference")

    f = c.file(f"{d}/home/dev/.pypirc")
    f.add("[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__")
    f.pos(f"password = {(k := g.pypi())}", k, "package-registry", "PyPI")

    f = c.file(f"{d}/etc/nginx/.htpasswd")
    salt = g.s(ALNUM + "./", 8)
    f.pos(f"admin:$apr1${salt}${(h := g.s(ALNUM + './', 22))}", h, "password-hash", "htpasswd")
    f.pos(f"metrics:{{SHA}}{(h := g.b64(20))}", h, "password-hash", "htpasswd")
    f.pos(f"deploy:$2y$10${(h := g.s(ALNUM + './', 53))}", h, "password-hash", "htpasswd")

    f = c.file(f"{d}/etc/shadow.bak")
    f.pos(f"root:$6${g.s(ALNUM + './', 16)}${(h := g.s(ALNUM + './', 86))}:19{g.n(100, 900)}:0:99999:7:::", h, "password-hash", "shadow")
    f.neg("daemon:*:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\nnobody:!:19000:0:99999:7:::", "plain-value")
    f.pos(f"ubuntu:$y$j9T${g.s(ALNUM + './', 22)}${(h := g.s(ALNUM + './', 43))}:19{g.n(100, 900)}:0:99999:7:::", h, "password-hash", "shadow")


def private_keys(c: Corpus, g: Gen, d: str) -> None:
    for kind, name in [("rsa", "deploy_rsa"), ("pkcs8", "tls/server.key"), ("ec", "signing-ec.pem"), ("openssh", "ssh/id_ed25519")]:
        f = c.file(f"{d}/keys/{name}")
        first, block = g.pem_private(kind)
        f.pos(block, first, "private-key", "PEM")
    f = c.file(f"{d}/keys/age-identity.txt")
    f.add(f"# created: 2024-0{g.n(1, 9)}-1{g.n(0, 9)}T10:00:00Z\n# public key: age1{g.s(LALNUM, 58)}")
    f.pos((k := g.age()), k, "private-key", "age")


def markdown_docs(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/docs/{g.app()}-runbook.md")
    f.add(f"# {g.app().capitalize()} runbook\n\n## Calling the admin API\n\nThe on-call token (rotate quarterly):\n\n```sh")
    f.pos(f"export ATLASSIAN_TOKEN={(k := g.atlassian())}", k, "saas-api-key", "Atlassian")
    f.pos(f'curl -H "Authorization: token {(k := g.github("u"))}" https://api.github.com/user', k, "vcs-token", "GitHub")
    f.add("```\n\nStaging database:\n")
    f.pos(f"    psql postgresql://{g.user()}:{(p := g.s(ALNUM, 16))}@{g.host()}:5432/staging", p, "connection-string", "PostgreSQL")
    f.add("\n## Replicate\n")
    f.pos(f"Use `{(k := J('r', '8_') + g.s(ALNUM, 37))}` as REPLICATE_API_TOKEN.", k, "ai-api-key", "Replicate")
    f.add("\nSee the [vault docs](https://vault.acme-int.net/ui/) for the rest.")


def misc_tokens(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/ops/tokens.yaml")
    f.add("# handed over by the previous on-call")
    f.pos(f"github_refresh: {(k := g.github('r'))}", k, "vcs-token", "GitHub")
    f.pos(f"gitlab_runner: {(k := J('gl', 'rt-') + g.s(B64URL, 20))}", k, "vcs-token", "GitLab")
    f.pos(f"slack_app_token: {(k := J('xa', 'pp-1-') + 'A' + g.s(UPPER + DIGITS, 10) + '-' + g.s(DIGITS, 13) + '-' + g.s(HEX, 64))}", k, "saas-api-key", "Slack")
    f.pos(f"discord_webhook: https://discord.com/api/webhooks/{g.s(DIGITS, 18)}/{(k := g.s(B64URL, 68))}", k, "saas-api-key", "Discord")
    f.pos(f"heroku_api_key: {(k := g.heroku())}", k, "saas-api-key", "Heroku")
    f.pos(f"okta_api_token: 00{(k := g.s(B64URL, 40))}", k, "saas-api-key", "Okta")
    f.pos(f"firebase_fcm_server_key: {(k := 'AAAA' + g.s(B64URL, 7) + ':APA91b' + g.s(B64URL, 134))}", k, "cloud-key", "Firebase")
    f.pos(f"session_jwt: {(k := g.jwt())}", k, "jwt", "JWT")


# ---------------------------------------------------------------------------------------
# Hard-negative templates.


def neg_lockfiles(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/web-lock/package-lock.json")
    f.add('{\n  "name": "web",\n  "lockfileVersion": 3,\n  "packages": {')
    for name in ["react", "zod", "lodash", "axios", "dayjs"]:
        f.add(f'    "node_modules/{name}": {{\n      "version": "{g.n(1, 9)}.{g.n(0, 30)}.{g.n(0, 9)}",\n      "resolved": "https://registry.npmjs.org/{name}/-/{name}-1.0.0.tgz",')
        f.neg(f'      "integrity": "sha512-{g.b64(64)}",', "lockfile-hash")
        f.add("      \"license\": \"MIT\"\n    },")
    f.add("  }\n}")

    f = c.file(f"{d}/web-lock/yarn.lock")
    f.add("# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n")
    for name in ["chalk", "commander", "semver", "debug"]:
        sha1 = g.s(HEX, 40)
        f.add(f'{name}@^4.0.0:\n  version "4.{g.n(0, 9)}.{g.n(0, 9)}"')
        f.neg(f'  resolved "https://registry.yarnpkg.com/{name}/-/{name}-4.1.2.tgz#{sha1}"', "lockfile-hash")
        f.neg(f"  integrity sha512-{g.b64(64)}", "lockfile-hash")
        f.add("")

    f = c.file(f"{d}/go-lock/go.sum")
    for mod in ["github.com/spf13/cobra v1.8.0", "golang.org/x/sys v0.21.0", "github.com/stretchr/testify v1.9.0", "google.golang.org/grpc v1.64.0"]:
        f.neg(f"{mod} h1:{g.b64(32)}", "lockfile-hash")
        f.neg(f"{mod}/go.mod h1:{g.b64(32)}", "lockfile-hash")

    f = c.file(f"{d}/rust-lock/Cargo.lock")
    f.add("# This file is automatically @generated by Cargo.\nversion = 4\n")
    for name in ["serde", "regex", "memchr", "anyhow"]:
        f.add(f'[[package]]\nname = "{name}"\nversion = "1.0.{g.n(0, 200)}"\nsource = "registry+https://github.com/rust-lang/crates.io-index"')
        f.neg(f'checksum = "{g.s(HEX, 64)}"', "lockfile-hash")
        f.add("")

    f = c.file(f"{d}/py-lock/poetry.lock")
    f.add('[[package]]\nname = "requests"\nversion = "2.32.3"\nfiles = [')
    for _ in range(3):
        f.neg(f'    {{file = "requests-2.32.3-py3-none-any.whl", hash = "sha256:{g.s(HEX, 64)}"}},', "lockfile-hash")
    f.add("]")

    f = c.file(f"{d}/py-lock/requirements.txt")
    f.neg(f"django==5.0.6 \\\n    --hash=sha256:{g.s(HEX, 64)} \\\n    --hash=sha256:{g.s(HEX, 64)}", "lockfile-hash")


def neg_placeholders(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/templates/.env.example")
    f.add("# copy to .env and fill in")
    for line in [
        "AWS_ACCESS_KEY_ID=<your-access-key-id>",
        "AWS_SECRET_ACCESS_KEY=<your-secret-access-key>",
        "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "STRIPE_SECRET_KEY=sk_live_****************************",
        "DB_PASSWORD=changeme",
        "SECRET_KEY=your-secret-key-here",
        "SLACK_BOT_TOKEN=xoxb-your-token",
        "OPENAI_API_KEY=sk-...",
        "API_KEY=dummy",
        "SENDGRID_API_KEY=REDACTED",
        "JWT_SECRET=<jwt-secret>",
        "PASSWORD=password",
        "ADMIN_PASSWORD=********",
        "DATABASE_URL=postgres://user:password@localhost:5432/app",
        "REDIS_URL=redis://:${REDIS_PASSWORD}@redis:6379/0",
        "MONGO_URI=mongodb://<username>:<password>@cluster0.example.mongodb.net/",
        "TOKEN=TODO",
        "API_SECRET=example-secret",
        "CLIENT_SECRET={{ client_secret }}",
        "DB_PASS=%(db_pass)s",
    ]:
        f.neg(line, "placeholder")

    f = c.file(f"{d}/templates/values.yaml")
    f.add("# Default values for the chart.\nimage:\n  repository: registry.acme-int.net/app\n  tag: \"\"")
    f.neg("auth:\n  password: \"\"\n  existingSecret: app-credentials\n  secretKeys:\n    adminPasswordKey: admin-password", "plain-value")
    f.neg("postgresql:\n  auth:\n    password: {{ .Values.global.postgresPassword | quote }}", "template-reference")
    f.neg("apiKey: {{ required \"apiKey is required\" .Values.apiKey }}", "template-reference")
    f.neg("token: xxxxxxxxxxxxxxxxxxxxxxxx", "placeholder")

    f = c.file(f"{d}/templates/README.md")
    f.add("# Configuration\n\nSet these variables before starting:\n")
    f.neg("| `API_TOKEN` | the token from the dashboard, e.g. `tok_XXXXXXXXXXXXXXXX` |", "placeholder")
    f.neg("| `PASSWORD` | the admin password (`openssl rand -base64 24`) |", "plain-value")
    f.neg("```\nexport GITHUB_TOKEN=<paste your token>\nexport NPM_TOKEN=$(cat ~/.npm-token)\n```", "placeholder")
    f.neg("Passwords must be at least 12 characters; the token expires after 90 days.", "plain-value")


def neg_code_refs(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/refs/secrets_access.py")
    f.neg(
        "\n".join(
            [
                "import os",
                "from getpass import getpass",
                "",
                'password = getpass("DB password: ")',
                'token = os.environ["GITHUB_TOKEN"]',
                'api_key = settings.OPENAI_API_KEY',
                'secret = client.access_secret_version(name="projects/acme-prod/secrets/stripe-key/versions/latest")',
                'aws_secret = boto3.client("secretsmanager").get_secret_value(SecretId="prod/app/aws")["SecretString"]',
                'password = request.form["password"]',
                'headers = {"Authorization": f"Bearer {token}"}',
                'if password == confirm_password:',
                '    raise ValueError("password_mismatch")',
                'PASSWORD_RESET_TOKEN_TTL = 3600',
                'secret_key_field = "SECRET_KEY"',
                'token_url = "https://oauth2.googleapis.com/token"',
            ]
        ),
        "template-reference",
    )
    f = c.file(f"{d}/refs/vault.tf")
    f.neg(
        "\n".join(
            [
                'data "vault_generic_secret" "db" {',
                '  path = "secret/data/prod/db"',
                "}",
                'resource "aws_db_instance" "main" {',
                '  password = data.vault_generic_secret.db.data["password"]',
                '  master_password = var.db_password',
                "}",
                'variable "db_password" {',
                "  type      = string",
                "  sensitive = true",
                "}",
            ]
        ),
        "secret-manager-ref",
    )
    f = c.file(f"{d}/refs/secrets.enc.yaml")
    f.neg(f"db_password: ENC[AES256_GCM,data:{g.b64(18)},iv:{g.b64(32)},tag:{g.b64(16)},type:str]", "encrypted-value")
    f.neg(f"api_token: ENC[AES256_GCM,data:{g.b64(30)},iv:{g.b64(32)},tag:{g.b64(16)},type:str]", "encrypted-value")
    f.add("sops:\n    kms:\n        - arn: arn:aws:kms:eu-west-1:123456789012:key/" + g.uuid())
    f.neg(f"    mac: ENC[AES256_GCM,data:{g.b64(48)},iv:{g.b64(32)},tag:{g.b64(16)},type:str]", "encrypted-value")
    f.neg("    version: 3.8.1", "identifier")
    f = c.file(f"{d}/refs/op.env")
    f.neg("DB_PASSWORD=op://Production/postgres/password\nSTRIPE_KEY=op://Production/stripe/credential", "secret-manager-ref")
    f.neg("AWS_SECRET_ACCESS_KEY=ssm:/prod/app/aws-secret\nSLACK_TOKEN=vault:secret/data/slack#bot_token", "secret-manager-ref")


def neg_identifiers(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/logs/requests.log")
    for _ in range(10):
        f.neg(
            f"2024-05-{g.n(10, 28)}T10:{g.n(10, 59)}:{g.n(10, 59)}Z INFO request_id={g.uuid()} trace_id={g.s(HEX, 32)} span_id={g.s(HEX, 16)} status=200 duration_ms={g.n(1, 900)}",
            "identifier",
        )
    f.neg(f"2024-05-11T10:00:01Z INFO x-amz-request-id={g.s(UPPER + DIGITS, 16)} x-amz-id-2={g.b64(48)}", "identifier")
    f.neg(f"2024-05-11T10:00:02Z INFO commit={g.s(HEX, 40)} tree={g.s(HEX, 40)} version=v2.{g.n(0, 30)}.{g.n(0, 9)}", "identifier")
    f = c.file(f"{d}/logs/CHANGELOG.md")
    f.add("# Changelog\n")
    for _ in range(6):
        f.neg(f"- {g.pick(['Fix', 'Add', 'Drop'])} token refresh handling ([{g.s(HEX, 7)}](https://github.com/acme/app/commit/{g.s(HEX, 40)}))", "identifier")
    f = c.file(f"{d}/data/fixtures/users.json")
    f.add("[")
    for i in range(6):
        f.neg(f'  {{"id": "{g.uuid()}", "account_id": "{g.s(DIGITS, 12)}", "etag": "W/\\"{g.s(HEX, 32)}\\"", "password_hash_algo": "argon2id", "api_key_id": "key_{g.s(DIGITS, 6)}"}},', "identifier")
    f.add("]")


def neg_data_uris(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/web-assets/styles.css")
    f.neg(f".logo {{ background-image: url(data:image/png;base64,{PNG_1PX}); }}", "data-uri")
    png = b"\x89PNG\r\n\x1a\n" + g.bytes(600)
    f.neg(f".hero {{ background: url(data:image/png;base64,{base64.b64encode(png).decode()}); }}", "data-uri")
    woff = b"wOF2\x00\x01\x00\x00" + g.bytes(1200)
    f.neg(f'@font-face {{ font-family: "Inter"; src: url(data:font/woff2;base64,{base64.b64encode(woff).decode()}) format("woff2"); }}', "data-uri")
    svg = base64.b64encode(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><path d="M{g.n(0, 9)} 0L10 10"/></svg>'.encode()).decode()
    f.neg(f".icon {{ mask: url(data:image/svg+xml;base64,{svg}); }}", "data-uri")
    f = c.file(f"{d}/web-assets/email.html")
    gif = b"GIF89a" + g.bytes(300)
    f.neg(f'<img alt="logo" src="data:image/gif;base64,{base64.b64encode(gif).decode()}">', "data-uri")
    jpg = b"\xff\xd8\xff\xe0\x00\x10JFIF" + g.bytes(900)
    f.neg(f'<img alt="photo" src="data:image/jpeg;base64,{base64.b64encode(jpg).decode()}">', "data-uri")


def neg_minified(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/web-assets/dist/main.{g.s(HEX, 8)}.min.js")
    parts = []
    for i in range(40):
        v = g.s(LOWER, 1) + g.s(ALNUM, g.n(1, 3))
        parts.append(f'function {v}(e,t){{return e["{g.s(ALNUM, 10)}"]?t.{g.s(LOWER, 4)}({g.n(0, 999)}):null}}')
    parts.append(f'var token="";var password=e.target.value;var apiKey=window.__CONFIG__.apiKey;')
    parts.append(f'var sourceHash="{g.s(HEX, 64)}",buildId="{g.s(B64URL, 21)}",chunk="{g.b64(96)}";')
    f.neg(";".join(parts), "minified-js")
    f.neg(f"//# sourceMappingURL=data:application/json;charset=utf-8;base64,{base64.b64encode(json.dumps({'version': 3, 'sources': ['src/index.ts'], 'mappings': g.s(ALNUM + ';,', 400)}).encode()).decode()}", "minified-js")


def neg_doc_examples(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/docs-examples/aws-setup.md")
    f.add("# Configuring the CLI\n\nAWS's documentation uses these example values:\n\n```")
    f.neg(f"$ aws configure\nAWS Access Key ID [None]: {DOC_AWS_ID}\nAWS Secret Access Key [None]: {DOC_AWS_SECRET}\nDefault region name [None]: us-west-2", "doc-example-key")
    f.add("```\n\nFor the storage emulator, the well-known development key:\n")
    f.neg(f"    AccountName=devstoreaccount1;AccountKey={DOC_AZURITE_KEY}", "doc-example-key")
    f.add("\nA sample JWT from the specification pages:\n")
    f.neg(f"    {DOC_JWT}", "doc-example-key")
    f.neg(f"Slack's docs show tokens like `{doc_slack_example()}`.", "doc-example-key")


def neg_public_material(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/certs/ca.crt")
    body = base64.b64encode(bytes.fromhex("308203") + g.bytes(900)).decode()
    f.neg("-----BEGIN CERTIFICATE-----\n" + "\n".join(body[i : i + 64] for i in range(0, len(body), 64)) + "\n-----END CERTIFICATE-----", "public-key-cert")
    f = c.file(f"{d}/certs/jwt-public.pem")
    body = base64.b64encode(bytes.fromhex("30820122300d06092a864886f70d01010105000382010f003082010a0282010100") + g.bytes(258)).decode()
    f.neg("-----BEGIN PUBLIC KEY-----\n" + "\n".join(body[i : i + 64] for i in range(0, len(body), 64)) + "\n-----END PUBLIC KEY-----", "public-key-cert")
    f = c.file(f"{d}/home/dev/.ssh/authorized_keys")
    for who in ["alice@laptop", "bob@ws-12", "ci@runner"]:
        blob = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + g.bytes(32)).decode()
        f.neg(f"ssh-ed25519 {blob} {who}", "public-key-cert")
    blob = base64.b64encode(b"\x00\x00\x00\x07ssh-rsa\x00\x00\x00\x03\x01\x00\x01\x00\x00\x01\x01" + g.bytes(257)).decode()
    f.neg(f"ssh-rsa {blob} deploy@build", "public-key-cert")
    f = c.file(f"{d}/home/dev/.ssh/known_hosts")
    for _ in range(3):
        blob = base64.b64encode(b"\x00\x00\x00\x13ecdsa-sha2-nistp256" + g.bytes(90)).decode()
        f.neg(f"|1|{g.b64(20)}|{g.b64(20)} ecdsa-sha2-nistp256 {blob}", "public-key-cert")
    f = c.file(f"{d}/certs/release-signing.asc")
    body = base64.b64encode(b"\x99\x01\x0d\x04" + g.bytes(400)).decode()
    f.neg("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" + "\n".join(body[i : i + 64] for i in range(0, len(body), 64)) + "\n=" + g.b64(3) + "\n-----END PGP PUBLIC KEY BLOCK-----", "public-key-cert")


def neg_web_hashes(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/web-assets/index.html")
    f.add('<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">')
    f.neg(f'<meta http-equiv="Content-Security-Policy" content="script-src \'nonce-{g.b64(16)}\' \'sha256-{g.b64(32)}\' \'strict-dynamic\'">', "sri-csp")
    for lib in ["react.production.min.js", "bootstrap.bundle.min.js", "htmx.min.js"]:
        f.neg(f'<script src="https://cdn.jsdelivr.net/npm/{lib}" integrity="sha384-{g.b64(48)}" crossorigin="anonymous"></script>', "sri-csp")
    f.neg(f'<script nonce="{g.b64(16)}">window.__BUILD__ = "{g.s(HEX, 40)}";</script>', "sri-csp")
    f.neg(f'<link rel="stylesheet" href="/static/app.{g.s(HEX, 20)}.css" integrity="sha256-{g.b64(32)}">', "sri-csp")
    f.neg(f'<meta name="csrf-token" content="{{{{ csrf_token() }}}}">', "template-reference")
    f.add("</head>\n</html>")

    f = c.file(f"{d}/downloads/SHA256SUMS")
    for name in ["app-linux-amd64.tar.gz", "app-darwin-arm64.tar.gz", "app-windows-amd64.zip", "app_2.4.1_amd64.deb"]:
        f.neg(f"{g.s(HEX, 64)}  {name}", "hash-non-credential")
    f = c.file(f"{d}/downloads/Dockerfile")
    f.add(f"FROM python:3.12-slim@sha256:{g.s(HEX, 64)}")
    f.neg(f"ARG NODE_SHA256={g.s(HEX, 64)}\nRUN echo \"$NODE_SHA256  node.tar.xz\" | sha256sum -c -", "hash-non-credential")
    f.neg("ENV PASSWORD_STORE_DIR=/var/lib/pass\nENV API_TOKEN_FILE=/run/secrets/api_token", "plain-value")
    f = c.file(f"{d}/tests/test_hashing.py")
    f.neg(
        "\n".join(
            [
                "def test_sha256():",
                f'    assert sha256(b"abc").hexdigest() == "{hashlib.sha256(b"abc").hexdigest()}"',
                f'    assert md5(b"").hexdigest() == "{hashlib.md5(b"").hexdigest()}"',
                f'    assert blake2b(b"x", digest_size=20).hexdigest() == "{hashlib.blake2b(b"x", digest_size=20).hexdigest()}"',
                f'    cache_key = "{g.s(HEX, 40)}"',
                f'    content_hash = "{g.b64(32)}"',
            ]
        ),
        "hash-non-credential",
    )


def neg_bad_checksums(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/tests/fixtures/tokens_invalid.txt")
    f.add("# tokens whose checksum does not verify: not issued by the provider")
    for kind in "pousr":
        f.neg(g.github(kind, valid=False), "bad-checksum")
    for _ in range(3):
        f.neg(g.npm(valid=False), "bad-checksum")


def neg_plain_values(c: Corpus, g: Gen, d: str) -> None:
    f = c.file(f"{d}/config/auth.yaml")
    for line in [
        "password_policy: strong",
        "password_reset_enabled: true",
        "token_type: bearer",
        "token_endpoint_auth_method: client_secret_basic",
        "secret_name: app-db-credentials",
        "api_key_header: X-Api-Key",
        "auth: required",
        "password_hash: argon2id",
        "secret_ref: projects/acme/secrets/db/versions/latest",
        "session_secret_rotation_days: 30",
        "client_secret_expires_at: 0",
        "access_token_lifetime: 3600s",
        "private_key_path: /etc/app/tls/server.key",
        "credentials_provider: instance-profile",
        "aws_access_key_id: null",
        "secret_key: null",
        f"password_version: {g.n(1, 9)}",
        f"key_id: {g.uuid()}",
    ]:
        f.neg(line, "plain-value")
    f = c.file(f"{d}/config/app.properties")
    for line in [
        "db.password.env=DB_PASSWORD",
        "oauth.token.uri=https://login.acme-int.net/oauth/token",
        "secret.provider=vault",
        "keystore.password=${KEYSTORE_PASSWORD}",
        "api.key.name=X-API-KEY",
        "ldap.bind.password.file=/etc/ldap/bind.pw",
        "token.validity.seconds=3600",
        f"build.version=4.{g.n(0, 30)}.{g.n(0, 9)}-rc.{g.n(1, 9)}",
        f"git.commit.id={g.s(HEX, 40)}",
    ]:
        f.neg(line, "plain-value")


POSITIVE_TEMPLATES = [
    env_file,
    env_ai,
    shell_script,
    k8s_secret,
    k8s_deployment,
    compose,
    gh_actions,
    ansible,
    appsettings,
    package_json,
    docker_config,
    toml_config,
    ini_config,
    aws_credentials,
    properties,
    xml_files,
    python_code,
    django_settings,
    flask_config,
    js_code,
    go_code,
    java_code,
    ruby_code,
    php_code,
    csharp_code,
    terraform,
    credential_files,
    private_keys,
    markdown_docs,
    misc_tokens,
]
NEGATIVE_TEMPLATES = [
    neg_lockfiles,
    neg_placeholders,
    neg_code_refs,
    neg_identifiers,
    neg_data_uris,
    neg_minified,
    neg_doc_examples,
    neg_public_material,
    neg_web_hashes,
    neg_bad_checksums,
    neg_plain_values,
]


def build(scale: int) -> Corpus:
    c = Corpus()
    for rnd in range(scale):
        for i, t in enumerate(POSITIVE_TEMPLATES + NEGATIVE_TEMPLATES):
            g = Gen(random.Random(SEED * 1000 + rnd * 100 + i))
            t(c, g, f"r{rnd:02d}/{t.__name__}")
    return c


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--scale", type=int, default=8, help="rounds of every template (default 8)")
    a = ap.parse_args()
    if a.scale < 1:
        ap.error("--scale must be at least 1")
    c = build(a.scale)
    out = os.path.abspath(a.outdir)
    root = os.path.join(out, "corpus")
    if os.path.isdir(root):
        shutil.rmtree(root)
    for path, lines in c.files.items():
        p = os.path.join(root, path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(lines) + "\n")
    labels = {"scale": a.scale, "seed": SEED, "files": len(c.files), "positives": c.positives, "negatives": c.negatives}
    with open(os.path.join(out, "labels.json"), "w", encoding="utf-8") as fh:
        json.dump(labels, fh, indent=1)
        fh.write("\n")
    print(f"{len(c.files)} files, {len(c.positives)} labeled positives, {len(c.negatives)} hard-negative lines -> {root}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
