"""Diagnostics have stable codes, their level comes from the code, and `cortex check --format
json` prints them for editors and CI."""

from __future__ import annotations

import json
import subprocess
import sys

from cortex.diagnostics import Code, Level, diagnostic


def test_level_comes_from_the_code():
    assert diagnostic(Code.UNKNOWN_CITATION, "a.md", 3, 4, "x").level is Level.ERROR
    assert diagnostic(Code.STALE_RESULT, "a.md", 3, 4, "x").level is Level.WARNING
    assert len({c.value for c in Code}) == len(Code)  # no two kinds share a name
    assert all(c.value == c.value.lower() and " " not in c.value for c in Code)


def test_check_prints_json_with_codes(write_vault, tmp_path):
    vault = write_vault(
        {
            "a.md": "# A\n\nSee [[Nowhere]] and [@nokey2020], then [[b]].\n",
            "x/b.md": "# B\n",
            "y/b.md": "# B again\n",
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "cortex.cli", "check", "--format", "json", str(vault)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    found = json.loads(done.stdout)
    by_code = {d["code"]: d for d in found}
    assert by_code["unresolved-link"] | {"path": ""} == {
        "path": "",
        "line": 3,
        "col": 5,
        "level": "error",
        "code": "unresolved-link",
        "message": "unresolved [[Nowhere]]: no note or file 'Nowhere'",
    }
    assert by_code["unknown-citation"]["level"] == "error" and by_code["unknown-citation"]["line"] == 3
    assert by_code["ambiguous-link"]["level"] == "warning"
    assert by_code["unresolved-link"]["path"].endswith("a.md")
