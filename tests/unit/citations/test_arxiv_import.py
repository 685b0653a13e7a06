"""arXiv import against a loopback server replaying recorded arXiv API responses."""

from __future__ import annotations

import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import yaml
from click.testing import CliRunner
from support.arxiv_replay import ARXIV, REQUIRES_ARXIV, replay_server

from cortex.citations.arxiv_import import (
    ArxivImportError,
    cite_arxiv,
    import_arxiv,
    make_client,
    normalize_id,
    reading_list,
)
from cortex.citations.bibliography import load_bibliography
from cortex.citations.references import formatter_for
from cortex.cli.citations import cite, papers


@pytest.fixture
def arxiv_server():
    with replay_server() as replay:
        yield replay


def fast_client(url: str, page_size: int = 100, num_retries: int = 0):
    return make_client(url, page_size=page_size, delay_seconds=0, num_retries=num_retries)


def entries(bib: Path) -> dict:
    bibliography, diagnostics = load_bibliography(bib.parent)
    assert diagnostics == []
    return {key: bibliography[key] for key in bibliography}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("arXiv:1706.03762", "1706.03762"),
        ("ARXIV: 1706.03762v5", "1706.03762v5"),
        ("1706.03762", "1706.03762"),
        ("https://arxiv.org/abs/1706.03762v7", "1706.03762v7"),
        ("https://arxiv.org/pdf/1706.03762.pdf", "1706.03762"),
        ("http://export.arxiv.org/abs/astro-ph/0601001", "astro-ph/0601001"),
        ("arxiv.org/pdf/quant-ph/0201082v1", "quant-ph/0201082v1"),
        ("hep-th/9901001", "hep-th/9901001"),
    ],
)
def test_normalize_id_accepts_every_usual_form(given, expected):
    assert normalize_id(given) == expected


def test_normalize_id_rejects_empty():
    with pytest.raises(ArxivImportError):
        normalize_id("arXiv:")


@REQUIRES_ARXIV
def test_cite_new_style_id_appends_a_complete_entry(arxiv_server, tmp_path):
    bib = tmp_path / "refs" / "arxiv.bib"
    keys = cite_arxiv(["arXiv:1605.08386"], bib, api_url=arxiv_server.url)
    assert keys == ["stanley2016heat"]
    ref = entries(bib)["stanley2016heat"]
    assert ref.type == "misc"
    assert ref.fields["title"] == "Heat-bath random walks with Markov bases"
    assert ref.persons["author"] == ("Stanley, Caprice", "Windisch, Tobias")
    assert ref.fields["eprint"] == "1605.08386"
    assert ref.fields["archiveprefix"] == "arXiv"
    assert ref.fields["primaryclass"] == "math.CO"
    assert ref.fields["url"] == "https://arxiv.org/abs/1605.08386"
    assert ref.fields["year"] == "2016"
    assert arxiv_server.unmatched == []


@REQUIRES_ARXIV
def test_cite_old_style_id_from_a_pdf_url(arxiv_server, tmp_path):
    bib = tmp_path / "arxiv.bib"
    keys = cite_arxiv(["https://arxiv.org/pdf/astro-ph/0601001"], bib, api_url=arxiv_server.url)
    assert keys == ["gould2006frequency"]
    ref = entries(bib)["gould2006frequency"]
    assert ref.fields["eprint"] == "astro-ph/0601001"
    assert ref.fields["primaryclass"] == "astro-ph"
    assert ref.fields["note"] == "ActaAstron.56:1-50,2006"
    assert len(ref.persons["author"]) == 4


@REQUIRES_ARXIV
def test_cite_versioned_old_style_id_keeps_its_version(arxiv_server, tmp_path):
    bib = tmp_path / "arxiv.bib"
    assert cite_arxiv(["quant-ph/0201082v1"], bib, api_url=arxiv_server.url) == ["blaha2002quantum"]
    ref = entries(bib)["blaha2002quantum"]
    assert ref.fields["eprint"] == "quant-ph/0201082v1"
    assert ref.fields["url"] == "https://arxiv.org/abs/quant-ph/0201082v1"


@REQUIRES_ARXIV
def test_paper_titled_zero_is_imported_and_rendered(arxiv_server, tmp_path):
    bib = tmp_path / "arxiv.bib"
    assert cite_arxiv(["arXiv:2104.12255v1"], bib, api_url=arxiv_server.url) == ["nguyen2021"]
    bibliography, _ = load_bibliography(tmp_path)
    assert bibliography["nguyen2021"].fields["title"] == "0"
    html = formatter_for(bibliography, "plain").html("nguyen2021")
    assert "Nguyen. 0. 2021." in html.replace("\n", " ")


@REQUIRES_ARXIV
def test_34_authors_with_non_ascii_names(arxiv_server, tmp_path):
    bib = tmp_path / "arxiv.bib"
    assert cite_arxiv(["1707.08567"], bib, api_url=arxiv_server.url) == ["immink2017proceedings"]
    authors = entries(bib)["immink2017proceedings"].persons["author"]
    assert len(authors) == 34
    assert "Wübben, Dirk" in authors


@REQUIRES_ARXIV
def test_ids_already_present_under_any_key_are_skipped_without_a_request(arxiv_server, tmp_path):
    refs = tmp_path / "refs"
    refs.mkdir()
    (refs / "papers.bib").write_text(
        "@misc{heatbath, title = {Heat-bath}, eprint = {1605.08386}, archivePrefix = {arXiv}, year = 2016}\n"
        "@article{hotjupiters, title = {Hot}, url = {https://arxiv.org/abs/astro-ph/0601001v1}, year = 2006}\n",
        encoding="utf-8",
    )
    bib = refs / "arxiv.bib"
    report = import_arxiv(
        ["arXiv:1605.08386v1", "https://arxiv.org/abs/astro-ph/0601001"], bib, api_url=arxiv_server.url
    )
    assert report.added == []
    assert [(i, k) for i, k, _ in report.skipped] == [
        ("1605.08386v1", "heatbath"),
        ("astro-ph/0601001", "hotjupiters"),
    ]
    assert arxiv_server.requests == []
    assert not bib.exists()


@REQUIRES_ARXIV
def test_second_import_of_the_same_paper_is_skipped_and_file_kept(arxiv_server, tmp_path):
    bib = tmp_path / "arxiv.bib"
    bib.write_text("% my own header\n", encoding="utf-8")
    cite_arxiv(["1605.08386"], bib, api_url=arxiv_server.url)
    first = bib.read_bytes()
    assert first.startswith(b"% my own header\n")
    assert cite_arxiv(["https://arxiv.org/abs/1605.08386v1"], bib, api_url=arxiv_server.url) == []
    assert bib.read_bytes() == first


@REQUIRES_ARXIV
def test_a_missing_id_in_a_list_fails_and_writes_nothing(arxiv_server, tmp_path):
    bib = tmp_path / "arxiv.bib"
    bib.write_text("% untouched\n", encoding="utf-8")
    with pytest.raises(ArxivImportError, match=r"no arXiv paper has the id 0808\.05394"):
        import_arxiv(["0808.05394", "1707.08567"], bib, client=fast_client(arxiv_server.url))
    assert bib.read_text(encoding="utf-8") == "% untouched\n"
    assert arxiv_server.unmatched == []
    assert list(tmp_path.iterdir()) == [bib]


@REQUIRES_ARXIV
def test_an_id_that_does_not_exist_fails(arxiv_server, tmp_path):
    bib = tmp_path / "arxiv.bib"
    with pytest.raises(ArxivImportError, match=r"0000\.0000"):
        import_arxiv(["0000.0000"], bib, client=fast_client(arxiv_server.url))
    assert not bib.exists()


def test_malformed_id_is_refused_before_any_request(arxiv_server, tmp_path):
    bib = tmp_path / "arxiv.bib"
    with pytest.raises(ArxivImportError, match=r"'abc' is not an arXiv id"):
        import_arxiv(["abc"], bib, client=fast_client(arxiv_server.url))
    assert arxiv_server.requests == []
    assert not bib.exists()


@REQUIRES_ARXIV
def test_http_400_is_reported_after_retries_and_writes_nothing(arxiv_server, tmp_path):
    # arXiv's recorded answer to an id it rejects, served for a well-formed id.
    recorded = json.loads((ARXIV / "id_abc_s0_m100_b79c8dcf6bc3.json").read_text(encoding="utf-8"))
    arxiv_server.add(recorded["url"].replace("id_list=abc", "id_list=2501.99999"), 400, recorded["body"])
    bib = tmp_path / "arxiv.bib"
    with pytest.raises(ArxivImportError, match=r"HTTP 400.*2501\.99999"):
        import_arxiv(["2501.99999"], bib, client=fast_client(arxiv_server.url, num_retries=2))
    assert len(arxiv_server.requests) == 3  # the arxiv client retries before giving up
    assert not bib.exists()


def test_unreachable_api_is_a_clear_error(tmp_path):
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bib = tmp_path / "arxiv.bib"
    with pytest.raises(ArxivImportError, match="cannot reach the arXiv API"):
        import_arxiv(["1706.03762"], bib, client=fast_client(f"http://127.0.0.1:{port}/api/query"))
    assert list(tmp_path.iterdir()) == []


def api_query(search_query: str = "", id_list: str = "") -> str:
    """The path of the first page of an API query, as the arxiv client asks for it."""
    query = {
        "search_query": search_query,
        "id_list": id_list,
        "sortBy": "relevance",
        "sortOrder": "descending",
    }
    return "/api/query?" + urlencode({**query, "start": "0", "max_results": "100"})


def recorded_body(name: str, old: str, new: str) -> str:
    """A recorded response's body with its first ``old`` made ``new``."""
    body = json.loads((ARXIV / name).read_text(encoding="utf-8"))["body"]
    assert old in body
    return body.replace(old, new, 1)


@REQUIRES_ARXIV
def test_fields_from_arxiv_are_escaped_when_rendered(arxiv_server, tmp_path):
    body = recorded_body(
        "id_1605.08386_s0_m100_199195aa31ad.json",
        "Heat-bath random walks with Markov bases",
        "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt;",
    )
    arxiv_server.add(api_query(id_list="9999.99999"), 200, body.replace("1605.08386", "9999.99999"))
    bib = tmp_path / "arxiv.bib"
    (key,) = cite_arxiv(["9999.99999"], bib, api_url=arxiv_server.url)
    bibliography, _ = load_bibliography(tmp_path)
    html = formatter_for(bibliography, "plain").html(key)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@REQUIRES_ARXIV
def test_reading_list_note(arxiv_server, tmp_path):
    out = tmp_path / "reading" / "testing.md"
    ids = reading_list("testing", 20, out, api_url=arxiv_server.url)
    assert len(ids) == 20 and ids[0] == "2202.12139"
    text = out.read_text(encoding="utf-8")
    meta = yaml.safe_load(text.split("---")[1])
    assert meta["title"] == "Reading list: testing" and meta["query"] == "testing"
    assert text.count("\n## ") == 20
    assert (
        "## 1. Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques" in text
    )
    assert "cortex cite arXiv:2202.12139\n" in text
    assert re.search(r"\*\*Published:\*\* 2022-02-24", text)
    assert text.count("cortex cite arXiv:") == 20
    assert arxiv_server.unmatched == []


@REQUIRES_ARXIV
def test_reading_list_escapes_html_from_arxiv(arxiv_server, tmp_path):
    body = recorded_body(
        "q_testing_s0_m100_cfe7536492ca.json",
        "<title>Testing Deep Learning Models:",
        "<title>&lt;script&gt;alert(1)&lt;/script&gt; Deep Learning Models:",
    )
    arxiv_server.add(api_query(search_query="hostile"), 200, body)
    out = tmp_path / "list.md"
    reading_list("hostile", 3, out, api_url=arxiv_server.url)
    text = out.read_text(encoding="utf-8")
    assert "## 1. &lt;script&gt;alert(1)&lt;/script&gt; Deep Learning Models:" in text
    assert "<script>" not in text


@REQUIRES_ARXIV
def test_reading_list_follows_pages(arxiv_server, tmp_path):
    out = tmp_path / "list.md"
    ids = reading_list("testing", 25, out, client=fast_client(arxiv_server.url, page_size=10))
    assert len(ids) == 25
    starts = [dict(parse_qsl(urlsplit(r).query))["start"] for r in arxiv_server.requests]
    assert starts == ["0", "10", "20"]
    first_page = json.loads((ARXIV / "q_testing_s10_m10_34e56e15aaac.json").read_text(encoding="utf-8"))[
        "body"
    ]
    assert ids[10] == re.findall(r"<id>http://arxiv.org/abs/(.*?)v\d+</id>", first_page)[0]
    assert len(set(ids)) == 25


@REQUIRES_ARXIV
def test_reading_list_never_overwrites(arxiv_server, tmp_path):
    out = tmp_path / "list.md"
    out.write_text("mine\n", encoding="utf-8")
    with pytest.raises(ArxivImportError, match="already exists"):
        reading_list("testing", 5, out, api_url=arxiv_server.url)
    assert out.read_text(encoding="utf-8") == "mine\n"
    assert arxiv_server.requests == []


@REQUIRES_ARXIV
def test_cli_cite_and_papers(arxiv_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        cite, ["arXiv:1605.08386", "--refs", "refs/arxiv.bib"], env={"CORTEX_ARXIV_API": arxiv_server.url}
    )
    assert result.exit_code == 0, result.output
    assert "added 1605.08386 as stanley2016heat to refs/arxiv.bib" in result.output
    result = runner.invoke(cite, ["https://arxiv.org/abs/1605.08386", "--api-url", arxiv_server.url])
    assert result.exit_code == 0 and "skipped 1605.08386: already in" in result.output
    result = runner.invoke(papers, ["testing", "--max", "3", "--api-url", arxiv_server.url])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "content" / "reading" / "testing.md").read_text(encoding="utf-8").count(
        "cortex cite"
    ) == 3


@REQUIRES_ARXIV
def test_cli_reports_errors_without_a_traceback(arxiv_server, tmp_path):
    result = CliRunner().invoke(
        cite, ["0000.0000", "--refs", str(tmp_path / "a.bib"), "--api-url", arxiv_server.url]
    )
    assert result.exit_code == 1
    assert "Error: no arXiv paper has the id 0000.0000" in result.output
    assert not (tmp_path / "a.bib").exists()


def test_a_server_that_never_answers_times_out_after_one_retry(tmp_path):
    requests_seen = []
    release = threading.Event()

    class Silent(BaseHTTPRequestHandler):
        def do_GET(self):
            requests_seen.append(self.path)
            release.wait(30)  # answers only once the test is over

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Silent)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/query"
    client = make_client(url, delay_seconds=0, timeout_s=0.5)
    try:
        with pytest.raises(
            ArxivImportError, match=r"cannot reach the arXiv API .* \(2 tries\): no answer within 0\.5 s"
        ):
            import_arxiv(["1706.03762"], tmp_path / "arxiv.bib", client=client)
    finally:
        release.set()
        server.shutdown()
        server.server_close()
    assert len(requests_seen) == 2
    assert list(tmp_path.iterdir()) == []
