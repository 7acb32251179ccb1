"""The review page's server: one alignment, one media file, one user, on loopback.

Built on Starlette (routing, ``FileResponse`` with HTTP range requests, which a ``<video>``
needs to seek) served by uvicorn in a thread; the page itself is one static HTML file, one
script and one style sheet with no build step (``clipper/review/static``).

Security, because a local server is reachable by every page the user's browser opens:

- it binds to 127.0.0.1 only;
- every request must carry the session's random token (``?token=`` or the
  ``X-Clipper-Token`` header), compared in constant time;
- a ``Host`` header other than ``127.0.0.1``/``localhost`` (DNS rebinding) is refused;
- there is no path parameter that names a file: ``/media`` is the one media file,
  the page's three files are fixed names, so nothing else can be read;
- it writes only beside the alignment: the alignment itself (the version it replaces is
  kept as ``X.align.json.bak``), the clip folder ``X.review-clips/`` and the exports
  ``X.review.edl``, ``X.review.fcpxml``, ``X.review.otio`` (names the server makes, never
  the page).
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from ..errors import ClipperError, InputError, OutputExistsError
from ..model import Alignment, MediaInfo, Segment

__all__ = ["Session", "ReviewServer", "make_app", "segment_row", "EXPORT_FORMATS"]

#: what the page can export the clip queue as
EXPORT_FORMATS = ("edl", "fcpxml", "otio")
_HOSTS = ("127.0.0.1", "localhost")
_STATIC = {"/app.js": ("app.js", "text/javascript; charset=utf-8"), "/app.css": ("app.css", "text/css; charset=utf-8")}


def segment_row(seg: Segment) -> list[Any]:
    """A segment as the page reads it: ``[id, start, end, confidence, text, words]``,
    each word ``[text, start, end]`` (times None when not placed)."""
    return [seg.id, seg.start, seg.end, seg.confidence, seg.text, [[w.text, w.start, w.end] for w in seg.words]]


@dataclass
class Job:
    """A cut running in the background; the page polls it."""

    id: str
    state: str = "running"  # running, done, failed
    done: int = 0
    total: int = 0
    label: str = ""
    error: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    thread: threading.Thread | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "done": self.done, "total": self.total, "label": self.label,
                "error": self.error, "seconds": round(time.monotonic() - self.started, 2), **self.result}  # fmt: skip


class Session:
    """The state one page edits: the alignment (saved on every edit), the media, the jobs."""

    def __init__(self, alignment_path: str | os.PathLike[str], media_path: str | os.PathLike[str], token: str | None = None) -> None:
        from ..alignfile import load
        from ..media import probe

        self.path = Path(alignment_path).resolve()
        self.media = Path(media_path).resolve()
        self.al: Alignment = load(self.path)
        self.info: MediaInfo = probe(self.media)
        self.token = token or secrets.token_urlsafe(24)
        self.lock = threading.Lock()
        self.version = 0
        self.jobs: dict[str, Job] = {}
        self._cache: dict[tuple[str, int], Any] = {}

    # -- names of what the page may write ------------------------------------------------
    @property
    def stem(self) -> str:
        from ..workflow import stem_of

        return stem_of(self.path)

    @property
    def clip_folder(self) -> Path:
        return self.path.with_name(f"{self.stem}.review-clips")

    def export_path(self, fmt: str) -> Path:
        from ..export import default_output

        if fmt not in EXPORT_FORMATS:
            raise InputError(f"export format {fmt!r}: choose {', '.join(EXPORT_FORMATS)}")
        return default_output(self.path.with_name(f"{self.stem}.review.align.json"), fmt)

    # -- reads ---------------------------------------------------------------------------
    def _cached(self, key: str, make: Any) -> Any:
        k = (key, self.version)
        if k not in self._cache:
            self._cache = {kk: v for kk, v in self._cache.items() if kk[1] == self.version}
            self._cache[k] = make()
        return self._cache[k]

    def summary(self) -> dict[str, Any]:
        return dict(self._cached("summary", self._summary))  # 13k lines: built once per version

    def _summary(self) -> dict[str, Any]:
        al, info = self.al, self.info
        fps = [info.fps_num, info.fps_den] if info.has_video and info.fps_num and info.fps_den else None
        placed = sum(1 for s in al.segments if s.placed)
        return {
            "name": self.path.name,
            "media": {"name": self.media.name, "duration": info.duration, "has_video": info.has_video, "fps": fps,
                      "width": info.width, "height": info.height},  # fmt: skip
            "engine": al.engine,
            "placed": placed,
            "total": len(al.segments),
            "version": self.version,
            "edited": sorted(int(a["segment"]) for a in al.settings.get("anchors", ()) if isinstance(a, dict) and a.get("source") == "review"),
            "segments": [segment_row(s) for s in al.segments],
            "export_formats": list(EXPORT_FORMATS),
            "clip_folder": self.clip_folder.name,
        }

    def find(self, query: str, top: int = 10) -> list[dict[str, Any]]:
        from ..query.search import WordIndex, find

        index = self._cached("words", lambda: WordIndex(self.al))
        out = []
        for m in find(index, query, top=top):
            confs = [self.al.segments[i].confidence for i in m.segment_ids]
            out.append({**m.to_dict(), "confidence": min((c for c in confs if c is not None), default=None)})
        return out

    def outline(self) -> dict[str, Any]:
        def make() -> dict[str, Any]:
            from ..query.resolve import resolve_takeaways
            from ..query.search import PassageIndex, locate_topic

            index = PassageIndex(self.al)
            takeaways = [r.to_dict() for r in resolve_takeaways(self.al, index)]
            topics = [
                {"index": k, "title": t.title, "passages": [p.to_dict() for p in locate_topic(index, t.title, top=1)]}
                for k, t in enumerate(self.al.transcript.topics, start=1)
            ]
            return {"takeaways": takeaways, "topics": topics}

        return dict(self._cached("outline", make))

    def subtitles_vtt(self) -> str:
        from .. import subtitles

        return str(self._cached("vtt", lambda: subtitles.compose_vtt(subtitles.layout(self.al))))

    # -- writes --------------------------------------------------------------------------
    def retime(self, seg_id: int, start: int, end: int) -> dict[str, Any]:
        from .edit import retime, save_with_backup

        with self.lock:
            al, changed = retime(self.al, seg_id, start, end)
            try:
                bak = save_with_backup(al, self.path)
            except OSError as e:  # the page shows it; the file and the page keep the last saved state
                raise ClipperError(f"{self.path.name}: could not save ({e.strerror or e}); the fix was not applied") from None
            self.al = al
            self.version += 1
        return {"version": self.version, "saved": self.path.name, "backup": bak.name,
                "changed": [segment_row(al.segments[k]) for k in changed]}  # fmt: skip

    def _ranges(self, clips: Any) -> list[str]:
        if not isinstance(clips, list) or not clips:
            raise InputError("the clip queue is empty: queue lines or an in-out range first")
        out = []
        for c in clips:
            try:
                a, b = int(c["start"]), int(c["end"])
            except (KeyError, TypeError, ValueError):
                raise InputError("each queued clip needs whole-ms 'start' and 'end'") from None
            if not 0 <= a < b <= self.info.duration:
                raise InputError(f"clip {a}-{b} ms: not a span inside the media (0-{self.info.duration} ms)")
            out.append(f"{a / 1000:.3f}-{b / 1000:.3f}")
        return out

    def plan_manifest(self, clips: Any, mode: str) -> Any:
        """The manifest the queue would be cut to (nothing is cut): exports use it."""
        from ..workflow import cut

        return cut(self.media, self.al, self.clip_folder, ranges=self._ranges(clips), mode=mode, dry_run=True, force=True).manifest

    def start_cut(self, clips: Any, mode: str, replace: bool) -> Job:
        from ..clips.cut import check_folder
        from ..workflow import cut

        ranges = self._ranges(clips)
        if mode not in ("accurate", "fast"):
            raise InputError(f"mode {mode!r}: choose accurate or fast")
        try:  # refused before starting: earlier clips are kept
            check_folder(self.clip_folder, replace)
        except InputError:
            if self.clip_folder.is_dir():  # holds earlier clips: the page asks before replacing them
                raise OutputExistsError(self.clip_folder.name) from None
            raise
        with self.lock:
            if any(j.state == "running" for j in self.jobs.values()):
                raise InputError("a cut is already running; wait for it to finish")
            job = Job(secrets.token_hex(6), total=len(ranges), label="planning")
            self.jobs[job.id] = job
            al = self.al

        def progress(label: str, done: int, total: int) -> None:
            job.label, job.done, job.total = label, done, total

        def work() -> None:
            try:
                res = cut(self.media, al, self.clip_folder, ranges=ranges, mode=mode, force=replace, progress=progress)
                job.result = {
                    "folder": self.clip_folder.name,
                    "clips": [{"file": c.file, "start": c.source_start, "end": c.source_end, "duration": c.duration}
                              for c in res.manifest.clips],  # fmt: skip
                    "notes": list(res.notes),
                }
                job.state = "done"
            except ClipperError as e:
                job.error, job.state = str(e), "failed"
            except Exception as e:  # a bug must not leave the page waiting forever
                job.error, job.state = f"internal error: {type(e).__name__}: {e}", "failed"

        job.thread = threading.Thread(target=work, name=f"clipper-cut-{job.id}", daemon=True)
        job.thread.start()
        return job

    def running(self) -> list[Job]:
        """Cuts still in progress (the command waits for them when stopped)."""
        return [j for j in self.jobs.values() if j.state == "running"]

    def export(self, fmt: str, clips: Any, mode: str, replace: bool) -> dict[str, Any]:
        from ..export import write

        path = self.export_path(fmt)
        if path.exists() and not replace:
            raise OutputExistsError(path.name)
        manifest = self.plan_manifest(clips, mode) if clips else None
        res = write(self.al, path, fmt, clips_manifest=manifest, base_dir=self.path.parent, force=replace)
        return {"file": path.name, "notes": list(res.notes), "clips": len(manifest.clips) if manifest else 0}


# -- the web app -----------------------------------------------------------------------------


def _static(name: str) -> str:
    return resources.files("clipper.review").joinpath("static", name).read_text(encoding="utf-8")


class Guard:
    """ASGI wrapper refusing a foreign ``Host`` and any request without the token."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.token = token.encode()
        self.port: int | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        from starlette.responses import PlainTextResponse

        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        host = headers.get(b"host", b"").decode("latin-1")
        name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
        if name not in _HOSTS or (self.port is not None and port and port != str(self.port)):
            await PlainTextResponse(f"forbidden: Host {host!r} is not this server", 403)(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = (query.get("token") or [""])[0].encode() or headers.get(b"x-clipper-token", b"")
        if not hmac.compare_digest(given, self.token):
            await PlainTextResponse("forbidden: this page needs the address 'clipper review' printed (with its token)", 403)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def make_app(session: Session) -> Guard:
    """The ASGI app for ``session``, wrapped in :class:`Guard`."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    def error(e: ClipperError) -> JSONResponse:
        status = 409 if isinstance(e, OutputExistsError) else 400 if isinstance(e, InputError) else 500
        return JSONResponse({"error": str(e)}, status_code=status)

    async def body(request: Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except ValueError:
            raise InputError("the request body is not JSON") from None
        if not isinstance(data, dict):
            raise InputError("the request body is not a JSON object")
        return data

    def index(request: Request) -> Response:
        html = _static("index.html").replace("__TOKEN__", session.token)
        return Response(html, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    def static(request: Request) -> Response:
        name, kind = _STATIC[request.url.path]
        return Response(_static(name), media_type=kind, headers={"Cache-Control": "no-store"})

    def media(request: Request) -> Response:
        return FileResponse(session.media, headers={"Cache-Control": "no-store"})

    def alignment(request: Request) -> Response:
        return JSONResponse(session.summary())

    def find(request: Request) -> Response:
        q = request.query_params.get("q", "").strip()
        if not q:
            return JSONResponse({"query": q, "matches": []})
        return JSONResponse({"query": q, "matches": session.find(q)})

    def outline(request: Request) -> Response:
        return JSONResponse(session.outline())

    def vtt(request: Request) -> Response:
        return PlainTextResponse(session.subtitles_vtt(), media_type="text/vtt; charset=utf-8", headers={"Cache-Control": "no-store"})

    def waveform(request: Request) -> Response:
        try:
            a, b = int(request.query_params["start"]), int(request.query_params["end"])
        except (KeyError, ValueError):
            return JSONResponse({"error": "give start and end in ms"}, status_code=400)
        a, b = max(0, a), min(b, session.info.duration)
        if not session.info.has_audio or b <= a or b - a > 600_000:
            return JSONResponse({"start": a, "bin": 20, "peaks": []})
        return JSONResponse({"start": a, "bin": 20, "peaks": peaks(session.info, a, b, 20)})

    async def segment(request: Request) -> Response:
        try:
            data = await body(request)
            seg_id = int(request.path_params["seg"])
            return JSONResponse(session.retime(seg_id, data.get("start"), data.get("end")))  # type: ignore[arg-type]
        except ClipperError as e:
            return error(e)

    async def cut(request: Request) -> Response:
        try:
            data = await body(request)
            job = session.start_cut(data.get("clips"), str(data.get("mode", "accurate")), bool(data.get("replace")))
            return JSONResponse(job.to_dict())
        except ClipperError as e:
            return error(e)

    def job(request: Request) -> Response:
        j = session.jobs.get(request.path_params["job"])
        return JSONResponse(j.to_dict()) if j else JSONResponse({"error": "no such job"}, status_code=404)

    async def export(request: Request) -> Response:
        try:
            data = await body(request)
            fmt = str(data.get("format", ""))
            return JSONResponse(session.export(fmt, data.get("clips"), str(data.get("mode", "accurate")), bool(data.get("replace"))))
        except ClipperError as e:
            return error(e)

    routes = [
        Route("/", index),
        Route("/app.js", static),
        Route("/app.css", static),
        Route("/media", media),
        Route("/subtitles.vtt", vtt),
        Route("/api/alignment", alignment),
        Route("/api/find", find),
        Route("/api/outline", outline),
        Route("/api/waveform", waveform),
        Route("/api/segments/{seg:int}", segment, methods=["POST"]),
        Route("/api/cut", cut, methods=["POST"]),
        Route("/api/jobs/{job}", job),
        Route("/api/export", export, methods=["POST"]),
    ]
    return Guard(Starlette(routes=routes), session.token)


def peaks(info: MediaInfo, start: int, end: int, bin_ms: int) -> list[int]:
    """Peak level (0-100) of each ``bin_ms`` of [start, end): the waveform strip."""
    import numpy as np

    from ..media import decode_audio

    rate = 8000
    x = decode_audio(info, rate, start=start, duration=end - start)
    per = rate * bin_ms // 1000
    n = len(x) // per
    if n == 0:
        return []
    p = np.abs(x[: n * per].astype(np.int32)).reshape(n, per).max(axis=1)
    db = 20 * np.log10(np.maximum(p, 1) / 32768.0)  # a level scale: quiet speech stays visible
    return [int(v) for v in np.clip((db + 60) * (100 / 60), 0, 100)]


class ReviewServer:
    """uvicorn serving :func:`make_app` on 127.0.0.1 in a thread; ``url`` carries the token."""

    def __init__(self, session: Session, port: int = 0) -> None:
        import uvicorn

        self.session = session
        self.app = make_app(session)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?token={self.session.token}"

    def start(self) -> ReviewServer:
        self.thread = threading.Thread(target=self.server.run, name="clipper-review", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise InputError("the review server could not start (is the port in use? try ⟨--port⟩ 0)")
            time.sleep(0.02)
        self.app.port = self.port
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)

    def __enter__(self) -> ReviewServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
