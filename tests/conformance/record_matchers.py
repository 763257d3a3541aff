"""Record what the real Alertmanager makes of matcher strings, as golden JSON.

Writes two files next to this script, in golden/:

* matchers.json: for each string in CASES,
  - config_matchers: is it accepted as one entry of a route's `matchers:` list
    (`amtool check-config`, i.e. labels.ParseMatchers), and if so the matchers it
    became, read back from `amtool config routes show` (Alertmanager sorts them
    by name, value, type when it loads the config);
  - silence: `amtool silence add <case>` against a real Alertmanager on loopback
    (amtool parses each argument with labels.ParseMatcher and, when the first
    argument does not parse, retries it as `alertname=<argument>`), read back
    from the HTTP API as [{name, value, isRegex, isEqual}];
  - silence_args (only where the case lists args): the same, with the matchers
    given as separate command-line arguments;
  - silence_not_first: the case as the second argument, after zz_golden_anchor="1"
    (left out of the result), so amtool's alertname= fallback does not apply and the
    verdict is labels.ParseMatcher's own (plus the server's silence validation).
  A silence refused only because all its matchers match the empty string also gets
  parsed_with_anchor: the parse, recorded again with the anchor matcher added.
* regex_routes.json: for regex matchers in REGEX_CASES, whether the config is
  accepted and, per label value, whether `amtool config routes test` routes an
  alert with that value to the matcher's route (RE2 semantics, fully anchored).

Needs amtool and prometheus-alertmanager on PATH (Debian:
`apt-get install prometheus-alertmanager`). Stdlib only. Run from anywhere:

    python tests/conformance/record_matchers.py
"""

from __future__ import annotations

import datetime
import json
import re
import sys
import tempfile
from pathlib import Path

from oracle import AMTOOL, alertmanager, check_config, clean_error, http_json, run, version

GOLDEN = Path(__file__).resolve().parent / "golden"

# (input, args): input is the matcher string exactly as the parser sees it (after any YAML
# decoding); args, when not None, is the same intent given as separate amtool arguments.
# Inputs are derived from Alertmanager's docs/configuration.md (<matcher>), pkg/labels/parse_test.go
# and matcher/parse/*_test.go, plus edge cases of our own.
CASES: list[tuple[str, list[str] | None]] = [
    # operators, quoted and unquoted values
    ("foo=bar", None),
    ('foo="bar"', None),
    ("foo!=bar", None),
    ('foo!="bar"', None),
    ("foo=~bar.*", None),
    ('foo=~"bar.*"', None),
    ("foo!~bar.*", None),
    ('foo!~"bar.*"', None),
    ("alertname=Watchdog", None),
    ('severity =~ "warning|critical"', None),
    # whitespace
    ("foo = bar", None),
    ('  foo  =  "bar"  ', None),
    ("foo= bar baz ", None),
    ('foo="  bar  "', None),
    # several matchers in one string
    ("foo=bar,dings!=bums", ["foo=bar", "dings!=bums"]),
    ("foo=bar, dings!=bums", ["foo=bar", "dings!=bums"]),
    ('a="x", b="y"', ['a="x"', 'b="y"']),
    ('{foo="bar", baz!="quux"}', ['foo="bar"', 'baz!="quux"']),
    ('{foo = "bar", dings != "bums", }', ['foo = "bar"', 'dings != "bums"']),
    ('{foo="bar",baz!~".*quux", derp="wat"}', ['foo="bar"', 'baz!~".*quux"', 'derp="wat"']),
    ('{foo="bar,quux", job="job1"}', ['foo="bar,quux"', 'job="job1"']),
    ('contains_quote != "\\"" , contains_comma !~ "foo,bar" , ', None),
    ("foo=bar,foo=baz", ["foo=bar", "foo=baz"]),
    ("b=2,a=1", ["b=2", "a=1"]),
    # brace form
    ("{foo=bar}", None),
    ('{foo="bar"}', None),
    ('{a="x",b=~"y.*"}', ['a="x"', 'b=~"y.*"']),
    ("{}", None),
    (",", None),
    ("{,}", None),
    ("{foo=bar}}", None),
    ("{foo=bar}},}", None),
    ("{foo=,bar=}}", None),
    ("{{foo=bar}", None),
    ("{foo=bar", None),
    ("foo=bar}", None),
    ("{foo=", None),
    ("{foo=}b", None),
    ('{foo="bar}"}', None),
    # trailing / leading / doubled commas
    ("foo=bar,", None),
    ("foo=bar, ", None),
    ("foo=bar,,", None),
    (",foo=bar", None),
    ("foo=bar,,baz=qux", None),
    # escapes inside quotes
    ('{quote="She said: \\"Hi, ladies! That\'s gender-neutral…\\""}', None),
    ('foo="bar\\"baz"', None),
    ('foo="bar\\\\baz"', None),
    ('foo="bar\\nbaz"', None),
    ('foo="bar\\tbaz"', None),
    ('foo="bar\\\\"', None),
    ('foo="bar\\"', None),
    ("foo=bar\\", None),
    ('trickier==\\\\=\\=\\"', None),
    ("tricky=~~~", None),
    ('foo="line1\nline2"', None),
    ("{foo=bar\\t}", None),
    ("{foo=bar\\n}", None),
    ("{foo=bar\\}", None),
    ("{foo=bar\\\\}", None),
    ('{foo=bar\\"}', None),
    ("foo=bar\t", None),
    # single quotes and backticks
    ("foo='bar'", None),
    ("{foo='}", None),
    ("{foo=`}", None),
    ("foo='bar, baz'", None),
    # empty values
    ("foo=", None),
    ('foo=""', None),
    ('foo!=""', None),
    ('foo=~""', None),
    ('foo=~".*"', None),
    ('foo!~".+"', None),
    ("job=", None),
    # label names
    ('invalid-name="valid label"', None),
    ('{invalid-name = "valid label"}', None),
    ("1foo=bar", None),
    ("foo.bar=baz", None),
    ('"foo"="bar"', None),
    ('{"foo"="bar"}', None),
    ("foo:bar=baz", None),
    ("_foo=bar", None),
    # UTF-8
    ("foo=🙂", None),
    ('foo="🙂bar"', None),
    ("🙂=bar", None),
    ('ünïcode="ünï"', None),
    ('{foo="\\xf0\\x9f\\x99\\x82"}', None),
    ('{foo="\\U0001f642"}', None),
    # regex values
    ('severity=~"(?i)critical"', None),
    ('a=~"\\d+"', None),
    ('a=~"\\\\d+"', None),
    ('a=~"^foo$"', None),
    ('a=~"[a-z]+"', None),
    ('a=~"[[:digit:]]+"', None),
    ('statuscode=~"5.."', None),
    ('a=~"x|y"', None),
    ('foo=~"invalid[regexp"', None),
    ('a=~"(?=x)"', None),
    ('a=~"(a)\\1"', None),
    ('a!~"(?i)TEST"', None),
    # missing or odd operator, bare words
    ("foo", None),
    ("foo bar", None),
    ("foo:bar", None),
    ("foo==bar", None),
    ("foo=!bar", None),
    ("foo~=bar", None),
    ("foo<>bar", None),
    ("=bar", None),
    ("", None),
    ("   ", None),
    # unbalanced or misplaced quotes
    ('job="value', None),
    ('job=value"', None),
    ('contains_unescaped_quote = foo"bar', None),
    ('"foo=\\"bar"', None),
    ('"{foo=\\"bar\\"}"', None),
    ('foo="bar""', None),
    ('foo="bar" baz', None),
    ('foo="a,b"', None),
    ("foo=a,b", None),
    ("foo={bar}", None),
    ('foo="{bar}"', None),
]

# (matcher, label name, values): None as a value means the label is absent from the alert.
REGEX_CASES: list[tuple[str, str, list[str | None]]] = [
    ('severity=~"(?i)critical"', "severity", ["critical", "CRITICAL", "Critical", "critical2"]),
    ('severity=~"critical"', "severity", ["critical", "CRITICAL", "xcriticalx"]),
    ('a=~"b"', "a", ["b", "abc", "bc", "ab"]),
    ('a=~"b.*"', "a", ["b", "bcd", "abc", ""]),
    ('a=~".*b.*"', "a", ["abc", "b", "ac"]),
    ('a=~"^b$"', "a", ["b", "ab", "bb"]),
    ('a=~"a|b"', "a", ["a", "b", "ab", ""]),
    ('a=~"ab|cd"', "a", ["ab", "cd", "abd", "acd"]),
    ('a=~"\\d+"', "a", ["123", "12a", "", "٣"]),
    ('a=~"\\\\d+"', "a", ["123", "\\d", "\\dd"]),
    ('a=~"[[:digit:]]+"', "a", ["123", "abc", "1:2"]),
    ('a=~"[[:alpha:]]+"', "a", ["abc", "ab1", "é"]),
    ('a=~"x{,2}"', "a", ["x{,2}", "xx", "", "x"]),
    ('a=~"x{2}"', "a", ["xx", "x", "xxx"]),
    ('a=~"x{1,}"', "a", ["x", "xxxx", ""]),
    ('a=~"\\pL+"', "a", ["abc", "ünï", "a1"]),
    ('a=~"\\p{Greek}+"', "a", ["αβγ", "abc"]),
    ('a=~"\\w+"', "a", ["abc_1", "ünï", "a-b"]),
    ('a=~"\\s"', "a", [" ", "\t", "\u00a0"]),
    ('a=~"."', "a", ["x", "\n", "🙂", ""]),
    ('a=~"(?s)."', "a", ["\n"]),
    ('a=~""', "a", ["", None, "x"]),
    ('a!~""', "a", ["", None, "x"]),
    ('a!~"b.*"', "a", ["b", "bcd", "abc", None]),
    ('a=~".*"', "a", ["", None, "anything"]),
    ('a=~"\\Qa.b\\E"', "a", ["a.b", "axb"]),
    ('a=~"a++"', "a", ["aa"]),
    ('a=~"(?=x)x"', "a", ["x"]),
    ('a=~"(?<!x)y"', "a", ["y"]),
    ('a=~"(a)\\1"', "a", ["aa"]),
    ('a=~"(?P<n>a)"', "a", ["a"]),
    ('a=~"(?<n>a)"', "a", ["a"]),
    ('a=~"\\Z"', "a", [""]),
    ('a=~"\\z"', "a", [""]),
    ('a=~"[a-"', "a", ["a"]),
]

ROUTE_LINE = re.compile(r"^[\s│├└─]*(?P<slug>.*)  receiver: (?P<receiver>\S+)$")
MATCHER_TOKEN = re.compile(r'(?P<name>[^=!~"{},\s]+)(?P<op>=~|!~|!=|=)"')
ANCHOR_NAME = "zz_golden_anchor"
ANCHOR = f'{ANCHOR_NAME}="1"'
OPS = {"=": (False, True), "!=": (False, False), "=~": (True, True), "!~": (True, False)}


def matcher_json(name: str, op: str, value: str) -> dict[str, object]:
    is_regex, is_equal = OPS[op]
    return {"name": name, "value": value, "isRegex": is_regex, "isEqual": is_equal}


def write_config(path: Path, routes: list[tuple[str, str]]) -> None:
    """routes: (receiver, matcher string). The string is JSON-encoded, which YAML reads verbatim."""
    lines = ["route:", "  receiver: default", "  routes:"]
    for receiver, matcher in routes:
        lines += [
            f"    - receiver: {receiver}",
            f"      matchers: [{json.dumps(matcher, ensure_ascii=False)}]",
        ]
    lines += ["receivers:", "  - name: default"] + [f"  - name: {r}" for r, _ in routes]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def unescape(value: str) -> str:
    """Inverse of Alertmanager's openMetricsEscape (\\\\, \\n, \\")."""
    return re.sub(r'\\([\\n"])', lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse_slug(slug: str) -> list[dict[str, object]]:
    """Parse labels.Matchers.String() output: {name="escaped",name=~"escaped",...}."""
    if slug == "default-route":
        return []
    if not (slug.startswith("{") and slug.endswith("}")):
        raise ValueError(f"unexpected route slug: {slug!r}")
    body, pos, out = slug[1:-1], 0, []
    while pos < len(body):
        m = MATCHER_TOKEN.match(body, pos)
        if not m:
            raise ValueError(f"cannot parse route slug at {pos}: {slug!r}")
        end = m.end()
        while body[end] != '"':
            end += 2 if body[end] == "\\" else 1
        out.append(matcher_json(m.group("name"), m.group("op"), unescape(body[m.end() : end])))
        pos = end + 1
        if pos < len(body):
            if body[pos] != ",":
                raise ValueError(f"expected ',' at {pos}: {slug!r}")
            pos += 1
    return out


def config_matchers(path: Path, receiver: str) -> list[dict[str, object]]:
    proc = run([AMTOOL, "config", "routes", "show", f"--config.file={path}"])
    if proc.returncode != 0:
        raise RuntimeError(f"routes show failed: {proc.stdout}{proc.stderr}")
    for line in proc.stdout.split("\n"):
        m = ROUTE_LINE.match(line)
        if m and m.group("receiver") == receiver:
            return parse_slug(m.group("slug"))
    raise RuntimeError(f"route {receiver} not in: {proc.stdout}")


def record_config(case: str, tmp: str) -> dict[str, object]:
    path = Path(tmp) / "case.yml"
    write_config(path, [("r0", case)])
    result = check_config(path, tmp)
    result["matchers"] = config_matchers(path, "r0") if result["accepted"] else None
    return result


def record_silence(url: str, args: list[str], tmp: str) -> dict[str, object]:
    cmd = [
        AMTOOL,
        f"--alertmanager.url={url}",
        "silence",
        "add",
        "--comment=x",
        "--author=x",
        "--duration=1h",
    ]
    proc = run([*cmd, "--", *args])
    if proc.returncode != 0:
        result: dict[str, object] = {
            "accepted": False,
            "matchers": None,
            "error": clean_error(proc.stderr + proc.stdout, tmp),
        }
        if "match the empty string" in str(result["error"]) and ANCHOR not in args:
            # Refused by the server, not by amtool's parser: record the parse anyway by adding a
            # matcher that does not match the empty string, then leaving it out of the result.
            anchored = record_silence(url, [*args, ANCHOR], tmp)
            parsed = anchored["matchers"]
            assert isinstance(parsed, list)
            result["parsed_with_anchor"] = [m for m in parsed if m["name"] != ANCHOR_NAME]
        return result
    silence_id = proc.stdout.strip()
    silence = http_json(f"{url}/api/v2/silence/{silence_id}")
    assert isinstance(silence, dict)
    matchers = [
        {"name": m["name"], "value": m["value"], "isRegex": m["isRegex"], "isEqual": m.get("isEqual", True)}
        for m in silence["matchers"]
    ]
    return {"accepted": True, "matchers": matchers, "error": None}


def record_not_first(url: str, case: str, tmp: str) -> dict[str, object]:
    """The case as the 2nd argument after ANCHOR: amtool's alertname= fallback only touches the
    1st argument, so this is labels.ParseMatcher's own verdict (plus the server's validation)."""
    result = record_silence(url, [ANCHOR, case], tmp)
    if isinstance(result["matchers"], list):
        result["matchers"] = [m for m in result["matchers"] if m["name"] != ANCHOR_NAME]
    return result


def record_regex_case(matcher: str, label: str, values: list[str | None], tmp: str) -> dict[str, object]:
    path = Path(tmp) / "regex.yml"
    write_config(path, [("hit", matcher)])
    config = check_config(path, tmp)
    results = []
    for value in values if config["accepted"] else []:
        labels = ['zz_other="1"']
        if value is not None:
            escaped = value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
            labels.append(f'{label}="{escaped}"')
        proc = run([AMTOOL, "config", "routes", "test", f"--config.file={path}", "--", *labels])
        receiver = proc.stdout.strip()
        if proc.returncode != 0 or receiver not in ("hit", "default"):
            raise RuntimeError(f"routes test failed for {matcher} {labels}: {proc.stdout}{proc.stderr}")
        results.append({"value": value, "matches": receiver == "hit"})
    return {"matcher": matcher, "label": label, "config": config, "results": results}


def dump(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> int:
    inputs = [c for c, _ in CASES]
    if len(set(inputs)) != len(inputs):
        raise SystemExit("duplicate input in CASES")
    GOLDEN.mkdir(exist_ok=True)
    header = {
        "alertmanager_version": version(),
        "recorded_at": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
    }
    with tempfile.TemporaryDirectory(prefix="am-golden-") as tmp:
        server_config = Path(tmp) / "server.yml"
        write_config(server_config, [])
        with alertmanager(server_config.read_text(encoding="utf-8")) as url:
            cases = []
            for case, args in CASES:
                entry: dict[str, object] = {
                    "input": case,
                    "config_matchers": record_config(case, tmp),
                    "silence": record_silence(url, [case], tmp),
                }
                if args is not None:
                    entry["silence_args"] = {"args": args, **record_silence(url, args, tmp)}
                entry["silence_not_first"] = record_not_first(url, case, tmp)
                cases.append(entry)
        regex = [record_regex_case(m, label, values, tmp) for m, label, values in REGEX_CASES]
    dump(GOLDEN / "matchers.json", {**header, "cases": cases})
    dump(GOLDEN / "regex_routes.json", {**header, "cases": regex})
    print(f"recorded {len(cases)} matcher cases and {len(regex)} regex cases into {GOLDEN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
