"""Edit-to-served latency of the preview (``cortex serve``).

It starts the preview on a copy of a project in a temporary folder (never the project itself)
and, once the first build is served, saves edits one at a time and waits for the served pages
over HTTP on a loopback port as an open browser tab does: it asks MkDocs' livereload endpoint
(``/livereload/<epoch>/<id>``, answered when a rebuild has finished) and then fetches the pages
(``--poll-pages``: fetches them every 50 ms instead, which loads the server with requests while
it builds):
  link    - note A gets a new paragraph with a wikilink to note B (a different pair each time,
            B not linked from A before): done when A's page shows the new link to B and B's
            "Linked from" section lists A (the sentence of the new link);
  result  - (the shipped knowledge base only) a result.json with one quoted metric changed is
            written into results/<id>/ as a finished run writes it: done when the note that
            quotes that number shows the new one.
Cases: the shipped knowledge base (content/, experiments/, refs/, results/ and mkdocs.yml,
the curriculum with the content) and notes generated as bench/build.py generates them.
Each edit waits for the server to finish its rebuild and be idle (its CPU still for a second:
what it does between saves is not charged to the next) before the next one. It prints the
median, min and max seconds from the save to served, the CPU seconds the server's process tree
spent in that time (user + system, from /proc: what counts on a shared machine; Linux only),
and the ratio of the median to the target.

    python bench/preview.py                           # shipped KB and 1,000 notes, 5 edits each
    python bench/preview.py --sizes 1000,10000        # and 10,000 notes (long)
    python bench/preview.py --plugin-option 'related: false' --edits 9
    python bench/preview.py --full                    # every page rendered on each change
    python bench/preview.py --poll-pages              # fetch the pages every 50 ms while waiting
Targets: <= 1 s on the shipped KB, <= 2 s at 1k, <= 5 s at 10k; a new result.json <= 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from build import REPO, config, generate  # bench/build.py: its corpus and its mkdocs.yml
from mkdocs.structure.files import File

from cortex.experiments.display import format_number
from cortex.model import load

TARGETS = {"shipped": 1.0, 1000: 2.0, 10000: 5.0, "result": 2.0}
PROJECT_PARTS = ("content", "experiments", "refs", "results")
POLL_S = 0.05  # --poll-pages: how often the pages are fetched while waiting
LIVERELOAD_WAIT_S = 90  # MkDocs answers a livereload request within a minute
IDLE_WINDOW_S = 1.0  # the server is idle when in this long
IDLE_CPU_S = 0.5  # it used less CPU than this (its file watcher alone uses some)
_SHORTCODE = re.compile(r"\{\{<\s*result\s+(\w+)\s+(\w+)((?:\s+[\w.-]+=[^\s>]+)*)\s*>\}\}")
_BACKLINKS = re.compile(r'<section class="cortex-backlinks" [^>]*>(.*?)</section>', re.S)
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class Edit:
    seconds: float  # from the save to both pages served as expected
    cpu_s: float | None  # the server tree's CPU seconds in that time
    what: str


@dataclass
class Case:
    name: str
    target_s: float
    edits: list[Edit] = field(default_factory=list)
    first_build_s: float = 0.0
    error: str | None = None


class Server:
    """``cortex serve`` in ``root`` on a free loopback port, its log read in a thread (counting
    finished rebuilds). Started and stopped by its own PID."""

    def __init__(self, root: Path, full: bool) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        cortex = Path(sys.executable).with_name("cortex")
        argv = [str(cortex) if cortex.exists() else shutil.which("cortex") or "cortex", "serve"]
        argv += ["-a", f"127.0.0.1:{self.port}"] + (["--full"] if full else [])
        env = {k: v for k, v in os.environ.items() if k != "CORTEX_SITE_URL"}
        self.proc = subprocess.Popen(
            argv, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.log: list[str] = []
        self.builds = 0  # finished builds: "Reloading browsers" after a rebuild, the first one too
        self.last_line_at = time.perf_counter()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log.append(line.rstrip())
            self.last_line_at = time.perf_counter()
            if "Reloading browsers" in line or "Serving on" in line:
                self.builds += 1

    def alive(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"the server exited ({self.proc.returncode}):\n" + "\n".join(self.log[-30:]))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cpu_s(self) -> float | None:
        """User + system seconds of the server and its live descendants (and its reaped ones)."""
        try:
            stats = {}
            for entry in os.scandir("/proc"):
                if entry.name.isdigit():
                    try:
                        text = Path(entry.path, "stat").read_text()
                    except OSError:
                        continue
                    fields = text[text.rfind(")") + 2 :].split()
                    stats[int(entry.name)] = (int(fields[1]), fields)  # ppid, the fields after the name
        except OSError:
            return None
        tree, total = {self.proc.pid}, 0
        for _ in range(8):  # descendants, level by level
            tree |= {pid for pid, (ppid, _) in stats.items() if ppid in tree}
        for pid in tree:
            if pid in stats:
                f = stats[pid][1]  # utime stime cutime cstime are fields 14-17 (here 11-14)
                total += sum(int(x) for x in f[11:15])
        return total / _CLK_TCK

    def get(self, url: str, timeout: float = 10) -> str | None:
        try:
            with urllib.request.urlopen(urljoin(self.url, url), timeout=timeout) as response:
                return response.read().decode("utf-8", errors="replace")
        except (urllib.error.URLError, OSError):
            return None

    def epoch(self, after: int = 0) -> int | None:
        """The version of the site the server shows, as MkDocs' livereload script asks it: at
        once for ``after`` 0, else once a build newer than ``after`` is visible (or a minute
        has passed, as the browser's request is answered)."""
        answer = self.get(f"livereload/{after}/{os.getpid()}", timeout=LIVERELOAD_WAIT_S)
        return int(answer) if answer is not None and answer.strip().isdigit() else None

    def wait_quiet(self, builds_before: int, timeout: float) -> None:
        """Until the rebuild the save started has finished, the log has been still a while, and
        the server is idle: the next save is made as a writer makes it, to a server that has
        done what it does between saves (the plugin's full garbage collection a second after a
        build), which is not charged to that save."""
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            self.alive()
            if self.builds > builds_before and time.perf_counter() - self.last_line_at > 1.0:
                break
            time.sleep(0.1)
        before = self.cpu_s()
        while time.perf_counter() < end and before is not None:
            time.sleep(IDLE_WINDOW_S)
            now = self.cpu_s()
            if now is None or now - before < IDLE_CPU_S:
                return
            before = now


def page_url(path: str) -> str:
    return File(path, None, "", True).url


def wait_for(
    server: Server,
    checks: dict[str, Callable[[str], bool]],
    timeout: float,
    start: float,
    epoch: int | None,
) -> float:
    """The seconds from ``start`` (the save) until every page's check held. With the site's
    ``epoch`` from before the save, each round waits for a newer build as a browser does, then
    fetches the pages; without it (``--poll-pages``) the pages are fetched every POLL_S."""
    seen: dict[str, float] = {}
    while len(seen) < len(checks):
        server.alive()
        if epoch is not None:
            newer = server.epoch(after=epoch)
            if newer is None:  # the request failed: not asked again at once
                time.sleep(POLL_S)
            epoch = newer or epoch
        for url, check in checks.items():
            if url not in seen:
                html = server.get(url)
                if html is not None and check(html):
                    seen[url] = time.perf_counter() - start
        if time.perf_counter() - start > timeout:
            missing = ", ".join(u for u in checks if u not in seen)
            raise TimeoutError(f"not served within {timeout:.0f} s: {missing}")
        if epoch is None:
            time.sleep(POLL_S)
    return max(seen.values())


def link_pairs(root: Path, count: int, seed: int = 1) -> list[tuple[str, str]]:
    """``count`` (A, B) pairs of notes in the content folder, A not linking to B yet, no note twice
    as A (so every edit adds a first link)."""
    kb = load(root / "content", root=root)
    notes = sorted(
        p for p in kb.vault.notes if (root / "content" / p).is_file() and not p.endswith("index.md")
    )
    linked = {(b.source, target) for target, entries in kb.backlinks.items() for b in entries}
    rng, pairs, used = random.Random(seed), [], set()
    for _ in range(10000):
        a, b = rng.sample(notes, 2)
        if a not in used and (a, b) not in linked:
            pairs.append((a, b))
            used.add(a)
            if len(pairs) == count:
                return pairs
    raise SystemExit(f"only {len(pairs)} unlinked note pairs in {root}")


def link_edits(server: Server, root: Path, case: Case, count: int, timeout: float, poll: bool) -> None:
    for k, (a, b) in enumerate(link_pairs(root, count)):
        marker = f"pvbench{k:02d}x{os.getpid()}"
        a_url, b_url = page_url(a), page_url(b)

        def edited(html: str, marker: str = marker, a_url: str = a_url, b_url: str = b_url) -> bool:
            m = re.search(re.escape(marker) + r'[^<]*<a [^>]*href="([^"]+)"', html)
            return m is not None and urlsplit(urljoin("/" + a_url, m.group(1))).path == "/" + b_url

        def listed(html: str, marker: str = marker) -> bool:
            return any(marker in section for section in _BACKLINKS.findall(html))

        epoch = None if poll else server.epoch()
        cpu, builds, start = server.cpu_s(), server.builds, time.perf_counter()
        with (root / "content" / a).open("a", encoding="utf-8") as f:
            f.write(f"\n\nPreview edit {marker}: see [[{b[:-3]}]].\n")
        seconds = wait_for(server, {a_url: edited, b_url: listed}, timeout, start, epoch)
        after = server.cpu_s()
        case.edits.append(
            Edit(seconds, after - cpu if cpu is not None and after is not None else None, f"{a} -> {b}")
        )
        print(f"  {case.name}: {a} -> {b}: {seconds:.2f} s", flush=True)
        server.wait_quiet(builds, timeout)


def quoted_number(root: Path) -> tuple[str, Path, dict, tuple[int, str]]:
    """A note quoting a plain number of a result: (note path, result.json, the record, (the
    point's index, the metric))."""
    for note in sorted((root / "content").rglob("*.md")):
        for exp, metric, params in _SHORTCODE.findall(note.read_text("utf-8")):
            record_path = root / "results" / exp / "result.json"
            if not record_path.is_file():
                continue
            record = json.loads(record_path.read_text("utf-8"))
            want = dict(p.split("=", 1) for p in params.split())
            for i, point in enumerate(record.get("points", [])):
                value = point.get("metrics", {}).get(metric)
                if isinstance(value, float) and all(
                    _same(point["params"].get(k), v) for k, v in want.items()
                ):
                    return note.relative_to(root / "content").as_posix(), record_path, record, (i, metric)
    raise SystemExit("no note quotes a plain number of a result")


def _same(value: object, text: str) -> bool:
    if str(value).lower() == text.lower():
        return True
    try:
        return float(str(value)) == float(text)
    except ValueError:
        return False


def result_edits(server: Server, root: Path, case: Case, count: int, timeout: float, poll: bool) -> None:
    note, record_path, record, (i, metric) = quoted_number(root)
    url = page_url(note)
    for k in range(count):
        baseline = server.get(url) or ""
        value = 86421.3 + 1111 * k
        while format_number(value) in baseline:
            value += 7
        shown = format_number(value)
        record["points"][i]["metrics"][metric] = value
        staged = root / f".result-{k}.json"  # written whole, then renamed in, as a run lands
        staged.write_text(json.dumps(record, indent=2), "utf-8")
        epoch = None if poll else server.epoch()
        cpu, builds, start = server.cpu_s(), server.builds, time.perf_counter()
        staged.replace(record_path)
        seconds = wait_for(server, {url: lambda html, shown=shown: shown in html}, timeout, start, epoch)
        after = server.cpu_s()
        what = f"{record_path.parent.name} {metric} -> {shown} on {note}"
        case.edits.append(Edit(seconds, after - cpu if cpu is not None and after is not None else None, what))
        print(f"  {case.name}: {what}: {seconds:.2f} s", flush=True)
        server.wait_quiet(builds, timeout)


def project(work: Path, n: int | None, options: tuple[str, ...]) -> Path:
    """A project folder under ``work``: a copy of the shipped one (n None), or ``n`` generated notes."""
    root = work / ("shipped" if n is None else f"notes-{n}")
    root.mkdir()
    if n is None:
        for part in PROJECT_PARTS:
            if (REPO / part).is_dir():
                shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        generate(root / "content", n)
    config(root, root / "content", "plugin", [], options).rename(root / "mkdocs.yml")
    return root


def run_case(
    name: str,
    root: Path,
    target: float,
    edits: int,
    kinds: list[str],
    full: bool,
    timeout: float,
    poll: bool,
) -> list[Case]:
    cases = [
        Case(
            name if kind == "link" else f"{name}: new result.json",
            TARGETS[kind] if kind == "result" else target,
        )
        for kind in kinds
    ]
    server = Server(root, full)
    try:
        start = time.perf_counter()
        while server.builds == 0:  # "Serving on" follows the first build
            server.alive()
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"first build not served within {timeout:.0f} s")
            time.sleep(0.2)
        for case in cases:
            case.first_build_s = time.perf_counter() - start
        print(f"{name}: first build served after {cases[0].first_build_s:.1f} s", flush=True)
        for kind, case in zip(kinds, cases, strict=True):
            try:
                (link_edits if kind == "link" else result_edits)(server, root, case, edits, timeout, poll)
            except (TimeoutError, RuntimeError) as failed:
                case.error = str(failed)
                print(f"  {case.name}: {failed}", flush=True)
    except (TimeoutError, RuntimeError) as failed:
        for case in cases:
            case.error = case.error or str(failed)
        print(f"{name}: {failed}", flush=True)
    finally:
        server.stop()
    return cases


def table(cases: list[Case]) -> None:
    print(
        f"\n{'case':34s} {'edits':>5s} {'median':>7s} {'min':>6s} {'max':>6s} {'CPU med':>8s} {'target':>6s} {'ratio':>6s}"
    )
    for case in cases:
        times = [e.seconds for e in case.edits]
        if not times:
            print(f"{case.name:34s} {0:5d}  no edit measured: {case.error}")
            continue
        cpus = [e.cpu_s for e in case.edits if e.cpu_s is not None]
        median = statistics.median(times)
        cpu = f"{statistics.median(cpus):7.2f}s" if cpus else "     n/a"
        print(
            f"{case.name:34s} {len(times):5d} {median:6.2f}s {min(times):5.2f}s {max(times):5.2f}s "
            f"{cpu} {case.target_s:5.1f}s {median / case.target_s:6.2f}"
            + (f"  (then: {case.error})" if case.error else "")
        )


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000", help="generated notes, comma-separated; 10000 only when asked")
    ap.add_argument("--no-shipped", action="store_true", help="skip the shipped knowledge base")
    ap.add_argument("--edits", type=int, default=5, help="edits of each kind (default 5)")
    ap.add_argument(
        "--plugin-option",
        action="append",
        default=[],
        metavar="KEY: VALUE",
        help="an option of the cortex plugin (repeatable), e.g. 'related: false'",
    )
    ap.add_argument(
        "--full", action="store_true", help="serve with --full: every page rendered on each change"
    )
    ap.add_argument(
        "--poll-pages",
        action="store_true",
        help="fetch the pages every 50 ms while waiting, instead of as a browser tab does (livereload)",
    )
    ap.add_argument("--timeout", type=float, default=1800, help="seconds to wait for any one build")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "preview.json")
    args = ap.parse_args()
    # a kill, or a Ctrl-C where a background shell ignores SIGINT, still stops the server (finally)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    options = tuple(args.plugin_option)
    cases: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="cortex-preview-") as tmp:
        work = Path(tmp)
        if not args.no_shipped:
            root = project(work, None, options)
            cases += run_case(
                "shipped KB",
                root,
                TARGETS["shipped"],
                args.edits,
                ["link", "result"],
                args.full,
                args.timeout,
                args.poll_pages,
            )
        for n in sizes:
            root = project(work, n, options)
            target = TARGETS.get(n, 2.0 if n <= 2000 else 5.0)
            cases += run_case(
                f"{n} notes", root, target, args.edits, ["link"], args.full, args.timeout, args.poll_pages
            )
    table(cases)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "plugin_options": list(options),
        "full": args.full,
        "waiting": "pages fetched every 50 ms" if args.poll_pages else "livereload, then the pages",
        "cases": [asdict(c) for c in cases],
    }
    args.out.write_text(json.dumps(summary, indent=2), "utf-8")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt as stopped:
        sys.exit(f"interrupted ({stopped}); the server was stopped")
