"""`cortex report` writes a PDF (and Typst, LaTeX and Markdown) whose text holds the title, the
numbers as the site quotes them, the commit and the references; on a small project of its own
and on a shipped experiment."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from pypdf import PdfReader
from support.cli import cortex as run_cortex
from support.paths import REPO, write_tree
from support.results_site import COMMIT, populated_site

HOSTILE_TITLE = "Squares #set page(width: 1cm) $x$ *b* _i_ <l> @r // c \\\\ [x](y)"
PROSE = r"""
## Analysis

At n = 3 a call took {{< result squares time n=3 >}}, and $x^2 = \frac{n}{2}$ grows
[@knuth1997, ch. 4]. A formula the site cannot read stays as written: $\nosuch{y}$.

{{< figure squares growth >}}
"""


def cortex(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The command as a user runs it, its home in the project (where Typst may keep a cache)."""
    return run_cortex(*args, cwd=cwd, env={"HOME": str(cwd)})


def pdf_text(path: Path) -> str:
    """The PDF's text with spacing, soft hyphens and typographic quotes as plain text has them."""
    text = " ".join(page.extract_text() for page in PdfReader(path).pages)
    text = text.replace("\u00ad\n", "").replace("\u00ad", "")
    return " ".join(text.split()).translate(str.maketrans("“”‘’", "\"\"''"))


def project(tmp_path: Path) -> Path:
    root = populated_site(tmp_path)
    write_tree(
        root,
        {
            "mkdocs.yml": "site_name: t\ndocs_dir: content\nplugins:\n  - cortex:\n      bibliography_style: plain\n",
            "content/notes/summary.md": "# Summary of squares\n\nSquares took {{< result squares time n=3 >}} "
            "[@knuth1997].%% a comment no reader sees %%\n\n> [!tip] Remember\n> this.\n",
            "refs/refs.bib": "@book{knuth1997, author = {Donald E. Knuth}, title = {The Art of Computer "
            "Programming, Volume 2: Seminumerical Algorithms}, publisher = {Addison-Wesley}, "
            "year = {1997}, edition = {third}}\n",
        },
    )
    declaration = root / "experiments" / "squares.md"
    text = declaration.read_text("utf-8")
    text = re.sub(r"^title: .*$", lambda _: "title: " + json.dumps(HOSTILE_TITLE), text, count=1, flags=re.M)
    declaration.write_text(text + PROSE, "utf-8")
    return root


def test_pdf_of_a_small_project_holds_its_title_numbers_commit_and_references(tmp_path):
    root = project(tmp_path)
    made = cortex("report", "squares", "--out", "out/squares.pdf", cwd=root)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "out/squares.pdf"
    assert "\\nosuch" in made.stderr and "nobody2020" in made.stderr  # reported, not fatal
    assert "\x1b" not in made.stderr and "loading" not in made.stderr  # no progress bar off a terminal
    text = pdf_text(root / "out" / "squares.pdf")
    assert " ".join(HOSTILE_TITLE.split()) in text
    assert "At n = 3 a call took 3.2 µs" in text  # the quote, as the site words it
    assert "{{<" not in text
    assert COMMIT in text and "Test GPU" in text
    assert "[1] Donald E. Knuth. The Art of Computer Programming, Volume 2: Seminumerical Algorithms" in text
    assert "grows [1, ch. 4]" in text
    assert "$\\nosuch{y}$" in text  # shown as its source
    assert "Figure 1: Growth" in text and text.count("Figure ") == 1  # drawn once, where the prose shows it
    assert not any(page.images for page in PdfReader(root / "out" / "squares.pdf").pages)  # vector only
    for heading in ("Hypothesis", "Verdict", "Results", "Baselines", "Provenance", "References"):
        assert heading in text


def test_typst_latex_and_markdown_sources_come_with_their_figures(tmp_path):
    root = project(tmp_path)
    for fmt, suffix, figure in (("typst", "typ", "svg"), ("latex", "tex", "pdf"), ("md", "md", "svg")):
        made = cortex("report", "squares", "--to", fmt, cwd=root)
        assert made.returncode == 0, made.stderr
        source = (root / "reports" / f"squares.{suffix}").read_text("utf-8")
        drawn = root / "reports" / "squares_figures" / f"squares-growth.{figure}"
        assert drawn.is_file() and drawn.stat().st_size > 1000
        assert f"squares_figures/squares-growth.{figure}" in source
        assert COMMIT in source
    typ = (root / "reports" / "squares.typ").read_text("utf-8")
    assert "$x^2 = n/2$" in typ and "\\#set page" in typ
    tex = (root / "reports" / "squares.tex").read_text("utf-8")
    assert "\\(x^2 = \\frac{n}{2}\\)" in tex and "\\#set page" in tex
    md = (root / "reports" / "squares.md").read_text("utf-8")
    assert "$x^2 = \\frac{n}{2}$" in md and md.startswith("# Squares #set page")


def test_unknown_and_never_run_experiments(tmp_path):
    root = project(tmp_path)
    unknown = cortex("report", "nope", cwd=root)
    assert unknown.returncode == 1
    assert "no experiment or note `nope`" in unknown.stderr and "squares" in unknown.stderr
    assert not (root / "reports" / "nope.pdf").exists()
    broken = cortex("report", "broken", cwd=root)
    assert broken.returncode == 1 and "the result of `broken` cannot be read" in broken.stderr
    assert "results/broken/result.json:" in broken.stderr
    never = cortex("report", "gpu", cwd=root)
    assert never.returncode == 0, never.stderr
    assert "`gpu` has no result: the report says it is not measured" in never.stderr
    text = pdf_text(root / "reports" / "gpu.pdf")
    assert "Needs a GPU" in text and "Not measured: needs CUDA." in text and "Provenance" not in text


def test_pdf_of_a_shipped_experiment(tmp_path):
    from cortex.experiments.declaration import load_experiments
    from cortex.experiments.quotes import render_quotes
    from cortex.experiments.store import ResultSet
    from cortex.report.prose import text_of_html

    shortcode = "{{< result compensated_summation kappa case=bfloat16-cancelling n=100 >}}"
    specs, _ = load_experiments(REPO)
    quoted, problems = render_quotes(shortcode, "notes/x.md", "x.md", ResultSet.load(specs, REPO))
    assert problems == []
    site_number = text_of_html(quoted.split("](")[0].lstrip("["))  # the number as the page shows it
    record = json.loads((REPO / "results" / "compensated_summation" / "result.json").read_text("utf-8"))

    out = tmp_path / "summation.pdf"
    made = cortex("report", "compensated_summation", "--out", str(out), cwd=REPO)
    assert made.returncode == 0, made.stderr
    text = pdf_text(out)
    assert "Compensated summation: error growth with n in float32, bfloat16 and float16" in text
    assert f"With κ = {site_number}, recursive summation" in text
    assert record["provenance"]["git"]["commit"] in text
    assert "Accuracy and Stability of Numerical Algorithms" in text
    assert len(PdfReader(out).pages) > 5


def test_pdf_of_a_note_and_the_experiments_it_quotes(tmp_path):
    root = project(tmp_path)
    made = cortex("report", "summary", cwd=root)
    assert made.returncode == 0, made.stderr
    text = pdf_text(root / "reports" / "summary.pdf")
    assert text.startswith("Summary of squares Note notes/summary.md · 1 experiment quoted")
    assert "Squares took 3.2 µs [1]." in text and "comment" not in text
    assert "Remember this." in text
    assert "The experiments quoted " + " ".join(HOSTILE_TITLE.split()) + " Hypothesis" in text
    assert "Squaring grows faster than doubling." in text and COMMIT in text
    assert "[1] Donald E. Knuth. The Art of Computer Programming" in text
    assert not (root / "content" / "notes" / "summary.pdf").exists()


def test_never_writes_over_a_source(tmp_path):
    root = project(tmp_path)
    note = root / "content" / "notes" / "summary.md"
    before = note.read_bytes()
    refused = cortex("report", "summary", "--to", "md", "--out", "content/notes/summary.md", cwd=root)
    assert refused.returncode == 1 and "is a source of the knowledge base" in refused.stderr
    assert note.read_bytes() == before
