"""A CloudWatch alarm's state reason in plain words: the threshold, how many datapoints crossed it, the values.

CloudWatch writes the reason as a sentence (`Threshold Crossed: 3 out of the last 3 datapoints [97.1 (02/03/26
09:00:00), …] were greater than the threshold (80.0) (minimum 1 datapoint for OK -> ALARM transition).`); the
band of an anomaly detection alarm as lower and upper thresholds. Anything else (a composite's, Metrics
Insights', "Insufficient Data") is left as CloudWatch wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_VALUES = 5
_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_COMPARISON = {
    "greater than or equal to": "≥",
    "greater than": ">",
    "less than or equal to": "≤",
    "less than": "<",
}
_NEGATED = {"≥": "<", ">": "≤", "≤": ">", "<": "≥"}
_WORDS = {">": "above", "≥": "at or above", "<": "below", "≤": "at or below"}
_THRESHOLD = re.compile(
    r"Threshold Crossed: (?:(?P<crossed>\d+) out of the last (?P<of>\d+)|(?P<only>\d+)) datapoints?"
    r"(?: \[(?P<values>[^\]]*)\])? (?:was|were) (?P<not>not )?"
    r"(?P<op>greater than or equal to|greater than|less than or equal to|less than)"
    rf" (?:the threshold \()?(?P<threshold>{_NUMBER})"
    r"(?:\)\. The most recent datapoints? which crossed the threshold: \[(?P<recent>[^\]]*)\])?"
)
_BAND = re.compile(
    r"Thresholds Crossed: (?P<crossed>\d+) out of the last (?P<of>\d+) datapoints? \[(?P<values>[^\]]*)\]"
    rf" was (?P<not>not )?less than the lower thresholds \[(?P<low>{_NUMBER})\]"
    rf" or (?:not )?greater than the upper thresholds \[(?P<high>{_NUMBER})\]"
)
_VALUE = re.compile(rf"({_NUMBER})(?: \([^)]*\))?")
# a composite alarm's: `arn:aws:cloudwatch:us-east-1:1:alarm:Child transitioned to ALARM at Friday 22 July, …`
_CHILD = re.compile(
    r"arn:aws[a-z-]*:cloudwatch:[^:]*:[0-9]*:alarm:(?P<child>.+?) transitioned to "
    r"(?P<state>ALARM|OK|INSUFFICIENT_DATA) at (?P<when>.+)"
)


@dataclass(frozen=True, slots=True)
class ReasonFacts:
    """What a threshold reason says: `threshold` as `> 80`, the crossing values, and a plain sentence."""

    threshold: str
    values: tuple[str, ...]
    plain: str


def number(text: str) -> str:
    """A datapoint as a person reads it: 4 significant digits, thousands grouped (`45,628`, `0.06669`)."""
    value = float(text)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    shown = f"{value:.4g}"
    return shown if "e" not in shown else f"{value:.2e}"


def _values(listed: str | None) -> tuple[str, ...]:
    if not listed:
        return ()
    return tuple(number(v) for v in _VALUE.findall(listed)[:MAX_VALUES])


def read_reason(reason: str) -> ReasonFacts | None:
    """The facts of a threshold, band or composite reason; None for any other reason."""
    child = _CHILD.fullmatch(reason.strip())
    if child:
        return ReasonFacts("", (), f"Because {child['child']} went to {child['state']} ({child['when']})")
    if not reason.startswith(("Threshold Crossed", "Thresholds Crossed")):
        return None
    found = _THRESHOLD.match(reason)
    if found:
        op = _COMPARISON[found["op"]]  # the alarm's condition, also when the reason says it no longer holds
        threshold = number(found["threshold"])
        values = _values(found["values"] or found["recent"])
        held = _NEGATED[op] if found["not"] else op
        shown = f": {', '.join(values)}" if values else ""
        plain = f"{_WORDS[held].capitalize()} {threshold} in {_datapoints(found['crossed'] or found['only'], found['of'])}{shown}"
        return ReasonFacts(f"{op} {threshold}", values, plain)
    band = _BAND.match(reason)
    if band:
        low, high = number(band["low"]), number(band["high"])
        values = _values(band["values"])
        where = "Inside" if band["not"] else "Outside"
        shown = f": {', '.join(values)}" if values else ""
        plain = f"{where} the band {low} to {high} in {_datapoints(band['crossed'], band['of'])}{shown}"
        return ReasonFacts(f"outside {low} to {high}", values, plain)
    return None


def _datapoints(crossed: str, out_of: str | None) -> str:
    """`3 of the last 5 datapoints`, `the last 3 datapoints`, `the last datapoint`, `3 datapoints`."""
    if not out_of:
        return f"{crossed} datapoint{'s' if crossed != '1' else ''}"
    if crossed != out_of:
        return f"{crossed} of the last {out_of} datapoints"
    return "the last datapoint" if crossed == "1" else f"the last {crossed} datapoints"
