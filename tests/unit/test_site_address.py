"""The address a site is published at: `cortex check --publish` warns when it is missing or is
one of this machine, at its line in mkdocs.yml, following INHERIT and !ENV."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cortex.site_address import is_loopback, publish_problems, site_url_of


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000/", True),
        ("http://localhost/", True),
        ("http://docs.localhost/", True),
        ("http://[::1]:8000/", True),
        ("http://0.0.0.0/", True),
        ("https://example.org/kb/", False),
        ("https://10.0.0.5/", False),
    ],
)
def test_loopback_addresses(url, loopback):
    assert is_loopback(url) is loopback


@pytest.mark.parametrize(
    ("line", "environ", "expected"),
    [
        ("site_url: https://kb.example.org/", {}, "https://kb.example.org/"),
        ("site_url: 'https://kb.example.org/'  # quoted", {}, "https://kb.example.org/"),
        ("site_url: !ENV CORTEX_SITE_URL", {}, None),
        ("site_url: !ENV CORTEX_SITE_URL", {"CORTEX_SITE_URL": "https://a.org/"}, "https://a.org/"),
        ('site_url: !ENV [CORTEX_SITE_URL, "http://127.0.0.1:8000/"]', {}, "http://127.0.0.1:8000/"),
        ("site_url:", {}, None),
    ],
)
def test_site_url_is_read_as_mkdocs_would(tmp_path, line, environ, expected):
    (tmp_path / "mkdocs.yml").write_text(f"site_name: x\n{line}\n", "utf-8")
    assert site_url_of(tmp_path / "mkdocs.yml", environ) == (expected, tmp_path / "mkdocs.yml", 2)


def test_inherit_is_followed(tmp_path):
    (tmp_path / "base.yml").write_text("site_name: x\n\nsite_url: http://localhost:8000/\n", "utf-8")
    (tmp_path / "mkdocs.yml").write_text("INHERIT: base.yml\ndocs_dir: notes\n", "utf-8")
    (problem,) = publish_problems(tmp_path / "mkdocs.yml", {})
    assert (problem.path.endswith("base.yml"), problem.line, problem.code.value) == (True, 3, "site-url")
    assert "an address of this machine" in problem.message


def test_a_real_address_is_no_problem(tmp_path):
    (tmp_path / "mkdocs.yml").write_text("site_url: !ENV CORTEX_SITE_URL\n", "utf-8")
    assert publish_problems(tmp_path / "mkdocs.yml", {"CORTEX_SITE_URL": "https://kb.example.org/"}) == []
    (missing,) = publish_problems(tmp_path / "mkdocs.yml", {})
    assert "site_url is not set" in missing.message and missing.line == 1


def test_cortex_check_publish_reports_it(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("# A\n", "utf-8")
    (tmp_path / "mkdocs.yml").write_text("docs_dir: content\nsite_url: !ENV CORTEX_SITE_URL\n", "utf-8")
    env = {"PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "cortex.cli", "check"]
    plain = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, env=env)
    assert plain.returncode == 0 and "site_url" not in plain.stdout
    publish = subprocess.run([*run, "--publish", "-W"], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert publish.returncode == 1
    assert publish.stdout.startswith("mkdocs.yml:2:1: warning: site_url is not set")
