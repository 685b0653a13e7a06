"""Experiment declarations: ``experiments/<id>.md``, YAML front matter plus prose.

Front matter keys (``title`` and ``status`` required; the rest optional)::

    title: text                 hypothesis: text            verdict: text (once analysed)
    status: idea | planned | running | analysed | reported
    topics: [curriculum topic, ...]                          refs: [bib key, ...]
    device: cpu | cuda | any    (default cpu)
    params: {name: [values, ...], ...}   # a grid, expanded in order
            or [{name: value, ...}, ...] # a list of points
    sizes: {ci: <params override>, full: <params override>}
    script: path/to/code.py:function     # relative to the repository root; def run(point, bench) -> dict
    metrics: {name: {unit: text, better: higher | lower, description: text}}
    labels: {parameter or metric name: text, ...}  # what a reader calls it (default: the name)
    headline: metric name, or [metric name, ...]  # what a reader sees first: the experiments
                                # index shows the first (default: the first with `better`)
    baselines: [{metric, value, cite, note?, point?}, ...]
    figures: [{id, kind: line | bar | scatter, x, y, color?, facet?, log_x?, log_y?, title?}, ...]
    timeout: seconds (default 3600) data: [path/in/repo or glob, ...]  # part of the input hash
    project: text               # a project of one of its topics (pillars.yaml) that it carries out
    freeze: true | false        # (default false) a frozen experiment is not rerun when its inputs
                                # change: it is shown stale, with why, until unfrozen or forced
    assessment:                 # the method's step 2, Assessing Implications (what the board shows)
      impact: low | medium | high       feasibility: low | medium | high    novelty: low | medium | high
      risks: text                       motivation: [bib key, ...]  # the papers that prompted it
    created: YYYY-MM-DD         # when the idea was written down: the board's age of an experiment

The front matter is validated when it loads; every problem is a Diagnostic at the line of
the offending key, and a declaration with errors is left out while the others load.
Pure Python: no torch, mkdocs or snakemake, so the workflow loads declarations quickly.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from cortex.diagnostics import Code, Diagnostic, diagnostic
from cortex.experiments.devices import DEVICES
from cortex.text.front_matter import FIRST_LINE, front_matter_span
from cortex.text.schema import SchemaChecker, type_name
from cortex.text.yaml_positions import YamlMapping, key_mark, load_yaml, yaml_error_at

EXPERIMENTS_DIR = "experiments"
STATUSES = ("idea", "planned", "running", "analysed", "reported")
SIZES = ("ci", "full")
FIGURE_KINDS = ("line", "bar", "scatter")
NOT_DECLARATIONS = {"index.md", "README.md"}
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
LEVELS = ("low", "medium", "high")  # how an assessment rates each axis
ASSESSMENT_AXES = ("impact", "feasibility", "novelty")


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    better: str | None = None  # "higher" | "lower" | None (not ordered, e.g. a bit layout)
    description: str = ""


@dataclass(frozen=True)
class Baseline:
    metric: str
    value: float
    cite: str
    note: str = ""
    point: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Figure:
    id: str
    kind: str
    x: str
    y: str
    color: str | None = None
    log_x: bool = False
    log_y: bool = False
    title: str = ""
    facet: str | None = None  # one panel per value of this column, side by side


@dataclass(frozen=True)
class Assessment:
    """An idea weighed before it is tested (the method's step 2): its expected impact,
    feasibility and novelty (each low, medium or high, or "" when not rated), its main risks, and
    the bib keys of the papers that motivate it. Never part of the input hash."""

    impact: str = ""
    feasibility: str = ""
    novelty: str = ""
    risks: str = ""
    motivation: tuple[str, ...] = ()

    def level(self, axis: str) -> str:
        return str(getattr(self, axis))


@dataclass
class ExperimentSpec:
    id: str
    path: Path  # the declaration, absolute
    prose: str
    title: str
    status: str
    hypothesis: str = ""
    topics: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    device: str = "cpu"
    params: dict | list = field(default_factory=dict)
    script: str | None = None  # "path/to/file.py:function", relative to the repository root
    metrics: dict[str, Metric] = field(default_factory=dict)
    baselines: list[Baseline] = field(default_factory=list)
    sizes: dict[str, dict | list] = field(default_factory=dict)
    timeout: float = 3600.0  # a run still going after this is stopped and recorded as failed
    timeout_declared: bool = False
    data: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    verdict: str = ""
    project: str = ""  # the curriculum project it carries out (one of its topics' `projects`)
    freeze: bool = False  # not rerun when its inputs change, until unfrozen or forced
    headline: str = ""  # the metric the experiments index shows; empty: the first with a direction
    headlines: list[str] = field(default_factory=list)  # the metrics a page's results open with
    # parameter or metric name -> what a reader calls it (axis titles, table headers); not part
    # of the input hash, so naming things never makes a result stale
    labels: dict[str, str] = field(default_factory=dict)
    assessment: Assessment | None = None  # step 2 of the method; prose, never an input
    created: date | None = None  # when it was declared: the research board's age of it
    raw: dict = field(default_factory=dict, repr=False)  # the front matter as written, with key positions

    def label_of(self, name: str) -> str:
        """What a reader calls a metric or parameter: its declared label, else its name with
        spaces for underscores."""
        return self.labels.get(name) or name.replace("_", " ")

    def axis_title(self, name: str) -> str:
        """``label (unit)``, or the label alone for a parameter or a dimensionless metric."""
        metric = self.metrics.get(name)
        unit = metric.unit if metric else ""
        return f"{self.label_of(name)} ({unit})" if unit else self.label_of(name)

    @property
    def script_path(self) -> str | None:
        return self.script.split(":", 1)[0] if self.script else None

    @property
    def entry_function(self) -> str | None:
        return self.script.split(":", 1)[1] if self.script else None

    @property
    def runnable(self) -> bool:
        return self.script is not None

    def line_of(self, *keys: object) -> int:
        """The file line where a (nested) key was written: ``line_of("metrics", "tflops")``.
        Falls back to the deepest key found, or line 1."""
        return self.position_of(*keys)[0]

    def position_of(self, *keys: object) -> tuple[int, int]:
        """The file line and column of a (nested) key or list item, as ``line_of``."""
        node: object = self.raw
        position = (1, 1)
        for key in keys:
            mark = key_mark(node, key)
            if mark is None:
                break
            position = (mark.line + FIRST_LINE, mark.column + 1)
            node = node[key]  # type: ignore[index]  # a mark means a mapping or list holds it
        return position

    def points(self, size: str | None = None) -> list[dict]:
        """The parameter points to run: the grid (or list) with the size's overrides applied."""
        params = self.params
        override = self.sizes.get(size) if size else None
        if override is not None:
            params = (
                override if isinstance(params, list) or isinstance(override, list) else {**params, **override}
            )
        return expand_params(params)


def expand_params(params: dict | list) -> list[dict]:
    if isinstance(params, list):
        return [dict(p) for p in params]
    if not params:
        return [{}]
    names = list(params)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(params[n] for n in names))]


TOP_LEVEL = (
    "title",
    "hypothesis",
    "status",
    "topics",
    "refs",
    "device",
    "params",
    "script",
    "metrics",
    "baselines",
    "sizes",
    "timeout",
    "data",
    "figures",
    "verdict",
    "headline",
    "labels",
    "project",
    "freeze",
    "assessment",
    "created",
)


def load_experiment(path: Path, repo_root: Path) -> tuple[ExperimentSpec | None, list[Diagnostic]]:
    """Load and validate one declaration; None when it has errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [
            diagnostic(Code.UNREADABLE_FILE, path, 1, 1, f"cannot read experiment declaration: {exc}")
        ]
    span = front_matter_span(text)
    if span is None:
        return None, [
            diagnostic(
                Code.INVALID_DECLARATION,
                path,
                1,
                1,
                "experiment declaration has no YAML front matter (start the file with `---`)",
            )
        ]
    yaml_text, _, body_start = span
    check = SchemaChecker(path, Code.INVALID_DECLARATION, FIRST_LINE)
    try:
        loaded = load_yaml(yaml_text)
    except yaml.YAMLError as exc:
        line, col, problem = yaml_error_at(exc)
        return None, [
            diagnostic(
                Code.INVALID_DECLARATION,
                path,
                line + FIRST_LINE,
                col + 1,
                f"invalid YAML in front matter: {problem}",
            )
        ]
    raw = loaded.data
    if not isinstance(raw, YamlMapping):
        return None, [
            diagnostic(
                Code.INVALID_DECLARATION, path, 1, 1, "front matter must be a mapping of keys to values"
            )
        ]
    check.repeated_keys(loaded)

    exp_id = path.stem
    if not ID_PATTERN.match(exp_id):
        check.fail(
            None, None, f"experiment id `{exp_id}` (the file name) may use only letters, digits, `_` and `-`"
        )
    check.unknown_keys(raw, TOP_LEVEL, "the experiment declaration")
    fields: dict[str, Any] = {}
    _check_text_fields(check, raw, fields)
    _check_lists_of_text(check, raw, fields)
    _check_assessment(check, raw, fields)
    _check_enums(check, raw, fields)
    metrics = _check_metrics(check, raw)
    fields["metrics"] = metrics
    _check_headlines(check, raw, metrics, fields)
    params = _check_params(check, raw, "params", raw.get("params", {}))
    fields["params"] = params if params is not None else {}
    fields["sizes"] = _check_sizes(check, raw, params)
    fields["baselines"] = _check_baselines(check, raw, metrics)
    declared_params: dict | list = (
        raw["params"] if params is None and isinstance(raw.get("params"), dict) else fields["params"]
    )
    names = set(metrics) | _param_names(declared_params)
    fields["labels"] = _check_labels(check, raw, names)
    fields["figures"] = _check_figures(check, raw, names)
    if "timeout" in raw and check.typed(raw, "timeout", (int, float), "a number of seconds"):
        if raw["timeout"] <= 0:
            check.fail(raw, "timeout", "`timeout` must be positive")
        fields["timeout"] = float(raw["timeout"])
        fields["timeout_declared"] = True
    fields["data"] = _check_data(check, raw, repo_root, path)
    if "script" in raw:
        fields["script"] = _check_script(check, raw, repo_root)
        if not metrics and "metrics" not in raw:
            check.fail(raw, "script", "an experiment with a `script` must declare its `metrics`")

    if check.diagnostics:
        return None, check.diagnostics
    spec = ExperimentSpec(id=exp_id, path=path.resolve(), prose=text[body_start:], raw=raw, **fields)
    return spec, []


def load_experiments(repo_root: Path) -> tuple[list[ExperimentSpec], list[Diagnostic]]:
    """Every declaration under ``experiments/``; one bad declaration never stops the others."""
    specs: list[ExperimentSpec] = []
    diagnostics: list[Diagnostic] = []
    folder = Path(repo_root) / EXPERIMENTS_DIR
    if not folder.is_dir():
        return specs, diagnostics
    for path in sorted(folder.glob("*.md")):
        if path.name in NOT_DECLARATIONS:
            continue
        spec, diags = load_experiment(path, Path(repo_root))
        diagnostics.extend(diags)
        if spec is not None:
            specs.append(spec)
    return specs, diagnostics


def _check_text_fields(check: SchemaChecker, raw: dict, fields: dict) -> None:
    for key in ("title", "status"):
        if key not in raw:
            check.fail(None, None, f"the experiment declaration is missing `{key}`")
    for key in ("title", "hypothesis", "verdict", "project"):
        if key in raw and check.typed(raw, key, str, "text"):
            fields[key] = raw[key].strip()
    if "freeze" in raw and check.typed(raw, "freeze", bool, "true or false"):
        fields["freeze"] = raw["freeze"]


def _check_assessment(check: SchemaChecker, raw: dict, fields: dict) -> None:
    """``assessment`` (impact, feasibility, novelty, risks, motivation) and ``created``. The
    motivation's bib keys are checked against refs/ where the bibliography is loaded
    (``cortex.experiments.method.unknown_motivation``), as baselines' are."""
    if "created" in raw:
        value = raw["created"]  # YAML reads an unquoted 2026-11-29 as a date already
        if isinstance(value, datetime):
            value = value.date()
        elif isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = date.fromisoformat(value.strip())
        if isinstance(value, date):
            fields["created"] = value
        else:
            check.fail(raw, "created", f"`created` must be a date, YYYY-MM-DD, not {value!r}")
    if "assessment" not in raw or not check.typed(
        raw, "assessment", dict, "a mapping with impact, feasibility, novelty, risks and motivation"
    ):
        return
    given = raw["assessment"]
    check.unknown_keys(given, (*ASSESSMENT_AXES, "risks", "motivation"), "`assessment`")
    found: dict[str, Any] = {}
    for axis in ASSESSMENT_AXES:
        if axis in given:
            if given[axis] in LEVELS:
                found[axis] = given[axis]
            else:
                check.fail(given, axis, f"`{axis}` must be one of {' | '.join(LEVELS)}, not {given[axis]!r}")
    if "risks" in given and check.typed(given, "risks", str, "text"):
        found["risks"] = given["risks"].strip()
    if "motivation" in given and check.typed(given, "motivation", list, "a list of bib keys"):
        keys = given["motivation"]
        for i, key in enumerate(keys):
            if not isinstance(key, str) or not key.strip():
                check.fail(keys, i, f"`motivation` items must be bib keys, not {type_name(key)}")
        found["motivation"] = tuple(k.strip() for k in keys if isinstance(k, str) and k.strip())
    fields["assessment"] = Assessment(**found)


def _check_lists_of_text(check: SchemaChecker, raw: dict, fields: dict) -> None:
    for key in ("topics", "refs"):
        if key not in raw:
            continue
        value = raw[key]
        if not check.typed(raw, key, list, "a list of text"):
            continue
        for i, item in enumerate(value):
            if not isinstance(item, str):
                check.fail(value, i, f"`{key}` items must be text, not {type_name(item)}")
        fields[key] = [str(v) for v in value]


def _check_enums(check: SchemaChecker, raw: dict, fields: dict) -> None:
    for key, allowed in (("status", STATUSES), ("device", DEVICES)):
        if key in raw:
            if raw[key] not in allowed:
                check.fail(raw, key, f"`{key}` must be one of {' | '.join(allowed)}, not {raw[key]!r}")
            else:
                fields[key] = raw[key]


def _check_metrics(check: SchemaChecker, raw: dict) -> dict[str, Metric]:
    metrics: dict[str, Metric] = {}
    if "metrics" not in raw or not check.typed(
        raw, "metrics", dict, "a mapping of metric name to {unit, better}"
    ):
        return metrics
    for name, decl in raw["metrics"].items():
        where = f"metric `{name}`"
        if not isinstance(decl, dict):
            check.fail(raw["metrics"], name, f"{where} must be a mapping with `unit` and `better`")
            continue
        check.unknown_keys(decl, ("unit", "better", "description"), where)
        if not check.required_keys(decl, ("unit",), where, (raw["metrics"], name)):
            continue
        ok = check.typed(decl, "unit", str, 'text (use "" for a dimensionless value)')
        better = decl.get("better")
        if better not in (None, "higher", "lower"):
            check.fail(decl, "better", f"`better` must be higher or lower, not {better!r}")
            ok = False
        if "description" in decl:
            ok = check.typed(decl, "description", str, "text") and ok
        if ok:
            metrics[str(name)] = Metric(str(name), decl["unit"], better, decl.get("description", ""))
    return metrics


def _check_headlines(check: SchemaChecker, raw: dict, metrics: dict[str, Metric], fields: dict) -> None:
    """``headline``: the metric, or the list of metrics, a reader sees first."""
    if "headline" not in raw:
        return
    value = raw["headline"]
    if not check.typed(raw, "headline", (str, list), "a metric name or a list of metric names"):
        return
    names = [value] if isinstance(value, str) else value
    container: Any = raw if isinstance(value, str) else value
    found: list[str] = []
    for i, name in enumerate(names):
        key = "headline" if isinstance(value, str) else i
        if not isinstance(name, str) or name not in metrics:
            check.fail(container, key, f"`headline` names `{name}`, which is not a declared metric")
        elif name not in found:
            found.append(name)
    if found:
        fields["headline"], fields["headlines"] = found[0], found


def _check_labels(check: SchemaChecker, raw: dict, names: set[str]) -> dict[str, str]:
    """``labels``: what a reader calls a parameter or metric."""
    if "labels" not in raw or not check.typed(
        raw, "labels", dict, "a mapping of parameter or metric name to text"
    ):
        return {}
    labels: dict[str, str] = {}
    for name, text in raw["labels"].items():
        if name not in names:
            check.fail(
                raw["labels"], name, f"`labels` names `{name}`, which is neither a parameter nor a metric"
            )
        elif check.typed(raw["labels"], name, str, "text"):
            labels[str(name)] = text.strip()
    return labels


def _check_params(check: SchemaChecker, container: Any, key: Any, params: Any) -> dict | list | None:
    """A grid (name -> non-empty list) or a list of point mappings."""
    if isinstance(params, dict):
        ok = True
        for name, values in params.items():
            if not isinstance(values, list) or not values:
                check.fail(
                    params,
                    name,
                    f"parameter `{name}` must be a non-empty list of values, not {type_name(values)}",
                )
                ok = False
        return dict(params) if ok else None
    if isinstance(params, list):
        ok = True
        for i, point in enumerate(params):
            if not isinstance(point, dict):
                check.fail(params, i, f"each point in `{key}` must be a mapping of parameter to value")
                ok = False
        return [dict(p) for p in params] if ok else None
    check.fail(container, key, f"`{key}` must be a mapping of parameter to list, or a list of points")
    return None


def _param_names(params: dict | list) -> set[str]:
    if isinstance(params, dict):
        return set(params)
    return {name for point in params for name in point}


def _check_sizes(check: SchemaChecker, raw: dict, params: dict | list | None) -> dict:
    sizes: dict = {}
    if "sizes" not in raw or not check.typed(
        raw, "sizes", dict, "a mapping of size (ci, full) to parameters"
    ):
        return sizes
    for name, override in raw["sizes"].items():
        if name not in SIZES:
            check.fail(raw["sizes"], name, f"unknown size `{name}` (allowed: {', '.join(SIZES)})")
            continue
        checked = _check_params(check, raw["sizes"], name, override)
        if checked is None:
            continue
        if isinstance(checked, dict) and isinstance(params, dict):
            for pname in checked:
                if pname not in params:
                    check.fail(
                        override, pname, f"size `{name}` overrides `{pname}`, which is not in `params`"
                    )
        sizes[name] = checked
    return sizes


def _check_baselines(check: SchemaChecker, raw: dict, metrics: dict[str, Metric]) -> list[Baseline]:
    out: list[Baseline] = []
    if "baselines" not in raw or not check.typed(raw, "baselines", list, "a list of {metric, value, cite}"):
        return out
    for i, item in enumerate(raw["baselines"]):
        if not isinstance(item, dict):
            check.fail(
                raw["baselines"], i, "each baseline must be a mapping with `metric`, `value` and `cite`"
            )
            continue
        where = f"baseline {i + 1}"
        check.unknown_keys(item, ("metric", "value", "cite", "note", "point"), where)
        if not check.required_keys(item, ("metric", "value", "cite"), where, (raw["baselines"], i)):
            continue
        ok = check.typed(item, "value", (int, float), "a number")
        ok = check.typed(item, "cite", str, "a bib key") and ok
        if item["metric"] not in metrics:
            check.fail(
                item, "metric", f"baseline refers to `{item['metric']}`, which is not a declared metric"
            )
            ok = False
        if "note" in item:
            ok = check.typed(item, "note", str, "text") and ok
        if "point" in item:
            ok = check.typed(item, "point", dict, "a mapping of parameter to value") and ok
        if ok:
            out.append(
                Baseline(
                    item["metric"],
                    float(item["value"]),
                    item["cite"],
                    item.get("note", ""),
                    dict(item.get("point", {})),
                )
            )
    return out


def _check_figures(check: SchemaChecker, raw: dict, names: set[str]) -> list[Figure]:
    out: list[Figure] = []
    if "figures" not in raw or not check.typed(raw, "figures", list, "a list of figure specs"):
        return out
    seen: set[str] = set()
    for i, item in enumerate(raw["figures"]):
        if not isinstance(item, dict):
            check.fail(raw["figures"], i, "each figure must be a mapping with `id`, `kind`, `x` and `y`")
            continue
        where = f"figure {i + 1}"
        allowed = ("id", "kind", "x", "y", "color", "facet", "log_x", "log_y", "title")
        check.unknown_keys(item, allowed, where)
        if not check.required_keys(item, ("id", "kind", "x", "y"), where, (raw["figures"], i)):
            continue
        ok = all(
            check.typed(item, k, str, "text")
            for k in ("id", "x", "y", *tuple(k for k in ("color", "facet", "title") if k in item))
        )
        ok = all(
            [ok] + [check.typed(item, k, bool, "true or false") for k in ("log_x", "log_y") if k in item]
        )
        if not ok:
            continue
        if not ID_PATTERN.match(item["id"]) or item["id"] in seen:
            check.fail(
                item, "id", f"figure id `{item['id']}` must be unique and use only letters, digits, `_`, `-`"
            )
            ok = False
        seen.add(item["id"])
        if item["kind"] not in FIGURE_KINDS:
            check.fail(
                item, "kind", f"figure `kind` must be one of {' | '.join(FIGURE_KINDS)}, not {item['kind']!r}"
            )
            ok = False
        for axis in ("x", "y", "color", "facet"):
            if axis in item and item[axis] not in names:
                check.fail(item, axis, f"figure {axis} `{item[axis]}` is neither a parameter nor a metric")
                ok = False
        if ok:
            out.append(
                Figure(
                    item["id"],
                    item["kind"],
                    item["x"],
                    item["y"],
                    item.get("color"),
                    item.get("log_x", False),
                    item.get("log_y", False),
                    item.get("title", ""),
                    item.get("facet"),
                )
            )
    return out


def _inside(repo_root: Path, rel: str) -> Path | None:
    root = repo_root.resolve()
    candidate = (root / rel).resolve()
    return candidate if candidate.is_relative_to(root) and not Path(rel).is_absolute() else None


def _check_data(check: SchemaChecker, raw: dict, repo_root: Path, declaration: Path) -> list[str]:
    """``data``: files, or glob patterns (``content/**/*.md``) that expand to every file they match
    when the declaration loads, the declaration itself excepted, so a file added or removed there
    changes the input hash as an edited one does."""
    out: list[str] = []
    if "data" not in raw or not check.typed(raw, "data", list, "a list of file paths or glob patterns"):
        return out
    for i, rel in enumerate(raw["data"]):
        if isinstance(rel, str) and any(c in rel for c in "*?["):
            matched = _glob_data(repo_root, rel, declaration)
            if matched is None:
                check.fail(raw["data"], i, f"data pattern `{rel}` reaches outside the repository")
            elif not matched:
                check.fail(raw["data"], i, f"data pattern `{rel}` matches no file")
            out += [m for m in matched or () if m not in out]
        elif not isinstance(rel, str):
            check.fail(raw["data"], i, f"data file must be a path, not {type_name(rel)}")
        elif (path := _inside(repo_root, rel)) is None:
            check.fail(raw["data"], i, f"data file `{rel}` is outside the repository")
        elif not path.is_file():
            check.fail(raw["data"], i, f"data file `{rel}` does not exist")
        elif rel not in out:
            out.append(rel)
    return out


def _glob_data(repo_root: Path, pattern: str, declaration: Path) -> list[str] | None:
    """The repository-relative files ``pattern`` matches, sorted; None when it leaves the repository."""
    root = repo_root.resolve()
    if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        return None
    own = declaration.resolve()
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.glob(pattern)
        if p.is_file() and p.resolve() != own and p.resolve().is_relative_to(root)
    )


def _check_script(check: SchemaChecker, raw: dict, repo_root: Path) -> str | None:
    if not check.typed(raw, "script", str, "an entry point `path/to/file.py:function`"):
        return None
    value = raw["script"].strip()
    rel, sep, func = value.partition(":")
    if not sep or not rel.endswith(".py") or not func.isidentifier():
        check.fail(raw, "script", f"`script` must be `path/to/file.py:function`, not {value!r}")
        return None
    path = _inside(repo_root, rel)
    if path is None:
        check.fail(raw, "script", f"script `{rel}` is outside the repository")
        return None
    if not path.is_file():
        check.fail(raw, "script", f"script `{rel}` does not exist")
        return None
    try:
        names = _top_level_names(path.read_text(encoding="utf-8"), str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
        check.fail(raw, "script", f"script `{rel}` cannot be parsed: {exc}")
        return None
    if func not in names:
        check.fail(raw, "script", f"entry point `{func}` is not defined in `{rel}`")
        return None
    return f"{Path(rel).as_posix()}:{func}"


@functools.lru_cache(maxsize=256)
def _top_level_names(source: str, filename: str) -> frozenset[str]:
    """The functions, variables and imported names a script defines at its top level; parsed
    once per text in a process (a preview loads every declaration on each rebuild)."""
    tree = ast.parse(source, filename=filename)
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    assigned = {
        t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)
    }
    imported = {(a.asname or a.name) for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}
    return frozenset(defined | assigned | imported)
