"""The research board, ``method/board.md``: every experiment as a card in the column of the
step of the research method it has reached (idea → planned → running → analysed → reported),
with its assessment (impact, feasibility and novelty as badges; risks, hypothesis and the papers
that motivate it folded), its freshness and its age; and the summaries a front page quotes of
it: the latest results and where experiments stand.

An experiment's age is the days since its declaration's ``created`` date (``cortex idea`` writes
it), else since its first recorded run, counted on the day the site is built: the board is
rebuilt with every build, and a date in the files is the same on every clone (a file's time or
git's history is not, and reading git would tie the core to it)."""

from __future__ import annotations

import re
from datetime import date

from markupsafe import escape

from cortex.citations.syntax import KEY
from cortex.experiments.declaration import ASSESSMENT_AXES, STATUSES, ExperimentSpec
from cortex.experiments.display import attr, experiment_page_path, link_from, not_run_reason, run_date
from cortex.experiments.pages import headline, prose_field, state_badge
from cortex.experiments.store import ResultSet
from cortex.text.markdown import md_text

BOARD_PATH = "method/board.md"
AXIS_WORDS = {"impact": "expected impact", "feasibility": "feasibility", "novelty": "novelty"}
_CITE_KEY = re.compile(KEY + r"\Z")  # a key the citation syntax reads whole as [@key]


def research_board(results: ResultSet, today: date | None = None) -> str:
    """Markdown of the board: one column per status, in the order experiments move through,
    each card with the experiment's assessment and its age on ``today`` (the build's day)."""
    today = today or date.today()
    by_status: dict[str, list[str]] = {status: [] for status in STATUSES}
    for exp_id, spec in sorted(results.specs.items(), key=lambda kv: kv[1].title.casefold()):
        by_status[spec.status].append(_card(results, exp_id, spec, today))
    counts = " → ".join(f"{status} ({len(by_status[status])})" for status in STATUSES)
    parts = [
        "---\nhide: [toc]  # the five columns take the table of contents' width\n---",
        "# Research board",
        f"Where every experiment stands: {counts}. Each card shows the idea's assessment (impact, "
        "feasibility and novelty), whether its result is fresh, and how long ago it was declared "
        "or first run; `cortex advance ID` moves one on once its next step has what it needs.",
        '<div class="cortex-board" markdown="1">',
    ]
    for status in STATUSES:
        cards = "\n\n".join(by_status[status]) or "*No experiment.*"
        parts.append(
            f'<section class="cortex-board-column cortex-board-column--{status}" markdown="1">\n\n'
            f"## {status.capitalize()} {{#{status}}}\n\n{cards}\n\n</section>"
        )
    parts.append("</div>")
    return "\n\n".join(parts) + "\n"


def _card(results: ResultSet, exp_id: str, spec: ExperimentSpec, today: date) -> str:
    """One experiment on the board: its title linked, freshness and age, assessment badges, and
    its hypothesis, risks and motivation folded."""
    link = link_from(BOARD_PATH, experiment_page_path(exp_id))
    badge = state_badge(results.records.get(exp_id), results.state(exp_id))
    lines = [f"**[{md_text(spec.title)}]({link})**", f"{badge} {age_badge(results, spec, today)}".strip()]
    levels = [
        f'<span class="cortex-level cortex-level--{attr(level)}" title="{attr(AXIS_WORDS[axis])}: '
        f'{attr(level)}">{escape(axis)} <b>{escape(level)}</b></span>'
        for axis in ASSESSMENT_AXES
        if spec.assessment and (level := spec.assessment.level(axis))
    ]
    if levels:
        lines.append(" ".join(levels))
    card = "  \n".join(lines)
    folded = _folded(results, spec)
    if folded:
        card += f'\n\n<details class="cortex-board-more" markdown="1">\n<summary>{folded[0]}</summary>\n\n'
        card += "\n\n".join(folded[1:]) + "\n\n</details>"
    return f'<div class="cortex-board-card" markdown="1">\n\n{card}\n\n</div>'


def _folded(results: ResultSet, spec: ExperimentSpec) -> list[str]:
    """[summary, paragraph, ...] of what a card folds away; [] when it has nothing to fold."""
    shown, paragraphs = [], []
    if spec.hypothesis:  # its problems are reported once, on the experiment's page
        hypothesis, _ = prose_field(spec, "hypothesis", BOARD_PATH, results)
        shown.append("hypothesis")
        paragraphs.append(f"**Hypothesis.** {' '.join(hypothesis.split())}")
    assessment = spec.assessment
    if assessment and assessment.risks:
        shown.append("risks")
        paragraphs.append(f"**Risks.** {md_text(' '.join(assessment.risks.split()))}")
    if assessment and assessment.motivation:
        shown.append("motivation")
        keys = [key for key in assessment.motivation if _CITE_KEY.match(key)]  # others: an error already
        cited = "[" + "; ".join(f"@{key}" for key in keys) + "]" if keys else ""
        paragraphs.append(f"**Motivated by** {cited}.")
    if not shown:
        return []
    return [escape(", ".join(shown).capitalize()), *paragraphs]


def age_badge(results: ResultSet, spec: ExperimentSpec, today: date) -> str:
    """How long ago the experiment was declared (``created``) or first run, with the date on
    hover; "" when neither is known."""
    runs = results.runs(spec.id)
    started = str(runs[0].get("provenance", {}).get("started_at") or "")[:10] if runs else ""
    if spec.created is not None:
        since, what = spec.created, "declared"
    else:
        try:
            since, what = date.fromisoformat(started), "first run"
        except ValueError:
            return ""
    days = (today - since).days
    when = "today" if days == 0 else f"{days} day{'s' if days != 1 else ''} ago"
    when = when if days >= 0 else f"on {since.isoformat()}"
    title = f"{what} on {since.isoformat()}"
    return f'<span class="cortex-board-age" title="{attr(title)}">{escape(what)} {escape(when)}</span>'


def latest_results(results: ResultSet, page_path: str, count: int = 5) -> str:
    """Markdown list of the ``count`` experiments with the most recent runs: title, freshness,
    date and headline number, most recent first."""
    ran = [(exp_id, record) for exp_id in results.specs if (record := results.record(exp_id)) is not None]
    ran.sort(key=lambda item: str(item[1].get("provenance", {}).get("started_at", "")), reverse=True)
    if not ran:
        return "*No experiment has a result yet.*"
    lines = []
    for exp_id, record in ran[:count]:
        spec = results.specs[exp_id]
        link = link_from(page_path, experiment_page_path(exp_id))
        badge = state_badge(record, results.state(exp_id))
        head = headline(spec, record)
        lines.append(
            f"- **[{md_text(spec.title)}]({link})** {badge}  \n"
            f"  {md_text(run_date(record)[:10])}" + (f" · {md_text(head)}" if head else "")
        )
    return "\n".join(lines)


def experiment_card(results: ResultSet, exp_id: str, page_path: str) -> str:
    """One experiment as a page quotes it live: its title linked, its status and freshness, its
    headline number and its verdict (with the verdict's own quotes rendered)."""
    spec = results.specs.get(exp_id)
    if spec is None:
        known = ", ".join(sorted(results.specs)) or "none"
        raise ValueError(f"no experiment `{exp_id}` (known: {known})")
    record = results.record(exp_id)
    link = link_from(page_path, experiment_page_path(exp_id))
    badge = state_badge(results.records.get(exp_id), results.state(exp_id))
    head = headline(spec, record) if record is not None else ""
    if record is None:
        head = f"not run: {not_run_reason(spec, results.runs(exp_id))}"
    card = f"**[{md_text(spec.title)}]({link})** · {md_text(spec.status)} {badge}"
    if head:
        card += f"  \nHeadline: {md_text(head)}"
    verdict = prose_field(spec, "verdict", page_path, results)[0] if spec.verdict else "*none yet.*"
    return f'<div class="cortex-card" markdown="1">\n\n{card}\n\n**Verdict:** {verdict}\n\n</div>'


def status_summary(results: ResultSet, page_path: str) -> str:
    """One line per status, each linked to its column of the research board, and how many
    results are fresh, stale or not run."""
    counts = dict.fromkeys(STATUSES, 0)
    for spec in results.specs.values():
        counts[spec.status] += 1
    board = link_from(page_path, BOARD_PATH)
    steps = " → ".join(f"[{status} ({counts[status]})]({board}#{status})" for status in STATUSES)
    states = [results.state(exp_id).state for exp_id, spec in results.specs.items() if spec.runnable]
    fresh, stale = states.count("fresh"), states.count("stale")
    return (
        f"{len(results.specs)} experiments: {steps}.  \n"
        f"Of the {len(states)} with code, {fresh} have a fresh result, {stale} a stale one and "
        f"{len(states) - fresh - stale} none yet."
    )
