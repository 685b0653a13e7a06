"""A loopback server that answers arXiv API requests with the recorded responses in
``shared/fixtures/arxiv`` (see its README): a request whose path and query equal a recording's
gets that recording's status and body; any other gets a 404."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

from support.paths import FIXTURES

ARXIV = FIXTURES / "arxiv"
REQUIRES_ARXIV = pytest.mark.skipif(not ARXIV.is_dir(), reason="recorded arXiv responses not available")


def _request_key(url: str) -> tuple[str, tuple]:
    parts = urlsplit(url)
    return parts.path, tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))


class Replay:
    """The recordings by request, the requests seen, and the address to point a client at."""

    def __init__(self) -> None:
        self.recordings: dict[tuple, tuple[int, bytes]] = {}
        self.requests: list[str] = []
        self.unmatched: list[str] = []  # the requests no recording answered
        self.url = ""
        for path in sorted(ARXIV.glob("*.json")):
            record = json.loads(path.read_text(encoding="utf-8"))
            self.add(record["url"], record["status_code"], record["body"])

    def add(self, url: str, status: int, body: str) -> None:
        # The recorder stored the UTF-8 bytes decoded as Latin-1; encoding back restores them.
        try:
            data = body.encode("latin-1")
        except UnicodeEncodeError:
            data = body.encode("utf-8")
        self.recordings[_request_key(url)] = (status, data)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                replay.requests.append(self.path)
                status, body = replay.recordings.get(_request_key(self.path), (404, b"no recording"))
                if status == 404:
                    replay.unmatched.append(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler


@contextmanager
def replay_server() -> Iterator[Replay]:
    """A running replay server for the duration of the block."""
    replay = Replay()
    server = ThreadingHTTPServer(("127.0.0.1", 0), replay.handler())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    replay.url = f"http://127.0.0.1:{server.server_address[1]}/api/query"
    try:
        yield replay
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def recorded_abstracts(name: str) -> dict[str, tuple[str, str]]:
    """arXiv id (unversioned) -> (title, abstract) of every paper in one recording, in its order."""
    import feedparser  # a test dependency: reads the Atom body as the arxiv client does

    body = json.loads((ARXIV / name).read_text(encoding="utf-8"))["body"]
    feed = feedparser.parse(body.encode("latin-1", errors="replace"))
    found = {}
    for entry in feed.entries:
        arxiv_id = entry.id.rsplit("/abs/", 1)[-1].rsplit("v", 1)[0]
        found[arxiv_id] = (" ".join(entry.title.split()), " ".join(entry.summary.split()))
    return found
