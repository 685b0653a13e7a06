"""A stale workflow lock: Snakemake locks the directory it runs in (``.snakemake/locks/``) and
unlocks it when it ends. A Snakemake that is killed (SIGKILL, a closed terminal, an out-of-memory
kill) leaves its lock behind, and every later run stops with "Directory cannot be locked" until
``snakemake --unlock``. A lock is stale when no Snakemake process runs in the directory."""

from __future__ import annotations

import os
from pathlib import Path

LOCKS = Path(".snakemake") / "locks"


def lock_files(root: Path) -> list[Path]:
    folder = Path(root) / LOCKS
    return sorted(folder.glob("*.lock")) if folder.is_dir() else []


def snakemake_processes(root: Path, proc: Path = Path("/proc")) -> list[int]:
    """Other processes on this machine running Snakemake in ``root`` (not this one, nor the
    processes that started it)."""
    root = Path(root).resolve()
    mine = _ancestors(os.getpid(), proc)
    found = []
    for entry in proc.glob("[0-9]*"):
        pid = int(entry.name)
        if pid in mine:
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            cwd = (entry / "cwd").resolve()
        except OSError:  # gone, or not ours to read
            continue
        if cwd == root and any(b"snakemake" in part for part in command[:3]):
            found.append(pid)
    return found


def _ancestors(pid: int, proc: Path) -> set[int]:
    seen = {pid}
    while pid > 1:
        try:
            stat = (proc / str(pid) / "stat").read_text()
        except OSError:
            break
        pid = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state: the parent
        seen.add(pid)
    return seen


def remove_stale_lock(root: Path) -> str | None:
    """Remove a lock no Snakemake process holds, and say so; None when there is none to remove."""
    locks = lock_files(root)
    if not locks or snakemake_processes(root):
        return None
    for lock in locks:
        lock.unlink(missing_ok=True)
    return (
        f"removed a stale workflow lock ({len(locks)} file(s) in {LOCKS}): no Snakemake runs in this "
        "directory, so a killed one left it (`snakemake --unlock` does the same)"
    )
