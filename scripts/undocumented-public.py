#!/usr/bin/env python3
"""Public and open declarations of the library targets that have no `///` doc comment.

    python3 scripts/undocumented-public.py [--check] [--summary] [TARGET_DIR ...]

Without TARGET_DIRs it reads the library targets: Sources/JourneyKit, Sources/JourneyPostgres and
Sources/JourneyServe (the `journey` executable is not API). A declaration is a line whose
modifiers include `public` or `open` and whose keyword is struct, enum, class, protocol, actor,
typealias, func, init, subscript, var, let or associatedtype (`public extension` is not counted:
its members are). It is documented when the line just above it, after any attribute lines
(`@discardableResult`), is a `///` comment or closes a `/** ... */` block.

Prints each undocumented declaration as `path:line: text`, then the count of public declarations
and of undocumented ones per folder. With `--summary`, only the counts. With `--check`, exits 1
when any public declaration is undocumented, so CI can keep the surface documented.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from swiftsource import code_only, swift_files  # noqa: E402

PUBLIC_DECLARATION = re.compile(
    r"^\s*(?:@[\w.]+(?:\([^)]*\))?\s+)*"
    r"(?:(?:public|open|final|static|class|override|mutating|nonmutating|nonisolated|indirect|"
    r"convenience|required|lazy|dynamic|weak|unowned|@\w+|private\(set\)|fileprivate\(set\)|"
    r"internal\(set\)|package\(set\))\s+)*"
    r"(struct|enum|class|protocol|actor|typealias|func|init|subscript|var|let|associatedtype)\b"
)
ATTRIBUTE_LINE = re.compile(r"^\s*@[\w.]+(\(.*\))?\s*$")
LIBRARY_TARGETS = ["Sources/JourneyKit", "Sources/JourneyPostgres", "Sources/JourneyServe"]


def is_public(match):
    """Whether the modifiers before the declaration keyword include public or open."""
    words = re.findall(r"[\w()]+", match.group(0)[: match.start(1) - match.start(0)])
    return "public" in words or "open" in words


def documented(lines, index):
    """Whether the declaration on lines[index] has a doc comment right above it."""
    j = index - 1
    while j >= 0 and ATTRIBUTE_LINE.match(lines[j]):
        j -= 1
    if j < 0:
        return False
    above = lines[j].strip()
    return above.startswith("///") or above.endswith("*/")


def main(argv):
    check = "--check" in argv
    summary_only = "--summary" in argv
    repo = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    targets = [a for a in argv if not a.startswith("--")] or [os.path.join(repo, t) for t in LIBRARY_TARGETS]

    totals = {}  # folder -> [public, undocumented]
    missing = []
    for target in targets:
        target = os.path.normpath(target)
        for path in swift_files(target):
            with open(os.path.join(target, path), encoding="utf-8") as handle:
                original = handle.read()
            lines = original.split("\n")
            code_lines = code_only(original).split("\n")
            parts = path.split(os.sep)
            folder = os.path.basename(target) + ("/" + parts[0] if len(parts) > 1 else "")
            count = totals.setdefault(folder, [0, 0])
            for i, code in enumerate(code_lines):
                match = PUBLIC_DECLARATION.match(code)
                if not match or not is_public(match):
                    continue
                count[0] += 1
                if not documented(lines, i):
                    count[1] += 1
                    missing.append(f"{os.path.relpath(os.path.join(target, path), repo)}:{i + 1}: {lines[i].strip()}")

    if not summary_only:
        for entry in missing:
            print(entry)
        print()
    width = max(len(f) for f in totals) if totals else 10
    print(f"{'folder'.ljust(width)}  public  undocumented  documented")
    all_public = all_missing = 0
    for folder in sorted(totals):
        public, undocumented = totals[folder]
        all_public += public
        all_missing += undocumented
        share = f"{100 * (public - undocumented) / public:.0f}%" if public else "-"
        print(f"{folder.ljust(width)}  {public:6}  {undocumented:12}  {share:>10}")
    share = f"{100 * (all_public - all_missing) / all_public:.0f}%" if all_public else "-"
    print(f"{'total'.ljust(width)}  {all_public:6}  {all_missing:12}  {share:>10}")

    return 1 if check and all_missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
