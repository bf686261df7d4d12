"""Pre-treatment checklists: templates from the catalogue, the clinician's draft, the patient's
side, verification, the notices and weekly reminder, printing and read-only links, and the
clinician's dashboard and patient page.

Secukinumab (anti-IL-17) gets the eleven common items plus body weight and the bowel-disease
history: 13 items, seven of them for the patient to do (blood tests, chest X-ray, vaccinations,
tuberculosis, hepatitis, HIV, chickenpox).
"""

import hashlib
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client

from patients import tasks
from patients.checklist_links import create_share_link
from patients.checklists import (
    ChecklistError,
    create_checklist,
    mark_done,
    queue_checklist_reminders,
    share_checklist,
    verify_item,
)
from patients.models import (
    AccessAction,
    AccessEvent,
    CareLink,
    Checklist,
    ChecklistEvent,
    ChecklistItem,
    ChecklistShareLink,
    DoseOverride,
    Reminder,
    ReminderSettings,
    Result,
    State,
    User,
)
from patients.reminders.delivery import deliver_reminders, dispatch_reminders
from patients.reminders.scan import queue_due_reminders
from tests.factories import TreatmentFactory, UserFactory, log_dose
from tests.support import log_in_with_code, sign_in
from therapies.loading import CatalogueError, load_catalogue, parse_checklists
from therapies.models import ChecklistTemplate, Drug, DrugClass

NOW = datetime(2027, 3, 10, 9, tzinfo=UTC)  # Wednesday, 10:00 in Paris
COMMON = [
    "medical_history",
    "clinical_examination",
    "blood_tests",
    "chest_xray",
    "contraindications_reviewed",
    "vaccinations",
    "contraception_pregnancy",
    "tuberculosis_screening",
    "hepatitis_b_c_serology",
    "hiv_test",
    "varicella_history",  # issue 16: chickenpox immunity before any biologic
]
PATIENT_ITEMS = [
    "blood_tests",
    "chest_xray",
    "vaccinations",
    "tuberculosis_screening",
    "hepatitis_b_c_serology",
    "hiv_test",
    "varicella_history",
]
DR_HOUSE = "Dr House (Dermatology, Hôpital Saint-Louis)"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def client_of(user: User) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def page_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def drug(inn: str) -> Drug:
    return Drug.objects.get(inn=inn)


def item_of(checklist: Checklist, key: str) -> ChecklistItem:
    return checklist.items.get(key=key)


def keys_of(checklist: Checklist) -> list[str]:
    return list(checklist.items.order_by("position").values_list("key", flat=True))


def draft(patient: User, clinician: User, inn: str = "secukinumab", *, at=None) -> Checklist:
    return create_checklist(patient=patient, drug=drug(inn), clinician=clinician, now=at or NOW)


def shared(patient: User, clinician: User, *, at: datetime, inn: str = "secukinumab"):
    with time_machine.travel(at, tick=False):
        checklist = draft(patient, clinician, inn, at=at)
        share_checklist(checklist=checklist, actor=clinician, now=at)
    checklist.refresh_from_db()
    return checklist


def run_scan(at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        queue_due_reminders(now=at)


def history(checklist: Checklist) -> list[tuple[str, str, str]]:
    events = ChecklistEvent.objects.filter(checklist=checklist).order_by("pk")
    return [(e.action, e.item_label, e.detail) for e in events]


def send_emails(at: datetime, capture) -> None:
    """Dispatch at `at` and deliver what was claimed, as the worker would."""
    with time_machine.travel(at, tick=False), capture(execute=False) as callbacks:
        dispatch_reminders(now=at)
    for callback in callbacks:
        (ids,) = callback.args
        with time_machine.travel(at, tick=False):
            deliver_reminders(reminder_ids=ids, now=at)


def done(client: Client, item: ChecklistItem, day: str, note: str = "", **kwargs):
    return client.post(
        f"/en/checklists/items/{item.pk}/done/",
        {f"item-{item.pk}-done_on": day, f"item-{item.pk}-done_note": note},
        **kwargs,
    )


def item_row(fragment: str, item: ChecklistItem) -> list[str]:
    """The classes of an htmx answer that is the item's row and nothing else."""
    match = re.fullmatch(
        rf'\s*<li class="([^"]+)" id="item-{item.pk}">.*</li>\s*', fragment, re.DOTALL
    )
    assert match, fragment[:200]
    assert "<html" not in fragment
    return match.group(1).split()


def verify(client: Client, item: ChecklistItem, day: str, result: str = "", **kwargs):
    data = {f"verify-{item.pk}-done_on": day}
    if result:
        data[f"verify-{item.pk}-result"] = result
    return client.post(f"/en/clinic/items/{item.pk}/verify/", data, **kwargs)


# --- Templates from the catalogue -----------------------------------------------------------------


def test_each_drug_class_gets_the_common_items_then_its_own(catalogue):
    def template(drug_class: str) -> list[str]:
        items = ChecklistTemplate.objects.get(drug_class=drug_class).items.order_by("position")
        return list(items.values_list("key", flat=True))

    assert set(ChecklistTemplate.objects.values_list("drug_class", flat=True)) == set(
        DrugClass.values
    )
    assert template("anti_il23") == [*COMMON, "body_weight"]  # body weight: tildrakizumab only
    assert template("anti_il12_23") == [*COMMON, "body_weight"]
    assert template("anti_il17") == [*COMMON, "body_weight", "ibd_history", "depression_history"]
    assert template("anti_il6r") == [*COMMON, "il6r_blood_check", "diverticulitis_history"]
    assert template("anti_tnf") == [
        *COMMON,
        "heart_failure_check",
        "demyelinating_disease_check",
        "antinuclear_antibodies",
        "protein_electrophoresis",
    ]


@pytest.mark.parametrize(
    ("inn", "depression_item"),
    [("brodalumab", True), ("secukinumab", False), ("ixekizumab", False), ("bimekizumab", False)],
)
def test_the_depression_item_is_only_for_brodalumab(patient, clinician, inn, depression_item):
    keys = keys_of(draft(patient, clinician, inn))
    assert "ibd_history" in keys  # every anti-IL-17
    assert ("depression_history" in keys) is depression_item


def test_an_anti_il23_checklist_has_the_common_items_only(patient, clinician):
    assert keys_of(draft(patient, clinician, "guselkumab")) == COMMON


def test_loading_the_catalogue_again_leaves_the_templates_alone(catalogue):
    report = load_catalogue()
    assert report.checklists.created == report.checklists.updated == []
    assert set(report.checklists.unchanged) == set(DrugClass.values)


def test_a_template_item_done_by_nobody_known_is_refused(tmp_path):
    path = tmp_path / "screening.toml"
    path.write_text(
        """
[[items]]
key = "blood_tests"
classes = ["all"]
completed_by = "nurse"
label = { fr = "Bilan sanguin", en = "Blood tests" }
explanation = { fr = "Une prise de sang.", en = "A blood sample." }
source = "Menter et al. 2019"
""",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match="completed_by must be patient or clinician"):
        parse_checklists(path)


def test_a_checklist_keeps_its_copy_when_the_catalogue_changes(patient, clinician):
    checklist = draft(patient, clinician)
    blood = item_of(checklist, "blood_tests")
    template_item = ChecklistTemplate.objects.get(drug_class="anti_il17").items.get(
        key="blood_tests"
    )
    assert (blood.label_en, blood.explanation_en, blood.source) == (
        template_item.label_en,
        template_item.explanation_en,
        template_item.source,
    )
    assert (blood.completed_by, blood.records_result) == ("patient", True)
    template_item.label_en = "Something else"
    template_item.save()
    blood.refresh_from_db()
    assert blood.label_en == "Blood tests"


# --- The clinician's draft ------------------------------------------------------------------------


@pytest.mark.now(NOW)
def test_a_new_checklist_starts_from_the_template_of_the_planned_drug(
    care_link, patient, clinician, treatment
):
    client = client_of(clinician)
    form = page_of(client.get(f"/en/clinic/patients/{patient.pk}/checklists/new/"))
    guselkumab = drug("guselkumab")
    assert f'<option value="{guselkumab.pk}" selected>' in form  # the patient's treatment

    response = client.post(
        f"/en/clinic/patients/{patient.pk}/checklists/new/", {"drug": drug("secukinumab").pk}
    )
    checklist = Checklist.objects.get()
    assert response["Location"] == f"/en/clinic/checklists/{checklist.pk}/"
    assert (checklist.patient, checklist.created_by, checklist.shared_at) == (
        patient,
        clinician,
        None,
    )
    assert keys_of(checklist) == [*COMMON, "body_weight", "ibd_history"]
    assert history(checklist) == [("created", "", "secukinumab")]
    assert AccessEvent.objects.get().action == AccessAction.CHANGED_CHECKLIST
    # A draft is the clinician's until shared.
    patient_client = client_of(patient)
    assert patient_client.get(f"/en/checklists/{checklist.pk}/").status_code == 404
    assert "Cosentyx" not in page_of(patient_client.get("/en/checklists/"))


@pytest.mark.now(NOW)
def test_the_clinician_trims_adds_dates_and_shares_and_each_change_is_recorded(
    care_link, patient, clinician
):
    checklist = draft(patient, clinician)
    client = client_of(clinician)
    hiv, blood = item_of(checklist, "hiv_test"), item_of(checklist, "blood_tests")

    removed = client.post(f"/en/clinic/items/{hiv.pk}/remove/", headers={"HX-Request": "true"})
    # htmx puts a status line in the row's place; it takes the focus (autofocus) and is announced.
    assert removed.status_code == 200
    assert 'role="status" tabindex="-1" autofocus' in removed.content.decode()
    assert "removed from the checklist." in removed.content.decode()
    added = client.post(
        f"/en/clinic/checklists/{checklist.pk}/items/new/",
        {"label": "Dental check-up", "completed_by": "patient", "due_on": "2027-04-01"},
    )
    custom = checklist.items.get(label_en="Dental check-up")
    assert added["Location"] == f"/en/clinic/checklists/{checklist.pk}/#item-{custom.pk}"
    assert (custom.position, custom.label_fr, custom.completed_by, custom.due_on) == (
        14,
        "Dental check-up",
        "patient",
        date(2027, 4, 1),
    )
    fragment = page_of(
        client.post(
            f"/en/clinic/items/{blood.pk}/due/",
            {f"due-{blood.pk}-due_on": "2027-04-15"},
            headers={"HX-Request": "true"},
        )
    )
    assert item_row(fragment, blood) == ["checklist-row"]  # the row alone, not done
    assert 'value="2027-04-15"' in fragment
    client.post(f"/en/clinic/checklists/{checklist.pk}/share/")

    checklist.refresh_from_db()
    assert checklist.shared_at == NOW
    assert history(checklist) == [
        ("created", "", "secukinumab"),
        ("removed", "HIV test, with your consent", ""),
        ("added", "Dental check-up", ""),
        ("due", "Blood tests", "2027-04-15"),
        ("shared", "", ""),
    ]
    events = ChecklistEvent.objects.filter(checklist=checklist)
    assert {(e.actor, e.actor_name, e.at) for e in events} == {(clinician, DR_HOUSE, NOW)}
    clinic_page = page_of(client.get(f"/en/clinic/checklists/{checklist.pk}/"))
    assert f"{DR_HOUSE} removed the item “HIV test, with your consent”" in clinic_page

    patient_page = page_of(client_of(patient).get(f"/en/checklists/{checklist.pk}/"))
    assert "Dental check-up" in patient_page
    assert "HIV test" not in patient_page
    assert "To do by 15 April 2027." in patient_page
    assert "To do by 1 April 2027." in patient_page


@pytest.mark.now(NOW)
def test_an_item_without_a_label_is_not_added_and_the_form_says_why(care_link, patient, clinician):
    checklist = draft(patient, clinician)
    response = client_of(clinician).post(
        f"/en/clinic/checklists/{checklist.pk}/items/new/",
        {"label": "", "completed_by": "patient", "due_on": "2027-04-01"},
    )
    page = page_of(response)
    assert "Write what is to be done, for example a chest X-ray." in page
    assert "This field is required." not in page
    assert 'value="2027-04-01"' in page
    assert checklist.items.count() == 13
    assert history(checklist) == [("created", "", "secukinumab")]


@pytest.mark.now(NOW)
def test_sharing_twice_shares_once(care_link, patient, clinician):
    checklist = draft(patient, clinician)
    client = client_of(clinician)
    client.post(f"/en/clinic/checklists/{checklist.pk}/share/")
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        client.post(f"/en/clinic/checklists/{checklist.pk}/share/")
    checklist.refresh_from_db()
    assert checklist.shared_at == NOW
    assert [e for e in history(checklist) if e[0] == "shared"] == [("shared", "", "")]
    assert Reminder.objects.filter(checklist=checklist).count() == 2  # in the app + e-mail


# --- The patient's side ---------------------------------------------------------------------------


@pytest.mark.now(NOW)
def test_the_patient_sees_only_shared_checklists(care_link, checklist, patient, clinician):
    hidden = draft(patient, clinician, "brodalumab")
    client = client_of(patient)
    listing = page_of(client.get("/en/checklists/"))
    assert f'href="/en/checklists/{checklist.pk}/"' in listing
    assert f'href="/en/checklists/{hidden.pk}/"' not in listing
    assert client.get(f"/en/checklists/{hidden.pk}/").status_code == 404
    hidden_item = item_of(hidden, "blood_tests")
    assert done(client, hidden_item, "2027-03-09").status_code == 404
    hidden_item.refresh_from_db()
    assert not hidden_item.is_done


def test_another_patient_does_not_see_the_checklist(checklist, other_patient):
    client = client_of(other_patient)
    assert client.get(f"/en/checklists/{checklist.pk}/").status_code == 404
    assert client.get(f"/en/checklists/{checklist.pk}/print/").status_code == 404


def test_each_item_shows_its_explanation_and_source(checklist, patient):
    page = page_of(client_of(patient).get(f"/en/checklists/{checklist.pk}/"))
    tb = item_of(checklist, "tuberculosis_screening")
    assert tb.explanation_en.split(":")[0] in page
    assert f"Source: {tb.source}" in page
    assert page.count("for you to do") == 7
    assert page.count("done by your specialist") == 6


@pytest.mark.now(NOW)
def test_the_patient_marks_an_item_done_with_a_date_and_a_note(checklist, patient, clinician):
    blood = item_of(checklist, "blood_tests")
    client = client_of(patient)
    response = done(client, blood, "2027-03-08", "Laboratoire Cerballiance")
    # The top of the page, where the message says what was saved (not the item, now folded).
    assert response["Location"] == f"/en/checklists/{checklist.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "“Blood tests” marked done on Monday 8 March 2027." in page
    blood.refresh_from_db()
    assert (blood.done_on, blood.done_note, blood.done_by, blood.done_at) == (
        date(2027, 3, 8),
        "Laboratoire Cerballiance",
        patient,
        NOW,
    )
    assert history(checklist)[-1] == ("done", "Blood tests", "2027-03-08")
    assert ChecklistEvent.objects.filter(checklist=checklist).latest("pk").actor == patient
    page = page_of(client.get(f"/en/checklists/{checklist.pk}/"))
    assert "Done on 8 March 2027" in page
    assert "Laboratoire Cerballiance" in page
    assert "1 of 13 done, 0 verified" in page
    # The clinician sees it on their side.
    clinic_page = page_of(client_of(clinician).get(f"/en/clinic/checklists/{checklist.pk}/"))
    assert "note: Laboratoire Cerballiance" in clinic_page


@pytest.mark.now(NOW)
def test_marking_done_with_htmx_returns_the_item_row(checklist, patient):
    blood = item_of(checklist, "blood_tests")
    response = done(client_of(patient), blood, "2027-03-10", headers={"HX-Request": "true"})
    fragment = page_of(response)
    assert "done" in item_row(fragment, blood)
    assert "Mark not done" in fragment


@pytest.mark.now(NOW)
@pytest.mark.parametrize("htmx", [False, True])
def test_a_future_date_is_refused_and_what_was_typed_is_kept(checklist, patient, htmx):
    blood = item_of(checklist, "blood_tests")
    headers = {"HX-Request": "true"} if htmx else {}
    response = done(client_of(patient), blood, "2027-03-11", "Rendez-vous au labo", headers=headers)
    page = page_of(response)
    assert "This date is in the future." in page
    assert 'value="2027-03-11"' in page
    assert 'value="Rendez-vous au labo"' in page
    blood.refresh_from_db()
    assert not blood.is_done
    assert [e[0] for e in history(checklist)] == ["created", "shared"]


@pytest.mark.now(utc(2027, 3, 10, 23, 30))  # already 11 March in Paris
def test_today_is_the_patients_today_in_their_home_zone(checklist, patient):
    blood = item_of(checklist, "blood_tests")
    assert done(client_of(patient), blood, "2027-03-11").status_code == 302
    blood.refresh_from_db()
    assert blood.done_on == date(2027, 3, 11)


@pytest.mark.now(NOW)
def test_marking_not_done_clears_the_date_and_the_note(checklist, patient):
    blood = item_of(checklist, "blood_tests")
    client = client_of(patient)
    done(client, blood, "2027-03-08", "wrong test")
    response = client.post(f"/en/checklists/items/{blood.pk}/undo/", headers={"HX-Request": "true"})
    fragment = page_of(response)
    assert f'name="item-{blood.pk}-done_on"' in fragment  # the form is back
    blood.refresh_from_db()
    assert (blood.done_on, blood.done_note, blood.done_at, blood.done_by) == (None, "", None, None)
    assert history(checklist)[-1] == ("undone", "Blood tests", "")


@pytest.mark.now(NOW)
def test_a_verified_item_cannot_be_changed_by_the_patient(checklist, patient, clinician):
    blood = item_of(checklist, "blood_tests")
    client = client_of(patient)
    done(client, blood, "2027-03-08")
    blood.refresh_from_db()
    verify_item(item=blood, done_on=NOW.date(), result=Result.NORMAL, actor=clinician, now=NOW)

    assert done(client, blood, "2027-03-09").status_code == 404
    response = client.post(f"/en/checklists/items/{blood.pk}/undo/", follow=True)
    assert "Your specialist has verified this item: it can no longer be changed here." in (
        page_of(response)
    )
    blood.refresh_from_db()
    assert (blood.done_on, blood.done_by, blood.result) == (date(2027, 3, 8), patient, "normal")
    assert history(checklist)[-1][0] == "verified"
    page = page_of(client.get(f"/en/checklists/{checklist.pk}/"))
    assert "Verified by Dr House on 10 March 2027. Result: Normal." in page


@pytest.mark.now(NOW)
def test_a_patient_change_read_before_a_verification_does_not_overwrite_it(
    checklist, patient, clinician
):
    """The patient's request read the item, then the clinician's verified it: the patient's
    write must not land on the verified item."""
    seen_by_patient = item_of(checklist, "blood_tests")
    verify_item(
        item=item_of(checklist, "blood_tests"),
        done_on=NOW.date(),
        result=Result.ABNORMAL,
        actor=clinician,
        now=NOW,
    )
    with pytest.raises(ChecklistError):
        mark_done(item=seen_by_patient, done_on=date(2027, 3, 1), note="", actor=patient, now=NOW)
    blood = item_of(checklist, "blood_tests")
    assert (blood.done_on, blood.done_by, blood.result) == (NOW.date(), clinician, "abnormal")


@pytest.mark.now(NOW)
def test_the_domain_refuses_a_patient_marking_the_specialists_item(checklist, patient):
    with pytest.raises(ChecklistError):
        mark_done(
            item=item_of(checklist, "clinical_examination"),
            done_on=NOW.date(),
            note="",
            actor=patient,
            now=NOW,
        )
    assert not item_of(checklist, "clinical_examination").is_done


@pytest.mark.now(NOW)
def test_an_item_for_the_specialist_cannot_be_marked_by_the_patient(checklist, patient):
    history_item = item_of(checklist, "medical_history")
    client = client_of(patient)
    assert done(client, history_item, "2027-03-09").status_code == 404
    assert client.get(f"/en/checklists/items/{history_item.pk}/done/").status_code == 404
    assert client.post(f"/en/checklists/items/{history_item.pk}/undo/").status_code == 404
    history_item.refresh_from_db()
    assert not history_item.is_done


# --- Verification by the clinician ----------------------------------------------------------------


@pytest.mark.now(NOW)
def test_the_clinician_verifies_an_item_the_patient_did_and_records_the_result(
    checklist, patient, clinician
):
    blood = item_of(checklist, "blood_tests")
    done(client_of(patient), blood, "2027-03-08")
    response = verify(
        client_of(clinician), blood, "2027-03-10", "abnormal", headers={"HX-Request": "true"}
    )
    assert "Verified by Dr House on 10 March 2027. Result: Abnormal." in page_of(response)
    blood.refresh_from_db()
    assert (blood.verified_by, blood.verified_at, blood.result) == (clinician, NOW, "abnormal")
    assert (blood.done_on, blood.done_by) == (date(2027, 3, 8), patient)  # the patient's date
    assert history(checklist)[-1] == ("verified", "Blood tests", "Abnormal")


@pytest.mark.now(NOW)
def test_a_result_is_required_where_the_item_records_one(checklist, clinician):
    blood = item_of(checklist, "blood_tests")
    page = page_of(verify(client_of(clinician), blood, "2027-03-10"))
    assert "Choose the result." in page
    blood.refresh_from_db()
    assert not blood.is_verified and not blood.is_done
    assert [e[0] for e in history(checklist)] == ["created", "shared"]


@pytest.mark.now(NOW)
def test_an_item_without_a_result_is_verified_without_one(checklist, clinician):
    vaccinations = item_of(checklist, "vaccinations")
    assert verify(client_of(clinician), vaccinations, "2027-03-01", "normal").status_code == 302
    vaccinations.refresh_from_db()
    assert vaccinations.is_verified and vaccinations.result == ""


@pytest.mark.now(NOW)
def test_verifying_an_item_not_done_marks_it_done_on_the_given_date(checklist, clinician):
    xray = item_of(checklist, "chest_xray")
    response = verify(client_of(clinician), xray, "2027-03-05", "follow_up")
    assert response["Location"] == f"/en/clinic/checklists/{checklist.pk}/#item-{xray.pk}"
    xray.refresh_from_db()
    assert (xray.done_on, xray.done_by, xray.result) == (date(2027, 3, 5), clinician, "follow_up")


@pytest.mark.now(NOW)
def test_the_clinician_cannot_verify_on_a_future_date(checklist, clinician):
    xray = item_of(checklist, "chest_xray")
    assert "This date is in the future." in page_of(
        verify(client_of(clinician), xray, "2027-03-11", "normal")
    )
    xray.refresh_from_db()
    assert not xray.is_verified


@pytest.mark.now(NOW)
def test_withdrawing_a_verification_lets_the_patient_change_the_item_again(
    checklist, patient, clinician
):
    blood = item_of(checklist, "blood_tests")
    verify(client_of(clinician), blood, "2027-03-10", "normal")
    client_of(clinician).post(f"/en/clinic/items/{blood.pk}/unverify/")
    blood.refresh_from_db()
    assert (blood.verified_at, blood.result) == (None, "")
    assert history(checklist)[-1] == ("unverified", "Blood tests", "")
    assert client_of(patient).post(f"/en/checklists/items/{blood.pk}/undo/").status_code == 302
    blood.refresh_from_db()
    assert not blood.is_done


def test_a_patient_cannot_verify_an_item(checklist, patient):
    blood = item_of(checklist, "blood_tests")
    assert verify(client_of(patient), blood, "2027-03-01", "normal").status_code == 404
    blood.refresh_from_db()
    assert not blood.is_verified


# --- Telling the patient: shared notice and weekly reminder ---------------------------------------


@pytest.mark.now(NOW)
def test_sharing_tells_the_patient_in_the_app_and_by_email(
    care_link, patient, clinician, django_capture_on_commit_callbacks
):
    patient.language = "en"
    patient.save()
    # She chose to see the medicines' names (discreet is the default).
    ReminderSettings.objects.create(patient=patient, calendar_discreet=False)
    checklist = draft(patient, clinician)
    client_of(clinician).post(f"/en/clinic/checklists/{checklist.pk}/share/")
    rows = Reminder.objects.filter(checklist=checklist, kind="checklist_shared")
    assert sorted(rows.values_list("channel", "state", "due_at")) == [
        ("email", "pending", NOW),
        ("in_app", "sent", NOW),
    ]
    notifications = page_of(client_of(patient).get("/en/notifications/"))
    assert "Your specialist shared a checklist to prepare for Cosentyx." in notifications

    send_emails(NOW, django_capture_on_commit_callbacks)
    assert rows.get(channel="email").state == State.SENT
    (message,) = mail.outbox
    assert message.to == ["camille@example.com"]
    assert message.subject == "Your specialist shared a checklist with you"
    assert "Cosentyx" not in message.subject and "secukinumab" not in message.subject
    assert "Hello Camille," in message.body
    assert "7 items are for you to do." in message.body
    link = re.search(r"http://localhost:8000(/en/reminders/open/\S+/)", message.body).group(1)
    response = client_of(patient).get(link)
    assert response["Location"] == f"/en/checklists/{checklist.pk}/"


@pytest.mark.now(NOW)
def test_a_patient_who_wants_no_email_gets_the_notice_in_the_app_only(
    care_link, patient, clinician
):
    ReminderSettings.objects.create(patient=patient, by_email=False)
    checklist = draft(patient, clinician)
    share_checklist(checklist=checklist, actor=clinician, now=NOW)
    assert list(Reminder.objects.values_list("channel", flat=True)) == ["in_app"]


SPRING = utc(2027, 3, 24, 10)  # Wednesday, 11:00 in Paris, four days before the clocks go forward
AUTUMN = utc(2027, 10, 27, 10)  # Wednesday, four days before the clocks go back


@pytest.mark.parametrize(
    ("shared_at", "first", "second"),
    [
        (SPRING, utc(2027, 3, 31, 16), utc(2027, 4, 7, 16)),  # 18:00 CEST
        (AUTUMN, utc(2027, 11, 3, 17), utc(2027, 11, 10, 17)),  # 18:00 CET
    ],
)
def test_the_weekly_reminder_falls_on_the_sharing_weekday_at_the_patients_hour(
    care_link, patient, clinician, shared_at, first, second
):
    ReminderSettings.objects.create(patient=patient, hour=18)
    checklist = shared(patient, clinician, at=shared_at)
    assert checklist.next_reminder_at == first
    with time_machine.travel(first, tick=False):
        assert queue_checklist_reminders(now=first) == 1
    checklist.refresh_from_db()
    assert checklist.next_reminder_at == second


def test_the_weekly_reminder_is_written_once_per_week(care_link, patient, clinician):
    checklist = shared(patient, clinician, at=SPRING)
    due = utc(2027, 3, 31, 7)  # 09:00 CEST, the default hour
    assert checklist.next_reminder_at == due
    weekly = Reminder.objects.filter(checklist=checklist, kind="checklist_open")

    assert queue_checklist_reminders(now=due - timedelta(minutes=1)) == 0
    assert not weekly.exists()
    assert queue_checklist_reminders(now=due) == 1
    assert queue_checklist_reminders(now=due) == 0  # a second beat at the same moment
    assert queue_checklist_reminders(now=due + timedelta(minutes=1)) == 0
    assert sorted(weekly.values_list("occurrence", "channel", "state")) == [
        ("week-1", "email", "pending"),
        ("week-1", "in_app", "sent"),
    ]
    # A replay of the same moment (two schedulers) writes nothing twice.
    Checklist.objects.filter(pk=checklist.pk).update(next_reminder_at=due)
    queue_checklist_reminders(now=due + timedelta(minutes=2))
    assert weekly.count() == 2

    queue_checklist_reminders(now=utc(2027, 4, 7, 7))
    assert sorted(set(weekly.values_list("occurrence", flat=True))) == ["week-1", "week-2"]
    assert weekly.count() == 4


def test_the_beat_task_sends_the_weekly_email(
    care_link, patient, clinician, django_capture_on_commit_callbacks
):
    patient.language = "en"
    patient.save()
    checklist = shared(patient, clinician, at=SPRING)
    mark_done(
        item=item_of(checklist, "blood_tests"),
        done_on=date(2027, 3, 25),
        note="",
        actor=patient,
        now=utc(2027, 3, 25, 12),
    )
    Reminder.objects.filter(checklist=checklist).delete()  # the shared notice is not under test
    due = utc(2027, 3, 31, 7)
    with (
        time_machine.travel(due, tick=False),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        tasks.queue_due_reminders()
    (ids,) = callbacks[0].args
    deliver_reminders(reminder_ids=ids, now=due)
    (message,) = mail.outbox
    assert message.subject == "Your checklist: some items are still to do"
    assert "6 items of the checklist your specialist shared are still to do." in message.body
    assert "Cosentyx" not in message.subject


def test_the_weekly_reminder_stops_when_every_patient_item_is_done(care_link, patient, clinician):
    checklist = shared(patient, clinician, at=SPRING)
    at = utc(2027, 3, 26, 12)
    for key in PATIENT_ITEMS[:-1]:
        mark_done(
            item=item_of(checklist, key), done_on=date(2027, 3, 26), note="", actor=patient, now=at
        )
        checklist.refresh_from_db()
        assert checklist.next_reminder_at == utc(2027, 3, 31, 7)
    last = item_of(checklist, PATIENT_ITEMS[-1])
    with time_machine.travel(at, tick=False):
        response = done(client_of(patient), last, "2027-03-26")
    assert response["Location"] == f"/en/checklists/{checklist.pk}/"
    checklist.refresh_from_db()
    assert checklist.next_reminder_at is None  # the specialist's own items do not count
    assert queue_checklist_reminders(now=utc(2027, 3, 31, 7)) == 0
    assert not Reminder.objects.filter(kind="checklist_open").exists()

    # One item marked not done again: the reminder comes back, same weekday.
    with time_machine.travel(utc(2027, 4, 2, 12), tick=False):
        client_of(patient).post(f"/en/checklists/items/{last.pk}/undo/")
    checklist.refresh_from_db()
    assert checklist.next_reminder_at == utc(2027, 4, 7, 7)


def test_a_weekly_email_is_not_sent_once_the_items_are_done(
    care_link, patient, clinician, django_capture_on_commit_callbacks
):
    checklist = shared(patient, clinician, at=SPRING)
    due = utc(2027, 3, 31, 7)
    queue_checklist_reminders(now=due)
    for key in PATIENT_ITEMS:
        mark_done(
            item=item_of(checklist, key), done_on=date(2027, 3, 31), note="", actor=patient, now=due
        )
    Reminder.objects.filter(kind="checklist_shared").delete()
    send_emails(due + timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    email = Reminder.objects.get(kind="checklist_open", channel="email")
    assert email.state == State.CANCELLED


def test_paused_reminders_plan_no_weekly_reminder_until_resumed(care_link, patient, clinician):
    ReminderSettings.objects.create(patient=patient, paused=True)
    checklist = shared(patient, clinician, at=SPRING)
    assert checklist.next_reminder_at is None
    assert not Reminder.objects.exists()  # not even the shared notice
    with time_machine.travel(utc(2027, 4, 1, 12), tick=False):
        response = client_of(patient).post(
            "/en/reminders/",
            {"lead_days": ["2", "0"], "hour": "9", "by_email": "on", "in_app": "on"},
        )
    assert response.status_code == 302
    checklist.refresh_from_db()
    assert checklist.next_reminder_at == utc(2027, 4, 7, 7)


# --- Printing and read-only links -----------------------------------------------------------------


@pytest.mark.now(NOW)
def test_the_patient_prints_the_checklist_with_where_each_item_stands(checklist, patient):
    done(client_of(patient), item_of(checklist, "blood_tests"), "2027-03-08", "Labo du centre")
    page = page_of(client_of(patient).get(f"/en/checklists/{checklist.pk}/print/"))
    assert "Checklist before starting Cosentyx (secukinumab)" in page
    assert "Patient: Camille. Prepared by Dr House on 10 March 2027." in page
    assert "1 of 13 done, 0 verified" in page
    assert "8 March 2027<br>Labo du centre" in page
    assert page.count("not yet") == 12
    assert "<form" not in page.split('<article class="printable">')[1].split("</article>")[0]


@pytest.mark.now(NOW)
def test_a_draft_has_no_print_view_for_the_patient(care_link, patient, clinician):
    checklist = draft(patient, clinician)
    assert client_of(patient).get(f"/en/checklists/{checklist.pk}/print/").status_code == 404
    clinic = client_of(clinician).get(f"/en/clinic/checklists/{checklist.pk}/print/")
    assert "Checklist before starting Cosentyx (secukinumab)" in page_of(clinic)


def share_url(client: Client, checklist: Checklist, days: str = "7") -> str:
    response = client.post(f"/en/checklists/{checklist.pk}/share/", {"days": days}, follow=True)
    page = page_of(response)
    assert "Read-only link created. Copy it now: it is shown only here." in page
    (url,) = re.findall(r'<code class="share-url">http://testserver(/[^<]+)</code>', page)
    return url


@pytest.mark.now(NOW)
def test_a_read_only_link_opens_the_checklist_without_an_account(checklist, patient):
    url = share_url(client_of(patient), checklist)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes
    link = ChecklistShareLink.objects.get()
    assert link.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert link.expires_at == NOW + timedelta(days=7)
    stored = ChecklistShareLink.objects.values().get()
    assert not any(token in str(value) for value in stored.values())

    response = Client().get(url)
    page = page_of(response)
    assert "Checklist before starting Cosentyx (secukinumab)" in page
    assert "Read-only view opened through a link the patient shared." in page
    assert "Tuberculosis screening" in page
    assert 'action="/en/checklists/' not in page  # nothing to change there
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in response["Cache-Control"]
    wrong = token[:-1] + ("B" if token.endswith("A") else "A")
    assert Client().get(url.replace(token, wrong)).status_code == 404


@pytest.mark.now(NOW)
def test_the_link_is_shown_only_in_the_session_that_made_it(checklist, patient):
    url = share_url(client_of(patient), checklist)
    later = page_of(client_of(patient).get(f"/en/checklists/{checklist.pk}/"))
    assert url not in later
    assert "A link is active until" in later


@pytest.mark.parametrize(("days", "still_open", "closed"), [("7", 6, 7), ("30", 29, 30)])
def test_a_read_only_link_expires_after_the_chosen_days(
    checklist, patient, days, still_open, closed
):
    with time_machine.travel(NOW, tick=False):
        url = share_url(client_of(patient), checklist, days)
    with time_machine.travel(NOW + timedelta(days=still_open, hours=23), tick=False):
        assert Client().get(url).status_code == 200
    with time_machine.travel(NOW + timedelta(days=closed), tick=False):
        assert Client().get(url).status_code == 404


@pytest.mark.now(NOW)
def test_the_patient_stops_a_read_only_link_at_once(checklist, patient):
    client = client_of(patient)
    url = share_url(client, checklist)
    response = client.post(f"/en/checklists/{checklist.pk}/unshare/", follow=True)
    assert "The link no longer works." in page_of(response)
    assert Client().get(url).status_code == 404
    assert ChecklistShareLink.objects.get().revoked_at == NOW


@pytest.mark.now(NOW)
def test_a_new_read_only_link_replaces_the_old_one(checklist, patient):
    client = client_of(patient)
    old = share_url(client, checklist)
    new = share_url(client, checklist, "30")
    assert old != new
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200
    assert ChecklistShareLink.objects.filter(revoked_at=None).count() == 1


@pytest.mark.now(NOW)
def test_a_patient_with_two_checklists_keeps_each_link_on_screen(checklist, patient, clinician):
    other = shared(patient, clinician, at=NOW, inn="brodalumab")
    client = client_of(patient)
    first = share_url(client, checklist)
    second = share_url(client, other)
    assert first in page_of(client.get(f"/en/checklists/{checklist.pk}/"))
    client.post(f"/en/checklists/{other.pk}/unshare/")
    assert second not in page_of(client.get(f"/en/checklists/{other.pk}/"))
    assert first in page_of(client.get(f"/en/checklists/{checklist.pk}/"))
    assert Client().get(first).status_code == 200


@pytest.mark.now(NOW)
def test_a_link_for_a_year_is_refused(checklist, patient):
    response = client_of(patient).post(
        f"/en/checklists/{checklist.pk}/share/", {"days": "365"}, follow=True
    )
    assert "Choose how long the link stays valid." in page_of(response)
    assert not ChecklistShareLink.objects.exists()


def test_the_domain_refuses_other_link_lengths(checklist, patient):
    with pytest.raises(ChecklistError):
        create_share_link(checklist=checklist, days=365, actor=patient, now=NOW)


# --- The clinician's dashboard --------------------------------------------------------------------

TODAY = utc(2027, 1, 20, 12)  # guselkumab from 4 January: dose 1 is late unless logged


def link(patient: User, clinician: User) -> User:
    CareLink.objects.create(patient=patient, clinician=clinician)
    return patient


@pytest.fixture
def clinic_patients(clinician, stranger_clinician):
    """Alice is late for a dose; Bruno's checklist is not complete; Chloé's is, and she is on
    time; Daniel is someone else's patient."""
    alice = link(UserFactory(display_name="Alice", email="alice@example.com"), clinician)
    TreatmentFactory(patient=alice)
    bruno = link(UserFactory(display_name="Bruno", email="bruno@example.com"), clinician)
    shared(bruno, clinician, at=utc(2027, 1, 10, 12))
    chloe = link(UserFactory(display_name="Chloé", email="c.martin@example.com"), clinician)
    treatment = TreatmentFactory(patient=chloe)
    log_dose(treatment, 1, date(2027, 1, 4))
    complete = shared(chloe, clinician, at=utc(2027, 1, 10, 12))
    for item in complete.items.all():
        verify_item(
            item=item, done_on=date(2027, 1, 12), result="normal", actor=clinician, now=TODAY
        )
    daniel = link(
        UserFactory(display_name="Daniel", email="daniel@example.com"), stranger_clinician
    )
    TreatmentFactory(patient=daniel)
    return alice, bruno, chloe


def names_in(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/en/clinic/patients/\d+/">([^<]+)</a></th>', page)


@pytest.mark.now(TODAY)
def test_the_dashboard_lists_the_linked_patients_with_where_they_stand(clinician, clinic_patients):
    page = page_of(client_of(clinician).get("/en/clinic/"))
    assert names_in(page) == ["Alice", "Bruno", "Chloé"]
    assert "3 patients" in page
    assert '<tr class="late">' in page and page.count('<tr class="late">') == 1
    assert "0/13 done, 0 verified" in page
    assert "13/13 done, 13 verified" in page
    assert "4 January 2027" in page  # Chloé's last injection


@pytest.mark.now(TODAY)
@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"show": "overdue"}, ["Alice"]),
        ({"show": "incomplete"}, ["Bruno"]),
        ({"q": "chl"}, ["Chloé"]),
        ({"q": "C.MARTIN@"}, ["Chloé"]),
        ({"q": "dan"}, []),
        ({"q": "b", "show": "incomplete"}, ["Bruno"]),
    ],
)
def test_the_dashboard_filters_and_searches(clinician, clinic_patients, query, names):
    page = page_of(client_of(clinician).get("/en/clinic/", query))
    assert names_in(page) == names


@pytest.mark.now(TODAY)
def test_the_dashboard_answers_htmx_with_the_table_only(clinician, clinic_patients):
    response = client_of(clinician).get(
        "/en/clinic/", {"show": "overdue"}, headers={"HX-Request": "true"}
    )
    fragment = page_of(response)
    # The count first, swapped out of band into the page's status line (announced), then the table.
    count, table = fragment.split('<section id="patients"', 1)
    assert (
        '<p id="patients-count" class="result-count" role="status" data-hx-swap-oob="true">'
        "1 patient found</p>"
    ) in count
    assert "<html" not in fragment and "Invite a patient" not in fragment
    assert names_in(table) == ["Alice"]


@pytest.mark.now(TODAY)
def test_the_dashboards_count_is_a_status_line_outside_the_swapped_table(
    clinician, clinic_patients
):
    page = page_of(client_of(clinician).get("/en/clinic/", {"show": "overdue"}))
    assert '<p id="patients-count" class="result-count" role="status">1 patient found</p>' in page
    assert page.index('id="patients-count"') < page.index('<section id="patients"')


def test_the_dashboard_shows_fifty_patients_a_page(clinician):
    for n in range(1, 52):
        link(UserFactory(display_name=f"Patient {n:02}", email=f"p{n}@example.com"), clinician)
    client = client_of(clinician)
    first = page_of(client.get("/en/clinic/", {"q": "patient"}))
    assert names_in(first) == [f"Patient {n:02}" for n in range(1, 51)]
    assert "51 patients" in first
    assert "Page 1 of 2" in first
    assert 'href="?q=patient&amp;page=2"' in first  # the filter follows the pages
    second = page_of(client.get("/en/clinic/", {"q": "patient", "page": "2"}))
    assert names_in(second) == ["Patient 51"]


# --- The patient page and moving a dose -----------------------------------------------------------


@pytest.mark.now(TODAY)
def test_the_patient_page_shows_the_plan_history_and_checklists(
    care_link, checklist, clinician, patient, treatment
):
    log_dose(treatment, 1, date(2027, 1, 4))
    draft(patient, clinician, "brodalumab", at=TODAY)
    page = page_of(client_of(clinician).get(f"/en/clinic/patients/{patient.pk}/"))
    assert "Tremfya" in page
    assert "Next dose (dose 2): 1 February 2027." in page
    assert "1 injection logged in total." in page
    assert "Before starting Cosentyx" in page and "Before starting Kyntheum" in page
    assert page.count("draft, not shared") == 1
    assert f'name="move-{treatment.pk}-dose_number"' in page


@pytest.mark.now(TODAY)
def test_moving_a_dose_changes_the_patients_plan_and_reminders(
    care_link, clinician, patient, treatment
):
    log_dose(treatment, 1, date(2027, 1, 4))
    treatment.refresh_from_db()
    assert treatment.next_dose_on == date(2027, 2, 1)
    response = client_of(clinician).post(
        f"/en/clinic/treatments/{treatment.pk}/move-dose/",
        {f"move-{treatment.pk}-dose_number": "2", f"move-{treatment.pk}-date": "2027-02-08"},
    )
    assert response["Location"] == f"/en/clinic/patients/{patient.pk}/#treatment-{treatment.pk}"
    override = DoseOverride.objects.get()
    assert (override.dose_number, override.date, override.set_by) == (
        2,
        date(2027, 2, 8),
        clinician,
    )
    treatment.refresh_from_db()
    assert treatment.next_dose_on == date(2027, 2, 8)
    assert treatment.next_reminder_at == utc(2027, 2, 6, 8)  # two days before, 09:00 Paris
    assert AccessEvent.objects.filter(action=AccessAction.MOVED_DOSE, actor=clinician).exists()

    dashboard = page_of(client_of(patient).get("/en/dashboard/"))
    assert "Next injection (dose 2): <strong>8 February 2027</strong>" in dashboard
    assert '8 February 2027 <span class="tag">moved by your specialist</span>' in dashboard
    assert "29 March 2027" in dashboard  # dose 3 keeps its date
    clinic = page_of(client_of(clinician).get(f"/en/clinic/patients/{patient.pk}/"))
    assert '8 February 2027 <span class="tag">moved</span>' in clinic


def test_a_dose_moved_after_its_first_reminder_is_reminded_again_for_the_new_date(
    care_link, clinician, patient, treatment, django_capture_on_commit_callbacks
):
    patient.language = "en"
    patient.save()
    ReminderSettings.objects.create(patient=patient, calendar_discreet=False)  # names chosen
    with time_machine.travel(TODAY, tick=False):
        log_dose(treatment, 1, date(2027, 1, 4))
    run_scan(utc(2027, 1, 30, 8))  # "in 2 days" for 1 February: written, e-mail not yet sent
    with time_machine.travel(utc(2027, 1, 30, 8, 0, 30), tick=False):
        client_of(clinician).post(
            f"/en/clinic/treatments/{treatment.pk}/move-dose/",
            {f"move-{treatment.pk}-dose_number": "2", f"move-{treatment.pk}-date": "2027-02-08"},
        )
    old_email = Reminder.objects.get(channel="email", about_date=date(2027, 2, 1))
    assert old_email.state == State.CANCELLED  # it would give the old date

    run_scan(utc(2027, 2, 6, 8))
    send_emails(utc(2027, 2, 6, 8), django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.subject == "Your injection is planned in 2 days"
    assert "Dose 2 of Tremfya (guselkumab) is planned on 8 February 2027." in message.body


def test_an_email_claimed_before_the_dose_was_moved_is_not_sent_with_the_old_date(
    care_link, clinician, patient, treatment, django_capture_on_commit_callbacks
):
    with time_machine.travel(TODAY, tick=False):
        log_dose(treatment, 1, date(2027, 1, 4))
    claimed_at = utc(2027, 1, 30, 8)
    run_scan(claimed_at)
    with (
        time_machine.travel(claimed_at, tick=False),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        dispatch_reminders(now=claimed_at)
    with time_machine.travel(claimed_at + timedelta(seconds=10), tick=False):
        client_of(clinician).post(
            f"/en/clinic/treatments/{treatment.pk}/move-dose/",
            {f"move-{treatment.pk}-dose_number": "2", f"move-{treatment.pk}-date": "2027-02-08"},
        )
    (ids,) = callbacks[0].args
    assert deliver_reminders(reminder_ids=ids, now=claimed_at + timedelta(seconds=20)) == [
        "cancelled"
    ]
    assert mail.outbox == []


@pytest.mark.now(TODAY)
def test_a_dose_moved_more_than_a_year_away_is_refused(care_link, clinician, treatment):
    response = client_of(clinician).post(
        f"/en/clinic/treatments/{treatment.pk}/move-dose/",
        {f"move-{treatment.pk}-dose_number": "1", f"move-{treatment.pk}-date": "2029-01-08"},
    )
    page = page_of(response)
    assert "Choose a date within a year of today." in page
    assert 'value="2029-01-08"' in page
    assert not DoseOverride.objects.exists()
    treatment.refresh_from_db()
    assert treatment.next_dose_on == date(2027, 1, 4)


def test_a_stranger_clinician_cannot_move_a_dose(stranger_clinician, treatment):
    response = client_of(stranger_clinician).post(
        f"/en/clinic/treatments/{treatment.pk}/move-dose/",
        {f"move-{treatment.pk}-dose_number": "1", f"move-{treatment.pk}-date": "2027-01-08"},
    )
    assert response.status_code == 404
    assert not DoseOverride.objects.exists()


# --- Demo data ------------------------------------------------------------------------------------


def test_seed_demo_links_the_demo_clinician_with_a_shared_checklist_partly_done(catalogue):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # idempotent
    patient = User.objects.get(email="patient@demo.example")
    clinician = User.objects.get(email="clinician@demo.example")
    assert clinician.is_clinician and clinician.clinician_profile.approved
    assert CareLink.objects.active().get().clinician == clinician
    checklist = Checklist.objects.get()
    assert (checklist.patient, checklist.drug.inn) == (patient, "secukinumab")
    assert checklist.shared_at is not None
    items = {item.key: item for item in checklist.items.all()}
    assert {key for key, item in items.items() if item.is_done} == {
        "medical_history",
        "clinical_examination",
        "blood_tests",
        "chest_xray",
    }
    assert items["blood_tests"].done_by == patient and items["blood_tests"].is_verified
    assert not items["chest_xray"].is_verified
    assert checklist.next_reminder_at is not None  # the patient still has items to do

    client = Client()  # the demo clinician logs in with the demo app's code (manage.py demo_totp)
    assert log_in_with_code(client, clinician, "demo-biologic-2026").status_code == 302
    assert "Camille (demo)" in page_of(client.get("/en/clinic/"))


@pytest.mark.now(NOW)
def test_open_items_come_first_and_the_done_ones_are_folded(checklist, patient):
    blood = item_of(checklist, "blood_tests")
    client = client_of(patient)
    done(client, blood, "2027-03-08", "")
    page = client.get(f"/en/checklists/{checklist.pk}/").content.decode()
    folded = page.index('<details class="details checklist-done"')
    assert page.index(f'id="item-{blood.pk}"') > folded
    open_items = [i for i in checklist.items.all() if not i.is_done]
    assert all(page.index(f'id="item-{i.pk}"') < folded for i in open_items)
    assert "1 item done</summary>" in page
