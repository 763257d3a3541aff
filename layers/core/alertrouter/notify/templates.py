"""Slack title/text templates: the subset of Go's text/template that Alertmanager users write in `slack_configs`,
compiled when the config is loaded and rendered against Alertmanager's template data. Nothing in a template runs
code: it reads the data, calls the listed functions, and its render is bounded in output and in steps. The output
is plain text (the caller escapes it for Slack)."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from alertrouter.notify.template_data import EXAMPLE, TemplateData
from alertrouter.notify.template_syntax import (
    DEFAULT_TEMPLATES,
    Action,
    Block,
    Command,
    Const,
    DefaultTemplate,
    Dot,
    Field,
    Function,
    Loop,
    Nil,
    Node,
    Parser,
    Pipeline,
    TemplateSyntaxError,
    Text,
    Variable,
    arity_error,
    check_arguments,
    walk,
)
from alertrouter.notify.template_values import (
    FUNCTIONS,
    KV,
    MAX_STRING,
    METHODS,
    PAIR_FIELDS,
    Pair,
    Record,
    RenderError,
    data_record,
    go_sprint,
    go_sprintf,
    go_string,
    go_type,
    truth,
)

__all__ = [
    "CompiledTemplate",
    "RenderError",
    "TemplateSyntaxError",
    "compile_template",
    "render_template",
]

MAX_OUTPUT = 10_000  # characters a render may write
MAX_STEPS = 100_000  # nodes a render may evaluate (a range over a storm's alerts stops here)
MAX_SOURCE = 20_000  # characters of a template
_MISSING = object()  # no value passed on by a pipeline


@dataclass(frozen=True)
class CompiledTemplate:
    """A template read and checked. `default` names Alertmanager's default template when the template is just
    `{{ template "slack.default.title" . }}` (or `.text`): the caller keeps its own rendering then."""

    source: str
    body: tuple[Node, ...]
    default: str | None = None

    @property
    def uses_default(self) -> bool:
        return self.default is not None

    @property
    def names_unread_template(self) -> bool:
        """It calls a named template of a `templates:` file (not Alertmanager's default): check-config says the
        router draws its own text instead."""
        return self.default is not None and self.default not in DEFAULT_TEMPLATES

    def render(self, data: TemplateData) -> str:
        """The text for this data; RenderError when the data does not fit the template or a bound is hit."""
        if self.default is not None:
            raise RenderError(f"{self.default} is this router's own rendering")
        run, root = _Run(), data_record(data)
        run.variables.append(["$", root])
        try:
            run.nodes(self.body, root)
        except RecursionError as exc:
            raise RenderError("the template nests too deeply") from exc
        return "".join(run.out)


@functools.lru_cache(maxsize=512)
def compile_template(source: str) -> CompiledTemplate:
    """The template, checked: TemplateSyntaxError (a ValueError) names what is outside the subset and why."""
    if len(source) > MAX_SOURCE:
        raise TemplateSyntaxError(f"the template is longer than {MAX_SOURCE} characters")
    try:
        body = Parser(source).parse()
        check_arguments(body)
    except RecursionError as exc:
        raise TemplateSyntaxError("the template nests too deeply") from exc
    except TemplateSyntaxError as exc:
        raise TemplateSyntaxError(_located(str(exc), source)) from None
    defaults = [n for n in walk(body) if isinstance(n, DefaultTemplate)]
    if not defaults:
        return _fields_checked(CompiledTemplate(source, body))
    rest = [n for n in body if not (isinstance(n, Text) and not n.text.strip())]
    if len(defaults) > 1 or rest != defaults:
        raise TemplateSyntaxError(
            f"`{{{{ template {defaults[0].name!r} . }}}}` is taken only as the whole template (it means this "
            "router's own rendering)"
        )
    return CompiledTemplate(source, body, defaults[0].name)


_AT = re.compile(r"at ([0-9]+): ")


def _located(message: str, source: str) -> str:
    """`at 31: ...` (a character offset) as `line 2, column 5: ...`."""
    found = _AT.match(message)
    if found is None:
        return message
    offset = int(found.group(1))
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}: {message[found.end() :]}"


def _fields_checked(compiled: CompiledTemplate) -> CompiledTemplate:
    """Refuse a template that asks the data for a field it does not have (`.Nope`, `.Labels.x.y`), found by
    rendering it with amtool's example data: whatever the alerts, such a render fails."""
    try:
        compiled.render(EXAMPLE)
    except RenderError as exc:
        if "can't evaluate field" in str(exc):
            raise TemplateSyntaxError(f"{exc} (not in Alertmanager's notification data)") from exc
    return compiled


def render_template(source: str, data: TemplateData) -> str:
    """Compile (cached) and render."""
    return compile_template(source).render(data)


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Run:
    """One render: its output, its variables and its step count."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.written = 0
        self.steps = 0
        self.variables: list[list[Any]] = []  # [name, value], innermost last

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise RenderError(f"the template took more than {MAX_STEPS} steps")

    def write(self, text: str) -> None:
        self.written += len(text)
        if self.written > MAX_OUTPUT:
            raise RenderError(f"the template wrote more than {MAX_OUTPUT} characters")
        self.out.append(text)

    # the tree
    def nodes(self, nodes: tuple[Node, ...], dot: Any) -> None:
        for node in nodes:
            self.step()
            if isinstance(node, Text):
                self.write(node.text)
            elif isinstance(node, Action):
                value = self.pipeline(node.pipe, dot)
                if not node.pipe.declares:
                    self.write("<no value>" if value is None else go_string(value))
            elif isinstance(node, Block):
                self.block(node, dot)
            elif isinstance(node, Loop):
                raise _Break if node.kind == "break" else _Continue

    def block(self, node: Block, dot: Any) -> None:
        mark = len(self.variables)
        try:
            if node.kind == "range":
                self.range(node, dot)
                return
            value = self.pipeline(node.pipe, dot)
            if not truth(value):
                self.nodes(node.otherwise, dot)
            else:
                self.nodes(node.body, value if node.kind == "with" else dot)
        finally:
            del self.variables[mark:]

    def range(self, node: Block, dot: Any) -> None:
        value = self.pipeline(Pipeline(node.pipe.pos, node.pipe.commands), dot)
        if isinstance(value, int) and len(node.pipe.declares) == 2:
            raise RenderError(f"can't use {value} to iterate over more than one variable")
        items = _items(value)  # not listed first: `range 1000000000` stops at the step bound
        first = next(items, None)
        if first is None:
            self.nodes(node.otherwise, dot)
            return
        mark = len(self.variables)
        for key, item in itertools.chain((first,), items):
            self.step()
            names = node.pipe.declares
            if len(names) == 1:
                self.variables.append([names[0], item])
            elif len(names) == 2:
                self.variables.extend(([names[0], key], [names[1], item]))
            try:
                self.nodes(node.body, item)
            except _Continue:
                pass
            except _Break:
                break
            finally:
                del self.variables[mark:]

    # pipelines
    def pipeline(self, pipe: Pipeline, dot: Any) -> Any:
        value: Any = _MISSING
        for command in pipe.commands:
            value = self.command(command, dot, value)
        for name in pipe.declares:
            if pipe.assigns:
                self.lookup(name)[1] = value
            else:
                self.variables.append([name, value])
        return value

    def lookup(self, name: str) -> list[Any]:
        for entry in reversed(self.variables):
            if entry[0] == name:
                found: list[Any] = entry
                return found
        raise RenderError(f"undefined variable {name}")

    def command(self, command: Command, dot: Any, final: Any) -> Any:
        self.step()
        head, args = command.args[0], command.args[1:]
        if isinstance(head, Field):
            receiver = dot if head.receiver is None else self.argument(head.receiver, dot)
            return self.fields(receiver, head.names, args, dot, final)
        if isinstance(head, Function):
            return self.function(head.name, args, dot, final)
        if args or final is not _MISSING:
            raise RenderError("can't give argument to non-function")
        return self.argument(head, dot)

    def argument(self, node: Node, dot: Any) -> Any:
        self.step()
        if isinstance(node, Dot):
            return dot
        if isinstance(node, Const):
            return node.value
        if isinstance(node, Nil):
            return None
        if isinstance(node, Variable):
            return self.lookup(node.name)[1]
        if isinstance(node, Pipeline):
            return self.pipeline(node, dot)
        if isinstance(node, Field):
            receiver = dot if node.receiver is None else self.argument(node.receiver, dot)
            return self.fields(receiver, node.names, (), dot, _MISSING)
        if isinstance(node, Function):
            return self.function(node.name, (), dot, _MISSING)
        raise RenderError(f"unexpected {type(node).__name__}")

    def fields(
        self, receiver: Any, names: tuple[str, ...], args: tuple[Node, ...], dot: Any, final: Any
    ) -> Any:
        for name in names[:-1]:
            receiver = self.field(receiver, name, (), dot, _MISSING)
        return self.field(receiver, names[-1], args, dot, final)

    def field(self, receiver: Any, name: str, args: tuple[Node, ...], dot: Any, final: Any) -> Any:
        self.step()
        if receiver is None:
            raise RenderError(f"nil pointer evaluating .{name}")
        method = METHODS.get((type(receiver), name))
        values = [self.argument(a, dot) for a in args] + ([] if final is _MISSING else [final])
        if method is not None:
            arity, call = method
            if len(values) != arity:
                raise RenderError(f"wrong number of args for {name}: want {arity} got {len(values)}")
            return call(receiver, *values)
        if values:
            raise RenderError(f"{name} is not a method but has arguments")
        if isinstance(receiver, Record) and name in receiver.fields:
            return receiver.fields[name]
        if isinstance(receiver, Pair) and name in PAIR_FIELDS:
            return PAIR_FIELDS[name](receiver)
        if isinstance(receiver, KV):
            return receiver.get(name, "")  # missingkey=zero: a missing label is empty
        raise RenderError(f"can't evaluate field {name} in type {go_type(receiver)}")

    # functions
    def function(self, name: str, args: tuple[Node, ...], dot: Any, final: Any) -> Any:
        self.step()
        try:  # checked when read; a function as a chain's receiver is called here with none
            arity_error(name, len(args) + (final is not _MISSING))
        except TemplateSyntaxError as exc:
            raise RenderError(str(exc)) from exc
        values: Iterator[Any] = self.lazily(args, dot, final)
        if name in ("and", "or"):
            return _and_or(name, values)
        result = _BUILTINS[name](list(values)) if name in _BUILTINS else FUNCTIONS[name](*values)
        if isinstance(result, str) and len(result) > MAX_STRING:
            raise RenderError(f"{name}: the result is longer than {MAX_STRING} characters")
        return result

    def lazily(self, args: tuple[Node, ...], dot: Any, final: Any) -> Iterator[Any]:
        for arg in args:
            yield self.argument(arg, dot)
        if final is not _MISSING:
            yield final


def _items(value: Any) -> Iterator[tuple[Any, Any]]:
    if value is None:
        return
    if isinstance(value, list):
        yield from enumerate(value)
    elif isinstance(value, dict):
        yield from ((k, value[k]) for k in sorted(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        yield from ((i, i) for i in range(value))
    else:
        raise RenderError(f"range can't iterate over {go_string(value)}")


def _and_or(name: str, values: Iterator[Any]) -> Any:
    value: Any = None
    for value in values:
        if truth(value) != (name == "and"):
            return value
    return value


def _basic(value: Any) -> str:
    kind = go_type(value)
    if kind in ("bool", "int", "string"):
        return kind
    raise RenderError(f"invalid type for comparison: {kind}")


def _eq(values: list[Any]) -> bool:
    first = values[0]
    for other in values[1:]:
        if _basic(first) != _basic(other):
            raise RenderError(f"incompatible types for comparison: {go_type(first)} and {go_type(other)}")
        if first == other:
            return True
    return False


def _order(values: list[Any]) -> tuple[Any, Any]:
    left, right = values
    kinds = _basic(left), _basic(right)
    if "bool" in kinds:
        raise RenderError("invalid type for comparison: bool")
    if kinds[0] != kinds[1]:
        raise RenderError(f"incompatible types for comparison: {go_type(left)} and {go_type(right)}")
    return left, right


def _len(values: list[Any]) -> int:
    [value] = values
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, list | dict):
        return len(value)
    raise RenderError(f"len of type {go_type(value)}")


def _index(values: list[Any]) -> Any:
    item, keys = values[0], values[1:]
    for key in keys:
        if isinstance(item, dict) and isinstance(key, str):
            item = item.get(key, "")
        elif isinstance(item, list) and isinstance(key, int) and not isinstance(key, bool):
            if not 0 <= key < len(item):
                raise RenderError(f"error calling index: index out of range: {key}")
            item = item[key]
        elif isinstance(item, str) and isinstance(key, int) and not isinstance(key, bool):
            encoded = item.encode()
            if not 0 <= key < len(encoded):
                raise RenderError(f"error calling index: index out of range: {key}")
            item = encoded[key]  # a byte, as Go indexes a string
        else:
            raise RenderError(f"can't index item of type {go_type(item)} with {go_type(key)}")
    return item


def _printf(values: list[Any]) -> str:
    form = values[0]
    if not isinstance(form, str):
        raise RenderError(f"printf: wrong type for value; expected string; got {go_type(form)}")
    return go_sprintf(form, values[1:])


_BUILTINS: dict[str, Callable[[list[Any]], Any]] = {
    "not": lambda v: not truth(v[0]),
    "len": _len,
    "index": _index,
    "print": lambda v: go_sprint(v, lines=False),
    "println": lambda v: go_sprint(v, lines=True),
    "printf": _printf,
    "eq": _eq,
    "ne": lambda v: not _eq(v),
    "lt": lambda v: _order(v)[0] < _order(v)[1],
    "le": lambda v: _order(v)[0] <= _order(v)[1],
    "gt": lambda v: _order(v)[0] > _order(v)[1],
    "ge": lambda v: _order(v)[0] >= _order(v)[1],
}
