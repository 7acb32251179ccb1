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
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

import numpy as np

from .errors import InputError, MediaError
from .model import MediaInfo

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # not on POSIX: the default pipe size
    fcntl = None

__all__ = ["ffmpeg_binary", "probe", "decode_audio", "iter_audio", "run_ffmpeg", "SAMPLE_RATE", "MEDIA_EXTENSIONS"]

#: analysis sample rate for every engine (VAD and acoustic models want 16 kHz mono)
SAMPLE_RATE = 16000

#: file endings taken for media (audio or video) when a folder is scanned
MEDIA_EXTENSIONS = (".mp4", ".m4a", ".mov", ".mkv", ".webm", ".mp3", ".opus", ".ogg", ".wav", ".flac", ".aac", ".ts")


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
        path=str(p.resolve()),  # editors relink by absolute path
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
    # asetnsamples hands on one-second frames: ffmpeg >= 7 passes every frame between threads,
    # and with the decoder's 1024-sample frames that handoff cost more CPU than decoding
    # (1.2 -> 0.6 CPU-s per 10 min of AAC); the samples are byte-identical
    af = f"aresample={sample_rate},asetnsamples=n={sample_rate}:p=0"
    argv += ["-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", str(sample_rate), "-af", af,
             "-f", "s16le", "-acodec", "pcm_s16le", "-"]  # fmt: skip
    return argv


def _widen_pipe(fd: int, want: int) -> None:
    """Let ffmpeg write ahead while the reader works: with the default 64 KB pipe it blocks
    every few frames and wakes its threads again each time (1.3 -> 1.1 CPU-s of ffmpeg per
    10 minutes of AAC read by the activity engine)."""
    size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if fcntl is None or size is None:
        return
    for n in (min(want, 1 << 20), 1 << 18):
        try:
            fcntl.fcntl(fd, size, n)
            return
        except OSError:  # above /proc/sys/fs/pipe-max-size: try smaller
            continue


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
    _widen_pipe(proc.stdout.fileno(), chunk_bytes)
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


# ---------------------------------------------------------------------------------------
# Cutting, joining, burning (clips). Every argv is built as a list here, in one place;
# ``cut_args`` and friends are pure, so tests assert the lists; ``run_ffmpeg`` runs them.

from dataclasses import dataclass  # noqa: E402  (kept with the section that uses it)

__all__ += [
    "VIDEO_CODEC", "AUDIO_CODEC", "CutSpec", "cut_args", "cut", "concat_list",
    "concat_args", "keyframes_near", "stream_starts", "burn_support",
]

#: video and audio encoders for accurate (re-encoded) clips: H.264 + AAC play everywhere
VIDEO_CODEC: tuple[str, ...] = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p")
AUDIO_CODEC: tuple[str, ...] = ("-c:a", "aac", "-b:a", "160k")


def _sec(ms: int) -> str:
    """Milliseconds as ffmpeg seconds: exact, no float drift (``1500`` -> ``1.500``)."""
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    return f"{sign}{ms // 1000}.{ms % 1000:03d}"


@dataclass(frozen=True, slots=True)
class CutSpec:
    """One clip to cut from ``source`` into ``dest``: the span, the mode and the extras.

    ``mode``: ``accurate`` re-encodes (``-ss`` before ``-i`` seeks exactly; the first
    frame is the one at ``start``); ``fast`` copies the streams, so ``start`` must be a
    keyframe (see :func:`keyframes_near`). ``fade``, ``subtitles`` (an SRT to burn in) and
    ``vertical`` (a 9:16 crop at ``x_offset`` pixels from the left; None = centred) need
    ``accurate``.
    """

    source: str
    dest: str
    start: int
    end: int
    mode: str = "accurate"
    video: bool = True
    audio: bool = True
    fade: int = 0
    subtitles: str | None = None
    fonts_dir: str | None = None
    vertical: bool = False
    x_offset: int | None = None
    width: int | None = None
    height: int | None = None
    video_codec: tuple[str, ...] = VIDEO_CODEC
    audio_codec: tuple[str, ...] = AUDIO_CODEC

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"cut {self.dest}: end {self.end} <= start {self.start}")
        if self.mode not in ("accurate", "fast"):
            raise ValueError(f"mode must be 'accurate' or 'fast', not {self.mode!r}")
        if self.mode == "fast" and (self.fade or self.subtitles or self.vertical):
            raise InputError("fades, --burn and --vertical re-encode the picture; use --mode accurate")
        if not self.video and not self.audio:
            raise InputError(f"{self.source}: no audio or video stream to cut")
        if not self.video and (self.subtitles or self.vertical):
            raise InputError(f"{self.source}: has no video, so subtitles cannot be burnt in nor cropped; drop --burn/--vertical")


def video_graph(spec: CutSpec) -> tuple[str, str] | None:
    r"""The picture's filter graph for ``spec`` (crop, burnt-in subtitles, fades) and the
    label of its output, or None when the picture passes unfiltered.

    Built with ffmpeg-python, which escapes every option value twice as
    ffmpeg-filters(1) "Notes on filtergraph escaping" requires: a subtitle path such as
    ``a'b,c;[d]:e.srt`` is a file name, never more graph (tests/test_cut.py).

    >>> print(*video_graph(CutSpec("in.mp4", "o.mp4", 0, 2000, subtitles="/x/it's, [a].srt")))
    [0:v]subtitles=filename=/x/it\\\'s\, \[a\].srt[s0] [s0]
    """
    import ffmpeg  # ffmpeg-python: graphs only; clipper runs the binary itself

    v = ffmpeg.input(spec.source).video
    plain = v
    if spec.vertical:
        if spec.height:
            cw = (spec.height * 9 // 16) // 2 * 2
            if spec.width and cw > spec.width:
                raise InputError(f"{spec.source}: the picture ({spec.width}x{spec.height}) is narrower than 9:16; drop --vertical")
            room = (spec.width or cw) - cw
            x = room // 2 if spec.x_offset is None else min(max(0, spec.x_offset), room)
            v = v.filter("crop", cw, spec.height, x, 0)
        else:
            v = v.filter("crop", "trunc(ih*9/16/2)*2", "ih", "(iw-ow)/2" if spec.x_offset is None else f"min({spec.x_offset},iw-ow)", 0)
    if spec.subtitles:
        v = v.filter("subtitles", filename=spec.subtitles, **({"fontsdir": spec.fonts_dir} if spec.fonts_dir else {}))
    if spec.fade:
        d = spec.end - spec.start
        f = min(spec.fade, d // 2)
        v = v.filter("fade", t="in", st=0, d=_sec(f)).filter("fade", t="out", st=_sec(d - f), d=_sec(f))
    if v is plain:
        return None
    args = ffmpeg.output(v, spec.dest).get_args()
    return args[args.index("-filter_complex") + 1], args[args.index("-map") + 1]


def cut_args(spec: CutSpec) -> list[str]:
    """The ffmpeg arguments (without the binary) that cut ``spec``.

    >>> cut_args(CutSpec("in.mp4", "out.mp4", 1500, 4000, mode="fast"))[:12]
    ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-ss', '1.500', '-i', 'in.mp4', '-t', '2.500', '-map']
    """
    d = spec.end - spec.start
    args = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-ss", _sec(spec.start), "-i", spec.source, "-t", _sec(d)]
    graph = video_graph(spec) if spec.video and spec.mode != "fast" else None
    if graph is not None:
        args += ["-filter_complex", graph[0], "-map", graph[1]]
    elif spec.video:
        args += ["-map", "0:v:0"]
    if spec.audio:
        args += ["-map", "0:a:0"]
    args += ["-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1"]
    if spec.mode == "fast":
        # no -avoid_negative_ts: shifting to the first *decode* time would delay the
        # picture by the B-frame reorder delay; the MP4 edit list keeps both at 0
        args += ["-c", "copy"]
    else:
        if spec.video:
            args += list(spec.video_codec)
        if spec.audio:
            args += list(spec.audio_codec)
            if spec.fade:
                f = min(spec.fade, d // 2)
                args += ["-af", f"afade=t=in:st=0:d={_sec(f)},afade=t=out:st={_sec(d - f)}:d={_sec(f)}"]
    if spec.dest.lower().endswith((".mp4", ".m4a", ".mov")):
        args += ["-movflags", "+faststart"]
    args.append(spec.dest)
    return args


def cut(spec: CutSpec) -> None:
    """Run the cut; MediaError (with argv and stderr) when ffmpeg fails."""
    run_ffmpeg(cut_args(spec)[2:], what=f"cutting {Path(spec.dest).name}")


def concat_list(paths: Sequence[str]) -> str:
    """A concat-demuxer list file's text (paths quoted the demuxer's way)."""
    return "ffconcat version 1.0\n" + "".join("file '" + os.path.abspath(p).replace("'", "'\\''") + "'\n" for p in paths)


def concat_args(list_file: str, dest: str) -> list[str]:
    """Join clips made with identical stream settings (all clips of one run) by copying."""
    args = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", list_file, "-c", "copy"]
    if dest.lower().endswith((".mp4", ".m4a", ".mov")):
        args += ["-movflags", "+faststart"]
    return [*args, dest]


_TB = re.compile(r"^#tb (\d+): (\d+)/(\d+)", re.M)


def keyframes_near(
    path: str | os.PathLike[str],
    ms: int,
    before: int = 20_000,
    after: int = 1_000,
) -> list[int]:
    """Keyframe times (ms) of the first video stream in ``[ms - before, ms + after]``.

    Reads packet flags with a stream copy into ``framecrc`` (no decoding, no ffprobe):
    a keyframe packet carries no ``F=0x0``. Only the window is read, so the cost does not
    grow with the file (~0.04 s on a 1-hour MP4). Widens once (to 5 min) when the
    window holds no keyframe.
    """
    for back in (before, max(before, 300_000)):
        lo = max(0, ms - back)
        args = [
            "-ss", _sec(lo), "-i", str(path), "-to", _sec(ms + after), "-map", "0:v:0",
            "-c", "copy", "-copyts", "-start_at_zero", "-f", "framecrc", "-",
        ]
        out = run_ffmpeg(args, what="listing keyframes").stdout.decode("utf-8", "replace")
        tb = _TB.search(out)
        if not tb:
            return []
        num, den = int(tb.group(2)), int(tb.group(3))
        keys = []
        for line in out.splitlines():
            if line.startswith("#") or "F=0x0" in line:
                continue
            parts = [p.strip() for p in line.split(",")]
            if len(parts) < 5:
                continue
            pts = int(parts[2])
            keys.append(int(round(pts * num * 1000 / den)))
        keys = sorted(set(k for k in keys if k <= ms + after))
        if any(k <= ms for k in keys) or lo == 0:
            return keys
    return keys


def stream_starts(path: str | os.PathLike[str]) -> dict[str, int]:
    """Time (ms) of the first decoded video frame and audio frame, as a player sees them.

    Decodes 0.2 s with ``showinfo``/``ashowinfo`` (no ffprobe here); decoding applies the
    encoder delay (AAC priming, edit lists), so the numbers are what plays, not raw
    packet times. Used to check that a clip's audio and video start together.
    """
    info = probe(path)
    args = ["-i", str(path), "-t", "0.2"]
    if info.has_video:
        args += ["-map", "0:v:0", "-vf", "showinfo"]
    if info.has_audio:
        args += ["-map", "0:a:0", "-af", "ashowinfo"]
    err = run_ffmpeg([*args, "-f", "null", "-"], what="reading stream starts").stderr.decode("utf-8", "replace")
    starts: dict[str, int] = {}
    for kind, tag in (("video", "Parsed_showinfo_"), ("audio", "Parsed_ashowinfo_")):
        m = re.search(re.escape(tag) + r"[^\n]*?pts_time:\s*(-?[\d.]+)", err)
        if m:
            starts[kind] = int(round(float(m.group(1)) * 1000))
    return starts


@functools.lru_cache(maxsize=4)
def burn_support(fonts_dir: str | None = None) -> tuple[bool, str]:
    """Can this ffmpeg burn subtitles in? (libass present and a font found.)

    Renders one frame with a one-cue SRT and reads libass's font choice from the log.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="clipper-burn-") as tmp:
        srt = Path(tmp) / "probe.srt"
        srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nTest\n", encoding="utf-8")
        import ffmpeg  # ffmpeg-python builds (and escapes) the graph, as for real cuts

        v = ffmpeg.input("color=c=black:s=64x64:d=0.1", f="lavfi").video
        v = v.filter("subtitles", filename=str(srt), **({"fontsdir": fonts_dir} if fonts_dir else {}))
        out = ffmpeg.output(v, "-", f="null", **{"frames:v": 1})
        argv = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "verbose", *out.get_args()]
        proc = subprocess.run(argv, capture_output=True)
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        if "No such filter" in err or "Filter not found" in err:
            return False, "this ffmpeg has no libass (subtitles filter)"
        return False, "ffmpeg's subtitles filter failed: " + " | ".join(err.strip().splitlines()[-2:])
    m = re.search(r"fontselect: \([^)]*\) -> ([^,]+),", err)
    if not m:
        return False, "libass found no font (no fontconfig fonts and none shipped)"
    return True, f"font {Path(m.group(1).strip()).name}"
