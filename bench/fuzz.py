"""A longer fuzz run of every parser than the test suite makes: hypothesis generates EXAMPLES
inputs per parser (default 2,000) from Markdown, YAML, BibTeX and JSON syntax and checks that
none raises. Prints how many inputs each parser took and writes bench/out/fuzz.json.

    .venv/bin/python bench/fuzz.py [EXAMPLES]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "site_plugins")]

from hypothesis import HealthCheck, given, settings  # noqa: E402
from support.fuzz import PARSERS, texts  # noqa: E402


def fuzz(parse, examples: int, seen: list[int]) -> None:
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(texts(max_size=20_000))
    def never_raises(text: str) -> None:
        seen.append(len(text))
        parse(text)

    never_raises()


def main() -> None:
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
    counts: dict[str, dict[str, float]] = {}
    for name, parse in sorted(PARSERS.items()):
        seen: list[int] = []
        start = time.process_time()
        fuzz(parse, examples, seen)
        longest = max(seen, default=0)
        counts[name] = {
            "inputs": len(seen),
            "longest": longest,
            "cpu_s": round(time.process_time() - start, 2),
        }
        print(
            f"{name}: {len(seen)} inputs (up to {max(seen, default=0)} characters), none raised "
            f"({counts[name]['cpu_s']} s CPU)",
            flush=True,
        )
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "fuzz.json").write_text(json.dumps(counts, indent=2) + "\n")
    print(f"{sum(c['inputs'] for c in counts.values()):.0f} inputs in all, none raised")


if __name__ == "__main__":
    main()
