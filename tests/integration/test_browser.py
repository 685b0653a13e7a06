"""The built site in headless chromium: figures draw on first load, after instant navigation and
in dark mode; plotly.js comes from the site itself; search finds a note."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from support.browser import chromium_browser, require_chromium, serve_directory
from support.figure_site import build_figure_site
from support.paths import REPO

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
NOTEBOOK_URL = "notebooks/Floating-point%20formats%20explored/"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The figure site, built with its real address and served over loopback HTTP."""
    require_chromium()
    root = tmp_path_factory.mktemp("browser")
    (root / "site").mkdir()
    with serve_directory(root / "site") as base_url:
        build = build_figure_site(root, site_url=base_url)
        assert build.returncode == 0, build.output[-4000:]
        yield base_url


@pytest.fixture(scope="module")
def browser(served):
    with chromium_browser() as browser:
        yield browser


@pytest.fixture
def page(browser, served):
    """A light-mode page that may reach only the loopback server; other requests are refused
    and recorded in ``page.outside``, loopback ones in ``page.fetched``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme="light")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.outside, page.fetched = [], []
    loopback = urlsplit(served).netloc

    def route(route):
        url = route.request.url
        if urlsplit(url).netloc == loopback:
            page.fetched.append(url)
            route.continue_()
        else:
            page.outside.append(url)
            route.abort()

    context.route("**/*", route)
    yield page
    context.close()


def figure_drawn(page, div_id: str) -> None:
    """Wait until the figure's SVG holds at least one trace with drawn points."""
    page.wait_for_function(
        """id => {
            const el = document.getElementById(id);
            const svg = el && el.querySelector("svg.main-svg");
            return !!svg && svg.getBoundingClientRect().width > 0
                && el.querySelectorAll(".trace path, .trace .point").length > 0;
        }""",
        arg=div_id,
    )


def figure_colours(page, div_id: str) -> dict:
    return page.evaluate(
        """id => {
            const el = document.getElementById(id);
            return {
                background: getComputedStyle(el.querySelector("svg.main-svg")).backgroundColor,
                text: getComputedStyle(el.querySelector(".xtick text")).fill,
            };
        }""",
        div_id,
    )


def click_link(page, text: str) -> None:
    """Follow a link in the page's text (instant navigation takes it over, as it does the nav)."""
    page.locator("article a", has_text=text).first.click()


def luminance(colour: str) -> float:
    r, g, b = (float(v) for v in re.findall(r"[\d.]+", colour)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_figure_draws_on_first_load_from_the_sites_own_plotly(page, served):
    page.goto(served)
    figure_drawn(page, "fig-first")
    assert any(url.endswith("/assets/cortex/plotly.min.js") for url in page.fetched)
    assert not [url for url in page.outside if "plotly" in url]


def test_figures_draw_after_instant_navigation(page, served):
    page.goto(served)
    figure_drawn(page, "fig-first")
    page.evaluate("window.cortexMarker = 'still the same document'")
    click_link(page, "Second")
    page.wait_for_url(served + "second/")
    figure_drawn(page, "fig-second")
    # plotly's CSS survives the new page: its layers stack inside the figure, none below it
    overflow = page.evaluate(
        "id => { const el = document.getElementById(id); return el.scrollHeight - el.clientHeight }",
        "fig-second",
    )
    assert overflow <= 2
    click_link(page, "The notebook")
    page.wait_for_url(served + NOTEBOOK_URL)
    figure_drawn(page, "fig-nb-fp-formats-magnitudes")
    figure_drawn(page, "fig-nb-fp-formats-trade")
    assert page.evaluate("window.cortexMarker") == "still the same document"  # no full reload
    assert sum(url.endswith("/plotly.min.js") for url in page.fetched) == 1


def test_figures_follow_the_dark_mode_toggle(page, served):
    page.goto(served)
    figure_drawn(page, "fig-first")
    light = figure_colours(page, "fig-first")
    page.locator('label[title="Switch to dark mode"]').first.click()
    page.wait_for_selector('body[data-md-color-scheme="slate"]')
    page.wait_for_function(
        "before => getComputedStyle(document.querySelector('#fig-first svg.main-svg')).backgroundColor !== before",
        arg=light["background"],
    )
    figure_drawn(page, "fig-first")
    dark = figure_colours(page, "fig-first")
    assert luminance(dark["background"]) < luminance(light["background"])
    assert luminance(dark["text"]) > luminance(light["text"])
    click_link(page, "Second")
    figure_drawn(page, "fig-second")  # drawn in dark colours from the start
    assert luminance(figure_colours(page, "fig-second")["background"]) == luminance(dark["background"])


def test_search_finds_a_note(page, served):
    page.goto(served)
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("zanzibarite")  # material searches on key events
    result = page.locator(".md-search-result__item", has_text="Quokka census").first
    result.wait_for()
    assert "zanzibarite" in result.inner_text().lower()


def new_page(browser, width: int = 1400, height: int = 1000):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(TIMEOUT_MS)
    return page


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """The shipped knowledge base, built with the real plugin and served over loopback HTTP."""
    require_chromium()
    root = tmp_path_factory.mktemp("shipped-browser")
    (root / "site").mkdir()
    with serve_directory(root / "site") as base_url:
        proc = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "-d", str(root / "site")],
            cwd=REPO,
            env={**os.environ, "CORTEX_SITE_URL": base_url},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-4000:]
        yield base_url


def test_quoted_number_shows_its_provenance_on_hover(browser, shipped):
    page = new_page(browser)
    page.goto(shipped + "numerics/Floating-Point%20Formats/")
    quote = page.locator(".cortex-quote").first
    quote.scroll_into_view_if_needed()
    assert quote.inner_text() == "65504"
    quote.hover()
    tooltip = page.locator(".md-tooltip2, .md-tooltip", has_text="input hash").first
    tooltip.wait_for(state="visible")
    text = tooltip.inner_text()
    lines = text.splitlines()  # one fact per line, as the title attribute holds them
    assert lines[0] == "fp_formats: max_finite at format=float16"
    assert any(re.match(r"run of \d{4}-\d\d-\d\d", line) for line in lines)
    assert any(line.startswith("commit ") for line in lines)
    page.close()


def test_experiments_index_sorts_by_a_clicked_column(browser, shipped):
    page = new_page(browser)
    page.goto(shipped + "experiments/")
    first_cells = ".cortex-sortable tbody tr td:first-child"
    heading = page.locator(".cortex-sortable thead th", has_text="Experiment")
    heading.click()
    ascending = page.locator(first_cells).all_inner_texts()
    assert ascending == sorted(ascending, key=str.lower) and len(ascending) >= 2
    heading.click()
    assert page.locator(first_cells).all_inner_texts() == ascending[::-1]
    page.close()


# -- reading: math, callouts, diagrams, notebooks, the front door, figures, the navigation -------

FORMS_URL = "forms/Every%20form/"


def math_drawn(page, selector: str) -> list[dict]:
    """The size and font of each MathML formula under ``selector``, once the math font is in."""
    page.wait_for_function("() => document.fonts.check('16px \"STIX Two Math\"')")
    return page.evaluate(
        """sel => [...document.querySelectorAll(sel + ' math')].map(m => {
            const r = m.getBoundingClientRect();
            return {width: r.width, height: r.height, font: getComputedStyle(m).fontFamily,
                    color: getComputedStyle(m).color};
        })""",
        selector,
    )


def test_math_is_typeset_in_a_note_with_the_sites_font_in_either_palette(page, served):
    page.goto(served + FORMS_URL)
    light = math_drawn(page, "article")
    assert len(light) == 6 and all(m["width"] > 5 and m["height"] > 5 for m in light)
    assert all("STIX Two Math" in m["font"] for m in light)
    assert page.locator("article .cortex-math-error code").inner_text() == "$\\frac{a}{$"
    assert page.outside == []  # the font and every script come from the site itself
    page.evaluate("document.body.setAttribute('data-md-color-scheme', 'slate')")
    dark = math_drawn(page, "article")
    assert luminance(dark[0]["color"]) > luminance(light[0]["color"])  # drawn in the dark text colour


def test_math_is_typeset_after_instant_navigation(page, served):
    page.goto(served)
    page.evaluate("window.cortexMarker = 'still the same document'")
    click_link(page, "Second")
    click_link(page, "The notebook")
    page.goto(served + FORMS_URL)
    assert len(math_drawn(page, "article")) == 6


def test_math_is_typeset_in_a_citation_hover_card(page, served):
    page.goto(served + "forms/Cited/")
    citation = page.locator(".citation").first
    citation.hover()
    card = page.locator(".citation-card").first
    card.wait_for(state="visible")
    formulas = math_drawn(page, ".citation-card")
    assert len(formulas) == 2 and all(m["width"] > 5 for m in formulas)
    assert "Summation in" in card.inner_text()
    page.mouse.move(0, 0)
    card.wait_for(state="hidden")
    citation.hover()  # the card made on first use is shown again, not made twice
    assert citation.locator(".citation-card").count() == 1 and card.is_visible()
    page.mouse.move(0, 0)
    last = page.locator(".citation").last
    last.locator(".citation-link").focus()  # from the keyboard too
    last.locator(".citation-card").wait_for(state="visible")


def test_a_callout_shows_its_title_and_folds(page, served):
    page.goto(served + FORMS_URL)
    note = page.locator("article .admonition.note").first
    assert note.locator(".admonition-title").inner_text() == "A note with a title"
    assert note.locator("mark").inner_text() == "highlighted words"
    folded = page.locator("article details.tip").first
    hidden = folded.locator("p", has_text="Hidden until opened")
    assert not hidden.is_visible()
    folded.locator("summary").click()
    hidden.wait_for(state="visible")
    assert folded.get_attribute("open") is not None


def test_a_mermaid_diagram_is_drawn_from_the_sites_own_mermaid(page, served):
    page.goto(served + FORMS_URL)
    drawing = page.locator("article .cortex-diagram-drawing svg").first
    drawing.wait_for(state="visible")
    assert "A" in drawing.text_content() and "B" in drawing.text_content()
    assert not page.locator("article .cortex-diagram-source").first.is_visible()
    assert page.outside == []


def test_a_notebooks_plotly_figure_and_latex_draw(page, served):
    page.goto(served + "notebooks/Plotly%20and%20LaTeX/")
    figure_drawn(page, "fig-nb-Plotly-and-LaTeX-1")
    formulas = math_drawn(page, ".jupyter-wrapper")
    assert len(formulas) == 2 and all(m["width"] > 5 for m in formulas)
    assert page.outside == []


def test_the_home_page_lists_the_latest_results(browser, shipped):
    page = new_page(browser)
    page.goto(shipped)
    latest = page.locator("h2#latest-results + ul > li")
    assert latest.count() == 5
    first = latest.first
    assert "experiments/" in first.locator("a").first.get_attribute("href")
    assert first.locator(".cortex-badge").inner_text() in ("fresh", "stale ⚠")
    assert re.search(r"\d{4}-\d\d-\d\d · .+ \d", first.inner_text())
    tabs = page.locator(".md-tabs__link").all_inner_texts()
    assert [t.strip() for t in tabs] == [
        "The Cortex",
        "Notes",
        "Method",
        "Curriculum",
        "Experiments",
        "Bibliography",
    ]
    page.close()


def test_a_figures_axis_titles_are_the_declared_labels(browser, shipped):
    page = new_page(browser)
    page.goto(shipped + "experiments/compensated_summation/")
    figure_drawn(page, "fig-compensated_summation-naive_growth")
    titles = page.evaluate(
        """id => ['xtitle', 'ytitle'].map(c => document.querySelector('#' + id + ' .' + c).textContent)""",
        "fig-compensated_summation-naive_growth",
    )
    assert titles == ["Terms summed n", "Recursive summation error (u‖x‖₁)"]
    ticks = page.evaluate(
        "() => [...document.querySelectorAll('#fig-compensated_summation-naive_growth .xtick text')].map(t => t.textContent)"
    )
    assert ticks == ["10²", "10³", "10⁴", "10⁵", "10⁶"]
    assert page.locator("article .cortex-math math").count() > 0  # the prose's math is typeset
    page.close()


def test_a_figure_reflows_on_a_phone(browser, shipped):
    page = new_page(browser, width=390, height=844)
    page.goto(shipped + "experiments/compensated_summation/")
    figure_drawn(page, "fig-compensated_summation-naive_growth")
    plot = page.evaluate(
        """id => { const bg = document.querySelector('#' + id + ' .nsewdrag');
                   return [bg.getBoundingClientRect().width, document.getElementById(id).getBoundingClientRect().width] }""",
        "fig-compensated_summation-naive_growth",
    )
    assert plot[0] > 0.6 * plot[1]  # the plot keeps most of the width; the legend went below it
    page.close()


def test_no_navigation_is_more_than_two_levels_deep_on_first_load(browser, shipped):
    page = new_page(browser)
    for path in ("", "numerics/Kahan%20Summation/", "curriculum/deep-learning/", "experiments/attention/"):
        page.goto(shipped + path)
        depths = page.evaluate(
            """() => { const nav = document.querySelector('.md-sidebar--primary nav.md-nav--primary');
                const shown = [...nav.querySelectorAll('.md-nav__link')].filter(a => a.getBoundingClientRect().height > 0);
                return shown.map(a => { let d = 0; for (let e = a; e && e !== nav; e = e.parentElement) if (e.matches('nav.md-nav')) d++; return d; }); }"""
        )
        assert max(depths, default=0) <= 2, path
    page.close()
