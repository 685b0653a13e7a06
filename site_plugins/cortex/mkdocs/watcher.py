"""The preview's watcher: the kernel's notices of changed files where they can be trusted,
instead of MkDocs' polling.

MkDocs' server polls what it watches every half second (watchdog's ``PollingObserver``). That
sees a change on any file system, a network share or a container's mounted folder too, but
each poll lists and stats the whole tree again, in a thread that shares the interpreter with
the rebuild (a 10,000-note content folder: about 0.05 s of CPU a poll, during a rebuild too),
and a save waits up to half a second before it is seen.

On Linux, when every path the server watches lies on a local file system (as
``/proc/self/mountinfo`` says), ``watch_by_notices`` hands its watches to watchdog's inotify
observer: a save is seen as it is made, and nothing is read while nothing changes. Only changes
are asked for (a file created, modified, deleted or moved): a build opens and reads the files
it watches, and MkDocs' server would take each such notice for a change and build again.
A network or FUSE mount (NFS, SMB, sshfs, WSL's 9p, a desktop container's shared folder) does
not report the changes made from its other side, inotify does not follow a symbolic link (a
change made through its target's own path goes unseen), and the kernel's watches can run out
(``fs.inotify.max_user_watches``): there the server keeps polling, and the log says why.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from mkdocs.livereload import LiveReloadServer
from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers.api import BaseObserver, ObservedWatch

log = logging.getLogger("mkdocs.plugins.cortex")

MOUNTINFO = Path("/proc/self/mountinfo")
# file systems whose changes all pass through this kernel, so that inotify reports each of them
LOCAL_FILE_SYSTEMS = frozenset(
    {
        "bcachefs",
        "btrfs",
        "exfat",
        "ext2",
        "ext3",
        "ext4",
        "f2fs",
        "jfs",
        "nilfs2",
        "ntfs3",
        "overlay",
        "ramfs",
        "reiserfs",
        "tmpfs",
        "vfat",
        "xfs",
        "zfs",
    }
)
# what the server is told of: changes only, never a file opened, read or closed unwritten
CHANGES: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]


def mounts(mountinfo: str) -> list[tuple[str, str]]:
    """Each mount's point and file system type, in the order of ``/proc/self/mountinfo``
    (its fifth field, octal escapes undone, and the field after the ``-``)."""
    found = []
    for line in mountinfo.splitlines():
        fields = line.split(" ")
        try:
            point, kind = fields[4], fields[fields.index("-", 6) + 1]
        except (ValueError, IndexError):
            continue
        found.append((re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), point), kind))
    return found


def holds_links(path: str) -> bool:
    """Whether ``path`` is, or holds, a symbolic link (or cannot be read through). Polling
    follows links; inotify watches a linked folder or file only where it lies, so a change made
    through its target's own path would not be seen."""
    if Path(path).is_symlink():
        return True
    if not Path(path).is_dir():
        return False
    folders = [path]
    try:
        while folders:
            with os.scandir(folders.pop()) as entries:
                for entry in entries:
                    if entry.is_symlink():
                        return True
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
    except OSError:
        return True
    return False


def file_system(path: str, table: Iterable[tuple[str, str]]) -> str | None:
    """The type of the file system ``path`` lies on: that of the mount whose point is its
    longest leading run of folders (of two mounts on one point, the later one hides the
    earlier)."""
    best, kind = -1, None
    for point, fs_type in table:
        inside = point == "/" or path == point or path.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= best:
            best, kind = len(point), fs_type
    return kind


def _notices_class() -> Callable[[], BaseObserver] | None:
    """Watchdog's inotify observer, asked for changes only; None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        from watchdog.observers.inotify import InotifyObserver
    except ImportError:  # pragma: no cover - a Linux without inotify
        return None

    class ChangeNotices(InotifyObserver):
        """The kernel's notices of the changes under the paths it watches (a file through its
        folder, so that a file replaced by an editor's save is still watched)."""

        def schedule(
            self,
            event_handler: FileSystemEventHandler,
            path: str | Path,
            *,
            recursive: bool = False,
            event_filter: list[type[FileSystemEvent]] | None = None,
            follow_symlink: bool = False,
        ) -> ObservedWatch:
            wanted = CHANGES if event_filter is None else [e for e in event_filter if e in CHANGES]
            return super().schedule(
                event_handler, path, recursive=recursive, event_filter=wanted, follow_symlink=follow_symlink
            )

    return ChangeNotices


ChangeNotices = _notices_class()


def watch_by_notices(server: LiveReloadServer) -> bool:
    """Move the server's watches from polling to the kernel's change notices, where every
    path it watches lies on a local file system and the kernel has watches to spare; True when
    moved. Call it before the server starts: a watch added later goes to the new observer."""
    watched = getattr(server, "_watched_paths", None)  # MkDocs 1.6's count of watch() by path
    if ChangeNotices is None or not isinstance(watched, dict) or not watched:
        return False
    try:
        table = mounts(MOUNTINFO.read_text("utf-8", errors="replace"))
    except OSError:
        return False
    for path in watched:
        kind = file_system(os.path.realpath(path), table)
        if kind not in LOCAL_FILE_SYSTEMS:
            log.info(f"Polling for changes every half second: {path} is on a {kind or 'unknown'} file system")
            return False
        if holds_links(path):
            log.info(f"Polling for changes every half second: {path} is or holds a symbolic link")
            return False
    trial = ChangeNotices()
    try:
        for path in watched:
            trial.schedule(FileSystemEventHandler(), path, recursive=True)
        trial.start()
    except OSError as error:
        log.warning(f"Polling for changes every half second: the kernel's change notices failed ({error})")
        return False
    finally:
        trial.stop()
        with contextlib.suppress(RuntimeError):  # a trial that never started
            trial.join()
    counts = dict(watched)
    for path, count in counts.items():
        for _ in range(count):
            server.unwatch(path)
    server.observer = ChangeNotices()  # type: ignore[assignment]  # MkDocs types it as its PollingObserver
    for path, count in counts.items():
        for _ in range(count):
            server.watch(path)
    log.debug("Watching for changes by the kernel's notices (inotify)")
    return True
