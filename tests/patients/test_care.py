"""The care team: clinician accounts waiting for approval, invitations both ways, links the
patient ends at will, and the record of who looked at the patient's data."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.care import create_invitation, review_clinician
from patients.checklist_links import create_share_link
from patients.models import (
    AccessAction,
    AccessEvent,
    CareLink,
    ClinicianProfile,
    ClinicianStatus,
    Invitation,
    User,
)
from tests.factories import ClinicianFactory, UserFactory
from tests.support import code_of, log_in_with_code, sign_in
from tests.support.auth import CLINICIAN_SIGNUP
from tests.support.signup import sign_up_and_confirm

NOW = datetime(2027, 3, 10, 9, tzinfo=UTC)


def client_of(user: User) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def page_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def new_code(client: Client) -> tuple[Invitation, str]:
    """Create an invitation as the signed-in person; the code is read from the page it shows."""
    response = client.post("/en/invitations/new/")
    assert response.status_code == 302
    invitation = Invitation.objects.get(pk=response["Location"].split("/")[-2])
    page = page_of(client.get(response["Location"]))
    (code,) = re.findall(r'class="invitation-code"><strong>([A-Z0-9-]+)</strong>', page)
    return invitation, code


def accept(client: Client, code: str):
    return client.post("/en/invitations/accept/", {"code": code})


def refusal(client: Client, code: str) -> str:
    """Accepting is refused: the form comes back with its error, and no link is made."""
    links_before = CareLink.objects.count()
    response = accept(client, code)
    page = page_of(response)
    assert 'class="errorlist' in page
    assert CareLink.objects.count() == links_before
    return page


# --- Clinician accounts ---------------------------------------------------------------------------


def test_a_clinician_signs_up_and_waits_for_approval(client, catalogue):
    response = sign_up_and_confirm(client, "/en/accounts/signup/clinician/", CLINICIAN_SIGNUP)
    # No session before the authenticator app is set up (test_security_auth.py tests that step).
    assert response.status_code == 302 and response["Location"] == "/en/accounts/two-step/setup/"
    client.get(response["Location"])
    codes = client.post(response["Location"], {"code": code_of(TOTPDevice.objects.get())})
    assert 'href="/en/clinic/"' in page_of(codes)
    user = User.objects.get()
    assert user.email == "dr.martin@hopital.example"
    assert user.is_clinician and user.language == "en"
    profile = user.clinician_profile
    assert (profile.specialty, profile.institution, profile.registration_number) == (
        "Dermatology",
        "CHU de Nantes",
        "10101010101",
    )
    assert profile.status == ClinicianStatus.PENDING
    page = page_of(client.get("/en/clinic/"))
    assert "Your account is waiting for approval" in page
    assert "Invite a patient" not in page


def test_a_clinician_sign_up_without_confirmation_or_registration_number_creates_nothing(
    client, catalogue
):
    response = client.post(
        "/en/accounts/signup/clinician/",
        CLINICIAN_SIGNUP | {"confirm": "", "registration_number": "#"},
    )
    page = page_of(response)
    assert "Please confirm, so that we can check your account." in page
    assert "Enter 4 to 30 letters or digits, as on your registration." in page
    assert 'value="CHU de Nantes"' in page  # what was typed is kept
    assert not User.objects.exists()
    assert not ClinicianProfile.objects.exists()


@pytest.mark.now(NOW)
def test_an_admin_approves_a_pending_clinician_who_then_has_a_clinic(pending_clinician):
    admin = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    response = client_of(admin).post(
        "/en/admin/patients/clinicianprofile/",
        {"action": "approve", "_selected_action": [pending_clinician.pk], "index": 0},
    )
    assert response.status_code == 302
    profile = ClinicianProfile.objects.get(user=pending_clinician)
    assert profile.status == ClinicianStatus.APPROVED
    assert (profile.reviewed_by, profile.reviewed_at) == (admin, NOW)
    page = page_of(client_of(pending_clinician).get("/en/clinic/"))
    assert "waiting for approval" not in page
    assert "Invite a patient" in page


@pytest.mark.now(NOW)
def test_an_admin_refuses_a_clinician_who_still_sees_no_patient(pending_clinician, patient):
    CareLink.objects.create(patient=patient, clinician=pending_clinician)
    admin = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    client_of(admin).post(
        "/en/admin/patients/clinicianprofile/",
        {"action": "refuse", "_selected_action": [pending_clinician.pk], "index": 0},
    )
    profile = ClinicianProfile.objects.get(user=pending_clinician)
    assert (profile.status, profile.reviewed_by) == (ClinicianStatus.REFUSED, admin)
    assert client_of(pending_clinician).get(f"/en/clinic/patients/{patient.pk}/").status_code == 404


def test_a_pending_clinician_sees_the_waiting_page_and_no_patient_even_when_linked(
    pending_clinician, patient
):
    CareLink.objects.create(patient=patient, clinician=pending_clinician)
    client = client_of(pending_clinician)
    page = page_of(client.get("/en/clinic/"))
    assert "Your account is waiting for approval" in page
    assert "Camille" not in page
    assert client.get(f"/en/clinic/patients/{patient.pk}/").status_code == 404
    assert not AccessEvent.objects.exists()  # nothing was seen


def test_the_same_clinician_sees_the_patient_once_approved(pending_clinician, patient):
    CareLink.objects.create(patient=patient, clinician=pending_clinician)
    admin = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    review_clinician(
        profile=pending_clinician.clinician_profile, approve=True, by=admin, now=timezone.now()
    )
    client = client_of(pending_clinician)
    assert "Camille" in page_of(client.get("/en/clinic/"))
    assert client.get(f"/en/clinic/patients/{patient.pk}/").status_code == 200


def test_a_pending_clinician_cannot_create_an_invitation(pending_clinician):
    client = client_of(pending_clinician)
    response = client.post("/en/invitations/new/", follow=True)
    assert response.redirect_chain == [("/en/clinic/", 302)]
    assert "Your account is waiting for approval: you cannot invite anyone yet." in page_of(
        response
    )
    assert not Invitation.objects.exists()


def test_a_pending_clinician_cannot_accept_a_patients_invitation(patient, pending_clinician):
    _invitation, code = new_code(client_of(patient))
    page = refusal(client_of(pending_clinician), code)
    assert "Your account is waiting for approval: try again once approved." in page
    assert Invitation.objects.get().accepted_at is None  # still usable once approved


# --- Invitations ----------------------------------------------------------------------------------


@pytest.mark.now(NOW)
def test_a_clinician_invites_a_patient_who_sees_who_invites_then_accepts(clinician, patient):
    invitation, code = new_code(client_of(clinician))
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert invitation.expires_at == NOW + timedelta(days=7)
    patient_client = client_of(patient)

    # The link in the invitation fills the code in and says who invites, without linking yet.
    page = page_of(patient_client.get("/en/invitations/accept/", {"code": code}))
    assert "Dr House invites you to link your account." in page
    assert not CareLink.objects.exists()

    response = accept(patient_client, code)
    assert response.status_code == 302 and response["Location"] == "/en/care/"
    link = CareLink.objects.get()
    assert (link.patient, link.clinician, link.revoked_at) == (patient, clinician, None)
    invitation.refresh_from_db()
    assert (invitation.accepted_at, invitation.accepted_by) == (NOW, patient)

    care = page_of(patient_client.get("/en/care/"))
    assert "You are now linked with Dr House." in care
    assert (
        '<td data-label="Name">Dr House</td><td data-label="Specialty">Dermatology</td>'
        '<td data-label="Institution">Hôpital Saint-Louis</td>'
    ) in care
    assert "Camille" in page_of(client_of(clinician).get("/en/clinic/"))


@pytest.mark.now(NOW)
def test_a_patient_invites_a_clinician_who_accepts_with_the_code_as_typed(clinician, patient):
    _invitation, code = new_code(client_of(patient))
    typed = code.lower().replace("-", " ")  # read aloud, typed without dashes
    response = accept(client_of(clinician), typed)
    assert response.status_code == 302
    assert response["Location"] == f"/en/clinic/patients/{patient.pk}/"
    assert CareLink.objects.active().get().clinician == clinician


def test_only_a_digest_of_the_code_is_stored(clinician):
    invitation, code = create_invitation(by=clinician, now=timezone.now())
    stored = Invitation.objects.filter(pk=invitation.pk).values().get()
    plain = code.replace("-", "")
    assert invitation.code_digest == hashlib.sha256(plain.encode()).hexdigest()
    assert not any(plain in str(value) or code in str(value) for value in stored.values())


def test_the_code_is_shown_only_in_the_session_that_created_it(clinician, patient):
    invitation, code = new_code(client_of(clinician))
    later = page_of(client_of(clinician).get(f"/en/invitations/{invitation.pk}/"))
    assert code not in later
    assert "This code can no longer be shown" in later
    assert client_of(patient).get(f"/en/invitations/{invitation.pk}/").status_code == 404


def test_an_invitation_still_works_just_before_seven_days(clinician, patient):
    start = datetime(2027, 3, 10, 9, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        _invitation, code = new_code(client_of(clinician))
    with time_machine.travel(start + timedelta(days=7) - timedelta(minutes=1), tick=False):
        assert accept(client_of(patient), code).status_code == 302
    assert CareLink.objects.count() == 1


def test_an_expired_invitation_is_refused(clinician, patient):
    start = datetime(2027, 3, 10, 9, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        invitation, code = new_code(client_of(clinician))
    with time_machine.travel(start + timedelta(days=7), tick=False):
        page = refusal(client_of(patient), code)
    assert "This invitation has expired (after 7 days). Ask for a new one." in page
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_used_invitation_cannot_link_a_second_patient(clinician, patient, other_patient):
    _invitation, code = new_code(client_of(clinician))
    accept(client_of(patient), code)
    page = refusal(client_of(other_patient), code)
    assert "This invitation has already been used. Ask for a new one." in page
    assert list(CareLink.objects.values_list("patient", flat=True)) == [patient.pk]


def test_a_cancelled_invitation_is_refused(clinician, patient):
    clinician_client = client_of(clinician)
    invitation, code = new_code(clinician_client)
    response = clinician_client.post(f"/en/invitations/{invitation.pk}/cancel/", follow=True)
    assert "The invitation is cancelled: its code no longer works." in page_of(response)
    page = refusal(client_of(patient), code)
    assert "This invitation was cancelled. Ask for a new one." in page
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_unknown_code_is_refused(patient, clinician):
    new_code(client_of(clinician))
    page = refusal(client_of(patient), "ABCD-EFGH-JKMN")
    assert "This code is not valid. Check it, or ask for a new invitation." in page
    assert 'value="ABCD-EFGH-JKMN"' in page  # kept, to be corrected


def test_ones_own_code_is_refused(clinician):
    client = client_of(clinician)
    invitation, code = new_code(client)
    page = refusal(client, code)
    assert "This is your own invitation: give it to the other person." in page
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_patients_code_is_refused_to_another_patient(patient, other_patient):
    _invitation, code = new_code(client_of(patient))
    page = refusal(client_of(other_patient), code)
    assert "This invitation is for a clinician. Sign in as a clinician." in page


def test_a_clinicians_code_is_refused_to_another_clinician(clinician, stranger_clinician):
    _invitation, code = new_code(client_of(clinician))
    page = refusal(client_of(stranger_clinician), code)
    assert "This invitation is for a patient. Sign in with a patient account." in page


def test_a_code_between_people_already_linked_changes_nothing(care_link, clinician, patient):
    invitation, code = new_code(client_of(clinician))
    page = refusal(client_of(patient), code)
    assert "You are already linked. The invitation was not used; nothing changed." in page
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert list(CareLink.objects.all()) == [care_link]


def test_open_invitations_are_listed_until_used(clinician, patient):
    clinician_client = client_of(clinician)
    invitation, code = new_code(clinician_client)
    invitation_url = f'href="/en/invitations/{invitation.pk}/"'
    assert invitation_url in page_of(clinician_client.get("/en/clinic/"))
    accept(client_of(patient), code)
    assert invitation_url not in page_of(clinician_client.get("/en/clinic/"))


# --- Ending a link --------------------------------------------------------------------------------


def test_revoking_a_link_ends_the_clinicians_access_on_the_next_request(
    care_link, checklist, clinician, patient
):
    clinician_client = client_of(clinician)
    assert clinician_client.get(f"/en/clinic/patients/{patient.pk}/").status_code == 200
    patient_client = client_of(patient)

    confirm = page_of(patient_client.get(f"/en/care/links/{care_link.pk}/revoke/"))
    assert "Dr House will no longer see your treatment" in confirm
    assert CareLink.objects.active().exists()  # asking is not ending

    response = patient_client.post(f"/en/care/links/{care_link.pk}/revoke/", follow=True)
    assert "Dr House can no longer see your data." in page_of(response)
    assert "No clinician is linked to your account." in page_of(response)

    assert clinician_client.get(f"/en/clinic/patients/{patient.pk}/").status_code == 404
    assert clinician_client.get(f"/en/clinic/checklists/{checklist.pk}/").status_code == 404
    assert clinician_client.get(f"/en/clinic/checklists/{checklist.pk}/print/").status_code == 404
    assert "Camille" not in page_of(clinician_client.get("/en/clinic/"))


def test_a_revoked_link_can_be_made_again_with_a_new_invitation(care_link, clinician, patient):
    client_of(patient).post(f"/en/care/links/{care_link.pk}/revoke/")
    _invitation, code = new_code(client_of(clinician))
    assert accept(client_of(patient), code).status_code == 302
    assert CareLink.objects.count() == 2
    assert CareLink.objects.active().count() == 1
    assert client_of(clinician).get(f"/en/clinic/patients/{patient.pk}/").status_code == 200


# --- Who looked at my data ------------------------------------------------------------------------


@pytest.mark.now(NOW)
def test_every_clinician_view_is_recorded_and_shown_to_the_patient(
    checklist, clinician, patient, other_patient
):
    clinician_client = client_of(clinician)
    clinician_client.get(f"/en/clinic/patients/{patient.pk}/")
    clinician_client.get(f"/en/clinic/checklists/{checklist.pk}/")
    clinician_client.get(f"/en/clinic/checklists/{checklist.pk}/print/")
    item = checklist.items.get(key="blood_tests")
    clinician_client.get(f"/en/clinic/items/{item.pk}/verify/")  # the item on its own page
    events = AccessEvent.objects.filter(patient=patient).order_by("pk")
    assert [(e.actor, e.action, e.at) for e in events] == [
        # the fixture's checklist was created, then shared, by the clinician: two changes
        (clinician, AccessAction.CHANGED_CHECKLIST, NOW),
        (clinician, AccessAction.CHANGED_CHECKLIST, NOW),
        (clinician, AccessAction.VIEWED_RECORD, NOW),
        (clinician, AccessAction.VIEWED_CHECKLIST, NOW),
        (clinician, AccessAction.PRINTED_CHECKLIST, NOW),
        (clinician, AccessAction.VIEWED_CHECKLIST, NOW),
    ]

    page = page_of(client_of(patient).get("/en/care/access/"))
    assert page.count("Dr House (Dermatology, Hôpital Saint-Louis)") == 6
    assert "viewed your treatment and history" in page
    assert "viewed a checklist" in page
    assert "printed a checklist" in page
    assert "Dr House" not in page_of(client_of(other_patient).get("/en/care/access/"))


@pytest.mark.now(NOW)
def test_a_clinicians_change_is_recorded_as_a_change(checklist, clinician, patient):
    item = checklist.items.get(key="medical_history")
    before = AccessEvent.objects.filter(patient=patient).count()  # creating and sharing it
    client_of(clinician).post(
        f"/en/clinic/items/{item.pk}/verify/",
        {f"verify-{item.pk}-done_on": "2027-03-10", f"verify-{item.pk}-result": "normal"},
    )
    assert AccessEvent.objects.filter(patient=patient).count() == before + 1
    event = AccessEvent.objects.filter(patient=patient).latest("pk")
    assert (event.actor, event.action) == (clinician, AccessAction.CHANGED_CHECKLIST)


@pytest.mark.now(NOW)
def test_opening_a_share_link_is_recorded_for_the_patient(checklist, patient):
    _link, token = create_share_link(checklist=checklist, days=7, actor=patient, now=NOW)
    before = AccessEvent.objects.filter(patient=patient).count()  # the clinician's changes
    assert Client().get(f"/en/shared/checklists/{token}/").status_code == 200
    assert AccessEvent.objects.filter(patient=patient).count() == before + 1
    event = AccessEvent.objects.filter(patient=patient).latest("pk")
    assert (event.actor, event.actor_name, event.action, event.at) == (
        None,
        "",
        AccessAction.OPENED_SHARE_LINK,
        NOW,
    )
    page = page_of(client_of(patient).get("/en/care/access/"))
    assert "Someone with your share link" in page
    assert "opened a checklist through your share link" in page


def test_the_access_record_is_empty_until_someone_looks(patient):
    page = page_of(client_of(patient).get("/en/care/access/"))
    assert "No one has looked at your data yet." in page


# --- Log-in ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["clinician", "pending_clinician"])
def test_a_clinician_lands_on_the_clinic_after_logging_in(client, persona, request):
    user = request.getfixturevalue(persona)
    response = log_in_with_code(client, user)
    assert response.status_code == 302 and response["Location"] == "/clinic/"


def test_a_clinician_in_english_lands_on_the_english_clinic(client, catalogue):
    user = ClinicianFactory(email="dr.en@example.com", language="en")
    response = log_in_with_code(client, user)
    assert response["Location"] == "/en/clinic/"


def test_the_patient_list_is_recorded_once_an_hour_for_each_patient_it_shows(
    care_link, clinician, patient, other_patient
):
    with time_machine.travel(NOW, tick=False):
        client = client_of(clinician)
        client.get("/en/clinic/")
        client.get("/en/clinic/?q=cam")  # the same rows again, a minute later or so
    listed = AccessEvent.objects.filter(action=AccessAction.LISTED)
    assert [(e.patient, e.actor) for e in listed] == [(patient, clinician)]  # not other_patient
    with time_machine.travel(NOW + timedelta(hours=1, minutes=1), tick=False):
        client = client_of(clinician)  # the first session ended after 30 idle minutes
        client.get("/en/clinic/")
        assert listed.all().count() == 2  # .all(): a fresh query, not the cached rows
    page = page_of(client_of(patient).get("/en/care/access/"))
    assert "saw your treatment summary in their list of patients" in page


def test_a_refused_clinician_is_told_so_not_to_wait(pending_clinician):
    review_clinician(profile=pending_clinician.clinician_profile, approve=False, by=None, now=NOW)
    page = page_of(client_of(pending_clinician).get("/en/clinic/"))
    assert "Your account was not approved" in page
    assert "waiting for approval" not in page


def test_a_signed_out_htmx_request_sends_the_browser_to_the_log_in_page(checklist):
    response = Client().get("/en/clinic/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/en/accounts/login/?next=")
    assert b"<form" not in response.content  # nothing for htmx to swap into the fragment


def test_a_new_patient_follows_the_invitation_link_signs_up_and_comes_back_to_it(clinician):
    invitation, code = new_code(client_of(clinician))
    client = Client()
    link = f"/en/invitations/accept/?code={code}"
    login_page = client.get(link, follow=True)
    signup_href = re.search(r'href="(/en/accounts/signup/\?next=[^"]+)"', page_of(login_page))[1]
    signup = page_of(client.get(signup_href.replace("&amp;", "&")))
    assert 'name="next"' in signup
    response = sign_up_and_confirm(
        client,
        "/en/accounts/signup/",
        {
            "email": "new@example.com",
            "display_name": "Nouvelle",
            "password1": "correct horse battery staple",
            "password2": "correct horse battery staple",
            "time_zone": "Europe/Paris",
            "consent": "on",
            "next": link,
        },
    )
    assert response["Location"] == link
    assert "Dr House invites you to link your account" in page_of(client.get(link))


def test_sign_up_does_not_send_anyone_to_another_site(catalogue):
    response = sign_up_and_confirm(
        Client(),
        "/en/accounts/signup/",
        {
            "email": "new@example.com",
            "display_name": "Nouvelle",
            "password1": "correct horse battery staple",
            "password2": "correct horse battery staple",
            "time_zone": "Europe/Paris",
            "consent": "on",
            "next": "https://evil.example/phish",
        },
    )
    assert response["Location"] == "/en/treatments/new/"


def test_the_access_record_comes_in_pages_newest_first(patient, clinician):
    for minute in range(51):
        AccessEvent.objects.create(
            patient=patient,
            actor=clinician,
            actor_name="Dr House",
            action=AccessAction.VIEWED_RECORD,
            at=NOW + timedelta(minutes=minute),
        )
    client = client_of(patient)
    first = page_of(client.get("/en/care/access/"))
    assert first.count("Dr House") == 50
    assert 'href="?page=2">Older</a>' in first and "Page 1 of 2" in first
    second = page_of(client.get("/en/care/access/?page=2"))
    assert (
        second.count("Dr House") == 1 and "10 March 2027, 10:00" in second
    )  # the oldest, in her zone
    assert 'href="?page=1">Newer</a>' in second
