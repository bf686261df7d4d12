"""Bad input never gives a 500: every form of the app, and every view that reads request.GET or
request.POST or a token from its path, fed by Hypothesis with hostile values.

Unicode of every kind (right-to-left marks, emoji, combining marks), NUL bytes and control
characters, 100,000-character strings, absurd numbers (huge, negative, NaN, 1e308), absurd dates
(year 0, 9999, 31 February, garbage), fields missing and fields repeated. The answer must be a
page (200, the form again with its errors), a redirect, 400, 404, 405, 413 (a body too large) or
429 (a rate limit): the test client re-raises any exception of a view, so a crash fails here.

One world (the access matrix's) for the module, in a transaction rolled back at its end; each
example runs in a savepoint rolled back after it, and Hypothesis runs inside the test so no
function-scoped fixture is reused across examples.
"""

from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from patients.forms.travel import TripForm
from tests.support.auth import sign_in
from tests.support.matrix import NO_SUCH_ID, Case, respond, sessions_of

pytestmark = pytest.mark.django_db

ANSWERS = {200, 302, 400, 404, 405, 413, 429}
EXAMPLES = 25  # random ones per form, on top of the fixed ones below (FIXED)

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f",
    "\r\n\t",
    "\u202egnp.exe",  # right-to-left override
    "مرحبا بالعالم",
    "עִבְרִית",
    "🧪💉🏳️‍🌈",
    "e" + "\u0301" * 200,  # combining marks
    "\ufeff\u200b\u2028",
    "A" * 100_000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00%2e%2e",
    "0",
    "-1",
    "-2147483649",
    "2147483648",
    "9" * 400,
    "1e308",
    "-1e308",
    "NaN",
    "inf",
    "-inf",
    "0x1F",
    "1_000",
    "٣",  # an Arabic-Indic digit
    "0000-00-00",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2027-02-31",
    "2027-13-01",
    "2027-02-29",
    "31/02/2027",
    "2027-03-28T02:30",
    "25:61",
    "23:59:60",
    "yesterday",
    "true",
    "on",
    "null",
    "[]",
    "{}",
    "Europe/Nowhere",
    "Etc/GMT+14",
    "xx",
    "fr",
    "en",
    "de",
    "https://evil.example/",
    "//evil.example",
    "javascript:alert(1)",
]

values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=60),  # any Unicode but surrogates, NUL and control characters included
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(lambda d: d.isoformat()),
    st.times().map(lambda t: t.isoformat()),
)


def field_values(valid: dict[str, list[str]]):
    """A value for one field: missing, one value, or the field repeated; sometimes a valid one,
    so the other fields get checked past the first error."""
    one = st.one_of(values, st.sampled_from(valid)) if valid else values
    return st.one_of(st.none(), one.map(lambda v: [v]), st.lists(one, min_size=2, max_size=3))


def form_data(names: list[str], valid: dict | None = None):
    valid = valid or {}
    per_field = {name: field_values(valid.get(name, [])) for name in names}
    extra = st.dictionaries(st.text(min_size=1, max_size=20), values.map(lambda v: [v]), max_size=2)

    @st.composite
    def build(draw):
        data = {}
        for name, strategy in per_field.items():
            value = draw(strategy)
            if value is not None:
                data[name] = value
        return data | draw(extra)

    return build()


def check(response, where: str) -> None:
    assert response.status_code in ANSWERS, f"{where}: {response.status_code}"


# --- Regressions: crashes the fuzzing found -------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/calendar/%00.ics",  # was a DataError on PostgreSQL: the token is looked up as it came
        "/calendar/a%00b.ics",
        "/shared/checklists/%00/",
        "/en/verify/a%00b/",
    ],
)
def test_a_nul_in_the_path_is_a_bad_request(db, path):
    response = Client().get(path)
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


@pytest.mark.parametrize("path", ["/en/search/?q=%00", "/en/clinic/?q=a%00b"])
def test_a_nul_in_a_query_string_is_for_the_page_to_answer(clinician, path):
    """The search drops it, the clinician's filter says it is not allowed: a page, not a 400."""
    client = Client()
    sign_in(client, clinician)
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("value", ["\x00", "guselkumab\x00", "A" * 100_000, "🧪"])
def test_a_strange_medicine_to_preselect_opens_the_empty_form(patient_client, value):
    """Was a DataError on PostgreSQL: the value went into a query as it came."""
    response = patient_client.post("/en/treatments/new/", {"preselect": value})
    assert response.status_code == 200
    assert 'name="regimen"' in response.content.decode()
    assert '<option value="" selected>' in response.content.decode()  # nothing preselected


@pytest.mark.parametrize("path", ["/en/accounts/login/"])  # (the admin's log-in sends here)
def test_a_100000_character_address_at_log_in_is_a_wrong_address(patient, path):
    """Was an OperationalError on SQLite ("LIKE or GLOB pattern too complex")."""
    response = Client().post(path, {"username": "a" * 100_000, "password": "whatever"})
    assert response.status_code == 200
    assert "Please enter" in response.content.decode()  # the form with its error


def test_the_longest_address_still_logs_in(db):
    from patients.models import User

    email = "a" * 64 + "@" + "b" * 180 + ".example"  # 254 characters, the field's length
    User.objects.create_user(email=email, password="a-long-test-password")
    response = Client().post(
        "/en/accounts/login/", {"username": email.upper(), "password": "a-long-test-password"}
    )
    assert response.status_code == 302


def test_a_long_address_at_log_in_is_counted_not_a_crash(patient):
    """Was a DataError on PostgreSQL: django-axes stored the 100,000 characters in a column of
    255. The failure is still counted, under the first 255."""
    from axes.models import AccessAttempt

    response = Client().post("/en/accounts/login/", {"username": "A" * 100_000, "password": "x"})
    assert response.status_code == 200
    assert AccessAttempt.objects.get().username == "a" * 255


# --- Fuzzing, against the access matrix's world ---------------------------------------------------
# (Built once for the module and kept until its end: every test from here on uses it.)

# Tried on every field of every form, every time (random draws may miss them).
FIXED = ["\x00", "a\x00b", "\u202e🧪e\u0301", "9" * 400, "1e308", "NaN", "0000-01-01", "2027-02-31"]


def fuzz(world, url, arg, persona, names, *, valid=None, method="POST"):
    """POST (or GET) hostile data to `url` as `persona`, with and without htmx."""

    sessions = sessions_of(world, [persona])  # signed in once for all the examples

    def run(data, htmx):
        cache.clear()  # the rate limits would soon answer 429 to everything
        case = Case(url, "fuzz", arg, data=lambda world, _: data)
        response = respond(world, case, persona, method, htmx, sessions=sessions)
        check(response, f"{url} {method} {str(data)[:300]}")

    for value in FIXED:  # in every field at once
        run(dict.fromkeys(names, [value]), htmx=False)
    # Long text: 100,000 characters in one field, and every field as long as the body allows.
    run({names[0]: ["A" * 100_000]}, htmx=True)
    run(dict.fromkeys(names, ["é" * (100_000 // len(names))]), htmx=False)
    settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])(
        given(data=form_data(names, valid), htmx=st.booleans())(run)
    )()


def prefixed(prefix: str, *names: str) -> list[str]:
    return [f"{prefix}-{name}" for name in names]


DATES = ["2027-03-01", "2026-11-20"]
TRIP_FIELDS = list(TripForm.Meta.fields)  # every field the form reads
TRIP_VALID = {
    "destination": ["JP", "US", "FR"],
    "destination_time_zone": ["Asia/Tokyo", "America/New_York"],
    "departs_on": ["2030-05-01"],
    "returns_on": ["2030-05-20"],
    "means": ["plane", "train"],
    "spare_doses": ["1"],
    "traveller_name": ["Camille"],
    "zone_only": ["1"],
}
INJECTION_FIELDS = [
    "taken_date",
    "taken_time",
    "dst_fold",
    "dose_number",
    "site",
    "lot_number",
    "reaction",
    "note",
]
INJECTION_VALID = {
    "taken_date": DATES,
    "taken_time": ["09:00"],
    "dose_number": ["1", "2", "3"],
    "site": ["abdomen_left", "thigh_right"],
    "reaction": ["none"],
}
PASSWORDS = ["Une-longue-phrase-de-passe"]

# (test id, URL name, world attribute of its argument, persona, field names, valid values)
POSTS = [
    (
        "signup",
        "signup",
        None,
        "anonymous",
        ["email", "display_name", "password1", "password2", "time_zone", "consent", "next"],
        {"password1": PASSWORDS, "password2": PASSWORDS, "time_zone": ["Europe/Paris"]},
    ),
    (
        "clinician signup",
        "signup_clinician",
        None,
        "anonymous",
        [
            "email",
            "display_name",
            "password1",
            "password2",
            "time_zone",
            "specialty",
            "institution",
            "registration_number",
            "confirm",
            "next",
        ],
        {"password1": PASSWORDS, "password2": PASSWORDS, "registration_number": ["10009876543"]},
    ),
    ("sign-up link", "signup_confirm", "signup_token", "anonymous", ["password"], {}),
    ("login", "login", None, "anonymous", ["username", "password", "next"], {}),
    ("password reset", "password_reset", None, "anonymous", ["email"], {}),
    (
        "set language",
        "set_language",
        None,
        "patient",
        ["language", "next"],
        {"language": ["en", "fr"], "next": ["/", "/en/dashboard/"]},
    ),
    (
        "profile",
        "profile",
        None,
        "patient",
        ["display_name", "time_zone", "language"],
        {"time_zone": ["Asia/Tokyo"], "language": ["en"]},
    ),
    ("delete account", "delete_account", None, "patient", ["password"], {}),
    (
        "password change",
        "password_change",
        None,
        "patient",
        ["old_password", "new_password1", "new_password2"],
        {"new_password1": PASSWORDS, "new_password2": PASSWORDS},
    ),
    (
        "start treatment",
        "patients:start_treatment",
        None,
        "other_patient",
        ["regimen", "condition", "presentation", "specialist_plan", "first_dose_on"]
        + ["prescriber_name", "preselect"],
        {"first_dose_on": DATES, "preselect": ["guselkumab", "risankizumab"]},
    ),
    (
        "log injection",
        "patients:log_injection",
        "treatment",
        "patient",
        INJECTION_FIELDS,
        INJECTION_VALID,
    ),
    (
        "edit injection",
        "patients:edit_injection",
        "injection",
        "patient",
        INJECTION_FIELDS,
        INJECTION_VALID,
    ),
    (
        "treatment device",
        "patients:treatment_device",
        "treatment",
        "patient",
        ["presentation"],
        {"presentation": ["pen-100mg", "prefilled-syringe-100mg"]},
    ),
    (
        "stock",
        "patients:add_stock",
        "treatment",
        "patient",
        ["received_on", "devices"],
        {"received_on": DATES, "devices": ["2"]},
    ),
    ("stop", "patients:stop_treatment", "treatment", "patient", ["on", "confirm"], {}),
    (
        "reminder settings",
        "patients:reminder_settings",
        None,
        "patient",
        ["lead_days", "hour", "by_email", "in_app", "paused", "calendar_discreet"],
        {"lead_days": ["0", "2", "7"], "hour": ["9"]},
    ),
    ("invitation code", "patients:accept_invitation", None, "clinician", ["code"], {}),
    ("share checklist", "patients:share_checklist", "checklist", "patient", ["days"], {}),
    (
        "item done",
        "patients:item_done",
        "item",
        "patient",
        ["done_on", "done_note"],  # prefixed below with the item's form prefix
        {"done_on": DATES},
    ),
    (
        "new checklist",
        "patients:clinic_new_checklist",
        "patient",
        "clinician",
        ["drug"],
        {},
    ),
    (
        "add item",
        "patients:clinic_add_item",
        "checklist",
        "clinician",
        ["label", "completed_by", "records_result", "due_on"],
        {"completed_by": ["patient", "clinician"], "label": ["Dental check"]},
    ),
    (
        "verify",
        "patients:clinic_verify",
        "item",
        "clinician",
        ["done_on", "result"],
        {"done_on": DATES, "result": ["normal", "abnormal"]},
    ),
    ("due", "patients:clinic_due", "item", "clinician", ["due_on"], {"due_on": DATES}),
    (
        "move dose",
        "patients:clinic_move_dose",
        "treatment",
        "clinician",
        ["dose_number", "date"],
        {"dose_number": ["2", "3"], "date": DATES},
    ),
    ("new trip", "patients:new_trip", None, "patient", [*TRIP_FIELDS, "zone_only"], TRIP_VALID),
    ("edit trip", "patients:edit_trip", "trip", "patient", [*TRIP_FIELDS, "zone_only"], TRIP_VALID),
]
# The forms whose fields carry a per-object prefix (several on one page).
PREFIXES = {
    "patients:item_done": "item",
    "patients:clinic_verify": "verify",
    "patients:clinic_due": "due",
    "patients:clinic_move_dose": "move",
}


def test_no_posted_value_crashes_a_form(world):
    """Each form in turn (one world for all: building it is the slow part)."""
    for _, url, arg, persona, names, valid in POSTS:
        if url in PREFIXES:
            prefix = f"{PREFIXES[url]}-{getattr(world, arg).pk}"
            names = names + prefixed(prefix, *names)
            valid = valid | {f"{prefix}-{k}": v for k, v in valid.items()}
        fuzz(world, url, arg, persona, names, valid=valid)


GETS = [
    ("content search", "content:search", None, "anonymous", ["q"]),
    ("clinic search", "patients:clinic", None, "clinician", ["q", "show", "page"]),
    ("log injection ?dose=", "patients:log_injection", "treatment", "patient", ["dose"]),
    ("invitation code by link", "patients:accept_invitation", None, "clinician", ["code"]),
    ("history pages", "patients:history", "treatment", "patient", ["page"]),
    ("notification pages", "patients:notifications", None, "patient", ["page"]),
    ("access log pages", "patients:access_log", None, "patient", ["page"]),
    ("signup ?next=", "signup", None, "anonymous", ["next"]),
    ("login ?next=", "login", None, "anonymous", ["next"]),
]


def test_no_query_string_crashes_a_page(world):
    for _, url, arg, persona, names in GETS:
        fuzz(world, url, arg, persona, names, method="GET")


# Tokens and other free text in the path: the URL patterns take any segment.
PATHS = [
    ("calendar token", "/calendar/{}.ics", "anonymous"),
    ("share token", "/shared/checklists/{}/", "anonymous"),
    ("letter token", "/verify/{}/", "anonymous"),
    ("reminder link", "/reminders/open/{}/", "patient"),
    ("letter kind", "/trips/{trip}/letters/{}/", "patient"),
    ("clinic letter kind", "/clinic/trips/{trip}/letters/{}/pdf/", "clinician"),
    ("therapy", "/therapies/{}/", "anonymous"),
    ("article", "/en/articles/{}/", "anonymous"),
    ("password reset link", "/accounts/reset/{}/set-password/", "anonymous"),
    ("sign-up link", "/accounts/signup/confirm/{}/", "anonymous"),
]


def fuzz_path(world, template: str, persona: str) -> None:
    client = Client()
    if user := world.personas[persona]:
        sign_in(client, user)

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(token=st.one_of(st.sampled_from(NASTY), st.text(min_size=1, max_size=80)))
    @example(token="\x00")
    @example(token="a\x00b")
    @example(token="A" * 10_000)
    def run(token):
        cache.clear()
        path = template.format(quote(token, safe=""), trip=world.trip.pk)
        check(client.get(path), path[:200])

    run()


def test_no_token_in_a_path_crashes_a_page(world):
    for _, template, persona in PATHS:
        fuzz_path(world, template, persona)


def test_an_id_too_large_for_the_database_is_a_404(world):
    """A path id is an int converter: one beyond the database's integer is not found, not an
    overflow error."""
    client = Client()
    sign_in(client, world.personas["patient"])
    for too_big in (NO_SUCH_ID, 2**31, 2**63, 10**30):
        assert client.get(f"/treatments/{too_big}/history/").status_code == 404
        assert client.get(f"/trips/{too_big}/letters/certificate/").status_code == 404
