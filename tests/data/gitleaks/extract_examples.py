#!/usr/bin/env python3
"""Extracts the true-positive examples (`tps`) of gitleaks' rules into examples.json.

gitleaks keeps each rule's examples in the Go function that defines the rule
(cmd/generate/config/rules/*.go of the gitleaks repository). The examples are Go
expressions: string literals, `+` concatenations, `[]string{...}` lists, `append(tps, ...)`,
`utils.GenerateSampleSecret(s)` (the secret inside lines of configuration and code) and
`secrets.NewSecret(regex)` (a random string the regex matches). This script evaluates
those expressions with the same templates; `secrets.NewSecret` draws from a generator
seeded with the rule id, so the output is the same on every run. An expression it cannot
evaluate is left out and counted.

Each example is stored reversed (last character first), so that the file holds no
credential-shaped text for scanners to report; the test that uses them reverses them back.

Usage: extract_examples.py GITLEAKS_CHECKOUT > examples.json
"""
import json
import random
import re
import sys
from pathlib import Path

try:
    import re._parser as sre_parse
    import re._constants as sre_c
except ImportError:  # Python < 3.11
    import sre_parse
    import sre_constants as sre_c

# utils.GenerateSampleSecrets' templates ({i}: identifier, {I}: upper-case, {s}: secret).
SAMPLE_TEMPLATES = [
    '{i}Token="{s}"',
    '{i}Token = "{s}"',
    "{i}Token={s}",
    "{i}Token = {s}",
    '{\n    "{i}_token": "{s}"\n}',
    '{"config.ini": "{I}_TOKEN={s}\\nBACKUP_ENABLED=true"}',
    "<{i}Token>\n    {s}\n</{i}Token>",
    "{i}_token: {s}",
    "{i}_token: '{s}'",
    '{i}_token: "{s}"',
    'string {i}Token = "{s}";',
    'var {i}Token string = "{s}"',
    '{i}Token := "{s}"',
    "{i}Token := `{s}`",
    'String {i}Token = "{s}";',
    'var {i}Token = "{s}"',
    '${i}Token .= "{s}"',
    "{i}Token = '{s}'",
    '{i}Token = "{s}"',
    'System.setProperty("{I}_TOKEN", "{s}")',
    '  "{i}Token" => "{s}"',
    '{i}_TOKEN = "{s}"',
    '{i}_TOKEN := "{s}"',
    '{i}_TOKEN ::= "{s}"',
    '{i}_TOKEN :::= "{s}"',
    '{i}_TOKEN ?= "{s}"',
]

PATTERNS = {
    "utils.Numeric": "[0-9]{%s}",
    "utils.Hex": "[a-f0-9]{%s}",
    "utils.AlphaNumeric": "[a-z0-9]{%s}",
    "utils.AlphaNumericExtendedShort": "[a-z0-9_-]{%s}",
    "utils.AlphaNumericExtended": "[a-z0-9=_\\-]{%s}",
    "utils.AlphaNumericExtendedLong": "[a-z0-9\\/=_\\+\\-]{%s}",
}


class Unsupported(Exception):
    pass


def sample(regex, rng):
    """A random string `regex` matches; unbounded repetitions repeat at most once more
    than their minimum, as gitleaks' generator does with its limit of 1."""
    regex = regex.replace("\\z", "\\Z")
    try:
        tree = sre_parse.parse(regex)
    except Exception as e:
        raise Unsupported(f"regex {regex!r}: {e}")
    out = []
    walk(tree, rng, out)
    return "".join(out)


def walk(items, rng, out):
    for op, av in items:
        if op is sre_c.LITERAL:
            out.append(chr(av))
        elif op is sre_c.ANY:
            out.append(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789"))
        elif op is sre_c.IN:
            out.append(pick_class(av, rng))
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            hi = lo + 1 if hi == sre_c.MAXREPEAT else hi
            for _ in range(rng.randint(lo, hi)):
                walk(sub, rng, out)
        elif op is sre_c.SUBPATTERN:
            walk(av[-1], rng, out)
        elif op is sre_c.BRANCH:
            walk(rng.choice(av[1]), rng, out)
        elif op in (sre_c.AT,):
            pass
        else:
            raise Unsupported(f"regex operator {op}")


def pick_class(items, rng):
    chars = []
    negate = False
    for op, av in items:
        if op is sre_c.NEGATE:
            negate = True
        elif op is sre_c.LITERAL:
            chars.append(chr(av))
        elif op is sre_c.RANGE:
            chars.extend(chr(c) for c in range(av[0], av[1] + 1))
        elif op is sre_c.CATEGORY:
            name = str(av)
            if "DIGIT" in name:
                chars.extend("0123456789")
            elif "WORD" in name:
                chars.extend("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
            elif "SPACE" in name:
                chars.append(" ")
        else:
            raise Unsupported(f"class item {op}")
    if negate:
        chars = [c for c in "abcdefghijklmnopqrstuvwxyz0123456789" if c not in chars]
    if not chars:
        raise Unsupported("empty class")
    return rng.choice(sorted(set(chars)))


TOKEN = re.compile(
    r'\s+|//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|`[^`]*`|[A-Za-z_][\w.]*|\d+|\.\.\.|:=|[{}()\[\],+=;:]|.',
    re.S,
)


def tokens(src):
    out = []
    for m in TOKEN.finditer(src):
        t = m.group(0)
        if t.isspace() or t.startswith("//") or t.startswith("/*"):
            continue
        out.append(t)
    return out


def go_string(tok):
    if tok.startswith("`"):
        return tok[1:-1]
    return json.loads(tok) if "\\x" not in tok else bytes(tok[1:-1], "utf-8").decode("unicode_escape")


class Evaluator:
    def __init__(self, toks, rng, tps):
        self.t = toks
        self.i = 0
        self.rng = rng
        self.tps = tps

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else None

    def take(self, want=None):
        tok = self.peek()
        if want is not None and tok != want:
            raise Unsupported(f"expected {want}, got {tok}")
        self.i += 1
        return tok

    def expr(self):
        """A string or a list of strings."""
        value = self.term()
        while self.peek() == "+":
            self.take("+")
            right = self.term()
            if not isinstance(value, str) or not isinstance(right, str):
                raise Unsupported("+ on a list")
            value += right
        return value

    def args(self):
        self.take("(")
        out = []
        while self.peek() != ")":
            out.append(self.expr())
            if self.peek() == "...":
                self.take("...")
            if self.peek() == ",":
                self.take(",")
        self.take(")")
        return out

    def term(self):
        tok = self.take()
        if tok is None:
            raise Unsupported("end of input")
        if tok.startswith('"') or tok.startswith("`"):
            return go_string(tok)
        if tok == "[" and self.peek() == "]":
            self.take("]")
            self.take("string")
            self.take("{")
            items = []
            while self.peek() != "}":
                try:
                    v = self.expr()
                    items.extend(v if isinstance(v, list) else [v])
                except Unsupported:
                    self.skip_item()
                if self.peek() == ",":
                    self.take(",")
            self.take("}")
            return items
        if tok in PATTERNS:
            (size,) = self.args()
            return PATTERNS[tok] % size
        if tok == "utils.Hex8_4_4_4_12":
            self.args()
            return "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        if tok == "secrets.NewSecret":
            (regex,) = self.args()
            return sample(regex, self.rng)
        if tok == "utils.GenerateSampleSecret":
            ident, secret = self.args()
            return f'{ident}_api_token = "{secret}"'
        if tok == "utils.GenerateSampleSecrets":
            ident, secret = self.args()
            return [
                t.replace("{i}", ident).replace("{I}", ident.upper()).replace("{s}", secret)
                for t in SAMPLE_TEMPLATES
            ]
        if tok == "append":
            parts = self.args()
            out = []
            for p in parts:
                out.extend(p if isinstance(p, list) else [p])
            return out
        if tok == "fmt.Sprintf":
            fmt, *rest = self.args()
            if not all(isinstance(r, str) for r in rest) or fmt.count("%") != len(rest):
                raise Unsupported("fmt.Sprintf with verbs other than %s")
            return re.sub(r"%[sv]", lambda _: rest.pop(0), fmt)
        if tok == "strings.Repeat":
            s, n = self.args()
            return s * int(n)
        if tok == "tps":
            return list(self.tps)
        if tok.isdigit():
            return tok
        raise Unsupported(f"expression {tok}")

    def skip_item(self):
        """Skips to the `,` or `}` that ends the current list item."""
        depth = 0
        while self.peek() is not None:
            tok = self.peek()
            if tok in "([{":
                depth += 1
            elif tok in ")]}":
                if depth == 0:
                    return
                depth -= 1
            elif tok == "," and depth == 0:
                return
            self.take()


def rule_examples(body, rule_id, skipped):
    rng = random.Random(rule_id)
    toks = tokens(body)
    tps = []
    i = 0
    while i < len(toks):
        if toks[i] == "tps" and i + 1 < len(toks) and toks[i + 1] in (":=", "="):
            ev = Evaluator(toks[i + 2 :], rng, tps)
            try:
                v = ev.expr()
                tps = v if isinstance(v, list) else [v]
            except Unsupported as e:
                skipped.append(f"{rule_id}: {e}")
            i += 2 + ev.i
        else:
            i += 1
    return tps


def main():
    root = Path(sys.argv[1]) / "cmd/generate/config/rules"
    out = {}
    skipped = []
    for path in sorted(root.glob("*.go")):
        if path.name.endswith("_test.go"):
            continue
        src = path.read_text()
        for fn in re.split(r"\nfunc ", src)[1:]:
            m = re.search(r'RuleID:\s*"([^"]+)"', fn)
            if not m or "ValidateWithPaths" in fn:
                continue
            rule_id = m.group(1)
            tps = rule_examples(fn, rule_id, skipped)
            if tps:
                out[rule_id] = [t[::-1] for t in tps]
    json.dump(out, sys.stdout, indent=1, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")
    for s in skipped:
        print(f"not evaluated: {s}", file=sys.stderr)
    print(f"{len(out)} rules, {sum(map(len, out.values()))} examples", file=sys.stderr)


if __name__ == "__main__":
    main()
