"""The only place that runs ffmpeg: locate the binary, probe, decode.

ffmpeg is the one on PATH if there is one, else imageio-ffmpeg's bundled binary.
Probing parses ``ffmpeg -i`` output, so no ffprobe is needed.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from .errors import InputError, MediaError
from .model import MediaInfo

__all__ = ["ffmpeg_binary", "probe", "decode_audio", "iter_audio", "run_ffmpeg", "SAMPLE_RATE"]

#: analysis sample rate for every engine (VAD and acoustic models want 16 kHz mono)
SAMPLE_RATE = 16000


@functools.lru_cache(maxsize=1)
def ffmpeg_binary() -> str:
    """Path of the ffmpeg to run: ``$CLIPPER_FFMPEG``, else PATH, else imageio-ffmpeg's."""
    env = os.environ.get("CLIPPER_FFMPEG")
    if env:
        return env
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception as e:  # noqa: BLE001 - any failure means "no ffmpeg"
        raise MediaError(f"no ffmpeg found on PATH and imageio-ffmpeg has none ({e})") from None


def run_ffmpeg(args: Sequence[str], what: str = "ffmpeg") -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg with ``args`` (without the binary); raise MediaError with its stderr tail."""
    argv = [ffmpeg_binary(), "-nostdin", "-hide_banner", *args]
    proc = subprocess.run(argv, capture_output=True)
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise MediaError(f"{what} failed: {' | '.join(tail)}", argv, proc.stderr.decode("utf-8", "replace"))
    return proc


_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_START = re.compile(r"start:\s*(-?\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: (.*)")
_AUDIO = re.compile(r"Stream #\S+.*?: Audio: (.*)")
_FPS = re.compile(r"(\d+(?:\.\d+)?)(k?) (?:fps|tbr)")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_SR = re.compile(r"(\d+) Hz")


def _fps_fraction(text: str) -> tuple[int, int] | None:
    m = _FPS.search(text)
    if not m:
        return None
    val = float(m.group(1)) * (1000 if m.group(2) else 1)
    for num, den in ((24000, 1001), (30000, 1001), (60000, 1001)):
        if abs(val - num / den) < 0.01:
            return num, den
    if abs(val - round(val)) < 1e-6:
        return int(round(val)), 1
    return int(round(val * 1000)), 1000


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Duration, streams and frame rate of a media file, from ``ffmpeg -i``."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such media file")
    if p.is_dir():
        raise InputError(f"{p}: is a folder, expected a media file")
    argv = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-i", str(p)]
    proc = subprocess.run(argv, capture_output=True)
    err = proc.stderr.decode("utf-8", "replace")
    if "Invalid data found" in err or "could not find codec parameters" in err.lower() or "moov atom not found" in err:
        raise InputError(f"{p}: not a readable media file (ffmpeg: {err.strip().splitlines()[-1]})")
    v = _VIDEO.search(err)
    a = _AUDIO.search(err)
    # attached cover art is a "video" stream but not a picture track
    if v and "attached pic" in v.group(0):
        v = None
    if not v and not a:
        last = err.strip().splitlines()[-1] if err.strip() else "no streams"
        raise InputError(f"{p}: no audio or video stream found (ffmpeg: {last})")
    dm = _DURATION.search(err)
    duration: int | None = None
    if dm:
        h, m, s = dm.groups()
        duration = int(round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000))
    if duration is None:
        duration = _measure_duration(p)
    start = 0
    sm = _START.search(err)
    if sm:
        start = int(round(float(sm.group(1)) * 1000))
    fps = _fps_fraction(v.group(1)) if v else None
    size = _SIZE.search(v.group(1)) if v else None
    sr = _SR.search(a.group(1)) if a else None
    channels = None
    if a:
        desc = a.group(1)
        if "mono" in desc:
            channels = 1
        elif "stereo" in desc:
            channels = 2
        else:
            cm = re.search(r"(\d+) channels", desc)
            channels = int(cm.group(1)) if cm else None
    return MediaInfo(
        path=str(p),
        duration=duration,
        has_audio=a is not None,
        has_video=v is not None,
        fps_num=fps[0] if fps else None,
        fps_den=fps[1] if fps else None,
        width=int(size.group(1)) if size else None,
        height=int(size.group(2)) if size else None,
        sample_rate=int(sr.group(1)) if sr else None,
        channels=channels,
        start_time=start,
    )


def _measure_duration(p: Path) -> int:
    """Decode to null to learn a duration the container does not state."""
    proc = run_ffmpeg(["-i", str(p), "-map", "0:a:0?", "-f", "null", "-"], what="measuring duration")
    times = re.findall(r"time=(\d+):(\d+):(\d+(?:\.\d+)?)", proc.stderr.decode("utf-8", "replace"))
    if not times:
        raise InputError(f"{p}: cannot determine the media's duration")
    h, m, s = times[-1]
    return int(round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000))


def _decode_argv(path: str, sample_rate: int, start: int | None, duration: int | None) -> list[str]:
    argv = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "error"]
    if start:
        argv += ["-ss", f"{start / 1000:.3f}"]
    argv += ["-i", path]
    if duration is not None:
        argv += ["-t", f"{duration / 1000:.3f}"]
    argv += ["-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", str(sample_rate), "-f", "s16le", "-acodec", "pcm_s16le", "-"]
    return argv


def iter_audio(
    path: str | os.PathLike[str],
    sample_rate: int = SAMPLE_RATE,
    chunk_ms: int = 30_000,
    start: int | None = None,
    duration: int | None = None,
) -> Iterator[np.ndarray]:
    """Stream the first audio track as mono int16 chunks: memory stays flat in media length."""
    argv = _decode_argv(str(path), sample_rate, start, duration)
    chunk_bytes = sample_rate * chunk_ms // 1000 * 2
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        while True:
            buf = proc.stdout.read(chunk_bytes)
            if not buf:
                break
            if len(buf) % 2:
                buf = buf[:-1]
            yield np.frombuffer(buf, dtype=np.int16)
        err = proc.stderr.read().decode("utf-8", "replace")
        rc = proc.wait()
        if rc != 0:
            tail = " | ".join(err.strip().splitlines()[-3:])
            raise MediaError(f"decoding audio of {path} failed: {tail}", argv, err)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def decode_audio(
    path: str | os.PathLike[str],
    sample_rate: int = SAMPLE_RATE,
    start: int | None = None,
    duration: int | None = None,
) -> np.ndarray:
    """The whole (or a span of the) first audio track as one mono int16 array."""
    parts = list(iter_audio(path, sample_rate, start=start, duration=duration))
    if not parts:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate(parts)
