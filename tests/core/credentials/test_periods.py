"""Month arithmetic and the spans of periodic rules."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from core.credentials.periods import add_months, rolling_window, spans_around
from core.credentials.rules import Anchored, CalendarYear, FixedCycle


def test_months_clamp_to_the_end_of_a_shorter_month():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)


def test_windows_of_the_last_months():
    assert rolling_window(date(2026, 5, 7), 12) == (date(2025, 5, 8), date(2026, 5, 7))
    assert rolling_window(date(2026, 5, 7), 12, back=1) == (date(2024, 5, 8), date(2025, 5, 7))
    assert rolling_window(date(2026, 2, 28), 12) == (date(2025, 3, 1), date(2026, 2, 28))


def test_anchored_periods_do_not_drift_from_a_31st():
    spans, _ = spans_around(Anchored(1), date(2025, 4, 15), date(2025, 1, 31))
    assert [(s.start, s.end) for s in spans] == [(date(2025, 3, 31), date(2025, 4, 29))]
    _, closed = spans_around(Anchored(1, count=3), date(2025, 4, 15), date(2025, 1, 31))
    assert [(s.start, s.end) for s in closed] == [
        (date(2025, 2, 28), date(2025, 3, 30)),
        (date(2025, 1, 31), date(2025, 2, 27)),
    ]


def test_there_is_no_anchored_period_before_the_certification():
    assert spans_around(Anchored(48), date(2019, 12, 31), date(2020, 3, 1)) == ([], [])


def test_a_cycle_stays_open_until_its_proof_is_due():
    cycle = FixedCycle(24, date(2025, 1, 1), grace_days=31)
    open_spans, closed = spans_around(cycle, date(2025, 1, 31), date(2000, 1, 1))
    assert [(s.start, s.end, s.due) for s in open_spans] == [
        (date(2025, 1, 1), date(2026, 12, 31), date(2027, 1, 31)),
        (date(2023, 1, 1), date(2024, 12, 31), date(2025, 1, 31)),
    ]
    assert [s.start for s in closed] == [date(2021, 1, 1)]


periods = st.one_of(
    st.builds(CalendarYear, count=st.integers(1, 3)),
    st.builds(Anchored, months=st.integers(1, 60), count=st.integers(1, 3)),
    st.builds(
        FixedCycle,
        months=st.integers(1, 60),
        start=st.dates(date(2000, 1, 1), date(2040, 12, 31)),
        grace_days=st.integers(0, 400),
        count=st.integers(1, 3),
    ),
)


@settings(max_examples=200, deadline=None)
@given(periods, st.dates(date(2010, 1, 1), date(2040, 12, 31)), st.integers(0, 4000))
def test_spans_are_contiguous_and_the_day_falls_in_the_latest(period, issued_on, later):
    on = issued_on + timedelta(days=later)
    open_spans, closed = spans_around(period, on, issued_on)
    spans = open_spans + closed  # most recent first
    assert spans[0].start <= on <= spans[0].end
    for newer, older in pairwise(spans):
        assert older.end + timedelta(days=1) == newer.start
    assert all(s.due >= on for s in open_spans) and all(s.due < on for s in closed)
    assert len(closed) <= period.count
