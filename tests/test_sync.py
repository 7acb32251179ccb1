"""``clipper sync``: re-timing existing SRT, WebVTT and ASS files to their media.

Media with exact timing truth is generated at test time from real speech: the phrases of
``samples/interview.mp4`` (acoustic_corpus.wav from the Montreal Forced Aligner's tests,
MIT; phrase edges from the word tier of its TextGrid, 10 ms grid) cut out and laid in a
random order with random pauses, over a quiet noise floor, encoded as AAC by ffmpeg. Each
phrase's place is a cue's true time. Subtitle files are written here by the test's own
writers (SRT with italics, ``{\\an8}``, dialogue dashes, two-line cues, CRLF and a BOM;
WebVTT with a header, STYLE and NOTE blocks, cue identifiers, cue settings and karaoke
times; ASS with styles, ``\\N`` and override tags, a Comment line), shifted or drifted; the
output is checked byte for byte with every time masked, and each time against the truth.
The 10-minute espeak video of ../shared (exact truth) is used when present.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES, shared_path

import clipper
from clipper.cli import main
from clipper.errors import InputError, MismatchError
from clipper.media import decode_audio, ffmpeg_binary
from clipper.sync import SyncResult, sync

# (start ms, end ms, words) of the phrases of samples/interview.mp4 (runs of words with
# less than 150 ms between them, from the MFA TextGrid's word tier)
PHRASES = [
    (1050, 6810, "this is the acoustic corpus i'm talking pretty fast here there's nothing going else going on "
     "we're just yknow there's some speech errors but who"),
    (6980, 7540, "cares"),
    (8020, 11800, "um this is me talking really slow and slightly"),
    (12140, 13900, "lower in intensity"),
    (14870, 17190, "we're just saying some words"),
    (18350, 19410, "and"),
    (19650, 21020, "here's some more words"),
    (21190, 22330, "words word words"),
    (22900, 23530, "um"),
    (24150, 24800, "and that should be all"),
    (24950, 25250, "thanks"),
]  # fmt: skip
PAD = 20  # ms of the recording kept either side of a phrase
FPS25_23976 = 25 / (24000 / 1001)

Cue = tuple[int, int, str]


def make_media(path: Path, seed: int, n: int = 36) -> list[Cue]:
    """Lay ``n`` phrases (random order and pauses) into a new recording; their true cues."""
    x = decode_audio(SAMPLES / "interview.mp4")
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    pieces: list[tuple[int, np.ndarray]] = []
    cues: list[Cue] = []
    t = 1500
    for _ in range(n):
        a, b, text = rng.choice(PHRASES)
        seg = x[(a - PAD) * 16 : (b + PAD) * 16]
        pieces.append((t, seg))
        cues.append((t + PAD, t + PAD + b - a, text))
        t += len(seg) // 16 + rng.randint(300, 1800)
    y = noise.standard_normal((t + 2000) * 16) * 20.0  # a floor of about -64 dBFS
    for t0, seg in pieces:
        y[t0 * 16 : t0 * 16 + len(seg)] += seg
    pcm = np.clip(np.rint(y), -32768, 32767).astype(np.int16)
    argv = [ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-y", "-f", "s16le", "-ar", "16000", "-ac", "1", "-i", "-",
            "-c:a", "aac", "-b:a", "64k", str(path)]  # fmt: skip
    subprocess.run(argv, input=pcm.tobytes(), check=True)
    return cues


@pytest.fixture(scope="module")
def media_a(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Cue]]:
    p = tmp_path_factory.mktemp("sync") / "a.m4a"
    return p, make_media(p, 1)


@pytest.fixture(scope="module")
def media_b(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Cue]]:
    p = tmp_path_factory.mktemp("sync") / "b.m4a"
    return p, make_media(p, 2)


# --- the test's own writers and readers (independent of clipper.sync.subfile) -------------


def _hms(ms: int, sep: str, hours: bool = True) -> str:
    h, r = divmod(ms, 3_600_000)
    m, r = divmod(r, 60_000)
    s, f = divmod(r, 1000)
    return (f"{h:02d}:" if hours or h else "") + f"{m:02d}:{s:02d}{sep}{f:03d}"


def _ass_time(ms: int) -> str:
    cs = (ms + 5) // 10
    h, r = divmod(cs, 360_000)
    m, r = divmod(r, 6000)
    s, c = divmod(r, 100)
    return f"{h}:{m:02d}:{s:02d}.{c:02d}"


def srt_text(cues: list[Cue]) -> str:
    out = []
    for k, (a, b, text) in enumerate(cues):
        words = text.split()
        if k % 4 == 0:
            body = f"<i>{text}</i>"
        elif k % 4 == 1 and len(words) > 1:
            body = " ".join(words[: len(words) // 2]) + "\n" + " ".join(words[len(words) // 2 :])
        elif k % 4 == 2:
            body = "{\\an8}" + text
        elif len(words) > 1:  # two speakers, as dialogue dashes
            body = "- " + " ".join(words[: len(words) // 2]) + "\n- <b>" + " ".join(words[len(words) // 2 :]) + "</b>"
        else:
            body = f"- {text}"
        out.append(f"{k + 1}\n{_hms(a, ',')} --> {_hms(b, ',')}\n{body}\n")
    return "\n".join(out)


def vtt_text(cues: list[Cue]) -> str:
    head = "WEBVTT - made by the test\nKind: captions\nLanguage: en\n\nSTYLE\n::cue { color: yellow }\n\nNOTE times are mm:ss.ttt\n"
    out = [head]
    for k, (a, b, text) in enumerate(cues):
        settings = [" align:start line:10%", " position:20%", "", " size:80% align:end"][k % 4]
        words = text.split()
        if k % 5 == 3 and len(words) > 1:
            step = (b - a) // len(words)
            body = words[0] + "".join(f" <{_hms(a + step * i, '.')}><c>{w}</c>" for i, w in enumerate(words[1:], 1))
        else:
            body = f"<v Speaker {k % 2}>{text}</v>"
        out.append(f"cue-{k}\n{_hms(a, '.', hours=False)} --> {_hms(b, '.', hours=False)}{settings}\n{body}\n")
    return "\n".join(out)


ASS_HEAD = """[Script Info]
; made by the test
Title: sync test
ScriptType: v4.00+
PlayResX: 640
PlayResY: 360

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,2,10,10,10,1
Style: Top,Arial,18,&H0000FFFF,&H000000FF,&H00000000,&H00000000,-1,0,0,0,100,100,0,0,1,2,0,8,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""


def ass_text(cues: list[Cue]) -> str:
    out = [ASS_HEAD]
    for k, (a, b, text) in enumerate(cues):
        words = text.split()
        if k % 3 == 0:
            body = "{\\an8}" + text
        elif k % 3 == 1 and len(words) > 1:
            body = " ".join(words[: len(words) // 2]) + "\\N{\\i1}" + " ".join(words[len(words) // 2 :]) + "{\\i0}"
        else:
            body = text.replace(" ", ", ", 1)  # a comma in the Text field
        style = "Top" if k % 3 == 0 else "Default"
        out.append(f"Dialogue: 0,{_ass_time(a)},{_ass_time(b)},{style},Narrator,0,0,0,,{body}\n")
        if k == 4:
            out.append(f"Comment: 0,{_ass_time(a)},{_ass_time(b)},Default,,0,0,0,,a translator's note, not shown\n")
    return "".join(out)


_TIME = {
    "srt": re.compile(r"\d{2}:\d{2}:\d{2},\d{3}"),
    "vtt": re.compile(r"(?:\d{2}:)?\d{2}:\d{2}\.\d{3}"),
    "ass": re.compile(r"(?<=,)\d:\d{2}:\d{2}\.\d{2}(?=,)"),
}


def _ms(t: str) -> int:
    if re.fullmatch(r"\d:\d{2}:\d{2}\.\d{2}", t):
        h, m, rest = t.split(":")
        s, c = rest.split(".")
        return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(c) * 10
    parts = re.split(r"[:,.]", t)
    *hm, s, f = [int(p) for p in parts]
    h, m = (hm if len(hm) == 2 else [0, *hm])
    return ((h * 60 + m) * 60 + s) * 1000 + f


def masked(text: str, fmt: str) -> str:
    return _TIME[fmt].sub("T", text)


def times(text: str, fmt: str) -> list[int]:
    return [_ms(t) for t in _TIME[fmt].findall(text)]


def moved(cues: list[Cue], *, shift: int = 0, scale: float = 1.0) -> list[Cue]:
    """The cues as a mistimed file has them: ``t / scale - shift``; cues that would start
    before 0 are left out (that file starts later)."""
    out = [(int(round(a / scale)) - shift, int(round(b / scale)) - shift, t) for a, b, t in cues]
    return [c for c in out if c[0] >= 0]


def check_output(out: Path, expected: str, fmt: str, *, bom: bytes = b"", crlf: bool = False, median_ms: int = 50, max_ms: int = 150) -> list[int]:
    """Byte for byte with the times masked; every time within the tolerances; the errors."""
    data = out.read_bytes()
    assert data.startswith(bom) and (not bom or not data[len(bom):].startswith(bom))
    text = data[len(bom) :].decode("utf-8")
    if crlf:
        assert text.count("\r\n") == text.count("\n") and "\r\n" in text
        text = text.replace("\r\n", "\n")
    assert masked(text, fmt) == masked(expected, fmt)
    got, want = times(text, fmt), times(expected, fmt)
    assert len(got) == len(want)
    err = [abs(g - w) for g, w in zip(got, want, strict=True)]
    assert statistics.median(err) <= median_ms, statistics.median(err)
    assert max(err) <= max_ms, max(err)
    return err


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object] | None, str]:
    code = main(["sync", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip().startswith("{") else None), err


# --- the shift and drift modes, each format -------------------------------------------------


@pytest.mark.parametrize("mode", ["offset", "drift"])
def test_srt_shift_is_undone_and_only_times_change(tmp_path: Path, media_a: tuple[Path, list[Cue]], mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    media, truth = media_a
    subs = tmp_path / "in.srt"
    bom = b"\xef\xbb\xbf"
    subs.write_bytes(bom + srt_text(moved(truth, shift=-2500)).replace("\n", "\r\n").encode("utf-8"))
    out = tmp_path / "out.srt"
    code, res, err = _run(capsys, str(subs), str(media), "-o", str(out), "--mode", mode, "--json")
    assert code == 0, err
    assert res is not None and res["mode"] == mode and res["cues"] == len(truth) == res["speech_cues"]
    assert abs(int(res["offset_ms"]) + 2500) <= 40  # within a frame at 25 fps  # type: ignore[call-overload]
    assert abs(float(res["scale"]) - 1) < 1e-3  # type: ignore[arg-type]
    assert float(res["score"]) >= 10 and res["linear"] is True and not res["forced"]  # type: ignore[arg-type]
    check_output(out, srt_text(truth), "srt", bom=bom, crlf=True)
    assert "synced" in err and "fit score" in err


def test_vtt_drift_is_undone_keeping_ids_settings_and_karaoke(tmp_path: Path, media_a: tuple[Path, list[Cue]]) -> None:
    media, truth = media_a
    subs = tmp_path / "in.vtt"
    subs.write_text(vtt_text(moved(truth, shift=-1200, scale=FPS25_23976)), encoding="utf-8")
    out = tmp_path / "out.vtt"
    res = sync(subs, media, out)
    assert isinstance(res, SyncResult) and res.mode == "drift"
    assert abs(res.scale / FPS25_23976 - 1) < 1e-3, res.scale
    assert res.scale_name in ("25/23.976", None)
    err = check_output(out, vtt_text(truth), "vtt")
    # karaoke times moved with their cue (they are in the masked comparison too)
    assert len(err) > 2 * len(truth)


def test_ass_shift_is_undone_keeping_styles_and_comments(tmp_path: Path, media_a: tuple[Path, list[Cue]]) -> None:
    media, truth = media_a
    subs = tmp_path / "in.ass"
    late = moved(truth, shift=7000)  # the file's cues come 7 s early; the first ones are missing
    subs.write_text(ass_text(late), encoding="utf-8")
    out = tmp_path / "out.ass"
    res = sync(subs, media, out, mode="offset")
    assert abs(res.offset_ms - 7000) <= 40
    assert res.cues == len(late) + 1 and res.speech_cues == len(late)  # the Comment is re-timed, not evidence
    expect = [c for c in truth if c[0] - 7000 >= 0]
    check_output(out, ass_text(expect), "ass")


def test_full_mode_follows_an_edit_drift_mode_refuses_it(tmp_path: Path, media_a: tuple[Path, list[Cue]], capsys: pytest.CaptureFixture[str]) -> None:
    """The media lost 1.5 s halfway (or the subtitles gained it): no single offset fits.
    Drift mode says so (exit 2, the part that is off); full mode re-aligns each cue."""
    media, truth = media_a
    half = len(truth) // 2
    edited = [(a + 2500 + (1500 if k >= half else 0), b + 2500 + (1500 if k >= half else 0), t) for k, (a, b, t) in enumerate(truth)]
    subs = tmp_path / "edit.srt"
    subs.write_text(srt_text(edited), encoding="utf-8")
    code, _, err = _run(capsys, str(subs), str(media), "-o", str(tmp_path / "x.srt"))
    assert code == 2 and "one offset and scale do not fit" in err and "--mode full" in err
    assert not (tmp_path / "x.srt").exists()
    out = tmp_path / "full.srt"
    code, res, err = _run(capsys, str(subs), str(media), "-o", str(out), "--mode", "full", "--json", "-q")
    assert code == 0, err
    assert res is not None and res["mode"] == "full" and res["linear"] is False
    full = res["full"]
    assert isinstance(full, dict) and full["aligned"] >= len(truth) // 2 and full["kept"] == 0
    check_output(out, srt_text(truth), "srt", median_ms=60, max_ms=300)


def test_full_mode_keeps_the_drift_time_where_the_words_are_not_heard(tmp_path: Path, media_a: tuple[Path, list[Cue]]) -> None:
    """Subtitles in another language: the timing fits, the words do not; full mode says so
    and keeps the drift times."""
    media, truth = media_a
    french = [(a + 2500, b + 2500, "le chat noir dort sur la chaise rouge près de la fenêtre") for a, b, _ in truth]
    subs = tmp_path / "fr.srt"
    subs.write_text(srt_text(french), encoding="utf-8")
    res = sync(subs, media, tmp_path / "out.srt", mode="full")
    assert res.full == {"aligned": 0, "neighbours": 0, "kept": len(truth), "trimmed": 0}
    assert any("another language" in w for w in res.warnings)
    drift = sync(subs, media, tmp_path / "drift.srt")
    assert res.times == drift.times


# --- refusals -----------------------------------------------------------------------


def test_subtitles_of_another_recording_are_refused(tmp_path: Path, media_a: tuple[Path, list[Cue]], media_b: tuple[Path, list[Cue]], capsys: pytest.CaptureFixture[str]) -> None:
    media, _ = media_a
    _, other = media_b  # the same phrases, in another order and rhythm
    subs = tmp_path / "other.srt"
    subs.write_text(srt_text(other), encoding="utf-8")
    out = tmp_path / "out.srt"
    code, _, err = _run(capsys, str(subs), str(media), "-o", str(out))
    assert code == 2 and "fit score" in err and "--force" in err and "Traceback" not in err
    assert not out.exists()
    with pytest.raises(MismatchError) as exc:
        sync(subs, media, out, mode="offset")
    assert exc.value.share < exc.value.threshold
    code, res, err = _run(capsys, str(subs), str(media), "-o", str(out), "--force", "--json")
    assert code == 0 and out.exists() and res is not None and res["forced"] is True and "FORCED" in err


def test_existing_output_and_wrong_extension_are_refused(tmp_path: Path, media_a: tuple[Path, list[Cue]], capsys: pytest.CaptureFixture[str]) -> None:
    media, truth = media_a
    subs = tmp_path / "in.srt"
    subs.write_text(srt_text(moved(truth, shift=-2500)), encoding="utf-8")
    out = tmp_path / "out.srt"
    out.write_text("keep me", encoding="utf-8")
    code, _, err = _run(capsys, str(subs), str(media), "-o", str(out))
    assert code == 2 and "already exists" in err and out.read_text(encoding="utf-8") == "keep me"
    code, _, err = _run(capsys, str(subs), str(media), "-o", str(tmp_path / "out.vtt"))
    assert code == 2 and "must be SRT" in err and not (tmp_path / "out.vtt").exists()
    code, _, err = _run(capsys, str(subs), str(media), "-o", str(out), "--force", "-q")
    assert code == 0 and err == "" and out.read_text(encoding="utf-8") != "keep me"


@pytest.mark.parametrize(
    "content, message",
    [
        ("1\n00:00:01,000 --> 00:00:0x,500\nHi\n", "cannot read the cue timing"),
        ("1\n00:00:01,000 --> 00:00:02,000\n[music]\n\n2\n00:00:03,000 --> 00:00:04,000\nHello\n", "1 cue(s) with spoken words"),
        ("just some text\n", "no cues found"),
    ],
)
def test_bad_subtitles_say_what_and_where(tmp_path: Path, media_a: tuple[Path, list[Cue]], content: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    subs = tmp_path / "bad.srt"
    subs.write_text(content, encoding="utf-8")
    code, _, err = _run(capsys, str(subs), str(media_a[0]), "-o", str(tmp_path / "o.srt"))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_vtt_without_header_and_media_without_audio(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.vtt"
    bad.write_text("00:01.000 --> 00:02.000\nHi\n", encoding="utf-8")
    assert _run(capsys, str(bad), "-o", str(tmp_path / "y.vtt"), "--offset", "10")[0] == 2
    srt = tmp_path / "x.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,000\nHi\n", encoding="utf-8")
    code, _, err = _run(capsys, str(srt), str(srt), "-o", str(tmp_path / "y.srt"))
    assert code == 2 and "is a subtitle file" in err
    code, _, err = _run(capsys, str(srt), "-o", str(tmp_path / "y.srt"))
    assert code == 2 and "no media" in err


# --- bytes, encodings, known shifts (no media analysis) -------------------------------------


SSA = """[Script Info]
ScriptType: v4.00

[V4 Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, TertiaryColour, BackColour, Bold, Italic, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, AlphaLevel, Encoding
Style: Default,Arial,20,16777215,65535,65535,0,0,0,1,2,0,2,10,10,10,0,0

[Events]
Format: Marked, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: Marked=0,0:00:01.00,0:00:02.50,Default,,0000,0000,0000,,Hello,\\Nworld
Dialogue: Marked=0,0:00:03.20,0:00:04.00,Default,,0000,0000,0000,,{\\i1}Bye{\\i0}"""


@pytest.mark.parametrize(
    "name, content",
    [
        ("a.srt", "\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hi,</i>\r\n- there\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000 X1:10 X2:20\r\n{\\an8}Up\r\n"),
        ("b.vtt", "WEBVTT\n\nNOTE x\n\nid-1\n00:01.000 --> 00:02.500 align:start\n<v A>Hi <00:01.500>there</v>\n\n00:00:03.000 --> 00:00:04.000\nBye"),
        ("c.ass", ASS_HEAD + "Dialogue: 0,0:00:01.00,0:00:02.50,Top,,0,0,0,,{\\an8}Hi\\Nthere, you\nComment: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,note\n"),
        ("d.ssa", SSA),
        ("e.srt", "1\r00:00:01,000 --> 00:00:02,000\rold Mac line endings\r"),
    ],
)
def test_a_zero_shift_gives_the_file_back_byte_for_byte(tmp_path: Path, name: str, content: str, capsys: pytest.CaptureFixture[str]) -> None:
    subs = tmp_path / name
    subs.write_bytes(content.encode("utf-8"))
    out = tmp_path / ("out" + subs.suffix)
    code, res, err = _run(capsys, str(subs), "-o", str(out), "--offset", "0", "--json")
    assert code == 0, err
    assert out.read_bytes() == subs.read_bytes()
    assert res is not None and res["mode"] == "manual" and res["score"] is None


def test_known_offset_and_scale_without_media_and_clamping(tmp_path: Path) -> None:
    subs = tmp_path / "a.srt"
    subs.write_text("1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2\n00:01:00,000 --> 00:01:02,000\nThere\n", encoding="utf-8")
    out = tmp_path / "b.srt"
    res = clipper.sync_subtitles(subs, None, out, offset=-1500, scale=2.0)
    assert res.times == ((500, 2500), (118500, 122500)) and res.clamped == 0
    assert out.read_text(encoding="utf-8") == "1\n00:00:00,500 --> 00:00:02,500\nHi\n\n2\n00:01:58,500 --> 00:02:02,500\nThere\n"
    res = sync(subs, None, out, offset=-1500, force=True)
    assert res.times[0] == (0, 500) and res.clamped == 1  # never before 0
    with pytest.raises(InputError, match="^scale 'fast'"):
        clipper.sync.parse_scale("fast")


def test_times_are_clamped_to_the_media(tmp_path: Path, media_a: tuple[Path, list[Cue]]) -> None:
    media, truth = media_a
    subs = tmp_path / "a.srt"
    subs.write_text(srt_text(truth), encoding="utf-8")
    shift = truth[-1][0] - 500
    res = sync(subs, media, tmp_path / "b.srt", offset=shift)
    dur = res.media_duration_ms
    assert dur is not None and all(0 <= a <= b <= dur for a, b in res.times)
    assert res.clamped == sum(1 for _, b, _ in truth if b + shift > dur) and res.times[-1] == (dur, dur)


def test_other_encodings_are_read_and_written_back_as_they_were(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subs = tmp_path / "a.srt"
    subs.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nCafé crème\n".encode("cp1252"))
    out = tmp_path / "b.srt"
    code, _, err = _run(capsys, str(subs), "-o", str(out), "--offset", "1000")
    assert code == 2 and "not valid UTF-8" in err and "--encoding" in err
    assert _run(capsys, str(subs), "-o", str(out), "--offset", "1000", "--encoding", "cp1252", "-q")[0] == 0
    assert out.read_bytes() == "1\n00:00:02,000 --> 00:00:03,000\nCafé crème\n".encode("cp1252")
    u16 = tmp_path / "c.vtt"
    u16.write_bytes(b"\xff\xfe" + "WEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\nÜber\r\n".encode("utf-16-le"))
    assert _run(capsys, str(u16), "-o", str(tmp_path / "d.vtt"), "--offset", "-500", "-q")[0] == 0
    assert (tmp_path / "d.vtt").read_bytes() == b"\xff\xfe" + "WEBVTT\r\n\r\n00:00.500 --> 00:01.500\r\nÜber\r\n".encode("utf-16-le")


# --- the 10-minute espeak video with exact truth (../shared) ---------------------------------


@pytest.fixture(scope="module")
def tts10() -> tuple[Path, list[Cue]]:
    media = shared_path("bench", "tts", "seed_tts_10min.mp4")
    truth = json.loads(shared_path("bench", "tts", "seed_tts_10min.truth.json").read_text(encoding="utf-8"))
    cues = [(round(s["start"] * 1000), round(s["end"] * 1000), s["text"]) for s in truth["segments"]]
    return media, cues


@pytest.mark.shared
@pytest.mark.parametrize(
    "mode, shift, scale",
    [("offset", 2500, 1.0), ("offset", -7000, 1.0), ("drift", 31000, 1.0), ("drift", 1500, FPS25_23976), ("drift", 0, 1 / FPS25_23976)],
)
def test_tts_video_shifted_and_drifted(tmp_path: Path, tts10: tuple[Path, list[Cue]], mode: str, shift: int, scale: float) -> None:
    media, truth = tts10
    wrong = moved(truth, shift=-shift, scale=scale)
    subs = tmp_path / "in.srt"
    subs.write_text(srt_text(wrong), encoding="utf-8")
    res = sync(subs, media, tmp_path / "out.srt", mode=mode)
    expect = [c for c in truth if round(c[0] / scale) + shift >= 0]
    err = check_output(tmp_path / "out.srt", srt_text(expect), "srt", median_ms=20, max_ms=60)
    assert abs(res.scale / scale - 1) < 2e-4
    assert res.score is not None and res.score > 30 and res.linear
    if scale == 1.0:
        assert abs(res.offset_ms + shift) <= 40
    assert statistics.median(err) <= 10


def test_audio_track_is_chosen_and_a_silent_one_explained(tmp_path: Path, media_a: tuple[Path, list[Cue]], capsys: pytest.CaptureFixture[str]) -> None:
    media, truth = media_a
    two = tmp_path / "two.mka"  # track 0 silent, track 1 the speech
    argv = [ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-i", str(media),
            "-map", "0:a", "-map", "1:a", "-shortest", "-c:a", "aac", str(two)]  # fmt: skip
    subprocess.run(argv, check=True)
    subs = tmp_path / "in.srt"
    subs.write_text(srt_text(moved(truth, shift=-2500)), encoding="utf-8")
    out = tmp_path / "out.srt"
    code, _, err = _run(capsys, str(subs), str(two), "-o", str(out))
    assert code == 2 and "no speech found" in err and "--audio-track 1" in err and not out.exists()
    code, res, err = _run(capsys, str(subs), str(two), "-o", str(out), "--audio-track", "1", "--json", "-q")
    assert code == 0, err
    assert res is not None and abs(int(res["offset_ms"]) + 2500) <= 40  # type: ignore[call-overload]
    code, _, err = _run(capsys, str(subs), str(two), "-o", str(out), "--audio-track", "2", "--force")
    assert code == 2 and "audio track" in err
