"""The address a site is published at (MkDocs' ``site_url``): canonical links, sitemap.xml and
instant navigation use it, so a published site must name its real one, never a loopback
address. ``cortex check --publish`` reports a missing or loopback one at its line in
mkdocs.yml; the plugin warns when ``mkdocs build`` is given a loopback one.

mkdocs.yml is read as text, not run: ``site_url: https://...`` and ``site_url: !ENV NAME`` or
``!ENV [NAME, default]`` are understood, and ``INHERIT:`` is followed."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from cortex.diagnostics import Code, Diagnostic, diagnostic

_SITE_URL = re.compile(r"^site_url:[ \t]*(.*?)[ \t]*(?:#.*)?$", re.M)
_INHERIT = re.compile(r"^INHERIT:[ \t]*['\"]?(.+?)['\"]?[ \t]*(?:#.*)?$", re.M)
_ENV = re.compile(r"^!ENV[ \t]+(?:\[[ \t]*([A-Za-z_]\w*)[ \t]*(?:,[ \t]*(.*?))?[ \t]*\]|([A-Za-z_]\w*))$")
ENV_NAME = "CORTEX_SITE_URL"


def is_loopback(url: str) -> bool:
    """Whether ``url`` names this machine (localhost, 127.0.0.0/8, ::1, 0.0.0.0)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def site_url_of(mkdocs_yml: Path, environ: Mapping[str, str]) -> tuple[str | None, Path, int]:
    """(site_url as MkDocs would resolve it, the file and line that set it; line 1 when none)."""
    seen: set[Path] = set()
    path = mkdocs_yml
    while path.is_file() and path.resolve() not in seen:
        seen.add(path.resolve())
        text = path.read_text("utf-8")
        m = _SITE_URL.search(text)
        if m:
            return _value(m.group(1), environ), path, text.count("\n", 0, m.start()) + 1
        inherit = _INHERIT.search(text)
        if not inherit:
            break
        path = (path.parent / inherit.group(1)).resolve()
    return None, mkdocs_yml, 1


def _value(raw: str, environ: Mapping[str, str]) -> str | None:
    env = _ENV.match(raw)
    if env:
        name = env.group(1) or env.group(3)
        default = env.group(2)
        value = environ.get(name)
        if value is None and default is not None:
            value = _unquote(default)
        return value or None
    value = _unquote(raw)
    return None if value in ("", "null", "~") else value


def _unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def publish_problems(mkdocs_yml: Path, environ: Mapping[str, str]) -> list[Diagnostic]:
    """A warning when the site would be published without its address, or at a loopback one."""
    url, path, line = site_url_of(mkdocs_yml, environ)
    if url is None:
        message = (
            f"site_url is not set: a published site has no canonical links and its sitemap no "
            f"addresses; set {ENV_NAME} (or site_url in mkdocs.yml) to the address it is published at"
        )
    elif is_loopback(url):
        message = (
            f"site_url is {url}, an address of this machine: canonical links and the sitemap would "
            f"point readers at it; set {ENV_NAME} to the address the site is published at"
        )
    else:
        return []
    return [diagnostic(Code.SITE_URL, path, line, 1, message)]
