"""Slack title/text templates: what is refused when the config is loaded (and says why), the bounds of a render,
Alertmanager's default templates, the data model and the config keys."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from alertrouter.config import ConfigError, load_config, parse_config
from alertrouter.notify.template_data import TemplateAlert, TemplateData, common_pairs
from alertrouter.notify.templates import (
    MAX_OUTPUT,
    MAX_STEPS,
    RenderError,
    TemplateSyntaxError,
    compile_template,
    render_template,
)


def storm(alerts: int) -> TemplateData:
    firing = tuple(
        TemplateAlert(
            "firing",
            {"alertname": "DiskFull", "instance": f"db-{i}"},
            {"summary": "disk full"},
            datetime(2026, 1, 15, 10, tzinfo=UTC),
        )
        for i in range(alerts)
    )
    labels, annotations = common_pairs(firing)
    return TemplateData("team", "firing", firing, {"alertname": "DiskFull"}, labels, annotations)


@pytest.mark.parametrize(
    ("template", "named"),
    [
        ('{{ define "x" }}X{{ end }}', "define"),
        ('{{ block "x" . }}X{{ end }}', "block"),
        ('{{ template "mine" . }} and more', "template"),
        ("{{ call .Receiver }}", "call"),
        ('{{ html "<b>" }}', "html"),
        ("{{ now }}", "now"),
        ('{{ date "2006" .StartsAt }}', "date"),
        ('{{ .StartsAt.Format "2006" }}', "with arguments"),
        ('{{ .CommonLabels.Names.Join "," }}', "with arguments"),
        ("{{ dict 1 2 }}", "dict"),
        ("{{ exec 1 }}", '"exec" not defined'),
        ("{{ 1.5 }}", "whole decimal"),
        ("{{ 'a' }}", "character"),
        ("{{ toUpper }}", "wrong number of args for toUpper"),
        ("{{ .Status | toUpper .Receiver }}", "wrong number of args for toUpper"),
        ("{{ toUpper.Status }}", "wrong number of args for toUpper: want 1 got 0"),
        ("{{ if false }}{{ and }}{{ end }}", "wrong number of args for and"),
        ("{{ $x }}", "undefined variable"),
        ("{{ if .Status }}x", "no {{end}}"),
        ("{{ break }}", "outside {{range}}"),
        ("{{ .Status", "unclosed action"),
        ("{{ nil }}", "nil is not a command"),
        ("{{ .Status ) }}", "unexpected"),
        ('{{ template "slack.default.title" . }} and more', "only as the whole template"),
        ('{{ if .Status }}{{ template "slack.default.text" . }}{{ end }}', "only as the whole template"),
    ],
)
def test_a_construct_outside_the_subset_is_refused_by_name(template: str, named: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=named) as refused:
        compile_template(template)
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize("name", ["slack.default.title", "slack.default.text"])
def test_alertmanagers_default_templates_mean_the_routers_own_rendering(name: str) -> None:
    compiled = compile_template(f'  {{{{ template "{name}" . }}}}\n')
    assert compiled.uses_default and compiled.default == name
    assert not compile_template("{{ .Status }}").uses_default
    with pytest.raises(RenderError):
        compiled.render(storm(1))


def test_a_range_over_a_storm_stops_at_the_output_bound() -> None:
    with pytest.raises(RenderError, match=f"more than {MAX_OUTPUT} characters"):
        render_template(
            "{{ range .Alerts }}{{ .Labels.instance }} {{ .Annotations.summary }}\n{{ end }}", storm(5000)
        )
    assert render_template("{{ .Alerts | len }}", storm(5000)) == "5000"


def test_a_render_that_writes_little_but_works_long_stops_at_the_step_bound() -> None:
    with pytest.raises(RenderError, match=f"more than {MAX_STEPS} steps"):
        render_template("{{ range .Alerts }}{{ range $.Alerts }}{{ end }}{{ end }}", storm(2000))


def test_a_range_over_a_huge_number_stops_at_the_step_bound_without_listing_it() -> None:
    with pytest.raises(RenderError, match="steps"):
        render_template("{{ range 1000000000000 }}{{ end }}", storm(1))


def test_a_value_doubled_in_a_variable_stops_before_it_grows_large() -> None:
    with pytest.raises(RenderError, match="longer than"):
        render_template('{{ $x := "ab" }}{{ range 40 }}{{ $x = printf "%s%s" $x $x }}{{ end }}', storm(1))


def test_printf_widths_are_bounded() -> None:
    with pytest.raises(RenderError, match="too large"):
        render_template('{{ printf "%999999999d" 1 }}', storm(1))


def test_data_the_template_does_not_fit_fails_the_render() -> None:
    with pytest.raises(RenderError, match="index out of range: 5"):
        render_template("{{ index .Alerts 5 }}", storm(1))


@pytest.mark.parametrize(
    "template",
    ["{{ .Nope }}", "{{ range .Alerts }}{{ .Lables.x }}{{ end }}", "{{ .CommonLabels.alertname.Foo }}"],
)
def test_a_field_the_data_does_not_have_is_refused_when_the_template_is_read(template: str) -> None:
    with pytest.raises(TemplateSyntaxError, match="can't evaluate field"):
        compile_template(template)


def test_the_output_is_plain_text_not_escaped() -> None:
    assert render_template('{{ "<b>&" }} {{ .CommonLabels.alertname }}', storm(2)) == "<b>& DiskFull"


def test_common_labels_and_annotations_are_those_every_alert_shares() -> None:
    alerts = [
        TemplateAlert("firing", {"a": "1", "b": "2", "c": "3"}, {"x": "y"}),
        TemplateAlert("resolved", {"a": "1", "b": "other"}, {"x": "y", "z": "w"}),
    ]
    assert common_pairs(alerts) == ({"a": "1"}, {"x": "y"})
    assert common_pairs([]) == ({}, {})


CONFIG = """
route: {receiver: team}
receivers:
  - name: team
    slack_configs:
      - channel: '#a'
        title: %s
        text: '{{ range .Alerts }}{{ .Labels.instance }}{{ end }}'
        color: danger
"""


def test_slack_configs_title_and_text_are_carried_over_to_the_slack_target() -> None:
    config = parse_config(CONFIG % "'{{ .CommonLabels.alertname }}'")
    [target] = config.receivers[0].slack
    assert (target.title, target.text) == (
        "{{ .CommonLabels.alertname }}",
        "{{ range .Alerts }}{{ .Labels.instance }}{{ end }}",
    )


def test_a_refused_template_names_the_receiver_and_the_key() -> None:
    with pytest.raises(
        ConfigError, match=r"receivers\.team\.slack_configs\.0\.title: `\{\{ define \.\.\. \}\}` is not"
    ):
        parse_config(CONFIG % """'{{ define "x" }}x{{ end }}'""")


def test_the_routers_own_slack_entries_take_templates_too(tmp_path: Path) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(
        "route: {receiver: team}\nreceivers:\n  - name: team\n    slack:\n"
        "      - {channel: '#a', title: '{{ .Status | toUpper }}'}\n      - {channel: '#b', text: '{{ now }}'}\n"
    )
    with pytest.raises(
        ConfigError, match=r"receivers\.team\.slack\.1\.text: function `now` is not supported"
    ):
        load_config(path)
