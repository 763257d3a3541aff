"""Record what Alertmanager's amtool renders for Slack title/text templates: tests/unit/golden/templates.json.

For each of CASES (a template and the name of one of DATA), `amtool template render --template.text=...
--template.data=<DATA[name] as JSON>` (the glob is a file with one dummy define: amtool needs one) renders the
template: its output, or its error. DATA["amtool_default"] is amtool's own example data (cli/template_render.go,
`defaultData`) with fixed times instead of time.Now(); DATA["storm"] is a group as this router sends them.
REFUSED_ON_PURPOSE are templates amtool takes and this router refuses when its config is loaded, each with why.

Needs a current amtool (0.33.1: Debian's package, unpacked as tests/conformance/README.md says). Give its
folder in AM_BIN (default: the PATH); a few seconds:

    AM_BIN=/tmp/am-new/usr/bin python tests/conformance/record_templates.py

tests/unit/test_template_conformance.py renders every case with this router's engine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parents[1] / "unit" / "golden" / "templates.json"
BIN = os.environ.get("AM_BIN", "")
AMTOOL = str(Path(BIN) / "amtool") if BIN else shutil.which("amtool") or "amtool"
TIMEOUT = 30

COMMON_LABELS = {"commonlabelkey1": "commonlabelvalue1", "commonlabelkey2": "commonlabelvalue2"}
COMMON_ANNOTATIONS = {
    "commonannotationkey1": "commonannotationvalue1",
    "commonannotationkey2": "commonannotationvalue2",
}
DATA: dict[str, dict[str, Any]] = {
    "amtool_default": {
        "receiver": "receiver",
        "status": "alertstatus",
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "label1": "value1",
                    "label2": "value2",
                    "instance": "foo.bar:1234",
                    **COMMON_LABELS,
                },
                "annotations": {"annotation1": "value1", "annotation2": "value2", **COMMON_ANNOTATIONS},
                "startsAt": "2026-01-15T09:55:00Z",
                "endsAt": "2026-01-15T10:00:00Z",
                "generatorURL": "https://generatorurl.com",
                "fingerprint": "fingerprint1",
            },
            {
                "status": "resolved",
                "labels": {"foo": "bar", "baz": "qux", **COMMON_LABELS},
                "annotations": {"aaa": "bbb", "ccc": "ddd", **COMMON_ANNOTATIONS},
                "startsAt": "2026-01-15T09:50:00Z",
                "endsAt": "2026-01-15T10:00:00Z",
                "generatorURL": "https://generatorurl.com",
                "fingerprint": "fingerprint2",
            },
        ],
        "groupLabels": {"grouplabelkey1": "grouplabelvalue1", "grouplabelkey2": "grouplabelvalue2"},
        "commonLabels": COMMON_LABELS,
        "commonAnnotations": COMMON_ANNOTATIONS,
        "externalURL": "https://example.com",
    },
    "storm": {
        "receiver": "team-db",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "alertname": "DiskFull",
                    "severity": "critical",
                    "instance": "db-1:9100",
                    "env": "prod",
                },
                "annotations": {
                    "summary": "Disk 97% full on db-1",
                    "runbook": "https://runbooks.example/disk",
                },
                "startsAt": "2026-01-15T10:00:00.123Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "https://prometheus.example/graph?g0.expr=disk",
                "fingerprint": "a1b2c3d4e5f60718",
            },
            {
                "status": "firing",
                "labels": {
                    "alertname": "DiskFull",
                    "severity": "critical",
                    "instance": "db-2:9100",
                    "env": "prod",
                },
                "annotations": {
                    "summary": "Disk 91% full on db-2",
                    "runbook": "https://runbooks.example/disk",
                },
                "startsAt": "2026-01-15T12:01:02+02:00",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "https://prometheus.example/graph?g0.expr=disk",
                "fingerprint": "0f1e2d3c4b5a6978",
            },
            {
                "status": "resolved",
                "labels": {
                    "alertname": "DiskFull",
                    "severity": "critical",
                    "instance": "db-3:9100",
                    "env": "prod",
                },
                "annotations": {
                    "summary": "Disk 95% full on db-3",
                    "runbook": "https://runbooks.example/disk",
                },
                "startsAt": "2026-01-15T09:00:00Z",
                "endsAt": "2026-01-15T09:45:30.5Z",
                "generatorURL": "",
                "fingerprint": "1122334455667788",
            },
        ],
        "groupLabels": {"alertname": "DiskFull", "env": "prod"},
        "commonLabels": {"alertname": "DiskFull", "severity": "critical", "env": "prod"},
        "commonAnnotations": {"runbook": "https://runbooks.example/disk"},
        "externalURL": "https://alertmanager.example",
    },
}

D, S = "amtool_default", "storm"
CASES: list[tuple[str, str]] = [
    # as written in alertmanager.yml files (the widely copied Slack title and text)
    (
        '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] '
        "{{ .CommonLabels.alertname }} for {{ .CommonLabels.job }}",
        S,
    ),
    (
        "{{ range .Alerts -}}\n*Alert:* {{ .Annotations.summary }}{{ if .Labels.severity }} - `{{ .Labels.severity }}`"
        "{{ end }}\n*Details:*\n  {{ range .Labels.SortedPairs }} • *{{ .Name }}:* `{{ .Value }}`\n  {{ end }}\n{{ end }}",
        S,
    ),
    (
        "{{ if gt (len .Alerts.Firing) 0 }}*Firing:*\n{{ range .Alerts.Firing }}{{ .Annotations.summary }} "
        "({{ .Labels.instance }}) <{{ .GeneratorURL }}|graph>\n{{ end }}{{ end }}"
        "{{ if gt (len .Alerts.Resolved) 0 }}*Resolved:*\n{{ range .Alerts.Resolved }}{{ .Annotations.summary }}\n"
        "{{ end }}{{ end }}<{{ .ExternalURL }}/#/alerts?receiver={{ .Receiver }}|all alerts>",
        S,
    ),
    # text, fields, printing
    ("plain text, no actions", D),
    ("{{ .Receiver }} {{ .Status }} {{ .ExternalURL }}", D),
    ("{{ .CommonLabels.alertname }}: {{ .CommonAnnotations.runbook }}", S),
    ("[{{ .CommonLabels.missing }}]", S),
    ("{{ .GroupLabels }}|{{ .CommonLabels }}|{{ .CommonAnnotations }}", D),
    ("{{ .GroupLabels }}", S),
    ("{{ . }}", D),
    ("{{ . }}", S),
    ("{{ .Alerts }}", D),
    ("{{ .Alerts.Firing }}", S),
    ("{{ (index .Alerts 0).StartsAt }} {{ (index .Alerts 0).EndsAt }}", S),
    ("{{ (index .Alerts 1).StartsAt }} {{ (index .Alerts 2).EndsAt }}", S),
    ("{{ (index .Alerts 0).Labels }} {{ (index .Alerts 0).GeneratorURL }}", D),
    ("[{{ .NotificationReason }}]", D),
    ('{{ "quoted\\t\\"string\\" \\u00e9" }} {{ `raw \\n` }}', D),
    ("{{ 42 }} {{ -7 }} {{ true }} {{ false }}", D),
    # methods of the data
    ("{{ .Alerts.Firing | len }} firing, {{ .Alerts.Resolved | len }} resolved", S),
    ("{{ .CommonLabels.SortedPairs }}", S),
    ("{{ .CommonLabels.Names }} {{ .CommonLabels.Values }}", S),
    ("{{ range .CommonLabels.SortedPairs }}{{ .Name }}={{ .Value }} {{ end }}", S),
    ("{{ .CommonLabels.SortedPairs.Names }} {{ .GroupLabels.SortedPairs.Values }}", S),
    ('{{ (index .Alerts 0).Labels.Remove (stringSlice "instance" "label1") }}', D),
    ('{{ range (index .Alerts 0).Labels.Remove (stringSlice "alertname" "env") }}{{ . }};{{ end }}', S),
    ("{{ index .CommonLabels.SortedPairs 0 }}", S),
    # range
    ("{{ range .Alerts }}{{ .Labels.instance }} {{ .Status }}\n{{ end }}", S),
    ("{{ range $i, $a := .Alerts }}{{ $i }}={{ $a.Fingerprint }};{{ end }}", S),
    ("{{ range $a := .Alerts.Firing }}{{ $a.Annotations.summary }}. {{ end }}", S),
    ("{{ range .Alerts.Resolved }}x{{ else }}none resolved{{ end }}", S),
    ("{{ range .Alerts.Resolved }}{{ .Labels.instance }}{{ else }}none{{ end }}", S),
    ("{{ range $k, $v := .CommonLabels }}{{ $k }}:{{ $v }},{{ end }}", S),
    ("{{ range .CommonLabels }}{{ . }},{{ end }}", S),
    (
        "{{ range .Alerts }}{{ $.Receiver }}/{{ $.CommonLabels.alertname }}/{{ .Labels.instance }} {{ end }}",
        S,
    ),
    (
        '{{ range .Alerts }}{{ if eq .Status "resolved" }}{{ continue }}{{ end }}{{ .Fingerprint }} {{ end }}',
        S,
    ),
    ("{{ range .Alerts }}{{ .Fingerprint }}{{ break }}{{ end }}", S),
    ("{{ range 3 }}{{ . }}{{ end }}", D),
    (
        "{{ range $i, $e := .Alerts }}{{ range $e.Labels.SortedPairs }}{{ $i }}{{ .Name }} {{ end }}{{ end }}",
        D,
    ),
    # if / with / variables
    ('{{ if eq .Status "firing" }}F{{ else if eq .Status "resolved" }}R{{ else }}?{{ end }}', S),
    ('{{ if eq .Status "firing" }}F{{ else if eq .Status "resolved" }}R{{ else }}?{{ end }}', D),
    ("{{ if and .Alerts.Firing .Alerts.Resolved }}mixed{{ end }}", S),
    ("{{ if gt (len .Alerts.Firing) 1 }}{{ len .Alerts.Firing }} firing{{ end }}", S),
    ("{{ with .CommonLabels.severity }}sev={{ . }}{{ else }}no severity{{ end }}", S),
    ("{{ with .CommonLabels.severity }}sev={{ . }}{{ else }}no severity{{ end }}", D),
    ("{{ with $x := .Receiver }}{{ $x }}/{{ $.Status }}{{ end }}", S),
    ("{{ with .CommonLabels.nope }}a{{ else with .Receiver }}b={{ . }}{{ end }}", S),
    ("{{ $n := len .Alerts }}{{ $n }} alerts{{ $n = 5 }}, now {{ $n }}", S),
    ("{{ if true }}{{ $x := 1 }}{{ $x }}{{ end }}", D),
    # logic and comparison
    ('{{ or .CommonLabels.nope "fallback" }} {{ and "a" "" "b" }}| {{ and 1 2 }} {{ or 0 "" }}', S),
    ("{{ not .Alerts }} {{ not .CommonLabels.nope }} {{ not 0 }}", S),
    ('{{ lt 1 2 }} {{ le 2 2 }} {{ ge "b" "a" }} {{ ne .Status "x" }} {{ gt 1 2 }}', S),
    ('{{ eq .Status "a" "b" .Status }} {{ eq 1 1 }} {{ eq true false }}', S),
    # Alertmanager's functions
    ('{{ toUpper .Status }} {{ toLower "ABC" }} {{ title "hello wORLD foo-bar foo_bar 1abc x.y" }}', S),
    ('{{ trimSpace "  x \\n" }}|{{ .CommonLabels.alertname | toUpper }}', S),
    ('{{ join ", " .CommonLabels.Names }} {{ .CommonLabels.Values | join "/" }}', S),
    ('{{ match "^Disk" .CommonLabels.alertname }} {{ match "x" "y" }}', S),
    ('{{ reReplaceAll "(\\\\w+)-(\\\\d+):.*" "$2 on ${1}" (index .Alerts 0).Labels.instance }}', S),
    ('{{ reReplaceAll "x*" "-" "abxd" }} {{ reReplaceAll "(a)(?P<n>b)" "[$2 ${n} $1x $$]" "zabz" }}', S),
    ('{{ stringSlice "a" "b" }} {{ safeHtml "<b>" }}', S),
    ('{{ len "é" }} {{ len .CommonLabels }}', S),
    # print, printf, println
    ('{{ printf "%s has %d alerts" .Receiver (len .Alerts) }}', S),
    ('{{ printf "%q %v %x %5s|%-5s|%05d|%.2s|%t" "a\\"b" .CommonLabels 255 "a" "b" 42 "xyz" true }}', S),
    (
        '{{ printf "%d" "a" }} {{ printf "%s" }} {{ printf "x" 1 "y" }} {{ printf "%v %s" .CommonLabels.Names 3 }}',
        S,
    ),
    ('{{ printf "%q" .CommonLabels.Names }} {{ printf "%+d %x %X %c" 5 "hi" 255 65 }}', S),
    ('{{ print 1 2 "a" "b" 3 }}|{{ println "a" 1 }}|{{ print }}', S),
    ('{{ .Status | printf "%s!" }} {{ "x" | printf "%s%s" "y" }}', S),
    (
        '{{ toUpper "ßtraße ǆ ﬁ" }}|{{ toLower "İSTANBUL ǅ" }}|{{ title "ǆemal ßa élan ÉLAN they\'re o\'neil" }}',
        S,
    ),
    ('[{{ trimSpace "\\u00a0\\u2003x\\u001c " }}]', S),
    ('{{ index "abc" 1 }} {{ index .CommonLabels "nope" }}| {{ index .Alerts 1 | printf "%.30v" }}', S),
    ("{{ if .Alerts.Firing }}some{{ end }} {{ if .Alerts.Resolved }}resolved{{ end }}", S),
    ("{{ range $i, $p := .CommonLabels.SortedPairs }}{{ if $i }}, {{ end }}{{ $p.Name }}{{ end }}", S),
    (
        "{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}{{ if true }}{{ $x = 3 }}{{ end }}{{ $x }}",
        S,
    ),
    ('{{ .CommonLabels.alertname | len }} {{ len .Alerts.Firing | printf "%03d" }}', S),
    ('{{ if and (eq .Status "firing") (ge (len .Alerts) 3) }}big{{ else }}small{{ end }}', S),
    ("{{ range .Alerts }}{{ .Labels.SortedPairs.Values }}{{ end }}", S),
    ("{{ range (index .Alerts 0).Annotations.SortedPairs }}{{ .Name | title }}: {{ .Value }}\n{{ end }}", S),
    ('{{ printf "%05s|%T|%s|%v|%-4d|" "a" .Alerts nil nil 7 }}', S),
    ('{{ printf "%s %v" (index .Alerts 0) (index .Alerts 0).Labels.SortedPairs }}', S),
    ("{{ with .Alerts.Resolved }}{{ len . }} resolved{{ end }}{{ with .GroupLabels.nope }}x{{ end }}", S),
    ("{{-3}} {{3 -}} x {{ if\n  .Status\n}}multi-line{{ end }}", S),
    ("{{ /* not a comment */ }}", S),
    ("{{ .Labels }}", S),
    ("{{ .CommonLabels.Remove }}", S),
    ('{{ printf "%d" }}', S),
    # whitespace and comments
    ("a  {{- .Status -}}  b", S),
    ("a {{- /* comment */ -}} b {{/* another */}}c", S),
    ("{{ range .Alerts -}}\n  * {{ .Labels.instance }}\n{{ end -}}", S),
    # edge cases of Go's fmt and text/template
    ('{{ printf "%v" .Alerts.Firing }}', S),
    ('{{ printf "%+v" (index .Alerts 0).Labels.SortedPairs }}', S),
    ('{{ printf "%10.3s|" "abcdef" }}', S),
    ('{{ printf "%-10v|" .Status }}', S),
    ('{{ printf "%q" 5 }}', S),
    ('{{ printf "%x" .CommonLabels.Names }}', S),
    ('{{ printf "%d %d" 1 }}', S),
    ('{{ printf "%" }}', S),
    ('{{ printf "%!" }}', S),
    ("{{ print nil }}", S),
    ("{{ print .Alerts.Resolved }}", S),
    ("{{ println }}", S),
    ("{{ eq .Alerts .Alerts }}", S),
    ("{{ eq (len .Alerts) 3 }}", S),
    ('{{ lt .Status "g" }}', S),
    ("{{ lt true false }}", S),
    ("{{ and }}", S),
    ("{{ not }}", S),
    ("{{ index .CommonLabels }}", S),
    ("{{ index .Alerts -1 }}", S),
    ("{{ range $i, $e := 3 }}{{ $i }}{{ $e }}{{ end }}", S),
    ("{{ range $e := 3 }}{{ $e }}{{ end }}", S),
    ("{{ range -2 }}x{{ else }}none{{ end }}", S),
    ("{{ range .GroupLabels.nope }}x{{ else }}empty{{ end }}", S),
    ("{{ with 0 }}x{{ else }}zero{{ end }}", S),
    ('{{ if "" }}a{{ else }}b{{ end }}{{ if " " }}c{{ end }}', S),
    ("{{ $ }}", S),
    ("{{ $.Alerts.Firing | len }}", S),
    ('{{ (index .Alerts 0).Labels.alertname | printf "%s-%s" "x" }}', S),
    ('{{ .Status | eq "firing" }}', S),
    ('{{ "a" | eq "a" "b" }}', S),
    ('{{ join "," (stringSlice) }}|{{ stringSlice }}', S),
    ('{{ reReplaceAll "" "-" "abc" }}', S),
    ('{{ reReplaceAll "(?i)DISK" "d" .CommonLabels.alertname }}', S),
    ('{{ reReplaceAll "a|" "x" "baaab" }}', S),
    ('{{ reReplaceAll "(\\\\w+)" "${1}_$1a" "hi yo" }}', S),
    ('{{ match "^$" "" }} {{ match "\\\\d+" "ab12" }}', S),
    (
        '{{ title "" }}|{{ title "ÅNGSTRÖM über" }}|{{ title "hello,world;foo  bar\\ttab" }}|{{ title "don\'t stop" }}|{{ title "x1y2 3z" }}',
        S,
    ),
    ('{{ title "foo.bar.baz 1.2.3 a:b a\'b" }}', S),
    ('{{ toUpper "i ı" }}|{{ toLower "I İ Σ" }}', S),
    ("{{ len .Alerts.Firing }}{{ len (index .Alerts 0).Labels }}", S),
    ("{{ .Alerts.Firing.Nope }}", S),
    ("{{ (index .Alerts 0).Nope }}", S),
    ("{{ (index .CommonLabels.SortedPairs 0).Nope }}", S),
    ('{{ 1 | printf "%d" }}', S),
    ('{{ .Receiver | print | printf "[%s]" }}', S),
    ('{{ "\\x41\\101\\u00e9\\U0001F600" }}', S),
    ('{{ "a\\qb" }}', S),
    ("a{{/* x */}}b{{- /* y */}}c{{/* z */ -}} d", S),
    ("{{/*x*/ }}", S),
    ("{{- /* x */}}", S),
    ("{{ $a := 1 }}{{ $b := 2 }}{{ $a }}{{ $b }}{{ $a = $b }}{{ $a }}", S),
    ("{{ $x := .Alerts }}{{ range $x }}{{ .Status }}{{ end }}", S),
    ("{{ range .Alerts }}{{ $s := .Status }}{{ $s }}{{ end }}{{ $s }}", S),
    ("{{ if $x := .Status }}{{ $x }}{{ end }}", S),
    ("{{ .CommonLabels.Remove .CommonLabels.Names }}", S),
    ('{{ .CommonLabels.Remove "x" }}', S),
    ('{{ stringSlice "alertname" | .CommonLabels.Remove }}', S),
    ('{{ .Alerts.Firing | len | printf "%d firing" }}', S),
    ("{{ index .Alerts 0 | len }}", S),
    ("{{ true | not }}", S),
    ('{{ printf "%s" true }}', S),
    ('{{ printf "%t" "x" }}', S),
    ('{{ printf "%v %v" 1 }}', S),
    ('{{ printf "%6.2v|" 3 }}', S),
    ('{{ printf "%08.3d" 5 }}', S),
    ('{{ printf "%+q" "é" }}', S),
    ('{{ printf "%#q" "x" }}', S),
    ('{{ printf "%x" -255 }}', S),
    ('{{ printf "%c" "a" }}', S),
    ('{{ printf "%s" (index .Alerts 0).StartsAt }}', S),
    ('{{ printf "%v" .CommonLabels.SortedPairs }}', S),
    ('{{ printf "%q" .CommonLabels }}', S),
    ('{{ printf "%d" .CommonLabels }}', S),
    # errors at render in both
    ("{{ .Nope }}", S),
    ("{{ .Alerts.Nope }}", S),
    ('{{ .CommonLabels.Names.Join "," }}', S),
    ('{{ eq "a" 1 }}', S),
    ("{{ index .Alerts 5 }}", S),
    ("{{ len 3 }}", S),
    ("{{ .Status.Foo }}", S),
    ("{{ range .Status }}{{ end }}", S),
    ("{{ toUpper 1 }}", S),
    ('{{ match "[" "x" }}', S),
    ("{{ .Alerts.Firing.Firing }}", S),
    ('{{ index .Alerts 0 "x" }}', S),
    # errors when read, in both
    ("{{ nil }}", S),
    ("{{ if }}x{{ end }}", S),
    ("{{ end }}", S),
    ("{{ $undefined }}", S),
    ("{{ .Receiver", S),
    ("{{ nosuchfunction 1 }}", S),
    ("{{ range .Alerts }}x", S),
    ("{{ break }}", S),
]
REFUSED_ON_PURPOSE: dict[str, str] = {
    '{{ define "x" }}X{{ end }}{{ template "x" }}': "define",
    '{{ block "b" . }}B{{ end }}': "block",
    "{{ now }}": "now",
    "{{ humanizeDuration 3.5 }}": "humanizeDuration",
    "{{ toJson .CommonLabels }}": "toJson",
    "{{ list 1 2 }}": "list",
    '{{ dict "a" "b" }}': "dict",
    '{{ html "<a>" }}': "html",
    '{{ urlquery "a b" }}': "urlquery",
    '{{ slice "abc" 1 }}': "slice",
    "{{ 1.5 }}": "number",
    "{{ 'a' }}": "character",
    "{{ 0x10 }}": "number",
    '{{ date "2006-01-02" (index .Alerts 0).StartsAt }}': "date",
    '{{ (index .Alerts 0).StartsAt.Format "2006-01-02" }}': "with arguments",
}


def render(template: str, data: str, tmp: str) -> dict[str, Any]:
    data_file = Path(tmp) / f"{data}.json"
    proc = subprocess.run(
        [
            AMTOOL,
            "template",
            "render",
            f"--template.glob={Path(tmp) / 'dummy.tmpl'}",
            f"--template.data={data_file}",
            f"--template.text={template}",
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if proc.returncode == 0:
        return {"ok": True, "output": proc.stdout}
    return {"ok": False, "error": proc.stderr.strip().replace(tmp, "<tmp>")}


def version() -> str:
    proc = subprocess.run([AMTOOL, "--version"], capture_output=True, text=True, timeout=TIMEOUT, check=False)
    return (proc.stdout + proc.stderr).strip().splitlines()[0]


def main() -> int:
    templates = [t for t, _ in CASES]
    duplicated = sorted({(t, d) for t, d in CASES if CASES.count((t, d)) > 1})
    if duplicated:
        raise SystemExit(f"duplicate cases: {duplicated}")
    with tempfile.TemporaryDirectory(prefix="am-templates-") as tmp:
        (Path(tmp) / "dummy.tmpl").write_text('{{ define "dummy" }}dummy{{ end }}\n')
        for name, data in DATA.items():
            (Path(tmp) / f"{name}.json").write_text(json.dumps(data))
        cases = [{"template": t, "data": d, **render(t, d, tmp)} for t, d in CASES]
        # only whether amtool renders them: `now` and the like are not the same twice
        refused = [
            {"template": t, "data": S, "refused_for": why, "ok": render(t, S, tmp)["ok"]}
            for t, why in REFUSED_ON_PURPOSE.items()
        ]
    golden = {
        "amtool_version": version(),
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": DATA,
        "cases": cases,
        "refused_on_purpose": refused,
    }
    GOLDEN.write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    ok = sum(1 for c in cases if c["ok"])
    print(
        f"{len(templates)} cases ({ok} rendered, {len(cases) - ok} refused by amtool), {len(refused)} refused here"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
