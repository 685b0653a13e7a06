"""The graph in a real MkDocs build: the graph page, its data file and the local graphs; then in
headless chromium, the global graph draws, a click on a node opens its page, a hostile title
stays text, and a local graph draws after instant navigation and follows the dark palette."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlsplit

import pytest
from support.browser import XSS_PROBE, chromium_browser, require_chromium, serve_directory
from support.builds import build_site
from support.graph_vault import HOSTILE_TITLE, graph_project

from cortex.connections.graph import build_graph
from cortex.connections.graph_page import DATA_FILE, data_version
from cortex.model import load

TIMEOUT_MS = 90_000  # software WebGL on a busy machine draws slowly: a generous bound, never a measure
KAHAN_URL = "numerics/Kahan%20Summation/"
KAHAN_PATH = "numerics/Kahan Summation.md"
NODE_POSITION = """label => {
  const plot = document.querySelector('.cortex-graph__plot');
  const size = plot._fullLayout._size, box = plot.getBoundingClientRect();
  for (const trace of plot.data) {
    const at = (trace.hovertext || []).findIndex(text => text.includes(label));
    if (at >= 0) return [box.left + size.l + plot._fullLayout.xaxis.l2p(trace.x[at]),
                         box.top + size.t + plot._fullLayout.yaxis.l2p(trace.y[at])];
  }
  return null;
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The project built with its real address, served over loopback HTTP: (build, base URL)."""
    root = graph_project(tmp_path_factory.mktemp("graph_site") / "kb")
    (root / "site").mkdir()
    with serve_directory(root / "site") as base_url:
        build = build_site(root / "content", root, extra=f"site_url: {base_url}\n")
        assert build.returncode == 0, build.output[-4000:]
        yield build, base_url


def test_the_graph_page_names_the_data_file_of_its_build(served):
    build, _ = served
    data = (build.site / DATA_FILE).read_text("utf-8")
    page = build.page("graph/")
    version = re.search(r'class="cortex-graph" data-graph="([0-9a-f]+)"', page)
    assert version is not None and version.group(1) == data_version(data)
    nodes = json.loads(data)["nodes"]
    assert HOSTILE_TITLE in nodes["label"] and "<img" not in data
    assert "assets/cortex/cortex-graph.js" in page and "assets/cortex/cortex-graph.css" in page
    links = re.findall(r'href="([^"]*)" class="md-nav__link', build.page(KAHAN_URL))
    assert links.index("../../graph/") + 1 == links.index("../../tags/")  # the notes end: graph, tags


def test_notes_and_experiments_have_a_folded_local_graph(served):
    build, _ = served
    for url in (KAHAN_URL, "experiments/sums/"):
        local = re.search(r'<details class="cortex-local-graph"[^>]*>.*?</details>', build.page(url), re.S)
        assert local is not None, url
        assert " open" not in local.group(0).split(">")[0]
        node = re.search(r'data-node="([^"]+)"', local.group(0))
        assert (
            node is not None
            and node.group(1) in json.loads((build.site / DATA_FILE).read_text())["nodes"]["url"]
        )
    assert "cortex-local-graph" not in build.page("graph/")


@pytest.fixture(scope="module")
def browser(served):
    require_chromium()
    with chromium_browser() as browser:
        yield browser


def new_page(browser, base_url: str, scheme: str = "light"):
    """A page that may reach only the loopback server (others are refused and recorded in
    ``page.outside``), with the XSS probe installed."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(XSS_PROBE)
    page = context.new_page()
    page.outside = []
    loopback = urlsplit(base_url).netloc

    def route(route):
        if urlsplit(route.request.url).netloc == loopback:
            route.continue_()
        else:
            page.outside.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    return page


@pytest.mark.browser
def test_the_global_graph_draws_and_a_click_opens_a_node(browser, served):
    _, base_url = served
    page = new_page(browser, base_url)
    page.goto(base_url + "graph/")
    page.wait_for_selector(".cortex-graph[data-drawn]")
    plot = page.locator(".cortex-graph__plot")
    assert plot.locator("canvas").count() > 0 and plot.locator("svg.main-svg").count() > 0
    kinds = page.locator(".cortex-graph__kinds input[type=checkbox]")
    assert kinds.count() == 5
    plot.scroll_into_view_if_needed()
    x, y = page.evaluate(NODE_POSITION, "Kahan Summation")
    page.mouse.move(x, y)
    page.wait_for_selector(".cortex-graph .hoverlayer .hovertext")
    page.mouse.click(x, y)
    page.wait_for_url(base_url + KAHAN_URL)
    assert page.outside == []
    page.context.close()


@pytest.mark.browser
def test_a_hostile_title_is_text_in_the_graph(browser, served):
    _, base_url = served
    page = new_page(browser, base_url)
    page.goto(base_url + "graph/")
    page.wait_for_selector(".cortex-graph[data-drawn]")
    page.locator(".cortex-graph__plot").scroll_into_view_if_needed()
    x, y = page.evaluate(NODE_POSITION, "Tom")
    page.mouse.move(x, y)
    hover = page.wait_for_selector(".cortex-graph .hoverlayer .hovertext")
    assert "<img src=x onerror=" in hover.text_content()
    assert page.locator(".cortex-graph img, .cortex-graph b:not(svg b)").count() == 0
    page.select_option(".cortex-graph__chooser select[name=tag]", label="#numerics")
    options = page.locator(".cortex-graph__chooser select[name=tag] option").all_text_contents()
    assert options == ["All tags", "#method", "#numerics"]
    assert page.evaluate("window.__xssCalls") == []
    page.context.close()


@pytest.mark.browser
def test_a_local_graph_draws_after_instant_navigation_in_dark_mode(browser, served):
    build, base_url = served
    page = new_page(browser, base_url, scheme="dark")
    page.goto(base_url)
    # material's instant navigation follows a link once it has read the sitemap: until then a
    # click loads a new document (on a busy machine the click can come first)
    page.wait_for_load_state("networkidle")
    page.evaluate("window.__samePage = true")
    page.locator("article a", has_text="Kahan Summation").first.click()
    page.wait_for_url(base_url + KAHAN_URL)
    assert page.evaluate("window.__samePage === true")  # instant navigation: no new document
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    page.locator("details.cortex-local-graph summary").click()
    page.wait_for_selector(".cortex-local-graph-plot[data-drawn]")
    points = page.locator(".cortex-local-graph-plot .scatterlayer .trace .point")
    kb = load(build.site.parent / "content", root=build.site.parent)
    near = build_graph(kb).neighbourhood(f"note:{KAHAN_PATH}")
    assert len(near) >= 5 and points.count() == len(near)  # the script's neighbourhood is the core's
    colour = "() => getComputedStyle(document.querySelector('.cortex-local-graph-plot .scatterlayer .trace:nth-child(2) .point')).fill"
    dark = page.evaluate(colour)
    assert dark == page.evaluate(
        "() => { const s = document.createElement('span'); s.style.color = getComputedStyle(document.body)"
        ".getPropertyValue('--cortex-graph-note'); document.body.append(s); const c = getComputedStyle(s).color;"
        " s.remove(); return c; }"
    )
    page.locator("label[title='Switch to light mode']").click()  # material's palette toggle
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'default'")
    page.wait_for_function(f"({colour})() !== {json.dumps(dark)}")
    assert page.outside == [] and page.evaluate("window.__xssCalls") == []
    page.goto(base_url + quote("experiments/sums/"))
    page.locator("details.cortex-local-graph summary").click()
    page.wait_for_selector(".cortex-local-graph-plot[data-drawn]")
    page.context.close()
