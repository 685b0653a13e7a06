"""Where things are."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
TEST_FIXTURES = TESTS / "fixtures"
FIXTURES = REPO.parent / "shared" / "fixtures"
KEPANO = FIXTURES / "vaults" / "kepano-obsidian"


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write {relative path: text or bytes} under ``root``, making folders as needed; returns root."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, "utf-8")
    return root


def require_fixtures() -> None:
    if not KEPANO.is_dir():
        pytest.fail(f"test fixtures missing: {KEPANO} (the shared/ folder must sit beside the repository)")
