"""Errors carry data; the CLI turns them into one line and an exit code.

``InputError`` and subclasses are the user's to fix (exit 2); everything else derived
from :class:`ClipperError` is a runtime failure (exit 1).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ClipperError",
    "InputError",
    "ParseError",
    "FormatError",
    "OutputExistsError",
    "MediaError",
    "AlignmentError",
    "MismatchError",
]


class ClipperError(Exception):
    exit_code = 1


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
        return (type(self), (str(self), self.candidates))


class OutputExistsError(InputError):
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"{path}: already exists; pass --force to replace it")

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return (type(self), (self.path,))


class MediaError(ClipperError):
    """ffmpeg failed or the media cannot be used."""

    def __init__(self, message: str, argv: Sequence[str] = (), stderr: str = "") -> None:
        self.argv = list(argv)
        self.stderr = stderr
        super().__init__(message)

    def __reduce__(self) -> tuple[type, tuple[str, list[str], str]]:
        return (type(self), (str(self), self.argv, self.stderr))


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
        return (type(self), (str(self), self.share, self.threshold, self.what))
