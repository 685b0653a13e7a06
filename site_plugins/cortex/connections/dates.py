"""When each page's file was created and last changed, from git history.

One ``git log`` reads the whole history of the folders asked about, however many files there
are: a process per file (as ``mkdocs-git-revision-date-localized-plugin`` starts one) walks the
history once per file, which at 10,000 notes costs minutes where the one pass costs about a
second. Renames are followed in the same pass, so a note moved to another folder keeps the date
it was written. A file outside a git checkout, not yet committed, or ignored is dated by its
modification time; a committed file changed in the working tree counts as updated at its
modification time, and says that its text is not the commit's.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from markupsafe import escape

from cortex.experiments.display import experiment_page_path
from cortex.experiments.store import RESULT_FILE

if TYPE_CHECKING:
    from cortex.model import KnowledgeBase

GIT_TIMEOUT_S = 120
P = TypeVar("P", Path, str)  # a path as given: the dates are keyed by it
# separators no path can hold: a record per commit, then a field per name
_COMMIT, _FIELD = "\x1e", "\x1f"


@dataclass(frozen=True, slots=True)
class Dates:
    """A file's dates (UTC) and the commit of its last change."""

    created: datetime
    updated: datetime
    commit: str | None = None  # the last commit that changed the file; None outside git
    uncommitted: bool = False  # the file differs from that commit (or was never committed)


@dataclass(frozen=True, slots=True)
class _History:
    first: int  # author time of the commit that added the file (as it is named now)
    last: int  # author time of its last change
    commit: str  # the commit of its last change


def file_dates(paths: Iterable[P], root: Path | str) -> dict[P, Dates]:
    """The dates of each of ``paths`` (absolute, or relative to ``root``) that exists, keyed by
    the path as given. ``root`` is any folder of the checkout (the project's)."""
    root = Path(root).absolute()
    base = str(root) + os.sep
    # strings, not paths: at 10,000 files, making path objects would cost more than git does
    given: dict[P, str] = {}
    for key in paths:
        path = os.fspath(key)
        given[key] = os.path.normpath(path if os.path.isabs(path) else base + path)  # noqa: PTH117
    checkout = _git_checkout(root)
    histories: dict[str, _History] = {}
    changed: set[str] = set()
    relative: dict[P, str] = {}
    if checkout is not None:
        relative = _relative_to(checkout, base, given)
        folders = sorted({_top_folder(rel) for rel in relative.values()})
        histories = _histories(checkout, folders)
        changed = _changed_files(checkout, folders)
    found: dict[P, Dates] = {}
    for key, path in given.items():
        try:
            mtime = datetime.fromtimestamp(os.stat(path).st_mtime, UTC)  # noqa: PTH116 - as above
        except OSError:
            continue
        rel = relative.get(key)
        history = histories.get(rel) if rel is not None else None
        if history is None:  # outside git, untracked or ignored
            found[key] = Dates(mtime, mtime, None, checkout is not None)
            continue
        created, updated = _utc(history.first), _utc(history.last)
        if rel in changed:
            found[key] = Dates(created, max(updated, mtime), history.commit, True)
        else:
            found[key] = Dates(created, updated, history.commit, False)
    return found


def page_dates(kb: KnowledgeBase) -> dict[str, Dates]:
    """The dates of every note's page and every experiment's page, by its path in the site. An
    experiment's page changes with its declaration and with its result: it was created with the
    declaration, and updated at whichever changed last."""
    folder = str(kb.vault.root.absolute())
    files = {path: os.path.join(folder, path) for path in kb.notes}  # noqa: PTH118 - strings, as above
    results_dir = kb.results.results_dir if kb.results is not None else None
    for spec in kb.specs:
        files[experiment_page_path(spec.id)] = str(Path(spec.path).absolute())
        if results_dir is not None:
            files[f"result:{spec.id}"] = str(results_dir / spec.id / RESULT_FILE)
    found = file_dates(files.values(), kb.root)
    dated = {page: found[file] for page, file in files.items() if file in found}
    for spec in kb.specs:
        page, result = experiment_page_path(spec.id), dated.pop(f"result:{spec.id}", None)
        if page in dated and result is not None and result.updated > dated[page].updated:
            declared = dated[page]
            dated[page] = Dates(declared.created, result.updated, result.commit, result.uncommitted)
    return dated


def _git(cwd: Path, args: Sequence[str]) -> str | None:
    """A read-only git command's output; None when git is missing or the command fails."""
    try:
        done = subprocess.run(
            [
                "git",
                "--literal-pathspecs",
                "-c",
                "core.quotepath=off",
                "-c",
                "log.showSignature=false",
                *args,
            ],
            cwd=cwd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _git_checkout(folder: Path) -> Path | None:
    """The top folder of the git checkout holding ``folder``, or None."""
    if not folder.is_dir():
        return None
    out = _git(folder, ["rev-parse", "--show-toplevel"])
    return Path(out.strip()) if out and out.strip() else None


def _relative_to(checkout: Path, base: str, given: dict[P, str]) -> dict[P, str]:
    """Each path (absolute, normalised) as git names it (posix, from the checkout's top), when
    it lies in the checkout. The top and ``base`` (the folder the paths were given from, ending
    in the separator) are resolved once; a path only when it lies under neither."""
    top = _folder(os.path.realpath(checkout))
    real_base = _folder(os.path.realpath(base))
    out: dict[P, str] = {}
    for key, path in given.items():
        if path.startswith(base):
            path = real_base + path[len(base) :]
        if not path.startswith(top):
            path = os.path.realpath(path)
        if path.startswith(top):
            out[key] = path[len(top) :].replace(os.sep, "/")
    return out


def _folder(path: str) -> str:
    """A folder's path ending in the separator, so that a prefix test cannot match ``a`` in ``ab``."""
    return path if path.endswith(os.sep) else path + os.sep


def _top_folder(rel: str) -> str:
    """The first folder of a path in the checkout (the file itself at the top)."""
    return rel.split("/", 1)[0]


def _histories(checkout: Path, folders: Sequence[str]) -> dict[str, _History]:
    """Each file's first and last commit under ``folders``, from one ``git log``: commits come
    newest first, so a rename seen maps the older name's history onto the newer name, and a
    deletion ends the history of a name that was later added again."""
    if not folders:
        return {}
    out = _git(
        checkout,
        [
            "log",
            f"--format={_COMMIT}%H{_FIELD}%at",
            "-z",
            "--name-status",
            "-M",
            "--no-color",
            "--",
            *folders,
        ],
    )
    return parse_log(out or "")


def parse_log(text: str) -> dict[str, _History]:
    """``git log --format=<RS>%H<US>%at -z --name-status -M`` read into each file's history,
    by its name in the newest commit."""
    found: dict[str, list] = {}  # name -> [first, last, commit of the newest change]
    now_named: dict[str, str] = {}  # a name in an older commit -> the name it has now
    ended: set[str] = set()  # names whose older history is another file's
    for record in text.split(_COMMIT)[1:]:
        header, _, names = record.partition("\0")
        commit, _, stamp = header.partition(_FIELD)
        try:
            when = int(stamp.strip())
        except ValueError:
            continue
        fields = names.lstrip("\n").split("\0")
        i = 0
        while i < len(fields) and fields[i]:
            status = fields[i]
            if status[:1] in ("R", "C") and i + 2 < len(fields):
                old, new = fields[i + 1], fields[i + 2]
                i += 3
            else:
                old = new = fields[i + 1] if i + 1 < len(fields) else ""
                i += 2
            if not new:
                continue
            name = now_named.get(new, new)
            if name in ended:
                continue
            if status[:1] == "D":  # added again after this, or gone: older changes are not its
                ended.add(name)
                continue
            entry = found.get(name)
            if entry is None:
                found[name] = [when, when, commit]
            else:  # author times need not follow the commits' order
                entry[0], entry[1] = min(entry[0], when), max(entry[1], when)
            if status[:1] == "R":
                now_named[old] = name
            elif status[:1] == "A":  # nothing older is this file
                ended.add(name)
    return {name: _History(first, last, commit) for name, (first, last, commit) in found.items()}


def _changed_files(checkout: Path, folders: Sequence[str]) -> set[str]:
    """Committed files that differ in the index or the working tree (``git status``)."""
    if not folders:
        return set()
    out = _git(checkout, ["status", "--porcelain=v1", "-z", "--untracked-files=no", "--", *folders])
    changed: set[str] = set()
    fields = (out or "").split("\0")
    i = 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if len(entry) < 4:
            continue
        changed.add(entry[3:])
        if entry[0] in "RC":  # the name it had follows
            changed.add(fields[i] if i < len(fields) else "")
            i += 1
    changed.discard("")
    return changed


def moment_of(text: object) -> datetime | None:
    """An ISO 8601 time as a result record writes it (UTC when it names no zone); None if it is not one."""
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _utc(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)


def day(moment: datetime) -> str:
    """``2026-11-22``: how the site writes a date."""
    return moment.astimezone(UTC).date().isoformat()


def time_html(moment: datetime) -> str:
    """A date as a ``<time>`` element, its exact moment in ``datetime``."""
    exact = moment.astimezone(UTC).isoformat(timespec="seconds")
    return f'<time datetime="{escape(exact)}">{escape(day(moment))}</time>'


def dates_html(dates: Dates) -> str:
    """ "Created 2026-11-01 · Updated 2026-11-22" for a page; one date when both are the same day."""
    created = f'<span class="cortex-date">Created {time_html(dates.created)}</span>'
    if day(dates.created) == day(dates.updated):
        return f'<p class="cortex-dates">{created}</p>'
    updated = f'<span class="cortex-date">Updated {time_html(dates.updated)}</span>'
    return f'<p class="cortex-dates">{created}<span aria-hidden="true"> · </span>{updated}</p>'
