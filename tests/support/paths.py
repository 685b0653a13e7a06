"""Where things are."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
TEST_FIXTURES = TESTS / "fixtures"
FIXTURES = REPO.parent / "shared" / "fixtures"
KEPANO = FIXTURES / "vaults" / "kepano-obsidian"


def require_fixtures() -> None:
    if not KEPANO.is_dir():
        pytest.fail(f"test fixtures missing: {KEPANO} (the shared/ folder must sit beside the repository)")
