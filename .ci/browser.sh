#!/usr/bin/env bash
# The workspace (`journey serve`) in a real browser: Debian's chromium and chromium-driver,
# Selenium and Pillow from PyPI in a venv outside the repository, then Tests/browser/workspace.py.
# Called by .ci/run with JOURNEY_BINARY set to the built journey.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
missing=()
for p in chromium chromium-driver python3-venv; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3-venv is Debian's; a Python that already has venv (pyenv) does not need it.
if [ ${#missing[@]} -gt 0 ] && ! { [ "${missing[*]}" = "python3-venv" ] && python3 -c 'import venv, ensurepip' 2>/dev/null; }; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi

venv="${JOURNEY_BROWSER_VENV:-${HOME:-/tmp}/.cache/journey-browser-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import selenium, PIL' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "selenium>=4.20" "pillow>=10"
fi
"$venv/bin/python" Tests/browser/workspace.py "$@"
