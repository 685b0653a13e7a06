"""The input hash: what a run depends on, hashed so that a changed input marks its result
stale and makes the workflow run it again.

The declaration's params, script, metrics, sizes and baselines count (not its prose or
status), so do the entry point's file and every module inside the repository it imports,
transitively, and the declared data files. Each input is hashed on its own (its
*component*), so a stale result can say which input changed.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.record import InputHashRecord

HASHED_DECLARATION_FIELDS = ("params", "script", "metrics", "sizes", "baselines")


@dataclass(frozen=True)
class InputHash:
    sha256: str
    components: dict[str, str] = field(default_factory=dict)  # input name -> sha256

    def to_json(self) -> InputHashRecord:
        return {"sha256": self.sha256, "components": dict(self.components)}


def input_hash(spec: ExperimentSpec, repo_root: Path) -> InputHash:
    """Hash of what a run depends on: the declaration's params, script, metrics and sizes (not
    its prose or status), the entry point's file and the repository modules it imports,
    transitively, the declared data files, and the timing harness the runner hands it."""
    root = Path(repo_root).resolve()
    decl = _rel(spec.path, root)
    components = {f"{decl}#{key}": _sha_json(spec.raw.get(key)) for key in HASHED_DECLARATION_FIELDS}
    if spec.script_path:
        for path in code_files(root / spec.script_path, root):
            components[_rel(path, root)] = _sha_file(path)
    for rel in spec.data:
        components[Path(rel).as_posix()] = _sha_file(root / rel)
    if spec.script_path:  # how the runner measures: the harness every entry point is handed
        components.update(measurement_components())
    total = hashlib.sha256(json.dumps(components, sort_keys=True).encode()).hexdigest()
    return InputHash(total, components)


# Inputs a run's numbers depend on that are part of The Cortex itself, named by module so the
# name is the same wherever the package is installed. Records made before they were hashed
# lack them: staleness says "not recorded" then, not "changed".
MEASUREMENT_MODULES = ("cortex.timing.harness", "cortex.timing.measurement", "cortex.timing.ceilings")


@functools.cache
def measurement_components() -> dict[str, str]:
    package = Path(__file__).resolve().parents[1]  # the cortex package
    return {
        module: _sha_file(package.joinpath(*module.split(".")[1:]).with_suffix(".py"))
        for module in MEASUREMENT_MODULES
    }


def code_files(script: Path, repo_root: Path) -> list[Path]:
    """The script and every module inside the repository it imports, transitively."""
    roots = (repo_root, script.parent)  # the runner puts both on sys.path
    seen: set[Path] = set()
    todo = [script.resolve()]
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        todo.extend(p for p in _imports_of(path, _stat_key(path), roots) if p not in seen)
    return sorted(seen)


def _stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=4096)
def _imports_of(path: Path, _stat: tuple[int, int], roots: tuple[Path, ...]) -> tuple[Path, ...]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
        return ()
    found: list[Path] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found += _module_paths(alias.name.split("."), roots)
        elif isinstance(node, ast.ImportFrom):
            base = [path.parent.parents[node.level - 2]] if node.level > 1 else [path.parent]
            bases = tuple(base) if node.level else roots
            parts = node.module.split(".") if node.module else []
            found += _module_paths(parts, bases)
            for alias in node.names:  # `from pkg import module`
                found += _module_paths([*parts, alias.name], bases, only_module=True)
    return tuple(dict.fromkeys(p.resolve() for p in found))


def _module_paths(parts: list[str], roots: tuple[Path, ...], only_module: bool = False) -> list[Path]:
    """Files that make up a dotted module under the first root that has it: the module and its
    packages' ``__init__.py``."""
    for root in roots:
        out = []
        for depth in range(1, len(parts) + 1):
            if only_module and depth < len(parts):
                continue
            stem = root.joinpath(*parts[:depth])
            if stem.with_suffix(".py").is_file():
                out.append(stem.with_suffix(".py"))
            elif (stem / "__init__.py").is_file():
                out.append(stem / "__init__.py")
            elif not (stem.is_dir() and depth < len(parts)):  # a namespace package goes on
                break
                break
        if out or not parts:
            return out
    return []


def _sha_file(path: Path) -> str:
    """A file's SHA-256, computed again only when its size or modification time changed (as
    DVC's state does): a preview checks every experiment's inputs on each rebuild."""
    return _sha_unchanged(path, _stat_key(path))


@functools.lru_cache(maxsize=16384)
def _sha_unchanged(path: Path, _stat: tuple[int, int]) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sha_json(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _rel(path: Path, root: Path) -> str:
    path = Path(path).resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
