# The opening the benchmark scripts share; source it with the script's arguments:
#   source "$(dirname "$0")/../lib.sh" "$@"
# Sets `root` (this checkout), `journey` (the binary given as the first argument, or a release
# build of this checkout) and `work` (a temporary folder, removed on exit), and keeps OpenBLAS on
# one thread so that timings and results do not depend on the host's other load.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -ge 1 ]; then journey="$1"; else
  (cd "$root" && swift build -c release --product journey >&2)
  journey="$root/.build/release/journey"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=1

# The venv with lifetimes (BG/NBD, Pareto/NBD, Gamma-Gamma) that the CDNOW and worlds benchmarks
# run beside journey: made with pip in a cache folder, never in the repository. Sets `cache` and
# `python`.
lifetimes_venv() {
  cache="${JOURNEY_CDNOW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/journey-cdnow}"
  mkdir -p "$cache"
  if [ ! -x "$cache/venv/bin/python" ]; then
    python3 -m venv "$cache/venv"
    "$cache/venv/bin/pip" install -q lifetimes==0.11.3 >&2
  fi
  python="$cache/venv/bin/python"
}
