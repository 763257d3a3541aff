"""template.yaml with some parameters fixed, resolved offline as CloudFormation would: `Fn::ForEach` loops
expanded (what the AWS::LanguageExtensions transform does), the conditions those parameters decide evaluated,
the resources, outputs and rules they leave out dropped, `Fn::If` branches chosen, and what nothing uses any
more (parameters, conditions, mappings) removed. Intrinsic functions are read and written in their long form
(`{"Ref": ...}`, `{"Fn::Sub": ...}`); a condition that still depends on an unfixed parameter is kept."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

FOR_EACH = "Fn::ForEach::"
NO_VALUE = {"Ref": "AWS::NoValue"}
Value = str | list[str]


class ResolveError(ValueError):
    """template.yaml cannot be resolved for the fixed parameters (a reference to a dropped resource, a loop over
    a parameter not fixed...): the message says where."""


class _Unknown:
    """A value that depends on a parameter not fixed."""


UNKNOWN = _Unknown()


# ---- reading ----


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags as the long form (`!Ref X` is {"Ref": "X"}, `!GetAtt A.B` is
    {"Fn::GetAtt": ["A", "B"]}, `!Sub s` is {"Fn::Sub": s})."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


def load(path: Path) -> dict[str, Any]:
    """A CloudFormation YAML template as data, its intrinsic functions in the long form."""
    with path.open(encoding="utf-8") as fh:
        return dict(yaml.load(fh, Loader=_CfnLoader))  # noqa: S506 - a SafeLoader subclass


# ---- resolving ----


def resolve(template: Mapping[str, Any], fixed: Mapping[str, Value]) -> dict[str, Any]:
    """`template` with the parameters of `fixed` set to their values (a CommaDelimitedList as a list) and no
    longer parameters of it. Raises ResolveError when the result would not deploy."""
    out = copy.deepcopy(dict(template))
    unknown = set(out.get("Parameters", {})) - set(fixed)
    for section in ("Resources", "Conditions", "Outputs"):
        if section in out:
            out[section] = _expand_loops(out[section], fixed, out.get("Mappings", {}), section)
    known = _evaluate_conditions(out.get("Conditions", {}), fixed)
    out["Rules"] = _resolve_rules(out.get("Rules", {}), fixed)
    for section in ("Resources", "Outputs"):
        kept = {}
        for name, entry in out.get(section, {}).items():
            condition = entry.get("Condition")
            if condition is not None and known.get(condition) is False:
                continue
            entry = _choose_branches(entry, known)
            if condition is not None and known.get(condition) is True:
                del entry["Condition"]
            elif isinstance(known.get(condition), str):  # the same as another condition
                entry["Condition"] = known[condition]
            kept[name] = entry
        out[section] = kept
    out["Conditions"] = {
        name: _simplify(definition, known)
        for name, definition in out.get("Conditions", {}).items()
        if known.get(name) is None
    }
    out = dict(_plain_subs(_substitute_fixed(out, fixed)))
    out["Parameters"] = {k: v for k, v in out.get("Parameters", {}).items() if k not in fixed}
    _drop_dependencies_on_dropped(out["Resources"])
    _check_references(out)
    _remove_unused(out, unknown)
    if not out["Rules"]:
        del out["Rules"]
    return out


def _collection(items: Any, fixed: Mapping[str, Value], where: str) -> list[str]:
    if isinstance(items, list):
        return [str(item) for item in items]
    name = str(items.get("Ref")) if isinstance(items, dict) else ""
    if name not in fixed:
        raise ResolveError(
            f"{where}: its collection {items!r} is not a fixed parameter: fix it (a list) to expand it"
        )
    value = fixed[name]
    return [] if value in ("", [""], []) else ([value] if isinstance(value, str) else list(value))


def _expand_loops(
    section: Mapping[str, Any], fixed: Mapping[str, Value], mappings: Mapping[str, Any], where: str
) -> dict[str, Any]:
    """The `Fn::ForEach::Name` entries of a section replaced by what they make for each item: `${Id}` the item,
    `&{Id}` the item without its non-alphanumeric characters, `Ref: Id` the item, then its mapping look-ups and
    substitutions resolved (as AWS::LanguageExtensions does)."""
    out: dict[str, Any] = {}
    for key, value in section.items():
        if not key.startswith(FOR_EACH):
            out[key] = value
            continue
        identifier, items, fragment = value
        for item in _collection(items, fixed, f"{where}.{key}"):
            made = _lookups(_substitute_item(fragment, identifier, item), mappings)
            for made_key, made_value in _expand_loops(made, fixed, mappings, where).items():
                if made_key in out:
                    raise ResolveError(f"{where}.{key} makes {made_key} twice")
                out[made_key] = made_value
    return out


def _substitute_item(value: Any, identifier: str, item: str) -> Any:
    if isinstance(value, str):
        alphanumeric = re.sub(r"[^A-Za-z0-9]", "", item)
        return value.replace("${" + identifier + "}", item).replace("&{" + identifier + "}", alphanumeric)
    if isinstance(value, list):
        return [_substitute_item(v, identifier, item) for v in value]
    if isinstance(value, dict):
        if value == {"Ref": identifier}:
            return item
        return {
            _substitute_item(k, identifier, item): _substitute_item(v, identifier, item)
            for k, v in value.items()
        }
    return value


def _lookups(value: Any, mappings: Mapping[str, Any]) -> Any:
    """Each `Fn::FindInMap` whose keys are strings becomes the mapping's value (innermost first), each `Ref` to
    a string (a looked-up name) stays a Ref, and each `Fn::Sub` whose variables are all strings becomes one
    string."""
    if isinstance(value, list):
        return [_lookups(v, mappings) for v in value]
    if not isinstance(value, dict):
        return value
    value = {k: _lookups(v, mappings) for k, v in value.items()}
    if len(value) != 1:
        return value
    [(function, args)] = value.items()
    if function == "Fn::FindInMap" and len(args) == 3 and all(isinstance(a, str) for a in args):
        name, key, second_key = args
        return mappings[name][key][second_key]
    if function == "Fn::Sub" and isinstance(args, list):
        text, variables = args
        if all(isinstance(v, str) for v in variables.values()):
            for variable, text_value in variables.items():
                text = text.replace("${" + variable + "}", text_value)
            return {"Fn::Sub": text}
    return value


def _value(node: Any, fixed: Mapping[str, Value]) -> Any:
    """What a condition's operand is when the fixed parameters decide it, else UNKNOWN."""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        values = [_value(n, fixed) for n in node]
        return UNKNOWN if any(v is UNKNOWN for v in values) else values
    if isinstance(node, dict) and len(node) == 1:
        [(function, args)] = node.items()
        if function == "Ref":
            return fixed.get(args, UNKNOWN)
        if function == "Fn::Join":
            separator, parts = args
            parts = _value(parts, fixed)
            if parts is UNKNOWN or any(p is UNKNOWN for p in parts):
                return UNKNOWN
            return separator.join(p if isinstance(p, str) else ",".join(p) for p in parts)
    return UNKNOWN


def _condition(node: Any, fixed: Mapping[str, Value], known: Mapping[str, Any]) -> Any:
    """True or False when the fixed parameters decide a condition's expression, else UNKNOWN."""
    [(function, args)] = node.items()
    if function == "Condition":
        value = known[args]
        return value if isinstance(value, bool) else UNKNOWN
    if function == "Fn::Equals":
        left, right = (_value(a, fixed) for a in args)
        return UNKNOWN if UNKNOWN in (left, right) else left == right
    if function == "Fn::Not":
        value = _condition(args[0], fixed, known)
        return value if value is UNKNOWN else not value
    if function in ("Fn::And", "Fn::Or"):
        values = [_condition(a, fixed, known) for a in args]
        decisive = function == "Fn::Or"  # the value that decides an Or (True) or an And (False)
        if decisive in values:
            return decisive
        return UNKNOWN if UNKNOWN in values else not decisive
    raise ResolveError(f"a condition function this resolver does not know: {function}")


def _evaluate_conditions(conditions: Mapping[str, Any], fixed: Mapping[str, Value]) -> dict[str, Any]:
    """Each condition: True, False, None (still depends on an unfixed parameter), or the name of the one
    condition it now equals (an `And` of a true condition and another, an `Or` of a false one and another)."""
    known: dict[str, Any] = {}

    def evaluate(name: str) -> Any:
        if name not in known:
            definition = conditions[name]
            for dependency in _named(definition, "Condition"):
                evaluate(dependency)
            value = _condition(definition, fixed, known)
            known[name] = None if value is UNKNOWN else value
            if value is UNKNOWN:
                [(function, args)] = definition.items()
                if function in (
                    "Fn::And",
                    "Fn::Or",
                ):  # its decided parts change nothing: And's true, Or's false
                    rest = [a for a in args if _condition(a, fixed, known) is UNKNOWN]
                    if len(rest) == 1 and set(rest[0]) == {"Condition"}:
                        known[name] = known[rest[0]["Condition"]] or rest[0]["Condition"]
        return known[name]

    for name in conditions:
        evaluate(name)
    return known


def _simplify(definition: Any, known: Mapping[str, Any]) -> Any:
    """A condition still undecided, without the decided conditions it names (they are dropped): an And's true
    parts and an Or's false ones left out, one part left standing for the whole."""
    [(function, args)] = definition.items()
    if function not in ("Fn::And", "Fn::Or", "Fn::Not"):
        return definition
    parts: list[Any] = []
    for part in args:
        named = part.get("Condition") if set(part) == {"Condition"} else None
        decided = known.get(named) if named else None
        if isinstance(decided, bool):
            parts.append(decided)
        elif isinstance(decided, str):
            parts.append({"Condition": decided})
        else:
            parts.append(_simplify(part, known))
    if function == "Fn::Not":
        return {function: parts}
    neutral = function == "Fn::And"  # an And's true parts, an Or's false ones, change nothing
    rest = [p for p in parts if p is not neutral]
    return rest[0] if len(rest) == 1 else {function: rest}


def _resolve_rules(rules: Mapping[str, Any], fixed: Mapping[str, Value]) -> dict[str, Any]:
    """The Rules whose RuleCondition may hold, without the assertions the fixed parameters satisfy; an assertion
    they break is an error."""
    out = {}
    for name, rule in rules.items():
        rule = dict(rule)
        if "RuleCondition" in rule:
            holds = _condition(rule["RuleCondition"], fixed, {})
            if holds is False:
                continue
            if holds is True:
                del rule["RuleCondition"]
        assertions = []
        for assertion in rule["Assertions"]:
            holds = _condition(assertion["Assert"], fixed, {})
            if holds is False:
                raise ResolveError(
                    f"Rules.{name}: {assertion.get('AssertDescription', 'an assertion fails')}"
                )
            if holds is UNKNOWN:
                assertions.append(assertion)
        if assertions:
            out[name] = {**rule, "Assertions": assertions}
    return out


def _choose_branches(value: Any, known: Mapping[str, Any]) -> Any:
    """`Fn::If` on a decided condition replaced by its branch (AWS::NoValue removed from lists and maps); on a
    condition that equals another, renamed."""
    if isinstance(value, list):
        chosen = [_choose_branches(v, known) for v in value]
        return [v for v in chosen if v != NO_VALUE]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::If"}:
        condition, when_true, when_false = value["Fn::If"]
        decided = known.get(condition)
        if isinstance(decided, bool):
            return _choose_branches(when_true if decided else when_false, known)
        if isinstance(decided, str):
            condition = decided
        return {
            "Fn::If": [condition, _choose_branches(when_true, known), _choose_branches(when_false, known)]
        }
    branches = {k: _choose_branches(v, known) for k, v in value.items()}
    return {k: v for k, v in branches.items() if v != NO_VALUE}


def _substitute_fixed(value: Any, fixed: Mapping[str, Value]) -> Any:
    """`Ref` to a fixed parameter replaced by its value, `${Name}` in an `Fn::Sub` too."""
    if isinstance(value, list):
        return [_substitute_fixed(v, fixed) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and value["Ref"] in fixed:
        return fixed[value["Ref"]]
    if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        text = value["Fn::Sub"]
        for name, fixed_value in fixed.items():
            if isinstance(fixed_value, str):
                text = text.replace("${" + name + "}", fixed_value)
        return {"Fn::Sub": text}
    return {k: _substitute_fixed(v, fixed) for k, v in value.items()}


def _plain_subs(value: Any) -> Any:
    """An `Fn::Sub` left with no variable (a loop's item filled in) as the plain string it is."""
    if isinstance(value, list):
        return [_plain_subs(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str) and "${" not in value["Fn::Sub"]:
        return value["Fn::Sub"]
    return {k: _plain_subs(v) for k, v in value.items()}


def _named(value: Any, function: str) -> set[str]:
    """The names a template fragment gives to `function` (Ref, Condition, Fn::GetAtt's resource)."""
    found: set[str] = set()
    if isinstance(value, list):
        for v in value:
            found |= _named(v, function)
    elif isinstance(value, dict):
        for key, v in value.items():
            if key == function == "Fn::GetAtt" and isinstance(v, list):
                found.add(str(v[0]))
            elif key == function and isinstance(v, str):
                found.add(v)
            elif key == "Fn::Sub" and function in ("Ref", "Fn::GetAtt"):
                text = v if isinstance(v, str) else v[0]
                for variable in re.findall(r"\$\{([^!][^}]*)\}", text):
                    if ("." in variable) == (function == "Fn::GetAtt"):
                        found.add(variable.split(".", 1)[0])
                found |= _named(v if isinstance(v, str) else v[1], function)
            else:
                found |= _named(v, function)
    return found


def _drop_dependencies_on_dropped(resources: dict[str, Any]) -> None:
    for resource in resources.values():
        if "DependsOn" in resource:
            kept = [d for d in _as_list(resource["DependsOn"]) if d in resources]
            if kept:
                resource["DependsOn"] = kept
            else:
                del resource["DependsOn"]


def _check_references(template: Mapping[str, Any]) -> None:
    """Every Ref and GetAtt names a parameter, a pseudo parameter or a resource that is still there."""
    resources = template["Resources"]
    names = set(resources) | set(template.get("Parameters", {}))
    for section in ("Resources", "Outputs"):
        for entry_name, entry in template.get(section, {}).items():
            for name in _named(entry, "Ref") | _named(entry, "Fn::GetAtt"):
                if (
                    name not in names
                    and not name.startswith("AWS::")
                    and not _is_sam_generated(name, resources)
                ):
                    raise ResolveError(
                        f"{section}.{entry_name} refers to {name}, which this mode does not make"
                    )


def _is_sam_generated(name: str, resources: Mapping[str, Any]) -> bool:
    """Names the SAM transform makes from a function's (`<Function>Url`, `<Function>Role`)."""
    return any(name.startswith(r) and resources[r]["Type"].startswith("AWS::Serverless::") for r in resources)


def _remove_unused(template: dict[str, Any], parameters: set[str]) -> None:
    """Drops the parameters, conditions and mappings nothing refers to any more (a condition's own definition
    refers to others: repeated until nothing more goes)."""
    while True:
        body = {k: v for k, v in template.items() if k not in ("Parameters", "Metadata")}
        used_refs = _named(body, "Ref")
        used_conditions = _named(body, "Condition") | {
            e["Condition"]
            for s in ("Resources", "Outputs")
            for e in template.get(s, {}).values()
            if "Condition" in e
        }
        conditions = template.get("Conditions", {})
        unused = [c for c in conditions if c not in used_conditions]
        for name in unused:
            del conditions[name]
        if not unused:
            break
    used_refs = _named({k: v for k, v in template.items() if k != "Parameters"}, "Ref")
    template["Parameters"] = {
        name: spec
        for name, spec in template.get("Parameters", {}).items()
        if name in used_refs and name in parameters
    }
    used_maps = _map_names(template)
    template["Mappings"] = {k: v for k, v in template.get("Mappings", {}).items() if k in used_maps}
    for section in ("Mappings", "Conditions"):
        if not template[section]:
            del template[section]


def _map_names(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, list):
        for v in value:
            found |= _map_names(v)
    elif isinstance(value, dict):
        for key, v in value.items():
            if key == "Fn::FindInMap" and isinstance(v, list) and isinstance(v[0], str):
                found.add(v[0])
            found |= _map_names(v)
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
