"""`mkdocs serve` previews a vault and rebuilds it when a note changes."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

from support.paths import REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None


def wait_for(url: str, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = fetch(url)
        if page and text in page:
            return page
        time.sleep(0.5)
    raise AssertionError(f"{url} never showed {text!r}")


def test_serve_rebuilds_links_and_backlinks_on_save(write_vault, tmp_path):
    vault = write_vault({"index.md": "# Home\n\nSee [[Other]].\n", "Other.md": "# Other\n\nFirst version.\n"})
    config = tmp_path / "mkdocs.yml"
    config.write_text(f"INHERIT: {REPO / 'mkdocs.yml'}\ndocs_dir: {vault}\n", "utf-8")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "-f", str(config), "-a", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}/"
        other = wait_for(base + "Other/", "First version.")
        assert "Linked from" in other
        (vault / "Other.md").write_text("# Other\n\nSecond version, linking [[index|home]].\n", "utf-8")
        wait_for(base + "Other/", "Second version")
        home = wait_for(base, 'class="cortex-backlinks"')
        assert "Second version, linking home." in home  # the backlink's context is the new sentence
    finally:
        server.terminate()
        server.wait(timeout=30)
