"""Quoting results in any page, with Quarto-style shortcodes.

Three shortcodes quote an experiment's current result into any note or page, and a fourth
marks a number that needs no source:

    {{< result EXPERIMENT METRIC [PARAM=VALUE ...] >}}
        One number with its unit, from the parameter point the PARAM=VALUE pairs name
        (all of the point's parameters that vary). The pairs may be left out only when the
        experiment has a single point. Example: {{< result gemm_throughput tflops dtype=bf16 n=8192 >}}
        ``METRIC:iqr`` quotes the interquartile range of a measured metric instead of its median.
    {{< table EXPERIMENT [METRIC1,METRIC2] >}}
        The result's table, limited to the listed metrics (every metric when the list is left
        out). Example: {{< table fp_formats [max_finite,epsilon] >}}
    {{< figure EXPERIMENT FIGURE_ID >}}
        An interactive figure the experiment declares under `figures:`.
        Example: {{< figure gemm_throughput tflops_vs_size >}}
    {{< n TEXT >}}
        A number meant as written, shown unchanged: a year, a dimension, a prediction made
        before the run. ``cortex check --claims`` lists every other number in an experiment's
        hypothesis, verdict and analysis that is neither quoted nor cited (see
        ``cortex.experiments.claims``). Example: {{< n "8×8" >}} images

A front page can also show summaries, each drawn from the current results when the site is
built (the project passes them in; see ``cortex.model``):

    {{< latest [COUNT] >}}       the experiments with the most recent runs (5 unless COUNT),
                                 with their freshness and headline number
    {{< experiment ID >}}        one experiment: its status, freshness, headline number and
                                 verdict
    {{< experiments >}}          how many experiments stand at each step of the method
    {{< progress >}}             the curriculum's progress, overall and per pillar

A quoted number links to the experiment's page; hovering it shows its provenance (device,
date of the run, commit, input hash and the point). A quote of a stale result carries a
visible ⚠ marker and says which input changed. A table or figure is followed by a line naming
the run it comes from. Write a value with spaces in quotes (`label="a b"`). An unknown
experiment, metric, parameter or point, or an experiment with no result, is an error at the
shortcode's line and column (so `mkdocs build --strict` fails on it), and the page shows a
visible placeholder in its place. Shortcodes inside code spans, fenced code and comments are
left alone, and `{{{< ... >}}}` writes a shortcode literally.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Callable, Mapping

import yaml
from markupsafe import escape

from cortex.diagnostics import Code, Diagnostic, diagnostic, line_col
from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.display import (
    attr,
    device_of,
    experiment_page_path,
    format_point,
    format_quantity,
    link_from,
    metric_units,
    not_run_reason,
    provenance_line,
    run_date,
    spread,
    spread_text,
)
from cortex.experiments.figures import figure_div_id, figure_html
from cortex.experiments.record import PointRecord, ResultRecord, metric_value
from cortex.experiments.store import ResultSet
from cortex.experiments.tables import results_tables
from cortex.text.markdown import md_text, protected_regions

SHORTCODE = re.compile(r"(\{?)\{\{<[ \t]*([A-Za-z][\w-]*)([^\n]*?)[ \t]*>\}\}(\}?)")
KINDS = ("result", "table", "figure", "n")
INLINE_KINDS = ("result", "n")
LOOKUP_KINDS = ("result", "table", "figure")  # the shortcodes that quote an experiment's results


def render_quotes(
    markdown: str,
    page_path: str,
    file_label: str,
    lookup: ResultSet,
    line_offset: int = 0,
    summaries: Mapping[str, Summary] | None = None,
) -> tuple[str, list[Diagnostic]]:
    """Replace every result shortcode in ``markdown`` (the text of the site page ``page_path``)
    with the quoted result. Diagnostics name ``file_label`` at the shortcode's line (plus
    ``line_offset``, the lines before ``markdown`` in the file) and column."""
    if "{{<" not in markdown:
        return markdown, []
    quoter = _Quoter(markdown, page_path, file_label, lookup, line_offset, summaries)
    regions = protected_regions(markdown)
    out, pos = [], 0
    for m in SHORTCODE.finditer(markdown):
        if regions.covers(m.start()):
            continue
        out.append(markdown[pos : m.start()])
        pos = m.end()
        if m.group(1) and m.group(4):
            out.append(m.group(0)[1:-1])
            continue
        out.append(m.group(1) + quoter.render(m) + m.group(4))
    out.append(markdown[pos:])
    return "".join(out), quoter.diagnostics


@functools.lru_cache(maxsize=1024)
def quoted_experiments(markdown: str) -> frozenset[str]:
    """The experiments whose results the shortcodes in ``markdown`` look up (the first argument
    of a ``result``, a ``table`` or a ``figure``), read as ``render_quotes`` reads them; a
    shortcode in code counts too. Once per text in a process (a preview asks on each rebuild)."""
    found: set[str] = set()
    for m in SHORTCODE.finditer(markdown):
        if m.group(2) in LOOKUP_KINDS:
            try:
                args = shlex.split(m.group(3))
            except ValueError:  # rendered as a problem, which looks nothing up
                continue
            found.update(args[:1])
    return frozenset(found)


def body_line_offset(source: str, body: str) -> int:
    """Lines of ``source`` (a whole file) before ``body``, its tail with the front matter
    stripped: the ``line_offset`` for ``render_quotes`` on a page's Markdown."""
    return max(0, source.count("\n") - body.count("\n")) if source.endswith(body) else 0


class _Problem(Exception):
    pass


# A summary shortcode: its arguments and the page it is on -> Markdown; ValueError when the
# arguments are wrong, with the reason
Summary = Callable[[list[str], str], str]


class _Quoter:
    def __init__(
        self,
        text: str,
        page_path: str,
        file_label: str,
        lookup: ResultSet,
        line_offset: int,
        summaries: Mapping[str, Summary] | None = None,
    ) -> None:
        self.summaries = dict(summaries or {})
        self.text = text
        self.page_path = page_path
        self.file_label = file_label
        self.lookup = lookup
        self.line_offset = line_offset
        self.diagnostics: list[Diagnostic] = []
        self.figure_ids: dict[str, int] = {}

    def render(self, m: re.Match) -> str:
        kind = m.group(2)
        label = f"{kind} {m.group(3).strip()}".strip()
        try:
            if kind not in KINDS and kind not in self.summaries:
                known = ", ".join([*KINDS, *self.summaries])
                raise _Problem(f"unknown shortcode `{kind}` (known: {known})")
            try:
                args = shlex.split(m.group(3))
            except ValueError as exc:
                raise _Problem(f"cannot read the shortcode's arguments: {exc}") from None
            if kind in self.summaries:
                try:
                    return "\n\n" + self.summaries[kind](args, self.page_path) + "\n\n"
                except ValueError as exc:
                    raise _Problem(f"`{kind}`: {exc}") from None
            return getattr(self, kind)(args)
        except _Problem as problem:
            line, col = line_col(self.text, m.start() + len(m.group(1)))
            message = str(problem)
            self.diagnostics.append(
                diagnostic(Code.BAD_QUOTE, self.file_label, line + self.line_offset, col, message)
            )
            return _placeholder(kind, label, message)

    # -- the three shortcodes ------------------------------------------------------------------

    def result(self, args: list[str]) -> str:
        if len(args) < 2:
            raise _Problem(
                "`result` needs an experiment and a metric: {{< result EXPERIMENT METRIC param=value ... >}}"
            )
        spec, record = self._experiment(args[0])
        metric, _, part = args[1].partition(":")
        if part not in ("", "iqr"):
            raise _Problem(f"`{args[1]}`: the only part of a metric a quote can name is `{metric}:iqr`")
        self._known_metric(spec, record, metric)
        point = self._point(spec, record, args[2:])
        params = format_point(point["params"])
        if point.get("status") != "ok":
            raise _Problem(
                f"`{spec.id}` has no value at {params}: the point {point.get('status')}"
                + (f" ({point['error']})" if point.get("error") else "")
            )
        raw = point.get("metrics", {}).get(metric)
        value = metric_value(raw)
        if part == "iqr" and value is not None:
            value = spread(raw)
            if value is None:
                raise _Problem(f"`{spec.id}` recorded `{metric}` at {params} without a spread to quote")
        if value is None or value == "":
            skipped = point.get("metrics", {}).get("skipped")
            raise _Problem(
                f"`{spec.id}` recorded no `{metric}` at {params}" + (f": {skipped}" if skipped else "")
            )
        unit = metric_units(spec, record).get(metric, "")
        state = self.lookup.state(spec.id)
        title = "\n".join(
            t
            for t in (
                f"{spec.id}: {metric}{' interquartile range' if part else ''} at {params}",
                spread_text(raw, unit),
                provenance_line(record, state),
            )
            if t
        )
        stale = state.state == "stale"
        classes = "cortex-quote cortex-quote--stale" if stale else "cortex-quote"
        mark = ' <span class="cortex-quote-mark" aria-label="stale">⚠</span>' if stale else ""
        span = f'<span class="{classes}" title="{attr(title)}">{escape(format_quantity(value, unit))}{mark}</span>'
        return f"[{span}]({self._link(spec)})"

    def n(self, args: list[str]) -> str:
        """A number meant as written: its text, shown unchanged."""
        if not args:
            raise _Problem('`n` needs the text it marks: {{< n "8×8" >}}')
        return md_text(" ".join(args))

    def table(self, args: list[str]) -> str:
        if not args:
            raise _Problem("`table` needs an experiment: {{< table EXPERIMENT [metric1,metric2] >}}")
        spec, record = self._experiment(args[0])
        listed = [n for n in re.split(r"[\s,]+", " ".join(args[1:]).strip().strip("[]")) if n]
        for metric in listed:
            self._known_metric(spec, record, metric)
        return (
            "\n\n"
            + results_tables(spec, record, listed or None)
            + "\n\n"
            + self._source(spec, record)
            + "\n\n"
        )

    def figure(self, args: list[str]) -> str:
        if len(args) != 2:
            raise _Problem(
                "`figure` needs an experiment and a figure id: {{< figure EXPERIMENT FIGURE_ID >}}"
            )
        spec, record = self._experiment(args[0])
        declared = [f.id for f in spec.figures]
        if args[1] not in declared:
            known = ", ".join(declared) or "none"
            raise _Problem(f"experiment `{spec.id}` declares no figure `{args[1]}` (its figures: {known})")
        found = self.lookup.figure(spec.id, args[1])
        if found is None:
            raise _Problem(f"figure `{args[1]}` of `{spec.id}` has not been made; rerun the experiment")
        if isinstance(found, Diagnostic):
            raise _Problem(f"figure `{args[1]}` of `{spec.id}` cannot be read ({found})")
        div_id = figure_div_id(spec.id, args[1])
        self.figure_ids[div_id] = self.figure_ids.get(div_id, 0) + 1
        if self.figure_ids[div_id] > 1:
            div_id = f"{div_id}-{self.figure_ids[div_id]}"
        try:
            html = figure_html(found, div_id)
        except ValueError as exc:
            raise _Problem(f"figure `{args[1]}` of `{spec.id}` cannot be drawn: {exc}") from None
        return "\n\n" + html + "\n\n" + self._source(spec, record) + "\n\n"

    # -- lookups -------------------------------------------------------------------------------

    def _experiment(self, exp_id: str) -> tuple[ExperimentSpec, ResultRecord]:
        spec = self.lookup.specs.get(exp_id)
        if spec is None:
            known = ", ".join(sorted(self.lookup.specs)) or "none"
            raise _Problem(f"unknown experiment `{exp_id}` (experiments: {known})")
        found = self.lookup.records.get(exp_id)
        if isinstance(found, Diagnostic):
            raise _Problem(f"the result of `{exp_id}` cannot be read ({found})")
        if found is None:
            raise _Problem(
                f"`{exp_id}` has no result: not run, {not_run_reason(spec, self.lookup.runs(exp_id))}"
            )
        return spec, found

    def _known_metric(self, spec: ExperimentSpec, record: ResultRecord, metric: str) -> None:
        known = list(spec.metrics) or list(record.get("metrics", {}))
        if metric not in known:
            raise _Problem(
                f"experiment `{spec.id}` has no metric `{metric}` (its metrics: {', '.join(known) or 'none'})"
            )

    def _point(self, spec: ExperimentSpec, record: ResultRecord, pairs: list[str]) -> PointRecord:
        wanted: dict[str, str] = {}
        for pair in pairs:
            name, sep, value = pair.partition("=")
            if not sep or not name:
                raise _Problem(f"`{pair}` is not a parameter=value pair")
            wanted[name] = value
        points = record.get("points", [])
        names = {n for p in points for n in p.get("params", {})}
        for name in wanted:
            if name not in names:
                raise _Problem(
                    f"experiment `{spec.id}` has no parameter `{name}` (its parameters: "
                    f"{', '.join(sorted(names)) or 'none'})"
                )
        matching = [p for p in points if all(_same(p["params"].get(k), v) for k, v in wanted.items())]
        if len(matching) == 1:
            return matching[0]
        if not matching:
            chosen = format_point(dict(wanted)) if wanted else "the point"
            raise _Problem(
                f"the result of `{spec.id}` has no point {chosen} (its points: "
                f"{_points_summary(points)}; the run of {run_date(record)} used size "
                f"{record.get('size', '?')})"
            )
        free = sorted({n for p in matching for n in p["params"] if n not in wanted})
        raise _Problem(
            f"{len(matching)} points of `{spec.id}` match; name the point with "
            + " ".join(f"{n}=..." for n in free)
        )

    def _link(self, spec: ExperimentSpec) -> str:
        return link_from(self.page_path, experiment_page_path(spec.id))

    def _source(self, spec: ExperimentSpec, record: ResultRecord) -> str:
        state = self.lookup.state(spec.id)
        stale = state.state == "stale"
        classes = "cortex-quote cortex-quote--stale" if stale else "cortex-quote"
        mark = " ⚠ stale" if stale else ""
        run = (
            f'<span class="{classes}" title="{attr(provenance_line(record, state))}">'
            f"the run of {escape(run_date(record))} on {escape(device_of(record))}{mark}</span>"
        )
        return f"From [{md_text(spec.title)}]({self._link(spec)}), {run}.\n{{: .cortex-quote-source }}"


def _same(recorded: object, written: str) -> bool:
    return str(recorded) == written or recorded == _as_yaml(written)


_UNREADABLE = object()  # equal to no recorded value


@functools.lru_cache(maxsize=4096)
def _as_yaml(written: str) -> object:
    """A written value as YAML reads it (``1e-3``, ``true``): parsed once per distinct text,
    since a page's quotes compare the same few values with every point of a record."""
    try:
        return yaml.safe_load(written)
    except yaml.YAMLError:
        return _UNREADABLE


def _points_summary(points: list[PointRecord]) -> str:
    values: dict[str, list[str]] = {}
    for p in points:
        for k, v in p.get("params", {}).items():
            if str(v) not in values.setdefault(k, []):
                values[k].append(str(v))
    return "; ".join(f"{k} in {', '.join(v)}" for k, v in values.items()) or "one point without parameters"


def _placeholder(kind: str, label: str, message: str) -> str:
    if kind in INLINE_KINDS or kind not in KINDS:
        return f'<span class="cortex-quote cortex-quote--missing" title="{attr(message)}">⚠ {escape(label)}</span>'
    return f'\n\n<div class="cortex-problem cortex-quote--missing">Cannot quote {escape(label)}: {escape(message)}</div>\n\n'
