#!/usr/bin/env bash
# The house (issue 16): JourneyKit's folders depend on each other one way only. Fails, listing
# the names behind each edge, when two folders depend on each other or a cycle appears.
# Also prints (without failing) how many public declarations of the library targets lack a
# `///` doc comment. Plain Python 3, no packages; well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 scripts/folder-deps.py --check
python3 scripts/undocumented-public.py --summary | tail -1
