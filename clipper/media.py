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
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from .errors import InputError, MediaError
from .io import temporary_dir
from .model import AudioTrack, MediaInfo

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # not on POSIX: the default pipe size
    fcntl = None

__all__ = [
    "ffmpeg_binary", "probe", "check_track", "select_track", "describe_tracks", "audio_source", "decode_audio", "iter_audio",
    "run_ffmpeg", "loudest_second", "silent_track_warning", "SAMPLE_RATE", "MEDIA_EXTENSIONS", "Source",
]

#: what the decoders take: a path (its first audio track) or a probed MediaInfo (its
#: ``audio_track``): engines hand on ``request.media`` and never name a track themselves
Source = str | os.PathLike[str] | MediaInfo

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
# "  Stream #0:1[0x2](eng): Audio: aac (LC) ..., 48000 Hz, stereo, fltp (default)"; only
# the first input's streams (#0) are the file's
_STREAM = re.compile(r"^(\s*)Stream #0:(\d+)(?:\[[^\]]*\])?(?:\(([^)]*)\))?: (Video|Audio|Subtitle|Data|Attachment): (.*)$")
_TITLE = re.compile(r"^\s+title\s*:\s*(.*?)\s*$")
_FPS = re.compile(r"(\d+(?:\.\d+)?)(k?) (?:fps|tbr)")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_SAR = re.compile(r"\bSAR (\d+):(\d+)")
_SR = re.compile(r"(\d+) Hz")
#: channel layouts ffmpeg names instead of counting ("5.1(side)" is 6)
_LAYOUTS = {"mono": 1, "stereo": 2, "quad": 4, "hexagonal": 6, "octagonal": 8, "downmix": 2}


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


def _channels(desc: str) -> int | None:
    """Channel count from an audio stream's description (``stereo``, ``5.1(side)``, ``6 channels``)."""
    for part in (p.strip() for p in desc.split(",")):
        name = part.split("(")[0].strip()
        if name in _LAYOUTS:
            return _LAYOUTS[name]
        m = re.fullmatch(r"(\d+)\.(\d+)", name)
        if m:
            return int(m.group(1)) + int(m.group(2))
        m = re.fullmatch(r"(\d+) channels", name)
        if m:
            return int(m.group(1))
    return None


@dataclass(frozen=True, slots=True)
class _Stream:
    number: int
    kind: str
    desc: str
    language: str | None
    title: str | None


def _streams(err: str) -> list[_Stream]:
    """The first input's streams, in order, with their language tag and title."""
    out: list[_Stream] = []
    lines = err.splitlines()
    seen: set[int] = set()
    for i, line in enumerate(lines):
        m = _STREAM.match(line)
        if not m or int(m.group(2)) in seen:
            continue
        seen.add(int(m.group(2)))
        indent = len(m.group(1))
        title = None
        for nxt in lines[i + 1 :]:  # the stream's own "Metadata:" block is indented deeper
            if len(nxt) - len(nxt.lstrip()) <= indent:
                break
            t = _TITLE.match(nxt)
            if t and title is None:
                title = t.group(1) or None
        lang = m.group(3) if m.group(3) and m.group(3) != "und" else None
        out.append(_Stream(int(m.group(2)), m.group(4), m.group(5), lang, title))
    return out


def _codec(desc: str) -> str:
    return re.split(r"[\s,(]", desc.strip(), maxsplit=1)[0]


def describe_tracks(tracks: Sequence[AudioTrack]) -> str:
    """``0 (aac, stereo, eng), 1 (aac, mono, fra)``: the tracks as messages list them."""
    return ", ".join(t.describe() for t in tracks) if tracks else "none"


def probe(path: str | os.PathLike[str], audio_track: int = 0) -> MediaInfo:
    """Duration, streams and frame rate of a media file, from ``ffmpeg -i``.

    ``audio_track`` picks the audio stream later steps decode (0-based among the audio
    streams, as ffmpeg's ``0:a:N``); ``sample_rate`` and ``channels`` are that track's.

    Raises:
        InputError: no such file, not media, no stream, or ``audio_track`` not in the file
            (the message lists its tracks).
    """
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
    streams = _streams(err)
    # attached cover art is a "video" stream but not a picture track
    videos = [st for st in streams if st.kind == "Video" and "attached pic" not in st.desc]
    audios = [st for st in streams if st.kind == "Audio"]
    v = videos[0] if videos else None
    if not v and not audios:
        last = err.strip().splitlines()[-1] if err.strip() else "no streams"
        raise InputError(f"{p}: no audio or video stream found (ffmpeg: {last})")
    tracks = tuple(
        AudioTrack(
            index=k,
            stream=st.number,
            codec=_codec(st.desc),
            channels=_channels(st.desc),
            sample_rate=int(sr.group(1)) if (sr := _SR.search(st.desc)) else None,
            language=st.language,
            title=st.title,
            default="(default)" in st.desc,
        )
        for k, st in enumerate(audios)
    )
    if audio_track != 0:
        check_track(p, tracks, audio_track)
    dm = _DURATION.search(err)
    duration: int | None = None
    if dm:
        h, m, s = dm.groups()
        duration = int(round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000))
    if duration is None:
        duration = _measure_duration(p, audio_track)
    start = 0
    sm = _START.search(err)
    if sm:
        start = int(round(float(sm.group(1)) * 1000))
    fps = _fps_fraction(v.desc) if v else None
    size = _SIZE.search(v.desc) if v else None
    sar = _SAR.search(v.desc) if v else None
    chosen = tracks[audio_track] if tracks else None
    return MediaInfo(
        path=str(p.resolve()),  # editors relink by absolute path
        duration=duration,
        has_audio=bool(tracks),
        has_video=v is not None,
        fps_num=fps[0] if fps else None,
        fps_den=fps[1] if fps else None,
        width=int(size.group(1)) if size else None,
        height=int(size.group(2)) if size else None,
        sample_rate=chosen.sample_rate if chosen else None,
        channels=chosen.channels if chosen else None,
        start_time=start,
        audio_track=audio_track,
        audio_tracks=tracks,
        subtitle_codecs=tuple(_codec(st.desc) for st in streams if st.kind == "Subtitle"),
        data_streams=sum(1 for st in streams if st.kind == "Data"),
        sar_num=int(sar.group(1)) if sar and sar.group(1) != sar.group(2) and int(sar.group(1)) > 0 else None,
        sar_den=int(sar.group(2)) if sar and sar.group(1) != sar.group(2) and int(sar.group(1)) > 0 else None,
    )


def select_track(info: MediaInfo, audio_track: int) -> MediaInfo:
    """``info`` with ``audio_track`` chosen (checked as :func:`probe` checks it)."""
    from dataclasses import replace

    if audio_track == info.audio_track:
        return info
    check_track(info.path, info.audio_tracks, audio_track)
    t = info.audio_tracks[audio_track]
    return replace(info, audio_track=audio_track, sample_rate=t.sample_rate, channels=t.channels)


def check_track(path: str | os.PathLike[str], tracks: Sequence[AudioTrack], audio_track: int) -> None:
    """Refuse an ``--audio-track`` the file does not have, listing the ones it has."""
    if not tracks:
        raise InputError(f"{path}: ⟨--audio-track⟩ {audio_track}: the media has no audio track; leave ⟨--audio-track⟩ out")
    if not 0 <= audio_track < len(tracks):
        raise InputError(
            f"{path}: ⟨--audio-track⟩ {audio_track}: the media has {len(tracks)} audio track(s): {describe_tracks(tracks)}; "
            f"give a number from 0 to {len(tracks) - 1}"
        )


def _measure_duration(p: Path, audio_track: int = 0) -> int:
    """Decode to null to learn a duration the container does not state."""
    proc = run_ffmpeg(["-i", str(p), "-map", f"0:a:{audio_track}?", "-f", "null", "-"], what="measuring duration")
    times = re.findall(r"time=(\d+):(\d+):(\d+(?:\.\d+)?)", proc.stderr.decode("utf-8", "replace"))
    if not times:
        raise InputError(f"{p}: cannot determine the media's duration")
    h, m, s = times[-1]
    return int(round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000))


def audio_source(source: Source, track: int | None = None) -> tuple[str, int]:
    """``(path, audio track)`` of a decoder's ``source``: a MediaInfo's chosen track, else
    ``track`` or the first."""
    if isinstance(source, MediaInfo):
        return source.path, source.audio_track if track is None else track
    return str(source), track or 0


def _decode_argv(path: str, sample_rate: int, start: int | None, duration: int | None, track: int = 0) -> list[str]:
    argv = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "error"]
    # asetnsamples hands on one-second frames: ffmpeg >= 7 passes every frame between threads,
    # and with the decoder's 1024-sample frames that handoff cost more CPU than decoding
    # (1.2 -> 0.6 CPU-s per 10 min of AAC); the samples are byte-identical
    af = f"aresample={sample_rate},asetnsamples=n={sample_rate}:p=0"
    if not start and duration is None:
        # A whole track: the movie source demuxes, decodes and resamples inside one filter
        # graph, on one thread, and only one-second frames cross to the writer. Byte-identical
        # samples; measured: an hour of Opus (20 ms frames) in 7.5 s and 8 CPU-s instead of
        # 8.5 s and 15 (288k futex calls per 10 minutes), 10 minutes of AAC in MP4 in 0.7 s
        # and 0.7 CPU-s instead of 1.3 s and 1.3. (The resampler as an output filter, -af,
        # runs on a thread of its own: 1.4 CPU-s.)
        argv += ["-f", "lavfi", "-i", f"amovie={_graph_escape(path)}:streams=a\\\\:{track},{af}"]
    else:
        if start:
            argv += ["-ss", f"{start / 1000:.3f}"]
        argv += ["-i", path]
        if duration is not None:
            argv += ["-t", f"{duration / 1000:.3f}"]
        argv += ["-map", f"0:a:{track}", "-vn", "-sn", "-dn", "-af", af]
    argv += ["-ac", "1", "-ar", str(sample_rate), "-f", "s16le", "-acodec", "pcm_s16le", "-"]
    return argv


def _graph_escape(value: str) -> str:
    """``value`` as a filter option inside a filter graph: escaped once for the option
    (``\\ ' :``), then again for the graph (``\\ ' [ ] , ;``); spaces too, which each level
    would otherwise trim at the edges (ffmpeg's "Notes on filtergraph escaping")."""
    for special in ("\\':", "\\'[],;"):
        value = "".join("\\" + c if c in special or c.isspace() else c for c in value)
    return value


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
    path: Source,
    sample_rate: int = SAMPLE_RATE,
    chunk_ms: int = 30_000,
    start: int | None = None,
    duration: int | None = None,
    track: int | None = None,
) -> Iterator[np.ndarray]:
    """Stream an audio track as mono int16 chunks: memory stays flat in media length.

    ``path`` is a file (then ``track``, default the first) or a probed :class:`MediaInfo`
    (then its ``audio_track``, which is how ``--audio-track`` reaches every engine).
    """
    path, track = audio_source(path, track)
    argv = _decode_argv(path, sample_rate, start, duration, track)
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
    path: Source,
    sample_rate: int = SAMPLE_RATE,
    start: int | None = None,
    duration: int | None = None,
    track: int | None = None,
) -> np.ndarray:
    """The whole (or a span of an) audio track as one mono int16 array (``path`` and
    ``track`` as for :func:`iter_audio`)."""
    parts = list(iter_audio(path, sample_rate, start=start, duration=duration, track=track))
    if not parts:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate(parts)


#: a track whose loudest second is quieter than this (RMS, dBFS) is silent: speech sits
#: around -35 to -15 dBFS, a muted microphone's hiss at -60 or below, digital silence at -inf
SILENT_DB = -50.0


def loudest_second(source: Source, track: int | None = None, duration: int | None = None, windows: int = 6, window_ms: int = 4000) -> float:
    """RMS level (dBFS, floored at -120) of the loudest second of an audio track.

    A short file is decoded whole; a long one in ``windows`` stretches of ``window_ms``
    spread over it, read by one ffmpeg (an input per stretch, each seeking on its own), so
    the cost does not grow with the file (0.1-0.3 s here, for 10 minutes as for an hour).
    """
    path, track = audio_source(source, track)
    if duration is None:
        duration = source.duration if isinstance(source, MediaInfo) else probe(path).duration
    st = os.stat(path)
    # the file's identity in the key: a process that cuts many clips (a dry run per quote,
    # a batch, the API) measures a track once, and an edited file again
    return _loudest_second(path, st.st_size, st.st_mtime_ns, track, duration, windows, window_ms)


@functools.lru_cache(maxsize=64)
def _loudest_second(path: str, _size: int, _mtime: int, track: int, duration: int, windows: int, window_ms: int) -> float:
    if duration <= windows * window_ms * 2:
        x = decode_audio(path, track=track)
    else:
        argv = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "error"]
        for k in range(windows):
            argv += ["-ss", _sec(duration * (2 * k + 1) // (2 * windows) - window_ms // 2), "-t", _sec(window_ms), "-i", path]
        joined = "".join(f"[{k}:a:{track}]" for k in range(windows)) + f"concat=n={windows}:v=0:a=1[a]"
        argv += ["-filter_complex", joined, "-map", "[a]", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-"]
        proc = subprocess.run(argv, capture_output=True)
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace")
            raise MediaError(f"measuring the level of {path} failed: {' | '.join(err.strip().splitlines()[-3:])}", argv, err)
        x = np.frombuffer(proc.stdout[: len(proc.stdout) // 2 * 2], dtype=np.int16)
    best = -120.0
    y = x.astype(np.float64)
    for sec in np.array_split(y, max(1, len(y) // SAMPLE_RATE)) if len(y) else ():
        ms = float(np.mean(sec * sec))
        if ms > 0:
            best = max(best, 10 * np.log10(ms / 32768.0**2))
    return round(float(best), 1)


def silent_track_warning(info: MediaInfo) -> str | None:
    """A warning when ``info``'s chosen audio track is silent, naming the tracks that have
    sound and how to choose one; None when it has sound (or the media has no audio)."""
    if not info.has_audio:
        return None
    level = loudest_second(info)
    if level >= SILENT_DB:
        return None
    name = Path(info.path).name
    msg = f"audio track {info.audio_track} of {name} is silent (loudest second {level:.0f} dBFS)"
    others = [t for t in info.audio_tracks if t.index != info.audio_track and loudest_second(info, t.index) >= SILENT_DB]
    if others:
        return msg + f"; track {describe_tracks(others)} has sound: choose it with --audio-track {others[0].index}"
    if len(info.audio_tracks) > 1:
        return msg + "; no other audio track has sound either"
    return msg + "; it is the file's only audio track"


# ---------------------------------------------------------------------------------------
# Cutting, joining, burning (clips). Every argv is built as a list here, in one place;
# ``cut_args`` and friends are pure, so tests assert the lists; ``run_ffmpeg`` runs them.

__all__ += [
    "VIDEO_CODEC", "AUDIO_CODEC", "VIDEO_ENCODERS", "VideoEncoder", "encoders", "video_codec_args", "audio_codec_args",
    "vertical_crop", "frame_size", "subtitle_plan", "CutSpec", "cut_args", "cut", "concat_list",
    "concat_args", "keyframes_near", "stream_starts", "burn_support", "subtitle_char_width",
]

#: video and audio encoders for accurate (re-encoded) clips: H.264 + AAC play everywhere
VIDEO_CODEC: tuple[str, ...] = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p")
AUDIO_CODEC: tuple[str, ...] = ("-c:a", "aac", "-b:a", "160k")

_X26X_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo")


@dataclass(frozen=True, slots=True)
class VideoEncoder:
    """A video encoder clips may use (``--video-codec``): its CRF scale and default,
    the option its ``--preset`` sets, and what it always needs."""

    name: str
    crf: int
    crf_range: tuple[int, int]
    preset_flag: str
    preset: str
    presets: tuple[str, ...]
    extra: tuple[str, ...] = ()


#: the encoders clipper knows how to drive, if the ffmpeg in use has them; all go in .mp4.
#: Default CRFs are of similar (visually transparent) quality: x264 18 ~ x265 22.
VIDEO_ENCODERS: dict[str, VideoEncoder] = {
    e.name: e
    for e in (
        VideoEncoder("libx264", 18, (0, 51), "-preset", "veryfast", _X26X_PRESETS, ("-pix_fmt", "yuv420p")),
        # hvc1: the tag Apple players need for HEVC in MP4; x265 logs to stderr on its own unless told
        VideoEncoder("libx265", 22, (0, 51), "-preset", "fast", _X26X_PRESETS,
                     ("-pix_fmt", "yuv420p", "-tag:v", "hvc1", "-x265-params", "log-level=error")),  # fmt: skip
        # constant quality for libvpx/libaom needs -b:v 0; "preset" is their -cpu-used speed
        VideoEncoder("libvpx-vp9", 31, (0, 63), "-cpu-used", "4", tuple(str(k) for k in range(9)),
                     ("-b:v", "0", "-row-mt", "1", "-deadline", "good", "-pix_fmt", "yuv420p")),  # fmt: skip
        VideoEncoder("libaom-av1", 30, (0, 63), "-cpu-used", "6", tuple(str(k) for k in range(9)),
                     ("-b:v", "0", "-row-mt", "1", "-pix_fmt", "yuv420p")),  # fmt: skip
        VideoEncoder("libsvtav1", 35, (1, 63), "-preset", "8", tuple(str(k) for k in range(14)), ("-pix_fmt", "yuv420p")),
    )
}


@functools.lru_cache(maxsize=2)
def encoders(binary: str | None = None) -> frozenset[str]:
    """Names of the encoders the ffmpeg in use was built with (``ffmpeg -encoders``)."""
    proc = subprocess.run([binary or ffmpeg_binary(), "-nostdin", "-hide_banner", "-encoders"], capture_output=True)
    text = proc.stdout.decode("utf-8", "replace")
    return frozenset(m.group(1) for m in re.finditer(r"^ [VAS][F.][S.][X.][B.][D.] (\S+)", text, re.M))


def _usable_video_codecs() -> list[str]:
    have = encoders()
    return [n for n in VIDEO_ENCODERS if n in have]


def video_codec_args(codec: str | None = None, crf: int | None = None, preset: str | None = None) -> tuple[str, ...]:
    """ffmpeg arguments for an accurate clip's picture (``--video-codec``, ``--crf``, ``--preset``).

    >>> video_codec_args() == VIDEO_CODEC
    True
    >>> video_codec_args("libx264", crf=23, preset="slow")
    ('-c:v', 'libx264', '-preset', 'slow', '-crf', '23', '-pix_fmt', 'yuv420p')

    Raises:
        InputError: a codec clipper does not drive or this ffmpeg lacks (the message lists
            the usable ones), a CRF outside the codec's scale, an unknown preset.
    """
    name = codec or "libx264"
    enc = VIDEO_ENCODERS.get(name)
    if enc is None or name not in encoders():
        why = "is not one clipper encodes clips with" if enc is None else f"is not in this ffmpeg ({ffmpeg_binary()})"
        raise InputError(f"⟨--video-codec⟩ {name!r} {why}; choose one of {', '.join(_usable_video_codecs()) or 'none (no encoder found)'}")
    q = enc.crf if crf is None else crf
    lo, hi = enc.crf_range
    if not lo <= q <= hi:
        raise InputError(f"⟨--crf⟩ {q}: {name} takes {lo} (best) to {hi} (smallest); its default is {enc.crf}")
    p = enc.preset if preset is None else str(preset)
    if p not in enc.presets:
        raise InputError(f"⟨--preset⟩ {p!r}: {name} takes one of {', '.join(enc.presets)} (default {enc.preset})")
    return ("-c:v", name, enc.preset_flag, p, "-crf", str(q), *enc.extra)


def audio_codec_args(bitrate: str | None = None) -> tuple[str, ...]:
    """ffmpeg arguments for an accurate clip's audio tracks (AAC at ``--audio-bitrate``).

    >>> audio_codec_args("96k")
    ('-c:a', 'aac', '-b:a', '96k')

    Raises:
        InputError: a bitrate that is not ``N`` or ``Nk`` between 16k and 512k.
    """
    if bitrate is None:
        return AUDIO_CODEC
    m = re.fullmatch(r"\s*(\d+)\s*([kK]?)\s*", str(bitrate))
    bps = (int(m.group(1)) * (1000 if m.group(2) else 1)) if m else 0
    if not 16_000 <= bps <= 512_000:
        raise InputError(f"⟨--audio-bitrate⟩ {bitrate!r}: give a bitrate such as 128k or 192k (16k to 512k)")
    return ("-c:a", "aac", "-b:a", f"{bps // 1000}k" if bps % 1000 == 0 else str(bps))


def _even(x: float) -> int:
    return max(2, int(x) // 2 * 2)


def vertical_crop(
    width: int, height: int, sar: tuple[int, int] | None = None, aspect: tuple[int, int] = (9, 16), x_offset: int | None = None
) -> tuple[int, int, int, int]:
    """The crop ``(w, h, x, y)`` in source pixels whose picture has display aspect ``aspect``.

    Full height and ``x_offset`` from the left (None: centred) when the source is wider
    than ``aspect``; full width and centred when it is narrower. ``sar`` is the source's
    pixel aspect (anamorphic video), None for square pixels.

    >>> vertical_crop(640, 360)
    (202, 360, 219, 0)
    >>> vertical_crop(1920, 1080, x_offset=5000)
    (606, 1080, 1314, 0)
    >>> vertical_crop(720, 1600)        # narrower than 9:16: the height is cropped
    (720, 1280, 0, 160)
    """
    sn, sd = sar if sar else (1, 1)
    an, ad = aspect
    cw = _even(height * an * sd / (ad * sn))
    if cw <= width:
        room = width - cw
        x = room // 2 if x_offset is None else min(max(0, x_offset), room)
        return cw, height // 2 * 2, x, 0
    ch = _even(width * sn * ad / (sd * an))
    return width // 2 * 2, ch, 0, (height - ch) // 2


#: vertical clips are at least this tall (1080x1920, what phone platforms show full screen)
VERTICAL_HEIGHT = 1920


def frame_size(
    width: int | None, height: int | None, sar: tuple[int, int] | None = None, vertical: bool = False, scale: tuple[int, int] | None = None
) -> tuple[int, int] | None:
    """The clip's picture size: ``scale`` when given; for ``vertical``, 9:16 at least
    1080x1920, or the source's height when taller (even dimensions, square pixels); else
    None (the source's own size).

    >>> frame_size(640, 360, vertical=True), frame_size(3840, 2160, vertical=True)
    ((1080, 1920), (1214, 2160))
    >>> frame_size(640, 360, scale=(1280, 720)), frame_size(640, 360)
    ((1280, 720), None)
    """
    if scale is not None:
        return scale
    if not vertical:
        return None
    h = VERTICAL_HEIGHT
    if width and height:
        h = max(h, vertical_crop(width, height, sar)[1])
    return _even(h * 9 / 16), _even(h)


#: subtitle codecs that are text (an .mp4 clip can carry them, as mov_text)
TEXT_SUBTITLES = frozenset({"mov_text", "subrip", "srt", "ass", "ssa", "webvtt", "text"})


def subtitle_plan(codecs: Sequence[str], ext: str) -> tuple[tuple[int, ...], str | None]:
    """Which of the source's subtitle streams a clip in container ``ext`` keeps, and the
    codec to write them with (None: keep none). Matroska keeps every one as it is; MP4/MOV
    keeps text ones as mov_text; WebM text ones as WebVTT; other containers none.

    >>> subtitle_plan(["subrip", "hdmv_pgs_subtitle"], ".mp4"), subtitle_plan(["hdmv_pgs_subtitle"], ".mkv")
    (((0,), 'mov_text'), ((0,), 'copy'))
    """
    ext = ext.lower()
    if ext in (".mkv", ".mka"):
        keep = tuple(range(len(codecs)))
        return keep, ("copy" if keep else None)
    target = {".mp4": "mov_text", ".m4a": "mov_text", ".mov": "mov_text", ".webm": "webvtt"}.get(ext)
    keep = tuple(k for k, c in enumerate(codecs) if c in TEXT_SUBTITLES) if target else ()
    return keep, (target if keep else None)


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
    keyframe (see :func:`keyframes_near`). ``fade``, ``subtitles`` (an SRT to burn in,
    styled by ``subtitle_style``, libass ``force_style``), ``vertical`` (a crop to the
    ``frame``'s aspect, 9:16 without one, at ``x_offset`` pixels from the left; None =
    centred) and ``frame`` (the output picture size: scaled to it, letterboxed when not
    vertical) need ``accurate``. ``width``/``height``/``sar`` are the source picture's.

    Every audio track is kept (``audio_tracks`` of them), ``audio_track`` first and
    default; ``subtitle_streams`` (0-based among the source's subtitle streams) are kept
    as ``subtitle_codec``; data streams never.
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
    sar: tuple[int, int] | None = None
    frame: tuple[int, int] | None = None
    subtitle_style: str | None = None
    audio_track: int = 0
    audio_tracks: int = 1
    subtitle_streams: tuple[int, ...] = ()
    subtitle_codec: str = "copy"
    #: ms of sound silenced at the start / end (a frame edge inside a neighbouring word)
    mute_head: int = 0
    mute_tail: int = 0

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"cut {self.dest}: end {self.end} <= start {self.start}")
        if self.mode not in ("accurate", "fast"):
            raise ValueError(f"mode must be 'accurate' or 'fast', not {self.mode!r}")
        if self.mode == "fast" and (self.fade or self.subtitles or self.vertical or self.frame):
            raise InputError("fades, ⟨--burn⟩, ⟨--vertical⟩ and ⟨--scale⟩ re-encode the picture; use ⟨--mode⟩ accurate")
        if not self.video and not self.audio:
            raise InputError(f"{self.source}: no audio or video stream to cut")
        if not self.video and (self.subtitles or self.vertical or self.frame):
            raise InputError(f"{self.source}: has no video, so subtitles cannot be burnt in nor the picture cropped or scaled; drop ⟨--burn⟩/⟨--vertical⟩/⟨--scale⟩")
        if self.audio and not 0 <= self.audio_track < max(1, self.audio_tracks):
            raise InputError(f"{self.source}: ⟨--audio-track⟩ {self.audio_track}: the media has {self.audio_tracks} audio track(s)")

    @property
    def audio_order(self) -> list[int]:
        """The source's audio tracks in the clip's order: the chosen one first."""
        if not self.audio:
            return []
        return [self.audio_track, *(k for k in range(self.audio_tracks) if k != self.audio_track)]


#: ms over which sound silenced at a clip's edge comes back (a hard gate would click)
MUTE_RAMP = 5


def video_graph(spec: CutSpec) -> tuple[str, str] | None:
    r"""The picture's filter graph for ``spec`` (crop, scale, burnt-in subtitles, fades)
    and the label of its output, or None when the picture passes unfiltered.

    Built with ffmpeg-python, which escapes every option value twice as
    ffmpeg-filters(1) "Notes on filtergraph escaping" requires: a subtitle path such as
    ``a'b,c;[d]:e.srt`` is a file name, never more graph (tests/test_cut.py).

    >>> print(*video_graph(CutSpec("in.mp4", "o.mp4", 0, 2000, subtitles="/x/it's, [a].srt")))
    [0:v]subtitles=filename=/x/it\\\'s\, \[a\].srt[s0] [s0]
    >>> print(video_graph(CutSpec("in.mp4", "o.mp4", 0, 2000, vertical=True, width=640, height=360, frame=(1080, 1920)))[0])
    [0:v]crop=202:360:219:0[s0];[s0]scale=1080:1920:flags=lanczos[s1];[s1]setsar=1[s2]
    """
    import ffmpeg  # ffmpeg-python: graphs only; clipper runs the binary itself

    v = ffmpeg.input(spec.source).video
    plain = v
    if spec.vertical:
        aspect = spec.frame or (9, 16)
        if spec.width and spec.height:
            cw, ch, x, y = vertical_crop(spec.width, spec.height, spec.sar, aspect, spec.x_offset)
            v = v.filter("crop", cw, ch, x, y)
            cropped: tuple[int, int] | None = (cw, ch)
        else:  # size unknown: the same crop as expressions, full height
            an, ad = aspect
            xo = "(iw-ow)/2" if spec.x_offset is None else f"min({spec.x_offset},iw-ow)"
            v = v.filter("crop", f"trunc(ih*{an}/{ad}/2)*2", "ih", xo, 0)
            cropped = None
        if spec.frame and (spec.frame != cropped or spec.sar):
            v = v.filter("scale", spec.frame[0], spec.frame[1], flags="lanczos").filter("setsar", 1)
    elif spec.frame and (spec.frame != (spec.width, spec.height) or spec.sar):
        # the whole picture as shown (non-square pixels made square first), fitted into the frame and letterboxed
        w, h = spec.frame
        if spec.sar:
            v = v.filter("scale", "trunc(iw*sar/2)*2", "ih").filter("setsar", 1)
        v = v.filter("scale", w, h, force_original_aspect_ratio="decrease", force_divisible_by=2, flags="lanczos")
        v = v.filter("pad", w, h, "(ow-iw)/2", "(oh-ih)/2").filter("setsar", 1)
    if spec.subtitles:
        kw = {"fontsdir": spec.fonts_dir} if spec.fonts_dir else {}
        if spec.subtitle_style:
            kw["force_style"] = spec.subtitle_style
        v = v.filter("subtitles", filename=spec.subtitles, **kw)
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
    order = spec.audio_order
    for k in order:
        args += ["-map", f"0:a:{k}"]
    for k in spec.subtitle_streams:
        args += ["-map", f"0:s:{k}"]
    args += ([] if spec.subtitle_streams else ["-sn"]) + ["-dn", "-map_metadata", "-1", "-map_chapters", "-1"]
    if len(order) > 1:
        # -map_metadata -1 drops the streams' tags too: keep each track's language and title,
        # and make the chosen track the one players start with
        for j, k in enumerate(order):
            args += [f"-map_metadata:s:a:{j}", f"0:s:a:{k}"]
        for j in range(len(order)):
            args += [f"-disposition:a:{j}", "default" if j == 0 else "0"]
    for j, k in enumerate(spec.subtitle_streams):
        args += [f"-map_metadata:s:s:{j}", f"0:s:s:{k}"]
    if spec.mode == "fast":
        # no -avoid_negative_ts: shifting to the first *decode* time would delay the
        # picture by the B-frame reorder delay; the MP4 edit list keeps both at 0
        args += ["-c", "copy"]
    else:
        if spec.video:
            args += list(spec.video_codec)
        if spec.audio:
            args += list(spec.audio_codec)
            chain = []
            if spec.fade:
                f = min(spec.fade, d // 2)
                chain += [f"afade=t=in:st=0:d={_sec(f)}", f"afade=t=out:st={_sec(d - f)}:d={_sec(f)}"]
            # afade is silent before an "in" fade and after an "out" one: the sliver of a
            # neighbouring word under a frame edge is not heard; the 5 ms ramp avoids a click
            if spec.mute_head:
                chain.append(f"afade=t=in:st={_sec(spec.mute_head)}:d={_sec(MUTE_RAMP)}")
            if spec.mute_tail:
                chain.append(f"afade=t=out:st={_sec(max(0, d - spec.mute_tail - MUTE_RAMP))}:d={_sec(MUTE_RAMP)}")
            if chain:
                args += ["-af", ",".join(chain)]
    if spec.subtitle_streams and spec.subtitle_codec != "copy":
        args += ["-c:s", spec.subtitle_codec]
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
    # -map 0: every stream (all audio tracks), not ffmpeg's pick of one of each kind
    args = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", list_file, "-map", "0", "-c", "copy"]
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
    packet times. Used to check that a clip's audio and video start together. One run a
    stream: ffmpeg filters video and audio in threads of their own, whose log lines can
    interleave (a video line then ends with an audio frame's time).
    """
    info = probe(path)
    starts: dict[str, int] = {}
    for kind, present, stream, flt, name in (
        ("video", info.has_video, "0:v:0", "-vf", "showinfo"),
        ("audio", info.has_audio, "0:a:0", "-af", "ashowinfo"),
    ):
        if not present:
            continue
        tag = f"Parsed_{name}_"
        args = ["-i", str(path), "-t", "0.2", "-map", stream, flt, name]
        err = run_ffmpeg([*args, "-f", "null", "-"], what="reading stream starts").stderr.decode("utf-8", "replace")
        m = re.search(re.escape(tag) + r"[^\n]*?pts_time:\s*(-?[\d.]+)", err)
        if m:
            starts[kind] = int(round(float(m.group(1)) * 1000))
    return starts


@functools.lru_cache(maxsize=4)
def burn_support(fonts_dir: str | None = None) -> tuple[bool, str]:
    """Can this ffmpeg burn subtitles in? (libass present and a font found.)

    Renders one frame with a one-cue SRT and reads libass's font choice from the log.
    """
    with temporary_dir("clipper-burn-") as tmp:
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


#: a line of ordinary English (capitals, punctuation, spaces) whose rendered width stands
#: for any line's (63 characters)
_WIDTH_SAMPLE = "Well, that's the thing: Most of what we found was quite normal."


@functools.lru_cache(maxsize=4)
def subtitle_char_width(fonts_dir: str | None = None) -> float:
    """Mean width of a character of burnt-in subtitles, in ems of the font size: the font
    libass picks here, measured by rendering a sample line (DejaVu Sans: ~0.45).

    Widths scale with the font size alone (libass keeps glyphs square whatever the
    frame's shape), so one measurement serves every frame. 0.5 when nothing renders.
    """
    import ffmpeg

    size, w, h = 40, 2400, 288  # at PlayResY 288 (what SRT gets) Fontsize is pixels on a 288-high frame
    with temporary_dir("clipper-font-") as tmp:
        srt = Path(tmp) / "w.srt"
        srt.write_text(f"1\n00:00:00,000 --> 00:00:01,000\n{_WIDTH_SAMPLE}\n", encoding="utf-8")
        v = ffmpeg.input(f"color=c=black:s={w}x{h}:d=0.1", f="lavfi").video
        kw = {"fontsdir": fonts_dir} if fonts_dir else {}
        v = v.filter("subtitles", filename=str(srt), force_style=f"Fontsize={size},WrapStyle=2,Outline=0,Shadow=0", **kw)
        out = ffmpeg.output(v, "-", f="rawvideo", pix_fmt="gray", **{"frames:v": 1})
        proc = subprocess.run([ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "error", *out.get_args()], capture_output=True)
    if proc.returncode != 0 or len(proc.stdout) != w * h:
        return 0.5
    cols = np.nonzero((np.frombuffer(proc.stdout, dtype=np.uint8).reshape(h, w) > 96).any(axis=0))[0]
    if not len(cols):
        return 0.5
    return round(float(cols[-1] - cols[0] + 1) / (size * len(_WIDTH_SAMPLE)), 4)
