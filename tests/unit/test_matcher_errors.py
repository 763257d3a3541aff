"""What the matcher parser says when it refuses a string: the reason, from the classic grammar and, where the
UTF-8 one refuses it too, from that one, with the column where it went wrong."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alertrouter.models.matcher import Matcher
from alertrouter.models.matcher_syntax import (
    MatcherSyntaxError,
    go_quote,
    go_unquote,
    utf8_all,
)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("foo", "expected an operator (=, !=, =~ or !~) after 'foo' at column 1, not the end"),
        ("foo bar", "expected an operator (=, !=, =~ or !~) after 'foo' at column 1, not 'bar' at column 5"),
        ("=bar", "expected a label name, not '=' at column 1"),
        ("foo!bar", "column 4: '!' must be followed by '=' or '~'"),
        ('"foo=bar', "column 1: '\"foo=bar' has no closing double quote"),
        ("'foo'=bar", 'column 1: "\'" may only be inside double quotes (a name or value with it is quoted)'),
        ('"x"~y', "column 4: '~' may only be inside double quotes (a name or value with it is quoted)"),
        ('"a"="\\xff"', "column 5: '\"\\\\xff\"' is not valid UTF-8 once its escapes are read"),
        (
            '"a"="\\q"',
            "column 5: '\\\\q' is not an escape inside double quotes (a backslash is written \\\\)",
        ),
        ('"a"="\\ud800"', "column 5: \\ud800 is not a Unicode character"),
        ('"a"="x\ny"', "column 5: a newline inside double quotes must be written \\n"),
        ('""="x"', "a label name cannot be empty"),
        ("a=b,,c=d", "expected a label name, not ',' at column 5"),
        (
            '"a"="b" "c"="d"',
            "expected a comma or a closing brace, not '\"c\"' at column 9 (a value with blanks is quoted)",
        ),
        ('"a"="b"}', "column 8: a closing brace without an opening one"),
        ('{"a"="b"', "the opening brace has no closing brace"),
        ('{"a"="b"}x', "unexpected 'x' at column 10 after the end of the matchers"),
    ],
)
def test_a_string_neither_parser_reads_is_refused_with_both_reasons(text: str, reason: str) -> None:
    with pytest.raises(MatcherSyntaxError) as refused:
        Matcher.parse_all(text)
    message = str(refused.value)
    assert message.startswith(f"invalid matcher {text!r}: ")
    assert "; read with the UTF-8 grammar: " in message
    assert message.endswith(reason), message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("foo", "expected label=value, !=, =~ or !~"),
        ("a=b,,c=d", "empty (two commas in a row, or a comma first)"),
        ('foo="bar" baz', "matcher value contains an unescaped double quote"),
        ('job="value', "matcher value is missing its closing double quote"),
    ],
)
def test_the_classic_reason_comes_first(text: str, reason: str) -> None:
    with pytest.raises(MatcherSyntaxError, match="read with the UTF-8 grammar") as refused:
        Matcher.parse_all(text)
    assert reason in str(refused.value).split("; read with the UTF-8 grammar")[0]


def test_an_invalid_regex_is_refused_once_with_its_reason() -> None:
    with pytest.raises(MatcherSyntaxError) as refused:
        Matcher.parse_all('a=~"pay(ments"')
    assert str(refused.value) == "invalid regex 'pay(ments': missing ): ^(?:pay(ments)$"


@pytest.mark.parametrize("text", ["{foo=bar}", "foo={bar}", "{foo=bar", "foo=bar}", "{}"])
def test_a_silence_argument_with_braces_is_refused_as_amtool_refuses_it(text: str) -> None:
    with pytest.raises(MatcherSyntaxError, match="unexpected open or close brace .*: one matcher is written"):
        Matcher.parse(text)


def test_a_silence_argument_with_two_matchers_says_so() -> None:
    with pytest.raises(MatcherSyntaxError, match="expected one matcher, found 2"):
        Matcher.parse('"a"="x", "b"="y"')


def test_a_label_name_is_any_non_empty_utf8_text() -> None:
    for name in ("foo.bar", "service name", "🙂", "1foo", "a:b", "名前"):
        assert Matcher.of(name, "=", "x").name == name
    with pytest.raises(MatcherSyntaxError, match="cannot be empty"):
        Matcher.of("", "=", "x")
    with pytest.raises(MatcherSyntaxError, match="not valid UTF-8"):
        Matcher.of("a\udcff", "=", "x")
    with pytest.raises(MatcherSyntaxError, match="invalid label value .*not valid UTF-8"):
        Matcher.of("a", "=", "x\udcff")


@pytest.mark.parametrize(
    ("literal", "text"),
    [
        ('"plain"', "plain"),
        ('"\\a\\b\\f\\n\\r\\t\\v\\\\\\""', '\a\b\f\n\r\t\v\\"'),
        ('"\\x41\\101\\u00e9\\U0001F642"', "AAé🙂"),
        ('"\\xf0\\x9f\\x99\\x82"', "🙂"),
        ('"raw\ttab"', "raw\ttab"),
    ],
)
def test_a_quoted_string_is_read_as_go_reads_it(literal: str, text: str) -> None:
    assert go_unquote(literal) == text
    assert go_unquote(go_quote(text)) == text


@pytest.mark.parametrize(
    "literal", ['"\\\'"', '"\\x4"', '"\\400"', '"\\U00110000"', '"\\xff"', '"a\nb"', '"\\"']
)
def test_a_quoted_string_go_refuses_is_refused(literal: str) -> None:
    with pytest.raises(MatcherSyntaxError):
        go_unquote(literal)


def test_the_utf8_grammar_on_its_own() -> None:
    assert utf8_all("") == [] and utf8_all("{}") == [] and utf8_all(" { } ") == []
    assert utf8_all('{"service name"="a", env=prod,}') == [("service name", "=", "a"), ("env", "=", "prod")]
    assert utf8_all("foo=~[a-z]+ , bar!~🙂") == [("foo", "=~", "[a-z]+"), ("bar", "!~", "🙂")]
    assert utf8_all("\u00a0foo\u3000=\tbar") == [("foo", "=", "bar")]  # Unicode's blanks


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)


@settings(max_examples=400, deadline=None)
@given(name=_TEXT.filter(bool), op=st.sampled_from(["=", "!="]), value=_TEXT)
def test_a_matcher_written_out_or_stored_reads_back_the_same(name: str, op: str, value: str) -> None:
    """Whatever the name and value: str() (as Alertmanager writes a matcher) and a silence's stored form read
    back as the same matcher."""
    matcher = Matcher.of(name, op, value)
    assert Matcher.parse(str(matcher)) == matcher
    assert Matcher.parse_all(str(matcher)) == [matcher]
    assert Matcher.stored(matcher.stored_text()) == matcher
