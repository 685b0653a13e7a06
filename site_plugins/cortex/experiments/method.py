"""The research method's steps as checks: what an experiment must have before its ``status``
moves on (``cortex advance``), and the one edit that moves it.

The statuses follow the method's classic cycle, idea → hypothesis → experiment → analysis →
report (``content/method/index.md``), one status per stage:

- ``idea``: written down and being weighed (Idea Generation, Assessing Implications). Needs nothing.
- ``planned``: "the hypothesis is stated, the metrics and parameters are fixed": a hypothesis,
  declared metrics, and a script that exists (the declaration would not load otherwise).
- ``running``: "the code exists and results are being produced": what ``planned`` needs.
- ``analysed``: "the hypothesis has been judged": a fresh result, and a verdict.
- ``reported``: "the conclusion is written up and linked from the notes": the declaration's
  analysis section (as ``cortex check --claims`` finds it), and a note that quotes the
  experiment with a shortcode (``{{< experiment ID >}}``, ``{{< result ID … >}}``, a table or a
  figure), or a report of it under ``reports/`` (``reports/<id>.pdf`` and the like).

A status's needs include those of every status before it, so a stale result is never reported
and ``--to`` may skip steps only when every skipped step's needs are met too. Going back (an
analysis that refutes the hypothesis sends it back to ``planned``) needs what the earlier
status needs.

Pure Python: the CLI (``cortex.cli.method``) loads the knowledge base and passes the pieces in.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cortex.diagnostics import Code, Diagnostic, diagnostic
from cortex.experiments.claims import regions
from cortex.experiments.declaration import STATUSES, ExperimentSpec
from cortex.experiments.quotes import SHORTCODE
from cortex.experiments.store import ResultSet
from cortex.text.front_matter import front_matter_span
from cortex.text.markdown import protected_regions

REPORTS_DIR = "reports"  # where a report of an experiment is written: reports/<id>.<format>
# the shortcodes whose first argument is an experiment: what quoting an experiment means
QUOTING_KINDS = ("result", "table", "figure", "experiment")
_STATUS_LINE = re.compile(
    r"^(?P<head>status[ \t]*:[ \t]*)(?P<quote>[\"']?)(?P<value>[A-Za-z]+)(?P=quote)[ \t]*(?:#[^\r\n]*)?\r?$",
    re.M,
)


@dataclass(frozen=True)
class Project:
    """What the needs are checked against, beyond the declaration itself: the results (for
    freshness), the notes' Markdown by path (for quotes) and the repository root (for reports)."""

    results: ResultSet
    notes: Mapping[str, str]
    root: Path


@dataclass(frozen=True)
class Move:
    """A status change asked for, and the needs of its target that are not met."""

    exp_id: str
    current: str
    target: str
    unmet: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return not self.unmet


def next_status(status: str) -> str | None:
    """The step after ``status``; None after the last."""
    i = STATUSES.index(status)
    return STATUSES[i + 1] if i + 1 < len(STATUSES) else None


def plan_move(spec: ExperimentSpec, project: Project, target: str | None = None) -> Move:
    """The move of ``spec`` one step on (or to ``target``), with every unmet need of it.
    ValueError for a target that is no status, the current one, or none after the last."""
    if target is None:
        target = next_status(spec.status)
        if target is None:
            raise ValueError(
                f"`{spec.id}` is {spec.status}, the method's last step; name an earlier one with --to"
            )
    if target not in STATUSES:
        raise ValueError(f"`{target}` is not a status (one of {' | '.join(STATUSES)})")
    if target == spec.status:
        raise ValueError(f"`{spec.id}` is {target} already")
    return Move(spec.id, spec.status, target, tuple(unmet_needs(spec, target, project)))


def unmet_needs(spec: ExperimentSpec, status: str, project: Project) -> list[str]:
    """What ``spec`` lacks to stand at ``status``: the needs of it and of every status before it,
    each a sentence saying what to do."""
    rank = STATUSES.index(status)
    unmet: list[str] = []
    if rank >= STATUSES.index("planned"):
        unmet += _planned(spec)
    if rank >= STATUSES.index("analysed"):
        unmet += _analysed(spec, project.results)
    if rank >= STATUSES.index("reported"):
        unmet += _reported(spec, project)
    return unmet


def _planned(spec: ExperimentSpec) -> list[str]:
    unmet = []
    if not spec.hypothesis:
        unmet.append(
            "a hypothesis: add `hypothesis:` naming a measurable quantity, a comparison and a "
            "direction, and what result would show it false"
        )
    if not spec.metrics:
        unmet.append("metrics: declare `metrics:` with each one's unit and which direction is better")
    if not spec.script:
        unmet.append("a script: add `script: experiments/<file>.py:<function>` pointing at code that exists")
    return unmet


def _analysed(spec: ExperimentSpec, results: ResultSet) -> list[str]:
    unmet = []
    state = results.state(spec.id)
    if state.state == "never-run":
        reason = f" ({'; '.join(state.reasons)})" if state.reasons else ""
        unmet.append(f"a fresh result: the experiment has none{reason}; run it (`cortex run {spec.id}`)")
    elif not state.fresh:
        unmet.append(
            f"a fresh result: the result is stale ({'; '.join(state.reasons)}); rerun it (`cortex rerun {spec.id}`)"
        )
    if not spec.verdict:
        unmet.append("a verdict: add `verdict:` saying what the result showed about the hypothesis")
    return unmet


def _reported(spec: ExperimentSpec, project: Project) -> list[str]:
    unmet = []
    if not has_analysis(spec):
        unmet.append(
            "the analysis: write a `## Analysis` section below the front matter comparing the "
            "results with the prediction"
        )
    if not quoted_in(spec.id, project.notes) and not reports_of(spec.id, project.root):
        unmet.append(
            f"a report or a page that quotes it: quote it in a note ({{{{< experiment {spec.id} >}}}} "
            f"or {{{{< result {spec.id} … >}}}}), or write a report under `{REPORTS_DIR}/`"
        )
    return unmet


def has_analysis(spec: ExperimentSpec) -> bool:
    """Whether the declaration's prose has an analysis section with text in it: a section headed
    Analysis, Results, Verdict or Conclusion, found as ``cortex check --claims`` finds it."""
    try:
        source = Path(spec.path).read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return any(r.where == "analysis" and r.text.strip() for r in regions(spec, source))


def quoted_in(exp_id: str, pages: Mapping[str, str]) -> list[str]:
    """The pages (by path, from ``{path: Markdown}``) with a shortcode quoting ``exp_id``; a
    shortcode in code, in a comment or written literally (``{{{< … >}}}``) does not count."""
    return sorted(path for path, text in pages.items() if exp_id in text and quotes(exp_id, text))


def quotes(exp_id: str, text: str) -> bool:
    """Whether ``text`` has a shortcode whose first argument is ``exp_id``."""
    protected = protected_regions(text)
    for m in SHORTCODE.finditer(text):
        literal = m.group(1) and m.group(4)
        if literal or m.group(2) not in QUOTING_KINDS or protected.covers(m.start()):
            continue
        args = m.group(3).split()
        if args and args[0].strip("\"'") == exp_id:
            return True
    return False


def reports_of(exp_id: str, root: Path) -> list[Path]:
    """The report files of ``exp_id``: ``reports/<id>.<format>``."""
    folder = Path(root) / REPORTS_DIR
    return sorted(p for p in folder.glob(f"{exp_id}.*") if p.is_file()) if folder.is_dir() else []


def with_status(text: str, status: str) -> str:
    """``text`` (a declaration, as written) with the value of its top-level ``status:`` line
    replaced by ``status``, and every other character as it was: quotes, a comment, line endings.
    ValueError when there is no front matter or no single ``status: <word>`` line in it."""
    if status not in STATUSES:
        raise ValueError(f"`{status}` is not a status (one of {' | '.join(STATUSES)})")
    span = front_matter_span(text)
    if span is None:
        raise ValueError("the declaration has no front matter")
    yaml_text, start, _ = span
    found = list(_STATUS_LINE.finditer(yaml_text))
    if len(found) != 1:
        raise ValueError(
            "the front matter needs exactly one top-level line `status: <status>` to edit"
            f" (found {len(found)})"
        )
    begin, end = start + found[0].start("value"), start + found[0].end("value")
    return text[:begin] + status + text[end:]


def unknown_motivation(specs: Iterable[ExperimentSpec], known: Container[str]) -> list[Diagnostic]:
    """An error for every motivating paper whose key no entry in refs/*.bib has, at the key."""
    found = []
    for spec in specs:
        keys = spec.assessment.motivation if spec.assessment else ()
        for i, key in enumerate(keys):
            if key not in known:
                where = spec.position_of("assessment", "motivation", i)
                message = f"`motivation` cites '{key}', which no entry in refs/*.bib has"
                found.append(diagnostic(Code.UNKNOWN_CITATION, spec.path, *where, message))
    return found
