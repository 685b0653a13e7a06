"""Benchmark: citations over a synthetic 15,000-entry bibliography and 1,000 citing pages.

What it times, all in this process, through the same calls the MkDocs plugin makes:

* anchor: pybtex's own parse of the same .bib files (``pybtex.database.input.bibtex.Parser``);
* cold build: ``load_bibliography`` with an empty cache, ``CitationsAdapter.index_pages``
  (which formats every cited entry; these two, as the plugin reads its model, with the garbage
  collector paused, and what they made then kept out of its collections, as the plugin keeps
  its model), the global page (``bibliography_page``, rendered as a page is), and each page
  rendered as the plugin does: ``start_page``, Markdown conversion, formulas typeset, the HTML
  sanitized and ``finish_page``; then ``save_cache``. The same pages rendered without
  citations are subtracted (best of interleaved runs each, every run with citations starting
  as a build's rendering starts, nothing rendered yet), so the figure is the time citations
  add to a build;
* warm build: the same with the on-disk cache filled by the cold build and the
  in-process memory cleared (a new ``mkdocs build``);
* serve rebuild: one page gains a citation and the preview rebuilds (``cortex serve``): the
  same loading and indexing with the in-process memory kept, and only that page rendered,
  since the preview renders only the pages whose text or references changed. ``--edits``
  pages (5 unless told) gain one each, a rebuild after each; the median counts, as a single
  rebuild's figure moves by a third with the garbage collector's timing.

Times are CPU seconds of this process (``time.process_time``), so that other work on a
shared machine does not count; everything here is single-threaded. Prints one line per
figure and writes bench/out/bibliography.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import markdown
from pybtex.database.input.bibtex import Parser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cortex.citations import bibliography as bibliography_module
from cortex.citations import index, latex, references, syntax, unsrt_html
from cortex.citations.bibliography import load_bibliography
from cortex.mkdocs.citations import CitationsAdapter
from cortex.mkdocs.plugin import collector_paused
from cortex.text import math, sanitize
from cortex.text.math import typeset_page
from cortex.text.sanitize import sanitize_html

SURNAMES = [
    "Smith",
    'M{\\"u}ller',
    "Garc{\\'\\i}a",
    "Nguyen",
    "O'Brien",
    "Zhang",
    "Kowalski",
    "Dubois",
    "van der Berg",
    "Rossi",
    "Tanaka",
    "Ivanov",
    'Sch{\\"o}n',
    "Andersson",
    "Silva",
    "Kim",
]
GIVEN = ["Ann", "Bo", "Chen", "Daria", "Emil", "Fatima", "Goran", "Hiro", "Ines", "Jan", "Kofi", "Lea"]
WORDS = [
    "attention",
    "scaling",
    "training",
    "models",
    "learning",
    "deep",
    "sparse",
    "efficient",
    "robust",
    "neural",
    "optimization",
    "precision",
    "gradient",
    "language",
    "vision",
    "memory",
    "retrieval",
    "bounds",
    "analysis",
    "stochastic",
]
VENUES = {
    "neurips": "Advances in Neural Information Processing Systems",
    "icml": "International Conference on Machine Learning",
    "jmlr": "Journal of Machine Learning Research",
    "cacm": "Communications of the ACM",
}
MARKDOWN_EXTENSIONS = ["toc", "tables", "fenced_code"]


def synthetic_entry(rng: random.Random, n: int) -> str:
    authors = " and ".join(f"{rng.choice(SURNAMES)}, {rng.choice(GIVEN)}" for _ in range(rng.randint(1, 8)))
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 10))).capitalize()
    year = rng.randint(1960, 2025)
    if n % 3 == 0:
        return (
            f"@article{{key{n},\n  author = {{{authors}}},\n  title = {{{{{title}}} with $O(n^2)$ cost}},\n"
            f"  journal = {rng.choice(['jmlr', 'cacm'])},\n  volume = {rng.randint(1, 60)},\n"
            f"  pages = {{{n % 900}--{n % 900 + 12}}},\n  year = {year},\n  doi = {{10.1000/test.{n}}},\n}}\n"
        )
    if n % 3 == 1:
        return (
            f"@inproceedings{{key{n},\n  author = {{{authors}}},\n  title = {{{title}}},\n"
            f"  booktitle = {rng.choice(['neurips', 'icml'])},\n  year = {year},\n"
            f"  eprint = {{{2000 + n % 400}.{n:05d}}},\n  archivePrefix = {{arXiv}},\n}}\n"
        )
    return (
        f"@book{{key{n},\n  author = {{{authors}}},\n  title = {{{title}}},\n  publisher = {{Press \\& Sons}},"
        f'\n  address = "City " # "Name",\n  year = {year},\n  url = {{https://example.org/{n}}},\n}}\n'
    )


def write_corpus(root: Path, entries: int, files: int, pages: int, seed: int = 7) -> tuple[Path, dict]:
    rng = random.Random(seed)
    refs = root / "refs"
    refs.mkdir(parents=True)
    (refs / "venues.bib").write_text(
        "".join(f'@string{{{k} = "{v}"}}\n' for k, v in VENUES.items()), encoding="utf-8"
    )
    per_file = entries // files
    for f in range(files):
        chunk = "\n".join(synthetic_entry(rng, n) for n in range(f * per_file, (f + 1) * per_file))
        (refs / f"part{f:02d}.bib").write_text(chunk, encoding="utf-8")
    site_pages = {}
    for p in range(pages):
        paragraphs = []
        for _ in range(rng.randint(3, 8)):
            k = [rng.randrange(entries) for _ in range(3)]
            paragraphs.append(
                f"Some prose about {rng.choice(WORDS)} [@key{k[0]}, p. {k[0] % 50}] and more "
                f"[see @key{k[1]}; -@key{k[2]}]. As @key{k[0]} notes, write to someone@example.org.\n\n"
                f"`@key{k[1]}` stays code, and so does this:\n\n```python\n@decorator\ndef f(): ...\n```\n"
            )
        site_pages[f"notes/page{p:04d}.md"] = (f"# Page {p}\n\n" + "\n".join(paragraphs), f"Page {p}")
    return refs, site_pages


def pybtex_parse(refs: Path, repeats: int) -> float:
    """Best time of pybtex's own parser over the same files (macros file first)."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        parser = Parser()
        for path in sorted(refs.glob("*.bib"), key=lambda p: p.name != "venues.bib"):
            parser.parse_file(str(path))
        times.append(time.process_time() - start)
    return min(times)


def render_page(text: str, src_uri: str, adapter: CitationsAdapter | None) -> str:
    """A page's HTML as the plugin makes it: Markdown, then (``on_page_content``) formulas
    typeset, the HTML sanitized, and the page's references added."""
    extensions = MARKDOWN_EXTENSIONS + ([adapter.extension()] if adapter else [])
    if adapter:
        adapter.start_page(src_uri, src_uri[:-3] + "/")
    html = sanitize_html(typeset_page(markdown.Markdown(extensions=extensions).convert(text))[0])
    return adapter.finish_page(html) if adapter else html


def convert_pages(site_pages: dict, adapter: CitationsAdapter | None, only: set[str] | None = None) -> float:
    start = time.process_time()
    for src_uri, (text, _) in site_pages.items():
        if only is None or src_uri in only:
            render_page(text, src_uri, adapter)
    return time.process_time() - start


def rendering_added(
    site_pages: dict, adapter: CitationsAdapter, repeats: int, only: set[str] | None = None
) -> tuple[float, float]:
    """(added, baseline): Markdown with citations minus without, each the best of interleaved runs.
    Each run with citations starts where a build's rendering starts: no citation rendered yet
    (the memos a build makes as it renders, of each cited entry's link and each page's
    numbering, are cleared, and the pages' rendered citations are as the build found them) and,
    for a build (all pages: a new process), no group parsed yet."""
    with_citations, without = [], []
    rendered = adapter.index.bibliography.rendered_citations.pages
    kept = dict(rendered)  # the pages' citations as the build found them
    for _ in range(repeats):
        without.append(convert_pages(site_pages, None, only))
        adapter.index.entries.clear()
        adapter.index._order.clear()
        rendered.clear()
        rendered.update(kept)
        if only is None:
            clear_memos((syntax, index))
        with_citations.append(convert_pages(site_pages, adapter, only))
    return min(with_citations) - min(without), min(without)


def clear_memos(modules: tuple) -> None:
    """Every function's memo in ``modules``."""
    for module in modules:
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def citation_build(
    refs: Path, cache: Path, site_pages: dict, repeats: int, only: set[str] | None = None
) -> dict:
    """``only``: the pages rendered (all by default)."""
    start = time.process_time()
    with collector_paused():  # as the plugin reads its model: the bibliography and the index
        bibliography, diagnostics = load_bibliography(refs, cache)
        loaded = time.process_time()
        adapter = CitationsAdapter(bibliography, style="numeric", bib_style="plain")
        unknown = adapter.index_pages(site_pages)
        gc.freeze()  # as the plugin does with its model for the rest of a build (_freeze_model)
    indexed = time.process_time()
    page_uri, page_markdown = adapter.bibliography_page()
    if only is None:  # a preview renders the global page again only when its list changed
        render_page(page_markdown, page_uri, adapter)
    global_page = time.process_time()
    render, baseline = rendering_added(site_pages, adapter, repeats, only)
    gc.unfreeze()
    saving = time.process_time()
    adapter.save_cache()
    saved = time.process_time()
    assert not diagnostics and not unknown, (diagnostics[:3], unknown[:3])
    cited = len(adapter.index.cited_keys())
    return {
        "load_s": loaded - start,
        "index_and_format_s": indexed - loaded,
        "global_page_s": global_page - indexed,
        "render_added_s": render,
        "save_cache_s": saved - saving,
        "render_baseline_s": baseline,
        "added_s": (global_page - start) + render + (saved - saving),
        "entries": len(bibliography),
        "cited_entries": cited,
    }


def forget_memory() -> None:
    """What a new process would not have: the parsed files, the formatted entries, each page's
    citations (the disk keeps them), every function's memo in the modules citations use, and
    the garbage the build before left (collected here, not during the next build)."""
    clear_memos((latex, unsrt_html, references, syntax, bibliography_module, index, math, sanitize))
    bibliography_module._ParseCache._memory.clear()
    bibliography_module._ParseCache._placed.clear()
    bibliography_module.FormatCache._memory.clear()
    bibliography_module.PageCitations._memory.clear()
    bibliography_module.RenderedCitations._memory.clear()
    gc.collect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=15_000)
    parser.add_argument("--pages", type=int, default=1_000)
    parser.add_argument("--files", type=int, default=15)
    parser.add_argument(
        "--repeats", type=int, default=5, help="interleaved Markdown runs; the best one counts"
    )
    parser.add_argument(
        "--edits",
        type=int,
        default=5,
        help="serve rebuilds, each after one more page gained a citation; the median counts",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        refs, site_pages = write_corpus(root, args.entries, args.files, args.pages)
        anchor = pybtex_parse(refs, 2)
        forget_memory()
        cold = citation_build(refs, root / "cache", site_pages, args.repeats)
        forget_memory()
        warm = citation_build(refs, root / "cache", site_pages, args.repeats)
        serves = []
        for edit, edited in enumerate(list(site_pages)[: args.edits]):
            text, title = site_pages[edited]
            site_pages[edited] = (text + f"\nOne more citation [@key{edit + 1}].\n", title)
            serves.append(citation_build(refs, root / "cache", site_pages, args.repeats, only={edited}))
        serve = sorted(serves, key=lambda s: s["added_s"])[len(serves) // 2]
    results = {
        "entries": cold["entries"],
        "pages": args.pages,
        "pybtex_parse_s": anchor,
        "cold": cold,
        "warm": warm,
        "serve_rebuild": serve,
        "serve_rebuild_added_s_each": [s["added_s"] for s in serves],
        "cold_ratio_to_pybtex_parse": cold["added_s"] / anchor,
        "warm_ratio_to_pybtex_parse": warm["added_s"] / anchor,
        "serve_rebuild_ratio_to_pybtex_parse": serve["added_s"] / anchor,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(f"pybtex parse of {cold['entries']} entries: {anchor:.2f} s (anchor)")
    print(
        f"cold build, added time / pybtex parse: {results['cold_ratio_to_pybtex_parse']:.2f} (target <= 1.2)"
    )
    for name, build in (("cold", cold), ("warm", warm)):
        if name == "warm":
            print(
                f"warm build, added time: {warm['added_s']:.2f} s, / pybtex parse: "
                f"{warm['added_s'] / anchor:.2f} (target <= 0.15)"
            )
        print(
            f"  {name}: loading refs/ {build['load_s']:.2f} s; indexing {args.pages} pages and formatting "
            f"{build['cited_entries']} cited entries with pybtex's plain style {build['index_and_format_s']:.2f} s; "
            f"the global page {build['global_page_s']:.2f} s; rendering the pages "
            f"{build['render_added_s']:.2f} s more than without citations ({build['render_baseline_s']:.2f} s)"
        )
    each = ", ".join(f"{s['added_s']:.2f}" for s in serves)
    print(
        f"serve rebuild after one page changed, added time (median of {len(serves)} edits): "
        f"{serve['added_s']:.2f} s (each: {each}), "
        f"/ pybtex parse: {serve['added_s'] / anchor:.2f} (target <= 0.15)"
    )
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "bibliography.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
