"""Subtitle files re-timed in place: the time fields change, every other byte stays.

A file is read into its lines (endings kept as written: LF, CRLF or CR) and the places of
its time fields: SRT and WebVTT timing lines (``00:00:01,000 --> 00:00:02,500``, cue
settings after them untouched), WebVTT's inline karaoke times (``<00:00:01.200>``), and the
``Start``/``End`` fields of ASS/SSA event lines (by the ``Format:`` line of ``[Events]``).
:meth:`SubtitleFile.render` writes new times into exactly those places, in the style each
was written in (hours or not, ``,`` or ``.``, centiseconds in ASS), so styling, line breaks,
cue numbers and identifiers, cue settings, comments and the byte order mark come back as
they were. Rendering the times as read gives the file back byte for byte.

>>> f = parse_text("1\\r\\n00:00:01,000 --> 00:00:02,500\\r\\n<i>Hi</i>\\r\\n", "x.srt")
>>> [(c.start.ms, c.end.ms, c.text) for c in f.cues]
[(1000, 2500, '<i>Hi</i>')]
>>> f.render_text({f.cues[0].start: 61000, f.cues[0].end: 62000})
'1\\r\\n00:01:01,000 --> 00:01:02,000\\r\\n<i>Hi</i>\\r\\n'
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import io
from ..errors import InputError, ParseError
from ..read._cues import TIMING_RE, parse_time

__all__ = ["EXTENSIONS", "TimeField", "Cue", "SubtitleFile", "format_of", "read", "parse_text", "format_time"]

#: file ending -> format; the output must have the input's format
EXTENSIONS = {".srt": "srt", ".vtt": "vtt", ".webvtt": "vtt", ".ass": "ass", ".ssa": "ssa"}

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LINE_END = re.compile(r"(\r\n|\n|\r)")
_INLINE = re.compile(r"<((?:(\d{1,3}):)?(\d{2}):(\d{2})\.(\d{3}))>")
_ASS_TIME = re.compile(r"(\d{1,3}):(\d{1,2}):(\d{1,2})(?:([.:,])(\d{1,3}))?")
_ASS_EVENTS = ("dialogue", "comment", "picture", "sound", "movie", "command")
#: ASS/SSA without a Format line in [Events]: the v4+/v4 layouts (Start and End 2nd and 3rd)
_ASS_DEFAULT_FORMAT = ("layer", "start", "end", "style", "name", "marginl", "marginr", "marginv", "effect", "text")


@dataclass(frozen=True, slots=True)
class TimeField:
    """One time as written: where (line, columns [a, b)), its value and its style."""

    line: int
    a: int
    b: int
    ms: int
    kind: str  # "srt", "vtt" or "ass"
    hours: int = 2  # digits of the hours as written; 0: no hours field
    sep: str = ","  # before the fraction; "" when it had none
    frac: int = 3  # digits of the fraction as written


@dataclass(frozen=True, slots=True)
class Cue:
    """A cue or event: its two time fields, its text as written, inline times in it."""

    start: TimeField
    end: TimeField
    text: str
    #: evidence of speech timing: an ASS ``Comment`` (not shown) is re-timed but is no evidence
    shown: bool = True
    inline: tuple[TimeField, ...] = ()
    lineno: int = 0


@dataclass(slots=True)
class SubtitleFile:
    path: str
    fmt: str  # srt, vtt, ass, ssa
    codec: str  # the text codec, without the BOM
    bom: bytes
    lines: list[str]  # without endings
    endings: list[str]  # one per line; "" for a last line without one
    cues: list[Cue] = field(default_factory=list)

    def render_text(self, new: Mapping[TimeField, int]) -> str:
        """The file's text with each field in ``new`` given its new time (ms >= 0)."""
        by_line: dict[int, list[tuple[TimeField, int]]] = {}
        for f, ms in new.items():
            by_line.setdefault(f.line, []).append((f, ms))
        out = list(self.lines)
        for i, changes in by_line.items():
            s = out[i]
            for f, ms in sorted(changes, key=lambda c: -c[0].a):  # right to left: columns stay valid
                s = s[: f.a] + format_time(ms, f) + s[f.b :]
            out[i] = s
        return "".join(line + end for line, end in zip(out, self.endings, strict=True))

    def render(self, new: Mapping[TimeField, int]) -> bytes:
        """:meth:`render_text`, encoded as the file was (BOM included)."""
        return self.bom + self.render_text(new).encode(self.codec)


def format_time(ms: int, like: TimeField) -> str:
    """``ms`` written in ``like``'s style.

    >>> format_time(3723456, TimeField(0, 0, 0, 0, "srt"))
    '01:02:03,456'
    >>> format_time(83456, TimeField(0, 0, 0, 0, "vtt", hours=0, sep="."))
    '01:23.456'
    >>> format_time(3723456, TimeField(0, 0, 0, 0, "vtt", hours=0, sep="."))
    '01:02:03.456'
    >>> format_time(3723456, TimeField(0, 0, 0, 0, "ass", hours=1, sep=".", frac=2))
    '1:02:03.46'
    """
    ms = max(0, int(ms))
    if like.kind == "ass" and like.frac != 3:
        digits = like.frac if like.frac in (1, 2) else 2  # centiseconds, as ASS defines them
        unit = 10 ** (3 - digits)
        v = (ms + unit // 2) // unit  # rounded half up
        h, rem = divmod(v, 3_600_000 // unit)
        m, rem = divmod(rem, 60_000 // unit)
        s, f = divmod(rem, 1000 // unit)
        return f"{h:0{max(1, like.hours)}d}:{m:02d}:{s:02d}{like.sep or '.'}{f:0{digits}d}"
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, milli = divmod(rem, 1000)
    sep = like.sep or ("." if like.kind == "vtt" else ",")
    if like.kind == "ass":
        return f"{h:0{max(1, like.hours)}d}:{m:02d}:{s:02d}{sep}{milli:03d}"
    body = f"{m:02d}:{s:02d}{sep}{milli:03d}"
    if like.hours or h:
        return f"{h:0{max(2, like.hours)}d}:{body}"
    return body


def format_of(path: str | os.PathLike[str]) -> str:
    """The subtitle format of a file name, by its ending.

    Raises:
        InputError: not .srt, .vtt, .ass or .ssa.
    """
    ext = Path(path).suffix.lower()
    fmt = EXTENSIONS.get(ext)
    if fmt is None:
        raise InputError(f"{path}: not a subtitle file clipper can re-time (the name should end in .srt, .vtt, .ass or .ssa)")
    return fmt


def _decode(data: bytes, path: str, encoding: str | None) -> tuple[str, str, bytes]:
    """(text, codec, bom): a BOM decides; else UTF-8, or ``encoding`` when given."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), codec, bom
            except UnicodeDecodeError as e:
                raise ParseError(path, f"starts with a {codec} byte order mark but is not valid {codec} ({e.reason})") from None
    codec = encoding or "utf-8"
    if encoding is None and b"\x00" in data[:4096]:
        raise ParseError(path, "looks binary (NUL bytes), not a subtitle file")
    try:
        codecs.lookup(codec)
        return data.decode(codec), codec, b""
    except LookupError:
        raise InputError(f"⟨--encoding⟩ {encoding}: not an encoding Python knows (e.g. utf-8, latin-1, cp1252)") from None
    except UnicodeDecodeError as e:
        if encoding is None:
            raise ParseError(
                path,
                f"not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); "
                "pass ⟨--encoding⟩ (e.g. ⟨--encoding⟩ cp1252) or re-save it as UTF-8",
            ) from None
        raise ParseError(path, f"cannot decode as {encoding}: {e.reason} at offset {e.start}") from None


def read(path: str | os.PathLike[str], encoding: str | None = None) -> SubtitleFile:
    """Read a subtitle file (format by its ending) and find its time fields.

    Raises:
        InputError / ParseError: missing, unreadable, no cues, or a timing it cannot read
            (said with the line: a time left as it was would be a silent wrong time).
    """
    p = Path(path)
    fmt = format_of(p)
    data = io.read_bytes(p, "subtitle file")
    if not data.strip():
        raise ParseError(str(p), "file is empty; give a subtitle file with cues in it")
    text, codec, bom = _decode(data, str(p), encoding)
    f = parse_text(text, str(p), fmt)
    f.codec, f.bom = codec, bom
    return f


def _split_lines(text: str) -> tuple[list[str], list[str]]:
    parts = _LINE_END.split(text)
    lines = parts[0::2]
    endings = parts[1::2] + [""]
    return lines, endings


def parse_text(text: str, path: str = "<input>", fmt: str | None = None) -> SubtitleFile:
    """Parse decoded text (format by ``fmt`` or ``path``'s ending); see :func:`read`."""
    fmt = fmt or format_of(path)
    lines, endings = _split_lines(text)
    f = SubtitleFile(path, fmt, "utf-8", b"", lines, endings)
    if fmt in ("ass", "ssa"):
        f.cues = _ass_cues(lines, path)
    else:
        if fmt == "vtt" and not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
            raise ParseError(path, "a WebVTT file must start with WEBVTT; is it an SRT file named .vtt?", line=1)
        f.cues = _cue_file_cues(lines, path, fmt)
    if not f.cues:
        what = "Dialogue lines in [Events]" if fmt in ("ass", "ssa") else "cue timing lines (00:00:01,000 --> 00:00:02,000)"
        raise ParseError(path, f"no cues found: no {what}")
    return f


def _span_of(m: re.Match[str], first: int) -> tuple[int, int, int, str, int]:
    """Columns, hours digits, separator and fraction digits of one time in a TIMING_RE match
    (groups ``first`` .. ``first + 3``: hours, minutes, seconds, fraction)."""
    h, _mi, _s, fr = first, first + 1, first + 2, first + 3
    a = m.start(h) if m.group(h) is not None else m.start(_mi)
    b = m.end(fr) if m.group(fr) is not None else m.end(_s)
    hours = len(m.group(h)) if m.group(h) is not None else 0
    sep = m.string[m.end(_s)] if m.group(fr) is not None else ""
    frac = len(m.group(fr)) if m.group(fr) is not None else 0
    return a, b, hours, sep, frac


def _cue_file_cues(lines: list[str], path: str, fmt: str) -> list[Cue]:
    """SRT and WebVTT: every timing line starts a cue; its text runs to the next blank line."""
    timing_at: list[int] = []
    matches: dict[int, re.Match[str]] = {}
    for i, line in enumerate(lines):
        if "-->" not in line and "->" not in line:
            continue
        m = TIMING_RE.match(line)
        if m is None:
            if "-->" in line:
                raise ParseError(path, f"cannot read the cue timing {line.strip()[:60]!r}; fix the line", line=i + 1)
            continue
        timing_at.append(i)
        matches[i] = m
    kind = "vtt" if fmt == "vtt" else "srt"
    cues: list[Cue] = []
    for k, i in enumerate(timing_at):
        m = matches[i]
        g = m.groups()
        fields = []
        for first in (1, 5):
            a, b, hours, sep, frac = _span_of(m, first)
            ms = parse_time(*g[first - 1 : first + 3])
            fields.append(TimeField(i, a, b, ms, kind, hours, sep, frac))
        # the text: up to a blank line, or up to the next cue's number/identifier line
        nxt = timing_at[k + 1] if k + 1 < len(timing_at) else len(lines)
        j = i + 1
        body: list[int] = []
        while j < nxt and lines[j].strip():
            body.append(j)
            j += 1
        if j == nxt and body and nxt < len(lines) and body[-1] == nxt - 1 and kind == "srt" and lines[body[-1]].strip().isdigit():
            body.pop()  # no blank line before the next cue: its number is not this text
        inline: list[TimeField] = []
        if kind == "vtt":
            for li in body:
                for im in _INLINE.finditer(lines[li]):
                    hrs = len(im.group(2)) if im.group(2) else 0
                    ms = parse_time(im.group(2), im.group(3), im.group(4), im.group(5))
                    inline.append(TimeField(li, im.start(1), im.end(1), ms, "vtt", hrs, ".", 3))
        start, end = fields
        cues.append(Cue(start, end, "\n".join(lines[li] for li in body), True, tuple(inline), i + 1))
    return cues


def _ass_cues(lines: list[str], path: str) -> list[Cue]:
    """ASS/SSA: the event lines of ``[Events]``, fields by its ``Format:`` line."""
    section = ""
    names: tuple[str, ...] = _ASS_DEFAULT_FORMAT
    cues: list[Cue] = []
    for i, raw in enumerate(lines):
        line = raw.lstrip("\ufeff")
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            section = s[1:-1].strip().lower()
            continue
        if section != "events":
            continue
        key, sep, value = line.partition(":")
        kind = key.strip().lower()
        if not sep:
            continue
        if kind == "format":
            names = tuple(n.strip().lower() for n in value.split(","))
            if "start" not in names or "end" not in names:
                raise ParseError(path, "the [Events] Format line names no Start or End field", line=i + 1)
            continue
        if kind not in _ASS_EVENTS:
            continue
        base = len(raw) - len(line) + len(key) + 1  # column where the values begin
        values = value.split(",", len(names) - 1)
        if len(values) < len(names):
            raise ParseError(path, f"an event line with {len(values)} fields, the Format line names {len(names)}", line=i + 1)
        cols = []
        col = base
        for v in values:
            cols.append(col)
            col += len(v) + 1
        got = []
        for name in ("start", "end"):
            k = names.index(name)
            v = values[k]
            lead = len(v) - len(v.lstrip())
            t = v.strip()
            m = _ASS_TIME.fullmatch(t)
            if m is None:
                raise ParseError(path, f"cannot read the {name.title()} time {t!r}; fix the line", line=i + 1)
            h, mi, sec, sp, fr = m.groups()
            ms = parse_time(h, mi, sec, fr)
            a = cols[k] + lead
            got.append(TimeField(i, a, a + len(t), ms, "ass", len(h), sp or "", len(fr) if fr else 0))
        text = values[names.index("text")] if "text" in names else ""
        cues.append(Cue(got[0], got[1], text, kind == "dialogue", (), i + 1))
    return cues
