"""The input gate's two scans, on plain values: JSON nesting depth on raw bytes, and the path of a NUL."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.input_guard import json_depth_exceeds, nul_path


def depth_of(value: Any) -> int:
    """How deeply arrays and objects nest in a decoded document (iteratively, like the gate)."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


# strings full of the characters the scanner must not be fooled by
tricky_text = st.text(alphabet='[]{}"\\\x00ab/\n\u2028é', max_size=12)
documents = st.recursive(
    st.none() | st.booleans() | st.integers() | tricky_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(tricky_text, children, max_size=3),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(documents, st.integers(min_value=0, max_value=12))
def test_the_byte_scan_measures_the_depth_the_decoder_sees(document: Any, limit: int) -> None:
    assert json_depth_exceeds(msgspec.json.encode(document), limit) == (depth_of(document) > limit)


@pytest.mark.parametrize(
    ("body", "too_deep"),
    [
        (b"[[[1]]]", False),
        (b"[[[[1]]]]", True),
        (b'["[[[[[[", "]]]]"]', False),
        (b'{"a\\"[[[[": [[1]]}', False),  # an escaped quote does not end the string
        (b'["\\\\", [[[1]]]]', True),  # an escaped backslash does: the brackets after it count
        (b'["unterminated [[[[[[', False),
        (b"[" * 100_000, True),
        (b"]]]]]]][[[", False),
    ],
)
def test_edge_cases_of_the_byte_scan(body: bytes, too_deep: bool) -> None:
    assert json_depth_exceeds(body, 3) is too_deep


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"name": "a\x00"}, "name"),
        ({"lines": [{"note": "ok"}, {"note": "x\x00"}]}, "lines[1].note"),
        ({"a": {"b\x00": 1}}, "a.b\\u0000"),
        ([["ok", "\x00"]], "[0][1]"),
        ("\x00", ""),
        ({"first": "\x00", "second": "\x00"}, "first"),
        ({"clean": ["a", {"b": 1, "c": None, "d": True}]}, None),
    ],
)
def test_the_nul_path_names_the_first_offending_value(document: Any, path: str | None) -> None:
    assert nul_path(document) == path


def test_the_nul_walk_survives_documents_deeper_than_the_stack() -> None:
    document: Any = "\x00"
    for _ in range(5_000):
        document = [document]
    assert nul_path(document) == "[0]" * 5_000
