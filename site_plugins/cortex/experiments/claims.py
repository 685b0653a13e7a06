"""Numbers an experiment states without a source: what ``cortex check --claims`` lists.

Every number in an experiment's hypothesis, verdict and analysis should come from somewhere a
reader can follow: a shortcode that quotes the result (``{{< result … >}}``), or a citation in
the same sentence (``[@key]``). A number that is meant as written (a year, a dimension, a
prediction made before the run) is marked ``{{< n "8×8" >}}``, which shows its text unchanged.

What is not a claim, and so never listed:
- a number inside a shortcode, code, a comment, a link's address or a wikilink;
- a number that is part of a name or a formula: ``fp8``, ``H100``, ``float32``, ``2D``, ``16-bit``,
  ``1/u``;
- a value of one of the experiment's own parameters (``at η = 10⁻³`` names a point);
- a list item's number.

The analysis is the body's section headed Analysis, Results, Verdict or Conclusion(s), down to
the next heading of the same or a higher level. Each number is a warning at its line and
column in the declaration.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from cortex.citations.syntax import BARE, GROUP
from cortex.diagnostics import Code, Diagnostic, diagnostic, line_col
from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.quotes import SHORTCODE
from cortex.text.markdown import protected_regions

CHECKED_KEYS = ("hypothesis", "verdict")
_SECTION = re.compile(r"^(#{1,6})[ \t]+(analysis|results?|verdict|conclusions?)\b", re.I | re.M)
_HEADING = re.compile(r"^(#{1,6})[ \t]", re.M)
_TOP_LEVEL_KEY = re.compile(r"^(?:[^\s#-][^:\n]*:|---)", re.M)
_BLOCK_INDICATOR = re.compile(r"[ \t]*[|>][-+0-9]*[ \t]*(?:#.*)?$")
_LINKS = re.compile(r"\]\([^)\n]*\)|\[\[[^\]\n]*\]\]|<https?://[^>\n]*>|https?://\S+")
_LIST_MARKER = re.compile(r"^[ \t>]*\d+[.)][ \t]", re.M)
_SENTENCE_END = re.compile(r"[.!?][)\"'”’]*(?=\s)|\n[ \t]*\n")

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
NUMBER = re.compile(
    r"(?<![\w.,^/\\])(?<!\w-)"  # not the tail of a name (FlashAttention-2), a decimal, a power, a path
    r"(?P<base>\d{1,3}(?:,\d{3})+|\d+)(?P<fraction>\.\d+)?(?P<exp>[eE][-+−]?\d+)?"
    r"(?P<super>[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+)?"  # 10⁻³
    r"(?:\^\(?(?P<power>[-+−]?\d+)\)?)?"  # 2^-9, 2^(−9)
    r"(?P<percent>%)?"
    r"(?![\w.]\w|\w|-[^\W\d]|/[^\W\d])"  # not the head of a name (2D, 16-bit) or a formula (1/u)
)


@dataclass(frozen=True)
class Region:
    """A stretch of the declaration whose numbers are checked: ``text`` starts at ``start``."""

    where: str  # how the message names it: "hypothesis", "verdict", "analysis"
    start: int
    text: str


def unsourced_numbers(spec: ExperimentSpec, source: str) -> list[Diagnostic]:
    """A warning for every number in ``spec``'s hypothesis, verdict and analysis that is not
    quoted, cited, marked or a parameter value. ``source`` is the declaration as written."""
    known = parameter_values(spec)
    found = []
    for region in regions(spec, source):
        for offset, token in numbers(region.text):
            if any(_same(v, known) for v in values_of(token)):
                continue
            line, col = line_col(source, region.start + offset)
            found.append(
                diagnostic(
                    Code.UNSOURCED_NUMBER,
                    str(spec.path),
                    line,
                    col,
                    f"`{token}` in the {region.where} has no source: quote it with {{{{< result {spec.id} … >}}}}, "
                    f'cite where it comes from in its sentence, or mark it {{{{< n "{token}" >}}}} if it is meant as written',
                )
            )
    return found


def regions(spec: ExperimentSpec, source: str) -> Iterator[Region]:
    """The hypothesis and verdict as written in the front matter, then the analysis sections."""
    for key in CHECKED_KEYS:
        if getattr(spec, key):
            region = _front_matter_value(spec, source, key)
            if region is not None:
                yield region
    body_start = len(source) - len(spec.prose) if source.endswith(spec.prose) else 0
    body = source[body_start:]
    for m in _SECTION.finditer(body):
        level = len(m.group(1))
        end = len(body)
        for heading in _HEADING.finditer(body, m.end()):
            if len(heading.group(1)) <= level:
                end = heading.start()
                break
        yield Region("analysis", body_start + m.end(), body[m.end() : end])


def _front_matter_value(spec: ExperimentSpec, source: str, key: str) -> Region | None:
    line, col = spec.position_of(key)
    lines = source.split("\n")
    if not 1 <= line <= len(lines) or not lines[line - 1][col - 1 :].startswith(key):
        return None
    start = sum(len(text) + 1 for text in lines[: line - 1]) + col - 1 + len(key) + 1  # after `key:`
    first_line_end = source.find("\n", start)
    if _BLOCK_INDICATOR.match(source, start, first_line_end if first_line_end != -1 else len(source)):
        start = first_line_end + 1  # `>-` and its indentation digit are syntax, not text
    following = _TOP_LEVEL_KEY.search(source, first_line_end + 1 if first_line_end != -1 else len(source))
    end = following.start() if following else len(source)
    return Region(key, start, source[start:end])


def numbers(text: str) -> Iterator[tuple[int, str]]:
    """(offset, token) of every number in ``text`` that is not exempt by where it stands."""
    masked = _mask(text)
    cited = [(start, end) for start, end in _sentences(masked) if _cites(text[start:end])]
    for m in NUMBER.finditer(masked):
        if any(start <= m.start() < end for start, end in cited):
            continue
        yield m.start(), m.group(0)


def _mask(text: str) -> str:
    """``text`` with shortcodes, code, comments, link addresses and list markers blanked out
    (same length, so offsets still point into the original)."""
    chars = list(text)
    spans = [
        (m.start(), m.end()) for pattern in (SHORTCODE, _LINKS, _LIST_MARKER) for m in pattern.finditer(text)
    ]
    spans += protected_regions(text).spans
    for start, end in spans:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    """[start, end) of each sentence: up to a full stop, question or exclamation mark followed
    by a space, or a blank line."""
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        yield pos, m.end()
        pos = m.end()
    yield pos, len(text)


def _cites(sentence: str) -> bool:
    return bool(GROUP.search(sentence) or BARE.search(sentence))


def values_of(token: str) -> list[float]:
    """What a number token can stand for: its digits, and its value with any exponent or power
    applied (``4096³`` names 4096, ``10⁻³`` names 0.001, ``5%`` names 0.05 and 5)."""
    m = NUMBER.fullmatch(token)
    if m is None:
        return []
    base = float(m["base"].replace(",", "") + (m["fraction"] or "") + (m["exp"] or "").replace("−", "-"))
    values = [base]
    exponent = m["power"] or (m["super"].translate(_SUPERSCRIPTS) if m["super"] else None)
    if exponent:
        with contextlib.suppress(OverflowError, ValueError, ZeroDivisionError):
            values.append(base ** int(exponent.replace("−", "-")))
    if m["percent"]:
        values.append(base / 100)
    return values


def parameter_values(spec: ExperimentSpec) -> set[float]:
    """Every numeric value a parameter takes, in any size."""
    found: set[float] = set()
    for size in (None, *spec.sizes):
        for point in spec.points(size):
            for value in point.values():
                values = value if isinstance(value, list) else [value]
                found.update(
                    float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)
                )
    return found


def _same(value: float, known: set[float]) -> bool:
    return any(math.isclose(value, k, rel_tol=1e-9, abs_tol=0.0) for k in known)
