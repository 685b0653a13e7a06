"""Every case of the bad-input corpus gets one clear diagnostic at the right file and line: notes,
front matter, references, declarations, results, figures, quotes, runs, notebooks, the
curriculum and arXiv. See tests/support/bad_input.py for how an answer is classified."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.bad_input import BIB, EXPERIMENT_CODE, Case, classify, declaration, json_text, note, record

from cortex.citations.arxiv_import import import_arxiv, make_client

X_MD, X_PY, RESULT = "experiments/x.md", "experiments/x.py", "results/x/result.json"
GOOD = {X_MD: declaration(), X_PY: EXPERIMENT_CODE}


def with_result(data: dict | str, **files: str) -> dict:
    text = data if isinstance(data, str) else json_text(data)
    return {**GOOD, RESULT: text, **files}


def quoting(shortcode: str, **files) -> dict:
    return {**with_result(record()), "content/q.md": f"# Q\n\n{shortcode}\n", **files}


NOTES = [
    Case(
        "unresolved link", {"content/a.md": "# A\n\nSee [[Nowhere]].\n"}, "content/a.md", 3, "unresolved-link"
    ),
    Case(
        "unresolved heading",
        {"content/a.md": "# A\n\n[[b#Nope]]\n", "content/b.md": "# B\n"},
        "content/a.md",
        3,
        "unresolved-link",
        "heading 'Nope'",
    ),
    Case(
        "unresolved block",
        {"content/a.md": "# A\n\n[[b#^gone]]\n", "content/b.md": "# B\n"},
        "content/a.md",
        3,
        "unresolved-link",
        "block ^gone",
    ),
    Case(
        "heading matched by its slug only",
        {"content/a.md": "# A\n\n[[b#has-tag]]\n", "content/b.md": "# B\n\n## hasTag()\n"},
        "content/a.md",
        3,
        "unresolved-link",
    ),
    Case(
        "ambiguous name",
        {"content/a.md": "# A\n\n[[b]]\n", "content/x/b.md": "# B\n", "content/y/b.md": "# B\n"},
        "content/a.md",
        3,
        "ambiguous-link",
    ),
    Case(
        "ambiguous in its own folder",
        {"content/x/a.md": "# A\n\n[[b]]\n", "content/x/b.md": "# B\n", "content/y/b.md": "# B\n"},
        "content/x/a.md",
        3,
        "ambiguous-link",
    ),
    Case(
        "link through an alias",
        {"content/a.md": "# A\n\n[[Bee]]\n", "content/b.md": "---\naliases: [Bee]\n---\n# B\n"},
        "content/a.md",
        3,
        "alias-link",
    ),
    Case(
        "link out of the content folder",
        {"content/a.md": "# A\n\n[[../../etc/passwd]]\n"},
        "content/a.md",
        3,
        "unresolved-link",
        "outside",
    ),
    Case(
        "embed loop",
        {"content/a.md": "# A\n\n![[b]]\n", "content/b.md": "# B\n\n![[a]]\n"},
        "content/b.md",
        3,
        "embed-loop",
        "a.md → b.md → a.md",
    ),
    Case(
        "section embedding itself",
        {"content/a.md": "# A\n\n## One\n\n![[a#One]]\n"},
        "content/a.md",
        5,
        "embed-loop",
    ),
    Case(
        "embeds nested too deep",
        {f"content/n{i}.md": f"# N{i}\n\n![[n{i + 1}]]\n" for i in range(6)} | {"content/n6.md": "# N6\n"},
        "content/n4.md",
        3,
        "embed-too-deep",
    ),
    Case(
        "embed of a missing image",
        {"content/a.md": "# A\n\n![[nothing.png]]\n"},
        "content/a.md",
        3,
        "unresolved-link",
    ),
    Case(
        "property link to nothing",
        {"content/a.md": note("# A\n", 'up: "[[Nowhere]]"\n')},
        "content/a.md",
        2,
        "unresolved-property-link",
    ),
    Case(
        "front matter with a tab",
        {"content/a.md": note("# A\n", "title: x\n\tbad: y\n")},
        "content/a.md",
        3,
        "invalid-front-matter",
    ),
    Case(
        "unclosed quote in front matter",
        {"content/a.md": note("# A\n", 'title: "x\ntags: [a]\n')},
        "content/a.md",
        2,
        "invalid-front-matter",
        "quoted scalar",
    ),
    Case(
        "front matter that is a list",
        {"content/a.md": note("# A\n", "- a\n- b\n")},
        "content/a.md",
        2,
        "invalid-front-matter",
        "mapping",
    ),
    Case(
        "front matter never closed",
        {"content/a.md": "---\ntitle: x\n\n# A\n"},
        "content/a.md",
        1,
        "invalid-front-matter",
        "not closed",
    ),
    Case(
        "a property written twice",
        {"content/a.md": note("# A\n", "tags: [a]\ntags: [b]\n")},
        "content/a.md",
        3,
        "duplicate-property",
    ),
    Case(
        "title that is a list",
        {"content/a.md": note("# A\n", "title: [a, b]\n")},
        "content/a.md",
        2,
        "property-type",
    ),
    Case(
        "aliases that are a mapping",
        {"content/a.md": note("# A\n", "aliases: {}\n")},
        "content/a.md",
        2,
        "property-type",
    ),
    Case(
        "tags that are a number",
        {"content/a.md": note("# A\n", "tags: 5\n")},
        "content/a.md",
        2,
        "property-type",
    ),
    Case(
        "a nested tag map",
        {"content/a.md": note("# A\n", "tags:\n  - {nested: map}\n")},
        "content/a.md",
        2,
        "property-type",
    ),
    Case(
        "a description that is a number",
        {"content/a.md": note("# A\n", "description: 3\n")},
        "content/a.md",
        2,
        "property-type",
    ),
    Case(
        "an alias bomb",
        {
            "content/a.md": note(
                "# A\n",
                "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                + "".join(
                    f"{k}: &{k} [{', '.join([f'*{p}'] * 10)}]\n"
                    for p, k in zip("abcde", "bcdef", strict=True)
                ),
            )
        },
        "content/a.md",
        2,
        "invalid-front-matter",
        "more than 100,000",
    ),
    Case("a note not in UTF-8", {"content/a.md": b"# A\n\nCaf\xe9\n"}, "content/a.md", 3, "not-utf8"),
    Case(
        "an unknown citation key",
        {"content/a.md": "# A\n\nAs [@nobody2020] says.\n", "refs/a.bib": BIB},
        "content/a.md",
        3,
        "unknown-citation",
    ),
    Case(
        "a reading note for no entry",
        {"content/a.md": note("# A\n", "cite: nobody2020\n"), "refs/a.bib": BIB},
        "content/a.md",
        2,
        "unknown-reading-note-key",
    ),
    Case(
        "a note on an unknown topic",
        {"content/a.md": note("# A\n", "topics: [algebraa]\n")},
        "content/a.md",
        2,
        "unknown-topic",
        "did you mean 'algebra'",
    ),
    Case(
        "a topic that is not text",
        {"content/a.md": note("# A\n", "topics: [5]\n")},
        "content/a.md",
        2,
        "unknown-topic",
    ),
]

QUOTES = [
    Case(
        "quote of an unknown experiment",
        quoting("{{< result nope sq n=1 >}}"),
        "content/q.md",
        3,
        "bad-quote",
        "unknown experiment",
    ),
    Case(
        "quote of an unknown metric",
        quoting("{{< result x cube n=1 >}}"),
        "content/q.md",
        3,
        "bad-quote",
        "no metric `cube`",
    ),
    Case(
        "quote of an unknown parameter",
        quoting("{{< result x sq m=1 >}}"),
        "content/q.md",
        3,
        "bad-quote",
        "no parameter `m`",
    ),
    Case(
        "quote of a missing point",
        quoting("{{< result x sq n=3 >}}"),
        "content/q.md",
        3,
        "bad-quote",
        "no point",
    ),
    Case("quote naming no point", quoting("{{< result x sq >}}"), "content/q.md", 3, "bad-quote", "2 points"),
    Case(
        "quote of an undeclared figure",
        quoting("{{< figure x nope >}}"),
        "content/q.md",
        3,
        "bad-quote",
        "no figure `nope`",
    ),
    Case(
        "an unknown shortcode",
        quoting("{{< chart x sq >}}"),
        "content/q.md",
        3,
        "bad-quote",
        "unknown shortcode",
    ),
    Case(
        "a shortcode with an open quote",
        quoting('{{< result x sq n="1 >}}'),
        "content/q.md",
        3,
        "bad-quote",
        "cannot read",
    ),
    Case(
        "a table of an unknown metric",
        quoting("{{< table x [cube] >}}"),
        "content/q.md",
        3,
        "bad-quote",
        "no metric `cube`",
    ),
    Case(
        "a quote of a result never made",
        {**GOOD, "content/q.md": "# Q\n\n{{< result x sq n=1 >}}\n"},
        "content/q.md",
        3,
        "bad-quote",
        "has no result",
    ),
    Case(
        "a quote of an unreadable result",
        quoting("{{< result x sq n=1 >}}", **{RESULT: "{oops"}),
        "content/q.md",
        3,
        "bad-quote",
        "cannot be read",
    ),
    Case(
        "a quote of the interquartile range of a number",
        quoting("{{< result x sq:iqr n=1 >}}"),
        "content/q.md",
        3,
        "bad-quote",
        "without a spread",
    ),
    Case(
        "a result without the arguments",
        quoting("{{< result x >}}"),
        "content/q.md",
        3,
        "bad-quote",
        "needs an experiment and a metric",
    ),
]

BIBS = [
    Case(
        "braces that do not balance",
        {
            "refs/a.bib": "@article{a1,\n  author = {Doe, J.},\n  title = {An {open title},\n  year = {2020}\n}\n"
        },
        "refs/a.bib",
        3,
        "bib-syntax",
        "braces of field 'title'",
    ),
    Case(
        "a missing comma",
        {"refs/a.bib": "@article{a1,\n  title = {T}\n  year = 2020,\n}\n"},
        "refs/a.bib",
        3,
        "bib-syntax",
    ),
    Case(
        "a key twice in one file",
        {"refs/a.bib": BIB + "\n" + BIB},
        "refs/a.bib",
        8,
        "duplicate-key",
        "which is used",
    ),
    Case(
        "a key twice across files",
        {"refs/a.bib": BIB, "refs/b.bib": "% later\n" + BIB},
        "refs/b.bib",
        2,
        "duplicate-key",
    ),
    Case(
        "a field twice",
        {"refs/a.bib": "@misc{a1,\n  title = {One},\n  title = {Two},\n  year = {2020}\n}\n"},
        "refs/a.bib",
        3,
        "duplicate-field",
    ),
    Case(
        "a crossref to nothing",
        {"refs/a.bib": "@inproceedings{a1,\n  title = {T},\n  crossref = {nowhere}\n}\n"},
        "refs/a.bib",
        3,
        "missing-crossref",
        "'nowhere'",
    ),
    Case(
        "a crossref cycle",
        {
            "refs/a.bib": "@misc{a1,\n  title = {A},\n  crossref = {b1}\n}\n@misc{b1,\n  title = {B},\n  crossref = {a1}\n}\n"
        },
        "refs/a.bib",
        3,
        "missing-crossref",
        "leads back",
    ),
    Case(
        "an undefined @string macro",
        {"refs/a.bib": "@misc{a1,\n  title = {T},\n  note = nomacro\n}\n"},
        "refs/a.bib",
        3,
        "undefined-macro",
    ),
    Case(
        "an undefined LaTeX command",
        {"refs/a.bib": "@misc{a1,\n  title = {Uses \\foo here},\n  year = {2020}\n}\n"},
        "refs/a.bib",
        2,
        "undefined-latex",
        "\\foo",
    ),
    Case(
        "a name mixing two forms",
        {"refs/a.bib": "@misc{a1,\n  author = {family=Doe, Jane},\n  title = {T}\n}\n"},
        "refs/a.bib",
        2,
        "bad-name",
    ),
    Case(
        "a .bib not in UTF-8",
        {"refs/a.bib": b"@misc{a1,\n  title = {Caf\xe9},\n  year = {2020}\n}\n"},
        "refs/a.bib",
        2,
        "bib-not-utf8",
    ),
    Case(
        "an entry without a key",
        {"refs/a.bib": "@article{,\n  title = {T}\n}\n"},
        "refs/a.bib",
        1,
        "bib-syntax",
    ),
    Case(
        "a cited entry that cannot be formatted",
        {
            "refs/a.bib": "@article{a1,\n  title = {T},\n  year = {2020}\n}\n",
            "content/a.md": "# A\n\n[@a1]\n",
        },
        "refs/a.bib",
        1,
        "reference-format",
        "missing",
    ),
]

DECLARATIONS = [
    Case("no front matter", {X_MD: "Just prose.\n", X_PY: EXPERIMENT_CODE}, X_MD, 1, "invalid-declaration"),
    Case(
        "invalid YAML",
        {X_MD: declaration("oops: [\n"), X_PY: EXPERIMENT_CODE},
        X_MD,
        10,
        "invalid-declaration",
    ),
    Case(
        "no title",
        {X_MD: declaration(head="status: planned\n"), X_PY: EXPERIMENT_CODE},
        X_MD,
        1,
        "invalid-declaration",
        "missing `title`",
    ),
    Case(
        "no status",
        {X_MD: declaration(head="title: X\n"), X_PY: EXPERIMENT_CODE},
        X_MD,
        1,
        "invalid-declaration",
        "missing `status`",
    ),
    Case(
        "an unknown key",
        {X_MD: declaration("colour: blue\n"), X_PY: EXPERIMENT_CODE},
        X_MD,
        9,
        "invalid-declaration",
        "unknown key `colour`",
    ),
    Case(
        "an unknown status",
        {X_MD: declaration(head="title: X\nstatus: done\n"), X_PY: EXPERIMENT_CODE},
        X_MD,
        3,
        "invalid-declaration",
    ),
    Case(
        "an unknown device",
        {X_MD: declaration("device: tpu\n"), X_PY: EXPERIMENT_CODE},
        X_MD,
        9,
        "invalid-declaration",
    ),
    Case(
        "a parameter that is not a list",
        {
            X_MD: declaration(
                head="title: X\nstatus: planned\nscript: experiments/x.py:run\nparams:\n  n: 3\nmetrics:\n  sq: {unit: ''}\n"
            ),
            X_PY: EXPERIMENT_CODE,
        },
        X_MD,
        6,
        "invalid-declaration",
        "non-empty list",
    ),
    Case(
        "a metric without a unit",
        {
            X_MD: declaration(
                head="title: X\nstatus: planned\nscript: experiments/x.py:run\nmetrics:\n  sq: {better: higher}\n"
            ),
            X_PY: EXPERIMENT_CODE,
        },
        X_MD,
        6,
        "invalid-declaration",
        "missing `unit`",
    ),
    Case(
        "a direction that is neither",
        {
            X_MD: declaration(
                head="title: X\nstatus: planned\nscript: experiments/x.py:run\nmetrics:\n  sq: {unit: '', better: up}\n"
            ),
            X_PY: EXPERIMENT_CODE,
        },
        X_MD,
        6,
        "invalid-declaration",
        "higher or lower",
    ),
    Case(
        "a script without its function",
        {X_MD: declaration(), X_PY: "def other(point, bench):\n    return {}\n"},
        X_MD,
        4,
        "invalid-declaration",
        "not defined",
    ),
    Case(
        "a script that does not exist",
        {X_MD: declaration()},
        X_MD,
        4,
        "invalid-declaration",
        "does not exist",
    ),
    Case(
        "a script outside the repository",
        {
            X_MD: declaration(
                head="title: X\nstatus: planned\nscript: ../x.py:run\nmetrics:\n  sq: {unit: ''}\n"
            )
        },
        X_MD,
        4,
        "invalid-declaration",
        "outside",
    ),
    Case(
        "a script that does not parse",
        {X_MD: declaration(), X_PY: "def run(point, bench)\n    return {}\n"},
        X_MD,
        4,
        "invalid-declaration",
        "cannot be parsed",
    ),
    Case(
        "a figure axis that is nothing",
        {X_MD: declaration("figures:\n  - {id: f, kind: line, x: m, y: sq}\n"), X_PY: EXPERIMENT_CODE},
        X_MD,
        10,
        "invalid-declaration",
        "neither a parameter nor a metric",
    ),
    Case(
        "a figure kind that is not one",
        {X_MD: declaration("figures:\n  - {id: f, kind: pie, x: n, y: sq}\n"), X_PY: EXPERIMENT_CODE},
        X_MD,
        10,
        "invalid-declaration",
        "kind",
    ),
    Case(
        "a baseline of an unknown metric",
        {
            X_MD: declaration("baselines:\n  - {metric: cube, value: 1, cite: known2020}\n"),
            X_PY: EXPERIMENT_CODE,
            "refs/a.bib": BIB,
        },
        X_MD,
        10,
        "invalid-declaration",
        "not a declared metric",
    ),
    Case(
        "a baseline citing an unknown key",
        {
            **with_result(record()),
            X_MD: declaration("baselines:\n  - {metric: sq, value: 1, cite: nobody2020}\n"),
            "refs/a.bib": BIB,
        },
        X_MD,
        10,
        "unknown-baseline-citation",
    ),
    Case(
        "an unknown size",
        {X_MD: declaration("sizes:\n  huge: {n: [1]}\n"), X_PY: EXPERIMENT_CODE},
        X_MD,
        10,
        "invalid-declaration",
        "unknown size",
    ),
    Case(
        "a negative timeout",
        {X_MD: declaration("timeout: -5\n"), X_PY: EXPERIMENT_CODE},
        X_MD,
        9,
        "invalid-declaration",
        "positive",
    ),
    Case(
        "a headline that is no metric",
        {X_MD: declaration("headline: cube\n"), X_PY: EXPERIMENT_CODE},
        X_MD,
        9,
        "invalid-declaration",
    ),
    Case(
        "a data file that is missing",
        {X_MD: declaration("data: [data/none.csv]\n"), X_PY: EXPERIMENT_CODE},
        X_MD,
        9,
        "invalid-declaration",
        "does not exist",
    ),
    Case(
        "a key written twice",
        {X_MD: declaration("title: Y\n"), X_PY: EXPERIMENT_CODE},
        X_MD,
        9,
        "invalid-declaration",
        "twice",
    ),
    Case(
        "a topic that is not in the curriculum",
        {X_MD: declaration("topics: [algebraa]\n"), X_PY: EXPERIMENT_CODE},
        X_MD,
        9,
        "unknown-topic",
    ),
    Case(
        "an id with spaces",
        {"experiments/x y.md": declaration(), X_PY: EXPERIMENT_CODE},
        "experiments/x y.md",
        1,
        "invalid-declaration",
        "experiment id",
    ),
    Case(
        "a declaration not in UTF-8",
        {X_MD: b"---\ntitle: Caf\xe9\n---\n", X_PY: EXPERIMENT_CODE},
        X_MD,
        1,
        "unreadable-file",
    ),
    Case(
        "a metrics list instead of a mapping",
        {
            X_MD: declaration(
                head="title: X\nstatus: planned\nscript: experiments/x.py:run\nmetrics: [sq]\n"
            ),
            X_PY: EXPERIMENT_CODE,
        },
        X_MD,
        5,
        "invalid-declaration",
        "must be a mapping",
    ),
]

RESULTS = [
    Case(
        "a result that is not JSON",
        with_result('{\n  "schema": 1,\n  oops\n}'),
        RESULT,
        3,
        "unreadable-result",
        "not valid JSON",
    ),
    Case("a result without points", with_result(record(points="none")), RESULT, 15, "unreadable-result"),
    Case(
        "a result of another schema",
        with_result(record(schema=99)),
        RESULT,
        2,
        "unreadable-result",
        "`schema` is 99",
    ),
    Case(
        "a metric object without a value",
        with_result(record(points=[{"params": {"n": 1}, "status": "ok", "metrics": {"sq": {"low": 1}}}])),
        RESULT,
        22,
        "unreadable-result",
        "numeric `value`",
    ),
    Case(
        "a NaN in a result",
        with_result(json_text(record()).replace('"sq": 1', '"sq": NaN')),
        RESULT,
        24,
        "unreadable-result",
        "NaN",
    ),
    Case(
        "a commit that is a number",
        with_result(record() | {"provenance": record()["provenance"] | {"git": {"commit": 7}}}),
        RESULT,
        48,
        "unreadable-result",
        "`provenance.git.commit`",
    ),
    Case("a status that is not one", with_result(record(status="done")), RESULT, 5, "unreadable-result"),
    Case("a stale result", with_result(record()), X_MD, 4, "stale-result"),
    Case(
        "analysed without a result",
        {
            X_MD: declaration(
                head="title: X\nstatus: analysed\nscript: experiments/x.py:run\nmetrics:\n  sq: {unit: ''}\n"
            ),
            X_PY: EXPERIMENT_CODE,
        },
        X_MD,
        3,
        "missing-result",
    ),
    Case(
        "a figure file that is not JSON",
        {
            **with_result(record()),
            X_MD: declaration("figures:\n  - {id: f, kind: line, x: n, y: sq}\n"),
            "results/x/figures/f.json": "{\n oops",
        },
        "results/x/figures/f.json",
        2,
        "unreadable-figure",
    ),
    Case(
        "a figure file that is a list",
        {
            **with_result(record()),
            X_MD: declaration("figures:\n  - {id: f, kind: line, x: n, y: sq}\n"),
            "results/x/figures/f.json": "[1, 2]",
        },
        "results/x/figures/f.json",
        1,
        "unreadable-figure",
    ),
    Case(
        "a figure plotly rejects",
        {
            **with_result(record()),
            X_MD: declaration("figures:\n  - {id: f, kind: line, x: n, y: sq}\n"),
            "results/x/figures/f.json": '{"data": [{"type": "nope"}], "layout": {}}',
        },
        "results/x/figures/f.json",
        1,
        "unreadable-figure",
        "cannot be drawn",
    ),
    Case(
        "a declared figure never made",
        {**with_result(record()), X_MD: declaration("figures:\n  - {id: f, kind: line, x: n, y: sq}\n")},
        X_MD,
        10,
        "missing-figure",
    ),
]

RUNS = [
    Case(
        "an entry point that raises",
        {X_MD: declaration(), X_PY: "def run(point, bench):\n    raise ValueError('bad point')\n"},
        X_PY,
        2,
        "run-failed",
        "ValueError: bad point",
        run=["--size", "full"],
    ),
    Case(
        "an entry point returning a list",
        {X_MD: declaration(), X_PY: "def run(point, bench):\n    return [1]\n"},
        X_MD,
        4,
        "run-failed",
        "not a dict",
        run=[],
    ),
    Case(
        "an undeclared metric",
        {X_MD: declaration(), X_PY: "def run(point, bench):\n    return {'cube': 1}\n"},
        X_MD,
        4,
        "run-failed",
        "not declared",
        run=[],
    ),
    Case(
        "a NaN metric",
        {X_MD: declaration(), X_PY: "def run(point, bench):\n    return {'sq': float('nan')}\n"},
        X_MD,
        8,
        "run-failed",
        "nan",
        run=[],
    ),
    Case(
        "a metric of the wrong type",
        {X_MD: declaration(), X_PY: "def run(point, bench):\n    return {'sq': object()}\n"},
        X_MD,
        8,
        "run-failed",
        "return a number",
        run=[],
    ),
    Case(
        "sys.exit in an experiment",
        {X_MD: declaration(), X_PY: "import sys\n\n\ndef run(point, bench):\n    sys.exit(3)\n"},
        X_PY,
        5,
        "run-failed",
        "sys.exit(3)",
        run=[],
    ),
    Case(
        "Ctrl-C in an experiment",
        {X_MD: declaration(), X_PY: "def run(point, bench):\n    raise KeyboardInterrupt\n"},
        X_PY,
        2,
        "run-failed",
        "interrupted",
        run=[],
    ),
    Case(
        "an import that fails",
        {X_MD: declaration(), X_PY: "import not_a_module\n\n\ndef run(point, bench):\n    return {}\n"},
        X_PY,
        1,
        "run-failed",
        "ModuleNotFoundError",
        run=[],
    ),
    Case(
        "a run of an unknown size",
        {X_MD: declaration(), X_PY: EXPERIMENT_CODE},
        X_MD,
        1,
        "run-usage",
        "unknown size",
        run=["--size", "huge"],
    ),
    Case(
        "CUDA asked where there is none",
        {X_MD: declaration("device: cuda\n"), X_PY: EXPERIMENT_CODE},
        X_MD,
        9,
        "cuda-unavailable",
        "needs CUDA",
        run=[],
    ),
    Case(
        "a declaration without a script",
        {X_MD: declaration(head="title: X\nstatus: idea\n"), X_PY: EXPERIMENT_CODE},
        X_MD,
        1,
        "run-usage",
        "nothing to run",
        run=[],
    ),
]

CURRICULA = [
    Case(
        "a curriculum that is not YAML",
        {"content/curriculum/pillars.yaml": "pillars: [\n"},
        "content/curriculum/pillars.yaml",
        2,
        "invalid-curriculum",
    ),
    Case(
        "an unknown curriculum key",
        {"content/curriculum/pillars.yaml": "pillars: []\nextra: 1\n"},
        "content/curriculum/pillars.yaml",
        2,
        "invalid-curriculum",
        "unknown key `extra`",
    ),
    Case(
        "a topic id twice",
        {
            "content/curriculum/pillars.yaml": "pillars:\n  - id: p\n    title: P\n    topics:\n      - {id: t, title: T}\n      - {id: t, title: U}\n"
        },
        "content/curriculum/pillars.yaml",
        6,
        "invalid-curriculum",
        "duplicate topic id",
    ),
    Case(
        "a title that is a number",
        {"content/curriculum/pillars.yaml": "pillars:\n  - id: p\n    title: 42\n"},
        "content/curriculum/pillars.yaml",
        3,
        "invalid-curriculum",
        "must be text",
    ),
    Case(
        "an id that is not a slug",
        {"content/curriculum/pillars.yaml": "pillars:\n  - id: Big Pillar\n    title: P\n"},
        "content/curriculum/pillars.yaml",
        2,
        "invalid-curriculum",
        "slug",
    ),
    Case(
        "a resource URL that is not a web address",
        {
            "content/curriculum/pillars.yaml": "pillars:\n  - id: p\n    title: P\n    topics:\n      - id: t\n        title: T\n        resources:\n          - {title: R, url: 'javascript:alert(1)'}\n"
        },
        "content/curriculum/pillars.yaml",
        8,
        "invalid-curriculum",
        "https://",
    ),
    Case(
        "an empty curriculum",
        {"content/curriculum/pillars.yaml": "# nothing yet\n"},
        "content/curriculum/pillars.yaml",
        1,
        "empty-curriculum",
    ),
    Case(
        "a curriculum key twice",
        {"content/curriculum/pillars.yaml": "pillars: []\npillars: []\n"},
        "content/curriculum/pillars.yaml",
        2,
        "invalid-curriculum",
        "twice",
    ),
    Case(
        "two topics with one title",
        {
            "content/curriculum/pillars.yaml": "pillars:\n  - id: p\n    title: P\n    topics:\n      - {id: t, title: Same}\n      - {id: u, title: Same}\n"
        },
        "content/curriculum/pillars.yaml",
        6,
        "ambiguous-topic-name",
    ),
    Case(
        "a pillar that is text",
        {"content/curriculum/pillars.yaml": "pillars:\n  - just text\n"},
        "content/curriculum/pillars.yaml",
        2,
        "invalid-curriculum",
        "must be a mapping",
    ),
]

NOTEBOOKS = [
    Case(
        "a notebook that is not JSON",
        {"content/n.ipynb": '{"cells": [\n  oops]}'},
        "content/n.ipynb",
        2,
        "bad-notebook",
        "not valid JSON",
    ),
    Case(
        "a JSON file named .ipynb",
        {"content/n.ipynb": '{"a": 1}'},
        "content/n.ipynb",
        1,
        "bad-notebook",
        "not a Jupyter notebook",
    ),
    Case(
        "a notebook not in UTF-8",
        {"content/n.ipynb": b"\xff\xfe"},
        "content/n.ipynb",
        1,
        "bad-notebook",
        "UTF-8",
    ),
    Case(
        "a notebook whose cells are not a list",
        {"content/n.ipynb": '{"cells": 5, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'},
        "content/n.ipynb",
        1,
        "bad-notebook",
        "notebook format",
    ),
]


def _no_server(root: Path) -> object:
    return import_arxiv(
        ["1706.03762"],
        root / "refs" / "arxiv.bib",
        client=make_client("http://127.0.0.1:9/api/query", delay_seconds=0, num_retries=0, timeout_s=2),
    )


ARXIV = [
    Case(
        "an arXiv id that is empty",
        {},
        "arxiv",
        1,
        "run-usage",
        "is not an arXiv id",
        arxiv=lambda root: import_arxiv(["arXiv:"], root / "refs" / "arxiv.bib"),
    ),
    Case(
        "an arXiv API that does not answer",
        {},
        "arxiv",
        1,
        "run-usage",
        "cannot reach the arXiv API",
        arxiv=_no_server,
    ),
    Case(
        "a URL that is not arXiv's",
        {},
        "arxiv",
        1,
        "run-usage",
        "not an arXiv id",
        arxiv=lambda root: import_arxiv(["https://example.org/abs/1706.03762/"], root / "refs" / "arxiv.bib"),
    ),
]

CORPUS = NOTES + QUOTES + BIBS + DECLARATIONS + RESULTS + RUNS + CURRICULA + NOTEBOOKS + ARXIV


def test_the_corpus_is_wide():
    assert len(CORPUS) >= 100
    assert len({c.name for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_every_bad_input_is_named_clearly(case: Case, tmp_path: Path):
    verdict, said = classify(tmp_path, case)
    assert verdict == "clear", (
        f"{verdict}: expected {case.file}:{case.line} {case.code} {case.words!r}; got:\n{said}"
    )
