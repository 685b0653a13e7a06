"""A real Obsidian vault (kepano/kepano-obsidian) builds unchanged with a two-line mkdocs.yml."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from support.builds import Build, build_site
from support.html import article, count_landing_links, lands
from support.paths import KEPANO, REPO, require_fixtures


@pytest.fixture(scope="module")
def kepano(tmp_path_factory) -> Build:
    require_fixtures()
    return build_site(KEPANO, tmp_path_factory.mktemp("kepano"))


def diagnostics(output: str, kind: str) -> list[str]:
    return [line for line in output.splitlines() if kind in line]


def test_builds_with_every_broken_front_matter_reported(kepano):
    assert kepano.returncode == 0, kepano.output[-3000:]
    broken = diagnostics(kepano.output, "error: front matter is not valid YAML")
    assert len(broken) == 28
    for line in broken:
        m = re.search(r"kepano-obsidian/(.+?\.md):(\d+):(\d+): error", line)
        assert m, line
        source = (KEPANO / m.group(1)).read_text("utf-8").splitlines()
        # the line named is inside the front matter and holds the template placeholder
        assert 1 < int(m.group(2)) < source.index("---", 1) + 1
        assert "{{" in source[int(m.group(2)) - 1]


def test_broken_front_matter_note_still_shows_its_body(kepano):
    html = article(kepano.page("Templates/Book Template/"))
    assert "front matter could not be read" in html
    assert "{{date" not in html.split("</div>", 1)[1]


def test_the_eleven_links_to_missing_notes(kepano):
    missing = diagnostics(kepano.output, "error: unresolved")
    assert len(missing) == 11
    assert any("Everything is a remix" in m for m in missing)
    html = article(kepano.page("Notes/Evergreen notes turn ideas into objects that you can manipulate/"))
    assert html.count('class="cortex-unresolved"') == 9


def test_cortex_check_agrees(kepano):
    check = subprocess.run(
        [sys.executable, "-m", "cortex.cli", "check", str(KEPANO)], capture_output=True, text=True, cwd=REPO
    )
    assert check.returncode == 1
    errors = [line for line in check.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 28 + 11


def test_property_links_make_backlinks(kepano):
    html = kepano.page("Categories/Books/")
    section = html[html.index('class="cortex-backlinks"') :]
    assert "Out of Control" in section
    assert "categories: Books" in section


def test_every_link_we_wrote_lands(kepano):
    assert count_landing_links(kepano) > 100


def test_file_embed_links_the_file(kepano):
    books = article(kepano.page("Categories/Books/"))
    m = re.search(r'<a class="cortex-file" href="([^"]*Books\.base)"', books)
    assert m and lands(kepano, "Categories/Books/", m.group(1))


def test_property_link_to_an_attachment_resolves(kepano):
    assert "out-of-control.jpg" not in kepano.output  # the cover property resolves: no diagnostic
