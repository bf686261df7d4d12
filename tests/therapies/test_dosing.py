from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from therapies import dosing
from therapies.dosing import IntervalUnit, LoadingDose, RegimenSpec

GUSELKUMAB = RegimenSpec(
    loading=(LoadingDose(0, 100, 1), LoadingDose(4, 100, 1)),
    every=8,
    unit=IntervalUnit.WEEKS,
    dose_mg=100,
    devices=1,
)
SECUKINUMAB = RegimenSpec(
    loading=tuple(LoadingDose(week, 300, 1) for week in range(5)),
    every=1,
    unit=IntervalUnit.MONTHS,
    dose_mg=300,
    devices=1,
)
START = date(2027, 1, 4)


def dates(spec, start=START, count=6, **kwargs):
    return [d.date for d in dosing.plan(spec, start, count=count, **kwargs)]


def test_loading_doses_come_first_then_maintenance_from_the_last_loading_dose():
    assert dates(GUSELKUMAB, count=5) == [
        START,
        START + timedelta(weeks=4),
        START + timedelta(weeks=12),
        START + timedelta(weeks=20),
        START + timedelta(weeks=28),
    ]


def test_monthly_maintenance_uses_calendar_months_without_drifting_after_a_short_month():
    # Week 4 falls on 31 January: maintenance is on the last day of each month, not the 28th.
    first = date(2027, 1, 3)
    assert dates(SECUKINUMAB, start=first, count=9)[4:] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
    ]


def test_maintenance_may_start_at_its_own_week():
    adalimumab = RegimenSpec(
        loading=(LoadingDose(0, 80, 1),),
        every=2,
        unit=IntervalUnit.WEEKS,
        dose_mg=40,
        devices=1,
        start_week=1,
    )
    plan = dosing.plan(adalimumab, START, count=3)
    assert [(d.date, d.dose_mg) for d in plan] == [
        (START, 80),
        (START + timedelta(weeks=1), 40),
        (START + timedelta(weeks=3), 40),
    ]


def test_a_regimen_without_loading_doses_starts_maintenance_at_week_zero():
    weekly = RegimenSpec(
        loading=(), every=1, unit=IntervalUnit.WEEKS, dose_mg=162, devices=1, start_week=0
    )
    assert dates(weekly, count=3) == [START, START + timedelta(weeks=1), START + timedelta(weeks=2)]


def test_devices_follow_each_dose():
    taltz = RegimenSpec(
        loading=(LoadingDose(0, 160, 2), LoadingDose(2, 80, 1)),
        every=4,
        unit=IntervalUnit.WEEKS,
        dose_mg=80,
        devices=1,
    )
    assert [d.devices for d in dosing.plan(taltz, START, count=3)] == [2, 1, 1]


def test_an_override_moves_one_dose_and_leaves_the_rest_of_the_plan():
    moved = date(2027, 4, 2)
    plan = dosing.plan(GUSELKUMAB, START, count=4, overrides={3: moved})
    assert [d.date for d in plan] == [START, date(2027, 2, 1), moved, date(2027, 5, 24)]
    assert [d.overridden for d in plan] == [False, False, True, False]


def test_plan_until_stops_at_the_end_date():
    assert dates(GUSELKUMAB, count=None, until=date(2027, 3, 29)) == [
        START,
        date(2027, 2, 1),
        date(2027, 3, 29),
    ]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"every": 0}, "at least 1"),
        ({"loading": (LoadingDose(1, 1, 1),)}, "week 0"),
        ({"loading": (LoadingDose(0, 1, 1), LoadingDose(0, 1, 1))}, "strictly increasing"),
        ({"start_week": 0}, "after the last loading"),
        ({"devices": 0}, "at least one device"),
    ],
)
def test_it_refuses_an_impossible_regimen(bad, message):
    fields = {
        "loading": GUSELKUMAB.loading,
        "every": 8,
        "unit": IntervalUnit.WEEKS,
        "dose_mg": 100,
        "devices": 1,
    } | bad
    with pytest.raises(ValueError, match=message):
        RegimenSpec(**fields)


def test_add_months_clamps_to_the_end_of_the_month():
    assert dosing.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert dosing.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert dosing.add_months(date(2027, 11, 15), 3) == date(2028, 2, 15)


# --- status: next dose, late dose -------------------------------------------------------------


def test_the_next_dose_is_the_first_after_the_last_logged_one():
    doses = dosing.planned_doses(GUSELKUMAB, START)
    status = dosing.dose_status(doses, {1: START}, today=date(2027, 1, 20))
    assert status.next_dose.number == 2
    assert status.days_until == 12
    assert not status.overdue


def test_a_late_dose_is_overdue_and_later_doses_keep_their_original_dates():
    today = date(2027, 2, 5)
    status = dosing.dose_status(dosing.planned_doses(GUSELKUMAB, START), {1: START}, today)
    assert status.overdue and status.days_late == 4
    # Logged late: the third dose stays on its planned date (resume the original plan).
    after = dosing.dose_status(dosing.planned_doses(GUSELKUMAB, START), {1: START, 2: today}, today)
    assert after.next_dose.date == START + timedelta(weeks=12)


def test_a_dose_never_logged_before_a_logged_one_is_reported_as_skipped():
    status = dosing.dose_status(
        dosing.planned_doses(GUSELKUMAB, START), {1: START, 3: date(2027, 3, 29)}, date(2027, 4, 1)
    )
    assert [d.number for d in status.skipped] == [2]
    assert status.next_dose.number == 4


# --- adherence --------------------------------------------------------------------------------


def test_adherence_counts_doses_within_three_days_of_the_plan():
    taken = {1: START, 2: date(2027, 2, 4), 3: date(2027, 4, 5)}  # on time, +3 days, +7 days
    result = dosing.adherence(dosing.planned_doses(GUSELKUMAB, START), taken, date(2027, 4, 10))
    assert (result.on_time, result.counted, result.percent) == (2, 3, 67)


def test_a_dose_whose_window_is_still_open_does_not_lower_adherence():
    result = dosing.adherence(dosing.planned_doses(GUSELKUMAB, START), {1: START}, date(2027, 2, 3))
    assert (result.on_time, result.counted) == (1, 1)
    missed = dosing.adherence(dosing.planned_doses(GUSELKUMAB, START), {1: START}, date(2027, 2, 5))
    assert (missed.on_time, missed.counted) == (1, 2)


def test_adherence_has_no_figure_before_any_dose_counts():
    assert dosing.adherence(dosing.planned_doses(GUSELKUMAB, START), {}, START).percent is None


# --- properties -------------------------------------------------------------------------------

loading_weeks = st.lists(st.integers(1, 20), max_size=6, unique=True).map(
    lambda weeks: (0, *sorted(weeks))
)


@st.composite
def regimens(draw):
    weeks = draw(loading_weeks)
    unit = draw(st.sampled_from(list(IntervalUnit)))
    every = draw(st.integers(1, 3 if unit == IntervalUnit.MONTHS else 12))
    start_week = draw(st.none() | st.integers(weeks[-1] + 1, weeks[-1] + 8))
    return RegimenSpec(
        loading=tuple(LoadingDose(w, 100, draw(st.integers(1, 3))) for w in weeks),
        every=every,
        unit=unit,
        dose_mg=100,
        devices=draw(st.integers(1, 3)),
        start_week=start_week,
    )


first_days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@settings(deadline=None)  # a loaded CI machine, not the code, makes an example slow
@given(spec=regimens(), first=first_days)
def test_planned_dates_strictly_increase(spec, first):
    planned = dates(spec, start=first, count=len(spec.loading) + 24)
    assert all(b > a for a, b in zip(planned, planned[1:], strict=False))


@settings(deadline=None)  # a loaded CI machine, not the code, makes an example slow
@given(spec=regimens(), first=first_days)
def test_loading_offsets_are_respected(spec, first):
    plan = dosing.plan(spec, first, count=len(spec.loading))
    assert [(d.date - first).days for d in plan] == [7 * dose.week for dose in spec.loading]
    assert all(d.phase == dosing.Phase.LOADING for d in plan)


@settings(deadline=None)  # a loaded CI machine, not the code, makes an example slow
@given(spec=regimens(), first=first_days)
def test_intervals_are_respected_after_the_loading_phase(spec, first):
    plan = dosing.plan(spec, first, count=len(spec.loading) + 12)
    maintenance = [d.date for d in plan if d.phase == dosing.Phase.MAINTENANCE]
    anchor_week = spec.start_week if spec.start_week is not None else spec.loading[-1].week
    anchor = first + timedelta(weeks=anchor_week)
    for k, day in enumerate(maintenance):
        step = k if spec.start_week is not None else k + 1
        if spec.unit == IntervalUnit.WEEKS:
            assert day == anchor + timedelta(weeks=step * spec.every)
        else:
            months = (day.year - anchor.year) * 12 + day.month - anchor.month
            assert months == step * spec.every
            assert day.day == min(anchor.day, day.day) and (day.day == anchor.day or day.day >= 28)


@settings(deadline=None)  # a loaded CI machine, not the code, makes an example slow
@given(spec=regimens(), first=first_days, logged=st.integers(0, 10), offset=st.integers(0, 400))
def test_the_next_dose_is_never_one_already_logged(spec, first, logged, offset):
    plan = dosing.plan(spec, first, count=logged + 1)
    taken = {d.number: d.date for d in plan[:logged]}
    status = dosing.dose_status(plan, taken, first + timedelta(days=offset))
    assert status.next_dose.number == logged + 1
    assert status.overdue == (status.next_dose.date < first + timedelta(days=offset))


@settings(deadline=None)  # a loaded CI machine, not the code, makes an example slow
@given(spec=regimens(), first=first_days)
def test_the_devices_of_a_dose_number_match_the_plan(spec, first):
    plan = dosing.plan(spec, first, count=len(spec.loading) + 6)
    assert [dosing.devices_of_dose(spec, d.number) for d in plan] == [d.devices for d in plan]
