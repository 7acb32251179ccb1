"""Markers and clips as CSV, with timecodes and seconds, for spreadsheets and NLE scripts.

One row per marker (takeaways and topics, or the sections found by topic shifts when the
transcript has neither) and, with a clip manifest, one row per clip, sorted by start. Columns::

    kind,index,name,start,end,duration,start_tc,end_tc,text

``start``/``end``/``duration`` are seconds with millisecond precision; ``start_tc`` and
``end_tc`` are SMPTE timecodes of the source media at the export rate (``;`` before
frames when drop-frame). A marker's ``end`` is the end of the passage that placed it, when known.
"""

from __future__ import annotations

import csv as _csv
import io
import re

from ._plan import Plan

__all__ = ["compose", "COLUMNS"]

COLUMNS = ("kind", "index", "name", "start", "end", "duration", "start_tc", "end_tc", "text")


def _sec(ms: int | None) -> str:
    return "" if ms is None else f"{ms / 1000:.3f}"


def _one_line(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def compose(plan: Plan) -> str:
    """The CSV text (UTF-8, ``\\n`` line ends, a header row).

    Raises:
        InputError: neither clips nor markers: the file would be a header alone.
    """
    plan.require_something("CSV")
    r = plan.rate

    def tc(ms: int | None) -> str:
        return "" if ms is None else r.timecode(r.frames(ms))

    rows: list[tuple[int, int, list[str]]] = []
    for m in plan.markers:
        dur = None if m.end is None else m.end - m.start
        row = [m.kind, str(m.index), _one_line(m.name), _sec(m.start), _sec(m.end), _sec(dur)]
        rows.append((m.start, 0, [*row, tc(m.start), tc(m.end), _one_line(m.note)]))
    for c in plan.clips:
        rows.append(
            (
                c.source_start,
                1,
                [
                    "clip",
                    str(c.index),
                    c.name,
                    _sec(c.source_start),
                    _sec(c.source_end),
                    _sec(c.duration),
                    tc(c.source_start),
                    tc(c.source_end),
                    _one_line(c.label or c.text),
                ],
            )
        )
    rows.sort(key=lambda x: (x[0], x[1]))
    buf = io.StringIO()
    w = _csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for _, _, row in rows:
        w.writerow(row)
    return buf.getvalue()
