"""Record what a current Alertmanager (0.27 on: the UTF-8 matcher parser) makes of matcher strings, in each of
its three matcher modes, as golden JSON: golden/matchers_current.json; and record_matchers.py's regex cases in
its default mode (accepted or refused, and the label values each routes: `amtool config routes test`):
golden/regex_routes_current.json.

The strings are record_matchers.py's CASES (the 0.25 golden's) plus UTF8_CASES below. For each string and
each mode (`fallback`: no flag, the default; `utf8-strict-mode`; `classic-mode`, each given to amtool and to
the Alertmanager server as `--enable-feature=...`):

- config_matchers: accepted or refused as one entry of a route's `matchers:` list (`amtool check-config`),
  the matchers read back from `amtool config routes show` (sorted by name, value, type, as Alertmanager
  sorts a route's), and `warning`: what amtool logged while parsing it (`classic_fallback`: the UTF-8 parser
  refused it and the classic parser's reading was kept; `disagreement`: both read it, differently, and the
  classic reading was kept; null: nothing logged), with the UTF-8 parser's error (`utf8_error`) if any;
- silence: `amtool silence add <string>` against a loopback Alertmanager of the same mode, read back from
  `/api/v2/silence/{id}` (amtool retries a first argument it cannot parse as `alertname="<string>"`), with
  `warning` as above;
- silence_not_first: the string as the 2nd argument, after zz_golden_anchor="1" (left out), so the
  alertname fallback does not apply;
- silence_args: for multi-matcher strings that list them, the matchers as separate arguments.
A silence refused only because its matchers all match the empty string also gets parsed_with_anchor.

Needs a current amtool and alertmanager. Give their folder in AM_BIN (default: the PATH); Debian's package
`prometheus-alertmanager` of a release that has 0.27 or newer installs both in /usr/bin (the binary named
prometheus-alertmanager). Stdlib only. Run from anywhere:

    AM_BIN=/path/to/bin python tests/conformance/record_matchers_current.py
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import record_matchers as classic  # (the 0.25 recorder, beside this script: its cases and file helpers)
from oracle import TIMEOUT, free_port

GOLDEN = classic.GOLDEN
BIN = os.environ.get("AM_BIN", "")
AMTOOL = str(Path(BIN) / "amtool") if BIN else shutil.which("amtool") or "amtool"
ALERTMANAGER = next(
    (
        str(Path(BIN) / name)
        for name in ("prometheus-alertmanager", "alertmanager")
        if BIN and (Path(BIN) / name).exists()
    ),
    shutil.which("prometheus-alertmanager") or shutil.which("alertmanager") or "alertmanager",
)
MODES: dict[str, list[str]] = {
    "fallback": [],
    "utf8-strict-mode": ["--enable-feature=utf8-strict-mode"],
    "classic-mode": ["--enable-feature=classic-mode"],
}

# New cases for the UTF-8 parser: derived from Alertmanager's docs (docs/configuration.md, <matcher>; the
# UTF-8 matchers section) and matcher/parse/*_test.go, plus edge cases of our own, chiefly strings that the
# two parsers read differently.
UTF8_CASES: list[tuple[str, list[str] | None]] = [
    # quoted label names
    ('{"foo.bar"="x"}', None),
    ('"foo.bar"="x"', None),
    ('"service name"="a"', None),
    ('{"service name"="a", env="prod"}', ['"service name"="a"', 'env="prod"']),
    ('"foo"!="bar"', None),
    ('"foo"=~"[a-z]+"', None),
    ('"foo"!~"[a-z]+"', None),
    ('"foo"="bar",', None),
    ('"a=b"="c"', None),
    ('"a,b"="c"', None),
    ('"{x}"="y"', None),
    ('"a\\"b"="c"', None),
    ('"🙂"="x"', None),
    ('""="x"', None),
    ('"\\xff"="x"', None),
    ('"a\\nb"="c"', None),
    ('"foo"=bar', None),
    ("'foo'=bar", None),
    # unquoted UTF-8 label names and values
    ("foo-bar=baz", None),
    ("service.name=checkout", None),
    ("ünïcode=ünï", None),
    ("名前=値", None),
    ("{foo=🙂bar}", None),
    ("{foo=🙂}", None),
    ("foo=ünï", None),
    ("foo=a.b-c/d:e", None),
    ("foo=:bar", None),
    ("foo=bar:baz", None),
    ("foo=1", None),
    # unquoted values with characters that mean something to one parser only
    ("foo=bar baz", None),
    ("foo= bar ", None),
    ("foo=bar\tbaz", None),
    ("foo=bar\u00a0baz", None),
    ("foo=bar\u00a0", None),
    ("foo=a=b", None),
    ("foo=a!b", None),
    ("foo=a~b", None),
    ("foo=a'b", None),
    ("foo=a`b", None),
    ("foo=a\\b", None),
    ("foo=[a-z]+", None),
    ("foo=~[a-z]+", None),
    ("foo!~[a-z]+", None),
    ("{foo=~[a-z]+}", None),
    ("foo=~a|b", None),
    ("foo=~(a|b)", None),
    ("foo=~a.*", None),
    ("foo=~^a$", None),
    ("foo=~\\d+", None),
    ("foo=~a{2}", None),
    ("foo=~[[:alpha:]]", None),
    # =~ with unicode
    ('foo=~"🙂+"', None),
    ("foo=~🙂.*", None),
    ('foo=~"\\\\p{Greek}+"', None),
    ('foo=~"ünï|🙂"', None),
    ('"föö"=~"bär.*"', None),
    ('foo=~"\\\\d+"', None),
    ('foo=~"\\\\w+"', None),
    # escapes in quoted values (Go's string escapes in the UTF-8 parser)
    ('foo="\\t"', None),
    ('foo="\\a\\b\\f\\r\\v"', None),
    ('foo="\\u00e9"', None),
    ('foo="\\U0001F642"', None),
    ('foo="\\x41"', None),
    ('foo="\\101"', None),
    ('foo="\\xff"', None),
    ('foo="\\xf0\\x9f"', None),
    ('foo="\\\'"', None),
    ('foo="\\q"', None),
    ('foo="\\w"', None),
    ('foo="\\d+"', None),
    ('foo=~"\\d+"', None),
    ('foo=~"\\."', None),
    ('foo="a\\\\b"', None),
    ('foo="\\""', None),
    ('foo="\\n"', None),
    ('foo="\\u12"', None),
    ('foo="\\ud800"', None),
    # braces, commas and whitespace
    ("{foo=bar,}", None),
    ("{foo=bar,bar!=baz}", ["foo=bar", "bar!=baz"]),
    ('foo="bar",bar!="baz"', ['foo="bar"', 'bar!="baz"']),
    ("{foo=bar, }", None),
    ("{ foo = bar }", None),
    ("{foo=bar }", None),
    ("{", None),
    ("}", None),
    ("{}}", None),
    ("{ }", None),
    ("{,foo=bar}", None),
    ("foo=bar,  ,", None),
    ("foo=bar baz=qux", None),
    ("foo=bar\nbaz=qux", None),
    ("\tfoo=bar\n", None),
    ("\u00a0foo=bar", None),
    ('{foo=:"bar"}', None),
    ('{foo="bar\\w"}', None),
    ('foo="bar"baz', None),
    ('foo=""bar', None),
    ('foo="a"b="c"', None),
    ("foo!bar", None),
    ("foo!", None),
    ("foo=~", None),
    ("!=bar", None),
    ("==", None),
]


def unquote_go(literal: str) -> str:
    """Go's strconv.Unquote of a double-quoted literal (as strconv.Quote writes it)."""
    body, out, index = literal[1:-1], bytearray(), 0
    simple = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34, "'": 39}
    while index < len(body):
        char = body[index]
        if char != "\\":
            out += char.encode()
            index += 1
            continue
        kind = body[index + 1]
        if kind in simple:
            out.append(simple[kind])
            index += 2
        elif kind == "x":
            out.append(int(body[index + 2 : index + 4], 16))
            index += 4
        elif kind in "uU":
            width = 4 if kind == "u" else 8
            out += chr(int(body[index + 2 : index + 2 + width], 16)).encode()
            index += 2 + width
        else:
            out.append(int(body[index + 1 : index + 4], 8))
            index += 4
    return out.decode("utf-8")


def go_literal_end(text: str, start: int) -> int:
    """The index just past the double-quoted literal that starts at `start`."""
    index = start + 1
    while text[index] != '"':
        index += 2 if text[index] == "\\" else 1
    return index + 1


OPERATOR = re.compile(r"=~|!~|!=|=")


def parse_slug(slug: str) -> list[dict[str, object]]:
    """Parse labels.Matchers.String() of a current Alertmanager: `{name="v",...}`, where a name with a
    character the parsers reserve is written quoted, and then its value with Go's strconv.Quote."""
    if slug == "default-route":
        return []
    if not (slug.startswith("{") and slug.endswith("}")):
        raise ValueError(f"unexpected route slug: {slug!r}")
    body, pos, out = slug[1:-1], 0, []
    while pos < len(body):
        if body[pos] == '"':
            end = go_literal_end(body, pos)
            name, go_quoted = unquote_go(body[pos:end]), True
        else:
            end = pos
            while not OPERATOR.match(body, end):
                end += 1
            name, go_quoted = body[pos:end], False
        op = OPERATOR.match(body, end)
        assert op is not None
        value_start = op.end()
        value_end = go_literal_end(body, value_start)
        literal = body[value_start:value_end]
        value = unquote_go(literal) if go_quoted else classic.unescape(literal[1:-1])
        out.append(classic.matcher_json(name, op.group(0), value))
        pos = value_end
        if pos < len(body):
            if body[pos] != ",":
                raise ValueError(f"expected ',' at {pos}: {slug!r}")
            pos += 1
    return out


_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff]")


def write_config(path: Path, routes: list[tuple[str, str]]) -> None:
    """As record_matchers.write_config, but a character YAML would not read verbatim (NEL and the line and
    paragraph separators are line breaks to it, C1 controls are not allowed) is written as a \\u escape."""
    classic.write_config(path, routes)
    text = path.read_text(encoding="utf-8")
    path.write_text(_YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text), encoding="utf-8")


def log_value(raw: str) -> str:
    """A logfmt value: bare, or quoted as Go's strconv.Quote quotes it."""
    if not raw.startswith('"'):
        return raw
    try:
        return unquote_go(raw)
    except ValueError:  # (UnicodeDecodeError too) an input that is not UTF-8: kept as logged
        return raw


LOGFMT = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


def warnings(output: str) -> dict[str, object]:
    """What amtool logged about parsing: {warning, utf8_error} (see the module's docstring)."""
    found: dict[str, object] = {"warning": None, "utf8_error": None}
    for line in output.splitlines():
        if "level=WARN" not in line:
            continue
        fields = {k: log_value(v) for k, v in LOGFMT.findall(line[line.index("time=") :])}
        message = str(fields.get("msg", ""))
        if "classic matchers parser as a fallback" in message:
            found = {"warning": "classic_fallback", "utf8_error": fields.get("err")}
        elif "disagreement" in message:
            found = {"warning": "disagreement", "utf8_error": None}
    return found


def without_logs(text: str) -> str:
    """amtool's output without its log lines (0.27 on logs to stdout, sometimes mid-line)."""
    kept = []
    for line in text.split("\n"):  # not splitlines(): a route's value may hold a raw \r, \v or \f
        if "time=" in line and "level=" in line:
            line = line[: line.index("time=")]
        if line.strip():
            kept.append(line)
    return "\n".join(kept)


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    """As record_matchers.run, without universal newlines: a value may hold a raw \\r."""
    proc = subprocess.run(args, capture_output=True, timeout=TIMEOUT, check=False)
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def check_config(flags: list[str], path: Path, tmp: str) -> dict[str, object]:
    proc = run([AMTOOL, *flags, "check-config", str(path)])
    logged = warnings(proc.stdout + proc.stderr)
    if proc.returncode == 0:
        return {"accepted": True, "error": None, **logged}
    out = classic.clean_error(without_logs(proc.stdout + "\n" + proc.stderr), tmp)
    error = out.split("FAILED: ", 1)[1].strip() if "FAILED: " in out else out
    return {"accepted": False, "error": error, **logged}


def config_matchers(flags: list[str], path: Path, receiver: str) -> list[dict[str, object]]:
    proc = run([AMTOOL, *flags, "config", "routes", "show", f"--config.file={path}"])
    if proc.returncode != 0:
        raise RuntimeError(f"routes show failed: {proc.stdout}{proc.stderr}")
    for line in without_logs(proc.stdout).split("\n"):
        m = classic.ROUTE_LINE.match(line)
        if m and m.group("receiver") == receiver:
            return parse_slug(m.group("slug"))
    raise RuntimeError(f"route {receiver} not in: {proc.stdout}")


def record_config(flags: list[str], case: str, tmp: str) -> dict[str, object]:
    path = Path(tmp) / "case.yml"
    write_config(path, [("r0", case)])
    result = check_config(flags, path, tmp)
    result["matchers"] = config_matchers(flags, path, "r0") if result["accepted"] else None
    return result


def start_alertmanager(flags: list[str], tmp: str) -> tuple[subprocess.Popen[bytes], str]:
    cfg = Path(tmp) / "server.yml"
    write_config(cfg, [])
    port = free_port()
    log_path = Path(tmp) / "alertmanager.log"
    data = tempfile.mkdtemp(prefix="data-", dir=tmp)
    proc = subprocess.Popen(
        [
            ALERTMANAGER,
            *flags,
            f"--config.file={cfg}",
            f"--storage.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"alertmanager exited: {log_path.read_text()}")
        try:
            urllib.request.urlopen(f"{url}/-/ready", timeout=2).close()
            return proc, url
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("alertmanager did not become ready")


def record_silence(flags: list[str], url: str, args: list[str], tmp: str) -> dict[str, object]:
    cmd = [AMTOOL, *flags, f"--alertmanager.url={url}", "silence", "add", "--comment=x", "--author=x"]
    proc = run([*cmd, "--duration=1h", "--", *args])
    logged = warnings(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        result: dict[str, object] = {
            "accepted": False,
            "matchers": None,
            "error": classic.clean_error(without_logs(proc.stderr + "\n" + proc.stdout), tmp),
            **logged,
        }
        if "match the empty string" in str(result["error"]) and classic.ANCHOR not in args:
            anchored = record_silence(flags, url, [*args, classic.ANCHOR], tmp)
            parsed = anchored["matchers"]
            assert isinstance(parsed, list)
            result["parsed_with_anchor"] = [m for m in parsed if m["name"] != classic.ANCHOR_NAME]
        return result
    silence_id = without_logs(proc.stdout).strip().splitlines()[-1].strip()
    silence = classic.http_json(f"{url}/api/v2/silence/{silence_id}")
    assert isinstance(silence, dict)
    matchers = [
        {"name": m["name"], "value": m["value"], "isRegex": m["isRegex"], "isEqual": m.get("isEqual", True)}
        for m in silence["matchers"]
    ]
    return {"accepted": True, "matchers": matchers, "error": None, **logged}


def record_not_first(flags: list[str], url: str, case: str, tmp: str) -> dict[str, object]:
    result = record_silence(flags, url, [classic.ANCHOR, case], tmp)
    if isinstance(result["matchers"], list):
        result["matchers"] = [m for m in result["matchers"] if m["name"] != classic.ANCHOR_NAME]
    return result


def record_regex_case(matcher: str, label: str, values: list[str | None], tmp: str) -> dict[str, object]:
    """As record_matchers.record_regex_case, in the default mode (amtool's log lines left out)."""
    path = Path(tmp) / "regex.yml"
    write_config(path, [("hit", matcher)])
    config = check_config([], path, tmp)
    results = []
    for value in values if config["accepted"] else []:
        labels = ['zz_other="1"']
        if value is not None:
            escaped = value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
            labels.append(f'{label}="{escaped}"')
        proc = run([AMTOOL, "config", "routes", "test", f"--config.file={path}", "--", *labels])
        receiver = without_logs(proc.stdout).strip()
        if proc.returncode != 0 or receiver not in ("hit", "default"):
            raise RuntimeError(f"routes test failed for {matcher} {labels}: {proc.stdout}{proc.stderr}")
        results.append({"value": value, "matches": receiver == "hit"})
    return {"matcher": matcher, "label": label, "config": config, "results": results}


def version() -> str:
    proc = run([ALERTMANAGER, "--version"])
    out = proc.stdout + proc.stderr
    m = re.search(r"version (\S+ \(branch: [^)]*\))", out)
    go = re.search(r"go version:\s+(\S+)", out)
    return (m.group(1) if m else out.strip().splitlines()[0]) + (f" {go.group(1)}" if go else "")


def all_cases() -> list[tuple[str, list[str] | None]]:
    cases = list(classic.CASES) + list(UTF8_CASES)
    inputs = [c for c, _ in cases]
    duplicated = sorted({c for c in inputs if inputs.count(c) > 1})
    if duplicated:
        raise SystemExit(f"duplicate inputs: {duplicated}")
    return cases


def main() -> int:
    cases = all_cases()
    GOLDEN.mkdir(exist_ok=True)
    header = {
        "alertmanager_version": version(),
        "recorded_at": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
        "modes": {mode: flags for mode, flags in MODES.items()},
        "classic_cases": len(classic.CASES),
    }
    entries: list[dict[str, object]] = [{"input": c, "modes": {}} for c, _ in cases]
    with tempfile.TemporaryDirectory(prefix="am-golden-current-") as tmp:
        for mode, flags in MODES.items():
            server, url = start_alertmanager(flags, tmp)
            try:
                for entry, (case, args) in zip(entries, cases, strict=True):
                    result: dict[str, object] = {
                        "config_matchers": record_config(flags, case, tmp),
                        "silence": record_silence(flags, url, [case], tmp),
                        "silence_not_first": record_not_first(flags, url, case, tmp),
                    }
                    if args is not None:
                        result["silence_args"] = {"args": args, **record_silence(flags, url, args, tmp)}
                    modes = entry["modes"]
                    assert isinstance(modes, dict)
                    modes[mode] = result
            finally:
                server.terminate()
                server.wait(timeout=TIMEOUT)
        regex = [record_regex_case(m, label, values, tmp) for m, label, values in classic.REGEX_CASES]
    classic.dump(GOLDEN / "matchers_current.json", {**header, "cases": entries})
    regex_header = {k: v for k, v in header.items() if k not in ("modes", "classic_cases")}
    classic.dump(GOLDEN / "regex_routes_current.json", {**regex_header, "mode": "fallback", "cases": regex})
    print(
        f"recorded {len(entries)} matcher cases in {len(MODES)} modes and {len(regex)} regex cases into {GOLDEN}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
