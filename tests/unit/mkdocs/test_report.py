"""What a build logs of the knowledge base's problems: every error, and in a preview each
warning once, the unchanged ones counted on later rebuilds."""

from __future__ import annotations

import logging

from cortex.diagnostics import Code, diagnostic
from cortex.mkdocs.plugin import report

ALIAS = diagnostic(Code.ALIAS_LINK, "content/a.md", 3, 5, "[[B]] resolves through an alias")
OTHER = diagnostic(Code.ALIAS_LINK, "content/c.md", 1, 1, "[[D]] resolves through an alias")
ERROR = diagnostic(Code.UNRESOLVED_LINK, "content/a.md", 4, 1, "[[Nowhere]] names no note")


def _messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records]


def test_a_preview_shows_a_warning_once_and_counts_it_on_later_rebuilds(caplog):
    caplog.set_level(logging.INFO, logger="mkdocs.plugins.cortex")
    shown = report([ALIAS, ERROR], strict_warnings=False, shown=set())  # the first build
    assert any("content/a.md:3:5" in m for m in _messages(caplog))
    assert any("content/a.md:4:1" in m for m in _messages(caplog))
    caplog.clear()
    shown = report([ALIAS, OTHER, ERROR], strict_warnings=False, shown=shown)
    messages = _messages(caplog)
    assert not any("content/a.md:3:5" in m for m in messages)  # unchanged: counted
    assert any("content/c.md:1:1" in m for m in messages)  # new: shown
    assert any("content/a.md:4:1" in m for m in messages)  # an error, every time
    assert any("1 more problem as before" in m for m in messages)
    caplog.clear()
    shown = report([OTHER], strict_warnings=False, shown=shown)
    assert shown == {OTHER}
    caplog.clear()
    report([ALIAS, OTHER], strict_warnings=False, shown=shown)  # gone, then back: shown again
    assert any("content/a.md:3:5" in m for m in _messages(caplog))


def test_strict_warnings_are_logged_as_warnings_every_time(caplog):
    caplog.set_level(logging.INFO, logger="mkdocs.plugins.cortex")
    shown = report([ALIAS], strict_warnings=True, shown=set())
    caplog.clear()
    report([ALIAS], strict_warnings=True, shown=shown)
    assert [r.levelno for r in caplog.records] == [logging.WARNING]  # what mkdocs --strict counts
