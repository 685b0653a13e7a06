"""`cortex check --claims`: numbers in a hypothesis, verdict or analysis that are neither quoted,
cited nor marked, each at its line and column; and the `n` shortcode that marks one."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support.results_site import populated_site, results_of

from cortex.cli import main
from cortex.diagnostics import Code, Level
from cortex.experiments.claims import numbers, unsourced_numbers, values_of
from cortex.experiments.declaration import load_experiment
from cortex.experiments.pages import experiment_pages

DECLARATION = """\
---
title: Squares
status: analysed
hypothesis: >-
  Squaring takes about 3 µs {{< n "(1998)" >}}, as measured before [@knuth1998art].
verdict: >-
  Refuted: it took 7 µs.
device: cpu
params:
  n: [128, 4096]
script: squares.py:run
metrics:
  time: {unit: us, better: lower}
---

## Method

Nothing here is checked: 12 steps of 5.

## Analysis

Quoted: {{< result squares time n=128 >}}. Cited: about 41 % of the peak [@knuth1998art].
Marked: {{< n "8×8" >}} images. At n = 4096 (a parameter) it is fine; fp8 and H100 are names.
A bare number: 0.93 of the time, and `code 17` is code, and so is [a link](https://x.org/42).

1. A list item's number is not a claim, 1999 is.

## Related

Out of the analysis: 55.
"""


def spec_from(tmp_path: Path, text: str = DECLARATION):
    path = tmp_path / "experiments" / "squares.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    (tmp_path / "squares.py").write_text("def run(point, bench):\n    return {}\n", "utf-8")
    spec, diagnostics = load_experiment(path, tmp_path)
    assert spec is not None, diagnostics
    return spec


def found(tmp_path: Path, text: str = DECLARATION) -> dict[str, tuple[int, int]]:
    """{the number's text: (line, column)} of every number listed."""
    diagnostics = unsourced_numbers(spec_from(tmp_path, text), text)
    assert all(d.code is Code.UNSOURCED_NUMBER and d.level is Level.WARNING for d in diagnostics)
    return {d.message.split("`")[1]: (d.line, d.col) for d in diagnostics}


def test_only_bare_numbers_are_listed_each_at_its_line_and_column(tmp_path: Path):
    listed = found(tmp_path)
    assert listed == {"7": (7, 20), "0.93": (24, 16), "1999": (26, 41)}
    lines = DECLARATION.split("\n")
    for token, (line, col) in listed.items():
        assert lines[line - 1][col - 1 :].startswith(token)


def test_the_message_says_how_to_quote_cite_or_mark(tmp_path: Path):
    text = DECLARATION
    [message] = [d.message for d in unsourced_numbers(spec_from(tmp_path), text) if "`0.93`" in d.message]
    assert "in the analysis" in message
    assert "{{< result squares" in message and '{{< n "0.93" >}}' in message


def test_a_cited_sentence_covers_its_numbers_and_no_other(tmp_path: Path):
    text = DECLARATION.replace("Refuted: it took 7 µs.", "Refuted: it took 7 µs [@knuth1998art]. Then 9.")
    assert set(found(tmp_path, text)) == {"9", "0.93", "1999"}


def test_a_block_indicator_digit_is_syntax_not_a_number(tmp_path: Path):
    text = DECLARATION.replace("verdict: >-\n  Refuted", "verdict: >2-\n  Refuted")
    assert "2" not in found(tmp_path, text)


@pytest.mark.parametrize(
    ("token", "values"),
    [("4096³", [4096.0, 4096.0**3]), ("10⁻³", [10.0, 0.001]), ("2^-9", [2.0, 2.0**-9]), ("5%", [5.0, 0.05])],
)
def test_a_token_names_its_digits_and_its_value(token: str, values: list[float]):
    assert values_of(token) == pytest.approx(values)


@pytest.mark.parametrize(
    "text", ["fp8", "H100", "float32", "2D", "16-bit", "FlashAttention-2", "x_1", "v1.2", "1/u"]
)
def test_a_number_inside_a_name_is_not_listed(text: str):
    assert list(numbers(f"In {text} here.")) == []


def test_the_n_shortcode_shows_its_text_in_a_verdict_and_a_problem_lands_on_the_key(tmp_path: Path):
    root = populated_site(tmp_path)
    declaration = root / "experiments" / "squares.md"
    source = declaration.read_text("utf-8")
    verdict = "verdict: 'Confirmed for {{< n \"8×8\" >}} tiles at {{< result squares time n=3 >}}; {{< n >}}'"
    declaration.write_text(source.replace("verdict: Confirmed for every n tried.", verdict), "utf-8")
    results = results_of(root)
    pages, diagnostics = experiment_pages(results)
    page = pages["experiments/squares.md"]
    assert '**Verdict.** Confirmed for 8×8 tiles at [<span class="cortex-quote"' in page
    [problem] = [d for d in diagnostics if d.code is Code.BAD_QUOTE]
    assert (problem.line, problem.col) == (5, 1) and "`n` needs the text it marks" in problem.message


def test_cortex_check_claims_lists_them_and_fails_with_w(tmp_path: Path):
    root = populated_site(tmp_path)
    declaration = root / "experiments" / "squares.md"
    source = declaration.read_text("utf-8")
    declaration.write_text(source + "\n## Analysis\n\nIt ran in 0.93 s.\n", "utf-8")
    runner = CliRunner()
    plain = runner.invoke(main, ["check", str(root / "content")])
    assert "unsourced-number" not in plain.output and "0.93" not in plain.output
    claims = runner.invoke(main, ["check", str(root / "content"), "--claims", "-W", "--format", "json"])
    assert claims.exit_code == 1
    assert '"code": "unsourced-number"' in claims.output and "`0.93` in the analysis" in claims.output
