#!/usr/bin/env python3
"""The folder dependency matrix of a Swift target, and any two-way pair or cycle in it.

    python3 scripts/folder-deps.py [--check] [--why] [Sources/JourneyKit]

A folder is a top-level directory of the target (Reports/Charts counts as Reports). Folder A
depends on folder B when a file in A names, outside comments and string contents, a top-level
type, typealias, function, or constant that B declares (not private ones). (The method of
../shared/REVIEW-ARCHITECTURE.md section 2, mechanised: names, not the type checker, so a member
added by `extension T` in another folder counts for T's folder only; `x.name` is a member, not
the top-level `name`; a folder's own nested declaration of a name shadows another folder's.)

Prints the matrix (the number of distinct names each row folder uses from each column folder),
then every pair that depends both ways with the names behind each direction, then every cycle
(strongly connected group of more than one folder). `--why` lists the names behind every edge.
With `--check`, exits 1 when there is a two-way pair or a cycle, so CI can keep the layers one-way.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from swiftsource import code_only, swift_files  # noqa: E402

# A declaration at column 0 (top level), after any attributes and modifiers.
DECLARATION = re.compile(
    r"^(?:@[\w.]+(?:\([^)]*\))?\s+)*"
    r"(?:(?:public|package|internal|fileprivate|private|final|indirect|nonisolated|open)\s+)*"
    r"(struct|enum|class|protocol|actor|typealias|func|let|var)\s+([A-Za-z_][A-Za-z0-9_]*)",
    re.MULTILINE,
)


# A type or function declaration at any depth.
NESTED_DECLARATION = re.compile(r"\b(struct|enum|class|protocol|actor|typealias|func)\s+([A-Za-z_][A-Za-z0-9_]*)")
UNQUALIFIED = re.compile(r"(?<![.\w])([A-Za-z_][A-Za-z0-9_]*)")


def folder_of(path):
    parts = path.split(os.sep)
    return parts[0] if len(parts) > 1 else "(root)"


def main(argv):
    check = "--check" in argv
    why = "--why" in argv
    args = [a for a in argv if not a.startswith("--")]
    root = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "Sources", "JourneyKit")
    root = os.path.normpath(root)

    files = swift_files(root)
    code = {}
    for path in files:
        with open(os.path.join(root, path), encoding="utf-8") as handle:
            code[path] = code_only(handle.read())

    declared_in = {}  # name -> folder
    for path, text in code.items():
        for match in DECLARATION.finditer(text):
            if re.search(r"\b(private|fileprivate)\b", match.group(0)):
                continue  # visible in its own file only
            name, folder = match.group(2), folder_of(path)
            other = declared_in.setdefault(name, folder)
            if other != folder:
                print(f"note: {name} is declared at top level in both {other} and {folder}", file=sys.stderr)

    # Names a folder declares itself at any depth (a nested `struct Context`, a method `describe()`):
    # in that folder an unqualified use of the name means its own declaration.
    own_names = {}
    for path, text in code.items():
        for match in NESTED_DECLARATION.finditer(text):
            own_names.setdefault(folder_of(path), set()).add(match.group(2))

    folders = sorted({folder_of(p) for p in files})
    uses = {(a, b): set() for a in folders for b in folders}
    for path, text in code.items():
        user = folder_of(path)
        # `x.name` is a member access, not the top-level `name`.
        for name in set(UNQUALIFIED.findall(text)):
            owner = declared_in.get(name)
            if owner is not None and owner != user and name not in own_names.get(user, ()):
                uses[(user, owner)].add(name)

    width = max(len(f) for f in folders)
    abbreviations = [f[:2] for f in folders]
    print("uses ->".ljust(width) + " " + " ".join(a.rjust(2) for a in abbreviations))
    for a in folders:
        row = [str(len(uses[(a, b)])) if uses[(a, b)] else "." for b in folders]
        print(a.ljust(width) + " " + " ".join(c.rjust(2) for c in row))

    if why:
        print("\nedges:")
        for (a, b), names in sorted(uses.items()):
            if names:
                print(f"  {a} -> {b}: {', '.join(sorted(names))}")

    two_way = [(a, b) for a in folders for b in folders if a < b and uses[(a, b)] and uses[(b, a)]]
    print(f"\ntwo-way pairs: {len(two_way)}")
    for a, b in two_way:
        print(f"  {a} <-> {b}")
        print(f"    {a} -> {b}: {', '.join(sorted(uses[(a, b)]))}")
        print(f"    {b} -> {a}: {', '.join(sorted(uses[(b, a)]))}")

    cycles = strongly_connected(folders, {a: [b for b in folders if uses[(a, b)]] for a in folders})
    cycles = [c for c in cycles if len(c) > 1]
    print(f"cycles (folders that reach each other): {len(cycles)}")
    for group in cycles:
        print("  " + " -> ".join(sorted(group)))

    if check and (two_way or cycles):
        return 1
    return 0


def strongly_connected(nodes, edges):
    """Tarjan's algorithm: the strongly connected components of the graph."""
    index, low, on_stack, stack, result = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            result.append(group)

    for v in nodes:
        if v not in index:
            visit(v)
    return result


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
