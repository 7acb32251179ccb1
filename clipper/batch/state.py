"""A batch's memory in ``OUTDIR/.clipper-batch``: what is finished, keyed by content.

* ``journal.jsonl``: one JSON record a finished item (done or failed), appended and fsynced
  after the item's folder is in place; the last record of a name wins. A killed process
  loses at most the items in flight: their records were never written.
* ``hashes.json``: content hashes of the inputs, reused while a file's size and mtime stay
  the same, so a rerun over hours of media does not read it all again.
* ``work/``: items in progress, one fresh folder per attempt; the driver alone moves a
  finished one to ``OUTDIR/NAME`` (:meth:`State.commit`), so a retried attempt never
  writes an item twice. Left-overs of killed attempts are removed at the next start.
* ``lock``: one batch at a time per OUTDIR.

An item's key is the hash of its name, the content of its media, transcript and reference,
its settings and clipper's version: change any of them and the item runs again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from .items import STATE_DIR, Item

try:
    import fcntl
except ImportError:  # not POSIX: no lock, one batch per OUTDIR is then the user's to keep
    fcntl = None  # type: ignore[assignment]

__all__ = ["State", "Record", "file_hash"]

_CHUNK = 1 << 20


def file_hash(path: str | os.PathLike[str]) -> str:
    """BLAKE2b of a file's bytes (hex); fast enough to read media at disk speed."""
    h = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class Record:
    """A finished item as the journal keeps it."""

    name: str
    key: str
    status: str  # "done" or "failed"
    exit_code: int = 0
    reason: str | None = None
    summary: dict[str, Any] | None = None
    attempt: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {k: v for k, v in self.__dict__.items() if v is not None}, ensure_ascii=False, separators=(",", ":")
        )


class State:
    """Open (and lock) the state folder of ``outdir``; use as a context manager."""

    def __init__(self, outdir: str | os.PathLike[str]) -> None:
        self.outdir = Path(outdir)
        self.dir = self.outdir / STATE_DIR
        self.work = self.dir / "work"
        self.journal = self.dir / "journal.jsonl"
        self._hashes_path = self.dir / "hashes.json"
        self._hashes: dict[str, list[Any]] = {}
        self._lock: int | None = None
        self.records: dict[str, Record] = {}

    # -- life cycle -------------------------------------------------------------------
    def __enter__(self) -> State:
        if self.outdir.exists() and not self.outdir.is_dir():
            raise InputError(f"{self.outdir}: is a file, expected a folder (⟨-o⟩ OUTDIR)")
        try:
            self.work.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"{self.outdir}: cannot create the output folder ({e.strerror}); choose another ⟨-o⟩") from None
        fd = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InputError(f"{self.outdir}: another clipper batch is writing there; wait for it or choose another ⟨-o⟩") from None
        self._lock = fd
        # attempts of a killed run: nobody will commit them
        for old in self.work.iterdir():
            shutil.rmtree(old, ignore_errors=True)
        self.records = self._read_journal()
        if self._hashes_path.is_file():
            with contextlib.suppress(ValueError, OSError):
                self._hashes = json.loads(self._hashes_path.read_text(encoding="utf-8"))
        return self

    def __exit__(self, *exc: object) -> None:
        self.save_hashes()
        for old in self.work.iterdir():
            shutil.rmtree(old, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def _read_journal(self) -> dict[str, Record]:
        out: dict[str, Record] = {}
        if not self.journal.is_file():
            return out
        for line in self.journal.read_text(encoding="utf-8").splitlines():
            try:
                d = json.loads(line)
                rec = Record(**d)
            except (ValueError, TypeError):
                continue  # a line cut short by a crash: that item simply runs again
            out[rec.name] = rec
        return out

    # -- keys -------------------------------------------------------------------------
    def content_hash(self, path: str) -> str:
        p = Path(path)
        st = p.stat()
        ap = str(p.resolve())
        got = self._hashes.get(ap)
        if got and got[0] == st.st_size and got[1] == st.st_mtime_ns:
            return str(got[2])
        digest = file_hash(p)
        self._hashes[ap] = [st.st_size, st.st_mtime_ns, digest]
        return digest

    def key(self, item: Item) -> str:
        from .. import __version__

        content = {
            role: self.content_hash(path) if path and Path(path).is_file() else None
            for role, path in (("media", item.media), ("transcript", item.transcript), ("reference", item.reference))
        }
        blob = json.dumps({"name": item.name, "inputs": content, "settings": item.settings(), "clipper": __version__},
                          sort_keys=True)  # fmt: skip
        return hashlib.blake2b(blob.encode(), digest_size=16).hexdigest()

    def save_hashes(self) -> None:
        tmp = self._hashes_path.with_name(f".hashes.{os.getpid()}.part")
        with contextlib.suppress(OSError):
            tmp.write_text(json.dumps(self._hashes), encoding="utf-8")
            os.replace(tmp, self._hashes_path)

    # -- what to run ------------------------------------------------------------------
    def finished(self, item: Item, key: str, retry_failed: bool = False) -> Record | None:
        """The record that makes running ``item`` again unnecessary, if any.

        Done with the same key and its folder still there; or failed on bad input (exit 2)
        with the same key, which would fail the same way again (``retry_failed`` runs it).
        A runtime failure (exit 1) is always tried again.
        """
        rec = self.records.get(item.name)
        if rec is None or rec.key != key:
            return None
        if rec.status == "done" and (self.outdir / item.name).is_dir():
            return rec
        if rec.status == "failed" and rec.exit_code == 2 and not retry_failed:
            return rec
        return None

    def attempt_dir(self, item: Item) -> Path:
        """A fresh folder for one attempt at ``item`` (a retry gets another)."""
        d = self.work / f"{item.name.replace('/', '__')}.{uuid.uuid4().hex[:12]}"
        d.mkdir(parents=True)
        return d

    # -- finishing --------------------------------------------------------------------
    def commit(self, rec: Record, folder: str | None) -> None:
        """Put a finished attempt's folder in place as ``OUTDIR/NAME`` (replacing an older
        one whole), then journal it. Only the driver calls this, once per item."""
        if folder is not None:
            src = Path(folder)
            dest = self.outdir / rec.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            trash = None
            if dest.exists():
                trash = self.work / f".old.{uuid.uuid4().hex[:12]}"
                os.replace(dest, trash)
            os.replace(src, dest)
            if trash is not None:
                shutil.rmtree(trash, ignore_errors=True)
        with open(self.journal, "a", encoding="utf-8") as f:
            f.write(rec.to_json() + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.records[rec.name] = rec

