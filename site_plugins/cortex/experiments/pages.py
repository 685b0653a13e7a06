"""Generated experiment pages: one per declaration at ``experiments/<id>.md``, and the index of
all experiments at ``experiments/index.md``.

Each page tells what was asked (hypothesis, prose, parameters), what was found (tables, figures,
baselines from papers beside the measured values, the verdict), where every number came from
(the provenance panel), whether it is still current (the staleness badge and its reason), and
how it moved from run to run (the history, with changes within the measured spread called
noise)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from pathlib import Path

from markupsafe import escape

from cortex.diagnostics import Code, Diagnostic, diagnostic
from cortex.experiments.comparison import Change, compare_runs, previous_comparable, summary
from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.display import (
    attr,
    badge,
    best_point,
    commit_text,
    device_of,
    experiment_page_path,
    format_number,
    format_point,
    format_quantity,
    is_number,
    markdown_table,
    metric_units,
    not_run_reason,
    ok_points,
    point_value,
    run_date,
    short_hash,
    status_badge,
    unrecorded_text,
)
from cortex.experiments.figures import figure_div_id, figure_html, figure_placeholder
from cortex.experiments.quotes import SHORTCODE, quoted_experiments, render_quotes
from cortex.experiments.record import GitState, Provenance, ResultRecord
from cortex.experiments.staleness import Staleness, frozen_text
from cortex.experiments.store import FIGURES_DIR, ResultSet, file_stamps, read_figure
from cortex.experiments.tables import results_view
from cortex.text.markdown import indent_block, md_prose, md_text

Cite = Callable[[str], str]
INDEX_PATH = "experiments/index.md"
VERDICT_STATUSES = ("analysed", "reported")


def pandoc_cite(key: str) -> str:
    return f"[@{key}]"


def experiment_pages(
    results: ResultSet,
    bibliography_keys: Collection[str] | None = None,
    cite: Cite = pandoc_cite,
    memo: PagesMemo | None = None,
) -> tuple[dict[str, str], list[Diagnostic]]:
    """Every experiment page and the index, as {site path: Markdown}, with their diagnostics;
    ``memo``: the pages of the last call in this process (with the same ``bibliography_keys``
    and ``cite``), each made again only where it changed."""
    pages: dict[str, str] = {}
    diagnostics: list[Diagnostic] = []
    for exp_id, spec in sorted(results.specs.items()):

        def make(spec: ExperimentSpec = spec, exp_id: str = exp_id) -> tuple[str, list[Diagnostic]]:
            return experiment_page(
                spec,
                results.records.get(exp_id),
                results.runs(exp_id),
                results.state(exp_id),
                bibliography_keys,
                cite,
                results_dir=results.results_dir,
                quotes=results,
            )

        text, diags = memo.page(results, spec, make) if memo is not None else make()
        pages[experiment_page_path(exp_id)] = text
        diagnostics += diags
    if memo is not None:
        memo.keep_only(results.specs)
    pages[INDEX_PATH] = experiments_index(results)
    return pages, diagnostics


class PagesMemo:
    """Experiment pages kept between the loads of one process (a preview's rebuilds), each with
    what it was made from: its declaration as read and its file's size and modification time
    (a diagnostic quotes the file's lines), its state (which its inputs decide, notes read as
    data included), the files of its results (record, history, figures) by size and
    modification time, and the same of every experiment its prose quotes (and which experiments
    there are, when it quotes any). A page is made again when any of them differs: on the
    shipped knowledge base, making every page again took a quarter of the rebuild after each
    edit of a note."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[tuple, tuple[str, list[Diagnostic]]]] = {}

    def page(
        self, results: ResultSet, spec: ExperimentSpec, make: Callable[[], tuple[str, list[Diagnostic]]]
    ) -> tuple[str, list[Diagnostic]]:
        """``make()``, or what it returned last time for the same inputs."""
        quoted = quoted_experiments("\n".join((spec.prose, spec.hypothesis, spec.verdict)))
        key = (
            _made_from(results, spec),
            # a quote of an unknown experiment names the known ones
            sorted(results.specs) if quoted else None,
            [_made_from(results, results.specs[exp_id]) for exp_id in sorted(quoted & results.specs.keys())],
        )
        kept = self._kept.get(spec.id)
        if kept is None or kept[0] != key:
            kept = self._kept[spec.id] = (key, make())
        text, diagnostics = kept[1]
        return text, list(diagnostics)

    def keep_only(self, exp_ids: Collection[str]) -> None:
        self._kept = {exp_id: kept for exp_id, kept in self._kept.items() if exp_id in exp_ids}


def _made_from(results: ResultSet, spec: ExperimentSpec) -> tuple:
    """What an experiment's page reads of it (see ``PagesMemo``)."""
    try:
        declared = spec.path.stat()
        declaration: tuple[int, int] | None = (declared.st_size, declared.st_mtime_ns)
    except OSError:
        declaration = None
    folder = results.results_dir / spec.id if results.results_dir else None
    return spec, declaration, results.state(spec.id), file_stamps(folder) if folder else ()


def prose_field(
    spec: ExperimentSpec, key: str, page_path: str, quotes: ResultSet | None
) -> tuple[str, list[Diagnostic]]:
    """A front-matter text (``hypothesis``, ``verdict``) as Markdown for the page ``page_path``:
    Markdown without HTML, its shortcodes rendered when ``quotes`` is given. A problem with a
    shortcode is reported at the key's line and column, since folded YAML text has no columns of
    its own."""
    text: str = getattr(spec, key)
    pieces, pos = [], 0
    for m in SHORTCODE.finditer(text):
        pieces += [md_prose(text[pos : m.start()]), m.group(0)]
        pos = m.end()
    markdown = "".join(pieces) + md_prose(text[pos:])
    if quotes is None or pos == 0:
        return markdown, []
    rendered, found = render_quotes(markdown, page_path, str(spec.path), quotes)
    line, col = spec.position_of(key)
    return rendered, [replace(d, line=line, col=col) for d in found]


def experiment_page(
    spec: ExperimentSpec,
    record_or_diag: ResultRecord | Diagnostic | None,
    history: Sequence[ResultRecord],
    staleness: Staleness,
    bibliography_keys: Collection[str] | None,
    cite: Cite = pandoc_cite,
    *,
    results_dir: Path | None = None,
    quotes: ResultSet | None = None,
) -> tuple[str, list[Diagnostic]]:
    """The Markdown of one experiment's page. ``results_dir`` is where the figure files of the
    record are read from (``<results_dir>/<id>/figures/<figure>.json``); with ``quotes``, result
    shortcodes in the prose are rendered, and reported at their line in the declaration."""
    diagnostics: list[Diagnostic] = []
    prose = spec.prose.strip()
    if quotes is not None and "{{<" in prose:
        prose, found = render_quotes(
            spec.prose,
            experiment_page_path(spec.id),
            str(spec.path),
            quotes,
            line_offset=_prose_line_offset(spec),
        )
        prose = prose.strip()
        diagnostics += found
    record = record_or_diag if isinstance(record_or_diag, dict) else None
    parts = [f"# {md_text(spec.title)}", _badges(spec, record_or_diag, staleness)]
    for key in ("hypothesis", "verdict"):  # a verdict missing where the status wants one is a warning
        if getattr(spec, key):
            text, found = prose_field(spec, key, experiment_page_path(spec.id), quotes)
            parts.append(f"**{key.capitalize()}.** {text}")
            diagnostics += found
    parts.append(_state_line(spec, record_or_diag, history, staleness))
    if prose:
        parts.append(prose)
    parts.append(_parameters(spec))
    parts.append("## Results")
    if isinstance(record_or_diag, Diagnostic):
        diagnostics.append(record_or_diag)
        parts.append(
            _problem(
                f"The result file cannot be read ({record_or_diag}); the page shows no numbers until it is fixed or the experiment is rerun."
            )
        )
    elif record is None:
        parts.append(f"*Not run: {not_run_reason(spec, history)}.*")
    else:
        parts.append(f"From {_run_words(record)}.")
        parts.append(results_view(spec, record))
        figures, diags = _figures(spec, record, results_dir, shown_in=prose)
        parts += figures
        diagnostics += diags
        baselines, diags = baselines_table(spec, record, bibliography_keys, cite)
        parts += baselines
        diagnostics += diags
        parts.append(_provenance(record))
    parts += _history(spec, history)
    return "\n\n".join(p for p in parts if p) + "\n", diagnostics


def _prose_line_offset(spec: ExperimentSpec) -> int:
    """How many lines of the declaration come before its prose."""
    try:
        text = Path(spec.path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 0
    return text[: len(text) - len(spec.prose)].count("\n") if text.endswith(spec.prose) else 0


# -- the head of the page ------------------------------------------------------------------------


def state_badge(record_or_diag: ResultRecord | Diagnostic | None, staleness: Staleness) -> str:
    if isinstance(record_or_diag, Diagnostic):
        return badge("unreadable", "unreadable", "the result file cannot be read")
    if staleness.state == "fresh":
        return badge("fresh", "fresh", "made from the current inputs")
    if staleness.state == "stale":
        return badge("stale ⚠", "stale", "; ".join(staleness.reasons))
    return badge("not run", "never-run")


def _badges(spec: ExperimentSpec, record_or_diag, staleness: Staleness) -> str:
    return f"{status_badge(spec)} {state_badge(record_or_diag, staleness)}\n{{: .cortex-badges }}"


def _state_line(
    spec: ExperimentSpec,
    record_or_diag: ResultRecord | Diagnostic | None,
    history: Sequence[ResultRecord],
    staleness: Staleness,
) -> str:
    if isinstance(record_or_diag, Diagnostic):
        text, kind = "unreadable: the result file cannot be read.", "unreadable"
    elif isinstance(record_or_diag, dict) and staleness.state == "stale":
        text, kind = "stale: " + "; ".join(staleness.reasons) + ".", "stale"
        if spec.freeze:
            text += " It is " + frozen_text(spec) + "."
    elif isinstance(record_or_diag, dict):
        text, kind = (
            f"fresh: made from the current inputs, {staleness.run or _run_words(record_or_diag)}"
            f"{unrecorded_text(staleness)}.",
            "fresh",
        )
    else:
        text, kind = f"not run: {not_run_reason(spec, history)}.", "never-run"
    return f"{text}\n{{: .cortex-state .cortex-state--{kind} }}"


def _cpu_text(prov: Provenance) -> str:
    """ " (2 cores; torch on 1 thread; load 0.4 at the start)", what a CPU timing depends on."""
    parts = []
    if is_number(prov.get("cpu_count")):
        parts.append(f"{prov.get('cpu_count')} cores")
    if is_number(prov.get("cpu_threads")):
        parts.append(f"torch on {prov.get('cpu_threads')} thread(s)")
    if is_number(load := prov.get("load_average")):
        parts.append(f"load {format_number(float(load))} at the start")
    return f" ({'; '.join(parts)})" if parts else ""


def _run_words(record: ResultRecord) -> str:
    return f"the run of {run_date(record)} on {device_of(record)} (size {record.get('size', '?')})"


def _problem(message: str) -> str:
    return f'<div class="cortex-problem">{escape(message)}</div>'


def _parameters(spec: ExperimentSpec) -> str:
    lines = ["## Parameters"]
    if isinstance(spec.params, dict):
        rows = [
            [
                md_text(spec.label_of(name))
                + (f" (`{name}`)" if spec.label_of(name) != name.replace("_", " ") else ""),
                md_text(", ".join(map(str, values))),
            ]
            for name, values in spec.params.items()
        ]
        if rows:
            lines.append(markdown_table(["Parameter", "Values"], rows))
    elif spec.params:
        lines.append(markdown_table(["Point"], [[md_text(format_point(p))] for p in spec.params]))
    facts = [f"- Device: `{spec.device}`"]
    if spec.script:
        facts.append(f"- Entry point: `{spec.script}`")
    for size, override in spec.sizes.items():
        shown = (
            "; ".join(format_point(p) for p in override)
            if isinstance(override, list)
            else "; ".join(f"{k} = {', '.join(map(str, v))}" for k, v in override.items())
        )
        facts.append(f"- Size `{size}`: {md_text(shown)}")
    default = "" if spec.timeout_declared else " (the default)"
    facts.append(f"- Timeout: {format_number(spec.timeout)} s{default}: a run still going then is stopped")
    lines.append("\n".join(facts))
    if spec.metrics:
        rows = [
            [
                f"`{md_text(m.name)}`",
                md_text(spec.labels.get(m.name, "")) or "–",
                md_text(m.unit) or "–",
                md_text(m.better or "–"),
                md_text(m.description),
            ]
            for m in spec.metrics.values()
        ]
        table = markdown_table(["Metric", "Called", "Unit", "Better", "Meaning"], rows)
        what = "The metric" if len(rows) == 1 else f"The {len(rows)} metrics"
        lines.append(f'??? info "{what}: units, directions and meanings"\n\n' + indent_block(table))
    return "\n\n".join(lines)


# -- figures and baselines -----------------------------------------------------------------------


def _figures(
    spec: ExperimentSpec, record: ResultRecord, results_dir: Path | None, shown_in: str = ""
) -> tuple[list[str], list[Diagnostic]]:
    """The declared figures, less those the page's prose (``shown_in``, rendered) already quotes:
    a figure appears once on a page, next to the text that discusses it."""
    parts, diagnostics = [], []
    for i, figure in enumerate(spec.figures):
        div_id = figure_div_id(spec.id, figure.id)
        if f'id="{div_id}"' in shown_in:
            continue
        path = Path(results_dir) / spec.id / FIGURES_DIR / f"{figure.id}.json" if results_dir else None
        found = read_figure(path) if path else None
        if isinstance(found, Diagnostic):
            diagnostics.append(found)
            parts.append(figure_placeholder(div_id, found.message))
            continue
        if found is None:
            reason = f"the run of {run_date(record)} made no figure `{figure.id}`; rerun the experiment"
            diagnostics.append(
                diagnostic(Code.MISSING_FIGURE, spec.path, *spec.position_of("figures", i), reason)
            )
            parts.append(figure_placeholder(div_id, reason))
            continue
        try:
            parts.append(figure_html(found, div_id))
        except ValueError as exc:
            where = path or spec.path
            diagnostics.append(
                diagnostic(
                    Code.UNREADABLE_FIGURE, where, 1, 1, f"figure `{figure.id}` cannot be drawn: {exc}"
                )
            )
            parts.append(figure_placeholder(div_id, str(exc)))
    if parts:
        parts.insert(0, "### Figures")
    return parts, diagnostics


def baselines_table(
    spec: ExperimentSpec, record: ResultRecord, bibliography_keys: Collection[str] | None, cite: Cite
) -> tuple[list[str], list[Diagnostic]]:
    """The baselines section: each declared baseline beside the measured value it is compared
    with, cited (its Markdown lines), and a problem for each baseline citing an unknown key."""
    if not spec.baselines:
        return [], []
    known = {k.casefold() for k in bibliography_keys} if bibliography_keys is not None else None
    units = metric_units(spec, record)
    diagnostics, rows = [], []
    points = ok_points(record)
    for i, base in enumerate(spec.baselines):
        if known is not None and base.cite.casefold() not in known:
            diagnostics.append(
                diagnostic(
                    Code.UNKNOWN_BASELINE_CITATION,
                    spec.path,
                    *spec.position_of("baselines", i, "cite"),
                    f"baseline cites '{base.cite}', which no entry in refs/*.bib has",
                )
            )
        unit = units.get(base.metric, "")
        matching = [p for p in points if all(p["params"].get(k) == v for k, v in base.point.items())]
        declared = spec.metrics.get(base.metric)
        best = best_point(matching, base.metric, declared.better if declared else None)
        only = point_value(matching[0], base.metric) if len(matching) == 1 else None
        if best is None and is_number(only):
            best = (matching[0], float(only))
        if best is None:
            measured, ratio = "–", "–"
        else:
            point, value = best
            shown = {k: v for k, v in point["params"].items() if k not in base.point}
            where = f" at {format_point(shown)}" if shown else ""
            measured = md_text(format_quantity(value, unit) + where)
            ratio = md_text(format_number(value / base.value)) if base.value else "–"
        source = cite(base.cite) + (f" {md_text(base.note)}" if base.note else "")
        rows.append(
            [
                md_text(base.metric),
                md_text(format_point(base.point) if base.point else "every point"),
                md_text(format_quantity(base.value, unit)),
                measured,
                ratio,
                source,
            ]
        )
    table = markdown_table(
        ["Metric", "Point", "Baseline", "Measured (best)", "Measured / baseline", "Source"],
        rows,
        [False, False, True, True, True, False],
    )
    caption = f"Values from papers and datasheets beside the best measured value, from {_run_words(record)}."
    return ["### Baselines", caption, table], diagnostics


# -- provenance and history ----------------------------------------------------------------------


def _provenance(record: ResultRecord) -> str:
    prov = record.get("provenance", {})
    env = [
        f"{name} {prov.get(key) or '–'}"
        for name, key in (
            ("Python", "python"),
            ("torch", "torch"),
            ("CUDA", "cuda"),
            ("cuDNN", "cudnn"),
            ("driver", "driver"),
            ("Triton", "triton"),
        )
    ]
    git: GitState | dict[str, object] = prov.get("git") or {}
    input_hash = prov.get("input_hash", {})
    duration = prov.get("duration_s")
    items = [
        ("Device", f"{device_of(record)} ({record.get('device', '?')}), size {record.get('size', '?')}"),
        ("Environment", " · ".join(env)),
        ("Platform", prov.get("platform") or "–"),
        ("Commit", commit_text(record), git.get("commit") or ""),
        ("Host", (prov.get("host") or "–") + _cpu_text(prov)),
        *_scheduler(prov.get("scheduler")),
        ("Started", prov.get("started_at") or "–"),
        (
            "Finished",
            (prov.get("finished_at") or "–")
            + (f" ({format_number(duration)} s)" if is_number(duration) else ""),
        ),
        ("Input hash", short_hash(input_hash.get("sha256")), input_hash.get("sha256") or ""),
    ]
    ceilings = _ceilings(prov.get("ceilings"))
    if ceilings:
        items.append(("Measured ceilings", ceilings))
    rows = "".join(
        f"<dt>{escape(name)}</dt><dd{_title(rest)}>{escape(value)}</dd>" for name, value, *rest in items
    )
    components = "".join(
        f"<li><code>{escape(name)}</code></li>" for name in sorted(input_hash.get("components", {}))
    )
    covered = (
        f"<details><summary>What the input hash covers</summary><ul>{components}</ul></details>"
        if components
        else ""
    )
    return f'## Provenance\n\n<div class="cortex-provenance"><dl>{rows}</dl>{covered}</div>'


def _scheduler(job: object) -> list[tuple[str, str]]:
    """The batch job a run was part of, as a provenance row: ``SLURM job 4211 on node7 (gpu, cluster a)``."""
    if not isinstance(job, dict) or not job.get("job_id"):
        return []
    text = f"{str(job.get('name', 'batch')).upper()} job {job['job_id']}"
    if job.get("node"):
        text += f" on {job['node']}"
    where = ", ".join(f"{k} {job[k]}" for k in ("partition", "cluster") if job.get(k))
    return [("Batch job", text + (f" ({where})" if where else ""))]


def _title(rest: list[object]) -> str:
    return f' title="{attr(rest[0])}"' if rest and rest[0] else ""


def _ceilings(ceilings: object) -> str:
    if not isinstance(ceilings, dict):
        return ""
    parts = []
    if is_number(ceilings.get("copy_GBps")):
        parts.append(f"device copy {format_number(ceilings['copy_GBps'])} GB/s")
    for dtype, value in (ceilings.get("gemm_TFLOPs") or {}).items():
        if is_number(value):
            parts.append(f"{dtype} GEMM {format_number(value)} TFLOP/s")
    return "; ".join(parts)


def _history(spec: ExperimentSpec, runs: Sequence[ResultRecord]) -> list[str]:
    if not runs:
        return []
    rows, latest_changes, latest_previous = [], None, None
    for i, run in enumerate(runs):
        previous = previous_comparable(runs, i)
        if run.get("status") != "ok":
            change = "–"
        elif previous is None:
            change = "first run of this size on this device"
        else:
            changes = compare_runs(spec, previous, run)
            change = summary(changes)
            latest_changes, latest_previous = changes, previous
        status = run.get("status", "?") + (f": {run['error']}" if run.get("error") else "")
        rows.append(
            [
                md_text(run_date(run)),
                md_text(device_of(run)),
                md_text(run.get("size", "?")),
                md_text(status),
                md_text(commit_text(run)),
                md_text(change),
            ]
        )
    parts = [
        "## Run history",
        markdown_table(
            ["Run", "Device", "Size", "Status", "Commit", "Change since the previous run"],
            list(reversed(rows)),
        ),
    ]
    if latest_changes is not None and latest_previous is not None:
        parts.append(_change_details(spec, latest_changes, latest_previous))
    return parts


def _change_details(spec: ExperimentSpec, changes: list[Change], previous: ResultRecord) -> str:
    shown = [c for c in changes if c.verdict not in ("noise", "unchanged")]
    noise = sum(c.verdict == "noise" for c in changes)
    text = f"Against the run of {run_date(previous)}: "
    if not shown:
        text += "no change beyond the measured spread." if noise else "every value is the same."
    else:
        units = {name: m.unit for name, m in spec.metrics.items()}
        rows = [
            [
                md_text(c.metric),
                md_text(format_point(c.params)),
                md_text(format_quantity(c.before, units.get(c.metric, ""))),
                md_text(format_quantity(c.after, units.get(c.metric, ""))),
                md_text(f"{c.relative:+.1%}" if c.relative is not None else "–"),
                md_text(c.verdict),
            ]
            for c in shown
        ]
        text += f"{len(shown)} value(s) moved beyond the measured spread.\n\n" + markdown_table(
            ["Metric", "Point", "Before", "After", "Change", "Verdict"],
            rows,
            [False, False, True, True, True, False],
        )
    if noise:
        text += (
            f"\n\n{noise} change(s) smaller than the measured interquartile range are noise, not regressions."
        )
    return text


# -- the index -----------------------------------------------------------------------------------


def headline(spec: ExperimentSpec, record: ResultRecord) -> str:
    """The experiment's headline: the metric its declaration names as `headline`, else its first
    metric with a direction; a directed metric at its best point (highest or lowest), with the
    unit and the parameters that vary: ``tflops 691.2 TFLOP/s (dtype=bf16, n=8192)``. Otherwise
    the range of that metric, or of the first metric with numbers: ``total_bits 8–64 bit``.
    Empty when there is nothing numeric."""
    units = metric_units(spec, record)
    points = ok_points(record)
    directed = [m for m in spec.metrics.values() if m.better]
    chosen = spec.metrics[spec.headline] if spec.headline else (directed[0] if directed else None)
    if chosen is not None and chosen.better:
        best = best_point(points, chosen.name, chosen.better)
        if best is None:
            return ""
        point, value = best
        varying = {
            k: v for k, v in point["params"].items() if len({str(p["params"].get(k)) for p in points}) > 1
        }
        where = f" ({format_point(varying)})" if varying else ""
        return f"{spec.label_of(chosen.name)} {format_quantity(value, units.get(chosen.name, ''))}{where}"
    for name in [chosen.name] if chosen is not None else spec.metrics:
        values = [v for v in (point_value(p, name) for p in points) if is_number(v)]
        if values:
            low, high = min(values), max(values)
            unit = units.get(name, "")
            if low == high:
                return f"{spec.label_of(name)} {format_quantity(low, unit)}"
            return f"{spec.label_of(name)} {format_number(low)}–{format_quantity(high, unit)}"
    return ""


def experiments_index(results: ResultSet) -> str:
    """One narrow table of every experiment: status, device, freshness, last run, headline."""
    rows = []
    for exp_id, spec in sorted(results.specs.items()):
        found = results.records.get(exp_id)
        record = found if isinstance(found, dict) else None
        link = f"[{md_text(spec.title)}]({exp_id}.md)"
        device = md_text(device_of(record)) if record else md_text(spec.device)
        state = state_badge(found, results.state(exp_id))
        last = md_text(run_date(record)[:10]) if record else "–"
        head = (
            md_text(headline(spec, record))
            if record
            else md_text(f"not run: {not_run_reason(spec, results.runs(exp_id))}")
        )
        rows.append([link, md_text(spec.status), device, state, last, head])
    if not rows:
        return "# Experiments\n\nNo experiment is declared yet: add `experiments/<id>.md`.\n"
    table = markdown_table(["Experiment", "Status", "Device", "Result", "Last run", "Headline"], rows)
    return (
        "# Experiments\n\nEvery experiment declared under `experiments/`, with the state of its last result. "
        "Click a column's heading to sort by it.\n\n"
        '<div class="cortex-sortable" markdown="1">\n\n' + table + "\n\n</div>\n"
    )
