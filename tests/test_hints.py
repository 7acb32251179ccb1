"""Timestamp hints keep every plausible reading."""

from __future__ import annotations

import pytest

from clipper.read.hints import find_hints, parse_hint, strip_hints


def readings(raw):
    return {r.form: r.ms for r in parse_hint(raw).readings}


def test_three_fields_have_both_readings():
    assert readings("[01:21:09]") == {"h:mm:ss": 4869000, "mm:ss+field": 81000}
    assert readings("[09:42:10]") == {"h:mm:ss": 34930000, "mm:ss+field": 582000}
    assert parse_hint("[09:42:10]").raw == "[09:42:10]"


def test_two_fields_are_minutes_and_seconds():
    assert readings("[12:34]") == {"mm:ss": 754000}
    assert readings("75:20") == {"mm:ss": 4520000}
    assert readings("[1:02.5]") == {"mm:ss": 62500}


def test_implausible_readings():
    with pytest.raises(ValueError):
        parse_hint("[01:75:10]")  # minutes 75: neither reading
    assert readings("[01:20:75]") == {"mm:ss+field": 80000}  # seconds 75 rule out h:mm:ss only
    with pytest.raises(ValueError):
        parse_hint("[hello]")


def test_equal_readings_are_kept_once():
    assert [r.form for r in parse_hint("[00:00:00]").readings] == ["h:mm:ss"]


def test_seed_hints_that_cannot_be_hours_of_seven_hours():
    duration = 7 * 3600 * 1000 + 58 * 60 * 1000
    for raw in ("[09:42:10]", "[22:29:22]", "[25:07:25]"):
        fits = [r for r in parse_hint(raw).readings if r.ms <= duration]
        assert [r.form for r in fits] == ["mm:ss+field"]
    # [05:09:05] fits both ways by duration alone; content decides later
    assert len([r for r in parse_hint("[05:09:05]").readings if r.ms <= duration]) == 2


def test_find_and_strip():
    text = "leading to success through persistence. [09:42:10], [22:29:22]"
    assert [h.raw for h in find_hints(text)] == ["[09:42:10]", "[22:29:22]"]
    assert strip_hints(text) == "leading to success through persistence."
    assert find_hints("a [laughter] and [99:99]") == []
