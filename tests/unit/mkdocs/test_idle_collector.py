"""A preview's full garbage collections wait for it to be idle: none starts by itself during a
rebuild, one is made after each build, and the collector gets its own thresholds back."""

from __future__ import annotations

import gc
import threading

from cortex.mkdocs.preview import MAX_UNCOLLECTED, NEVER, IdleCollector


def _full_collections() -> tuple[threading.Event, object]:
    done = threading.Event()

    def seen(phase: str, info: dict) -> None:
        if phase == "stop" and info["generation"] == 2:
            done.set()

    gc.callbacks.append(seen)
    return done, seen


def test_a_full_collection_is_made_after_a_build_and_none_by_itself():
    own = gc.get_threshold()
    idle = IdleCollector(delay=0.01)
    done, seen = _full_collections()
    try:
        idle.build_done()
        assert gc.get_threshold() == (own[0], own[1], NEVER)  # none starts by itself
        assert done.wait(timeout=60), "no full collection after the build"
        idle.build_done()  # a second build keeps the collector's own thresholds to give back
        assert idle.thresholds == own
    finally:
        gc.callbacks.remove(seen)
        idle.stop()
    assert gc.get_threshold() == own
    assert idle.timer is None


def test_a_build_that_begins_cancels_the_waiting_collection_until_too_many_went_without():
    idle = IdleCollector(delay=3600)
    automatic = gc.isenabled()
    gc.disable()  # only the collector's own collections are seen (gc.collect still collects)
    done, seen = _full_collections()
    try:
        for _ in range(MAX_UNCOLLECTED):
            idle.build_starts()
            assert not done.is_set()
            idle.build_done()
            timer = idle.timer
            assert timer is not None and timer.is_alive()
        idle.build_starts()  # the waiting one is cancelled, and the build collects first
        timer.join(timeout=60)
        assert not timer.is_alive() and idle.timer is None  # cancelled, not waiting an hour
        assert done.is_set() and idle.uncollected == 0
    finally:
        gc.callbacks.remove(seen)
        idle.stop()
        if automatic:
            gc.enable()
