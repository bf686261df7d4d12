"""The journal and scores (issue 20): entries tied to doses with undo, scores in our own words,
bad input, sharing per specialist, flags, trends, the access log, exports, erasure, the prompt."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from patients.journal.charts import trend_charts
from patients.journal.entries import record_entry
from patients.journal.flags import baseline
from patients.journal.prompts import queue_journal_prompts
from patients.journal.scores import record_scores
from patients.journal.sharing import set_sharing
from patients.models import (
    AccessEvent,
    FlagReason,
    JournalEntry,
    JournalFlag,
    JournalShare,
    Kind,
    Reminder,
    ScoreSet,
    User,
)
from patients.privacy.erasure import erase_account
from patients.reminders.delivery import dispatch_reminders
from tests.factories import TreatmentFactory, log_dose
from tests.support import sign_in

pytestmark = pytest.mark.django_db

# 10:00 in Paris on 3 February 2027; the guselkumab fixture's dose 1 was on 4 January.
NOW = datetime(2027, 2, 3, 9, 0, tzinfo=UTC)
TODAY = date(2027, 2, 3)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dose_1(treatment):
    return log_dose(treatment, 1, date(2027, 1, 4), lot_number="AB1234")


@pytest.fixture
def shared(patient, clinician, care_link):
    return set_sharing(patient=patient, clinician=clinician, shared=True, now=NOW)


def entry_data(**overrides):
    data = {"occurred_on": "2027-02-02", "site_reaction": "mild", "note": ""}
    return data | overrides


def scores_data(**overrides):
    data = {"recorded_on": "2027-02-03", "itch": "3", "skin_overall": "4", "palms_arms": "2"}
    return data | overrides


# --- Entries -------------------------------------------------------------------------------------


def test_a_patient_records_an_entry_tied_to_a_dose(patient_client, patient, dose_1):
    response = patient_client.post(
        f"/en/journal/entries/new/?injection={dose_1.pk}",
        entry_data(side_effects="headache", dose_held="on", held_reason="illness"),
    )
    assert response.status_code == 302
    entry = JournalEntry.objects.get()
    assert (entry.injection, entry.treatment, entry.patient) == (dose_1, dose_1.treatment, patient)
    assert (entry.site_reaction, entry.side_effects, entry.held_reason) == (
        "mild",
        "headache",
        "illness",
    )


def test_an_infection_needs_to_say_what_and_a_held_dose_why(patient_client, treatment):
    response = patient_client.post(
        "/en/journal/entries/new/", entry_data(infection="on", dose_held="on")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Say what infection, in a few words." in page
    assert "Choose why the dose was held or delayed." in page
    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("occurred_on", "2027-02-04", "This date is in the future."),
        ("occurred_on", "2020-01-01", "This date is more than five years ago."),
        ("note", "x" * 1001, "Ensure this value has at most 1000 characters"),
        ("side_effects", "x" * 201, "Ensure this value has at most 200 characters"),
        ("note", "bad\x00byte", "Null characters are not allowed."),
        ("site_reaction", "enormous", "Select a valid choice."),
    ],
)
def test_bad_entry_input_is_refused_on_its_field_and_kept(
    patient_client, treatment, field, value, message
):
    response = patient_client.post("/en/journal/entries/new/", entry_data(**{field: value}))
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert 'aria-invalid="true"' in page
    if "\x00" not in value and field != "site_reaction":
        assert value[:50] in page  # what was typed is kept
    assert not JournalEntry.objects.exists()


def test_an_empty_entry_is_refused_with_a_message(patient_client, treatment):
    response = patient_client.post("/en/journal/entries/new/", {"occurred_on": "2027-02-02"})
    assert "Nothing to save" in response.content.decode()
    assert not JournalEntry.objects.exists()


def test_an_entry_is_edited_then_deleted_and_restored(patient_client, patient, treatment):
    entry = record_entry(patient=patient, treatment=treatment, occurred_on=TODAY, note="first")
    response = patient_client.post(
        f"/en/journal/entries/{entry.pk}/edit/", entry_data(note="second")
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.note == "second"

    patient_client.post(f"/en/journal/entries/{entry.pk}/delete/")
    assert not JournalEntry.objects.live().exists()
    page = patient_client.get("/en/journal/").content.decode()
    assert "was deleted" in page and "Undo" in page
    patient_client.post(f"/en/journal/entries/{entry.pk}/restore/")
    assert JournalEntry.objects.live().get() == entry


def test_another_persons_entry_and_scores_answer_404(client, other_patient, patient, treatment):
    entry = record_entry(patient=patient, treatment=treatment, occurred_on=TODAY, note="mine")
    scores = record_scores(patient=patient, recorded_on=TODAY, itch=2)
    sign_in(client, other_patient)
    for url in (
        f"/en/journal/entries/{entry.pk}/",
        f"/en/journal/entries/{entry.pk}/edit/",
        f"/en/journal/entries/{entry.pk}/delete/",
        f"/en/journal/scores/{scores.pk}/edit/",
        f"/en/journal/scores/{scores.pk}/delete/",
    ):
        assert client.get(url).status_code == 404, url
        if not url.endswith(f"{entry.pk}/"):  # the entry's page is GET only
            assert client.post(url, entry_data()).status_code == 404, url
    assert client.get("/en/journal/entries/new/?injection=999999").status_code == 404
    assert JournalEntry.objects.live().get().note == "mine"


def test_a_fever_with_an_infection_shows_sourced_guidance_and_how_to_report(patient_client, dose_1):
    response = patient_client.post(
        f"/en/journal/entries/new/?injection={dose_1.pk}",
        entry_data(infection="on", infection_what="flu", fever="yes", site_reaction=""),
        follow=True,
    )
    page = response.content.decode()
    assert "What to do now" in page
    # the catalogue's infection caution, with its readable citation
    caution = dose_1.treatment.drug.cautions.get(text_en__contains="defences against infection")
    with translation.override("en"):
        assert escape(caution.text_en) in page
        assert escape(caution.source) in page
    assert "https://signalement-sante.gouv.fr" in page
    assert "AB1234" in page  # the batch of the dose, to give when reporting


@pytest.mark.parametrize("inn", ["secukinumab", "risankizumab", "tildrakizumab"])
def test_each_product_shows_its_own_labels_advice_and_no_other_products(
    patient_client, patient, inn
):
    """A fever with an infection: the patient's own product's cautions, never the advice sourced
    to another product's label (Tremfya's is for guselkumab, Ilumya's for tildrakizumab, the
    Skyrizi monograph's for risankizumab)."""
    treatment = TreatmentFactory(patient=patient, drug_inn=inn, first_dose_on=date(2027, 1, 4))
    dose = log_dose(treatment, 1, date(2027, 1, 4))
    response = patient_client.post(
        f"/en/journal/entries/new/?injection={dose.pk}",
        entry_data(infection="on", infection_what="flu", fever="yes", site_reaction=""),
        follow=True,
    )
    page = response.content.decode()
    assert "What to do now" in page
    assert "Tremfya" not in page
    assert ("Skyrizi monograph" in page) == (inn == "risankizumab")
    assert ("Ilumya, prescribing information (Malaysia, outside the EU)" in page) == (
        inn == "tildrakizumab"
    )
    with translation.override("en"):
        for caution in treatment.drug.cautions.all():
            if "infection" in caution.text_en.lower():
                assert escape(caution.text_en) in page


def test_a_mild_reaction_without_fever_shows_no_urgent_guidance(patient_client, dose_1):
    response = patient_client.post(
        f"/en/journal/entries/new/?injection={dose_1.pk}",
        entry_data(infection="on", infection_what="cold", fever="no"),
        follow=True,
    )
    assert "What to do now" not in response.content.decode()


def test_a_marked_reaction_from_the_dashboard_is_two_taps_and_shows_how_to_report_it(
    patient_client, treatment, dose_1
):
    page = patient_client.get("/en/dashboard/").content.decode()
    assert "Reaction at the injection site" in page  # tap 1 opens it (a <details>)
    assert 'name="reaction" value="marked"' in page
    response = patient_client.post(  # tap 2
        "/en/journal/quick/reaction/",
        {"reaction": "marked", "treatment": treatment.pk},
        follow=True,
    )
    page = response.content.decode()
    entry = JournalEntry.objects.get()
    assert (entry.site_reaction, entry.injection) == ("marked", dose_1)
    # A marked reaction where the pen went in is not an allergic emergency: no "do not inject
    # again", only how to report it; the specialist's flag says what it is.
    assert "call 15 (SAMU) or 112" not in page
    assert "What to do now" not in page
    assert "signalement-sante.gouv.fr" in page
    assert entry.needs_guidance is False


def test_a_reaction_that_felt_serious_shows_the_emergency_advice(patient_client, dose_1):
    response = patient_client.post(
        f"/en/journal/entries/new/?injection={dose_1.pk}",
        entry_data(site_reaction="mild", serious="on"),
        follow=True,
    )
    page = response.content.decode()
    assert "What to do now" in page
    assert "call 15 (SAMU) or 112" in page
    assert "https://www.service-public.fr/particuliers/vosdroits/F33954" in page
    # The product's own label on allergic reactions, with its source (guselkumab, section 4.4);
    # never another product's label.
    caution = dose_1.treatment.drug.cautions.get(text_en__contains="allergic")
    with translation.override("en"):
        assert escape(caution.text_en) in page
        assert escape(caution.source) in page


def test_the_quick_forms_refuse_bad_values_and_other_peoples_treatments(
    patient_client, other_patient, treatment
):
    other = TreatmentFactory(patient=other_patient, drug_inn="guselkumab")
    assert patient_client.post("/en/journal/quick/itch/", {"itch": "11"}).status_code == 302
    assert patient_client.post("/en/journal/quick/itch/", {"itch": "-1"}).status_code == 302
    response = patient_client.post(
        "/en/journal/quick/reaction/", {"reaction": "mild", "treatment": other.pk}
    )
    assert response.status_code == 404
    assert not ScoreSet.objects.exists() and not JournalEntry.objects.exists()


# --- Scores --------------------------------------------------------------------------------------


def test_an_itch_score_from_the_dashboard_is_two_taps(patient_client, patient, treatment):
    page = patient_client.get("/en/dashboard/").content.decode()
    assert "Itch in the last 24 hours" in page and 'name="itch" value="7"' in page
    response = patient_client.post("/en/journal/quick/itch/", {"itch": "7"}, follow=True)
    assert "Itch score saved: 7 out of 10." in response.content.decode()
    assert ScoreSet.objects.get().itch == 7
    # A second tap the same day corrects the day's score, it does not double it.
    patient_client.post("/en/journal/quick/itch/", {"itch": "5"})
    assert list(ScoreSet.objects.values_list("itch", flat=True)) == [5]


def test_the_scores_form_saves_the_body_map_total_in_palms(patient_client, treatment):
    response = patient_client.post(
        "/en/journal/scores/",
        scores_data(palms_legs="5", joint_pain="yes", joint_pain_score="6"),
    )
    assert response.status_code == 302
    scores = ScoreSet.objects.get()
    assert scores.skin_areas == {"arms": 2, "legs": 5}
    assert (scores.skin_palms, scores.itch, scores.skin_overall) == (7, 3, 4)
    assert (scores.joint_pain, scores.joint_pain_score) == (True, 6)


def test_the_body_map_works_without_javascript(patient_client, treatment):
    page = patient_client.get("/en/journal/scores/").content.decode()
    assert "<svg" in page and "<script" not in page.split("<main")[1].split("</main>")[0]
    assert 'name="palms_trunk_back"' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("itch", "11", "Enter a whole number from 0 to 10."),
        ("itch", "-1", "Enter a whole number from 0 to 10."),
        ("skin_overall", "abc", "Enter a whole number from 0 to 10."),
        ("palms_legs", "101", "Enter a whole number from 0 to 100."),
        ("joint_pain_score", "12", "Enter a whole number from 0 to 10."),
        ("recorded_on", "2027-02-04", "This date is in the future."),
        ("itch", "3\x00", "Enter a whole number from 0 to 10."),
    ],
)
def test_bad_scores_are_refused_on_their_field_and_kept(
    patient_client, treatment, field, value, message
):
    response = patient_client.post("/en/journal/scores/", scores_data(**{field: value}))
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    if "\x00" not in value:
        assert f'value="{value}"' in page
    assert not ScoreSet.objects.exists()


def test_areas_over_a_hundred_palms_are_refused(patient_client, treatment):
    response = patient_client.post(
        "/en/journal/scores/", scores_data(palms_legs="60", palms_arms="50")
    )
    assert "more than 100 palms" in response.content.decode()
    assert not ScoreSet.objects.exists()


def test_scores_are_deleted_and_restored(patient_client, patient, treatment):
    scores = record_scores(patient=patient, recorded_on=TODAY, itch=4)
    patient_client.post(f"/en/journal/scores/{scores.pk}/delete/")
    assert not ScoreSet.objects.live().exists()
    patient_client.post(f"/en/journal/scores/{scores.pk}/restore/")
    assert ScoreSet.objects.live().get().itch == 4


def test_no_licensed_instrument_is_named(patient_client, treatment):
    pages = "".join(
        patient_client.get(url).content.decode()
        for url in ("/en/journal/scores/", "/en/dashboard/", "/en/journal/", "/journal/scores/")
    )
    for name in ("DLQI", "PSI", "RAPID3", "EQ-5D", "PROMIS", "PASI"):
        assert name not in pages


# --- Sharing, flags and the specialist's view ----------------------------------------------------


def test_nothing_is_shared_until_the_patient_answers_and_the_first_entry_asks(
    patient_client, patient, clinician, care_link, treatment
):
    client = Client()
    response = patient_client.post("/en/journal/quick/itch/", {"itch": "2"})
    assert response["Location"] == "/en/journal/sharing/"  # asked at the first entry
    assert not JournalShare.objects.exists()
    sign_in(client, clinician)
    page = client.get(f"/en/clinic/patients/{patient.pk}/").content.decode()
    assert "has not shared their journal" in page
    assert not AccessEvent.objects.filter(action="viewed_journal").exists()

    patient_client.post("/en/journal/sharing/", {"clinician": clinician.pk, "shared": "yes"})
    page = client.get(f"/en/clinic/patients/{patient.pk}/").content.decode()
    assert "Itch in the last 24 hours (0 to 10)" in page and "<svg" in page
    event = AccessEvent.objects.get(action="viewed_journal")
    assert (event.patient, event.actor) == (patient, clinician)
    assert (
        "viewed your journal and scores" in patient_client.get("/en/care/access/").content.decode()
    )


def test_sharing_with_someone_not_linked_answers_404(patient_client, stranger_clinician):
    response = patient_client.post(
        "/en/journal/sharing/", {"clinician": stranger_clinician.pk, "shared": "yes"}
    )
    assert response.status_code == 404
    assert not JournalShare.objects.exists()


def test_itch_up_by_four_against_the_baseline_flags_the_patient_for_the_specialist(
    client, patient, clinician, shared, treatment
):
    for day, itch in ((date(2026, 11, 3), 2), (date(2026, 12, 3), 3), (date(2027, 1, 3), 2)):
        record_scores(patient=patient, recorded_on=day, itch=itch, skin_overall=3)
    assert not JournalFlag.objects.exists()
    record_scores(patient=patient, recorded_on=TODAY, itch=6, skin_overall=6)
    reasons = set(JournalFlag.objects.values_list("reason", flat=True))
    assert reasons == {FlagReason.ITCH_UP, FlagReason.SKIN_WORSE}

    sign_in(client, clinician)
    page = client.get("/en/clinic/").content.decode()
    assert "itch 6/10, up by 4 or more against their own baseline (2)" in page
    assert "skin worse" in page
    # The flag shows journal data: the patient's access log says so, once an hour.
    client.get("/en/clinic/")
    seen = AccessEvent.objects.filter(patient=patient, action="saw_journal_flag")
    assert seen.count() == 1 and seen.get().actor == clinician


def test_a_rise_of_three_is_not_flagged(patient, shared, treatment):
    record_scores(patient=patient, recorded_on=date(2027, 1, 3), itch=2)
    record_scores(patient=patient, recorded_on=TODAY, itch=5)
    assert not JournalFlag.objects.exists()


def test_baseline_is_the_median_of_the_last_three():
    assert baseline([8, 2, 3, 9]) == 3
    assert baseline([None, 4]) == 4
    assert baseline([]) is None


def test_flags_are_newest_first_say_why_and_are_marked_seen(
    client, patient, clinician, shared, treatment
):
    record_entry(
        patient=patient,
        treatment=treatment,
        occurred_on=date(2027, 2, 1),
        dose_held=True,
        held_reason="surgery",
    )
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        record_entry(
            patient=patient,
            treatment=treatment,
            occurred_on=TODAY,
            infection=True,
            infection_what="flu",
            fever=True,
        )
    sign_in(client, clinician)
    page = client.get("/en/clinic/").content.decode()
    assert page.index("infection reported, with fever") < page.index("dose held or delayed")
    flag = JournalFlag.objects.get(reason=FlagReason.INFECTION)
    response = client.post(f"/en/clinic/flags/{flag.pk}/seen/")
    assert response.status_code == 302
    page = client.get("/en/clinic/").content.decode()
    assert "infection reported" not in page and "dose held or delayed" in page


def test_a_marked_site_reaction_is_flagged_as_such_not_as_serious(
    client, patient, clinician, shared, treatment
):
    record_entry(patient=patient, treatment=treatment, occurred_on=TODAY, site_reaction="marked")
    assert list(JournalFlag.objects.values_list("reason", flat=True)) == [FlagReason.SITE_REACTION]
    sign_in(client, clinician)
    page = client.get("/en/clinic/").content.decode()
    assert "marked reaction at the injection site" in page
    assert "serious reaction reported" not in page


def test_an_overdue_dose_past_the_window_is_flagged(client, patient, clinician, care_link, dose_1):
    # Dose 2 was planned on 1 February: 2 days late on the 3rd (inside the 3-day window).
    sign_in(client, clinician)
    assert "overdue past the window" not in client.get("/en/clinic/").content.decode()
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        sign_in(client, clinician)
        page = client.get("/en/clinic/").content.decode()
    assert "dose 2 overdue past the window" in page


def test_a_stranger_cannot_mark_someone_elses_flag(
    client, patient, shared, stranger_clinician, treatment
):
    record_entry(patient=patient, treatment=treatment, occurred_on=TODAY, serious=True)
    flag = JournalFlag.objects.get()
    sign_in(client, stranger_clinician)
    assert client.post(f"/en/clinic/flags/{flag.pk}/seen/").status_code == 404
    flag.refresh_from_db()
    assert flag.seen_at is None


def test_deleting_an_entry_withdraws_its_flag(patient_client, patient, shared, treatment):
    entry = record_entry(patient=patient, treatment=treatment, occurred_on=TODAY, serious=True)
    assert JournalFlag.objects.count() == 1
    patient_client.post(f"/en/journal/entries/{entry.pk}/delete/")
    assert not JournalFlag.objects.exists()
    patient_client.post(f"/en/journal/entries/{entry.pk}/restore/")
    assert JournalFlag.objects.count() == 1


def test_no_flag_for_a_specialist_the_journal_is_not_shared_with(patient, care_link, treatment):
    record_entry(patient=patient, treatment=treatment, occurred_on=TODAY, serious=True)
    assert not JournalFlag.objects.exists()


# --- Trends --------------------------------------------------------------------------------------


def test_the_trend_is_an_svg_with_the_doses_marked_a_table_and_a_summary():
    rows = [
        {
            "recorded_on": date(2027, 1, 3),
            "itch": 2,
            "skin_overall": None,
            "skin_palms": 12,
            "joint_pain_score": None,
        },
        {
            "recorded_on": date(2027, 2, 3),
            "itch": 7,
            "skin_overall": 4,
            "skin_palms": None,
            "joint_pain_score": None,
        },
    ]
    with translation.override("en"):
        charts = trend_charts(
            rows=rows, dose_dates=[date(2027, 1, 4), date(2020, 1, 1)], today=TODAY
        )
    itch = charts[0]
    assert [p.value for p in itch.points] == [2, 7]
    assert itch.points[0].y > itch.points[1].y  # higher scores are drawn higher
    assert len(itch.doses) == 1  # the dose outside the period is left out
    assert "2 scores" in itch.summary and "latest 7" in itch.summary and "1 dose" in itch.summary
    palms = charts[2]
    assert palms.top == 20  # scaled to the nearest ten above the highest


def test_the_journal_page_draws_the_trends_in_both_languages(patient_client, patient, dose_1):
    record_scores(patient=patient, recorded_on=TODAY, itch=5)
    page = patient_client.get("/en/journal/").content.decode()
    assert 'role="img"' in page and 'class="dose"' in page and "<table>" in page
    assert "1 dose logged in this period." in page
    page = patient_client.get("/journal/").content.decode()
    assert "Démangeaisons" in page


# --- Data rights and the monthly prompt ----------------------------------------------------------


def test_the_exports_hold_the_journal_and_erasure_removes_it(
    patient_client, patient, clinician, shared, treatment
):
    record_entry(patient=patient, treatment=treatment, occurred_on=TODAY, note="my-note-77")
    record_scores(patient=patient, recorded_on=TODAY, itch=9)
    document = json.loads(patient_client.get("/en/my-data/export.json").content)
    assert document["journal"]["entries"][0]["note"] == "my-note-77"
    assert document["journal"]["scores"][0]["itch"] == 9
    assert document["journal"]["sharing"][0]["shared"] is True
    from patients.privacy.collect import collect
    from patients.privacy.export import report_html

    html = report_html(collect(user=patient, now=NOW))
    assert "my-note-77" in html and "Journal" in html

    erase_account(user=patient)
    assert not JournalEntry.objects.exists() and not ScoreSet.objects.exists()
    assert not JournalShare.objects.exists() and not JournalFlag.objects.exists()


def test_the_monthly_prompt_goes_through_the_patients_channels_once(patient, treatment):
    # 08:00 in Paris: before the reminder hour (09:00), nothing yet.
    with time_machine.travel(datetime(2027, 2, 3, 7, 0, tzinfo=UTC), tick=False):
        assert queue_journal_prompts(now=datetime(2027, 2, 3, 7, 0, tzinfo=UTC)) == 0
    assert queue_journal_prompts(now=NOW) == 2  # e-mail and in the app (the defaults)
    assert queue_journal_prompts(now=NOW + timedelta(hours=1)) == 0
    assert set(
        Reminder.objects.filter(kind=Kind.JOURNAL_PROMPT).values_list("channel", flat=True)
    ) == {"email", "in_app"}
    dispatch_reminders(now=NOW)  # eager in tests? the task sends; deliver directly below
    from patients.reminders.delivery import deliver_reminders

    email = Reminder.objects.get(kind=Kind.JOURNAL_PROMPT, channel="email")
    Reminder.objects.filter(pk=email.pk).update(state="sending")
    deliver_reminders(reminder_ids=[email.pk], now=NOW)
    assert any("/journal/scores/" in m.body for m in mail.outbox)


def test_no_prompt_after_recent_scores(patient, treatment):
    record_scores(patient=patient, recorded_on=TODAY, itch=1)
    assert queue_journal_prompts(now=NOW) == 0


def test_a_patient_can_erase_only_their_own_journal(patient, other_patient, treatment):
    record_entry(patient=patient, treatment=treatment, occurred_on=TODAY, note="a")
    other = TreatmentFactory(patient=other_patient, drug_inn="guselkumab")
    record_entry(patient=other_patient, treatment=other, occurred_on=TODAY, note="b")
    erase_account(user=User.objects.get(pk=patient.pk))
    assert list(JournalEntry.objects.values_list("note", flat=True)) == ["b"]


def test_the_messages_are_in_french_on_the_french_pages(patient_client, treatment):
    response = patient_client.post("/journal/scores/", scores_data(itch="11"))
    assert "Saisissez un nombre entier de 0 à 10." in response.content.decode()
    response = patient_client.post("/journal/entries/new/", entry_data(occurred_on="2027-02-04"))
    assert "Cette date est dans le futur." in response.content.decode()
