"""One experiment's report, or a note's and the experiments it quotes, in the document model,
from the knowledge base the site is built from.

Everything a report shows is the core's, as the experiment's page shows it: the hypothesis,
verdict and prose with their shortcodes rendered by ``cortex.experiments.quotes`` (a quoted
number reads as on the site), the compact results view of ``cortex.experiments.tables``, the
figures of ``cortex.experiments.plots``, the baselines table of the page, the run's provenance
worded by ``cortex.experiments.display``, and the references formatted by the configured pybtex
style and numbered as on the page (``cortex.citations``).

An experiment that was never run, or whose last run failed, still has a report: its Results
section says it is not measured, and why, in the words of its page. The baselines table is the
page's own (``pages.baselines_table``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from functools import partial
from pathlib import Path

import yaml

from cortex.citations.index import render_citation
from cortex.citations.references import CitationStyle
from cortex.citations.syntax import Citation
from cortex.diagnostics import Diagnostic
from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.display import (
    device_of,
    experiment_page_path,
    format_number,
    format_point,
    is_number,
    not_run_reason,
    run_date,
    state_text,
)
from cortex.experiments.figures import figure_div_id
from cortex.experiments.pages import baselines_table, pandoc_cite, prose_field
from cortex.experiments.quotes import SHORTCODE, body_line_offset, render_quotes
from cortex.experiments.record import GitState, ResultRecord
from cortex.model import KnowledgeBase, mkdocs_body
from cortex.notes.links import Status, resolve_path
from cortex.notes.vault import Note
from cortex.report.document import (
    Block,
    Fields,
    Figure,
    Heading,
    Inlines,
    Paragraph,
    Reference,
    Report,
    Text,
    plain,
)
from cortex.report.figures import draw_declared
from cortex.report.prose import html_inlines, read_inline, read_markdown, text_of_html
from cortex.text.markdown import protected_regions

_DUPLICATE = re.compile(r"-\d+\Z")  # a figure quoted twice on a page gets an id with -2, -3
_COMMENT = re.compile(r"%%.*?%%", re.S)  # Obsidian's comments, which no page shows


class ReportError(ValueError):
    """An experiment a report cannot be made of, with the reason."""


def citation_style_of(mkdocs_yml: Path) -> CitationStyle:
    """The ``citation_style`` and ``bibliography_style`` the cortex plugin is given in
    ``mkdocs.yml`` (its defaults where the file or the options are missing or wrong). The file
    is composed, not constructed, so its Python tags (``!!python/name:``) are never run."""
    try:
        root = yaml.compose(mkdocs_yml.read_text("utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return CitationStyle()
    options: dict[str, str] = {}
    plugins = _mapping(root).get("plugins")  # a list of plugins, or a mapping of them
    for plugin in plugins.value if isinstance(plugins, yaml.SequenceNode) else [plugins]:
        cortex = _mapping(plugin).get("cortex")
        if cortex is not None:
            options = {k: v.value for k, v in _mapping(cortex).items() if isinstance(v, yaml.ScalarNode)}
    try:
        return CitationStyle(
            options.get("citation_style", "numeric"), options.get("bibliography_style", "plain")
        )
    except ValueError:
        return CitationStyle()


def _mapping(node: object) -> dict[str, yaml.Node]:
    """A composed YAML mapping's scalar keys and their nodes; {} for any other node."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def experiment_report(kb: KnowledgeBase, exp_id: str) -> Report:
    """The report of experiment ``exp_id``; ``ReportError`` when there is no such experiment or
    its result file cannot be read."""
    results = kb.results
    if results is None or exp_id not in results.specs:
        known = ", ".join(sorted(results.specs)) if results else ""
        raise ReportError(f"no experiment `{exp_id}` (experiments: {known or 'none'})")
    spec = results.specs[exp_id]
    found = results.records.get(exp_id)
    if isinstance(found, Diagnostic):
        raise ReportError(f"the result of `{exp_id}` cannot be read: {found}")
    return _Builder(kb, experiment_page_path(exp_id)).experiment(spec, found)


def note_report(kb: KnowledgeBase, name: str) -> Report:
    """The report of a note (named by its path in the content folder, or as a wikilink names
    it) and of the experiments it quotes; ``ReportError`` when no note has that name."""
    found = resolve_path(kb.vault, name, "")
    path = found.path if found.status in (Status.OK, Status.AMBIGUOUS) else None
    if path is None or path not in kb.notes:
        raise ReportError(f"no experiment or note `{name}` ({found.message or 'it is not a note'})")
    return _Builder(kb, path).note(kb.notes[path])


def report_of(kb: KnowledgeBase, target: str) -> Report:
    """``target``'s report: the experiment of that id, else the note of that name."""
    if kb.results is not None and target in kb.results.specs:
        return experiment_report(kb, target)
    try:
        return note_report(kb, target)
    except ReportError:
        known = ", ".join(sorted(kb.results.specs)) if kb.results else ""
        raise ReportError(
            f"no experiment or note `{target}` (experiments: {known or 'none'}; a note is named by its "
            "path in the content folder, or as a wikilink names it)"
        ) from None


class _Builder:
    """Builds one report; ``page`` is the site page whose citation labels it uses."""

    def __init__(self, kb: KnowledgeBase, page: str) -> None:
        assert kb.results is not None
        self.kb = kb
        self.results = kb.results
        self.page = page
        self.problems: list[str] = []
        self.figures: dict[str, Figure] = {}
        self.shown: set[str] = set()  # names of the figures the prose shows

    def experiment(self, spec: ExperimentSpec, record: ResultRecord | None) -> Report:
        blocks: list[Block] = [*self.summary(spec, record, level=1)]
        if spec.prose.strip():
            blocks += self.prose(spec)
        blocks += self.parameters(spec)
        blocks.append(Heading(1, (Text("Results"),)))
        if record is None:
            reason = not_run_reason(spec, self.results.runs(spec.id))
            blocks.append(Paragraph((Text(f"Not measured: {reason}."),)))
        else:
            blocks += self.results_blocks(spec, record)
        subtitle = f"Experiment {spec.id} · {spec.status}"
        if record is not None:
            subtitle += f" · run of {run_date(record)} on {device_of(record)}"
        return Report(
            spec.title,
            subtitle,
            blocks,
            self.references(spec.refs),
            self.problems,
            measured=record is not None,
            date=str(record["provenance"].get("finished_at") or "") if record else "",
        )

    def note(self, note: Note) -> Report:
        """The note as the site shows it (its quotes rendered), then for each experiment it
        quotes: its hypothesis, verdict, freshness and provenance."""
        body = self.kb.quoted.get(note.path) or mkdocs_body(note)
        blocks = self.markdown(_COMMENT.sub("", body), shift=1)
        if blocks and isinstance(blocks[0], Heading) and plain(blocks[0].content).strip() == note.title:
            blocks = blocks[1:]  # the note's own "# Title", which the report's title says already
        quoted = list(dict.fromkeys(_quoted_experiments(note.body, self.results.specs)))
        records = []
        if quoted:
            blocks.append(Heading(1, (Text("The experiments quoted"),)))
        for exp_id in quoted:
            spec, record = self.results.specs[exp_id], self.results.record(exp_id)
            blocks += [Heading(2, (Text(spec.title),)), *self.summary(spec, record, level=3)]
            if record is None:
                self.problems.append(f"`{exp_id}`, which the note quotes, has no result")
            else:
                records.append(record)
                blocks.append(self.provenance(spec, record))
        count = f"{len(quoted)} experiment{'s' if len(quoted) != 1 else ''} quoted"
        return Report(
            note.title,
            f"Note {note.path} · {count}",
            blocks,
            self.references(),
            self.problems,
            date=max((str(r["provenance"].get("finished_at") or "") for r in records), default=""),
        )

    # -- text ----------------------------------------------------------------------------------

    def markdown(self, markdown: str, shift: int = 0) -> list[Block]:
        return read_markdown(markdown, self.cite, self.figure_for, shift)

    def cite(self, items: Sequence[Citation]) -> str | None:
        """A citation as the page words it: [1], (Higham, 2002) or [Hig02]."""
        assert self.kb.citations is not None
        rendered = render_citation(items, self.kb.citations, self.page)
        return None if rendered is None else " ".join(text_of_html(rendered).split())

    def summary(self, spec: ExperimentSpec, record: ResultRecord | None, level: int) -> list[Block]:
        """The hypothesis, the verdict and whether the result is fresh, as the page opens."""
        blocks: list[Block] = []
        for key, heading in (("hypothesis", "Hypothesis"), ("verdict", "Verdict")):
            if getattr(spec, key):
                text, found = prose_field(spec, key, experiment_page_path(spec.id), self.results)
                self.problems += [str(d) for d in found]
                blocks += [Heading(level, (Text(heading),)), *self.markdown(text)]
        if record is None:
            line = f"Not run: {not_run_reason(spec, self.results.runs(spec.id))}."
        else:
            text = state_text(self.results.state(spec.id))
            line = text[0].upper() + text[1:] + "."
        blocks.append(Paragraph(read_inline(line, self.cite)))
        return blocks

    def prose(self, spec: ExperimentSpec) -> list[Block]:
        try:
            source = Path(spec.path).read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            source = spec.prose
        prose, found = render_quotes(
            spec.prose, self.page, str(spec.path), self.results, body_line_offset(source, spec.prose)
        )
        self.problems += [str(d) for d in found]
        blocks = self.markdown(prose, shift=1)
        self.shown = {f.name for f in blocks if isinstance(f, Figure)}  # drawn once, where the prose shows it
        return blocks

    def parameters(self, spec: ExperimentSpec) -> list[Block]:
        if isinstance(spec.params, dict) and spec.params:
            items = tuple(
                (spec.label_of(name), (Text(", ".join(map(str, values))),))
                for name, values in spec.params.items()
            )
        elif spec.params:
            items = tuple(("Point", (Text(format_point(p)),)) for p in spec.params)
        else:
            return []
        return [Heading(1, (Text("Parameters"),)), Fields(items)]

    # -- results -------------------------------------------------------------------------------

    def results_blocks(self, spec: ExperimentSpec, record: ResultRecord) -> list[Block]:
        from cortex.experiments.tables import results_view

        run = f"From the run of {run_date(record)} on {device_of(record)} (size {record.get('size', '?')})."
        blocks: list[Block] = [Paragraph((Text(run),)), *self.markdown(results_view(spec, record), shift=1)]
        figures = []
        for declared in spec.figures:
            figure = self.figure_for(figure_div_id(spec.id, declared.id))
            if figure is not None and figure.name not in self.shown:
                figures.append(figure)
        if figures:
            blocks += [Heading(2, (Text("Figures"),)), *figures]
        assert self.kb.bibliography is not None
        baselines, found = baselines_table(spec, record, self.kb.bibliography, pandoc_cite)
        self.problems += [str(d) for d in found]
        if baselines:
            blocks += self.markdown("\n\n".join(baselines), shift=1)
        blocks += [Heading(1, (Text("Provenance"),)), self.provenance(spec, record)]
        return blocks

    def figure_for(self, div_id: str) -> Figure | None:
        """The figure the site embeds as ``div_id``: a declared figure of any experiment
        (a prose may quote another's), drawn from its record."""
        div_id = div_id if div_id in self._declared() else _DUPLICATE.sub("", div_id)
        if div_id in self.figures:
            return self.figures[div_id]
        found = self._declared().get(div_id)
        if found is None:
            return None
        spec, declared = found
        record = self.results.record(spec.id)
        if record is None:
            return None
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{spec.id}-{declared.id}")
        caption: Inlines = (Text(declared.title or declared.id),)  # plain text, as the site's figure title
        figure = Figure(name, caption, partial(draw_declared, declared, spec, record))
        self.figures[div_id] = figure
        return figure

    def _declared(self) -> dict:
        return {figure_div_id(s.id, f.id): (s, f) for s in self.results.specs.values() for f in s.figures}

    def provenance(self, spec: ExperimentSpec, record: ResultRecord) -> Fields:
        """Where the numbers come from: the run's device, commit and dirty flag, input hash,
        dates, host and environment, and whether it is still fresh."""
        prov = record.get("provenance", {})
        git: GitState | dict[str, object] = prov.get("git") or {}
        input_hash = prov.get("input_hash", {})
        duration = prov.get("duration_s")
        environment = ", ".join(
            f"{name} {prov.get(key)}"
            for name, key in (
                ("Python", "python"),
                ("torch", "torch"),
                ("CUDA", "cuda"),
                ("driver", "driver"),
            )
            if prov.get(key)
        )
        finished = str(prov.get("finished_at") or "–") + (
            f" ({format_number(duration)} s)" if is_number(duration) else ""
        )
        tree = "uncommitted changes (dirty)" if git.get("dirty") else "clean" if git.get("commit") else "–"
        rows = [
            ("Device", f"{device_of(record)} ({record.get('device', '?')}), size {record.get('size', '?')}"),
            ("Commit", str(git.get("commit") or "no git commit")),
            ("Working tree", tree),
            ("Input hash", str(input_hash.get("sha256") or "unknown")),
            ("Started", str(prov.get("started_at") or "–")),
            ("Finished", finished),
            ("Host", str(prov.get("host") or "–")),
            ("Platform", str(prov.get("platform") or "–")),
            ("Environment", environment or "–"),
        ]
        state = read_inline(state_text(self.results.state(spec.id)), self.cite)  # Markdown, as on the page
        return Fields((*((label, (Text(value),)) for label, value in rows), ("State", state)))

    # -- references ----------------------------------------------------------------------------

    def references(self, listed: Sequence[str] = ()) -> list[Reference]:
        """The entries the page cites, then those ``listed`` (an experiment's ``refs``),
        labelled and ordered as the page's own references."""
        index = self.kb.citations
        bibliography = self.kb.bibliography
        if index is None or bibliography is None:
            return []
        keys = list(index.page_keys(self.page))
        for key in listed:
            if key in bibliography and bibliography[key].key not in keys:
                keys.append(bibliography[key].key)
        numeric = index.style.citation == "numeric"
        if index.style.bibliography == "alpha" or numeric:
            labelled = [(index.label(self.page, k), k) for k in keys]
            if numeric and index.style.bibliography != "alpha":
                labelled.sort(key=lambda pair: int(pair[0]))
        else:
            labelled = [("", k) for k in index.formatter.sort(keys)]
        out = [Reference(label, html_inlines(str(index.formatter.html(key)))) for label, key in labelled]
        self.problems += [str(d) for d in index.formatter.problems]
        return out


def _quoted_experiments(markdown: str, known: Collection[str]) -> list[str]:
    """The experiments a note's shortcodes quote, in order, outside code."""
    regions = protected_regions(markdown)
    found = []
    for m in SHORTCODE.finditer(markdown):
        if (
            regions.covers(m.start())
            or m.group(1)
            or m.group(2) not in ("result", "table", "figure", "experiment")
        ):
            continue
        words = m.group(3).split()
        if words and words[0] in known:
            found.append(words[0])
    return found
