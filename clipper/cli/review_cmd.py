"""``clipper review X.align.json [MEDIA]``: serve the review page on loopback and open it."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from . import app
from .common import QUIET, Command, epilog, note


def media_for(alignment: Path, given: str | None) -> Path:
    """The media to review: the one given, else the one the alignment was made from (a
    relative path is looked up beside the alignment, then from here)."""
    if given is not None:
        p = Path(given)
        if not p.is_file():
            raise InputError(f"{given}: no such media file")
        return p
    from ..alignfile import load

    al = load(alignment)
    recorded = al.media.path if al.media is not None else None
    if not recorded:
        raise InputError(f"{alignment}: records no media; give the media file after it")
    for p in (Path(recorded), alignment.parent / recorded, alignment.parent / Path(recorded).name):
        if p.is_file():
            return p
    raise InputError(f"{alignment}: its media {recorded} is not there; give the media file after it")


@app.command(
    "review",
    cls=Command,
    short_help="Review an alignment in the browser: see, fix, pick and cut clips.",
    no_args_is_help=True,
    help=(
        "Serve a local page showing the media beside the transcript, with a timeline coloured by confidence; "
        "fix a line's times (saved to the alignment, the previous version kept as .bak), search quotes, "
        "see takeaways and topics, queue clips, cut them and export the queue (EDL, FCPXML, OTIO)."
    ),
    epilog=epilog(
        "clipper review talk.align.json",
        "clipper review talk.align.json talk.mp4 --port 8765 --no-open",
        notes=(
            "The server listens on 127.0.0.1 only and every request needs the random token in the printed "
            "address. It writes only beside the alignment: the alignment, X.review-clips/ and X.review.EXT. "
            "Ctrl-C stops it."
        ),
    ),
)
def review_command(
    alignment: str = typer.Argument(..., metavar="X.align.json", help="The alignment file to review (it is saved on every fix)."),
    media: str | None = typer.Argument(None, metavar="MEDIA", help="The media; default the one the alignment was made from."),
    port: int = typer.Option(0, "--port", metavar="N", help="Port on 127.0.0.1 (0: any free port)."),
    no_open: bool = typer.Option(False, "--no-open", help="Print the address but do not open a browser."),
    quiet: bool = QUIET,
) -> None:
    import os
    import time
    import webbrowser

    from ..io import read_bytes
    from ..review import ReviewServer, Session

    path = Path(alignment)
    read_bytes(path, "alignment file")  # missing, a folder, unreadable: one line, exit 2
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port}: give 0 (any free port) to 65535")
    if not os.access(path, os.W_OK) or not os.access(path.parent.resolve(), os.W_OK):
        # checked before serving: a fix that cannot be saved would be lost
        raise InputError(f"{path}: not writable here; the page saves fixes to it (copy it somewhere writable)")
    session = Session(path, media_for(path, media))
    server = ReviewServer(session, port).start()
    typer.echo(server.url)
    note(f"reviewing {path.name} with {session.media.name}; Ctrl-C stops", quiet)
    if not no_open:
        webbrowser.open(server.url)
    # waits are timed: a Ctrl-C the kernel hands to another thread (the server's, a cut's)
    # only reaches the main thread when it next runs Python; an untimed wait never does
    try:
        while True:
            time.sleep(0.25)
    except KeyboardInterrupt:
        server.stop()
        try:  # a cut swaps its clips in at the end: let it finish rather than leave its staging behind
            for job in session.running():
                note("a cut is running: waiting for it to finish (Ctrl-C again abandons it; earlier clips stay)", quiet)
                while job.thread is not None and job.thread.is_alive():
                    job.thread.join(0.25)
        except KeyboardInterrupt:
            pass
        note("stopped", quiet)
    finally:
        server.stop()
