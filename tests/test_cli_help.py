"""Every command's ``--help``: a summary, help and a metavar for each option, pasteable examples;
and click's usage errors (missing option, bad number) exit 2 without a traceback."""

from __future__ import annotations

import re

import pytest
import typer.main

from clipper.cli import app, main

COMMANDS = ("inspect", "align", "subtitles", "sync", "eval", "find", "takeaways", "topics", "cut", "export", "run", "batch", "review")


def _help(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.setenv("COLUMNS", "80")
    code = main([*args, "--help"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    return out


def test_all_commands_registered() -> None:
    group = typer.main.get_command(app)
    assert tuple(group.commands) == COMMANDS  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_parameter_has_help_and_a_metavar(name: str) -> None:
    cmd = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    assert cmd.help and cmd.epilog and cmd.no_args_is_help
    for p in cmd.params:
        assert p.help, f"{name} {p.name}: no help="
        if getattr(p, "is_flag", False):
            assert p.metavar is None, f"{name} {p.name}: a flag takes no value"
        else:
            assert p.metavar, f"{name} {p.name}: no metavar= (typer would print <type>)"


@pytest.mark.parametrize("name", COMMANDS)
def test_help_text(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    out = _help(capsys, monkeypatch, name)
    usage = out.splitlines()[0]
    assert re.match(rf"Usage: .+ {name} \[OPTIONS\] [A-Z\[]", usage), usage  # prog name is argv[0]
    # typer 0.29's own rendering of arguments ({name}, <str>) is replaced by the metavar
    assert "{" not in out and not re.search(r"<(str|int|float|path|list\[str\])>", out)
    examples = out.split("Examples:", 1)[1]
    lines = [ln for ln in examples.splitlines() if ln.strip().startswith("clipper ")]
    assert len(lines) >= 2 and all(ln.strip().split()[1] == name for ln in lines)
    # examples are never rewrapped: each fits 80 columns and a continuation ends in a backslash
    block = examples.split("\n\n")[1].splitlines()
    assert all(len(ln) <= 80 for ln in block)
    for a, b in zip(block, block[1:], strict=False):
        if not b.strip().startswith("clipper "):
            assert a.endswith("\\")


def test_root_lists_every_command_untruncated(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code = main(["--help"])
    out = capsys.readouterr().out
    assert code == 0
    listed = out.split("Commands:", 1)[1].split("Examples:", 1)[0]
    for name in COMMANDS:
        row = next(ln for ln in listed.splitlines() if ln.split()[:1] == [name])
        assert not row.endswith("..."), row


@pytest.mark.parametrize(
    "args, message",
    [
        (["align", "talk.mp4", "talk.txt"], "Missing option '--output'"),
        (["find", "x.align.json", "quote", "--top", "many"], "Invalid value for '--top'"),
        (["nosuch"], "No such command 'nosuch'"),
    ],
)
def test_usage_errors_exit_2_without_traceback(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code = main(args)
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err and "Traceback" not in err
