"""The one place that reads and writes files: encodings, BOMs, atomic writes."""

from __future__ import annotations

import codecs
import contextlib
import os
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from .errors import InputError, OutputExistsError, ParseError

__all__ = ["read_bytes", "read_text", "decode_bytes", "write_text", "atomic_path", "check_writable", "signals_held", "temporary_dir"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_bytes(data: bytes, path: str | None = None, encoding: str | None = None) -> str:
    """Decode a text file's bytes.

    A BOM decides the encoding (UTF-8/16/32 written by Windows tools is unambiguous).
    Otherwise UTF-8 is required unless ``encoding`` is given: guessing Latin-1 would
    silently garble text, so invalid UTF-8 is an error that says what to do.
    Line endings are normalised to ``\\n``.
    """
    where = path or "<input>"
    if not data.strip():
        raise ParseError(path, "file is empty; give a transcript file with text in it")
    if encoding is None:
        for bom, enc in _BOMS:
            if data.startswith(bom):
                encoding = enc
                break
    if encoding is None:
        if b"\x00" in data[:4096]:
            raise ParseError(
                path, "looks binary (NUL bytes), not a text transcript; give a text file"
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ParseError(
                path,
                f"not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); "
                "re-save it as UTF-8 or pass ⟨--encoding⟩ (e.g. ⟨--encoding⟩ latin-1)",
            ) from None
    else:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as e:
            raise ParseError(path, f"cannot decode as {encoding}: {e}") from None
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        raise ParseError(path, "contains NUL characters; it looks binary, not a transcript")
    # Binary junk that happens to be valid UTF-8: a high share of control characters.
    sample = text[:8192]
    ctrl = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t\f")
    if sample and ctrl / len(sample) > 0.02:
        raise ParseError(path, f"looks binary ({ctrl} control characters), not a transcript")
    del where
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_bytes(path: str | os.PathLike[str], what: str = "file") -> bytes:
    """A file's bytes; a missing, folder or unreadable ``path`` is an InputError saying
    what was expected (``what``: "file", "subtitle file")."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{p}: no such {what}") from None
    except IsADirectoryError:
        raise InputError(f"{p}: is a folder, expected a {what}") from None
    except OSError as e:
        raise InputError(f"{p}: cannot read ({e.strerror})") from None


def read_text(path: str | os.PathLike[str], encoding: str | None = None) -> str:
    return decode_bytes(read_bytes(path), str(path), encoding)


def check_writable(path: str | os.PathLike[str], force: bool) -> None:
    """Refuse to replace an existing file unless ``force``."""
    p = Path(path)
    if p.exists() and not force:
        raise OutputExistsError(str(p))
    if p.exists() and p.is_dir():
        raise InputError(f"{p}: is a folder, expected a file path")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], force: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place only on success.

    Nothing half-written is ever left at ``path``, and the temporary file is removed
    on failure.
    """
    dest = Path(path)
    check_writable(dest, force)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=dest.suffix + ".part", dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates 0600; give the file the permissions a plain open() would
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)
    try:
        yield tmp_path
        if not force and dest.exists():
            raise OutputExistsError(str(dest))
        os.replace(tmp_path, dest)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: str | os.PathLike[str], text: str, force: bool = False) -> Path:
    """Write UTF-8 text (no BOM) atomically."""
    with atomic_path(path, force) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
    return Path(path)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C (and the SIGTERM the CLI turns into it) over a step that must not be cut in
    two; the signal acts as soon as the step is done.

    Blocking the signals is not enough: one that arrived just before has its Python handler
    already due, and that runs at the next bytecode. So the handlers are swapped for one that
    only notes the signal, and the noted one is handed to the real handler on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    sigs = (signal.SIGINT, signal.SIGTERM)
    old = {s: signal.signal(s, lambda signum, frame: noted.append(signum)) for s in sigs}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)  # None: set outside Python
        if noted:
            h = old[signal.Signals(noted[0])]
            if callable(h):
                h(noted[0], None)
            elif h == signal.SIG_DFL:
                signal.raise_signal(noted[0])


@contextlib.contextmanager
def temporary_dir(prefix: str) -> Iterator[str]:
    """``tempfile.TemporaryDirectory(prefix=prefix)``, made with signals held: a kill that
    landed inside its constructor, after the folder was made and before its cleanup was
    registered, left the folder behind (a test that kills ``align`` as soon as the folder
    appears saw it once, on a loaded machine)."""
    with signals_held():
        tmp = tempfile.TemporaryDirectory(prefix=prefix)
    with tmp as name:
        yield name
