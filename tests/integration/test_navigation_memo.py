"""Real MkDocs builds, each made twice: with the navigation's entries rendered once per build
(``cortex.mkdocs.navigation_memo``), and with the theme rendering every entry on every page.
Every page must be the same, byte for byte: folder notes beside their folders (an entry whose
links lie below a page's own address), section index pages, deep folders, tag pages, pruned
and unpruned navigation, directory URLs and file URLs, a folder cut by ``nav_max_entries``."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.builds import Build, build_site
from support.paths import write_tree

# a test-only hook, run after the plugin: the theme's template as it is, no memo
UNWRAP = """
from cortex.mkdocs.navigation_memo import GLOBAL, NavigationLoader


def on_env(env, config, files):
    assert isinstance(env.loader, NavigationLoader), "the plugin did not wrap the navigation"
    env.loader = env.loader.loader
    del env.globals[GLOBAL]
    return env
"""

VAULT = {
    "index.md": "# Home\n\nSee [[Topic]] and [[N3]].\n",
    "area/index.md": "# Area\n\nThe area's own page.\n",
    "area/Topic.md": "# Topic\n\nA folder note, beside its folder: [[Inner A]].\n\n## Part\n\nText.\n",
    "area/Topic/Inner A.md": "# Inner A\n\nBelow the folder note. #kind/inner\n",
    "area/Topic/Inner B.md": "---\ntitle: Inner <b>B</b> & co\n---\nBody.\n",
    "area/deep/deeper/N1.md": "# N1\n\n## One\n\n### One and a half\n",
    **{f"area/deep/deeper/N{i}.md": f"# N{i}\n\nLinks [[N{i - 1}]]. #deep\n" for i in range(2, 8)},
    "area/deep/Side.md": "# Side\n",
    "other/X.md": "# X\n\n[[Y]] #kind/outer\n",
    "other/Y.md": "# Y\n",
    "Top level.md": "# Top level\n",
}

DEFAULT = ""  # the project's configuration: tabs, pruned navigation, section indexes
UNPRUNED = """use_directory_urls: false
theme:
  features: [navigation.sections, navigation.indexes, navigation.expand, toc.integrate]
plugins:
  - search
  - cortex:
      nav_max_entries: 4
"""


def both(root: Path, extra: str) -> tuple[Build, Build]:
    docs = write_tree(root / "docs", VAULT)
    (root / "plain").mkdir(parents=True)
    (root / "plain" / "unwrap.py").write_text(UNWRAP, "utf-8")
    remembered = build_site(docs, root / "memo", extra=extra)
    assert remembered.returncode == 0, remembered.output
    unwrapped = build_site(docs, root / "plain", extra=extra + "hooks:\n  - unwrap.py\n")
    assert unwrapped.returncode == 0, unwrapped.output
    return remembered, unwrapped


def html_files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*.html"))}


@pytest.mark.parametrize("extra", [DEFAULT, UNPRUNED], ids=["tabs-pruned", "sections-unpruned-file-urls"])
def test_every_page_is_what_the_theme_renders_without_the_memo(tmp_path, extra):
    remembered, unwrapped = both(tmp_path, extra)
    ours, theirs = html_files(remembered.site), html_files(unwrapped.site)
    assert len(ours) > 20
    assert ours.keys() == theirs.keys()
    differing = [name for name in ours if ours[name] != theirs[name]]
    assert differing == []
    # the navigation is on the pages: the folder note's entry and its folder's notes
    page = remembered.page(
        "area/Topic/Inner A.html" if "use_directory_urls" in extra else "area/Topic/Inner A/"
    )
    assert "Inner A" in page and "md-nav__link--active" in page
