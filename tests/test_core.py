"""io, timecode and media: the edges every command stands on. Real ffmpeg, real files."""

from __future__ import annotations

import codecs
import subprocess
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES
from hypothesis import given
from hypothesis import strategies as st

from clipper import io, media, timecode
from clipper.errors import InputError, OutputExistsError, ParseError
from clipper.model import Segment, Span, Word

# --- io -------------------------------------------------------------------------------


def test_decode_boms_and_line_endings() -> None:
    text = "Hello\r\nworld\r\n"
    assert io.decode_bytes(codecs.BOM_UTF8 + text.encode()) == "Hello\nworld\n"
    assert io.decode_bytes(text.encode("utf-16")) == "Hello\nworld\n"  # BOM included by Python
    assert io.decode_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be")) == "Hello\nworld\n"


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"\x00\x01\x02binary\x00", "binary"),
        ("caf\u00e9 cr\u00e8me".encode("latin-1"), "--encoding"),
    ],
)
def test_decode_bad_input_says_what_to_do(data: bytes, words: str) -> None:
    with pytest.raises(ParseError) as e:
        io.decode_bytes(data, "x.txt")
    msg = e.value.cli_message()  # as the command prints it; str(e) names the keyword instead
    assert msg.startswith("x.txt: ") and words in msg and "\n" not in msg


def test_decode_latin1_when_asked() -> None:
    assert io.decode_bytes("caf\u00e9".encode("latin-1"), encoding="latin-1") == "caf\u00e9"


def test_read_text_missing_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        io.read_text(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="folder"):
        io.read_text(tmp_path)


def test_write_is_atomic_and_never_overwrites(tmp_path: Path) -> None:
    out = tmp_path / "a" / "out.srt"
    io.write_text(out, "one\n")
    assert out.read_text() == "one\n"
    with pytest.raises(OutputExistsError):
        io.write_text(out, "two\n")
    assert out.read_text() == "one\n"
    io.write_text(out, "two\n", force=True)
    assert out.read_text() == "two\n"
    # a failure inside the block leaves neither the target nor a temporary file
    target = tmp_path / "b.vtt"
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["a"]


# --- timecode -------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=100 * 3600 * 1000))
def test_clock_round_trip(ms: int) -> None:
    assert timecode.parse_clock(timecode.format_vtt(ms)) == ms
    assert timecode.parse_clock(timecode.format_srt(ms)) == ms


def test_no_float_drift_at_minute_edges() -> None:
    # stable-ts's sec2vtt(59.9996) gave 00:00:60.000; int ms cannot
    assert timecode.format_vtt(timecode.ms_from_seconds(59.9996)) == "00:01:00.000"
    assert timecode.format_srt(59999) == "00:00:59,999"


def test_parse_clock_forms() -> None:
    assert timecode.parse_clock("01:02") == 62000
    assert timecode.parse_clock("1:02:03,250") == 3723250
    assert timecode.parse_clock("12.5") == 12500
    with pytest.raises(ValueError):
        timecode.parse_clock("noon")


def test_smpte_drop_frame() -> None:
    fps = Fraction(30000, 1001)
    assert timecode.format_smpte(1800, fps, drop_frame=True) == "00:01:00;02"
    assert timecode.format_smpte(17982, fps, drop_frame=True) == "00:10:00;00"
    assert timecode.format_smpte(250, Fraction(25)) == "00:00:10:00"
    assert timecode.ms_to_frames(1000, Fraction(25)) == 25


# --- model ----------------------------------------------------------------------------


def test_model_checks_times() -> None:
    with pytest.raises(ValueError):
        Span(10, 5)
    with pytest.raises(ValueError):
        Word("a", 5, None)
    with pytest.raises(TypeError):
        Segment(0, "a", start=1.5, end=2)  # type: ignore[arg-type]
    assert not Segment(0, "[laughter]").spoken


# --- media ----------------------------------------------------------------------------


def _tone_wav(path: Path, seconds: float, rate: int = 22050) -> None:
    t = np.arange(int(seconds * rate)) / rate
    x = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(x.tobytes())


def test_probe_sample_video() -> None:
    info = media.probe(SAMPLES / "interview.mp4")
    assert info.has_video and info.has_audio
    assert (info.fps_num, info.fps_den) == (25, 1)
    assert (info.width, info.height) == (640, 360)
    assert abs(info.duration - 32000) <= 40


def test_probe_and_decode_wav(tmp_path: Path) -> None:
    wav = tmp_path / "tone.wav"
    _tone_wav(wav, 2.5)
    info = media.probe(wav)
    assert info.has_audio and not info.has_video
    assert abs(info.duration - 2500) <= 10
    pcm = media.decode_audio(wav)
    assert pcm.dtype == np.int16 and abs(len(pcm) - 2.5 * media.SAMPLE_RATE) <= 32
    span = media.decode_audio(wav, start=1000, duration=500)
    assert abs(len(span) - 8000) <= 32
    chunks = list(media.iter_audio(wav, chunk_ms=1000))
    assert len(chunks) == 3 and sum(map(len, chunks)) == len(pcm)


def test_probe_bad_media(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 2048)
    with pytest.raises(InputError) as e:
        media.probe(junk)
    assert "junk.mp4" in str(e.value)
    with pytest.raises(InputError, match="no such media"):
        media.probe(tmp_path / "missing.mp4")


def test_ffmpeg_is_runnable() -> None:
    out = subprocess.run([media.ffmpeg_binary(), "-version"], capture_output=True, check=True)
    assert out.stdout.startswith(b"ffmpeg version")
