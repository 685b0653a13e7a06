"""Where every experiment stands, one row each, for ``cortex status``: its research status, its
device, whether its result is fresh, stale, frozen-stale, never run or unreadable (the site's
badge), why (the staleness reasons, shortened), and what the workflow would do with it on this
machine.

The freshness comes from :class:`ResultSet` and :func:`staleness`, as the site's badges do;
what the workflow does follows the rules ``plan.plan_runs`` and its hash files give Snakemake:
a CUDA experiment on a machine without CUDA is not scheduled; a scheduled experiment runs when
it has no readable result or a stale one, unless it is frozen (its hash file then keeps naming
the hash its result was made from, so Snakemake sees it up to date)."""

from __future__ import annotations

from dataclasses import dataclass

from cortex.diagnostics import Diagnostic
from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.devices import run_device
from cortex.experiments.staleness import Staleness
from cortex.experiments.store import ResultSet
from cortex.text.plain_table import clip, plain_table

STATES = ("fresh", "stale", "frozen-stale", "never-run", "unreadable")
# What `snakemake` does with an experiment on this machine.
ACTIONS = ("run", "skip-cuda", "skip-frozen", "up-to-date", "no-script")
ACTION_TEXT = {
    "run": "run",
    "skip-cuda": "skip: no CUDA",
    "skip-frozen": "skip: frozen",
    "up-to-date": "up to date",
    "no-script": "no script",
}
HEADERS = ("id", "status", "device", "state", "snakemake", "why")
_MIN_WHY = 12  # the narrowest the why column gets before the others give way
_MAX_ID = 24


@dataclass(frozen=True)
class StatusRow:
    """One experiment as ``cortex status`` shows it."""

    id: str
    title: str
    status: str  # the declaration's research status: idea, planned, ...
    device: str  # the declared device: cpu, cuda or any
    state: str  # one of STATES
    reasons: tuple[str, ...]  # the core's staleness reasons, in full
    run: str  # "the run of 2026-11-22 on NVIDIA H100"; empty when there is no readable result
    run_day: str  # the day that run started (YYYY-MM-DD), or ""
    action: str  # one of ACTIONS
    run_device: str | None  # the device the workflow would run it on here; None when it does not run

    @property
    def why(self) -> str:
        """The reasons in a few words: ``params, experiments/x.py changed since 2026-11-22``."""
        return short_why(self.reasons, self.run, self.run_day)

    def why_within(self, width: int) -> str:
        """The reasons in at most ``width`` characters: with paths cut to file names, then
        without the run's day, where that makes them fit; else cut off with an ellipsis."""
        for names, day in ((False, self.run_day), (True, self.run_day), (True, "")):
            text = short_why(self.reasons, self.run, day, file_names=names)
            if len(text) <= width:
                return text
        return clip(text, width)

    @property
    def action_text(self) -> str:
        return ACTION_TEXT[self.action] + (f" ({self.run_device})" if self.action == "run" else "")

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "device": self.device,
            "state": self.state,
            "why": self.why,
            "reasons": list(self.reasons),
            "run": self.run,
            "action": self.action,
            "run_device": self.run_device,
        }


def status_rows(results: ResultSet, *, cuda: bool) -> list[StatusRow]:
    """Every declared experiment, by id, as it stands on a machine with or without CUDA."""
    return [status_row(results, spec, cuda=cuda) for _, spec in sorted(results.specs.items())]


def status_row(results: ResultSet, spec: ExperimentSpec, *, cuda: bool) -> StatusRow:
    record = results.record(spec.id)
    state: Staleness = results.state(spec.id)  # what the site's badge says
    shown = "unreadable" if isinstance(results.records.get(spec.id), Diagnostic) else state.state
    if shown == "stale" and spec.freeze:
        shown = "frozen-stale"
    action, device = _action(spec, shown, cuda)
    return StatusRow(
        id=spec.id,
        title=spec.title,
        status=spec.status,
        device=spec.device,
        state=shown,
        reasons=state.reasons,
        run=state.run,
        run_day=str(record.get("provenance", {}).get("started_at", ""))[:10] if record else "",
        action=action,
        run_device=device,
    )


def _action(spec: ExperimentSpec, state: str, cuda: bool) -> tuple[str, str | None]:
    """What the workflow does with one experiment, by plan_runs' rules (see the module's doc)."""
    if not spec.runnable:
        return "no-script", None
    device = run_device(spec.device, cuda)
    if device == "cuda" and not cuda:
        return "skip-cuda", None
    if state == "frozen-stale":
        return "skip-frozen", None
    if state == "fresh":
        return "up-to-date", None
    return "run", device


def short_why(reasons: tuple[str, ...], run: str, day: str, *, file_names: bool = False) -> str:
    """The staleness reasons without their repeated "since the run of ...": the inputs grouped
    by what happened to them, the declaration's own fields by key (with ``file_names``, files
    by name alone), then the day of that run."""
    groups: dict[str, list[str]] = {"changed": [], "new": [], "dropped": []}
    other: list[str] = []
    tails = {" changed": "changed", " is a new input": "new", " is no longer an input": "dropped"}
    for reason in reasons:
        text = reason.removesuffix(f" since {run}") if run else reason
        for tail, group in tails.items():
            if text.endswith(tail):
                groups[group].append(_short_input(text.removesuffix(tail), file_names))
                break
        else:
            other.append(text.replace("`", ""))
    parts = [f"{', '.join(names)} {group}" for group, names in groups.items() if names] + other
    text = "; ".join(parts)
    return f"{text} since {day}" if text and day and len(other) < len(reasons) else text


def _short_input(label: str, file_name: bool) -> str:
    """```params` in `experiments/x.md``` -> ``params`` (a field of the declaration itself);
    ```experiments/x.py``` -> ``experiments/x.py``, or ``x.py`` with ``file_name``."""
    key, sep, _ = label.partition(" in ")
    text = (key if sep else label).replace("`", "")
    return text.rsplit("/", 1)[-1] if file_name else text


def summary_line(rows: list[StatusRow]) -> str:
    """``7 experiments: 3 fresh, 1 stale, 3 never run; snakemake would run 2.``"""
    counts = [(state, sum(r.state == state for r in rows)) for state in STATES]
    states = ", ".join(f"{n} {state.replace('-', ' ')}" for state, n in counts if n)
    runs = sum(r.action == "run" for r in rows)
    noun = "experiment" if len(rows) == 1 else "experiments"
    return f"{len(rows)} {noun}: {states or 'none'}; snakemake would run {runs}."


def status_table(rows: list[StatusRow], width: int | None = 100) -> str:
    """The rows as a plain text table no wider than ``width`` columns (None: nothing cut). The
    why column comes last and gets the room the others leave: its paths are cut to file names,
    then its text to an ellipsis, where it does not fit; very long ids are cut too."""
    cells = [
        [clip(r.id, _MAX_ID if width else None), r.status, r.device, r.state.replace("-", " "), r.action_text]
        for r in rows
    ]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(HEADERS[:-1])]
    room = None if width is None else max(width - sum(widths) - 2 * len(widths), _MIN_WHY)
    for row, cell in zip(rows, cells, strict=True):
        cell.append((row.why if room is None else row.why_within(room)) or "-")
    return plain_table(HEADERS, cells)
