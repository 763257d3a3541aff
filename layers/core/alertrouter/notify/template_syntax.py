"""The syntax of Slack title/text templates: the subset of Go's text/template this router takes, read into a
tree. Whatever is outside the subset is refused here, by name, with why."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DEFAULT_TEMPLATES = (
    "slack.default.title",
    "slack.default.text",
)  # Alertmanager's own: this router's own here
KEYWORDS = {"if", "else", "end", "range", "with", "break", "continue", "define", "template", "block"}
# Functions: name -> (least, most) arguments (most None: any number)
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "and": (1, None),
    "or": (1, None),
    "not": (1, 1),
    "len": (1, 1),
    "index": (1, None),
    "print": (0, None),
    "printf": (1, None),
    "println": (0, None),
    "eq": (2, None),
    "ne": (2, 2),
    "lt": (2, 2),
    "le": (2, 2),
    "gt": (2, 2),
    "ge": (2, 2),
    "toUpper": (1, 1),
    "toLower": (1, 1),
    "title": (1, 1),
    "trimSpace": (1, 1),
    "join": (2, 2),
    "match": (2, 2),
    "reReplaceAll": (3, 3),
    "stringSlice": (0, None),
    "safeHtml": (1, 1),
}
METHODS_WITH_ARGUMENTS = ("Remove",)  # KV.Remove(names): the one method of the data that takes an argument
REFUSED_FUNCTIONS = {
    "call": "it calls a function held in the data (no code runs from a template here)",
    "html": "the text is escaped for Slack by the router, not by the template",
    "js": "the text is escaped for Slack by the router, not by the template",
    "urlquery": "the text is escaped for Slack by the router, not by the template",
    "slice": "not in the subset (use index)",
    "now": "a template renders the alerts' data, not the clock (the message shows its own times)",
    "since": "a template renders the alerts' data, not the clock (the message shows its own times)",
    "date": "times are not formatted by templates here (the message shows its own times)",
    "tz": "times are not formatted by templates here (the message shows its own times)",
    "toDate": "times are not formatted by templates here (the message shows its own times)",
    "mustToDate": "times are not formatted by templates here (the message shows its own times)",
    "humanizeDuration": "times are not formatted by templates here (the message shows its own times)",
    "toJson": "not in the subset (the message is text for people)",
    "list": "templates here read the data; they do not build lists or maps",
    "append": "templates here read the data; they do not build lists or maps",
    "dict": "templates here read the data; they do not build lists or maps",
    "safeUrl": "not in the subset",
    "urlUnescape": "not in the subset",
    "base64encode": "not in the subset",
    "base64decode": "not in the subset",
    "routeLabels": "not in the subset",
}
REFUSED_KEYWORDS = {
    "define": "named templates are not kept (a title or text is one template)",
    "block": "named templates are not kept (a title or text is one template)",
    "template": 'only {{ template "<name>" . }} is taken, as the whole template (this router\'s own title or text)',
}


class TemplateSyntaxError(ValueError):
    """A template outside the subset, or not a template at all; the message names the construct."""


# The tree
@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Text(Node):
    text: str


@dataclass(frozen=True)
class Dot(Node):
    pass


@dataclass(frozen=True)
class Nil(Node):
    pass


@dataclass(frozen=True)
class Const(Node):
    value: str | int | bool


@dataclass(frozen=True)
class Field(Node):
    """`.A.B` on dot (an empty `receiver`), or a chain on a variable or a parenthesized pipeline."""

    names: tuple[str, ...]
    receiver: Node | None = None


@dataclass(frozen=True)
class Variable(Node):
    name: str


@dataclass(frozen=True)
class Function(Node):
    name: str


@dataclass(frozen=True)
class Command(Node):
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Pipeline(Node):
    commands: tuple[Command, ...]
    declares: tuple[str, ...] = ()
    assigns: bool = False  # `$x = ...` rather than `$x := ...`


@dataclass(frozen=True)
class Action(Node):
    pipe: Pipeline


@dataclass(frozen=True)
class Block(Node):
    """`if`, `range` or `with`: its pipeline, its body and its `else` body (an `else if` is an If there)."""

    kind: str
    pipe: Pipeline
    body: tuple[Node, ...]
    otherwise: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Loop(Node):
    """`break` or `continue`."""

    kind: str


@dataclass(frozen=True)
class DefaultTemplate(Node):
    name: str


# Lexing
_TOKEN = re.compile(
    r"""(?P<space>[ \t\r\n]+)
    |(?P<string>"(?:[^"\\\n]|\\.)*")
    |(?P<raw>`[^`]*`)
    |(?P<char>'(?:[^'\\\n]|\\.)*')
    |(?P<number>[+-]?(?:[0-9][0-9a-zA-Z_.]*|\.[0-9][0-9a-zA-Z_]*)(?:[eEpP][+-][0-9_]+)?)
    |(?P<declare>:=)
    |(?P<assign>=)
    |(?P<op>[|(),])
    |(?P<variable>\$[A-Za-z0-9_]*)
    |(?P<field>\.[A-Za-z_][A-Za-z0-9_]*)
    |(?P<dot>\.)
    |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.X,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_ESCAPE = re.compile(
    r"\\(?:([ntr\\\"abfv])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{3}))"
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def _unquote(text: str, pos: int) -> str:
    body = text[1:-1]

    def one(found: re.Match[str]) -> str:
        simple, hex2, u4, u8, octal = found.groups()
        if simple:
            return _ESCAPES[simple]
        return chr(int(hex2 or u4 or u8, 16)) if (hex2 or u4 or u8) else chr(int(octal, 8))

    rest = _ESCAPE.sub("", body)
    if "\\" in rest:
        raise TemplateSyntaxError(f"at {pos}: invalid escape in string {text[:40]}")
    return _ESCAPE.sub(one, body)


def _action_tokens(source: str, start: int) -> tuple[list[Token], int, bool]:
    """The tokens of the action starting at `start` (just after `{{` and its trim marker), where it ends (just
    after `}}`) and whether it trims the text after it."""
    tokens: list[Token] = []
    at = start
    while True:
        if source.startswith("}}", at):
            return tokens, at + 2, False
        if source.startswith("-}}", at) and tokens and tokens[-1].kind == "space":
            return tokens[:-1], at + 3, True
        found = _TOKEN.match(source, at)
        if found is None or found.lastgroup is None:
            if at >= len(source):
                raise TemplateSyntaxError(f"at {start}: unclosed action (no }}}})")
            raise TemplateSyntaxError(f"at {at}: unexpected {source[at]!r} in action")
        tokens.append(Token(found.lastgroup, found.group(0), at))
        at = found.end()


_SPACES = {" ", "\t", "\r", "\n"}  # what marks `{{-` as a trim marker (not a negative number)


def tokenize(source: str) -> list[Token | Text]:
    """The template as text pieces and actions: each action is its tokens, ending with a `}}` token."""
    pieces: list[Token | Text] = []
    at, trim_next = 0, False
    while at <= len(source):
        opening = source.find("{{", at)
        text = source[at:] if opening < 0 else source[at:opening]
        if trim_next:
            text = text.lstrip(" \t\r\n")
        if opening < 0:
            pieces.append(Text(at, text))
            return pieces
        inner = opening + 2
        trim_before = source[inner : inner + 1] == "-" and source[inner + 1 : inner + 2] in _SPACES
        if trim_before:
            text = text.rstrip(" \t\r\n")
            inner += 2
        pieces.append(Text(at, text))
        at, trim_next = _comment(source, inner) or _action(source, inner, pieces)
    return pieces


def _comment(source: str, inner: int) -> tuple[int, bool] | None:
    """Past a `{{/* ... */}}` comment, or None when the action is not one."""
    if not source.startswith("/*", inner):
        return None
    closing = source.find("*/", inner + 2)
    if closing < 0:
        raise TemplateSyntaxError(f"at {inner}: unclosed comment")
    after = closing + 2
    if source.startswith("}}", after):
        return after + 2, False
    if source.startswith(" -}}", after):
        return after + 4, True
    raise TemplateSyntaxError(f"at {inner}: comment ends with an action")


def _action(source: str, inner: int, pieces: list[Token | Text]) -> tuple[int, bool]:
    tokens, end, trim_after = _action_tokens(source, inner)
    pieces.extend(tokens)
    pieces.append(Token("end", "}}", end - 2))
    return end, trim_after


# Parsing
@dataclass
class _Scope:
    variables: list[str] = field(default_factory=lambda: ["$"])
    loops: int = 0


class Parser:
    """Go's text/template grammar for the subset, with its checks made when the template is read: functions
    known and called with as many arguments as they take, variables declared before use."""

    def __init__(self, source: str) -> None:
        self.pieces = tokenize(source)
        self.at = 0
        self.scope = _Scope()

    def parse(self) -> tuple[Node, ...]:
        body, ending = self._list()
        if ending is not None:
            raise TemplateSyntaxError(f"at {ending.pos}: unexpected {{{{{ending.text}}}}}")
        return body

    # pieces
    def _peek(self, skip_space: bool = True) -> Token | Text | None:
        at = self.at
        while at < len(self.pieces):
            piece = self.pieces[at]
            if not (skip_space and isinstance(piece, Token) and piece.kind == "space"):
                return piece
            at += 1
        return None

    def _next(self, skip_space: bool = True) -> Token:
        while self.at < len(self.pieces):
            piece = self.pieces[self.at]
            self.at += 1
            if isinstance(piece, Text):
                raise TemplateSyntaxError(f"at {piece.pos}: unexpected text in action")
            if not (skip_space and piece.kind == "space"):
                return piece
        raise TemplateSyntaxError("unexpected end of template")

    def _expect_end(self, what: str) -> None:
        token = self._next()
        if token.kind != "end":
            raise TemplateSyntaxError(f"at {token.pos}: unexpected {token.text!r} in {what}")

    def _list(self) -> tuple[tuple[Node, ...], Token | None]:
        """Nodes up to the end of the template, or up to an `end` / `else` action (returned, consumed)."""
        nodes: list[Node] = []
        while self.at < len(self.pieces):
            piece = self.pieces[self.at]
            if isinstance(piece, Text):
                self.at += 1
                if piece.text:
                    nodes.append(piece)
                continue
            node, ending = self._action()
            if ending is not None:
                return tuple(nodes), ending
            if node is not None:
                nodes.append(node)
        return tuple(nodes), None

    def _action(self) -> tuple[Node | None, Token | None]:
        first = self._peek()
        if isinstance(first, Token) and first.kind == "end":
            raise TemplateSyntaxError(f"at {first.pos}: missing value for command")
        if isinstance(first, Token) and first.kind == "word" and first.text in KEYWORDS:
            self._next()
            return self._keyword(first)
        pipe = self._pipeline(first.pos if isinstance(first, Token) else 0, "command")
        return Action(pipe.pos, pipe), None

    def _keyword(self, word: Token) -> tuple[Node | None, Token | None]:
        if word.text in REFUSED_KEYWORDS and not (word.text == "template" and self._default_template()):
            raise TemplateSyntaxError(
                f"`{{{{ {word.text} ... }}}}` is not supported: {REFUSED_KEYWORDS[word.text]}"
            )
        if word.text == "template":
            return self._template(word), None
        if word.text in ("end", "else"):
            return None, word
        if word.text in ("break", "continue"):
            if not self.scope.loops:
                raise TemplateSyntaxError(f"at {word.pos}: {{{{{word.text}}}}} outside {{{{range}}}}")
            self._expect_end(word.text)
            return Loop(word.pos, word.text), None
        return self._block(word.text, word.pos), None

    def _default_template(self) -> bool:
        """`{{ template "name" ... }}`: Alertmanager's default, or one of a `templates:` file this router does
        not read; either way the router's own rendering (the whole template must be the call: compile_template)."""
        name = self._peek()
        return isinstance(name, Token) and name.kind in ("string", "raw")

    def _template(self, word: Token) -> Node:
        name = self._next()
        following = self._peek()
        if isinstance(following, Token) and following.kind != "end":
            data = self._next()
            if data.kind != "dot":
                raise TemplateSyntaxError(
                    f"at {data.pos}: `{{{{ template ... }}}}` is taken with `.` only (this router's own "
                    "rendering of the notification)"
                )
        self._expect_end("template")
        return DefaultTemplate(word.pos, _unquote_any(name.text, name.pos))

    def _block(self, kind: str, pos: int) -> Node:
        depth = len(self.scope.variables)
        pipe = self._pipeline(pos, kind)
        if kind == "range":
            self.scope.loops += 1
        body, ending = self._list()
        if kind == "range":
            self.scope.loops -= 1
        otherwise: tuple[Node, ...] = ()
        if ending is None:
            raise TemplateSyntaxError(
                f"at {pos}: unexpected end of template in {{{{{kind}}}}} (no {{{{end}}}})"
            )
        if ending.text == "else":
            otherwise = self._else(kind)
        else:
            self._expect_end("end")
        del self.scope.variables[depth:]
        return Block(pos, kind, pipe, body, otherwise)

    def _else(self, kind: str) -> tuple[Node, ...]:
        following = self._peek()
        chained = (
            isinstance(following, Token) and following.kind == "word" and following.text in ("if", "with")
        )
        if chained and isinstance(following, Token):
            if kind == "range" or following.text != kind:
                raise TemplateSyntaxError(
                    f"at {following.pos}: {{{{else {following.text}}}}} after {{{{{kind}}}}} is not supported"
                )
            self._next()
            return (self._block(following.text, following.pos),)  # its {{end}} is this block's
        self._expect_end("else")
        body, ending = self._list()
        if ending is None or ending.text != "end":
            raise TemplateSyntaxError(f"expected {{{{end}}}} after {{{{else}}}} of {{{{{kind}}}}}")
        self._expect_end("end")
        return body

    # pipelines
    def _pipeline(self, pos: int, context: str) -> Pipeline:
        declares, assigns = self._declarations(context)
        commands: list[Command] = []
        while True:
            commands.append(self._command(context))
            following = self._peek()
            if not (isinstance(following, Token) and following.text == "|"):
                break
            self._next()
        closing = self._next()
        wanted = ")" if context == "parenthesized pipeline" else "}}"
        if closing.text != wanted or closing.kind not in ("op", "end"):
            raise TemplateSyntaxError(f"at {closing.pos}: unexpected {closing.text!r} in {context}")
        for name in declares:
            if not assigns:
                self.scope.variables.append(name)
        return Pipeline(pos, tuple(commands), declares, assigns)

    def _declarations(self, context: str) -> tuple[tuple[str, ...], bool]:
        start = self.at
        names: list[str] = []
        while True:
            token = self._next()
            if token.kind != "variable":
                break
            names.append(token.text)
            following = self._next()
            if following.kind in ("declare", "assign"):
                if len(names) > (2 if context == "range" else 1):
                    raise TemplateSyntaxError(f"at {token.pos}: too many declarations in {context}")
                if following.kind == "assign" and names[0] not in self.scope.variables:
                    raise TemplateSyntaxError(f"at {token.pos}: undefined variable {names[0]}")
                return tuple(names), following.kind == "assign"
            if following.kind != "op" or following.text != "," or context != "range":
                break
        self.at = start
        return (), False

    def _command(self, context: str) -> Command:
        args: list[Node] = []
        while True:
            token = self._peek(skip_space=False)
            if isinstance(token, Token) and token.kind == "space":
                self._next(skip_space=False)
                continue
            if not isinstance(token, Token) or token.kind == "end" or token.text in ("|", ")"):
                break
            args.append(self._operand())
        if not args:
            raise TemplateSyntaxError(f"missing value for {context}")
        if isinstance(args[0], Nil):
            raise TemplateSyntaxError("nil is not a command")
        return Command(args[0].pos, tuple(args))

    def _operand(self) -> Node:
        term = self._term()
        names: list[str] = []
        while True:
            following = self._peek(skip_space=False)
            if not (isinstance(following, Token) and following.kind == "field"):
                break
            self._next(skip_space=False)
            names.append(following.text[1:])
        if not names:
            return term
        if isinstance(term, Field) and term.receiver is None:
            return Field(term.pos, term.names + tuple(names))
        if isinstance(term, Const | Nil | Dot):
            raise TemplateSyntaxError(f"at {term.pos}: unexpected field after a constant")
        return Field(term.pos, tuple(names), term)

    def _term(self) -> Node:  # noqa: C901 - one case a kind of token, as Go's parser has them
        token = self._next(skip_space=False)
        kind, text, pos = token.kind, token.text, token.pos
        if kind == "dot":
            return Dot(pos)
        if kind == "field":
            return Field(pos, (text[1:],))
        if kind == "variable":
            if text not in self.scope.variables:
                raise TemplateSyntaxError(f"at {pos}: undefined variable {text}")
            return Variable(pos, text)
        if kind in ("string", "raw"):
            return Const(pos, _unquote_any(text, pos))
        if kind == "number":
            return Const(pos, _integer(text, pos))
        if kind == "char":
            raise TemplateSyntaxError(f"at {pos}: character constants ({text}) are not supported")
        if kind == "op" and text == "(":
            return self._pipeline(pos, "parenthesized pipeline")
        if kind == "word":
            return self._word(token)
        raise TemplateSyntaxError(f"at {pos}: unexpected {text!r} in operand")

    def _word(self, token: Token) -> Node:
        text, pos = token.text, token.pos
        if text in ("true", "false"):
            return Const(pos, text == "true")
        if text == "nil":
            return Nil(pos)
        if text in KEYWORDS:
            raise TemplateSyntaxError(f"at {pos}: unexpected keyword {text!r} in operand")
        if text in REFUSED_FUNCTIONS:
            raise TemplateSyntaxError(f"function `{text}` is not supported: {REFUSED_FUNCTIONS[text]}")
        if text not in FUNCTIONS:
            raise TemplateSyntaxError(f'function "{text}" not defined (not one this router knows)')
        return Function(pos, text)


def _unquote_any(text: str, pos: int) -> str:
    return text[1:-1] if text.startswith("`") else _unquote(text, pos)


_INTEGER = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")


def _integer(text: str, pos: int) -> int:
    if not _INTEGER.fullmatch(text):
        raise TemplateSyntaxError(f"at {pos}: number {text!r} is not supported (whole decimal numbers only)")
    return int(text)


def check_arguments(body: tuple[Node, ...]) -> None:
    """Each function called with as many arguments as it takes (counting the one a pipeline passes on)."""
    nodes = walk(body)
    heads = {id(c.args[0]) for c in nodes if isinstance(c, Command)}
    for node in nodes:
        if isinstance(node, Function) and id(node) not in heads:
            arity_error(node.name, 0, node.pos)  # a function as an operand is called with no arguments
        if not isinstance(node, Pipeline):
            continue
        for index, command in enumerate(node.commands):
            head = command.args[0]
            given = len(command.args) - 1 + (1 if index else 0)
            if isinstance(head, Function):
                arity_error(head.name, given, head.pos)
            elif given and isinstance(head, Field) and head.names[-1] not in METHODS_WITH_ARGUMENTS:
                raise TemplateSyntaxError(
                    f"at {head.pos}: `.{'.'.join(head.names)}` with arguments is not supported: of the data's "
                    f"methods only {', '.join(METHODS_WITH_ARGUMENTS)} take one"
                )
            elif len(command.args) > 1 and not isinstance(head, Field):
                raise TemplateSyntaxError(f"at {head.pos}: can't give argument to non-function")


def arity_error(name: str, given: int, pos: int = -1) -> None:
    """Raise when function `name` does not take `given` arguments."""
    least, most = FUNCTIONS[name]
    if given < least or (most is not None and given > most):
        want = f"{least}" if least == most else f"at least {least}"
        where = f"at {pos}: " if pos >= 0 else ""
        raise TemplateSyntaxError(f"{where}wrong number of args for {name}: want {want} got {given}")


def walk(nodes: tuple[Node, ...]) -> list[Node]:
    found: list[Node] = []
    stack: list[Node] = list(nodes)
    while stack:
        node = stack.pop()
        found.append(node)
        if isinstance(node, Action):
            stack.append(node.pipe)
        elif isinstance(node, Block):
            stack.extend((node.pipe, *node.body, *node.otherwise))
        elif isinstance(node, Pipeline):
            stack.extend(node.commands)
        elif isinstance(node, Command):
            stack.extend(node.args)
        elif isinstance(node, Field) and node.receiver is not None:
            stack.append(node.receiver)
    return found
