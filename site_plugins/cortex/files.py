"""Writing files so that a failure never leaves half of one: a temporary file beside the
target, flushed to disk, then renamed over it. The file gets the mode a plain write would give
it under the user's umask, so colleagues on a shared checkout can read results and references."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_umask: int | None = None


def _file_mode() -> int:
    """0o666 less the process umask (read once: asking for it means setting it for a moment)."""
    global _umask
    if _umask is None:
        _umask = os.umask(0o022)
        os.umask(_umask)
    return 0o666 & ~_umask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see the module docstring)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).chmod(_file_mode())  # mkstemp makes it 0600
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
