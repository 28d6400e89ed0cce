#!/usr/bin/env bash
# Builds the libFuzzer targets: JourneyKit's sources (and Yams, which it reads YAML with)
# compiled with -sanitize=fuzzer,address, linked with one harness per target.
#   Fuzz/build.sh            -> Fuzz/.build/fuzz-<target>  (FUZZ_BUILD_DIR=dir for elsewhere)
# Targets: csv, scenario, states, targets, model (see Fuzz/Harnesses/).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="${FUZZ_BUILD_DIR:-$root/Fuzz/.build}"
mkdir -p "$out/obj"

# Yams comes from SwiftPM's checkout (swift package resolve fetches it).
yams="$root/.build/checkouts/Yams/Sources"
if [ ! -d "$yams" ]; then swift package resolve >/dev/null; fi

san=(-sanitize=fuzzer,address -parse-as-library -g -Onone)
blas_cflags=$(pkg-config --cflags openblas)
blas_libs=$(pkg-config --libs openblas)

if [ "${1:-}" != "--harnesses-only" ]; then
# CYaml (C): instrumented for coverage, not linked with libFuzzer's main.
for c in "$yams"/CYaml/src/*.c; do
  clang -c -g -O1 -fsanitize=fuzzer-no-link,address -I "$yams/CYaml/include" -DYAML_DECLARE_STATIC \
    "$c" -o "$out/obj/$(basename "$c" .c).o"
done

# CVectorMath (C): exp and log over arrays, as JourneyKit's LinearAlgebra uses them.
vmath="$root/Sources/CVectorMath"
clang -c -g -O1 -fsanitize=fuzzer-no-link,address -I "$vmath/include" "$vmath/vector_math.c" -o "$out/obj/vector_math.o"

# Yams as a module.
swiftc "${san[@]}" -D SWIFT_PACKAGE -emit-module -emit-library -static -module-name Yams \
  -I "$yams/CYaml/include" -emit-module-path "$out/Yams.swiftmodule" -o "$out/libYams.a" \
  "$yams"/Yams/*.swift 2>&1 | grep -v "ld.gold: warning" || true

# JourneyKit as a module.
swiftc "${san[@]}" -emit-module -emit-library -static -module-name JourneyKit \
  -I "$out" -I "$yams/CYaml/include" -I "$root/Sources/COpenBLAS" -I "$root/Sources/CVectorMath/include" -Xcc ${blas_cflags} \
  -emit-module-path "$out/JourneyKit.swiftmodule" -o "$out/libJourneyKit.a" \
  $(find "$root/Sources/JourneyKit" -name '*.swift' | sort) 2>&1 | grep -v "ld.gold: warning" || true

fi

for harness in "$root"/Fuzz/Harnesses/*.swift; do
  name=$(basename "$harness" .swift)
  swiftc "${san[@]}" -I "$out" -I "$yams/CYaml/include" -I "$root/Sources/COpenBLAS" -I "$root/Sources/CVectorMath/include" -Xcc ${blas_cflags} \
    "$harness" "$out/libJourneyKit.a" "$out/libYams.a" "$out"/obj/*.o ${blas_libs} -llapacke -lmvec -lm \
    -o "$out/fuzz-$name" 2>&1 | grep -v "ld.gold: warning" || true
  test -x "$out/fuzz-$name" || { echo "failed to build fuzz-$name" >&2; exit 1; }
  echo "built $out/fuzz-$name"
done
