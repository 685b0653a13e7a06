"""A preview's garbage collections wait for it to be idle: none runs during a rebuild, a full
one is made after each build, and the collector is switched back on after it and at the end."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from cortex.mkdocs.preview import MAX_UNCOLLECTED, IdleCollector


@pytest.fixture
def full_collections() -> Iterator[threading.Event]:
    """Set when a full collection ends; the collector's own state is given back afterwards."""
    automatic = gc.isenabled()
    done = threading.Event()

    def seen(phase: str, info: dict) -> None:
        if phase == "stop" and info["generation"] == 2:
            done.set()

    gc.callbacks.append(seen)
    try:
        yield done
    finally:
        gc.callbacks.remove(seen)
        if automatic:
            gc.enable()
        else:
            gc.disable()


def test_a_full_collection_is_made_after_a_build_and_the_collector_is_on_again(full_collections):
    gc.enable()
    idle = IdleCollector(delay=0.01)
    try:
        idle.build_starts()  # before any build is done, the collector is Python's own
        assert gc.isenabled() and not idle.active
        idle.build_done()
        timer = idle.timer  # taken now: the timer's thread lets go of it before it collects
        assert idle.active and timer is not None
        assert full_collections.wait(timeout=60), "no full collection after the build"
        timer.join(timeout=60)  # the collection's end is seen before the thread switches gc on
        assert idle.timer is None and idle.uncollected == 0
        assert gc.isenabled()  # on while the preview waits for a save
        idle.build_starts()
        assert not gc.isenabled()  # and off through the build
    finally:
        idle.stop()
    assert gc.isenabled()
    assert idle.timer is None and not idle.active


def test_a_build_that_begins_cancels_the_waiting_collection_until_too_many_went_without(full_collections):
    gc.enable()
    idle = IdleCollector(delay=3600)
    try:
        idle.build_done()
        full_collections.clear()  # one Python made by itself before the collector was off
        assert not gc.isenabled()  # nothing collects between the build and the idle moment
        for _ in range(MAX_UNCOLLECTED - 1):
            idle.build_starts()
            assert not gc.isenabled() and not full_collections.is_set()
            idle.build_done()
        timer = idle.timer
        assert timer is not None and timer.is_alive()
        idle.build_starts()  # the waiting one is cancelled, and the build collects first
        timer.join(timeout=60)
        assert not timer.is_alive() and idle.timer is None  # cancelled, not waiting an hour
        assert full_collections.is_set() and idle.uncollected == 0
        assert not gc.isenabled()  # and then builds without collections
    finally:
        idle.stop()
    assert gc.isenabled()


def test_a_collection_that_was_cancelled_while_it_waited_for_the_lock_does_not_run(full_collections):
    gc.enable()
    idle = IdleCollector(delay=3600)
    try:
        idle.build_done()
        full_collections.clear()  # one Python made by itself before the collector was off
        idle.build_starts()  # cancels the timer; one already past its wait finds it is not the current
        idle._when_idle()  # called here, not by the timer's thread
        assert not full_collections.is_set()
        assert not gc.isenabled() and idle.uncollected == 1
    finally:
        idle.stop()
    assert gc.isenabled()


def test_a_large_preview_keeps_its_collections_for_idle_moments_after_a_build_that_failed(full_collections):
    from cortex.mkdocs.plugin import IDLE_COLLECTION_PAGES, CortexPlugin

    gc.enable()
    plugin = CortexPlugin()
    plugin.idle.delay = 3600
    plugin.on_startup(command="serve", dirty=True)
    try:
        plugin.on_pre_build(config=None)  # type: ignore[arg-type]  # the event does not read it
        plugin.pages = [None] * IDLE_COLLECTION_PAGES  # type: ignore[list-item]  # only counted
        plugin._idle_after_build()
        assert plugin.idle.active and not gc.isenabled()
        plugin.pages = []
        plugin.on_pre_build(config=None)  # type: ignore[arg-type]
        plugin.on_build_error(RuntimeError("a build that failed before its pages were made"))
        assert plugin.idle.uncollected == 2 and plugin.idle.timer is not None
    finally:
        plugin.on_shutdown()
    assert gc.isenabled() and plugin.idle.timer is None
