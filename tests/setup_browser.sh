#!/usr/bin/env bash
# Makes sure Debian's chromium is there for the browser tests (tests/test_browser.py drives it
# with Playwright; no browser is ever downloaded). As root, installs the package when it is
# missing; otherwise says what to install. Safe to run again: it does nothing when chromium is
# there. Without chromium the browser tests skip, or fail when CI=true.
set -euo pipefail

if [ -n "${CHROMIUM:-}" ] && [ -x "${CHROMIUM}" ]; then exit 0; fi
if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then exit 0; fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
  echo "setup_browser: installed $(chromium --version 2>/dev/null | head -n1)"
  exit 0
fi

echo "setup_browser: chromium is missing; install Debian's package (sudo apt-get install chromium)" \
  "or set CHROMIUM=/path/to/chromium. The browser tests skip until then (and fail under CI=true)." >&2
