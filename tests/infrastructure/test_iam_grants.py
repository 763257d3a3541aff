"""Every AWS API call a function's code can make is granted to that function's role in template.yaml, and
nothing more.

moto does not enforce IAM, so a missing grant only shows in AWS, as an AccessDenied the code may swallow
(the router's DeleteItem in release_sms_slot did exactly that). The calls are derived from the code: `ast`
follows each handler (functions/*/app.py) through the alertrouter modules it imports, tracks where botocore
clients flow (Clients properties, `.client("svc")`, constructor and function arguments, instance attributes,
lambdas, mypy_boto3 annotations) and maps each operation used on a client to its IAM action through
botocore's service model. A call on something that looks like a client but cannot be attributed fails the
test instead of being skipped.
"""

from __future__ import annotations

import ast
import fnmatch
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import xform_name

from support.local_aws import expand_for_each, load_template
from support.paths import ROOT

LAYER = ROOT / "layers" / "core"
PACKAGE = "alertrouter"
NO_VALUE = {"Ref": "AWS::NoValue"}

# Client attributes that are not API operations (no IAM action).
CLIENT_HELPERS = {"meta", "exceptions", "can_paginate", "close", "get_waiter", "waiter_names"}
# Operations authorized by another action (or by several): the Service Authorization Reference.
AUTHORIZED_BY = {
    ("sqs", "SendMessageBatch"): ("sqs:SendMessage",),
    ("sqs", "DeleteMessageBatch"): ("sqs:DeleteMessage",),
    ("sqs", "ChangeMessageVisibilityBatch"): ("sqs:ChangeMessageVisibility",),
    # the transaction needs the action of every kind of item write it carries
    ("dynamodb", "TransactWriteItems"): (
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
    ),
    ("dynamodb", "TransactGetItems"): ("dynamodb:GetItem",),
    ("dynamodb", "BatchWriteItem"): ("dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:DeleteItem"),
}
# botocore service names whose IAM service prefix differs (the Service Authorization Reference)
IAM_PREFIX = {"pinpoint-sms-voice-v2": "sms-voice"}
# Functions whose client use is dynamic by design, with the reason it is still checked.
DYNAMIC = {
    # creates the client its caller names: every `.client(...)` call must pass a literal service name,
    # which test_every_client_is_made_for_a_named_service checks
    "alertrouter.aws:Clients.client",
}
# Package methods named like a str/dict/list/set method that lead to AWS calls: an untyped receiver does not
# reach them (reach skips those names), so each is listed with why every call of it is typed.
SHADOWING = {
    "alertrouter.aws:SecretCache.get": "called as secrets.get / self._secrets.get, both SecretCache-typed",
    # it reads the Slack token from Secrets Manager
    "alertrouter.notify.slack:SlackClient.update": "called as self.slack.update / slack.update, SlackApi-typed",
}
BUILTIN_METHODS = {m for t in (str, dict, list, set) for m in dir(t) if not m.startswith("_")}


# ---- reading the code ----


@dataclass
class Function:
    qual: str
    module: str
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    cls: str | None  # the class a method belongs to
    parent: str | None  # the enclosing function of a nested one


@dataclass
class Code:
    """The alertrouter package and the handlers, with what flows where (flow-insensitive, to a fixpoint)."""

    trees: dict[str, ast.Module] = field(default_factory=dict)
    imports: dict[str, dict[str, tuple[str, str | None]]] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    bases: dict[str, list[str]] = field(default_factory=dict)
    module_names: dict[str, set[str]] = field(default_factory=dict)
    deps: dict[str, set[str]] = field(default_factory=dict)
    values: dict[tuple[str, str], set[Any]] = field(default_factory=lambda: defaultdict(set))
    ops: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    refs: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    attr_names: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    unattributed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    client_names: dict[str, list[ast.expr]] = field(default_factory=lambda: defaultdict(list))
    pk_values: dict[str, list[ast.expr]] = field(default_factory=lambda: defaultdict(list))
    # per caller: (callee's parameter, argument)
    pk_args: dict[str, list[tuple[str, ast.expr]]] = field(default_factory=lambda: defaultdict(list))
    family: dict[str, list[str]] = field(default_factory=dict)
    class_refs: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    unknown_attrs: dict[str, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))
    changed: bool = False

    def clear_records(self) -> None:
        for records in (
            self.ops,
            self.refs,
            self.attr_names,
            self.unattributed,
            self.client_names,
            self.pk_values,
            self.pk_args,
            self.class_refs,
            self.unknown_attrs,
        ):
            records.clear()


def module_files() -> dict[str, Path]:
    files = {
        ".".join(p.relative_to(LAYER).with_suffix("").parts).removesuffix(".__init__"): p
        for p in (LAYER / PACKAGE).rglob("*.py")
    }
    files |= {f"functions.{p.parent.name}.app": p for p in (ROOT / "functions").glob("*/app.py")}
    return files


def load_code() -> Code:
    code = Code()
    for name, path in module_files().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        code.trees[name] = tree
        code.imports[name] = {}
        code.deps[name] = set()
        code.module_names[name] = set()
        for node in ast.walk(tree):  # imports anywhere in the module, TYPE_CHECKING ones included
            if isinstance(node, ast.ImportFrom) and node.module:
                source = node.module if node.level == 0 else _relative(name, node)
                for alias in node.names:
                    code.imports[name][alias.asname or alias.name] = (source, alias.name)
                code.deps[name].add(source)
                code.deps[name] |= {f"{source}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    code.imports[name][alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0],
                        None,
                    )
                    code.deps[name].add(alias.name)
        _register(code, name, tree.body, cls=None, parent=None, prefix="")
    code.family = family(code)
    return code


def _relative(module: str, node: ast.ImportFrom) -> str:
    base = module.split(".")[: -node.level]
    return ".".join(base + ([node.module] if node.module else []))


def _register(
    code: Code, module: str, body: list[ast.stmt], cls: str | None, parent: str | None, prefix: str
) -> None:
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            qual = f"{module}:{prefix}{node.name}"
            code.functions[qual] = Function(qual, module, node, cls, parent)
            if not prefix:
                code.module_names[module].add(node.name)
            _register(code, module, node.body, None, qual, f"{prefix}{node.name}.<locals>.")
        elif isinstance(node, ast.ClassDef):
            qual = f"{module}:{prefix}{node.name}"
            code.classes[qual] = node
            if not prefix:
                code.module_names[module].add(node.name)
            _register(code, module, node.body, qual, parent, f"{prefix}{node.name}.")
        elif isinstance(node, ast.If | ast.Try | ast.With):
            for part in ("body", "orelse", "finalbody"):
                _register(code, module, getattr(node, part, []), cls, parent, prefix)


BUILTIN = ("builtin",)  # a str, dict, list, number...: none of its methods is the package's
RESPONSE = ("response",)  # an API response, or anything read from one
PYDANTIC_CONSTRUCTORS = {"model_validate", "model_validate_json", "model_construct", "model_copy"}
EXTERNAL = ("external",)  # a module, class or object of another package (botocore clients excepted)
BUILTIN_TYPES = {
    "str",
    "int",
    "float",
    "bool",
    "bytes",
    "dict",
    "list",
    "set",
    "frozenset",
    "tuple",
    "Mapping",
    "MutableMapping",
    "Sequence",
    "Iterable",
    "Iterator",
    "Counter",
    "defaultdict",
    "datetime",
}

# ---- abstract values: ("inst", class), ("class", class), ("func", qual), ("bound", qual),
# ("client", service), ("op", service, operation), ("factory", value), ("module", name) ----


def resolve_symbol(code: Code, module: str, name: str, depth: int = 0) -> set[Any]:
    if depth > 10:
        return set()
    if module in code.trees and name in code.module_names[module]:
        qual = f"{module}:{name}"
        return {("class", qual)} if qual in code.classes else {("func", qual)}
    if module in code.trees and name in code.imports[module]:
        source, attr = code.imports[module][name]
        if attr is None:
            return {("module", source)} if source.split(".")[0] == PACKAGE else {EXTERNAL}
        if source.startswith("mypy_boto3_") and attr.endswith("Client"):  # (type_defs are no clients)
            service = source.split(".")[0].removeprefix("mypy_boto3_")
            return {("client_type", service.replace("_", "-"))}
        if f"{source}.{attr}" in code.trees:
            return {("module", f"{source}.{attr}")}
        if source.split(".")[0] != PACKAGE:
            return {EXTERNAL}
        return resolve_symbol(code, source, attr, depth + 1)
    if module in code.trees:
        return set(code.values.get((module, name), set()))
    return set()


def mro(code: Code, cls: str) -> list[str]:
    """The class, its bases (within the package) and its subclasses: a call may reach any override."""
    return code.family.get(cls, [])


def family(code: Code) -> dict[str, list[str]]:
    parents = {
        c: [v[1] for b in node.bases for v in resolve_base(code, b, c.split(":")[0]) if v[0] == "class"]
        for c, node in code.classes.items()
    }
    out = {}
    for cls in code.classes:
        seen: list[str] = []
        todo = [cls]
        while todo:
            c = todo.pop()
            if c not in seen:
                seen.append(c)
                todo += parents.get(c, []) + [k for k, ps in parents.items() if c in ps]
        out[cls] = seen
    return out


def resolve_base(code: Code, node: ast.expr, module: str) -> set[Any]:
    if isinstance(node, ast.Name):
        return resolve_symbol(code, module, node.id)
    if isinstance(node, ast.Attribute):
        return {
            w
            for v in resolve_base(code, node.value, module)
            if v[0] == "module"
            for w in resolve_symbol(code, v[1], node.attr)
        }
    return set()


def method(code: Code, cls: str, name: str) -> str | None:
    qual = f"{cls}.{name}"
    return qual if qual in code.functions else None


def is_property(fn: Function) -> bool:
    node = fn.node
    return isinstance(node, ast.FunctionDef) and any(
        isinstance(d, ast.Name) and d.id in ("property", "cached_property") for d in node.decorator_list
    )


def annotation_values(code: Code, node: ast.expr | None, module: str) -> set[Any]:
    if node is None:
        return set()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return annotation_values(code, ast.parse(node.value, mode="eval").body, module)
    if isinstance(node, ast.BinOp):
        return annotation_values(code, node.left, module) | annotation_values(code, node.right, module)
    if isinstance(node, ast.Subscript) and ast.unparse(node.value).split(".")[-1] == "Literal":
        return set()  # Literal["alertrouter.flush"]: values, not forward references to parse
    if isinstance(node, ast.Subscript):
        container = (
            {BUILTIN} if isinstance(node.value, ast.Name) and node.value.id in BUILTIN_TYPES else set()
        )
        return container | annotation_values(code, node.slice, module)
    if isinstance(node, ast.Tuple):
        return set().union(*(annotation_values(code, e, module) for e in node.elts))
    if isinstance(node, ast.Name) and node.id in BUILTIN_TYPES:
        return {BUILTIN}
    out = set()
    for v in evaluate(code, node, module, None):
        if v[0] == "class":
            out.add(("inst", v[1]))
        elif v[0] == "client_type":
            out.add(("client", v[1]))
    return out


def lookup(code: Code, name: str, module: str, ctx: str | None) -> set[Any]:
    scope = ctx
    while scope is not None:
        key = (scope, name)
        if key in code.values:
            return set(code.values[key])
        scope = code.functions[scope].parent
    if name in ("getattr",):
        return set()
    return resolve_symbol(code, module, name)


def add(code: Code, key: tuple[str, str], values: set[Any]) -> None:
    if not values <= code.values[key]:
        code.values[key] |= values
        code.changed = True


def bind(code: Code, qual: str, call: ast.Call, values_of: Any, skip_self: bool, where: str) -> None:
    fn = code.functions[qual]
    assert not isinstance(fn.node, ast.Lambda)
    args = fn.node.args
    params = [a.arg for a in args.posonlyargs + args.args][1 if skip_self else 0 :]
    for param, arg in zip(params, call.args, strict=False):
        if not isinstance(arg, ast.Starred):
            add(code, (qual, param), values_of(arg))
            code.pk_args[where].append((param, arg))
    names = set(params) | {a.arg for a in args.kwonlyargs}
    for kw in call.keywords:
        if kw.arg in names:
            add(code, (qual, kw.arg), values_of(kw.value))
            code.pk_args[where].append((kw.arg, kw.value))


def evaluate(code: Code, node: ast.expr, module: str, ctx: str | None) -> set[Any]:  # noqa: C901 - one branch per Python expression kind the call finder evaluates
    """The abstract values an expression can have; records client operations used on the way."""
    where = ctx or module

    def ev(n: ast.expr) -> set[Any]:
        return evaluate(code, n, module, ctx)

    if isinstance(node, ast.Name):
        found = lookup(code, node.id, module, ctx)
        code.class_refs[where] |= {v[1] for v in found if v[0] in ("class", "inst")}
        code.refs[where] |= {v[1] for v in found if v[0] == "func"}
        return found
    if isinstance(node, ast.Attribute):
        code.attr_names[where].add(node.attr)
        base = ev(node.value)
        if not base:
            code.unknown_attrs[where].append((node.attr, node.lineno))
        return attribute(code, base, node.attr, where, node)
    if isinstance(node, ast.Call):
        return call(code, node, module, ctx, ev)
    if isinstance(node, ast.Lambda):
        body = ev(node.body)
        return {("factory", v) for v in body}
    if isinstance(node, ast.BoolOp):
        return set().union(*(ev(v) for v in node.values))
    if isinstance(node, ast.IfExp):
        ev(node.test)
        return ev(node.body) | ev(node.orelse)
    if isinstance(node, ast.NamedExpr):
        values = ev(node.value)
        if ctx:
            add(code, (ctx, node.target.id), values)
        return values
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values, strict=True):
            if isinstance(k, ast.Constant) and k.value in ("pk", ":pk"):
                code.pk_values[where].append(v)
    if isinstance(node, ast.Subscript):
        base = ev(node.value)
        ev(node.slice)
        return {RESPONSE} if base == {RESPONSE} else set()
    if isinstance(
        node,
        ast.Constant
        | ast.JoinedStr
        | ast.Dict
        | ast.List
        | ast.Set
        | ast.Tuple
        | ast.ListComp
        | ast.DictComp
        | ast.SetComp
        | ast.BinOp,
    ):
        visit(node, ev, code, where)
        return {BUILTIN}
    visit(node, ev, code, where)
    return set()


def visit(node: ast.AST, ev: Any, code: Code | None = None, where: str = "") -> None:
    """Evaluates every expression under node (comprehensions, keywords, slices included)."""
    if (
        isinstance(node, ast.comprehension)
        and isinstance(node.target, ast.Name)
        and code is not None
        and ev(node.iter) == {RESPONSE}
    ):
        add(code, (where, node.target.id), {RESPONSE})
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            ev(child)
        else:
            visit(child, ev, code, where)


def attribute(code: Code, base: set[Any], attr: str, where: str, node: ast.AST) -> set[Any]:
    out: set[Any] = set()
    for v in base:
        if v[0] == "inst":
            for cls in mro(code, v[1]):
                out |= code.values.get((cls, attr), set())
                qual = method(code, cls, attr)
                if qual:
                    code.refs[where].add(qual)
                    out |= (
                        code.values.get((qual, "<return>"), set())
                        if is_property(code.functions[qual])
                        else {("bound", qual)}
                    )
        elif v[0] == "class":
            qual = method(code, v[1], attr)
            if qual:
                code.refs[where].add(qual)
                out.add(("func", qual))
            elif attr in PYDANTIC_CONSTRUCTORS:
                out.add(("class", v[1]))  # called, it makes an instance
        elif v[0] == "module":
            out |= resolve_symbol(code, v[1], attr)
        elif v[0] == "client" and attr not in CLIENT_HELPERS:
            out.add(("op", v[1], attr))
            if attr != "get_paginator":  # the operation is its argument (see call)
                code.ops[where].add((v[1], attr))
        elif v[0] in ("builtin", "external", "op", "client", "response"):
            out.add({"external": EXTERNAL, "response": RESPONSE}.get(v[0], BUILTIN))
    return out


def call(code: Code, node: ast.Call, module: str, ctx: str | None, ev: Any) -> set[Any]:  # noqa: C901 - one branch per boto3 call shape the call finder recognises
    where = ctx or module
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in ("client", "create_client"):
        code.client_names[where].append(node.args[0] if node.args else node)
        ev(func.value)
        for a in node.args[1:]:
            ev(a)
        first = node.args[0] if node.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return {("client", first.value)}
        return set()
    if isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) >= 2:
        target = ev(node.args[0])
        name = node.args[1]
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            code.attr_names[where].add(name.value)
            return attribute(code, target, name.value, where, node)
        if any(v[0] == "client" for v in target):
            code.unattributed[where].append(f"getattr on a client with a computed name, line {node.lineno}")
        return set()
    out: set[Any] = set()
    for a in node.args:
        ev(a.value if isinstance(a, ast.Starred) else a)
    for kw in node.keywords:
        ev(kw.value)
    for v in ev(func):
        if v[0] == "class":
            out.add(("inst", v[1]))
            for cls in mro(code, v[1]):
                init = method(code, cls, "__init__")
                if init:
                    code.refs[where].add(init)
                    bind(code, init, node, ev, skip_self=True, where=where)
        elif v[0] in ("func", "bound"):
            code.refs[where].add(v[1])
            fn = code.functions[v[1]]
            kind = decorators(fn)
            bind(
                code,
                v[1],
                node,
                ev,
                where=where,
                skip_self=(v[0] == "bound" and "staticmethod" not in kind) or "classmethod" in kind,
            )
            out |= code.values.get((v[1], "<return>"), set())
        elif v[0] == "factory":
            out.add(v[1])
        elif v[0] == "op" and v[2] == "get_paginator":
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                code.ops[where].add((v[1], first.value))
            else:
                code.unattributed[where].append(
                    f"{v[1]} paginator of a computed operation, line {node.lineno}"
                )
            out.add(BUILTIN)
        elif v[0] in ("op", "response"):
            out.add(RESPONSE)
        elif v[0] == "builtin":
            out.add(BUILTIN)
        elif v[0] == "external":
            out.add(EXTERNAL)
    return out


def walk_body(code: Code, body: list[ast.stmt], module: str, ctx: str | None, cls: str | None = None) -> None:  # noqa: C901 - one branch per Python statement kind the call finder walks
    where = cls or ctx or module  # a class body's names are the fields of its instances
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for d in stmt.decorator_list:
                evaluate(code, d, module, ctx)
            if isinstance(stmt, ast.ClassDef):
                for b in stmt.bases:
                    evaluate(code, b, module, ctx)
                qual = next(q for q, node in code.classes.items() if node is stmt)
                walk_body(
                    code,
                    [s for s in stmt.body if not isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)],
                    module,
                    ctx,
                    qual,
                )
            elif ctx is not None:  # a nested function: a name in its parent's scope
                add(code, (ctx, stmt.name), {("func", f"{ctx}.<locals>.{stmt.name}")})
            continue
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        values: set[Any] = set()
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            targets, value = [stmt.target], stmt.value
            values |= annotation_values(code, stmt.annotation, module)
        elif isinstance(stmt, ast.Return) and stmt.value is not None and ctx is not None:
            add(code, (ctx, "<return>"), evaluate(code, stmt.value, module, ctx))
            continue
        if targets:
            if value is not None:
                values |= evaluate(code, value, module, ctx)
            for target in targets:
                if isinstance(target, ast.Name):
                    add(code, (where, target.id), values)
                elif isinstance(target, ast.Attribute):
                    for v in evaluate(code, target.value, module, ctx):
                        if v[0] == "inst":
                            add(code, (v[1], target.attr), values)
                else:
                    evaluate(code, target, module, ctx)
            continue
        if (
            isinstance(stmt, ast.For)
            and isinstance(stmt.target, ast.Name)
            and evaluate(code, stmt.iter, module, ctx) == {RESPONSE}
        ):
            add(code, (where, stmt.target.id), {RESPONSE})
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.expr):
                evaluate(code, child, module, ctx)
            elif isinstance(child, ast.stmt):
                walk_body(code, [child], module, ctx)
            elif isinstance(child, ast.withitem):
                values = evaluate(code, child.context_expr, module, ctx)
                if isinstance(child.optional_vars, ast.Name):
                    add(code, (where, child.optional_vars.id), values)
            elif isinstance(child, ast.ExceptHandler):
                if child.name and child.type is not None:
                    add(
                        code,
                        (where, child.name),
                        {
                            ("inst", v[1]) if v[0] == "class" else v
                            for v in evaluate(code, child.type, module, ctx)
                        },
                    )
                walk_body(code, child.body, module, ctx)
            elif isinstance(child, ast.match_case):
                walk_body(code, child.body, module, ctx)


def seed_parameters(code: Code) -> None:
    for qual, fn in code.functions.items():
        if isinstance(fn.node, ast.Lambda):
            continue
        args = fn.node.args
        params = args.posonlyargs + args.args + args.kwonlyargs
        decorators = {d.id for d in fn.node.decorator_list if isinstance(d, ast.Name)}
        for i, a in enumerate(params):
            if i == 0 and fn.cls and "staticmethod" not in decorators:
                add(code, (qual, a.arg), {("class" if "classmethod" in decorators else "inst", fn.cls)})
            else:
                add(code, (qual, a.arg), annotation_values(code, a.annotation, fn.module))
        add(code, (qual, "<return>"), annotation_values(code, fn.node.returns, fn.module))
        for default, a in zip(reversed(args.defaults), reversed(args.posonlyargs + args.args), strict=False):
            add(code, (qual, a.arg), evaluate(code, default, fn.module, fn.parent))


@cache
def analysed() -> Code:
    code = load_code()
    for _ in range(30):
        code.changed = False
        code.clear_records()
        seed_parameters(code)
        for module, tree in code.trees.items():
            walk_body(code, tree.body, module, None)
        for qual, fn in code.functions.items():
            assert not isinstance(fn.node, ast.Lambda)
            walk_body(code, fn.node.body, fn.module, qual)
        if not code.changed:
            return code
    raise AssertionError("the client flow analysis did not settle")


def decorators(fn: Function) -> set[str]:
    node = fn.node
    if isinstance(node, ast.Lambda):
        return set()
    return {ast.unparse(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list}


def framework_called(fn: Function) -> bool:
    """A decorated method that is no plain method (a pydantic validator, say): called for its class."""
    return bool(decorators(fn) - {"property", "cached_property", "staticmethod", "classmethod"})


def modules_of(code: Code, root: str) -> set[str]:
    """The modules a handler can import: the package's, transitively (parent packages run first)."""
    seen: set[str] = set()
    todo = [root]
    while todo:
        module = todo.pop()
        if module in seen or module not in code.trees:
            continue
        seen.add(module)
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        todo += [d for d in code.deps[module] if d in code.trees]
    return seen


def reachable(code: Code, root: str) -> set[str]:
    """The contexts (module bodies, functions) a handler module can run."""
    modules = modules_of(code, root)
    return reach(code, modules, list(modules) + [q for q, fn in code.functions.items() if fn.module == root])


def reach(code: Code, modules: set[str], todo: list[str]) -> set[str]:
    """The contexts reachable from todo, within modules."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for qual, fn in code.functions.items():
        if fn.module in modules and fn.cls:
            by_name[qual.rsplit(".", 1)[1]].append(qual)
    todo = list(todo)
    seen: set[str] = set()
    seen_classes: set[str] = set()
    while todo:
        where = todo.pop()
        if where in seen:
            continue
        seen.add(where)
        todo += code.refs[where]
        todo += [q for q, fn in code.functions.items() if fn.parent == where]
        # an attribute of something the analysis could not type may be any method of that name (but a
        # str/dict/list/set method: untyped receivers are loop variables over parsed documents; see SHADOWING)
        todo += [
            q
            for attr, _ in code.unknown_attrs[where]
            if attr not in BUILTIN_METHODS
            for q in by_name.get(attr, [])
        ]
        for cls in code.class_refs[where] - seen_classes:
            seen_classes.add(cls)
            # what frameworks call for it: dunders, validators and other decorated methods
            todo += [
                q
                for q, fn in code.functions.items()
                if fn.cls == cls and (q.rsplit(".", 1)[1].startswith("__") or framework_called(fn))
            ]
    return seen


# ---- from code to IAM actions ----

HANDLERS = {
    name: f"functions.{name}.app"
    for name in (
        "router",
        "escalator",
        "slack_interactions",
        "slo_evaluator",
        "batch_queue_metrics",
        "preflight",
        "heartbeat_ping",
    )
}


@cache
def operations(service: str) -> dict[str, str]:
    """botocore's snake_case method name -> API operation name, from the service model."""
    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(op): op for op in model.operation_names}


def actions_of(service: str, method: str) -> tuple[str, ...]:
    """The IAM actions a client method needs (the IAM prefix is the botocore service name, but for those of
    IAM_PREFIX)."""
    operation = operations(service)[method]
    return AUTHORIZED_BY.get((service, operation), (f"{IAM_PREFIX.get(service, service)}:{operation}",))


# TransactWriteItems' item kinds (the keys of its TransactItems) and the action each needs
TRANSACTION_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


def transaction_actions(code: Code, where: str) -> tuple[str, ...]:
    """The item actions a transaction built in this function needs: those of the item kinds its dict
    literals name (all of them when it names none: the items come from elsewhere)."""
    fn = code.functions.get(where)
    named = {
        TRANSACTION_ITEM_ACTIONS[k.value]
        for node in (ast.walk(fn.node) if fn else ())
        if isinstance(node, ast.Dict)
        for k in node.keys
        if isinstance(k, ast.Constant) and k.value in TRANSACTION_ITEM_ACTIONS
    }
    return tuple(sorted(named)) or actions_of("dynamodb", "transact_write_items")


def calls_of(handler: str) -> dict[str, set[str]]:
    """IAM action -> the functions (qualnames) that call for it, for one handler's code."""
    code = analysed()
    out: dict[str, set[str]] = defaultdict(set)
    for where in reachable(code, HANDLERS[handler]):
        for service, method in code.ops[where]:
            if (service, method) == ("dynamodb", "transact_write_items"):
                actions = transaction_actions(code, where)
            else:
                actions = actions_of(service, method)
            for action in actions:
                out[action].add(where)
    return out


# ---- template.yaml: what each function's role is granted ----

TEMPLATE = expand_for_each(load_template())
FUNCTIONS = {name: r for name, r in TEMPLATE["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
FUNCTION_OF = {
    "router": "RouterFunction",
    "escalator": "EscalatorFunction",
    "slack_interactions": "SlackInteractionsFunction",
    "slo_evaluator": "SloEvaluatorFunction",
    "batch_queue_metrics": "BatchQueueMetricsFunction",
    "preflight": "PreflightFunction",
    "heartbeat_ping": "HeartbeatPingFunction",
}


@cache
def sam_policy_templates() -> dict[str, Any]:
    found = sorted(
        ROOT.glob(
            ".venv*/lib/python*/site-packages/samtranslator/policy_templates_data/policy_templates.json"
        )
    )
    assert found, "SAM's policy_templates.json not found (make cfn installs aws-sam-translator in .venv-sam)"
    return dict(json.loads(found[0].read_text(encoding="utf-8"))["Templates"])


def statements(policy: Any) -> Iterator[dict[str, Any]]:
    """The statements of one entry of a function's Policies: both branches of an Fn::If (either may be
    deployed), a SAM policy template expanded to its definition."""
    if isinstance(policy, dict) and "Statement" in policy:
        for statement in policy["Statement"]:
            yield from branches(statement)
    elif isinstance(policy, dict) and len(policy) == 1 and next(iter(policy)) in sam_policy_templates():
        yield from sam_policy_templates()[next(iter(policy))]["Definition"]["Statement"]
    else:
        raise AssertionError(f"a policy this test cannot read (a managed policy?): {policy!r}")


def branches(statement: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "If" in statement:
        for branch in statement["If"][1:]:
            if branch != NO_VALUE:
                yield from branches(branch)
    else:
        yield statement


def is_granted(action: str, grants: set[str]) -> bool:
    """IAM matches action names case-insensitively, with * and ? wildcards (SAM's templates use them)."""
    return any(fnmatch.fnmatchcase(action.lower(), grant.lower()) for grant in grants)


def granted(function: str) -> set[str]:
    actions: set[str] = set()
    for policy in FUNCTIONS[function]["Properties"].get("Policies", []):
        for statement in statements(policy):
            assert statement["Effect"] == "Allow" and "NotAction" not in statement, statement
            actions |= set(
                statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            )
    return actions


def test_every_function_of_the_template_is_analysed() -> None:
    assert set(FUNCTION_OF.values()) == set(FUNCTIONS)
    for handler, function in FUNCTION_OF.items():
        props = FUNCTIONS[function]["Properties"]
        assert (props["CodeUri"], props["Handler"]) == (f"functions/{handler}/", "app.lambda_handler")


@pytest.mark.slow
@pytest.mark.parametrize("handler", sorted(HANDLERS))
def test_every_call_the_code_can_make_is_granted(handler: str) -> None:
    missing = {
        action: sorted(where)
        for action, where in calls_of(handler).items()
        if not is_granted(action, granted(FUNCTION_OF[handler]))
    }
    assert not missing, f"{FUNCTION_OF[handler]} lacks (action: called from): {missing}"


@pytest.mark.parametrize("handler", sorted(HANDLERS))
def test_nothing_is_granted_that_no_code_calls(handler: str) -> None:
    assert granted(FUNCTION_OF[handler]) - set(calls_of(handler)) == set()


@pytest.mark.parametrize("handler", sorted(HANDLERS))
def test_every_client_call_is_attributed_to_a_service(handler: str) -> None:
    code = analysed()
    where = reachable(code, HANDLERS[handler])
    assert {w: code.unattributed[w] for w in where if code.unattributed[w]} == {}
    services = {s for w in where for s, _ in code.ops[w]}
    # an attribute of an untyped receiver that is an operation of a service in use: maybe a client call
    suspicious = {
        (w, attr, line)
        for w in where
        if w not in DYNAMIC
        for attr, line in code.unknown_attrs[w]
        if any(attr in operations(s) for s in services)
    }
    assert suspicious == set(), "calls the analysis cannot attribute to a client or rule out"
    for w in where:
        for service, method in code.ops[w]:
            assert method in operations(service), f"{w}: {service} has no operation {method}"


def test_every_client_is_made_for_a_named_service() -> None:
    code = analysed()
    for where, names in code.client_names.items():
        for name in names:
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                assert name.value in botocore.session.get_session().get_available_services(), name.value
            else:
                assert where in DYNAMIC, f"{where}: a client of a computed service"


def test_methods_named_like_builtin_ones_that_reach_aws_are_listed() -> None:
    code = analysed()
    modules = set(code.trees)
    shadowing = {
        q
        for q, fn in code.functions.items()
        if fn.cls
        and q.rsplit(".", 1)[1] in BUILTIN_METHODS
        and any(code.ops[w] for w in reach(code, modules, [q]))
    }
    assert shadowing == set(SHADOWING)


# ---- the analysis itself sees what it must ----


def test_the_analysis_finds_the_known_calls() -> None:
    assert "dynamodb:DeleteItem" in calls_of("router")  # release_sms_slot, after a failed SMS
    # (release_sms_slot -> _release_slot, shared with the ops page's rate limit)
    assert calls_of("router")["dynamodb:DeleteItem"] >= {
        "alertrouter.store.dynamodb.paging:PagingSlotItems._release_slot"
    }
    assert calls_of("slo_evaluator")["sqs:SendMessage"] == {"alertrouter.slo.service:SloService._send"}
    assert set(calls_of("batch_queue_metrics")) == {"batch:DescribeJobQueues", "batch:ListJobs"}


def test_transactions_need_the_action_of_each_item_write() -> None:
    assert actions_of("dynamodb", "transact_write_items") == (
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
    )
    code = analysed()
    prune = "alertrouter.store.dynamodb.leases:FlushLeaseItems.prune_members"  # an Update and Deletes
    assert transaction_actions(code, prune) == ("dynamodb:DeleteItem", "dynamodb:UpdateItem")
    assert actions_of("sqs", "send_message_batch") == ("sqs:SendMessage",)
    assert actions_of("dynamodb", "batch_get_item") == ("dynamodb:BatchGetItem",)


def test_sam_policy_templates_expand_to_their_actions() -> None:
    if not list(ROOT.glob(".venv*/lib/python*/site-packages/samtranslator")):
        pytest.skip("aws-sam-translator is not installed (make cfn installs it)")
    [statement] = statements({"SQSSendMessagePolicy": {"QueueName": "q"}})
    assert is_granted("sqs:SendMessageBatch", set(statement["Action"]))
    assert not is_granted("sqs:ReceiveMessage", set(statement["Action"]))


# ---- DynamoDB partition keys: what dynamodb:LeadingKeys may allow ----


def key_pattern(node: ast.expr) -> str | None:
    """A partition key value as an IAM StringLike pattern: a literal, or an f-string's literal start + "*"."""
    if isinstance(node, ast.Dict) and [getattr(k, "value", None) for k in node.keys] == ["S"]:
        return key_pattern(node.values[0])
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return f"{node.values[0].value!s}*"
    return None


def partition_keys(handler: str) -> set[str]:
    """Every partition key pattern the handler's code can read or write: the values under "pk" (":pk" in a
    Query) and the arguments of a `pk` parameter (Table._query_all)."""
    code = analysed()
    patterns: set[str] = set()
    for where in reachable(code, HANDLERS[handler]):
        for value in code.pk_values[where]:
            pattern = key_pattern(value)
            if pattern is None:
                fn = code.functions.get(where)
                assert (
                    isinstance(value, ast.Dict)
                    and isinstance(value.values[0], ast.Name)
                    and fn is not None
                    and value.values[0].id == "pk"
                ), f"{where}: a partition key the test cannot read"
                continue  # a `pk` parameter: its callers' arguments count
            patterns.add(pattern)
        for param, arg in code.pk_args[where]:
            if param == "pk":
                pattern = key_pattern(arg)
                assert pattern is not None, f"{where}: a partition key the test cannot read"
                patterns.add(pattern)
    return patterns


# Functions whose DynamoDB grant is narrowed by dynamodb:LeadingKeys, and the statement that does it.
LEADING_KEYS = {
    "slack_interactions": "StateTable",
    "slo_evaluator": "SloState",
    "preflight": "PreflightState",
    "heartbeat_ping": "HeartbeatItems",
}


@pytest.mark.parametrize("handler", sorted(LEADING_KEYS))
def test_leading_keys_allow_exactly_the_partition_keys_the_code_uses(handler: str) -> None:
    tables = [
        s
        for p in FUNCTIONS[FUNCTION_OF[handler]]["Properties"]["Policies"]
        for s in statements(p)
        if any(str(a).startswith("dynamodb:") for a in s["Action"])
    ]
    # no DynamoDB grant without the condition (the interactions function's read-only OpenAlertsRead has its own)
    assert tables[0]["Sid"] == LEADING_KEYS[handler]
    assert all(s["Sid"] in (LEADING_KEYS[handler], "OpenAlertsRead") for s in tables)
    allowed = [k for s in tables for k in s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]]
    assert sorted(allowed) == sorted(partition_keys(handler))


def test_the_router_and_escalator_use_every_kind_of_item() -> None:
    # why they are not narrowed by dynamodb:LeadingKeys: the condition would list nearly every prefix
    assert partition_keys("router") >= {"ALERT#*", "GROUP#*", "HISTORY#*", "SILENCE", "INHIBIT", "SMSPACE#*"}
    assert partition_keys("escalator") >= {
        "ALERT#*",
        "GROUP#*",
        "ESCALATION",
        "EXPIRE",
        "OUTBOX",
        "SMSPACE#*",
    }
