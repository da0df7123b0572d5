#!/usr/bin/python3
"""Checks a runbookd Markdown report the way a reader's renderer would see it.

Usage: md-check.py FILE
Prints one JSON object on stdout:
  "headings":   [[level, text], ...] from cmark's HTML (CommonMark reference renderer,
                run with --unsafe so that any raw HTML that got through would show)
  "tags":       distinct HTML tag names in cmark's output
  "script":     true if "<script" appears in any rendered HTML
  "tables":     GFM pipe tables found in the source: for each, the heading above it,
                its row count (header included, delimiter row excluded) and the
                distinct cell counts per row, split on unescaped '|' as GFM does
  "py_tables":  the same tables rendered by Python-Markdown's tables extension (a
                second, independent table parser): heading and <tr> count; null when
                Python-Markdown is not installed
"""
import html
import json
import re
import subprocess
import sys

CMARK = "/usr/bin/cmark"


def split_cells(line):
    """Cells of a GFM table row: a backslash escapes the next character, an
    unescaped '|' separates cells; a leading and a trailing pipe are optional."""
    line = line.strip()
    cells, cur, i, last_pipe = [], "", 0, -1
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line):
            cur += line[i:i + 2]
            i += 2
            continue
        if c == "|":
            cells.append(cur)
            cur = ""
            last_pipe = i
        else:
            cur += c
        i += 1
    cells.append(cur)
    if line.startswith("|"):
        cells = cells[1:]
    if last_pipe == len(line) - 1 and last_pipe > 0:
        cells = cells[:-1]
    return cells


def source_tables(md):
    tables, heading, lines, i = [], None, md.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^#{1,6} (.*)$", line)
        if m:
            heading = m.group(1)
        if line.startswith("|") and i + 1 < len(lines) and re.match(
                r"^\|( *:?-+:? *\|)+$", lines[i + 1]):
            rows = [line]
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            tables.append({
                "heading": heading,
                "rows": len(rows),
                "cell_counts": sorted({len(split_cells(r)) for r in rows}),
            })
            continue
        i += 1
    return tables


def py_tables(md):
    try:
        import markdown
    except ImportError:
        return None, ""
    out = markdown.markdown(md, extensions=["tables"])
    res = []
    for m in re.finditer(r"<h2>([^<]*)</h2>\s*<table>(.*?)</table>", out, re.S):
        res.append({"heading": html.unescape(m.group(1)),
                    "rows": len(re.findall(r"<tr>", m.group(2)))})
    return res, out


def main():
    path = sys.argv[1]
    with open(path, "rb") as f:
        md = f.read().decode("utf-8")
    page = subprocess.run([CMARK, "--unsafe", path], check=True,
                          stdout=subprocess.PIPE).stdout.decode("utf-8")
    headings = [[int(m.group(1)), html.unescape(m.group(2))]
                for m in re.finditer(r"<h([1-6])>(.*?)</h\1>", page)]
    tags = sorted({t.lower() for t in re.findall(r"</?([A-Za-z][A-Za-z0-9]*)", page)})
    pyt, pyhtml = py_tables(md)
    json.dump({
        "headings": headings,
        "tags": tags,
        "script": "<script" in page.lower() or "<script" in pyhtml.lower(),
        "tables": source_tables(md),
        "py_tables": pyt,
    }, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
