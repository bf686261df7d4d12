"""The access matrix, shared by the tests that read it (tests/patients/test_access_matrix.py,
tests/security/): who may open what, EVERY URL of config.urls (the patients app, the accounts,
the public pages, the catalogue, the articles, the admin), for every persona, with and without
htmx, with each method the view accepts.

The rule: the person an object belongs to gets 200 or 302; every other signed-in person gets 404
(never 403, never 500, never the data), except on the patient's list pages that articles link to
(dashboard, checklists, trips), which send a clinician to the clinic (`patient_page`); someone
signed out is sent to the login page, except on the public pages (declared `public=True` below,
each with a comment saying why). A method the view does not accept answers 405. Every URL that
takes an id or a token is also tried with an id or token that does not exist (generated: 404 to
everyone), and, where objects belong to people, with the other side's object. The Django admin is
staff only: every one of its URLs sends everyone else to the admin's log-in page (ADMIN_RULE,
checked on each admin URL).

The admin persona is a staff superuser with no care link: the app treats them as a stranger, so
no patient's page answers them (404); only the Django admin is theirs.

The small world they meet is built once (`build_world`: once per run for the recorded walk of
tests/support/walk.py, once per module for the tests that send their own requests); every
request runs in a savepoint rolled back after it, so a POST that deletes or changes something
does not change what the next persona meets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from content.models import Article
from patients import timeutils
from patients.care import create_invitation, record_access
from patients.checklist_links import create_share_link
from patients.checklists import create_checklist, mark_done, share_checklist, verify_item
from patients.models import (
    AccessAction,
    CareLink,
    Channel,
    ChecklistItem,
    ClinicianStatus,
    Kind,
    PushSubscription,
    Reminder,
    ReminderSettings,
    State,
    User,
)
from patients.reminders.links import OPEN_LINK_SALT
from patients.signup import confirmation_token
from patients.travel.letters import approve_letter
from patients.travel.trips import plan_trip
from patients.treatments.injections import delete_injection
from patients.treatments.reads import overview
from tests.factories import ClinicianFactory, TreatmentFactory, UserFactory, log_dose
from tests.support.auth import sign_in
from therapies.models import Drug

PERSONAS = (
    "anonymous",
    "patient",
    "other_patient",
    "clinician",  # approved, linked to the patient
    "stranger_clinician",  # approved, linked to the other patient only
    "pending_clinician",  # holds an active link to the patient, but is not approved
    "revoked_clinician",  # approved; the patient revoked their link
    "admin",  # a staff superuser, linked to nobody: the Django admin only
)
SIGNED_IN = PERSONAS[1:]
HTMX = {"HX-Request": "true"}
LOGIN = "login"  # a 302 to the login page
ADMIN_LOGIN = "admin login"  # a 302 to the admin's log-in page

TRIP = {
    "destination": "JP",
    "destination_time_zone": "Asia/Tokyo",
    "departs_on": date(2030, 5, 1),
    "returns_on": date(2030, 5, 20),
}

# What identifies each side's data. A persona may only ever receive its own side's markers.
CAMILLE_NOTE = "camille-private-note-4471"
ONDINE_NOTE = "ondine-private-note-8832"
CAMILLE = ("Camille", "camille@example.com", "Dr House", CAMILLE_NOTE)
ONDINE = ("Ondine", "other@example.com", "Dr Who", ONDINE_NOTE)
MAY_SEE = {
    "anonymous": (),
    "patient": CAMILLE,
    "other_patient": ONDINE,
    "clinician": CAMILLE,
    "stranger_clinician": ONDINE,
    "pending_clinician": (),
    "revoked_clinician": (),
    "admin": (),
}
# The whole `admin:` namespace follows one rule, checked on every admin URL by
# test_the_whole_admin_is_staff_only; a few admin pages also have rows below.
ADMIN_RULE = "staff only; everyone else is sent (302) to the admin's log-in page"
# Admin URLs outside the rule: its log-in page, which sends everyone to the app's two-step log-in
# (the unnamed admin/login/ pattern below answers it), and its log-out, which a GET only sends
# to the admin's index (whose rule then applies).
ADMIN_OUTSIDE_THE_RULE = {"admin:login": LOGIN, "admin:logout": 302}
# Patterns without a name, by route, with what every persona gets (plain GET).
UNNAMED = {
    # The admin's own log-in form would skip the second step's enrolment: the app's instead.
    "admin/login/": LOGIN,
}
# Outside the `patients` namespace, but part of the feature.
ROOT_URLS = {
    "signup_clinician",
    "shared_checklist",
    "verify_letter",
    "login_verify",
    "login_enrol",
    "security",
    "enable_two_factor",
    "disable_two_factor",
    "regenerate_recovery_codes",
    "sign_out_other_sessions",
}
PATIENTS = ("patient", "other_patient")
SECOND_STEP = {"login_verify", "login_enrol"}
CLINICIANS = ("clinician", "stranger_clinician", "pending_clinician", "revoked_clinician")
# Everyone who must use a second factor: the specialists and the staff.
WITH_SECOND_FACTOR = (*CLINICIANS, "admin")

Outcome = int | str | tuple | frozenset  # a status (or LOGIN); (plain, htmx); one of a set
Data = Callable[[SimpleNamespace, object], dict]


@dataclass(frozen=True)
class Case:
    url: str
    variant: str
    arg: str | None = None  # an attribute of the world: its pk (or itself, for a token)
    get: dict[str, Outcome] | None = None  # persona -> outcome; None: GET is not accepted
    post: dict[str, Outcome] | None = None
    data: Data = field(default=lambda world, arg: {})
    public: bool = False  # anyone holding the URL may see it: no login, no marker check
    missing: bool = False  # the argument is replaced by an id or token that does not exist

    @property
    def id(self) -> str:
        return f"{self.url}[{self.variant}]"


def expected(case: Case, outcomes: dict[str, Outcome], persona: str, htmx: bool) -> Outcome:
    if case.url in SECOND_STEP:  # nothing pending: to the log-in page, whoever asks
        return LOGIN
    if persona in outcomes:
        outcome = outcomes[persona]
        return outcome[htmx] if isinstance(outcome, tuple) else outcome
    if persona == "anonymous" and not case.public:
        return LOGIN
    return 404


def mine(
    url: str,
    arg: str | None,
    theirs: str | None = None,
    *,
    owner: str = "patient",
    other_owner: str = "other_patient",
    get: Outcome | None = None,
    post: Outcome | None = None,
    data: Data | None = None,
    variant: str = "hers",
) -> list[Case]:
    """The owner's object answers the owner; the same URL on the other side's object answers
    the other side's owner, and so 404 to the first (the cross-patient case)."""
    extra = {"data": data} if data else {}

    def case(who: str, name: str, value: str | None) -> Case:
        return Case(
            url,
            name,
            value,
            get=None if get is None else {who: get},
            post=None if post is None else {who: post},
            **extra,
        )

    cases = [case(owner, variant, arg)]
    if theirs:
        cases.append(case(other_owner, "the other patient's", theirs))
    return cases


def nobodys(url: str, arg: str, variant: str, *, get: bool, post: bool, data=None) -> Case:
    """An object that no persona may reach through this URL."""
    extra = {"data": data} if data else {}
    return Case(url, variant, arg, get={} if get else None, post={} if post else None, **extra)


def clinicians(url: str, arg: str, theirs: str, **kwargs) -> list[Case]:
    return mine(
        url,
        arg,
        theirs,
        owner="clinician",
        other_owner="stranger_clinician",
        variant="of her patient",
        **kwargs,
    )


def for_each_patient(url: str, *, get=None, post=None, data=None) -> Case:
    """A page about the signed-in patient herself: each patient sees her own."""
    return Case(
        url,
        "her own",
        get=None if get is None else dict.fromkeys(("patient", "other_patient"), get),
        post=None if post is None else dict.fromkeys(("patient", "other_patient"), post),
        **({"data": data} if data else {}),
    )


def patient_page(url: str) -> Case:
    """A patient's own list page that articles link to: each patient sees her own, and every
    clinician (approved or not) is sent to the clinic, their own space (issue 18, D11)."""
    return Case(
        url,
        "her own; a clinician to the clinic",
        # The admin is a clinician by role (create_superuser): the clinic too, where they see
        # nobody's data (the pending page).
        get={**dict.fromkeys(PATIENTS, 200), **dict.fromkeys((*CLINICIANS, "admin"), 302)},
    )


def done_data(world, item_pk):
    return {f"item-{item_pk}-done_on": world.today.isoformat(), f"item-{item_pk}-done_note": "ok"}


def verify_data(world, item_pk):
    return {
        f"verify-{item_pk}-done_on": world.today.isoformat(),
        f"verify-{item_pk}-result": "normal",
    }


def due_data(world, item_pk):
    return {f"due-{item_pk}-due_on": (world.today + timedelta(days=14)).isoformat()}


def move_data(world, treatment_pk):
    number = world.next_dose[treatment_pk]
    day = (world.today + timedelta(days=3)).isoformat()
    return {f"move-{treatment_pk}-dose_number": number, f"move-{treatment_pk}-date": day}


def new_checklist_data(world, _):
    return {"drug": world.secukinumab.pk}


def add_item_data(world, _):
    return {"label": "Dental check", "completed_by": "patient", "due_on": ""}


def signup_data(world, _):
    return {
        "email": "new.doctor@example.com",
        "display_name": "Dr New",
        "password1": "Une-longue-phrase-de-passe",
        "password2": "Une-longue-phrase-de-passe",
        "specialty": "Rheumatology",
        "institution": "CHU de Nantes",
        "registration_number": "10009876543",
        "time_zone": "Europe/Paris",
        "confirm": "on",
    }


CASES: list[Case] = [
    # --- The patient's own treatment pages (existing): patients only, never a clinician.
    patient_page("patients:dashboard"),
    for_each_patient("patients:start_treatment", get=200, post=200),
    *mine("patients:history", "treatment", "other_treatment", get=200),
    *mine("patients:add_stock", "treatment", "other_treatment", get=200, post=200),
    # Issue 22: a photo of the box's code; without a photo the form answers 422 (nothing read).
    *mine("patients:stock_photo", "treatment", "other_treatment", post=422),
    *mine("patients:stop_treatment", "treatment", "other_treatment", get=200, post=302),
    *mine("patients:treatment_device", "treatment", "other_treatment", get=200, post=200),
    *mine("patients:log_injection", "treatment", "other_treatment", get=200, post=200),
    *mine("patients:edit_injection", "injection", "other_injection", get=200, post=200),
    *mine("patients:delete_injection", "injection", "other_injection", get=200, post=302),
    *mine("patients:restore_injection", "deleted_injection", "other_deleted_injection", post=302),
    for_each_patient("patients:reminder_settings", get=200, post=200),
    for_each_patient("patients:regenerate_calendar", post=302),
    *mine("patients:open_reminder", "reminder_token", "other_reminder_token", get=302),
    for_each_patient("patients:notifications", get=200),
    # --- Push devices (issue 19): POST only; an empty body is a malformed subscription (400).
    for_each_patient("patients:push_subscribe", post=400),
    for_each_patient("patients:push_test", post=302),
    *mine("patients:push_remove", "push_device", "other_push_device", post=302),
    # --- The care team, as the patient sees it.
    for_each_patient("patients:care_team", get=200),
    *mine("patients:revoke_link", "care_link", "other_link", get=200, post=302),
    nobodys("patients:revoke_link", "revoked_link", "already revoked", get=True, post=True),
    for_each_patient("patients:access_log", get=200),
    # --- Invitations: anyone signed in creates and enters codes; only the author sees one.
    Case("patients:new_invitation", "anyone's", post=dict.fromkeys(SIGNED_IN, 302)),
    Case(
        "patients:accept_invitation",
        "a wrong code",
        get=dict.fromkeys(SIGNED_IN, 200),
        post=dict.fromkeys(SIGNED_IN, 200),
        data=lambda world, _: {"code": "AAAA-BBBB-CCCC"},
    ),
    *mine("patients:invitation", "patient_invitation", "other_invitation", get=200),
    *mine(
        "patients:invitation",
        "clinician_invitation",
        owner="clinician",
        variant="the clinician's",
        get=200,
    ),
    *mine("patients:cancel_invitation", "patient_invitation", "other_invitation", post=302),
    *mine(
        "patients:cancel_invitation",
        "clinician_invitation",
        owner="clinician",
        variant="the clinician's",
        post=302,
    ),
    # --- Checklists, as the patient sees them: shared ones only.
    patient_page("patients:checklists"),
    *mine("patients:checklist", "checklist", "other_checklist", get=200),
    nobodys("patients:checklist", "draft", "a draft", get=True, post=False),
    *mine("patients:checklist_print", "checklist", "other_checklist", get=200),
    nobodys("patients:checklist_print", "draft", "a draft", get=True, post=False),
    *mine(
        "patients:share_checklist",
        "checklist",
        "other_checklist",
        post=302,
        data=lambda world, _: {"days": "7"},
    ),
    nobodys("patients:share_checklist", "draft", "a draft", get=False, post=True),
    *mine("patients:unshare_checklist", "checklist", "other_checklist", post=302),
    *mine("patients:item_done", "item", "other_item", get=200, post=(302, 200), data=done_data),
    nobodys("patients:item_done", "draft_item", "a draft's item", get=True, post=True),
    nobodys("patients:item_done", "specialist_item", "a specialist's item", get=True, post=True),
    nobodys("patients:item_done", "verified_item", "a verified item", get=True, post=True),
    *mine("patients:item_undo", "done_item", "other_done_item", post=(302, 200)),
    nobodys("patients:item_undo", "draft_item", "a draft's item", get=False, post=True),
    nobodys("patients:item_undo", "specialist_item", "a specialist's item", get=False, post=True),
    # --- The clinician's side: approved and linked right now, or 404.
    Case(
        "patients:clinic",
        "their own",
        get=dict.fromkeys(  # the admin has no clinician profile: the "awaiting approval" page
            ("clinician", "stranger_clinician", "pending_clinician", "revoked_clinician", "admin"),
            200,
        ),
    ),
    *clinicians("patients:clinic_patient", "patient", "other_patient", get=200),
    *clinicians(
        "patients:clinic_new_checklist",
        "patient",
        "other_patient",
        get=200,
        post=302,
        data=new_checklist_data,
    ),
    *clinicians(
        "patients:clinic_move_dose", "treatment", "other_treatment", post=302, data=move_data
    ),
    *clinicians("patients:clinic_checklist", "checklist", "other_checklist", get=200),
    *mine("patients:clinic_checklist", "draft", owner="clinician", variant="a draft", get=200),
    *clinicians("patients:clinic_share", "draft", "other_draft", post=302),
    *clinicians(
        "patients:clinic_add_item", "checklist", "other_checklist", post=302, data=add_item_data
    ),
    *clinicians("patients:clinic_print", "checklist", "other_checklist", get=200),
    *clinicians(
        "patients:clinic_verify", "item", "other_item", get=200, post=(302, 200), data=verify_data
    ),
    *clinicians("patients:clinic_due", "item", "other_item", post=(302, 200), data=due_data),
    *clinicians("patients:clinic_unverify", "verified_item", "other_item", post=(302, 200)),
    *clinicians("patients:clinic_remove", "item", "other_item", post=(302, 200)),
    # --- Trips and travel letters: the patient's own; letters also her linked clinician's.
    patient_page("patients:trips"),
    for_each_patient("patients:new_trip", get=200, post=200),
    *mine("patients:trip", "trip", "other_trip", get=200),
    *mine("patients:edit_trip", "trip", "other_trip", get=200, post=200),
    *mine("patients:delete_trip", "trip", "other_trip", get=200, post=302),
    *mine(
        "patients:trip_offline",
        "trip",
        "other_trip",
        post=302,
        data=lambda world, _: {"keep": "1"},
    ),
    *mine("patients:letter", "certificate", "other_certificate", get=200),
    nobodys(
        "patients:letter", "no_such_letter", "a kind that does not exist", get=True, post=False
    ),
    *mine("patients:letter_pdf", "prescription", "other_prescription", get=200),
    *mine("patients:revoke_letter", "certificate", "other_certificate", post=302),
    *clinicians("patients:clinic_letter", "certificate", "other_certificate", get=200),
    *clinicians("patients:clinic_letter_pdf", "prescription", "other_prescription", get=200),
    *clinicians("patients:clinic_approve_letter", "prescription", "other_prescription", post=302),
    *clinicians("patients:clinic_revoke_letter", "certificate", "other_certificate", post=302),
    # --- Everyone's own data to take away (no id in the URL): patients and clinicians alike.
    Case("patients:export", "their own", get=dict.fromkeys(SIGNED_IN, 200)),
    Case("patients:export_json", "their own", get=dict.fromkeys(SIGNED_IN, 200)),
    Case("patients:export_pdf", "their own", get=dict.fromkeys(SIGNED_IN, 200)),
    # --- The visit summary and the FHIR export.
    # The patient's own summary, preparation and sharing (no id: each patient her own); the FHIR
    # file is a patient's (a clinician's own data holds no treatment: 404); a linked specialist
    # makes the summary of their patient, anyone else gets 404.
    for_each_patient("patients:visit_summary", get=200),
    for_each_patient("patients:visit_summary_pdf", get=200),
    for_each_patient(
        "patients:prepare_visit", post=302, data=lambda world, _: {"questions": "Holidays?"}
    ),
    for_each_patient(
        "patients:share_summary",
        post=302,
        data=lambda world, _: {
            "start": (world.today - timedelta(weeks=16)).isoformat(),
            "end": world.today.isoformat(),
        },
    ),
    for_each_patient("patients:export_fhir", get=200),
    *clinicians("patients:clinic_summary", "patient", "other_patient", get=200),
    *clinicians("patients:clinic_summary_pdf", "patient", "other_patient", get=200),
    # --- Public: the clinician sign-up and the read-only share link.
    Case(
        "signup_clinician",
        "anyone",
        get={"anonymous": 200, **dict.fromkeys(SIGNED_IN, 302)},
        post={"anonymous": 302, **dict.fromkeys(SIGNED_IN, 302)},
        data=signup_data,
        public=True,
    ),
    Case(
        "shared_checklist",
        "an open link",
        "share_token",
        get=dict.fromkeys(PERSONAS, 200),
        public=True,
    ),
    Case("shared_checklist", "a revoked link", "revoked_share_token", get={}, public=True),
    Case("shared_checklist", "an expired link", "expired_share_token", get={}, public=True),
    Case(
        "verify_letter",
        "an approved letter",
        "letter_token",
        get=dict.fromkeys(PERSONAS, 200),
        public=True,
    ),
    Case("verify_letter", "an unknown letter", "unknown_letter_token", get={}, public=True),
    # --- One's own account (django.contrib.auth's pages and ours): anyone signed in.
    Case(
        "profile",
        "their own",
        get=dict.fromkeys(SIGNED_IN, 200),
        post=dict.fromkeys(SIGNED_IN, 200),  # an empty form: errors, nothing saved
    ),
    Case(
        "delete_account",
        "their own",
        get=dict.fromkeys(SIGNED_IN, 200),
        post=dict.fromkeys(SIGNED_IN, 200),  # no password: errors, nothing deleted
    ),
    Case(
        "password_change",
        "their own",
        get=dict.fromkeys(SIGNED_IN, 200),
        post=dict.fromkeys(SIGNED_IN, 200),
    ),
    Case(
        "password_change_done",
        "their own",
        get=dict.fromkeys(SIGNED_IN, 200),
        post=dict.fromkeys(SIGNED_IN, 405),  # Django's view checks the log-in first
    ),
    Case(
        # Public: the feed's secret token is the key (calendar apps have no session).
        "calendar_feed",
        "a patient's token",
        "calendar_token",
        get=dict.fromkeys(PERSONAS, 200),
        public=True,
    ),
    # --- Public pages (the allow-list): the same for everyone, no health data, no login.
    # Home: a patient lands on her dashboard; everyone else reads the home page.
    Case(
        "home",
        "public",
        get={**dict.fromkeys(PERSONAS, 200), "patient": 302, "other_patient": 302},
        public=True,
    ),
    Case("privacy", "public", get=dict.fromkeys(PERSONAS, 200), public=True),
    # The health check: 503 when the broker is down (it names no one either way).
    Case("healthz", "public", get=dict.fromkeys(PERSONAS, frozenset({200, 503})), public=True),
    Case("readyz", "public", get=dict.fromkeys(PERSONAS, frozenset({200, 503})), public=True),
    # The installable app (issue 19): the same for everyone, no health data.
    Case("manifest", "public", get=dict.fromkeys(PERSONAS, 200), public=True),
    Case("service_worker", "public", get=dict.fromkeys(PERSONAS, 200), public=True),
    Case("offline", "public", get=dict.fromkeys(PERSONAS, 200), public=True),
    # The offline papers' list: each asker gets their own opted-in trips' URLs (ids, no data),
    # everyone else an empty list.
    Case("offline_allowed", "public", get=dict.fromkeys(PERSONAS, 200), public=True),
    Case(
        "set_language",  # POST only; remembered on the profile of whoever is signed in
        "public",
        post=dict.fromkeys(PERSONAS, 302),
        data=lambda world, _: {"language": "en", "next": "/"},
        public=True,
    ),
    Case(
        "login",  # signed-in people may log in again (as someone else)
        "public",
        get=dict.fromkeys(PERSONAS, 200),
        post=dict.fromkeys(PERSONAS, 200),  # wrong credentials: the form again
        data=lambda world, _: {"username": "nobody@example.com", "password": "wrong"},
        public=True,
    ),
    Case("logout", "public", post=dict.fromkeys(PERSONAS, 302), public=True),  # POST only
    Case(
        "signup",  # the patient sign-up: signed-in people are sent home
        "public",
        get={"anonymous": 200, **dict.fromkeys(SIGNED_IN, 302)},
        post={"anonymous": 200, **dict.fromkeys(SIGNED_IN, 302)},  # an empty form: errors
        public=True,
    ),
    Case(
        "password_reset",  # an unknown address answers as a known one would
        "public",
        get=dict.fromkeys(PERSONAS, 200),
        post=dict.fromkeys(PERSONAS, 302),
        data=lambda world, _: {"email": "nobody@example.com"},
        public=True,
    ),
    Case("password_reset_done", "public", get=dict.fromkeys(PERSONAS, 200), public=True),
    # "Check your e-mail to continue": the one answer to every valid sign-up (issue 17, item 3).
    Case("signup_sent", "public", get=dict.fromkeys(PERSONAS, 200), public=True),
    Case(
        "signup_confirm",  # the e-mailed link: its form (a wrong password: the form again)
        "a sign-up waiting for its link",
        "signup_token",
        get=dict.fromkeys(PERSONAS, 200),
        post=dict.fromkeys(PERSONAS, 200),
        data=lambda world, _: {"password": "not the one chosen"},
        public=True,
    ),
    Case(
        "password_reset_confirm",  # a wrong link shows "this link is not valid" (200)
        "a wrong link",
        "bad_reset_link",
        get=dict.fromkeys(PERSONAS, 200),
        post=dict.fromkeys(PERSONAS, 200),
        public=True,
    ),
    Case("password_reset_complete", "public", get=dict.fromkeys(PERSONAS, 200), public=True),
    # The therapy catalogue and the articles: public reading.
    Case("therapies:list", "public", get=dict.fromkeys(PERSONAS, 200), public=True),
    Case(
        "therapies:detail",
        "a therapy",
        "therapy_slug",
        get=dict.fromkeys(PERSONAS, 200),
        public=True,
    ),
    Case("content:articles", "public", get=dict.fromkeys(PERSONAS, 200), public=True),
    Case(
        "content:article",
        "an article",
        "article_slug",
        get=dict.fromkeys(PERSONAS, 200),
        public=True,
    ),
    Case("content:glossary", "public", get=dict.fromkeys(PERSONAS, 200), public=True),
    Case("content:search", "public", get=dict.fromkeys(PERSONAS, 200), public=True),
    # --- The Django admin (ADMIN_RULE): staff only. A few pages here, every URL in its own test.
    Case(
        "admin:index",
        "staff only",
        get={**dict.fromkeys(PERSONAS, ADMIN_LOGIN), "admin": 200},
    ),
    Case(
        "admin:patients_user_changelist",
        "staff only",
        get={**dict.fromkeys(PERSONAS, ADMIN_LOGIN), "admin": 200},
    ),
    Case(
        "admin:patients_user_change",
        "someone's account",
        "patient",
        get={**dict.fromkeys(PERSONAS, ADMIN_LOGIN), "admin": 200},
    ),
    # --- Signing in and the Security page (every persona signs in as the app lets them: the
    # specialists with a verified second factor, the patients without one).
    # No password step in progress: the second step sends everyone back to the log-in page.
    Case("login_verify", "nobody pending", get={}, post={}),
    Case("login_enrol", "nobody pending", get={}, post={}),
    Case("security", "their own", get=dict.fromkeys(SIGNED_IN, 200)),
    # Patients may set an app up; the specialists already have one (back to Security).
    Case(
        "enable_two_factor",
        "their own",
        get=dict.fromkeys(PATIENTS, 200) | dict.fromkeys(WITH_SECOND_FACTOR, 302),
        post=dict.fromkeys(PATIENTS, 200) | dict.fromkeys(WITH_SECOND_FACTOR, 302),
    ),
    # Patients without an app have nothing to turn off; specialists may not (404).
    Case(
        "disable_two_factor",
        "their own",
        get=dict.fromkeys(PATIENTS, 302),
        post=dict.fromkeys(PATIENTS, 302),
    ),
    Case(
        "regenerate_recovery_codes",
        "their own",
        post=dict.fromkeys(PATIENTS, 302) | dict.fromkeys(WITH_SECOND_FACTOR, 200),
    ),
    Case("sign_out_other_sessions", "their own", post=dict.fromkeys(SIGNED_IN, 302)),
]

# The pages above without an id (or whose wrong token is already a row): nothing to generate.
NO_MISSING_VARIANT = {"password_reset_confirm"}


def missing_variants(cases: list[Case]) -> list[Case]:
    """Each URL that takes an id or a token, once more with one that does not exist: 404 to
    everyone (the Django admin: its rule, and its own way of saying so, a 302 to its index)."""
    extra, seen = [], set()
    for case in cases:
        if case.arg is None or case.url in seen or case.url in NO_MISSING_VARIANT:
            continue
        seen.add(case.url)
        accepts = {
            m: any(getattr(c, m) is not None for c in cases if c.url == case.url)
            for m in ("get", "post")
        }
        if case.url.startswith("admin:"):
            staff = {**dict.fromkeys(PERSONAS, ADMIN_LOGIN), "admin": 302}
            outcomes = {m: staff if accepts[m] else None for m in accepts}
        else:
            outcomes = {m: {} if accepts[m] else None for m in accepts}
        extra.append(
            Case(
                case.url,
                "one that does not exist",
                case.arg,
                get=outcomes["get"],
                post=outcomes["post"],
                public=case.public,
                missing=True,
            )
        )
    return extra


# --- The journal and scores (its world is `journal_world` below) ------------------------------
CASES += [
    for_each_patient("patients:journal", get=200),
    for_each_patient("patients:journal_new_entry", get=200, post=200),  # empty: errors
    *mine("patients:journal_entry", "journal_entry", "other_journal_entry", get=200),
    *mine(
        "patients:journal_edit_entry",
        "journal_entry",
        "other_journal_entry",
        get=200,
        post=200,  # an empty form: errors, nothing saved
    ),
    *mine(
        "patients:journal_delete_entry",
        "journal_entry",
        "other_journal_entry",
        get=200,
        post=302,
    ),
    *mine(
        "patients:journal_restore_entry",
        "deleted_journal_entry",
        "other_deleted_journal_entry",
        post=302,
    ),
    nobodys(
        "patients:journal_restore_entry", "journal_entry", "a live entry", get=False, post=True
    ),
    for_each_patient("patients:journal_scores", get=200, post=200),  # empty: errors
    *mine("patients:journal_edit_scores", "score_set", "other_score_set", get=200, post=200),
    *mine("patients:journal_delete_scores", "score_set", "other_score_set", get=200, post=302),
    *mine(
        "patients:journal_restore_scores",
        "deleted_score_set",
        "other_deleted_score_set",
        post=302,
    ),
    for_each_patient("patients:journal_quick_itch", post=302, data=lambda world, _: {"itch": "4"}),
    for_each_patient("patients:journal_quick_reaction", post=302),  # no value: told, back
    Case(
        "patients:journal_quick_reaction",
        "her own treatment",
        post={"patient": 302},  # the other patient's treatment is not hers: 404
        data=lambda world, _: {"reaction": "mild", "treatment": world.treatment.pk},
    ),
    for_each_patient("patients:journal_sharing", get=200, post=200),  # no choice: asked again
    *clinicians("patients:clinic_flag_seen", "journal_flag", "other_journal_flag", post=302),
]


def journal_world(
    *, patient, other_patient, clinician, stranger_clinician, treatment, other_treatment, today
) -> dict:
    """Each patient's journal entries and scores (live and deleted), shared with her own
    specialist, whose flag it raises."""
    from patients.journal.entries import delete_entry, record_entry
    from patients.journal.scores import delete_scores, record_scores
    from patients.journal.sharing import set_sharing
    from patients.models import JournalFlag

    now = timezone.now()
    world = {}
    for prefix, who, doctor, their_treatment in (
        ("", patient, clinician, treatment),
        ("other_", other_patient, stranger_clinician, other_treatment),
    ):
        set_sharing(patient=who, clinician=doctor, shared=True, now=now)
        world[f"{prefix}journal_entry"] = record_entry(
            patient=who, treatment=their_treatment, occurred_on=today, serious=True
        )
        deleted = record_entry(patient=who, treatment=their_treatment, occurred_on=today, note="x")
        delete_entry(entry=deleted)
        world[f"{prefix}deleted_journal_entry"] = deleted
        world[f"{prefix}score_set"] = record_scores(patient=who, recorded_on=today, itch=3)
        gone = record_scores(patient=who, recorded_on=today - timedelta(days=30), itch=2)
        delete_scores(score_set=gone)
        world[f"{prefix}deleted_score_set"] = gone
        world[f"{prefix}journal_flag"] = JournalFlag.objects.get(clinician=doctor, patient=who)
    return world


CASES += missing_variants(CASES)


# --- The world -----------------------------------------------------------------------------------


def build_world() -> SimpleNamespace:
    """Camille (linked to Dr House, to the pending clinician, and once to a revoked one) and
    Ondine (linked to Dr Who), each with a treatment, injections and a shared checklist.

    Needs the catalogue (loaded once per test database) and a transaction to roll back: the
    `world` fixture (tests/conftest.py) and the walk (tests/support/walk.py) provide both. The
    people are those of tests/conftest.py's fixtures (patient, other_patient, clinician,
    stranger_clinician, pending_clinician, care_link, checklist)."""
    now = timezone.now()
    patient = UserFactory(email="camille@example.com", display_name="Camille")
    other_patient = UserFactory(email="other@example.com", display_name="Other")
    clinician = ClinicianFactory(email="dr@example.com", display_name="Dr House")
    stranger_clinician = ClinicianFactory(email="stranger@example.com", display_name="Dr Who")
    pending_clinician = ClinicianFactory(
        email="pending@example.com", display_name="Dr Pending", status=ClinicianStatus.PENDING
    )
    CareLink.objects.create(patient=patient, clinician=clinician)
    # The shared checklist for secukinumab (anti-IL-17: the common items + the IBD history).
    checklist = create_checklist(
        patient=patient, drug=Drug.objects.get(inn="secukinumab"), clinician=clinician, now=now
    )
    share_checklist(checklist=checklist, actor=clinician, now=now)
    today = timeutils.local_today(patient.zone)
    other_patient.display_name = "Ondine"
    other_patient.save(update_fields=["display_name"])
    revoked_clinician = ClinicianFactory(email="gone@example.com", display_name="Dr Gone")
    care_link = CareLink.objects.get(patient=patient, clinician=clinician)
    other_link = CareLink.objects.create(patient=other_patient, clinician=stranger_clinician)
    CareLink.objects.create(patient=patient, clinician=pending_clinician)
    revoked_link = CareLink.objects.create(
        patient=patient, clinician=revoked_clinician, revoked_at=now
    )

    def items_of(checklist_):
        return {item.key: item for item in ChecklistItem.objects.filter(checklist=checklist_)}

    items = items_of(checklist)
    mark_done(item=items["chest_xray"], done_on=today, note=CAMILLE_NOTE, actor=patient, now=now)
    verify_item(
        item=items["tuberculosis_screening"],
        done_on=today,
        result="normal",
        actor=clinician,
        now=now,
    )
    secukinumab = Drug.objects.get(inn="secukinumab")
    draft = create_checklist(patient=patient, drug=secukinumab, clinician=clinician, now=now)

    other_checklist = create_checklist(
        patient=other_patient, drug=secukinumab, clinician=stranger_clinician, now=now
    )
    share_checklist(checklist=other_checklist, actor=stranger_clinician, now=now)
    other_items = items_of(other_checklist)
    mark_done(
        item=other_items["chest_xray"],
        done_on=today,
        note=ONDINE_NOTE,
        actor=other_patient,
        now=now,
    )
    other_draft = create_checklist(
        patient=other_patient, drug=secukinumab, clinician=stranger_clinician, now=now
    )

    first = today - timedelta(weeks=8)
    treatment = TreatmentFactory(patient=patient, drug_inn="guselkumab", first_dose_on=first)
    injection = log_dose(treatment, 1, first)
    deleted_injection = log_dose(treatment, 2, first + timedelta(weeks=4))
    delete_injection(injection=deleted_injection)
    other_treatment = TreatmentFactory(
        patient=other_patient, drug_inn="guselkumab", first_dose_on=first
    )
    other_injection = log_dose(other_treatment, 1, first)
    other_deleted_injection = log_dose(other_treatment, 2, first + timedelta(weeks=4))
    delete_injection(injection=other_deleted_injection)
    reminder = Reminder.objects.create(
        patient=patient,
        treatment=treatment,
        dose_number=2,
        about_date=first + timedelta(weeks=4),
        kind=Kind.OVERDUE_DOSE,
        occurrence="dose-2:late-1",
        channel=Channel.EMAIL,
        state=State.FAILED,
        due_at=now,
    )
    other_reminder = Reminder.objects.create(
        patient=other_patient,
        treatment=other_treatment,
        dose_number=2,
        about_date=first + timedelta(weeks=4),
        kind=Kind.OVERDUE_DOSE,
        occurrence="dose-2:late-1",
        channel=Channel.EMAIL,
        state=State.FAILED,
        due_at=now,
    )
    admin = User.objects.create_superuser(
        email="admin@example.com", password="an-admin-password", display_name="Admin"
    )
    Article.objects.create(
        slug="what-are-interleukins",
        language="fr",
        title="Les interleukines",
        summary="Ce qu'elles sont.",
        kind="article",
        section="understanding",
        order=1,
        reading_minutes=3,
        body_html="<p>Des messagers.</p>",
        body_text="Des messagers.",
        reviewed=today,
        content_hash="0" * 64,
    )

    trip = plan_trip(patient=patient, now=now, traveller_name="Camille", **TRIP)
    other_trip = plan_trip(patient=other_patient, now=now, traveller_name="Ondine", **TRIP)
    letter = approve_letter(trip=trip, kind="certificate", clinician=clinician, now=now)
    push_device, other_push_device = (
        PushSubscription.objects.create(
            patient=owner,
            endpoint=f"https://push.example.com/send/{owner.pk}",
            p256dh="B" + "A" * 86,
            auth="A" * 22,
            label="Phone",
        )
        for owner in (patient, other_patient)
    )
    approve_letter(trip=other_trip, kind="certificate", clinician=stranger_clinician, now=now)

    _, expired_share_token = create_share_link(
        checklist=other_checklist, days=7, actor=other_patient, now=now - timedelta(days=8)
    )
    _, revoked_share_token = create_share_link(checklist=checklist, days=7, actor=patient, now=now)
    _, share_token = create_share_link(checklist=checklist, days=7, actor=patient, now=now)
    record_access(patient=patient, actor=clinician, action=AccessAction.VIEWED_RECORD, now=now)
    record_access(
        patient=other_patient, actor=stranger_clinician, action=AccessAction.VIEWED_RECORD, now=now
    )
    return SimpleNamespace(
        today=today,
        secukinumab=secukinumab,
        personas={
            "anonymous": None,
            "patient": patient,
            "other_patient": other_patient,
            "clinician": clinician,
            "stranger_clinician": stranger_clinician,
            "pending_clinician": pending_clinician,
            "revoked_clinician": revoked_clinician,
            "admin": admin,
        },
        patient=patient,
        other_patient=other_patient,
        care_link=care_link,
        other_link=other_link,
        revoked_link=revoked_link,
        patient_invitation=create_invitation(by=patient, now=now)[0],
        other_invitation=create_invitation(by=other_patient, now=now)[0],
        clinician_invitation=create_invitation(by=clinician, now=now)[0],
        checklist=checklist,
        item=items["blood_tests"],  # the patient's to do, not done yet
        done_item=items["chest_xray"],
        verified_item=items["tuberculosis_screening"],
        specialist_item=items["medical_history"],
        draft=draft,
        draft_item=ChecklistItem.objects.filter(checklist=draft).first(),
        other_checklist=other_checklist,
        other_item=other_items["blood_tests"],
        other_done_item=other_items["chest_xray"],
        other_draft=other_draft,
        treatment=treatment,
        other_treatment=other_treatment,
        next_dose={
            t.pk: overview(t, today=today).upcoming[0].number for t in (treatment, other_treatment)
        },
        injection=injection,
        deleted_injection=deleted_injection,
        other_deleted_injection=other_deleted_injection,
        other_injection=other_injection,
        reminder_token=signing.dumps(reminder.pk, salt=OPEN_LINK_SALT),
        other_reminder_token=signing.dumps(other_reminder.pk, salt=OPEN_LINK_SALT),
        calendar_token=ReminderSettings.objects.get_or_create(patient=patient)[0].calendar_token,
        bad_reset_link=("bad", "bad-token"),
        signup_token=confirmation_token(
            UserFactory(email="waiting@example.com", is_active=False, email_confirmed_at=None)
        ),
        therapy_slug="guselkumab",
        article_slug="what-are-interleukins",
        share_token=share_token,
        trip=trip,
        other_trip=other_trip,
        push_device=push_device,
        other_push_device=other_push_device,
        certificate=(trip.pk, "certificate"),
        other_certificate=(other_trip.pk, "certificate"),
        prescription=(trip.pk, "prescription"),
        other_prescription=(other_trip.pk, "prescription"),
        no_such_letter=(trip.pk, "passport"),
        letter_token=letter.token,
        unknown_letter_token="not-a-letter-token",
        revoked_share_token=revoked_share_token,
        expired_share_token=expired_share_token,
        **journal_world(
            patient=patient,
            other_patient=other_patient,
            clinician=clinician,
            stranger_clinician=stranger_clinician,
            treatment=treatment,
            other_treatment=other_treatment,
            today=today,
        ),
    )


# --- Requests ------------------------------------------------------------------------------------


NO_SUCH_ID = 2_000_000_000  # fits a PostgreSQL integer: a 404, not a database error
NO_SUCH_TOKEN = "no-such-token-3v9Qx"


def argument(world, case: Case):
    if case.arg is None:
        return None
    value = getattr(world, case.arg)
    value = getattr(value, "pk", value)
    if case.missing:  # the same shape, nobody's
        if isinstance(value, tuple):  # (trip, letter kind)
            return (NO_SUCH_ID, *value[1:])
        return NO_SUCH_ID if isinstance(value, int) else NO_SUCH_TOKEN
    return value


def outcome_of(response, *, htmx: bool) -> Outcome:
    """LOGIN: a plain request is redirected to the log-in page; an htmx one is told to go there
    (HX-Redirect), so htmx does not swap the log-in page into a fragment."""
    login = reverse("login")
    if response.status_code == 302 and response["Location"].startswith(reverse("admin:login")):
        return ADMIN_LOGIN
    if htmx:
        if response.status_code == 200 and response.get("HX-Redirect", "").startswith(login):
            return LOGIN
        if response.status_code == 302 and response["Location"].startswith(login):
            return "302 to the log-in page, which htmx would swap into the fragment"
    elif response.status_code == 302 and response["Location"].startswith(login):
        return LOGIN
    return response.status_code


def path_of(world, case: Case) -> str:
    arg = argument(world, case)
    args = [] if arg is None else list(arg) if isinstance(arg, tuple) else [arg]
    return reverse(case.url, args=args)


def sessions_of(world, personas=PERSONAS) -> dict[str, str]:
    """Each signed-in persona's session key, as after both log-in steps (`sign_in`): for
    `respond`, which then sends each request in that session instead of signing in again. Made
    in the caller's transaction, so valid as long as it lasts: never keep them beyond it."""
    sessions = {}
    for persona in personas:
        if (user := world.personas[persona]) is not None:
            client = sign_in(Client(), user)
            sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return sessions


def respond(
    world,
    case: Case,
    persona: str,
    method: str,
    htmx: bool,
    *,
    client=None,
    sessions=None,
    **headers,
):
    """One request as `persona` (or through `client`, already signed in), in a savepoint rolled
    back afterwards, so a POST that deletes or changes something changes nothing for the next
    one. With `sessions` (`sessions_of`), a new client in the persona's session; else a new
    client signed in here. Returns the response; an exception of the view propagates."""
    path = path_of(world, case)
    with transaction.atomic():
        if client is None:
            client = Client()
            if sessions is not None and persona in sessions:
                client.cookies[settings.SESSION_COOKIE_NAME] = sessions[persona]
            elif user := world.personas[persona]:
                sign_in(client, user)
        try:
            headers = {**(HTMX if htmx else {}), **headers}
            if method == "GET":
                return client.get(path, headers=headers)
            data = case.data(world, argument(world, case)) if method == "POST" else {}
            return getattr(client, method.lower())(path, data, headers=headers)
        finally:
            transaction.set_rollback(True)


def leaked(case: Case, persona: str, content: str) -> list[str]:
    if case.public:
        return []
    allowed = MAY_SEE[persona]
    if persona == "admin" and case.url.startswith("admin:"):
        # In the Django admin, staff manage accounts: names and addresses, not private notes.
        allowed = tuple(m for m in (*CAMILLE, *ONDINE) if m not in (CAMILLE_NOTE, ONDINE_NOTE))
    return [m for m in (*CAMILLE, *ONDINE) if m not in allowed and m in content]


def url_names(resolver=None, namespace: str = "") -> list[str]:
    """Every URL pattern of config.urls, walked recursively (the i18n patterns, the includes,
    the admin), by its full name; an unnamed pattern by its route, so it cannot hide."""
    names = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += url_names(pattern, inner)
        elif isinstance(pattern, URLPattern):
            names.append(f"{namespace}{pattern.name or f'<unnamed {pattern.pattern}>'}")
    return names


def admin_kwargs(pattern: URLPattern) -> dict[str, str]:
    """Arguments that fit an admin URL: an app it lists, and ids that do not exist."""
    groups = pattern.pattern.regex.groupindex
    return {name: "patients" if name == "app_label" else "999999" for name in groups}


def admin_patterns(resolver=None, namespace: str = ""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from admin_patterns(pattern, inner)
        elif namespace.startswith("admin:") and pattern.name:
            yield f"{namespace}{pattern.name}", pattern
