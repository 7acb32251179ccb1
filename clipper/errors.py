"""Errors carry data; the CLI turns them into one line and an exit code.

``InputError`` and subclasses are the user's to fix (exit 2); everything else derived
from :class:`ClipperError` is a runtime failure (exit 1).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "flag",
    "ClipperError",
    "InputError",
    "ParseError",
    "FormatError",
    "OutputExistsError",
    "MediaError",
    "AlignmentError",
    "MismatchError",
]


#: how a message names a command-line option: ``flag("--audio-track")``; see :class:`ClipperError`
_FLAG = re.compile("\u27e8(-{1,2}[a-z][a-z0-9-]*)\u27e9")
#: short flags and the library keyword each one is
_SHORT = {"-o": "output"}


def flag(option: str) -> str:
    """Mark ``option`` (as the command line spells it, ``"--audio-track"``) in a message.

    >>> e = InputError(f"{flag('--audio-track')} 3: the media has 2 audio tracks")
    >>> str(e), e.cli_message(), e.options
    ('audio_track 3: the media has 2 audio tracks', '--audio-track 3: the media has 2 audio tracks', ('--audio-track',))
    """
    return f"\u27e8{option}\u27e9"


def _keyword(option: str) -> str:
    return _SHORT.get(option) or option.lstrip("-").replace("-", "_")


class ClipperError(Exception):
    """Base of clipper's errors. A message names options with :func:`flag`, so the error
    carries them (``options``) and each audience reads its own spelling: ``str(e)`` gives the
    library keyword (``audio_track``), :meth:`cli_message` the command line's flag
    (``--audio-track``)."""

    exit_code = 1

    @property
    def raw_message(self) -> str:
        return str(self.args[0]) if self.args else ""

    @property
    def options(self) -> tuple[str, ...]:
        """The options the message names, as the command line spells them, in order."""
        return tuple(dict.fromkeys(_FLAG.findall(self.raw_message)))

    def __str__(self) -> str:
        return _FLAG.sub(lambda m: _keyword(m.group(1)), self.raw_message)

    def cli_message(self) -> str:
        """The message as the command line shows it: options as flags."""
        return _FLAG.sub(lambda m: m.group(1), self.raw_message)


class InputError(ClipperError):
    """Bad input: a file, an option, a value. Exit code 2."""

    exit_code = 2


class ParseError(InputError):
    def __init__(self, path: str | None, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = path or "<input>"
        if line is not None:
            where += f":{line}"
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type, tuple[str | None, str, int | None]]:
        # errors cross process boundaries (a pool, a Dask worker) pickled: keep the fields
        return (type(self), (self.path, self.message, self.line))


class FormatError(InputError):
    def __init__(self, message: str, candidates: Sequence[str] = ()) -> None:
        self.candidates = list(candidates)
        super().__init__(message)

    def __reduce__(self) -> tuple[type, tuple[str, list[str]]]:
        return (type(self), (self.raw_message, self.candidates))


class OutputExistsError(InputError):
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"{path}: already exists; pass {flag('--force')} to replace it")

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return (type(self), (self.path,))


class MediaError(ClipperError):
    """ffmpeg failed or the media cannot be used."""

    def __init__(self, message: str, argv: Sequence[str] = (), stderr: str = "") -> None:
        self.argv = list(argv)
        self.stderr = stderr
        super().__init__(message)

    def __reduce__(self) -> tuple[type, tuple[str, list[str], str]]:
        return (type(self), (self.raw_message, self.argv, self.stderr))


class AlignmentError(ClipperError):
    """An engine could not align (e.g. a reference that does not belong to the transcript)."""

    exit_code = 2


class MismatchError(InputError):
    """The transcript (or reference) does not seem to belong to the media (exit 2).

    ``share`` is the measured agreement (0-1) and ``threshold`` the least that is accepted;
    ``force`` (``--force``) goes on anyway and marks the result.
    """

    def __init__(self, message: str, share: float, threshold: float, what: str = "transcript") -> None:
        self.share = share
        self.threshold = threshold
        self.what = what
        super().__init__(message)

    def __reduce__(self) -> tuple[type, tuple[str, float, float, str]]:
        # worker processes send errors back pickled: keep the fields
        return (type(self), (self.raw_message, self.share, self.threshold, self.what))
