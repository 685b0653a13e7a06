"""The knowledge base: one model, loaded once, read by every adapter (MkDocs plugin, CLI,
Snakefile). Loading it finds every problem in the user's files, so ``cortex check`` and a
strict build report the same diagnostics."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cortex.citations.bibliography import Bibliography, load_bibliography
from cortex.citations.index import CitationIndex
from cortex.citations.references import CitationStyle
from cortex.citations.syntax import find_citations
from cortex.curriculum.model import Curriculum, load_curriculum
from cortex.curriculum.pages import TopicUses, curriculum_pages, progress_summary, topic_uses
from cortex.diagnostics import Code, Diagnostic, diagnostic
from cortex.experiments.board import (
    BOARD_PATH,
    experiment_card,
    latest_results,
    research_board,
    status_summary,
)
from cortex.experiments.claims import unsourced_numbers
from cortex.experiments.declaration import ExperimentSpec, load_experiments
from cortex.experiments.method import unknown_motivation
from cortex.experiments.pages import PagesMemo, experiment_page_path, experiment_pages
from cortex.experiments.quotes import Summary, body_line_offset, render_quotes
from cortex.experiments.store import ResultSet
from cortex.notes.backlinks import Backlink, backlinks, notes_by_tag
from cortex.notes.checks import check_vault
from cortex.notes.kept import keep_in
from cortex.notes.notebooks import NOTEBOOK_SUFFIX, check_notebook
from cortex.notes.rendering import MAX_EMBED_DEPTH
from cortex.notes.vault import Note, Slugify, Vault, load_vault, parse_note

CURRICULUM_FILE = "curriculum/pillars.yaml"
# where generated section pages sit in the navigation (a note says so with an `order:` property)
NAV_ORDER = {"curriculum/index.md": 5, "experiments/index.md": 50, BOARD_PATH: 100}
REFS_DIR = "refs"
CACHE_DIR = ".cache/cortex"


@dataclass
class KnowledgeBase:
    root: Path  # the project root (where mkdocs.yml is), or the content folder's parent
    vault: Vault
    backlinks: dict[str, list[Backlink]]
    tags: dict[str, list[str]]
    specs: list[ExperimentSpec] = field(default_factory=list)
    results: ResultSet | None = None
    curriculum: Curriculum | None = None
    pages: dict[str, str] = field(default_factory=dict)  # generated pages: site path -> Markdown
    nav_order: dict[str, int] = field(default_factory=dict)
    bad_notebooks: set[str] = field(
        default_factory=set
    )  # left out of the site (see diagnostics)  # generated page -> its place in the navigation
    quoted: dict[str, str] = field(default_factory=dict)  # note path -> body with result quotes rendered
    bibliography: Bibliography | None = None
    citations: CitationIndex | None = None  # what every page cites
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def notes(self) -> dict[str, Note]:
        """The notes written in the content folder (not the generated experiment pages)."""
        return {p: n for p, n in self.vault.notes.items() if not n.virtual}


def load(
    content_dir: Path,
    root: Path | None = None,
    paths: Iterable[str] | None = None,
    slugify: Slugify | None = None,
    sources: dict[str, str] | None = None,
    citation_style: CitationStyle | None = None,
    list_all_references: bool = False,
    max_embed_depth: int = MAX_EMBED_DEPTH,
    cache_dir: Path | None = None,
    experiment_memo: PagesMemo | None = None,
) -> KnowledgeBase:
    """Read a content folder and the project around it (``root``: experiments/, results/) into
    one model with every diagnostic found on the way. ``cache_dir`` keeps formatted references,
    and what is worked out of each note (``cortex.notes.kept``), between runs (a project's is
    ``root/.cache/cortex``); without it nothing is written.
    ``experiment_memo``: the experiment pages of the last load in this process (a preview's)."""
    content_dir = Path(content_dir)
    root = Path(root) if root else content_dir.parent
    keep_in(cache_dir / "kept" if cache_dir else None)
    specs, diagnostics = load_experiments(root)
    results = ResultSet.load(specs, root)
    virtual = {experiment_page_path(s.id): s.path for s in specs}
    vault = load_vault(content_dir, paths=paths, slugify=slugify, sources=sources, virtual=virtual)
    kb = KnowledgeBase(
        root=root,
        vault=vault,
        backlinks=backlinks(vault),
        tags=notes_by_tag(vault),
        specs=specs,
        results=results,
    )
    diagnostics += check_vault(vault, max_embed_depth)
    for path in sorted(p for p in vault.attachments if p.lower().endswith(NOTEBOOK_SUFFIX)):
        problem = check_notebook(content_dir / path, str(content_dir / path))
        if problem is not None:
            kb.bad_notebooks.add(path)
            diagnostics.append(problem)
    diagnostics += results.diagnostics()
    if specs:
        pages, found = experiment_pages(results, memo=experiment_memo)
        kb.pages.update(pages)
        kb.pages[BOARD_PATH] = research_board(results)
        diagnostics += found
    kb.curriculum, found = load_curriculum(content_dir / CURRICULUM_FILE)
    diagnostics += found
    uses = topic_uses(kb.notes, vault.root, results)
    if kb.curriculum.pillars:
        pages, found = curriculum_pages(kb.curriculum, uses, kb.notes, results)
        kb.pages.update(pages)
        diagnostics += found
    summaries = front_page_summaries(kb.curriculum, uses, results)
    for path, note in kb.notes.items():
        if "{{<" in note.body:
            body = mkdocs_body(note)
            kb.quoted[path], found = render_quotes(
                body, path, note.file, results, body_line_offset(note.source, body), summaries
            )
            diagnostics += found
    diagnostics += index_citations(
        kb, citation_style or CitationStyle("numeric", "plain"), list_all_references, cache_dir
    )
    kb.nav_order = {path: NAV_ORDER.get(path, 1001 + rank) for rank, path in enumerate(kb.pages)}
    kb.diagnostics = sorted(set(diagnostics), key=lambda d: (d.path, d.line, d.col, d.message))
    return kb


def unsourced_claims(kb: KnowledgeBase) -> list[Diagnostic]:
    """``cortex check --claims``: the numbers in the experiments' hypotheses, verdicts and
    analyses that have no source (see ``cortex.experiments.claims``)."""
    found: list[Diagnostic] = []
    for spec in kb.specs:
        found += unsourced_numbers(spec, spec.path.read_text("utf-8"))
    return found


def front_page_summaries(curriculum: Curriculum, uses: TopicUses, results: ResultSet) -> dict[str, Summary]:
    """The summary shortcodes a page may use (``{{< latest >}}`` and the others; see
    ``cortex.experiments.quotes``)."""

    def latest(args: list[str], page: str) -> str:
        if len(args) > 1 or (args and not args[0].isdigit()):
            raise ValueError("takes at most one argument, how many experiments to list: {{< latest 5 >}}")
        return latest_results(results, page, int(args[0]) if args else 5)

    def no_arguments(render: Callable[[str], str]) -> Summary:
        def summary(args: list[str], page: str) -> str:
            if args:
                raise ValueError("takes no arguments")
            return render(page)

        return summary

    def experiment(args: list[str], page: str) -> str:
        if len(args) != 1:
            raise ValueError("takes one argument, the experiment: {{< experiment fp_formats >}}")
        return experiment_card(results, args[0], page)

    return {
        "latest": latest,
        "experiment": experiment,
        "experiments": no_arguments(lambda page: status_summary(results, page)),
        "progress": no_arguments(lambda page: progress_summary(curriculum, uses, page)),
    }


def index_citations(
    kb: KnowledgeBase, style: CitationStyle, list_all: bool, cache_dir: Path | None = None
) -> list[Diagnostic]:
    """Load refs/*.bib and record what every page cites (unknown keys are errors)."""
    kb.bibliography, found = load_bibliography(kb.root / REFS_DIR, cache_dir=cache_dir)
    kb.citations = CitationIndex(kb.bibliography, style, list_all=list_all)
    for spec in kb.specs:
        for i, base in enumerate(spec.baselines):
            if base.cite not in kb.bibliography:
                message = f"baseline cites '{base.cite}', which no entry in refs/*.bib has"
                where = spec.position_of("baselines", i, "cite")
                found.append(diagnostic(Code.UNKNOWN_BASELINE_CITATION, spec.path, *where, message))
    found += unknown_motivation(kb.specs, kb.bibliography)
    for path, note in kb.vault.notes.items():
        if note.virtual:  # the page is generated: index its text, check the declaration's own
            kb.citations.add_page(path, kb.pages.get(path, ""), note.title, note.meta, note.file)
            found += [
                diagnostic(
                    Code.UNKNOWN_CITATION,
                    note.file,
                    c.line,
                    c.col,
                    f"unknown citation key '{c.key}': no entry in refs/*.bib has it",
                )
                for c in find_citations(note.source)
                if c.key not in kb.bibliography
            ]
        else:
            found += kb.citations.add_page(path, note.source, note.title, note.meta, note.file)
    for path, text in kb.pages.items():
        if path not in kb.citations.pages:  # a generated page: titled as a note would be
            title = parse_note(path, text, kb.vault.slugify, path).title
            kb.citations.add_page(path, text, title, {}, path)
    kb.citations.prepare()
    return found + kb.citations.formatter.problems


def mkdocs_body(note: Note) -> str:
    """The note's text as MkDocs hands it to plugins: front matter gone, leading blank lines too."""
    return note.body.lstrip("\n")


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding an mkdocs.yml."""
    start = start.resolve()
    for folder in [start, *start.parents]:
        if (folder / "mkdocs.yml").is_file():
            return folder
    return None
