"""``clipper batch``: items from a folder or a manifest, resumable state, a bad item failing
alone, the local pool, Ctrl-C and a rerun, and a Dask LocalCluster losing a worker mid-run.

Real files throughout: copies of the real speech clip (run by the speech engine), a
generated tone-burst file (the activity engine), a binary "transcript" and a transcript of
another recording (refused as mismatched)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import TESTDATA

from clipper.batch import MARKER, STATE_DIR, Defaults, run_batch
from clipper.batch.items import from_folder, from_manifest
from clipper.cli import main
from clipper.errors import InputError
from clipper.media import ffmpeg_binary

CLIP = TESTDATA / "speech" / "acoustic_clip.flac"
CLIP_TEXT = TESTDATA / "speech" / "transcript.txt"
OTHER = (
    "the quick brown fox jumps over the lazy dog and runs away into the dark forest\n"
    "colourless green ideas sleep furiously tonight while the city slowly falls asleep\n"
    "we hold these truths to be self evident that all men are created equal\n"
)


def _journal(out: Path) -> list[dict]:
    p = out / STATE_DIR / "journal.jsonl"
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()] if p.exists() else []


def _tones(dest: Path) -> Path:
    """A synthetic item: four 2 s tone bursts with 1 s of silence between them."""
    expr = "0.4*sin(2*PI*(200+40*floor(t/3))*t)*lt(mod(t\\,3)\\,2)"
    subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", f"aevalsrc={expr}:s=16000:d=12",
                    "-c:a", "pcm_s16le", str(dest)], check=True)  # fmt: skip
    return dest


def _folder(root: Path, n_clips: int = 2) -> Path:
    """speech clips c1.., a binary transcript, a mismatched one."""
    src = root / "in"
    src.mkdir()
    for i in range(1, n_clips + 1):
        shutil.copyfile(CLIP, src / f"c{i}.flac")
        shutil.copyfile(CLIP_TEXT, src / f"c{i}.txt")
    shutil.copyfile(CLIP, src / "binary.flac")
    (src / "binary.txt").write_bytes(b"\x00\x01\x02 not text \xff\xfe" * 50)
    shutil.copyfile(CLIP, src / "other.flac")
    (src / "other.txt").write_text(OTHER, encoding="utf-8")
    return src


# -- discovery ----------------------------------------------------------------------------


def test_folder_pairs_media_and_transcripts_by_stem(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "season1").mkdir(parents=True)
    for name in ("talk.mp4", "talk.txt", "talk.srt", "cap.wav", "cap.vtt", "ref.mp3", "ref.txt", "ref.reference.vtt",
                 "season1/ep01.m4a", "season1/ep01.transcript.txt", "lonely.mp4", "orphan.txt", "twice.mp4", "twice.wav",
                 "twice.txt", ".hidden.mp4", ".hidden.txt", "notes.json"):  # fmt: skip
        (src / name).write_bytes(b"x")
    out = src / "out"  # the output folder inside the input is never read as input
    out.mkdir()
    (out / "old.mp4").write_bytes(b"x")
    (out / "old.txt").write_bytes(b"x")
    items = {it.name: it for it in from_folder(src, exclude=out)}
    assert sorted(items) == ["cap", "lonely", "orphan", "ref", "season1/ep01", "talk", "twice"]
    rel = {k: (Path(v.transcript).name if v.transcript else None, Path(v.reference).name if v.reference else None, v.problem is None)
           for k, v in items.items()}  # fmt: skip
    assert rel["talk"] == ("talk.txt", "talk.srt", True)  # captions beside a text: the reference
    assert rel["cap"] == ("cap.vtt", None, True)  # captions alone: the transcript
    assert rel["ref"] == ("ref.txt", "ref.reference.vtt", True)
    assert rel["season1/ep01"] == ("ep01.transcript.txt", None, True)
    assert "no transcript beside it" in (items["lonely"].problem or "")
    assert "no media beside it" in (items["orphan"].problem or "")
    assert "two media files" in (items["twice"].problem or "")


def test_manifest_csv_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    for name in ("a.mp4", "a.txt", "b.wav", "b.txt", "b.srt"):
        (tmp_path / "media" / name).write_bytes(b"x")
    csv = tmp_path / "items.csv"
    csv.write_text(
        "name,media,transcript,reference,engine,options,outputs\n"
        "first,media/a.mp4,media/a.txt,,activity,window=30;refine=yes,\"srt,vtt\"\n"
        ",media/b.wav,media/b.txt,media/b.srt,,{\"gap\": 0.5},\n"
        "gone,media/nope.mp4,media/a.txt,,,,\n",
        encoding="utf-8",
    )
    items = from_manifest(csv, Defaults(engine="speech", options={"voice": "x"}))
    assert [it.name for it in items] == ["first", "b", "gone"]
    a, b, gone = items
    assert a.engine == "activity" and dict(a.options) == {"voice": "x", "window": 30, "refine": True}
    assert a.outputs == ("srt", "vtt") and a.media == str(tmp_path / "media" / "a.mp4")
    assert b.engine == "speech" and b.options["gap"] == 0.5 and b.reference == str(tmp_path / "media" / "b.srt")
    assert a.problem is None and b.problem is None
    assert gone.problem is not None and "no such media file" in gone.problem and "items.csv:4" in gone.problem

    jl = tmp_path / "items.jsonl"
    jl.write_text(json.dumps({"media": "media/a.mp4", "transcript": "media/a.txt", "options": {"window": 10}}) + "\n", encoding="utf-8")
    (one,) = from_manifest(jl)
    assert one.name == "a" and one.options == {"window": 10}

    bad = tmp_path / "bad.csv"
    bad.write_text("media,transcript,engin\nmedia/a.mp4,media/a.txt,speech\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown column 'engin'; known: name, media"):
        from_manifest(bad)
    dup = tmp_path / "dup.jsonl"
    dup.write_text('{"media": "media/a.mp4", "transcript": "media/a.txt"}\n' * 2, encoding="utf-8")
    with pytest.raises(InputError, match="used again"):
        from_manifest(dup)
    esc = tmp_path / "esc.jsonl"
    esc.write_text('{"name": "../x", "media": "media/a.mp4", "transcript": "media/a.txt"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="relative path inside"):
        from_manifest(esc)


def test_bad_batch_input_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", str(tmp_path / "nope"), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such folder or manifest" in err
    (tmp_path / "empty").mkdir()
    assert main(["batch", str(tmp_path / "empty"), "-o", str(tmp_path / "out")]) == 2
    assert "no media with transcripts" in capsys.readouterr().err
    # a setting no engine has would fail every item: refused before any
    src = _folder(tmp_path)
    assert main(["batch", str(src), "-o", str(tmp_path / "out"), "-O", "note_wieght=3"]) == 2
    assert "did you mean note_weight?" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# -- running ------------------------------------------------------------------------------


def test_serial_resume_change_and_bad_items(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _folder(tmp_path)
    out = tmp_path / "out"
    argv = ["batch", str(src), "-o", str(out), "-j", "1", "--outputs", "alignment,srt", "--json", "-q"]
    assert main(argv) == 1  # an item failed; the others went on
    res = json.loads(capsys.readouterr().out)
    status = {r["name"]: r["status"] for r in res["items"]}
    assert status == {"binary": "failed", "c1": "done", "c2": "done", "other": "failed"}
    reasons = {r["name"]: r["reason"] for r in res["items"]}
    assert "binary" in reasons["binary"] and "\n" not in reasons["binary"]
    assert "recognition found only" in reasons["other"]
    for name in ("c1", "c2"):
        assert sorted(p.name for p in (out / name).iterdir()) == [MARKER, f"{name}.align.json", f"{name}.srt"]
        al = json.loads((out / name / f"{name}.align.json").read_text())
        assert al["engine"] == "speech" and all(s["confidence"] for s in al["segments"])
    assert not (out / "binary").exists() and not (out / "other").exists()
    assert list((out / STATE_DIR / "work").iterdir()) == []
    rows = (out / "batch.csv").read_text().splitlines()
    assert rows[0].startswith("name,status,engine,media_s") and len(rows) == 5
    html = (out / "batch.html").read_text()
    assert html.count("<tr>") == 5 and 'class="failed"' in html
    assert json.loads((out / "batch.json").read_text())["totals"]["done"] == 2

    # nothing changed: nothing runs (bad input fails the same way, so it is not retried)
    n = len(_journal(out))
    assert main(argv) == 1
    res = json.loads(capsys.readouterr().out)
    assert {r["name"]: r["status"] for r in res["items"]} == {**status, "c1": "skipped", "c2": "skipped"}
    assert len(_journal(out)) == n

    # a changed transcript runs again, alone; a fixed bad item runs and the batch is green
    with open(src / "c2.txt", "a", encoding="utf-8") as f:
        f.write("and one more line nobody says\n")
    (src / "binary.txt").write_bytes(CLIP_TEXT.read_bytes())
    (src / "other.txt").unlink()
    (src / "other.flac").unlink()
    assert main(argv) == 0
    res = json.loads(capsys.readouterr().out)
    assert {r["name"]: r["status"] for r in res["items"]} == {"binary": "done", "c1": "skipped", "c2": "done"}
    assert "nobody says" in (out / "c2" / "c2.align.json").read_text()
    assert [r["name"] for r in _journal(out)[n:]] in (["binary", "c2"], ["c2", "binary"])


def test_pool_gives_the_serial_results(tmp_path: Path) -> None:
    src = _folder(tmp_path)
    (src / "binary.txt").unlink()
    (src / "binary.flac").unlink()
    _tones(src / "tones.wav")
    (src / "tones.txt").write_text("one\ntwo\nthree\nfour\n", encoding="utf-8")
    manifest = tmp_path / "items.jsonl"
    manifest.write_text("".join(json.dumps(d) + "\n" for d in (
        {"name": "c1", "media": str(src / "c1.flac"), "transcript": str(src / "c1.txt")},
        {"name": "c2", "media": str(src / "c2.flac"), "transcript": str(src / "c2.txt")},
        {"name": "tones", "media": str(src / "tones.wav"), "transcript": str(src / "tones.txt"), "engine": "activity"},
        {"name": "other", "media": str(src / "other.flac"), "transcript": str(src / "other.txt")},
    )), encoding="utf-8")  # fmt: skip
    d = Defaults(outputs=("alignment",))
    serial = run_batch(manifest, tmp_path / "serial", defaults=d, jobs=1)
    pool = run_batch(manifest, tmp_path / "pool", defaults=d, jobs=2)
    assert serial.totals["workers"] == 1 and pool.totals["workers"] == 2
    for res in (serial, pool):
        assert {r["name"]: r["status"] for r in res.rows} == {"c1": "done", "c2": "done", "tones": "done", "other": "failed"}
    for name in ("c1", "c2", "tones"):
        a = json.loads((tmp_path / "serial" / name / f"{name}.align.json").read_text())["segments"]
        b = json.loads((tmp_path / "pool" / name / f"{name}.align.json").read_text())["segments"]
        assert a == b
    tones = json.loads((tmp_path / "pool" / "tones" / "tones.align.json").read_text())
    assert tones["engine"] == "activity"


def test_sigint_loses_only_items_in_flight_and_a_rerun_finishes(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    names = [f"c{i}" for i in range(1, 7)]
    for name in names:
        shutil.copyfile(CLIP, src / f"{name}.flac")
        shutil.copyfile(CLIP_TEXT, src / f"{name}.txt")
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "clipper", "batch", str(src), "-o", str(out), "-j", "2", "--outputs", "alignment", "-q"]
    tmp = tmp_path / "tmp"  # the items' temporary folders (decoded audio) go here
    tmp.mkdir()
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, start_new_session=True, env={**os.environ, "TMPDIR": str(tmp)})
    deadline = time.monotonic() + 120
    while not _journal(out) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends: the whole process group
    _, err = proc.communicate(timeout=60)
    summary = out / "batch.json"
    rows = json.loads(summary.read_text())["items"] if summary.exists() else "no summary"
    assert proc.returncode == 130, (err, rows)
    first = [r["name"] for r in _journal(out)]
    assert first and len(first) < len(names), first
    # finished items are whole; nothing else is in OUTDIR, no attempt is left in work/
    assert sorted(p.name for p in out.iterdir() if p.is_dir() and p.name != STATE_DIR) == sorted(first)
    assert list((out / STATE_DIR / "work").iterdir()) == []
    assert list(tmp.iterdir()) == []  # the stopped workers' temporary folders are gone too
    totals = json.loads((out / "batch.json").read_text())["totals"]
    assert totals["interrupted"] == len(names) - len(first)

    done = subprocess.run([*argv, "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: r["status"] for r in json.loads(done.stdout)["items"]}
    assert rows == {n: ("skipped" if n in first else "done") for n in names}
    journal = [r["name"] for r in _journal(out)]
    assert sorted(journal) == sorted(names)  # every item exactly once


def test_dask_cluster_losing_a_worker_still_runs_every_item_once(tmp_path: Path) -> None:
    import distributed  # a test dependency: missing, this fails rather than skips
    src = _folder(tmp_path, n_clips=4)
    _tones(src / "tones.wav")
    (src / "tones.txt").write_text("one\ntwo\nthree\nfour\n", encoding="utf-8")
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:  # fmt: skip
        result: dict[str, object] = {}

        def go() -> None:
            result["res"] = run_batch(src, out, defaults=Defaults(outputs=("alignment", "srt")), scheduler=cluster.scheduler_address,
                                      item_jobs=2)  # fmt: skip

        t = threading.Thread(target=go)
        t.start()
        killed = None
        deadline = time.monotonic() + 60
        while killed is None and time.monotonic() < deadline:
            busy = [w for w, tasks in client.processing().items() if any(str(k).startswith("clipper-c") for k in tasks)]
            if busy:
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)  # the worker dies mid-item; its nanny starts another
                killed = busy[0]
            time.sleep(0.05)
        t.join(300)
        assert killed is not None, "no item was ever seen running"
    res = result["res"]
    status = {r["name"]: r["status"] for r in res.rows}  # type: ignore[attr-defined]
    assert status == {"binary": "failed", "c1": "done", "c2": "done", "c3": "done", "c4": "done", "other": "failed", "tones": "done"}
    journal = [r["name"] for r in _journal(out)]
    assert sorted(journal) == sorted(status)  # each exactly once, the killed one included
    # Dask's worker processes are daemonic: engine workers per item are not possible, and said so
    assert all(any("daemonic" in w for w in r["warnings"]) for r in res.rows if r["status"] == "done")  # type: ignore[attr-defined]
    for name in ("c1", "c2", "c3", "c4", "tones"):
        assert sorted(p.name for p in (out / name).iterdir()) == [MARKER, f"{name}.align.json", f"{name}.srt"]
    assert list((out / STATE_DIR / "work").iterdir()) == []


def test_errors_cross_processes_pickled() -> None:
    import pickle

    from clipper.errors import FormatError, MediaError, MismatchError, OutputExistsError, ParseError

    for e in (ParseError("a.txt", "bad", 3), FormatError("x", ["srt"]), OutputExistsError("o.srt"),
              MediaError("m", ["ffmpeg"], "err"), MismatchError("mm", 0.01, 0.08)):  # fmt: skip
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is type(e) and str(back) == str(e) and back.__dict__ == e.__dict__


def test_one_batch_at_a_time_per_output_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from clipper.batch.state import State

    src = _folder(tmp_path)
    with State(tmp_path / "out"):  # a batch holding OUTDIR (in another process, in real life)
        assert main(["batch", str(src), "-o", str(tmp_path / "out"), "-q"]) == 2
        assert "another clipper batch is writing there" in capsys.readouterr().err
    assert _journal(tmp_path / "out") == []


def test_retry_failed_runs_a_bad_input_item_again(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copyfile(CLIP, src / "bad.flac")
    (src / "bad.txt").write_bytes(b"\x00\x01 binary \xff" * 40)
    out = tmp_path / "out"
    for retry, runs in ((False, 1), (False, 1), (True, 2)):
        res = run_batch(src, out, jobs=1, retry_failed=retry)
        assert [r["status"] for r in res.rows] == ["failed"] and res.failed == 1
        assert len(_journal(out)) == runs  # a bad-input failure is not retried unless asked


def test_a_ctrl_c_inside_the_journaling_step_acts_after_it() -> None:
    # inside the held step (journal, then summary row) a Ctrl-C is only noted; the real
    # handler raises once the step is done, and the handlers are as they were
    from clipper.io import signals_held

    steps = []
    with pytest.raises(KeyboardInterrupt):
        with signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # bytecodes enough for a due handler to run
                steps.append(1)
            steps.append(2)
    assert steps[-1] == 2 and len(steps) == 1001
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
