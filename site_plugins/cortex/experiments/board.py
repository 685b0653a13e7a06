"""The research board, ``method/board.md``: every experiment under the step of the research
method it has reached (idea → planned → running → analysed → reported), with its hypothesis;
and the summaries a front page quotes of it: the latest results and where experiments stand."""

from __future__ import annotations

from cortex.experiments.declaration import STATUSES
from cortex.experiments.display import experiment_page_path, link_from, not_run_reason, run_date
from cortex.experiments.pages import headline, prose_field, state_badge
from cortex.experiments.store import ResultSet
from cortex.text.markdown import md_text

BOARD_PATH = "method/board.md"


def research_board(results: ResultSet) -> str:
    """Markdown of the board: one section per status, in the order experiments move through."""
    by_status: dict[str, list[str]] = {status: [] for status in STATUSES}
    for exp_id, spec in sorted(results.specs.items(), key=lambda kv: kv[1].title.casefold()):
        link = link_from(BOARD_PATH, experiment_page_path(exp_id))
        badge = state_badge(results.records.get(exp_id), results.state(exp_id))
        entry = f"- **[{md_text(spec.title)}]({link})** {badge}"
        if spec.hypothesis:  # its problems are reported once, on the experiment's page
            hypothesis, _ = prose_field(spec, "hypothesis", BOARD_PATH, results)
            entry += "\n\n    " + " ".join(hypothesis.split())
        by_status[spec.status].append(entry)
    counts = " → ".join(f"{status} ({len(by_status[status])})" for status in STATUSES)
    parts = ["# Research board", f"Where every experiment stands: {counts}."]
    for status in STATUSES:
        parts.append(f"## {status.capitalize()} {{#{status}}}")
        parts.append("\n\n".join(by_status[status]) if by_status[status] else "*No experiment.*")
    return "\n\n".join(parts) + "\n"


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
