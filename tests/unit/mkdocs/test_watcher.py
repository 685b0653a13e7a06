"""The preview watches by the kernel's change notices where every path it watches lies on a
local file system and holds no symbolic link; elsewhere, or when the kernel refuses, MkDocs
keeps polling. A build's reads are not changes; a file an editor replaces is still watched."""

from __future__ import annotations

import errno
import logging
import os
import queue
from collections.abc import Iterator
from pathlib import Path

import pytest
from mkdocs.livereload import LiveReloadServer
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers.polling import PollingObserver

from cortex.mkdocs import watcher
from cortex.mkdocs.watcher import LOCAL_FILE_SYSTEMS, file_system, holds_links, mounts, watch_by_notices

MOUNTINFO = r"""22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
30 22 0:40 / /home rw,relatime shared:5 - nfs4 server:/home rw,vers=4.2
31 30 252:2 / /home/me/my\040vault rw,relatime shared:6 master:2 - xfs /dev/vdb rw
32 22 0:41 / /mnt/c rw,noatime - 9p drvfs rw
33 22 0:42 / /srv rw - tmpfs tmpfs rw
34 22 0:43 / /srv rw - fuse.sshfs me@host:/srv rw
a line that is not a mount
"""
needs_notices = pytest.mark.skipif(
    watcher.ChangeNotices is None, reason="the kernel's change notices are Linux's"
)


def test_a_path_lies_on_the_file_system_of_its_longest_mount_point():
    table = mounts(MOUNTINFO)
    assert len(table) == 6
    assert ("/home/me/my vault", "xfs") in table  # octal escapes undone, optional fields skipped
    assert file_system("/home/me/my vault/notes/a.md", table) == "xfs"
    assert file_system("/home/me/my vaults", table) == "nfs4"  # a folder's whole name, not a prefix
    assert file_system("/home/other/kb", table) == "nfs4"
    assert file_system("/homework/kb", table) == "ext4"
    assert file_system("/mnt/c/Users/me/kb", table) == "9p"
    assert file_system("/srv/kb", table) == "fuse.sshfs"  # the later mount on a point hides the earlier
    assert file_system("/", table) == "ext4"
    assert file_system("/anything", []) is None


def test_a_symbolic_link_anywhere_in_a_watched_tree_is_found(tmp_path):
    plain = tmp_path / "plain"
    (plain / "deep" / "er").mkdir(parents=True)
    (plain / "deep" / "er" / "note.md").write_text("x", "utf-8")
    assert not holds_links(str(plain))
    assert not holds_links(str(plain / "deep" / "er" / "note.md"))
    (plain / "deep" / "er" / "linked.md").symlink_to(plain / "deep" / "er" / "note.md")
    assert holds_links(str(plain))
    (tmp_path / "through").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert holds_links(str(tmp_path / "through"))  # the watched path itself


@pytest.fixture
def project(tmp_path) -> tuple[Path, Path]:
    """A content folder with a note, and a mkdocs.yml beside it."""
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text("# A\n", "utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: v0\n", "utf-8")
    return content, config


@pytest.fixture
def server(tmp_path) -> Iterator[LiveReloadServer]:
    """MkDocs' preview server, never bound nor serving: its watches are what is tested."""
    live = LiveReloadServer(builder=lambda: None, host="127.0.0.1", port=0, root=str(tmp_path / "site"))
    try:
        yield live
    finally:
        live.observer.stop()
        if live.observer.is_alive():
            live.observer.join(timeout=30)
        live.server_close()


def local(path: Path) -> bool:
    """Whether ``path`` lies on a file system this machine's kernel reports the changes of."""
    table = mounts(watcher.MOUNTINFO.read_text("utf-8"))
    return file_system(os.path.realpath(path), table) in LOCAL_FILE_SYSTEMS


@pytest.fixture
def mounted_as(tmp_path, monkeypatch):
    """Make the whole machine look like one file system of the given type."""

    def mount(kind: str) -> None:
        info = tmp_path / "mountinfo"
        info.write_text(f"22 1 252:1 / / rw,relatime shared:1 - {kind} /dev/vda1 rw\n", "utf-8")
        monkeypatch.setattr(watcher, "MOUNTINFO", info)

    return mount


@needs_notices
def test_the_watches_move_to_change_notices_and_a_save_asks_for_a_rebuild(project, server):
    content, config = project
    if not local(content):
        pytest.skip("the temporary folder is not on a local file system")
    for path in (content, config, content):  # the content folder twice, as two watchers would
        server.watch(str(path))
    assert watch_by_notices(server)
    assert not isinstance(server.observer, PollingObserver)
    assert server._watched_paths == {str(content): 2, str(config): 1}  # each as often as before
    assert {emitter.watch.path for emitter in server.observer.emitters} == {str(content), str(config.parent)}
    server.observer.start()
    (content / "b.md").write_text("# B\n", "utf-8")
    with server._rebuild_cond:
        assert server._rebuild_cond.wait_for(lambda: server._want_rebuild, timeout=60)


@needs_notices
def test_a_build_reading_files_is_not_a_change_and_a_replaced_file_stays_watched(project, tmp_path):
    content, config = project
    if not local(content):
        pytest.skip("the temporary folder is not on a local file system")
    seen: queue.Queue[FileSystemEvent] = queue.Queue()

    class Record(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            seen.put(event)

    assert watcher.ChangeNotices is not None
    observer = watcher.ChangeNotices()
    observer.schedule(Record(), str(content), recursive=True)
    observer.schedule(Record(), str(config), recursive=True)
    observer.start()
    try:
        (content / "a.md").read_text("utf-8")  # what every build does to what it watches
        config.read_text("utf-8")
        (content / "b.md").write_text("# B\n", "utf-8")
        first = seen.get(timeout=60)  # the kernel reports in order: a read would come first
        assert (first.event_type, first.src_path) == ("created", str(content / "b.md"))
        while not seen.empty():
            seen.get()
        for version in (1, 2):  # an editor's save: a new file moved over the old
            saved = tmp_path / "mkdocs.yml.tmp"
            saved.write_text(f"site_name: v{version}\n", "utf-8")
            saved.replace(config)
            event = seen.get(timeout=60)
            while event.src_path == str(content / "b.md"):  # its write's notices, late on a loaded machine
                event = seen.get(timeout=60)
            assert (event.event_type, event.dest_path) == ("moved", str(config))
    finally:
        observer.stop()
        observer.join(timeout=30)


@needs_notices
@pytest.mark.parametrize("kind", ["nfs4", "cifs", "9p", "fuse.sshfs", "virtiofs"])
def test_a_watched_path_on_a_shared_file_system_keeps_polling(project, server, mounted_as, kind, caplog):
    content, config = project
    mounted_as(kind)
    server.watch(str(content))
    server.watch(str(config))
    polling = server.observer
    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.cortex"):
        assert not watch_by_notices(server)
    assert server.observer is polling and len(polling.emitters) == 2
    assert f"is on a {kind} file system" in caplog.text


@needs_notices
def test_a_watched_tree_holding_a_symbolic_link_keeps_polling(project, server, mounted_as, caplog):
    content, _ = project
    mounted_as("ext4")
    (content / "linked.md").symlink_to(content / "a.md")
    server.watch(str(content))
    polling = server.observer
    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.cortex"):
        assert not watch_by_notices(server)
    assert server.observer is polling
    assert "holds a symbolic link" in caplog.text


@needs_notices
def test_when_the_kernel_refuses_its_watches_the_server_keeps_polling(
    project, server, mounted_as, monkeypatch, caplog
):
    content, config = project
    mounted_as("ext4")
    notices = watcher.ChangeNotices
    assert notices is not None

    class Refused(notices):  # type: ignore[misc,valid-type]
        def start(self) -> None:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watcher, "ChangeNotices", Refused)
    server.watch(str(content))
    server.watch(str(config))
    polling = server.observer
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.cortex"):
        assert not watch_by_notices(server)
    assert server.observer is polling and len(polling.emitters) == 2  # its watches untouched
    assert server._watched_paths == {str(content): 1, str(config): 1}
    assert "inotify watch limit reached" in caplog.text
