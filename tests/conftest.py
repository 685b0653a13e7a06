"""Fixtures shared by every test module (helpers live in tests/support/)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from support.paths import REPO, write_tree


def pytest_configure(config):
    """One math thread per xdist worker: the workers already fill the cores, and torch's own
    threads on top of them (and in the runs they start) would fight over the same cores."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture
def write_vault(tmp_path):
    """Write {relative path: text or bytes} into a fresh content folder."""

    def write(files: dict[str, str | bytes]) -> Path:
        return write_tree(tmp_path / "vault", files)

    return write


@pytest.fixture(scope="module")
def spec(request):
    """The declaration of the shipped experiment a test module names in ``EXPERIMENT``."""
    from cortex.experiments.declaration import load_experiment

    found, diagnostics = load_experiment(REPO / "experiments" / f"{request.module.EXPERIMENT}.md", REPO)
    assert found is not None, [str(d) for d in diagnostics]
    return found


@pytest.fixture(scope="module")
def entry(spec):
    """Its entry point, loaded the way the runner loads it."""
    from cortex.runner.run import load_entry_point

    return load_entry_point(spec, REPO)


@pytest.fixture(scope="module")
def module(entry):
    return sys.modules[entry.__module__]


@pytest.fixture(scope="module")
def ci_results(spec, entry):
    """The entry point's metrics at every point of the `ci` size, on the CPU, keyed by the
    point's parameter values in declaration order."""
    from cortex.timing import Harness

    bench = Harness("cpu")
    return {tuple(p.values()): entry(p, bench) for p in spec.points("ci")}
