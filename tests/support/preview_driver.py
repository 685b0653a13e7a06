"""The builds of ``mkdocs serve --dirty`` without its HTTP server or its file watcher: the same
calls MkDocs' serve makes (a fresh configuration per rebuild, the plugins kept between them, a
dirty build into one folder), one build per line read from standard input, each answered with
one line of JSON: the pages the cortex plugin rendered, and the build's CPU and wall seconds.

    python preview_driver.py CONFIG SITE_DIR URL
"""

from __future__ import annotations

import json
import sys
import time

from mkdocs.commands.build import build
from mkdocs.config import load_config


def main() -> None:
    config_file, site_dir, url = sys.argv[1:4]

    def fresh():
        config = load_config(config_file=config_file, site_dir=site_dir)
        config.site_url = url
        return config

    fresh().plugins.on_startup(command="serve", dirty=True)
    for _ in sys.stdin:
        config = fresh()
        cpu, wall = time.process_time(), time.perf_counter()
        error = None
        try:
            build(config, serve_url=url, dirty=True)
        except Exception as exc:  # reported to the test, as serve logs it and keeps serving
            error = f"{type(exc).__name__}: {exc}"
        preview = config.plugins["cortex"].preview
        answer = {
            "rendered": sorted(preview.rendered),
            "cpu_s": time.process_time() - cpu,
            "wall_s": time.perf_counter() - wall,
            "error": error,
        }
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
