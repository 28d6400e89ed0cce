#!/usr/bin/env bash
# Renders the demo report the way people see it: headless Chromium loads demo/report.html and
# takes a screenshot. Checks that the page holds no web addresses, loaded without console or
# network errors, drew every chart, and that the screenshot is not blank.
#
#   Tests/render-report.sh                      # builds journey (debug) if needed
#   JOURNEY_BINARY=.build/release/journey Tests/render-report.sh
#   KEEP_SCREENSHOT=/tmp/report.png Tests/render-report.sh   # keep the PNG to look at
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "render-report: FAIL: $*" >&2; exit 1; }

binary=${JOURNEY_BINARY:-}
if [ -z "$binary" ]; then
  swift build --product journey >/dev/null
  binary="$(swift build --show-bin-path)/journey"
fi
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || fail "chromium not found (Debian: apt-get install chromium)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$binary" demo --output "$work/demo" --customers 1000 >"$work/demo.log" || fail "journey demo failed: $(tail -5 "$work/demo.log")"
report="$work/demo/report.html"
[ -s "$report" ] || fail "journey demo wrote no report.html"

# 1. Self-contained: no web addresses at all (inline SVG needs no xmlns), no other files.
if grep -Eq 'https?://' "$report"; then
  fail "the report refers to the web: $(grep -Eo 'https?://[^"<> ]*' "$report" | sort -u | head -3 | tr '\n' ' ')"
fi

if grep -Eq '(src|href)="[^#]|url\(|@import' "$report"; then
  fail "the report refers to another file: $(grep -Eo '(src|href)="[^#][^"]*"|url\([^)]*\)|@import' "$report" | sort -u | head -3 | tr '\n' ' ')"
fi

# Chromium flags for a container: no sandbox (root), no GPU, a private profile.
chrome() {
  "$browser" --headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$work/profile" --enable-logging=stderr --v=0 "$@"
}

# 2. The page loads and its charts are in the rendered document.
chrome --dump-dom "file://$report" >"$work/dom.html" 2>"$work/dom.log" || fail "chromium could not load the report: $(tail -3 "$work/dom.log")"
charts_in_file=$(grep -o '<svg viewBox=' "$report" | wc -l)
charts_in_page=$(grep -o '<svg viewBox=' "$work/dom.html" | wc -l)
[ "$charts_in_file" -ge 10 ] || fail "the demo report has only $charts_in_file charts"
[ "$charts_in_page" -eq "$charts_in_file" ] || fail "the page shows $charts_in_page of the $charts_in_file charts"

# 3. A screenshot of the whole report, and one of an empty page of the same size to compare.
height=16000
chrome --window-size=1280,$height --screenshot="$work/report.png" "file://$report" >/dev/null 2>"$work/render.log" || fail "chromium could not render the report"
chrome --window-size=1280,$height --screenshot="$work/blank.png" "about:blank" >/dev/null 2>"$work/blank.log" || fail "chromium could not render a blank page"

# 4. No errors while loading: console messages, failed requests, script errors.
if grep -E 'CONSOLE|Uncaught|net::ERR_|Failed to load|Not allowed to load' "$work/dom.log" "$work/render.log"; then
  fail "chromium reported errors while loading the report (above)"
fi

# 5. The PNG is a PNG of the window's size and is not blank: a one-colour page compresses to a
#    few kilobytes, a page of text and charts to hundreds.
signature=$(od -An -tx1 -N8 "$work/report.png" | tr -d ' \n')
[ "$signature" = "89504e470d0a1a0a" ] || fail "the screenshot is not a PNG"
width=$(od -An -tu1 -j16 -N4 "$work/report.png" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
[ "$width" -eq 1280 ] || fail "the screenshot is $width pixels wide, expected 1280"
report_bytes=$(wc -c <"$work/report.png")
blank_bytes=$(wc -c <"$work/blank.png")
[ "$report_bytes" -gt 200000 ] || fail "the screenshot is only $report_bytes bytes: the page looks empty"
[ "$report_bytes" -gt $((blank_bytes * 10)) ] || fail "the screenshot ($report_bytes bytes) is barely larger than a blank page ($blank_bytes bytes)"
cmp -s "$work/report.png" "$work/blank.png" && fail "the screenshot equals a blank page"

if [ -n "${KEEP_SCREENSHOT:-}" ]; then cp "$work/report.png" "$KEEP_SCREENSHOT"; fi
echo "render-report: ok: $charts_in_page charts rendered, screenshot $report_bytes bytes (blank page $blank_bytes)"
