#!/usr/bin/python3
"""Reads a runbookd CSV export back with Python's csv module (RFC 4180 dialect).

Usage: csv-check.py FILE
Prints one JSON object on stdout:
  {"rows": [[ts, kind, actor, action_id, detail], ...],   # header excluded
   "header": [...], "field_counts": [distinct counts], "canonical": bool,
   "details_parse": bool}
"canonical" is true when writing the rows back with QUOTE_MINIMAL and CRLF gives the
same bytes: quoting only where needed, quotes doubled, CRLF after every record.
Exits 1 (message on stderr) when the file is not UTF-8 or is malformed CSV.
"""
import csv
import io
import json
import sys


def main():
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    text = data.decode("utf-8")  # strict: raises on ill-formed UTF-8
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = list(reader)
    if not records:
        print("empty file", file=sys.stderr)
        return 1
    header, rows = records[0], records[1:]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(records)
    details_parse = True
    for r in rows:
        try:
            if len(r) < 5 or not isinstance(json.loads(r[4]), dict):
                details_parse = False
        except ValueError:
            details_parse = False
    json.dump({
        "header": header,
        "rows": rows,
        "field_counts": sorted({len(r) for r in records}),
        "canonical": out.getvalue() == text,
        "details_parse": details_parse,
    }, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
