"""The navigation memo wraps the theme's own template, and nothing else."""

from __future__ import annotations

from pathlib import Path

import material
from jinja2 import DictLoader, Environment, FileSystemLoader

from cortex.mkdocs.navigation_memo import (
    GLOBAL,
    TEMPLATE,
    NavigationLoader,
    NavigationMemo,
    folders,
    remember_navigation,
    wrapped,
)

THEME = Path(material.__file__).parent / "templates"


def test_the_installed_themes_template_is_wrapped():
    """A new mkdocs-material whose template no longer reads as expected fails here, not silently."""
    env = Environment(loader=FileSystemLoader([str(THEME)]))
    remember_navigation(env, [str(THEME)], None)
    source = env.loader.get_source(env, TEMPLATE)[0]
    assert GLOBAL in source and "macro cortex_theme_entry(" in source
    assert env.get_template(TEMPLATE)  # and it compiles
    # the other templates are the theme's as they are
    assert env.loader.get_source(env, "partials/nav.html")[0] == (THEME / "partials/nav.html").read_text(
        "utf-8"
    )


def test_a_sites_override_is_rendered_as_written(tmp_path):
    custom = tmp_path / "overrides"
    (custom / "partials").mkdir(parents=True)
    override = (THEME / TEMPLATE).read_text("utf-8") + "{# the site's own #}\n"
    (custom / TEMPLATE).write_text(override, "utf-8")
    env = Environment(loader=FileSystemLoader([str(custom), str(THEME)]))
    remember_navigation(env, [str(custom), str(THEME)], str(custom))
    assert isinstance(env.loader, NavigationLoader)
    assert env.loader.get_source(env, TEMPLATE)[0] == override


def test_no_theme_template_no_wrapping():
    env = Environment(loader=DictLoader({"main.html": "x"}))
    remember_navigation(env, ["/nowhere"], None)
    assert isinstance(env.loader, DictLoader) and GLOBAL not in env.globals


def test_a_template_not_as_expected_is_left_as_it_is():
    for source in (
        "{% macro render(nav_item) %}{% endmacro %}",
        "no macro",
        wrapped((THEME / TEMPLATE).read_text("utf-8")),
    ):
        assert wrapped(source) == source  # the last: wrapped once only


def test_folders_as_relative_links_read_them():
    assert folders("") == ()
    assert folders("a/b/note/") == ("a", "b", "note")
    assert folders("a/b/note.html") == ("a", "b")
    assert folders("a/b/note.html", file=True) == ("a", "b", "note.html")
    assert folders("a/../c/./d/") == ("c", "d")


class Item:
    def __init__(self, url: str | None, children=(), active: bool = False):
        self.url, self.children, self.active = url, list(children), active


class Counting:
    """A stand-in for the theme's macro: the HTML names the entry and the page it was made on."""

    def __init__(self):
        self.calls = 0

    def __call__(self, nav_item, path, level, parent=None):
        self.calls += 1
        return f"<li>{nav_item.url} #{self.calls}</li>"


def test_an_entry_off_the_path_is_rendered_once_for_the_pages_of_a_folder():
    memo, render = NavigationMemo(), Counting()
    sibling = Item("notes/b/")
    first = memo({"page": Item("notes/a/")}, render, sibling, "__nav_1_2", 2, None)
    again = memo({"page": Item("notes/c/")}, render, sibling, "__nav_1_2", 2, None)
    assert first == again and render.calls == 1
    # another place in the navigation, or a page in another folder, is rendered again
    memo({"page": Item("notes/a/")}, render, sibling, "__nav_1_3", 2, None)
    memo({"page": Item("other/x/y/")}, render, sibling, "__nav_1_2", 2, None)
    assert render.calls == 3


def test_an_entry_on_the_path_or_without_a_page_is_always_rendered():
    memo, render = NavigationMemo(), Counting()
    active = Item("notes/a/", active=True)
    for _ in range(2):
        memo({"page": active}, render, active, "__nav_1_1", 2, None)
        memo({}, render, Item("notes/b/"), "__nav_1_2", 2, None)  # the 404 page has none
    assert render.calls == 4


def test_a_page_above_an_entrys_links_is_not_shared():
    """A folder note ``notes/topic/`` and the notes in its folder: from it, a link to
    ``notes/topic/inner/`` is ``inner/``; from ``notes/other/`` it is ``../topic/inner/``."""
    memo, render = NavigationMemo(), Counting()
    folder = Item(None, [Item("notes/topic/inner/")])
    from_topic = memo({"page": Item("notes/topic/")}, render, folder, "__nav_1_2", 2, None)
    from_other = memo({"page": Item("notes/other/")}, render, folder, "__nav_1_2", 2, None)
    assert from_topic != from_other and render.calls == 2
    # and the parent's state, which the theme reads for sections, is part of the key
    memo({"page": Item("notes/other/")}, render, folder, "__nav_1_2", 2, Item(None, active=True))
    assert render.calls == 3
