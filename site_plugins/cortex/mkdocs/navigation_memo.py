"""The theme's navigation with each entry rendered once per build, not once per page.

mkdocs-material renders the navigation into every page, one macro call per entry
(``partials/nav-item.html``): on a site of a thousand notes, a sixth of the build renders the
same entries again and again. An entry off the page's path (not ``active``) renders the same on
every page whose address is as far from the entry's links: its links are written relative to
the page, and nothing else in it depends on the page. So the theme's macro is reached through
a memo that keeps such an entry's HTML for the build, by the entry, its place and where the
page lies; the entries on the page's path are rendered as the theme renders them.

Only the theme's own template is wrapped, and only when it defines the macro as this module
expects; a site's override of it (``custom_dir``) is rendered as written.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from pathlib import Path

from jinja2 import BaseLoader, Environment, Undefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

TEMPLATE = "partials/nav-item.html"
GLOBAL = "cortex_navigation_entry"
_MACRO = "{% macro render(nav_item, path, level, parent) %}"
_RENAMED = "{% macro cortex_theme_entry(nav_item, path, level, parent) %}"
# the theme's macro calls ``render`` for the entries below: they go through the memo too
_WRAPPER = (
    "{% macro render(nav_item, path, level, parent) -%}"
    f"{{{{ {GLOBAL}(cortex_theme_entry, nav_item, path, level, parent) }}}}"
    "{%- endmacro %}\n"
)
Parts = tuple[str, ...]


def remember_navigation(env: Environment, theme_dirs: Sequence[str], custom_dir: str | None) -> None:
    """Render the navigation's entries once per build of this environment (one per build)."""
    own = [d for d in theme_dirs if d != custom_dir and (Path(d) / TEMPLATE).is_file()]
    if env.loader is None or isinstance(env.loader, NavigationLoader) or not own:
        return
    env.loader = NavigationLoader(env.loader, Path(own[0]) / TEMPLATE)
    env.globals[GLOBAL] = NavigationMemo()


class NavigationLoader(BaseLoader):
    """The theme's loader (``loader``), with the theme's own navigation template wrapped."""

    def __init__(self, loader: BaseLoader, theme_template: Path) -> None:
        self.loader, self.theme_template = loader, theme_template

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.loader.get_source(environment, template)
        if template == TEMPLATE and filename and Path(filename) == self.theme_template:
            source = wrapped(source)
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        return self.loader.list_templates()


def wrapped(source: str) -> str:
    """The template with its entry macro reached through the memo; as it is when it does not
    define the macro, once, as expected."""
    if source.count(_MACRO) != 1 or "cortex_theme_entry" in source:
        return source
    return source.replace(_MACRO, _RENAMED) + _WRAPPER


class NavigationMemo:
    """The HTML of the navigation's entries off the page's path, for one build."""

    def __init__(self) -> None:
        self.rendered: dict[tuple, tuple[object, Markup]] = {}
        self.below: dict[int, tuple[object, frozenset[Parts]]] = {}  # entry -> its links' folders
        self.folders: dict[str, Parts] = {}  # page address -> its folders

    @pass_context
    def __call__(
        self, context: Context, render: Callable[..., Markup], nav_item, path, level, parent=None
    ) -> Markup:
        url = getattr(context.get("page"), "url", None)
        if not isinstance(url, str) or getattr(nav_item, "active", True) or getattr(nav_item, "pages", None):
            return render(nav_item, path, level, parent)
        where = self.folders.get(url)
        if where is None:
            where = self.folders[url] = folders(url)
        # a link's relative address depends on the page's folders: pages in one folder share
        # all of them but the last, unless a link of the entry lies in that last one
        at = (where[:-1], len(where)) if where not in self._below(nav_item) else (where, -1)
        parent_active = False if parent is None or isinstance(parent, Undefined) else bool(parent.active)
        key = (id(nav_item), path, level, parent_active, at)
        kept = self.rendered.get(key)
        if kept is None or kept[0] is not nav_item:
            kept = self.rendered[key] = (nav_item, render(nav_item, path, level, parent))
        return kept[1]

    def _below(self, item) -> frozenset[Parts]:
        """Every folder that a link of ``item``, or of an entry in it, lies in or below."""
        kept = self.below.get(id(item))
        if kept is None or kept[0] is not item:
            found: set[Parts] = set()
            url = getattr(item, "url", None)
            if isinstance(url, str):
                parts = folders(url, file=True)
                found.update(parts[:i] for i in range(1, len(parts) + 1))
            for child in getattr(item, "children", None) or ():
                found |= self._below(child)
            kept = self.below[id(item)] = (item, frozenset(found))
        return kept[1]


def folders(url: str, file: bool = False) -> Parts:
    """A site address's folders as MkDocs reads them to write a link relative to it: a last
    part with a dot is a file, not a folder (kept with ``file``)."""
    folder, _, name = url.rpartition("/")
    if "." in name and not file:
        url = folder
    url = posixpath.normpath("/" + url)[1:]
    return tuple(url.split("/")) if url else ()
