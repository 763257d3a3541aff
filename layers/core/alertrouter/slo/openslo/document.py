"""An SLO document as written (kind SLO), checked as a whole and compiled into an `Slo`."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import Field, field_validator, model_validator

from alertrouter.slo.compiled import Budgeting, Slo, ThresholdMetric
from alertrouter.slo.openslo.alert_policy import AlertPolicy
from alertrouter.slo.openslo.base import Document, FieldError, Metadata, check_api_version, unsupported
from alertrouter.slo.openslo.indicator import BOTH_GOOD_AND_BAD, REQUIRED_GOOD, REQUIRED_SLI, Indicator
from alertrouter.slo.openslo.objective import REQUIRED_TARGET, Objective
from alertrouter.slo.openslo.window import TimeWindowDoc
from alertrouter.slo.rules import BurnRule, default_rules, format_duration
from alertrouter.slo.units import decimal_text

MIN_EVENTS = "alertrouter/min-events"


def consistency_problems(threshold: bool | None, budgeting: Any, given: set[str]) -> list[FieldError]:
    """What is wrong with the objective's fields, given the SLI kind (threshold or not; None: unknown), the
    budgeting method and the objective's keys. Also run on a document that fails validation elsewhere, so
    that these are reported with its other errors."""
    problems = []
    if threshold is not None:
        for field in ("op", "value"):
            if threshold and field not in given:
                problems.append(
                    FieldError(
                        ("objectives", 0, field),
                        "required with a thresholdMetric: a data point is good when `value op threshold` holds, "
                        "e.g. op: lte, value: 0.3",
                    )
                )
            if not threshold and field in given:
                problems.append(
                    FieldError(
                        ("objectives", 0, field),
                        "only used with a thresholdMetric: a ratioMetric's objective is its target",
                    )
                )
    for field in ("timeSliceTarget", "timeSliceWindow"):
        if budgeting == Budgeting.TIMESLICES and field not in given:
            problems.append(
                FieldError(("objectives", 0, field), "required when budgetingMethod is Timeslices")
            )
        if budgeting == Budgeting.OCCURRENCES and field in given:
            problems.append(
                FieldError(("objectives", 0, field), "only used with budgetingMethod: Timeslices")
            )
    return problems


def raw_consistency_problems(doc: Any) -> list[FieldError]:
    """consistency_problems of a document as written (paths from the document's top)."""
    spec = doc.get("spec") if isinstance(doc, dict) else None
    if not isinstance(spec, dict):
        return []
    objectives = spec.get("objectives")
    if not isinstance(objectives, list) or len(objectives) != 1 or not isinstance(objectives[0], dict):
        return []
    indicator = spec.get("indicator")
    sli = indicator.get("spec") if isinstance(indicator, dict) else None
    threshold = None
    if isinstance(sli, dict) and (sli.get("ratioMetric") is None) != (sli.get("thresholdMetric") is None):
        threshold = sli.get("thresholdMetric") is not None
    given = {str(key) for key, value in objectives[0].items() if value is not None}
    problems = [
        FieldError(("spec", *problem.path), problem.message)
        for problem in consistency_problems(threshold, spec.get("budgetingMethod"), given)
    ]
    if not given & {"target", "targetPercent"}:
        problems.append(FieldError(("spec", "objectives", 0, "target"), REQUIRED_TARGET))
    return _raw_sli_problems(sli) + problems


def _raw_sli_problems(sli: Any) -> list[FieldError]:
    """The SLI's parts that are missing or given twice, as written (reported with its other errors)."""
    if not isinstance(sli, dict):
        return []
    where = ("spec", "indicator", "spec")
    if sli.get("ratioMetric") is None and sli.get("thresholdMetric") is None:
        return [FieldError((*where, "ratioMetric"), REQUIRED_SLI)]
    ratio = sli.get("ratioMetric")
    if not isinstance(ratio, dict):
        return []
    if ratio.get("good") is None and ratio.get("bad") is None:
        return [FieldError((*where, "ratioMetric", "good"), REQUIRED_GOOD)]
    if ratio.get("good") is not None and ratio.get("bad") is not None:
        return [FieldError((*where, "ratioMetric", "bad"), BOTH_GOOD_AND_BAD)]
    return []


class SloSpec(Document):
    description: str = Field(default="", max_length=1050)
    service: str

    @field_validator("service")
    @classmethod
    def _service(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty: the service this SLO belongs to")
        return v

    indicator: Indicator
    indicator_ref: Annotated[Any, unsupported("inline the SLI as spec.indicator")] = None
    time_window: list[TimeWindowDoc]
    budgeting_method: str
    objectives: list[Objective]
    alert_policies: list[AlertPolicy] = Field(default_factory=list)

    @field_validator("time_window")
    @classmethod
    def _one_window(cls, v: list[TimeWindowDoc]) -> list[TimeWindowDoc]:
        if len(v) != 1:
            raise ValueError(f"give exactly one time window, got {len(v)}")
        return v

    @field_validator("budgeting_method")
    @classmethod
    def _budgeting(cls, v: str) -> str:
        if v not in tuple(Budgeting):
            raise ValueError(f"{v!r} is not supported: use Occurrences or Timeslices")
        return v

    @field_validator("objectives")
    @classmethod
    def _one_objective(cls, v: list[Objective]) -> list[Objective]:
        if len(v) != 1:
            raise ValueError(f"exactly one objective is supported, got {len(v)}: give each its own SLO")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        objective = self.objectives[0]
        given = {
            name
            for name, value in {
                "op": objective.op,
                "value": objective.value,
                "timeSliceTarget": objective.time_slice_target,
                "timeSliceWindow": objective.time_slice_window,
            }.items()
            if value is not None
        }
        threshold = self.indicator.spec.threshold_metric is not None
        for problem in consistency_problems(threshold, self.budgeting_method, given):
            raise problem
        self._check_rules()
        return self

    def rules(self) -> list[tuple[BurnRule, tuple[str | int, ...] | None]]:
        """Each rule with the path of the condition it came from (None: the defaults)."""
        if not self.alert_policies:
            return [(rule, None) for rule in default_rules(self.time_window[0].compile().nominal)]
        return [
            (condition.rule(), ("alertPolicies", p, "spec", "conditions", c))
            for p, policy in enumerate(self.alert_policies)
            for c, condition in enumerate(policy.spec.conditions)
        ]

    def _check_rules(self) -> None:
        period = self.time_window[0].compile().nominal
        target = self.objectives[0].goal
        highest = 1 / (1 - target)  # the burn rate when every event is bad
        seen: set[str] = set()
        for rule, path in self.rules():
            if path is None:
                where: tuple[str | int, ...] = ("timeWindow", 0, "duration")
                if rule.long > period:
                    raise FieldError(
                        where,
                        f"the default alert rules read up to {format_duration(rule.long)} "
                        "of data: use a longer window or give alertPolicies",
                    )
                if rule.threshold >= highest:
                    raise FieldError(
                        ("objectives", 0, "target"),
                        (
                            f"with target {decimal_text(target)} the burn rate cannot exceed {decimal_text(highest)}, so "
                            f"the default rule {rule.name} (threshold {decimal_text(rule.threshold)}) could never fire: "
                            "give alertPolicies"
                        ),
                    )
                continue
            condition = (*path, "spec", "condition")
            if rule.long > period:
                raise FieldError(
                    (*condition, "lookbackWindow"),
                    (f"{format_duration(rule.long)} is longer than the SLO period {format_duration(period)}"),
                )
            if rule.threshold >= highest:
                raise FieldError(
                    (*condition, "threshold"),
                    (
                        f"{decimal_text(rule.threshold)} can never be exceeded: with target {decimal_text(target)} the "
                        f"burn rate is at most {decimal_text(highest)}"
                    ),
                )
            if rule.name in seen:
                raise FieldError(path, f"rule {rule.name} is defined twice (same severity and windows)")
            seen.add(rule.name)


class SloDocument(Document):
    api_version: str
    kind: str
    metadata: Metadata
    spec: SloSpec

    _api = field_validator("api_version")(check_api_version)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v != "SLO":
            raise ValueError(f"expected SLO, got {v!r}")
        return v

    @model_validator(mode="after")
    def _annotations(self) -> Self:
        self._min_events()
        return self

    def _min_events(self) -> int:
        annotations = self.metadata.annotations
        for key in annotations:
            if key.startswith("alertrouter/") and key != MIN_EVENTS:
                raise FieldError(("metadata", "annotations", key), f"unknown annotation: known: {MIN_EVENTS}")
        value = annotations.get(MIN_EVENTS, 0)
        text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
        if not text.isdigit():
            raise FieldError(
                ("metadata", "annotations", MIN_EVENTS),
                f'must be a whole number of events (0 = off), e.g. "100"; got {value!r}',
            )
        return int(text)

    def to_slo(self) -> Slo:
        spec, objective = self.spec, self.spec.objectives[0]
        ratio, threshold = spec.indicator.spec.ratio_metric, spec.indicator.spec.threshold_metric
        return Slo(
            name=self.metadata.name,
            display_name=self.metadata.display_name or self.metadata.name,
            service=spec.service,
            description=spec.description,
            ratio=None if ratio is None else ratio.compile(),
            threshold=None
            if threshold is None
            else ThresholdMetric(metric=threshold.metric_source.spec, op=objective.op, value=objective.value),
            time_window=spec.time_window[0].compile(),
            budgeting=Budgeting(spec.budgeting_method),
            target=objective.goal,
            slice_target=objective.time_slice_target,
            slice_minutes=objective.time_slice_window,
            rules=[rule for rule, _ in spec.rules()],
            min_events=self._min_events(),
        )
