"""The research board, ``method/board.md``: every experiment under the step of the research
method it has reached (idea → planned → running → analysed → reported), with its hypothesis."""

from __future__ import annotations

from cortex.experiments.declaration import STATUSES
from cortex.experiments.display import experiment_page_path, link_from
from cortex.experiments.pages import state_badge
from cortex.experiments.store import ResultSet
from cortex.text.markdown import md_prose, md_text

BOARD_PATH = "method/board.md"


def research_board(results: ResultSet) -> str:
    """Markdown of the board: one section per status, in the order experiments move through."""
    by_status: dict[str, list[str]] = {status: [] for status in STATUSES}
    for exp_id, spec in sorted(results.specs.items(), key=lambda kv: kv[1].title.casefold()):
        link = link_from(BOARD_PATH, experiment_page_path(exp_id))
        badge = state_badge(results.records.get(exp_id), results.state(exp_id))
        entry = f"- **[{md_text(spec.title)}]({link})** {badge}"
        if spec.hypothesis:
            entry += "\n\n    " + md_prose(" ".join(spec.hypothesis.split()))
        by_status[spec.status].append(entry)
    counts = " → ".join(f"{status} ({len(by_status[status])})" for status in STATUSES)
    parts = ["# Research board", f"Where every experiment stands: {counts}."]
    for status in STATUSES:
        parts.append(f"## {status.capitalize()} {{#{status}}}")
        parts.append("\n\n".join(by_status[status]) if by_status[status] else "*No experiment.*")
    return "\n\n".join(parts) + "\n"
