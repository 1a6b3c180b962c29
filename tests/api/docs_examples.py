"""The API examples of docs/*.md, read as a test runs them.

The convention, for whoever writes a doc:

- A fenced block opened with ```` ```sh example ```` holds examples that are run (GitHub shows it as
  any `sh` block). Other blocks are prose to the test.
- ``# as <role>`` logs in as the demo user of that role (password ``demo``); it holds for the
  following requests of the doc until the next ``# as``.
- A request is a line starting with ``curl `` or ``api `` (the docs' shell function: curl with the
  token and a JSON content type), continued over lines ending in ``\\`` and over an open quote.
  ``$API`` is ``http://…/api/v1``; the Authorization header is the role's token.
- Comment lines right after a request give its answer: ``# 201``, ``# 409 {"code": …}``, ``# 200
  application/pdf``; a JSON answer may go on over more ``# `` lines until its brackets close. A
  ```` ```json response ```` block right after an example block is the answer of that block's last
  request. With no status given the request must succeed (2xx).
- ``<name>`` is a placeholder. In a request it is replaced by its value (``{"version": <invoice
  version>}`` sends a number); in an answer ``"<name>"`` (or a bare ``<name>``) takes the value
  found there the first time and must equal it later, also inside longer strings
  (``"contract <contract number> wins …"``).
- In an answer, ``…`` stands for anything: any value, more keys, more items (``[{…}, …]``), or
  any characters inside a string (``"C-…"``). Objects match when the keys they show match.
- Every other line (exports, CLI commands, prose comments) is not run.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

API_PREFIX = "/api/v1"
ELLIPSIS = "…"
PLACEHOLDER = re.compile(r"<([a-z][a-z0-9 _-]*)>")
# CommonMark's backtick fence: up to three spaces, three or more backticks, an info string without any
_FENCE = re.compile(r"^ {0,3}(`{3,})([^`]*)$")
_STATUS = re.compile(r"^#\s+(\d{3})\b\s*(.*)$")
_ROLE = re.compile(r"^#\s+as\s+([a-z_]+)\s*$")
_COMMAND = re.compile(r"^(curl|api)\s")


class DocsExampleError(AssertionError):
    """An example does not do what its doc says."""


@dataclass(frozen=True, slots=True)
class Expected:
    status: int | None = None  # None: any 2xx
    body: Any = None  # a pattern (see `match`), or None when the doc shows no body
    media_type: str | None = None


@dataclass(slots=True)
class Example:
    doc: str
    line: int
    role: str
    command: str
    method: str
    path: str  # with its query string and placeholders
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    expected: Expected = field(default_factory=Expected)

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


# --------------------------------------------------------------------------- reading a doc


def read_examples(path: Path) -> list[Example]:
    """Every example request of a doc, in order, with its role and expected answer."""
    lines = path.read_text(encoding="utf-8").splitlines()
    examples: list[Example] = []
    role: str | None = None
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if not fence:
            index += 1
            continue
        info, start = fence.group(2).split(), index + 1
        end = _closing_fence(lines, start, fence.group(1))
        if info[:2] == ["sh", "example"]:
            role = _read_block(path.name, lines, start, end, role, examples)
        elif info[:2] == ["json", "response"]:
            _attach_response(path.name, lines, start, end, examples)
        index = end + 1
    return examples


def commands_outside_examples(path: Path) -> list[tuple[int, str]]:
    """API calls in shell blocks that are not marked as examples (the completeness check)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[tuple[int, str]] = []
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if not fence:
            index += 1
            continue
        info, start = fence.group(2).split(), index + 1
        end = _closing_fence(lines, start, fence.group(1))
        if info[:1] == ["sh"] and info[1:2] != ["example"]:
            for number in range(start, end):
                text = lines[number].strip()
                if _COMMAND.match(text) and ("$API" in text or API_PREFIX + "/" in text):
                    found.append((number + 1, text))
        index = end + 1
    return found


def _closing_fence(lines: list[str], start: int, opening: str) -> int:
    closing = re.compile(rf"^ {{0,3}}`{{{len(opening)},}}\s*$")
    for number in range(start, len(lines)):
        if closing.match(lines[number]):
            return number
    raise DocsExampleError(f"unclosed code block from line {start}")


def _read_block(doc: str, lines: list[str], start: int, end: int, role: str | None, out: list[Example]) -> str | None:
    number = start
    while number < end:
        text = lines[number].strip()
        if match := _ROLE.match(text):
            role = match.group(1)
            number += 1
            continue
        if not _COMMAND.match(text):
            number += 1
            continue
        first = number
        command, number = _gather_command(lines, number, end)
        if role is None:
            raise DocsExampleError(f"{doc}:{first + 1}: an example before any '# as <role>' line")
        example = _parse_command(doc, first + 1, role, command)
        example.expected, number = _gather_expectation(doc, lines, number, end)
        out.append(example)
    return role


def _gather_command(lines: list[str], number: int, end: int) -> tuple[str, int]:
    """The command from this line on: continued after a backslash or inside an open quote."""
    parts: list[str] = []
    while number < end:
        line = lines[number].rstrip()
        number += 1
        if line.endswith("\\"):
            parts.append(line[:-1])
            continue
        parts.append(line)
        try:
            shlex.split("\n".join(parts), comments=True)
        except ValueError:  # an open quote: the body goes on
            continue
        break
    return "\n".join(parts), number


def _gather_expectation(doc: str, lines: list[str], number: int, end: int) -> tuple[Expected, int]:
    if number >= end:
        return Expected(), number
    text = lines[number].strip()
    status_match = _STATUS.match(text)
    if status_match:
        status, rest = int(status_match.group(1)), status_match.group(2).strip()
    elif text.startswith("# {") or text.startswith("# ["):
        status, rest = None, text[2:].strip()
    else:
        return Expected(), number
    number += 1
    if not rest or rest == ELLIPSIS:
        return Expected(status=status), number
    if not rest.startswith(("{", "[")):
        return Expected(status=status, media_type=rest.split()[0]), number
    source = rest
    while not _balanced(source) and number < end and lines[number].strip().startswith("#"):
        source += "\n" + lines[number].strip()[1:]
        number += 1
    try:
        pattern = parse_pattern(source)
    except ValueError as exc:
        raise DocsExampleError(f"{doc}:{number}: the answer shown is not readable: {exc}") from exc
    return Expected(status=status, body=pattern), number


def _attach_response(doc: str, lines: list[str], start: int, end: int, examples: list[Example]) -> None:
    if not examples:
        raise DocsExampleError(f"{doc}:{start}: a json response block with no example before it")
    last = examples[-1]
    try:
        pattern = parse_pattern("\n".join(lines[start:end]))
    except ValueError as exc:
        raise DocsExampleError(f"{doc}:{start}: the response shown is not readable: {exc}") from exc
    last.expected = Expected(status=last.expected.status, body=pattern)


def _balanced(source: str) -> bool:
    depth = 0
    for token in _tokens(source):
        if token in ("{", "["):
            depth += 1
        elif token in ("}", "]"):
            depth -= 1
    return depth <= 0


def _parse_command(doc: str, line: int, role: str, command: str) -> Example:
    words = shlex.split(command, comments=True)
    program, args = words[0], words[1:]
    method: str | None = None
    headers: dict[str, str] = {}
    body: str | None = None
    url: str | None = None
    if program == "api":
        headers["content-type"] = "application/json"
    position = 0
    while position < len(args):
        word = args[position]
        if word == "-X":
            method, position = args[position + 1], position + 2
        elif word == "-H":
            name, _, value = args[position + 1].partition(":")
            if name.strip().lower() != "authorization":
                headers[name.strip().lower()] = value.strip()
            position += 2
        elif word in ("-d", "--data", "--data-raw"):
            body, position = args[position + 1], position + 2
        elif word == "-o":
            position += 2
        elif word.startswith("-"):
            position += 1  # -s, -i and the like change nothing the test checks
        else:
            url, position = word, position + 1
    if url is None:
        raise DocsExampleError(f"{doc}:{line}: no URL in {command!r}")
    return Example(
        doc=doc,
        line=line,
        role=role,
        command=command,
        method=method or ("POST" if body is not None else "GET"),
        path=_path_of(doc, line, url),
        headers=headers,
        body=body,
    )


def _path_of(doc: str, line: int, url: str) -> str:
    url = url.replace("$API", "http://127.0.0.1:8000" + API_PREFIX)
    parts = urlsplit(url)
    if not parts.path.startswith(API_PREFIX):
        raise DocsExampleError(f"{doc}:{line}: {url} is not under {API_PREFIX}")
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --------------------------------------------------------------------------- answers as patterns


class _Any:
    def __repr__(self) -> str:
        return ELLIPSIS


ANY = _Any()


@dataclass(frozen=True, slots=True)
class ListPattern:
    items: list[Any]
    more: bool  # a `…` in the list: further items may follow those shown


_TOKEN = re.compile(
    r'\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|…|<[a-z][a-z0-9 _-]*>|[{}\[\]:,])', re.S
)


def _tokens(source: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    source = source.rstrip()
    while position < len(source):
        match = _TOKEN.match(source, position)
        if not match:
            raise ValueError(f"unexpected text at {source[position : position + 20]!r}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def parse_pattern(source: str) -> Any:
    """JSON in which `…` may stand for a value, for more keys or for more items."""
    tokens = _tokens(source)
    value, position = _value(tokens, 0)
    if position != len(tokens):
        raise ValueError(f"text after the value: {' '.join(tokens[position : position + 5])}")
    return value


def _value(tokens: list[str], position: int) -> tuple[Any, int]:
    token = tokens[position]
    if token == "{":
        return _object(tokens, position + 1)
    if token == "[":
        return _array(tokens, position + 1)
    if token == ELLIPSIS:
        return ANY, position + 1
    if token in ("}", "]", ":", ","):
        raise ValueError(f"unexpected {token!r}")
    if token.startswith("<"):  # a bare placeholder (a number, say) reads as the quoted one
        return token, position + 1
    return json.loads(token), position + 1


def _object(tokens: list[str], position: int) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    while tokens[position] != "}":
        if tokens[position] == ELLIPSIS:
            position += 1
        else:
            key = json.loads(tokens[position])
            if tokens[position + 1] != ":":
                raise ValueError(f"expected ':' after {key!r}")
            out[key], position = _value(tokens, position + 2)
        if tokens[position] == ",":
            position += 1
    return out, position + 1


def _array(tokens: list[str], position: int) -> tuple[ListPattern, int]:
    items: list[Any] = []
    more = False
    while tokens[position] != "]":
        if tokens[position] == ELLIPSIS:
            more, position = True, position + 1
        else:
            item, position = _value(tokens, position)
            items.append(item)
        if tokens[position] == ",":
            position += 1
    return ListPattern(items, more), position + 1


def match(pattern: Any, actual: Any, bindings: dict[str, Any], where: str = "$") -> None:
    """Check `actual` against the doc's pattern, taking the values of new placeholders."""
    if pattern is ANY:
        return
    if isinstance(pattern, dict):
        if not isinstance(actual, dict):
            raise DocsExampleError(f"{where}: expected an object, got {actual!r}")
        for key, value in pattern.items():
            if key not in actual:
                raise DocsExampleError(f"{where}: no key {key!r} (keys: {sorted(actual)})")
            match(value, actual[key], bindings, f"{where}.{key}")
        return
    if isinstance(pattern, ListPattern):
        if not isinstance(actual, list):
            raise DocsExampleError(f"{where}: expected a list, got {actual!r}")
        if len(actual) < len(pattern.items) or (not pattern.more and len(actual) != len(pattern.items)):
            raise DocsExampleError(f"{where}: expected {len(pattern.items)} item(s), got {len(actual)}")
        for index, item in enumerate(pattern.items):
            match(item, actual[index], bindings, f"{where}[{index}]")
        return
    if isinstance(pattern, str):
        _match_string(pattern, actual, bindings, where)
        return
    if pattern != actual or isinstance(pattern, bool) != isinstance(actual, bool):
        raise DocsExampleError(f"{where}: expected {pattern!r}, got {actual!r}")


def _match_string(pattern: str, actual: Any, bindings: dict[str, Any], where: str) -> None:
    whole = PLACEHOLDER.fullmatch(pattern)
    if whole:
        name = whole.group(1)
        if name not in bindings:
            bindings[name] = actual
        elif bindings[name] != actual:
            raise DocsExampleError(f"{where}: <{name}> is {bindings[name]!r}, got {actual!r}")
        return
    if ELLIPSIS not in pattern and not PLACEHOLDER.search(pattern):
        if pattern != actual:
            raise DocsExampleError(f"{where}: expected {pattern!r}, got {actual!r}")
        return
    if not isinstance(actual, str):
        raise DocsExampleError(f"{where}: expected a string like {pattern!r}, got {actual!r}")
    groups: dict[str, str] = {}
    regex = ""
    for piece in re.split(r"(…|<[a-z][a-z0-9 _-]*>)", pattern):
        if piece == ELLIPSIS:
            regex += ".*?"
        elif (placeholder := PLACEHOLDER.fullmatch(piece)) and placeholder.group(1) not in bindings:
            group = f"g{len(groups)}"
            groups[group] = placeholder.group(1)
            regex += f"(?P<{group}>.+?)"
        elif placeholder:
            regex += re.escape(str(bindings[placeholder.group(1)]))
        else:
            regex += re.escape(piece)
    found = re.fullmatch(regex, actual, re.S)
    if not found:
        raise DocsExampleError(f"{where}: expected {pattern!r}, got {actual!r}")
    for group, name in groups.items():
        bindings[name] = found.group(group)


def fill(text: str, bindings: dict[str, Any], where: str) -> str:
    """A request's path or body with its placeholders replaced by their values."""
    if ELLIPSIS in text:
        raise DocsExampleError(f"{where}: a request with '…' in it cannot run; name the value <like this>")

    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in bindings:
            raise DocsExampleError(f"{where}: <{name}> is used before an answer gave it a value")
        return str(bindings[name])

    return PLACEHOLDER.sub(value, text)
