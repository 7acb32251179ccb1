"""``clipper review`` without a browser: the server's guard, its writes, and the edit rule.

A real server (uvicorn on 127.0.0.1) serves the sample aligned by the speech engine; the
requests are raw HTTP (``http.client``) so the Host header and the path go out as written.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clipper
from clipper import alignfile
from clipper.cli import main
from clipper.errors import InputError
from clipper.model import Alignment, MediaInfo, Segment, Transcript, Word
from clipper.review import ReviewServer, Session, retime

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.fixture
def server(aligned: Path, tmp_path: Path) -> Any:
    path = tmp_path / "interview.align.json"
    shutil.copy(aligned, path)
    with ReviewServer(Session(path, SAMPLES / "interview.mp4")) as srv:
        yield srv


def request(srv: ReviewServer, method: str, path: str, *, token: bool | str = True, host: str | None = None,
            body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:  # fmt: skip
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    sep = "&" if "?" in path else "?"
    tok = srv.session.token if token is True else token
    url = f"{path}{sep}token={tok}" if tok else path
    h = {"Host": host if host is not None else f"127.0.0.1:{srv.port}", **(headers or {})}
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        h["Content-Type"] = "application/json"
    conn.putrequest(method, url, skip_host=True, skip_accept_encoding=True)
    for k, v in h.items():
        conn.putheader(k, v)
    if data is not None:
        conn.putheader("Content-Length", str(len(data)))
    conn.endheaders(data)
    r = conn.getresponse()
    out = r.status, r.read()
    conn.close()
    return out


# -- the guard -------------------------------------------------------------------------------


def test_binds_to_loopback_only(server: ReviewServer):
    assert server.server.servers[0].sockets[0].getsockname()[0] == "127.0.0.1"
    # another address of this machine does not answer
    try:
        other = next(a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET) if not a[4][0].startswith("127."))
    except (StopIteration, OSError):
        pytest.skip("this machine has no address but loopback")
    with pytest.raises(OSError), socket.create_connection((other, server.port), timeout=2):
        pass


def test_every_request_needs_the_token(server: ReviewServer):
    for path in ("/", "/app.js", "/app.css", "/media", "/subtitles.vtt", "/api/alignment", "/api/find?q=corpus", "/api/outline"):
        status, body = request(server, "GET", path, token=False)
        assert status == 403, path
        assert b"token" in body
        assert request(server, "GET", path, token="x" * len(server.session.token))[0] == 403, path
        assert request(server, "GET", path)[0] == 200, path
    assert request(server, "POST", "/api/segments/1", token=False, body={"start": 0, "end": 100})[0] == 403
    assert request(server, "POST", "/api/export", token=False, body={"format": "edl"})[0] == 403
    # the header works as well as the query
    assert request(server, "GET", "/api/alignment", token=False, headers={"X-Clipper-Token": server.session.token})[0] == 200


def test_foreign_host_headers_are_refused(server: ReviewServer):
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1.evil.example", f"127.0.0.1:{server.port + 1}", ""):
        status, body = request(server, "GET", "/api/alignment", host=host)
        assert status == 403, host
        assert b"Host" in body
    assert request(server, "GET", "/api/alignment", host=f"localhost:{server.port}")[0] == 200


def test_only_the_given_media_is_served(server: ReviewServer, tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve me")
    media = (SAMPLES / "interview.mp4").read_bytes()
    for path in ("/media/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd", "/app.js/../../secret.txt",
                 f"/media/{secret}", "/static/index.html", "/static/app.js", "/secret.txt", "/interview.align.json", "//etc/passwd"):  # fmt: skip
        status, body = request(server, "GET", path)
        assert status == 404, path
        assert b"root:" not in body and b"do not serve me" not in body
    status, body = request(server, "GET", f"/media?path={secret}&file=../../etc/passwd")
    assert status == 200 and body == media  # query parameters name nothing
    status, body = request(server, "GET", "/media", headers={"Range": "bytes=100-199"})
    assert status == 206 and body == media[100:200]  # the player seeks by range requests


# -- what the page writes ----------------------------------------------------------------------


def test_an_edit_is_saved_atomically_with_the_previous_version_kept(server: ReviewServer):
    path = server.session.path
    before = path.read_text()
    seg = alignfile.load(path).segments[4]
    assert seg.start is not None and seg.end is not None
    status, body = request(server, "POST", f"/api/segments/{seg.id}", body={"start": seg.start - 120, "end": seg.end + 40})
    assert status == 200, body
    reply = json.loads(body)
    saved = alignfile.load(path)
    assert (saved.segments[4].start, saved.segments[4].end) == (seg.start - 120, seg.end + 40)
    assert saved.segments[4].confidence == 1.0
    assert {"text": " ".join(seg.text.split()[:8]), "ms": seg.start - 120, "source": "review", "segment": seg.id, "end": seg.end + 40} in saved.settings["anchors"]
    assert (path.parent / (path.name + ".bak")).read_text() == before
    assert [r[0] for r in reply["changed"]] == [s.id for s in saved.segments if s != alignfile.load(path.parent / (path.name + ".bak")).segments[s.id]]
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith(".part")]


@pytest.mark.parametrize(
    "body, says",
    [
        ({"start": 2000, "end": 1000}, "not a span"),
        ({"start": 0, "end": 99_000}, "past the media's end"),
        ({"start": "1.5", "end": 2000}, "whole milliseconds"),
        ({"end": 2000}, "whole milliseconds"),
        ([1, 2], "JSON object"),
    ],
)
def test_a_bad_edit_is_refused_and_nothing_is_written(server: ReviewServer, body: Any, says: str):
    before = server.session.path.read_bytes()
    status, reply = request(server, "POST", "/api/segments/2", body=body)
    assert status == 400
    assert says in json.loads(reply)["error"]
    assert server.session.path.read_bytes() == before
    assert not (server.session.path.parent / (server.session.path.name + ".bak")).exists()
    assert request(server, "POST", "/api/segments/999", body={"start": 0, "end": 10})[0] == 400


def test_exports_are_written_beside_the_alignment_and_not_replaced_unasked(server: ReviewServer):
    al = server.session.al
    clips = [{"start": al.segments[1].start, "end": al.segments[2].end}]
    status, body = request(server, "POST", "/api/export", body={"format": "edl", "clips": clips})
    assert status == 200, body
    out = server.session.path.parent / "interview.review.edl"
    assert json.loads(body) == {"file": out.name, "notes": [], "clips": 1} and out.read_text().startswith("TITLE:")
    first = out.read_text()
    assert request(server, "POST", "/api/export", body={"format": "edl", "clips": clips + clips})[0] == 409
    assert out.read_text() == first
    assert request(server, "POST", "/api/export", body={"format": "edl", "clips": clips + clips, "replace": True})[0] == 200
    assert out.read_text() != first
    for fmt in ("../../x", "chapters", "/etc/passwd"):
        assert request(server, "POST", "/api/export", body={"format": fmt, "clips": clips})[0] == 400
    assert sorted(p.name for p in server.session.path.parent.iterdir()) == ["interview.align.json", "interview.review.edl"]


def test_a_cut_refuses_to_replace_earlier_clips_unasked(server: ReviewServer):
    folder = server.session.clip_folder
    folder.mkdir()
    (folder / "01-old.mp4").write_bytes(b"earlier clip")
    status, body = request(server, "POST", "/api/cut", body={"clips": [{"start": 1000, "end": 3000}], "mode": "fast"})
    assert status == 409 and b"already exists" in body
    assert (folder / "01-old.mp4").read_bytes() == b"earlier clip"
    assert request(server, "POST", "/api/cut", body={"clips": [], "mode": "fast"})[0] == 400
    assert request(server, "POST", "/api/cut", body={"clips": [{"start": 1000, "end": 99_000}], "mode": "fast", "replace": True})[0] == 400


# -- the edit rule ---------------------------------------------------------------------------


def _alignment(spans: list[tuple[int, int] | None], duration: int) -> Alignment:
    segs = []
    for k, sp in enumerate(spans):
        if sp is None:
            segs.append(Segment(k, f"w{k} x{k}", (Word(f"w{k}"), Word(f"x{k}"))))
        else:
            a, b = sp
            m = (a + b) // 2
            segs.append(Segment(k, f"w{k} x{k}", (Word(f"w{k}", a, m), Word(f"x{k}", m, b)), a, b, 0.7))
    media = MediaInfo(path="m.wav", duration=duration, has_audio=True, has_video=False)
    return Alignment(Transcript(tuple(segs)), "speech", media=media)


@st.composite
def _cases(draw: Any) -> tuple[Alignment, int, int, int]:
    n = draw(st.integers(2, 12))
    t, spans = 0, []
    for _ in range(n):
        t += draw(st.integers(0, 3000))
        d = draw(st.integers(1, 4000))
        spans.append(None if draw(st.integers(0, 5)) == 0 else (t, t + d))
        t += d
    duration = t + draw(st.integers(0, 5000))
    k = draw(st.integers(0, n - 1))
    a = draw(st.integers(0, duration - 1))
    b = draw(st.integers(a + 1, duration))
    return _alignment(spans, duration), k, a, b


@settings(max_examples=300, deadline=None)
@given(_cases())
def test_an_edit_keeps_order_moves_only_its_neighbourhood_and_never_a_fixed_line(case: tuple[Alignment, int, int, int]):
    al, k, a, b = case
    try:
        new, changed = retime(al, k, a, b, window=5000)
    except InputError as e:  # only a line not placed, put far across the lines around it
        assert not al.segments[k].placed and ("comes after" in str(e) or "comes before" in str(e))
        return
    segs = new.segments
    assert (segs[k].start, segs[k].end) == (a, b)
    placed = [s for s in segs if s.placed]
    for s, t in zip(placed, placed[1:], strict=False):  # order kept, nothing overlaps
        assert s.end is not None and t.start is not None
        assert s.start is not None and s.start <= s.end <= t.start, (s, t)
    for s in segs:
        for w in s.words:
            if s.placed:
                assert w.start is not None and s.start is not None and s.end is not None and w.end is not None
                assert s.start <= w.start <= w.end <= s.end
    old = al.segments[k]
    lo = min(a, old.start if old.start is not None else a) - 5000
    hi = max(b, old.end if old.end is not None else b) + 5000
    for i, (s, t) in enumerate(zip(al.segments, segs, strict=True)):
        if i == k:
            continue
        if i in changed:
            assert s.end is not None and t.start is not None
            assert s.end > lo and s.start is not None and s.start < hi  # only the neighbourhood moves
        else:
            assert s == t
    # a second edit never moves the first one
    other = (k + 1) % len(segs)
    if segs[other].placed:
        try:
            again, _ = retime(new, other, *(lambda s: (s.start, s.end))(segs[other]), window=5000)
        except InputError:
            return
        assert (again.segments[k].start, again.segments[k].end) == (a, b)


def test_an_edit_cannot_cross_a_fixed_line():
    al = _alignment([(0, 1000), (1000, 2000), (2000, 3000)], 4000)
    fixed, _ = retime(al, 1, 1200, 1900)
    with pytest.raises(InputError, match="fixed by an earlier edit"):
        retime(fixed, 0, 0, 1500)
    with pytest.raises(InputError, match="fixed by an earlier edit"):
        retime(fixed, 2, 1800, 3000)
    again, _ = retime(fixed, 2, 1900, 3000)
    assert (again.segments[1].start, again.segments[1].end) == (1200, 1900)


def test_placing_a_line_that_was_not_placed():
    al = _alignment([(0, 1000), None, (3000, 4000)], 5000)
    new, changed = retime(al, 1, 800, 2600)
    assert changed == [0, 1]  # only the neighbour it overlaps moves
    assert [(s.start, s.end) for s in new.segments] == [(0, 800), (800, 2600), (3000, 4000)]
    assert all(w.start is not None for w in new.segments[1].words)


# -- the command -----------------------------------------------------------------------------


def test_review_command_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["review", str(tmp_path / "nope.align.json"), "--no-open"]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0
    al = clipper.align_files(SAMPLES / "interview.txt", SAMPLES / "interview.mp4", engine="uniform")
    clipper.save_alignment(replace(al, media=None), tmp_path / "t.align.json")  # an alignment that records no media
    assert main(["review", str(tmp_path / "t.align.json"), "--no-open"]) == 2
    err = capsys.readouterr().err
    assert "records no media" in err and err.count("\n") == 1
    assert main(["review", str(tmp_path / "t.align.json"), str(tmp_path / "missing.mp4"), "--no-open"]) == 2
    assert "no such media" in capsys.readouterr().err
    assert main(["review", str(tmp_path / "t.align.json"), str(SAMPLES / "interview.mp4"), "--port", "70000", "--no-open"]) == 2


@contextlib.contextmanager
def review_process(aligned: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path, str]]:
    """``clipper review`` on a copy of the sample's alignment, in its own process: the
    process, the alignment's path and the address it printed. Killed if still running."""
    path = tmp_path / "interview.align.json"
    shutil.copy(aligned, path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    p = subprocess.Popen([sys.executable, "-m", "clipper", "review", str(path), "--no-open"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        assert p.stdout is not None
        yield p, path, p.stdout.readline().strip()
    finally:
        p.kill()


def test_review_command_serves_until_ctrl_c(aligned: Path, tmp_path: Path):
    with review_process(aligned, tmp_path) as (p, path, url):
        assert url.startswith("http://127.0.0.1:") and "?token=" in url
        with urllib.request.urlopen(url.replace("/?token=", "/api/alignment?token="), timeout=30) as r:
            assert json.loads(r.read())["total"] == len(alignfile.load(path).segments)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    assert p.returncode == 0
    assert err.splitlines()[-1] == "stopped" and "Traceback" not in err


def test_the_waveform_follows_the_sound(server: ReviewServer):
    status, body = request(server, "GET", "/api/waveform?start=0&end=32000")
    peaks = json.loads(body)["peaks"]
    assert status == 200 and len(peaks) == 32000 // 20
    al = server.session.al
    speech = [p for k, p in enumerate(peaks) if any(s.start is not None and s.end is not None and s.start <= k * 20 < s.end for s in al.segments)]
    tail = peaks[-100:]  # the sample is padded with silence after 28 s
    assert sorted(speech)[len(speech) // 2] > max(tail) + 20
    assert request(server, "GET", "/api/waveform?start=x&end=1")[0] == 400


def test_a_fix_that_cannot_be_saved_is_not_applied(server: ReviewServer):
    path = server.session.path
    before = path.read_bytes()
    bak = path.parent / (path.name + ".bak")
    bak.mkdir()  # the backup cannot be written: the save fails before the file is touched
    status, body = request(server, "POST", "/api/segments/3", body={"start": 100, "end": 900})
    assert status == 500 and "could not save" in json.loads(body)["error"]
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([bak.name, path.name])  # nothing half-written left
    assert server.session.version == 0
    assert request(server, "GET", "/api/alignment")[1].count(b'"version":0') == 1


def test_ctrl_c_during_a_cut_lets_it_finish(aligned: Path, tmp_path: Path):
    from clipper.clips.manifest import load_manifest

    with review_process(aligned, tmp_path) as (p, _, url):
        clips = [{"start": 1000, "end": 6000}, {"start": 8000, "end": 14000}, {"start": 15000, "end": 22000}]
        req = urllib.request.Request(url.replace("/?token=", "/api/cut?token="), data=json.dumps({"clips": clips, "mode": "accurate"}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")  # fmt: skip
        with urllib.request.urlopen(req, timeout=30) as r:
            assert json.loads(r.read())["state"] == "running"
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
    assert p.returncode == 0 and "waiting for it to finish" in err and err.splitlines()[-1] == "stopped"
    folder = tmp_path / "interview.review-clips"
    manifest = load_manifest(folder)  # the whole set, swapped in
    assert len(manifest.clips) == 3 and all((folder / c.file).exists() for c in manifest.clips if c.file)
    assert not [q.name for q in folder.iterdir() if q.name.startswith(".")]  # no staging left
