"""The engine contract (``clipper.align.Engine``): every engine module keeps it, and one
that does not is caught when it is loaded, before it runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from clipper.align import ENGINES, AlignRequest, Engine, align, engine_module, option_types
from clipper.read import parse


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_every_engine_keeps_the_contract(name: str) -> None:
    module = engine_module(name)
    assert module is not None and isinstance(module, Engine)
    assert isinstance(module.PINS_ANCHORS, bool) and callable(module.run)
    assert module.OPTIONS and all(isinstance(k, str) and isinstance(t, tuple) and t for k, t in module.OPTIONS.items())
    assert option_types(name) == dict(module.OPTIONS)


def test_an_engine_that_breaks_the_contract_is_caught_before_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a module with run and OPTIONS but no PINS_ANCHORS: align cannot know whether to
    # check anchors against its result, so it must not run it
    (tmp_path / "half_engine.py").write_text(
        "OPTIONS = {'x': (int,)}\n"
        "RAN = []\n"
        "def run(request):\n"
        "    RAN.append(1)\n"
        "    raise AssertionError('ran')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(ENGINES, "half", "half_engine:run")
    request = AlignRequest(parse("one line\n", "plain"), reference=parse("1\n00:00:01,000 --> 00:00:02,000\none line\n", "srt"))
    with pytest.raises(TypeError, match="lacks PINS_ANCHORS"):
        align(request, "half")
    assert sys.modules["half_engine"].RAN == []
    assert engine_module("nope") is None
