"""Shared helpers for the source-checking scripts: read Swift files without comments and strings.

Not a Swift parser: a small lexer that is exact about the three things the scripts need, namely
where comments are (line, nested block and doc comments), where string literals are (single-line,
multi-line and raw, so that `"https://"` is not a comment), and that code inside a string
interpolation `\\( ... )` is still code (`"\\(Format.money(x))"` uses `Format`).
"""

import os
import re

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A string literal starts with optional `#`s (raw string) and `"` or `"""`; `#if` has no quote.
STRING_OPENER = re.compile(r'(#*)("""|")')


def swift_files(root):
    """Every .swift file under root, sorted, as paths relative to root."""
    found = []
    for directory, _, names in os.walk(root):
        for name in names:
            if name.endswith(".swift"):
                found.append(os.path.relpath(os.path.join(directory, name), root))
    return sorted(found)


def code_only(text):
    """The text with comments and string contents blanked out (newlines kept, so line numbers hold).

    Interpolated code inside strings is kept.
    """
    out = []
    i, n = 0, len(text)
    # A stack of what we are inside: ("string", hashes, multiline) or ("interp", paren_depth).
    stack = []

    def blank(chunk):
        out.append("".join("\n" if c == "\n" else " " for c in chunk))

    while i < n:
        top = stack[-1] if stack else None
        if top is not None and top[0] == "string":
            _, hashes, multiline = top
            closing = ('"""' if multiline else '"') + "#" * hashes
            if text.startswith(closing, i):
                blank(closing)
                i += len(closing)
                stack.pop()
                continue
            escape = "\\" + "#" * hashes
            if text.startswith(escape + "(", i):
                blank(escape)
                out.append("(")
                i += len(escape) + 1
                stack.append(["interp", 1])
                continue
            if text.startswith(escape, i) and i + len(escape) < n:
                blank(text[i : i + len(escape) + 1])
                i += len(escape) + 1
                continue
            blank(text[i])
            i += 1
            continue
        # Code (top level or inside an interpolation).
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            blank(text[i:end])
            i = end
            continue
        if text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth > 0:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(text[i:j])
            i = j
            continue
        m = STRING_OPENER.match(text, i)
        if m:
            hashes = len(m.group(1))
            multiline = m.group(2) == '"""'
            blank(m.group(0))
            i = m.end()
            stack.append(("string", hashes, multiline))
            continue
        c = text[i]
        if top is not None and top[0] == "interp":
            if c == "(":
                top[1] += 1
            elif c == ")":
                top[1] -= 1
                if top[1] == 0:
                    stack.pop()
                    out.append(")")
                    i += 1
                    continue
        out.append(c)
        i += 1
    return "".join(out)
