"""The review page end to end in headless Chromium (Debian's ``chromium``, driven by Playwright).

Without a Chromium these tests skip with the reason, except where ``CLIPPER_REQUIRE_BROWSER``
is set (``.ci/run`` sets it after installing Chromium): there they fail. A screenshot of the
page is saved to ``test-artifacts/review.png``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import clipper
from clipper import alignfile
from clipper.clips.manifest import load_manifest
from clipper.media import ffmpeg_binary, probe
from clipper.review import ReviewServer, Session

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
ARTIFACTS = Path(os.environ.get("CLIPPER_ARTIFACTS", ROOT / "test-artifacts"))
#: flags for Chromium on a machine with no network and no screen (see docs/review.md)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]  # fmt: skip


def chromium_path() -> str | None:
    for name in (os.environ.get("CLIPPER_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _unavailable(why: str) -> None:
    if os.environ.get("CLIPPER_REQUIRE_BROWSER"):
        pytest.fail(f"{why} (CLIPPER_REQUIRE_BROWSER is set: the browser tests must run here)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    exe = chromium_path()
    if exe is None:
        _unavailable("no Chromium: install Debian's chromium (apt-get install chromium) or set CLIPPER_CHROMIUM")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, aligned: Path, tmp_path: Path) -> Iterator[tuple[Any, ReviewServer]]:
    path = tmp_path / "interview.align.json"
    shutil.copy(aligned, path)
    errors: list[str] = []
    with ReviewServer(Session(path, SAMPLES / "interview.mp4")) as srv:
        ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        pg = ctx.new_page()
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(srv.url)
        pg.wait_for_selector("body[data-ready='1']", timeout=20_000)
        pg.wait_for_function("document.querySelector('#player').readyState >= 1", timeout=20_000)
        yield pg, srv
        ctx.close()
    assert errors == []  # no script error on the page


def current_ms(pg: Any) -> float:
    pg.wait_for_function("!document.querySelector('#player').seeking")
    return float(pg.evaluate("document.querySelector('#player').currentTime")) * 1000


def test_the_page_loads_with_a_screenshot(page: tuple[Any, ReviewServer]):
    pg, srv = page
    n = len(srv.session.al.segments)
    assert pg.locator(".row").count() == n  # the sample is short: every line is drawn
    assert pg.inner_text("#summary").endswith(f"{n} of {n} lines placed")
    # subtitles on the video come from the current alignment
    pg.wait_for_function("document.querySelector('#player').textTracks[0]?.cues?.length > 0")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / "review.png"))
    assert (ARTIFACTS / "review.png").stat().st_size > 10_000


def test_clicking_a_line_seeks_to_its_start(page: tuple[Any, ReviewServer]):
    pg, srv = page
    for seg in (srv.session.al.segments[3], srv.session.al.segments[9], srv.session.al.segments[0]):
        pg.click(f".row[data-id='{seg.id}']")
        assert seg.start is not None
        assert abs(current_ms(pg) - seg.start) <= 50
        assert pg.inner_text("#seg-label").startswith(f"line {seg.id}")
    # a word seeks to the word
    w = srv.session.al.segments[0].words[2]
    pg.click("#words span[data-k='2']")
    assert w.start is not None and abs(current_ms(pg) - w.start) <= 50


def test_an_edited_time_is_saved_to_the_file(page: tuple[Any, ReviewServer]):
    pg, srv = page
    path = srv.session.path
    before = path.read_text()
    seg = srv.session.al.segments[5]
    assert seg.start is not None and seg.end is not None
    pg.click(f".row[data-id='{seg.id}']")
    pg.fill("#seg-start", f"{(seg.start - 200) / 1000:.3f}")  # seconds are read too
    pg.click("#seg-end")
    for _ in range(2):
        pg.click("[data-nudge='end'][data-frames='1']")  # two frames later: 80 ms at 25 fps
    pg.click("#save")
    pg.wait_for_function("document.querySelector('#status').textContent.startsWith('saved')")
    saved = alignfile.load(path)
    assert (saved.segments[5].start, saved.segments[5].end) == (seg.start - 200, seg.end + 80)
    assert (path.parent / (path.name + ".bak")).read_text() == before
    assert pg.inner_text(f".row[data-id='{seg.id}'] .t") == _clock(seg.start - 200)
    # the previous line now ends where it must: no overlap
    prev = saved.segments[4]
    assert prev.end is not None and prev.end <= seg.start - 200
    # the keys do the same: the playhead to the start, then save
    pg.click(f".row[data-id='{saved.segments[8].id}']")
    pg.keyboard.press("ArrowRight")
    t = round(current_ms(pg))
    pg.keyboard.press("[")
    pg.keyboard.press("s")
    pg.wait_for_function(f"document.querySelector('#status').textContent.includes('line {saved.segments[8].id} ')")
    assert alignfile.load(path).segments[8].start == t


def _clock(ms: int) -> str:
    return f"{ms // 60000}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _frames(path: Path) -> int:
    err = subprocess.run([ffmpeg_binary(), "-nostdin", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr  # fmt: skip
    return int(re.findall(r"frame=\s*(\d+)", err)[-1])


def test_queue_and_cut_a_clip_and_export_the_queue(page: tuple[Any, ReviewServer]):
    pg, srv = page
    segs = srv.session.al.segments
    pg.click(f".row[data-id='{segs[2].id}']")
    pg.click(f".row[data-id='{segs[4].id}']", modifiers=["Shift"])
    pg.keyboard.press("a")  # queue the selected lines
    # and an in-out range by keys
    pg.click(f".row[data-id='{segs[9].id}']")
    pg.keyboard.press("i")
    for _ in range(3):
        pg.keyboard.press("ArrowRight")
    pg.keyboard.press("o")
    pg.keyboard.press("q")
    assert pg.inner_text("#queue-count") == "2"
    pg.click("#tabs [data-tab='queue']")
    pg.select_option("#mode", "accurate")
    pg.click("#cut")
    pg.wait_for_function("document.body.dataset.cut", timeout=120_000)
    folder = srv.session.clip_folder
    manifest = load_manifest(folder)
    assert len(manifest.clips) == 2
    first = manifest.clips[0]
    assert first.source_start <= segs[2].start  # type: ignore[operator]
    assert first.source_end >= segs[4].end  # type: ignore[operator]
    for c in manifest.clips:
        assert c.file is not None
        clip = folder / c.file
        assert _frames(clip) * 40 == c.duration  # whole frames at 25 fps, as many as planned
        assert abs(probe(clip).duration - c.duration) <= 40
    shown = pg.locator("#cut-files .clip-file")
    assert [int(shown.nth(k).get_attribute("data-duration")) for k in range(shown.count())] == [c.duration for c in manifest.clips]
    # export the queue
    for fmt in ("edl", "fcpxml", "otio"):
        pg.select_option("#export-format", fmt)
        pg.click("#export")
        pg.wait_for_function(f"document.querySelector('#export-status').textContent.startsWith('wrote interview.review.{fmt}')")
    edl = (srv.session.path.parent / "interview.review.edl").read_text()
    assert edl.count(" C ") >= 2  # two clip events
    assert json.loads((srv.session.path.parent / "interview.review.otio").read_text())["OTIO_SCHEMA"].startswith("Timeline")


def test_search_a_quote(page: tuple[Any, ReviewServer]):
    pg, srv = page
    pg.keyboard.press("/")
    pg.keyboard.type("speech erors")  # a typo, as a user remembers it
    pg.keyboard.press("Enter")
    pg.wait_for_selector("#results .result")
    first = pg.locator("#results .result").first
    assert "speech errors" in first.inner_text()
    match = clipper.find(srv.session.al, "speech erors", top=1)[0]
    first.click()
    assert match.start is not None and abs(current_ms(pg) - match.start) <= 50
    # the takeaways and topics are listed with their resolved times
    pg.click("#tabs [data-tab='outline']")
    pg.wait_for_selector("#outline .oitem")
    assert pg.locator("#outline .oitem").count() >= len(srv.session.al.transcript.takeaways)


def test_the_current_line_and_word_follow_the_playhead(page: tuple[Any, ReviewServer]):
    pg, srv = page
    seg = srv.session.al.segments[6]
    w = seg.words[1]
    assert w.start is not None and w.end is not None
    pg.evaluate(f"document.querySelector('#player').currentTime = {(w.start + w.end) / 2000}")
    pg.wait_for_function(f"document.querySelector('.row.cur')?.dataset.id === '{seg.id}'")
    pg.wait_for_function("document.querySelector('#words span.now')?.dataset.k === '1'")
    pg.keyboard.press("Space")  # plays: the highlight moves on with the sound
    pg.wait_for_function(f"document.querySelector('.row.cur') && document.querySelector('.row.cur').dataset.id !== '{seg.id}'", timeout=15_000)
    pg.keyboard.press("Space")
    assert pg.evaluate("document.querySelector('#player').paused")


def test_audio_only_media_shows_a_waveform(browser: Any, aligned: Path, tmp_path: Path):
    wav = tmp_path / "interview.wav"
    subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-i", str(SAMPLES / "interview.mp4"), "-vn", str(wav)], check=True)
    path = tmp_path / "interview.align.json"
    shutil.copy(aligned, path)
    with ReviewServer(Session(path, wav)) as srv:
        pg = browser.new_page(viewport={"width": 1200, "height": 800})
        pg.goto(srv.url)
        pg.wait_for_selector("body[data-ready='1']")
        assert pg.evaluate("document.querySelector('#stage').classList.contains('audio')")
        # the strip's waveform: grey pixels drawn from the peaks the server measured
        pg.wait_for_function("""(() => { const c = document.querySelector('#timeline'); const d = c.getContext('2d').getImageData(0, 40, c.width, 20).data;
                                 for (let k = 0; k < d.length; k += 4) if (d[k] === 0xcf && d[k + 1] === 0xd8) return true; return false; })()""")
        pg.close()
