"""The batch summary: one row an item, as JSON, CSV and a small HTML table.

``confident_wrong_est`` is an estimate, not a count: the item's confident segments times
the share of confident segments found more than 500 ms off for its engine on the degraded
and real sets (docs/accuracy.md). Truth is what counts them; a batch has none.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..io import write_text
from .state import Record

__all__ = ["CONFIDENT_WRONG_RATE", "COLUMNS", "row", "write_reports", "to_csv", "to_html"]

#: worst measured share of confident (>= 0.5) segments more than 500 ms off, per engine
#: (docs/accuracy.md: speech on the degraded dev set, reference on bench_cues, activity with
#: a cue-mapped reference; ``uniform`` is never confident)
CONFIDENT_WRONG_RATE = {"speech": 0.0045, "reference": 0.0048, "activity": 0.0043, "uniform": 0.0}

COLUMNS = (
    "name", "status", "engine", "media_s", "seconds", "speed", "segments", "placed_share",
    "found_share", "confident_share", "confident_wrong_est", "warnings", "reason",
)  # fmt: skip


def row(rec: Record, status: str | None = None) -> dict[str, Any]:
    """A summary row from a journal record (``status`` overrides, e.g. ``skipped``)."""
    s = rec.summary or {}
    a = s.get("alignment") or {}
    segs = a.get("segments") or 0
    spoken_placed = a.get("placed")
    media_s = round(s["media_ms"] / 1000, 1) if s.get("media_ms") else None
    secs = s.get("seconds")
    conf = a.get("confident")
    engine = a.get("engine")
    rate = CONFIDENT_WRONG_RATE.get(engine or "", 0.0)
    return {
        "name": rec.name,
        "status": status or rec.status,
        "engine": engine,
        "media_s": media_s,
        "seconds": secs,
        "speed": round(media_s / secs, 1) if media_s and secs else None,
        "segments": segs or None,
        "placed_share": round(spoken_placed / segs, 4) if segs and spoken_placed is not None else None,
        "found_share": round(a["found"] / segs, 4) if segs and a.get("found") is not None else None,
        "confident_share": round(conf / segs, 4) if segs and conf is not None else None,
        "confident_wrong_est": round(conf * rate, 2) if conf is not None else None,
        "warnings": list(a.get("warnings") or []) + list(s.get("notes") or []),
        "reason": rec.reason,
    }


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({**r, "warnings": " | ".join(r["warnings"])})
    return buf.getvalue()


def to_html(rows: Sequence[dict[str, Any]], totals: dict[str, Any]) -> str:
    def cell(k: str, v: Any) -> str:
        if v is None:
            return "<td></td>"
        if k == "warnings":
            v = "; ".join(v)
        elif k.endswith("_share"):
            v = f"{v:.1%}"
        cls = f' class="{html.escape(str(v))}"' if k == "status" else ""
        return f"<td{cls}>{html.escape(str(v))}</td>"

    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    body = "\n".join("<tr>" + "".join(cell(c, r.get(c)) for c in COLUMNS) + "</tr>" for r in rows)
    tot = ", ".join(f"{html.escape(k)}: {html.escape(str(v))}" for k, v in totals.items())
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>clipper batch</title>\n"
        "<style>body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}"
        ".done,.skipped{color:#176317}.failed{color:#a01010;font-weight:bold}.interrupted{color:#8a6d00}</style>\n"
        f"</head><body><h1>clipper batch</h1><p>{tot}</p>\n<table><thead><tr>{head}</tr></thead><tbody>\n{body}\n"
        "</tbody></table></body></html>\n"
    )


def write_reports(outdir: Path, rows: Sequence[dict[str, Any]], totals: dict[str, Any]) -> dict[str, str]:
    """Write ``batch.json``, ``batch.csv`` and ``batch.html`` into ``outdir`` (replaced each run)."""
    files = {
        "json": (outdir / "batch.json", json.dumps({"totals": totals, "items": list(rows)}, ensure_ascii=False, indent=2) + "\n"),
        "csv": (outdir / "batch.csv", to_csv(rows)),
        "html": (outdir / "batch.html", to_html(rows, totals)),
    }
    for path, text in files.values():
        write_text(path, text, force=True)
    return {k: str(p) for k, (p, _) in files.items()}
