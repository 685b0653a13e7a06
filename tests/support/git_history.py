"""A real git repository in a temporary folder, with commits made at chosen times, so that dates
read from its history are compared with known values, never with the clock."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

IDENTITY = [
    "-c",
    "user.name=Test Author",
    "-c",
    "user.email=author@example.org",
    "-c",
    "commit.gpgsign=false",
]


def git(repo: Path, *args: str, when: str | None = None) -> str:
    """Run git in ``repo`` (outside any repository above it); ``when`` (ISO 8601) dates a commit."""
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(repo.parent)}
    if when:
        env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    done = subprocess.run(
        ["git", *IDENTITY, *args], cwd=repo, env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def init(repo: Path) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    return repo


def commit(repo: Path, message: str, when: str) -> str:
    """Commit everything in the working tree at ``when``; the new commit's hash."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, when=when)
    return git(repo, "rev-parse", "HEAD")
