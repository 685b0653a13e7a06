"""`mkdocs serve` (and `cortex serve`, which runs it) previews a vault and rebuilds it when a note,
a reference, an experiment or a result changes."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

from support.cli import site_project
from support.paths import REPO
from support.results_site import add_run, squares_points


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


def wait_for(url: str, text: str, timeout: float = 240) -> str:
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


def test_cortex_serve_shows_a_new_result_a_reference_and_changed_code_without_a_restart(tmp_path):
    root = site_project(tmp_path)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cortex.cli", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=root / "content",  # found from inside the project
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        page = f"http://127.0.0.1:{port}/experiments/squares/"
        assert "stale ⚠" not in wait_for(page, ">3.20</span>")
        # a run lands in results/: its median shows in the open page
        add_run(root, "squares", squares_points(time3=(7.77e-6, 4e-7)), "2026-11-25T09:30:00+00:00")
        wait_for(page, ">7.77</span>")
        # a reference changes in refs/
        bib = root / "refs" / "refs.bib"
        bib.write_text(bib.read_text("utf-8").replace("A. Nobody", "B. Somebody"), "utf-8")
        wait_for(f"http://127.0.0.1:{port}/bibliography/", "Somebody")
        # the experiment's code changes in experiments/: its result is stale
        script = root / "experiments" / "squares.py"
        script.write_text(script.read_text("utf-8") + "\n# changed\n", "utf-8")
        wait_for(page, "stale ⚠")
    finally:
        server.terminate()
        server.wait(timeout=30)
