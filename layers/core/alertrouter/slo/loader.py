"""Reading SLO files: YAML documents by kind (several `---` documents, lists of documents, or both), each SLO
document validated and compiled, errors as `SloError`: every problem of a file, each naming the file, the
document and the field. What a file may hold is described in docs/slos.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alertrouter.slo.compiled import METRIC_TAGS, Slo
from alertrouter.slo.openslo.base import API_VERSION, FieldError
from alertrouter.slo.openslo.document import SloDocument, raw_consistency_problems
from alertrouter.yamltext import YAMLError, load_yaml_all

SKIPPED_KINDS = frozenset(
    {"Service", "SLI", "DataSource", "AlertPolicy", "AlertCondition", "AlertNotificationTarget"}
)


# apiVersions of other SLO formats, by their prefix, named when a document has one
OTHER_VERSIONS = {"n9": "Nobl9's own format", "openslo": "another OpenSLO version"}


class SloError(ValueError):
    """The SLO file cannot be used; each problem is one line saying where (file, document, field) and why."""

    def __init__(self, *problems: str) -> None:
        super().__init__(*problems)
        self.problems = list(problems)

    def __str__(self) -> str:
        return "\n".join(self.problems)


# what a required field is, said when it is missing (by the field's name)
REQUIRED = {
    "total": "all events, the denominator",
    "indicator": "the SLI, inline: indicator.spec.ratioMetric or indicator.spec.thresholdMetric",
    "metricSource": "the metric: {type: CloudWatch, spec: {...}}",
    "namespace": "the metric's namespace (or give sql or json instead of namespace, metricName and stat)",
    "metricName": "the metric's name (or give sql or json instead of namespace, metricName and stat)",
    "stat": "the statistic, e.g. Sum (or give sql or json instead of namespace, metricName and stat)",
}
CLOUDWATCH_KEYS = (
    "a CloudWatch spec has region, accountId and either namespace, metricName, dimensions and stat; "
    "or sql; or json"
)


def describe_errors(exc: ValidationError) -> str:
    """A pydantic error as `path.to.field: message`, several joined by '; '."""
    return "; ".join(error_lines(exc))


def error_lines(exc: ValidationError) -> list[str]:
    """Each error of a pydantic ValidationError as `path.to.field: message`."""
    problems = []
    for error in exc.errors():
        loc = _path(error["loc"])
        message = error["msg"]
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, FieldError):
            loc += cause.path
            message = cause.message
        elif error["type"] == "value_error":
            message = message.removeprefix("Value error, ")
        elif error["type"] == "extra_forbidden":
            in_spec = len(loc) >= 2 and loc[-2:-1] == ["spec"] and "metricSource" in loc
            message = f"unknown field (check the spelling{'; ' + CLOUDWATCH_KEYS if in_spec else ''})"
        elif error["type"] == "missing":
            hint = REQUIRED.get(str(loc[-1])) if loc else None
            message = f"required: {hint}" if hint else "required"
        where = ".".join(str(part) for part in loc) or "(top level)"
        problems.append(f"{where}: {message}")
    return problems


def _path(loc: Sequence[Any]) -> list[Any]:
    """An error's location without the tags of the metric kinds (metricSource.spec.sql.sql -> .spec.sql)."""
    return [
        part
        for index, part in enumerate(loc)
        if not (
            part in METRIC_TAGS
            and index >= 2
            and loc[index - 1] == "spec"
            and loc[index - 2] == "metricSource"
        )
    ]


def _where(source: str, index: str, doc: Any) -> str:
    metadata = doc.get("metadata") if isinstance(doc, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return f"{source}: document {index}" + (f" ({name})" if isinstance(name, str) and name else "")


def documents_of(documents: Sequence[Any]) -> list[tuple[str, Any]]:
    """The documents of a file, each with its place: `N` for the Nth YAML document, `N, item M` for the Mth
    entry of a document that is a list of documents (as oslo and Nobl9's sloctl write them). Empty ones are
    left out."""
    out: list[tuple[str, Any]] = []
    for index, doc in enumerate(documents, start=1):
        if isinstance(doc, list):
            out += [(f"{index}, item {item}", d) for item, d in enumerate(doc, start=1) if d is not None]
        elif doc is not None:
            out.append((str(index), doc))
    return out


def slos_from_documents(documents: Sequence[Any], source: str = "slos") -> list[Slo]:
    """The SLOs of parsed YAML documents (None documents are skipped); SloError lists every problem."""
    slos, problems = usable_slos(documents, source)
    if problems:
        raise SloError(*(line for problem in problems for line in problem.problems))
    return slos


def usable_slos(documents: Sequence[Any], source: str = "slos") -> tuple[list[Slo], list[SloError]]:
    """Every SLO that is valid, and what is wrong with each document that is not: at run time one broken SLO
    must not stop the others from being evaluated (a deploy refuses any problem first)."""
    slos: list[Slo] = []
    problems: list[SloError] = []
    defined: dict[str, str] = {}
    for index, doc in documents_of(documents):
        try:
            slo = _document_slo(doc, _where(source, index, doc), defined)
        except SloError as exc:
            problems.append(exc)
            continue
        if slo is not None:
            defined[slo.name] = index
            slos.append(slo)
    return slos, problems


def _document_slo(doc: Any, where: str, defined: Mapping[str, str]) -> Slo | None:
    """One document's SLO (None for the kinds that are skipped), or SloError saying what is wrong."""
    if not isinstance(doc, dict):
        raise SloError(f"{where}: expected a mapping with apiVersion, kind, metadata and spec")
    version = doc.get("apiVersion")
    if version != API_VERSION:
        other = OTHER_VERSIONS.get(str(version).split("/")[0]) if isinstance(version, str) else None
        if other is not None:
            raise SloError(f"{where}: apiVersion: not supported: {version!r} ({other}): write {API_VERSION}")
        raise SloError(f"{where}: apiVersion: expected {API_VERSION}, got {version!r}")
    kind = doc.get("kind")
    if not isinstance(kind, str):
        raise SloError(f"{where}: kind: expected a name such as SLO, got {str(kind)[:40]!r}")
    if kind in SKIPPED_KINDS:
        return None
    if kind != "SLO":
        skipped = ", ".join(sorted(SKIPPED_KINDS))
        raise SloError(
            f"{where}: kind: unknown kind {kind!r}: expected SLO (or {skipped}, which are skipped)"
        )
    try:
        slo = SloDocument.model_validate(doc).to_slo()
    except ValidationError as exc:
        lines = error_lines(exc)
        paths = {line.partition(": ")[0] for line in lines}
        for problem in raw_consistency_problems(doc):
            path = ".".join(str(part) for part in problem.path)
            if path not in paths:
                lines.append(f"{path}: {problem.message}")
        raise SloError(*(f"{where}: {line}" for line in lines)) from exc
    if slo.name in defined:
        raise SloError(
            f"{where}: metadata.name: {slo.name!r} is already the name of document "
            f"{defined[slo.name]}: SLO names must be unique"
        )
    return slo


def load_slos(text: str, source: str = "slos") -> list[Slo]:
    """The SLOs of an OpenSLO v1 YAML text (several documents); `source` names it in errors."""
    try:
        documents = load_yaml_all(text)
    except YAMLError as exc:
        raise SloError(f"{source}: not valid YAML: {exc}") from exc
    except RecursionError as exc:
        raise SloError(f"{source}: nested too deeply") from exc
    return slos_from_documents(documents, source)


def load_slo_file(path: str | Path) -> list[Slo]:
    return load_slos(_read(path), source=str(path))


def load_usable_slos(path: str | Path) -> tuple[list[Slo], list[SloError]]:
    """The valid SLOs of a file and the problems of the others (a file that cannot be read or parsed at all
    is one problem and no SLO)."""
    try:
        documents = load_yaml_all(_read(path))
    except SloError as exc:
        return [], [exc]
    except YAMLError as exc:
        return [], [SloError(f"{path}: not valid YAML: {exc}")]
    except RecursionError:
        return [], [SloError(f"{path}: nested too deeply")]
    return usable_slos(documents, str(path))


def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SloError(f"cannot read SLO file {path}: {exc.strerror}") from exc
