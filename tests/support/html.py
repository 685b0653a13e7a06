"""Built pages read back: ids, links and images, and whether every link lands."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlparse

from support.builds import Build


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if tag == "img" and a.get("src"):
            self.srcs.append(a["src"])


def parse(html: str) -> _Collect:
    c = _Collect()
    c.feed(html)
    return c


def article(html: str) -> str:
    return html[html.index("<article") : html.index("</article>")]


def lands(build: Build, page_url: str, href: str) -> bool:
    """The href, followed from the page, reaches a built file and, if it names one, an id there."""
    absolute = urlparse(urljoin("http://site/" + page_url, href))
    path = build.site / unquote(absolute.path.lstrip("/"))
    if path.is_dir():
        path = path / "index.html"
    if not path.is_file():
        return False
    if absolute.fragment and path.suffix == ".html":
        return unquote(absolute.fragment) in parse(path.read_text("utf-8")).ids
    return True


def count_landing_links(build: Build) -> int:
    """Follow every link and image in every page's article; assert each lands; say how many."""
    checked = 0
    for page in build.site.rglob("index.html"):
        url = page.parent.relative_to(build.site).as_posix() + "/"
        url = "" if url == "./" else url
        collected = parse(article(page.read_text("utf-8")))
        for href in collected.hrefs + collected.srcs:
            if href.startswith(("http:", "https:", "mailto:")):
                continue
            assert lands(build, url, href), (url, href)
            checked += 1
    return checked


class _Elements(HTMLParser):
    """The elements of an HTML fragment and the text of its templates, as a browser's tokenizer
    sees them."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.templates: list[str] = []
        self._in_template = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_template = tag == "template"
        if self._in_template:
            self.templates.append("")

    def handle_endtag(self, tag):
        self._in_template = False

    def handle_data(self, data):
        if self._in_template:
            self.templates[-1] += data


def parse_html(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser
