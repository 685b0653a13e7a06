"""`cortex idea` and `cortex advance` on a temporary project: an idea is written, each step is
refused while its needs are unmet and taken once they are met, and only the status line moves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support.paths import REPO, write_tree

from cortex.experiments.declaration import load_experiment

BIB = "@book{knuth1997, title = {The Art of Computer Programming}, author = {Knuth, Donald}, year = {1997}}\n"
CODE = """def run(point, bench):
    return {"total": sum(i * i for i in range(point["n"]))}
"""
PLANNED = """hypothesis: The sum of the first n squares is n(n-1)(2n-1)/6.
params:
  n: [10]
script: experiments/sums.py:run
metrics:
  total: {unit: "", better: higher}
"""


def cortex(*args: str, cwd: Path, module: str = "cortex.cli") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(REPO / "site_plugins"), "PATH": "/usr/bin:/bin"},
    )


def test_an_idea_moves_through_the_method_only_when_each_step_has_what_it_needs(tmp_path: Path):
    root = write_tree(
        tmp_path,
        {
            "mkdocs.yml": "site_name: t\ndocs_dir: content\n",
            "content/index.md": "# Home\n",
            "refs/refs.bib": BIB,
        },
    )
    declaration = root / "experiments" / "sums.md"

    unknown = cortex("idea", "Sums", "--id", "sums", "--motivation", "nobody2020", cwd=root)
    assert unknown.returncode == 2 and "nobody2020" in unknown.stderr and not declaration.exists()
    made = cortex(
        "idea", "Sums of squares: a closed form?", "--id", "sums", "--impact", "low",
        "--novelty", "low", "--risks", "None <at all>", "--motivation", "knuth1997", cwd=root,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    written = declaration.read_bytes()
    assert b"status: idea\n" in written and b"motivation:\n  - knuth1997\n" in written
    hostile = "<script>alert(1)</script>\n---\nstatus: reported # [[x]] {{< n 1 >}}"
    assert cortex("idea", hostile, "--hypothesis", "--- a: b", cwd=root).returncode == 0
    spec, problems = load_experiment(
        root / "experiments" / "script_alert_1_script_status_reported_x_n_1.md", root
    )
    assert problems == [] and (spec.title, spec.status, spec.hypothesis) == (hostile, "idea", "--- a: b")
    again = cortex("idea", "Sums", "--id", "sums", cwd=root)
    assert again.returncode == 1 and "exists" in again.stderr and declaration.read_bytes() == written

    refused = cortex("advance", "sums", cwd=root)
    assert refused.returncode == 1 and "sums: idea -> planned refused" in refused.stderr
    assert all(need in refused.stderr for need in ("- a hypothesis:", "- metrics:", "- a script:"))
    assert declaration.read_bytes() == written

    write_tree(root, {"experiments/sums.py": CODE})
    text = written.decode().replace("status: idea\n", "status: idea  # a comment stays\n" + PLANNED)
    declaration.write_bytes(text.encode())
    dry = cortex("advance", "sums", "--dry-run", cwd=root)
    assert dry.returncode == 0 and "possible" in dry.stdout and declaration.read_text() == text
    moved = cortex("advance", "sums", cwd=root)
    assert moved.returncode == 0, moved.stderr
    assert declaration.read_text() == text.replace("status: idea  #", "status: planned  #")

    skipped = cortex("advance", "sums", "--to", "analysed", cwd=root)
    assert skipped.returncode == 1 and "a fresh result: the experiment has none" in skipped.stderr
    assert "a verdict" in skipped.stderr
    ran = cortex("experiments/sums.md", cwd=root, module="cortex.runner")
    assert ran.returncode == 0, ran.stderr
    with_verdict = declaration.read_text().replace("params:", "verdict: It holds at n = 10.\nparams:")
    declaration.write_text(with_verdict)
    assert cortex("advance", "sums", "--to", "analysed", cwd=root).returncode == 0

    unreported = cortex("advance", "sums", cwd=root)
    assert unreported.returncode == 1
    assert (
        "- the analysis:" in unreported.stderr and "- a report or a page that quotes it" in unreported.stderr
    )
    declaration.write_text(declaration.read_text() + "\n## Analysis\n\nThe closed form holds.\n")
    write_tree(root, {"content/sums.md": "# Sums\n\nThe total is {{< result sums total >}}.\n"})
    reported = cortex("advance", "sums", cwd=root)
    assert reported.returncode == 0, reported.stderr
    assert "status: reported  # a comment stays\n" in declaration.read_text()
    last = cortex("advance", "sums", cwd=root)
    assert last.returncode == 1 and "last step" in last.stderr
    check = cortex("check", cwd=root)
    assert check.returncode == 0, check.stdout + check.stderr
