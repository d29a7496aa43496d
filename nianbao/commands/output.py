"""Rows printed in the format the user chose: table, CSV (with BOM), TSV, JSON or JSON lines."""
from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from decimal import Decimal

from parsers.numbers import json_number
from pipelines.query import fmt, print_table


def _json_value(v):
    if isinstance(v, Decimal):
        return json_number(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return v


def emit(columns: list[str], rows: list[dict], format_: str, *, cut: int | None = None, prog: str = "nianbao",
         out=None) -> None:
    """Print rows; `cut` is the limit that left rows out (said on the table's last line, else on stderr)."""
    out = out or sys.stdout
    if format_ == "table":
        print_table(columns, rows, out=out, footer=False)
        n = len(rows)
        if cut is not None:
            print(f"(first {n} row{'s' if n != 1 else ''} shown: more exist; --limit N or --limit 0 for all)",
                  file=out)
        else:
            print(f"({n} row{'s' if n != 1 else ''})", file=out)
    elif format_ in ("csv", "tsv"):
        if format_ == "csv":
            out.write("\ufeff")           # a BOM, so that Excel reads the Chinese as UTF-8
        w = csv.writer(out, lineterminator="\r\n" if format_ == "csv" else "\n",
                       delimiter="," if format_ == "csv" else "\t")
        w.writerow(columns)
        w.writerows([fmt(row.get(k)) for k in columns] for row in rows)
    elif format_ == "json":
        json.dump([{k: _json_value(row.get(k)) for k in columns} for row in rows], out, ensure_ascii=False,
                  indent=1)
        out.write("\n")
    elif format_ == "jsonl":
        for row in rows:
            out.write(json.dumps({k: _json_value(row.get(k)) for k in columns}, ensure_ascii=False) + "\n")
    else:
        raise ValueError(f"unknown format {format_!r}")
    out.flush()                     # a closed pipe surfaces here, where the group ends quietly
    if cut is not None and format_ != "table":
        print(f"{prog}: more rows not shown (--limit {cut}; 0 for all)", file=sys.stderr)
