"""The caches under a project's ``.cache/cortex/``: pickles written whole or not at all, each
under a version and read back only under the same one (a corrupt or foreign file reads as
none, never fatal), and the versions of the code that made what they keep."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path
from types import ModuleType


def read_pickle(path: Path | None, version: object) -> object | None:
    """What ``write_pickle`` kept at ``path`` under ``version``; None for anything else."""
    if path is None or not path.is_file():
        return None
    try:
        with path.open("rb") as f:
            kept_under, payload = pickle.load(f)  # nosec B301  # our own cache, written by this user under .cache/
    except Exception:  # a corrupt or foreign cache is ignored, never fatal
        return None
    return payload if kept_under == version else None


def write_pickle(path: Path, version: object, payload: object) -> None:
    """Keep ``payload`` at ``path`` under ``version``: written beside it and renamed over it,
    streamed (a large payload is not held twice in memory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump((version, payload), f, protocol=pickle.HIGHEST_PROTOCOL)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def code_version(modules: Iterable[ModuleType], libraries: Iterable[str] = ()) -> str:
    """A hash of the source of ``modules`` and of the installed versions of ``libraries``: what
    a cache keeps under it is read only by the same code."""
    code = hashlib.blake2b(digest_size=16)
    for module in modules:
        code.update(Path(str(module.__file__)).read_bytes())
    for library in libraries:
        code.update(metadata.version(library).encode())
    return code.hexdigest()


@cache
def package_version() -> str:
    """A hash of the source of every module of this package, for what any of its code may
    have worked out."""
    code = hashlib.blake2b(digest_size=16)
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        code.update(path.relative_to(package).as_posix().encode())
        code.update(path.read_bytes())
    return code.hexdigest()
