"""The alignment file round-trips exactly, and bad files fail with one clear error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clipper import alignfile
from clipper.errors import OutputExistsError, ParseError
from clipper.model import (
    Alignment,
    AudioTrack,
    CleanReport,
    Hint,
    MediaInfo,
    Reading,
    Segment,
    Takeaway,
    Topic,
    Transcript,
    Word,
)

# Text as files hold it: any character but lone surrogates (not encodable in UTF-8).
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
ms = st.integers(min_value=0, max_value=40 * 3_600_000)
conf = st.none() | st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
json_scalar = st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats(allow_nan=False, allow_infinity=False) | text
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def spans(draw: Any) -> tuple[int | None, int | None]:
    if draw(st.booleans()):
        return None, None
    a, b = sorted((draw(ms), draw(ms)))
    return a, b


@st.composite
def words(draw: Any) -> Word:
    a, b = draw(spans())
    return Word(draw(text), a, b, draw(conf))


@st.composite
def segments(draw: Any) -> tuple[Segment, ...]:
    out = []
    for i in range(draw(st.integers(0, 6))):
        a, b = draw(spans())
        out.append(
            Segment(
                id=i,
                text=draw(text),
                words=tuple(draw(st.lists(words(), max_size=4))),
                start=a,
                end=b,
                confidence=draw(conf),
                paragraph=draw(st.none() | st.integers(0, 5000)),
                speaker=draw(st.none() | text),
            )
        )
    return tuple(out)


readings = st.builds(Reading, ms, st.sampled_from(["h:mm:ss", "mm:ss", "mm:ss+field"]))
hints = st.builds(Hint, text, st.lists(readings, max_size=3).map(tuple))
takeaways = st.builds(Takeaway, text, text, st.lists(hints, max_size=2).map(tuple))
media = st.none() | st.builds(
    MediaInfo,
    path=text,
    duration=ms,
    has_audio=st.booleans(),
    has_video=st.booleans(),
    fps_num=st.none() | st.integers(1, 120000),
    fps_den=st.none() | st.integers(1, 1001),
    width=st.none() | st.integers(2, 8000),
    height=st.none() | st.integers(2, 8000),
    sample_rate=st.none() | st.integers(8000, 96000),
    channels=st.none() | st.integers(1, 8),
    start_time=ms,
    audio_track=st.integers(0, 3),
    audio_tracks=st.lists(
        st.builds(AudioTrack, index=st.integers(0, 3), stream=st.integers(0, 9), codec=text, channels=st.none() | st.integers(1, 8),
                  sample_rate=st.none() | st.integers(8000, 96000), language=st.none() | text, title=st.none() | text,
                  default=st.booleans()),  # fmt: skip
        max_size=3,
    ).map(tuple),
    subtitle_codecs=st.lists(text, max_size=2).map(tuple),
    data_streams=st.integers(0, 2),
    sar_num=st.none() | st.integers(1, 100),
    sar_den=st.none() | st.integers(1, 100),
)
reports = st.builds(
    CleanReport,
    counts=st.dictionaries(text, st.integers(0, 10**6), max_size=3),
    examples=st.dictionaries(text, st.lists(text, max_size=3).map(tuple), max_size=3),
)


@st.composite
def alignments(draw: Any) -> Alignment:
    tr = Transcript(
        segments=draw(segments()),
        takeaways=tuple(draw(st.lists(takeaways, max_size=3))),
        topics=tuple(draw(st.lists(st.builds(Topic, text), max_size=3))),
        meta=draw(st.dictionaries(text, text, max_size=4)),
        report=draw(reports),
    )
    return Alignment(
        transcript=tr,
        engine=draw(st.sampled_from(["uniform", "reference", "speech", "activity"])),
        media=draw(media),
        settings=draw(st.dictionaries(text, json_value, max_size=4)),
        stats=draw(st.dictionaries(text, json_value, max_size=4)),
    )


@settings(max_examples=150, deadline=None)
@given(alignments())
def test_round_trip_exact(al: Alignment) -> None:
    text_form = alignfile.dumps(al)
    back = alignfile.loads(text_form)
    assert back == al
    # and the text form is stable: dumping again gives the same bytes
    assert alignfile.dumps(back) == text_form


@settings(max_examples=25, deadline=None)
@given(alignments())
def test_round_trip_through_a_file(tmp_path_factory: pytest.TempPathFactory, al: Alignment) -> None:
    path = tmp_path_factory.mktemp("al") / "x.align.json"
    alignfile.save(al, path)
    assert alignfile.load(path) == al


def _sample() -> Alignment:
    seg = Segment(0, "Hello, world [laughter]", (Word("Hello,", 10, 200, 0.9), Word("world", 250, 600, 1.0)), 10, 600, 0.95, 0)
    return Alignment(Transcript((seg, Segment(1, "[music]"))), "uniform", MediaInfo("a.wav", 1000))


def test_layout_is_versioned_compact_json() -> None:
    d = json.loads(alignfile.dumps(_sample()))
    assert d["clipper_alignment"] == alignfile.VERSION
    assert d["segments"][0]["words"] == [["Hello,", 10, 200, 0.9], ["world", 250, 600, 1.0]]
    assert d["segments"][1]["start"] is None and d["segments"][1]["words"] == []
    assert d["media"]["duration"] == 1000


def test_save_refuses_to_overwrite(tmp_path: Path) -> None:
    p = tmp_path / "x.align.json"
    alignfile.save(_sample(), p)
    before = p.read_bytes()
    with pytest.raises(OutputExistsError):
        alignfile.save(_sample(), p)
    assert p.read_bytes() == before
    alignfile.save(_sample(), p, force=True)
    assert [x.name for x in tmp_path.iterdir()] == ["x.align.json"]  # no temporary left behind


@pytest.mark.parametrize(
    ("content", "what"),
    [
        ("{not json", "not valid JSON"),
        ('{"segments": []}', "not a clipper alignment file"),
        ('{"clipper_alignment": 99}', "version 99"),
        ('{"clipper_alignment": 1, "engine": "uniform", "segments": [{"id": 0}]}', "malformed"),
        ('{"clipper_alignment": 1, "engine": "uniform", "segments": [{"id": 0, "text": "a", "start": 5, "end": 1, '
         '"confidence": null, "paragraph": null, "words": []}]}', "malformed"),
    ],
)
def test_bad_files_raise_parse_error(tmp_path: Path, content: str, what: str) -> None:
    p = tmp_path / "bad.align.json"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(ParseError) as e:
        alignfile.load(p)
    assert what in str(e.value)
    assert str(p) in str(e.value)
