"""Takeaway hints resolved by evidence (clipper.query.resolve)."""

from __future__ import annotations

from conftest import shared_path

from clipper.model import Alignment, Hint, MediaInfo, Segment, Takeaway, Transcript, Word
from clipper.query.resolve import readings_for, resolve_takeaways


def test_readings_of_three_and_two_fields():
    assert [(r.ms, r.form) for r in readings_for("[01:21:09]")] == [(4_869_000, "h:mm:ss"), (81_000, "mm:ss+field")]
    assert [(r.ms, r.form) for r in readings_for("[12:34]")] == [(754_000, "mm:ss")]
    assert readings_for("[01:75:00]") == ()


def _timeline(duration: int, placed: dict[int, str]) -> Alignment:
    """Filler speech every 10 s, and the given lines at the given times."""
    segs = []
    times = sorted(set(range(0, duration - 5000, 10_000)) | set(placed))
    for i, t in enumerate(times):
        text = placed.get(t, "we talked about the weather and lunch")
        words, at = [], t
        for tok in text.split():
            words.append(Word(tok, at, at + 300))
            at += 350
        segs.append(Segment(i, text, tuple(words), t, at - 50))
    return Alignment(Transcript(tuple(segs)), engine="t", media=MediaInfo("x.mp4", duration))


def _takeaway(raw: str) -> Takeaway:
    return Takeaway(
        "Turned down OpenAI",
        "He rejected the OpenAI offer after Ilya called him.",
        (Hint(raw, readings_for(raw)),),
    )


def test_duration_rules_out_a_reading():
    al = _timeline(3_600_000, {582_000: "Ilya called and I rejected the OpenAI offer"})
    al = Alignment(Transcript(al.segments, takeaways=(_takeaway("[09:42:10]"),)), engine="t", media=al.media)
    (r,) = resolve_takeaways(al)
    h = r.hints[0]
    assert h.chosen is not None and h.chosen.reading.ms == 582_000
    assert h.confidence == "only"
    (rej,) = h.rejected
    assert not rej.possible and "past the end" in rej.reason


def test_words_decide_between_possible_readings():
    # [01:21:09] is 1 h 21 min 9 s or 1 min 21 s: the text sits near the hours reading
    for where, expect in ((4_869_000, "h:mm:ss"), (81_000, "mm:ss+field")):
        al = _timeline(7_200_000, {where + 30_000: "Ilya called and I rejected the OpenAI offer"})
        al = Alignment(Transcript(al.segments, takeaways=(_takeaway("[01:21:09]"),)), engine="t", media=al.media)
        h = resolve_takeaways(al)[0].hints[0]
        assert h.chosen is not None and h.chosen.reading.form == expect, h
        assert h.chosen.passage is not None and "openai" in h.chosen.passage.hits
        assert h.rejected[0].possible and "weaker evidence" in h.rejected[0].reason


def test_seed_all_twelve_hints_resolve_by_evidence():
    from clips_truth import alignment_from_truth, seed_takeaways

    takeaways, topics = seed_takeaways(shared_path("seeds", "000_4a3f5fdea2417d2d.txt"))
    al = alignment_from_truth(shared_path("bench", "seed.truth.json"), takeaways=takeaways, topics=topics)
    resolved = resolve_takeaways(al)
    hints = [h for r in resolved for h in r.hints]
    assert len(hints) == 12
    duration = al.duration
    assert duration is not None
    for h in hints:
        assert h.chosen is not None, h.hint.raw
        assert h.chosen.possible and h.chosen.reading.ms < duration
        assert h.chosen.passage is not None and h.chosen.score > 0  # evidence shown
        assert h.chosen.reason.startswith("passage ")
    chosen = {h.hint.raw: h.chosen.reading.ms for h in hints if h.chosen}
    assert chosen["[09:42:10]"] == 582_000  # 9 min 42 s, never 9 h 42 min
    assert chosen["[22:29:22]"] == 1_349_000
    assert chosen["[25:07:25]"] == 1_507_000
