"""The start rule (bridge/timeline/preroll.py): a slightly later start rather than silence inside the first
sentence. Pure function of measured quantities: no timing in the test."""

from __future__ import annotations

from faceplex.bridge.timeline.preroll import PIECE_S, SAFETY, may_start


def test_starts_at_once_when_nothing_is_known_or_left():
    assert may_start(0.1, None, 5.0, 0.075)          # length of the sentence unknown
    assert may_start(0.1, 0.0, 0.5, 0.075)           # the whole sentence is ready
    assert may_start(0.1, 1.0, None, 0.075)          # speed not measured yet
    assert may_start(0.1, 0.0, None, 0.075, contended=True)  # one-piece sentences never wait


def test_fast_voice_starts_on_the_first_piece():
    # 12x real time: the next 0.74 s piece comes in 0.74 / (12 / 1.5) = 93 ms, within 0.14 s + slack.
    assert may_start(0.14, 2.0, 12.0, 0.075)


def test_slow_voice_waits_until_the_ready_audio_covers_the_next_piece():
    speed = 3.0  # next piece in 0.74 * 1.5 / 3 = 0.37 s; 0.14 s + 0.075 s slack is not enough
    assert not may_start(0.14, 2.0, speed, 0.075)
    need = PIECE_S * SAFETY / speed - 0.075
    assert may_start(need + 1e-6, 2.0, speed, 0.075)
    assert not may_start(need - 1e-3, 2.0, speed, 0.075)
    # A shorter planned next piece needs less.
    assert may_start(0.14, 2.0, speed, 0.075, piece_s=0.3)


def test_slower_than_real_time_waits_for_the_whole_rest():
    # At 0.5x the rest (2 s) takes 2 * 1.5 / 0.5 = 6 s: ready must cover 2 * (3 - 1) - slack.
    assert not may_start(3.0, 2.0, 0.5, 0.075)
    assert may_start(3.93, 2.0, 0.5, 0.075)


def test_contention_needs_two_pieces_ready():
    assert may_start(0.14, 2.0, 12.0, 0.075, pieces_ready=1, contended=False)
    assert not may_start(0.14, 2.0, 12.0, 0.075, pieces_ready=1, contended=True)
    assert may_start(0.9, 1.2, 12.0, 0.075, pieces_ready=2, contended=True)
    # Two pieces are necessary, not sufficient: a slow machine still needs the audio to cover.
    assert not may_start(0.3, 3.0, 1.0, 0.075, pieces_ready=2, contended=True)
