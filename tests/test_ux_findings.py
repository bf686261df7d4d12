"""The findings of the UX review (issue 18, ../shared/reference/ux-review.md) closed after the
first pass: D7, D11, D15, D16, D17, D18, D19. Each test fails if the finding comes back."""

import re
from datetime import UTC, date, datetime
from html import unescape

import pytest
from django.test import Client
from django.utils import translation

from patients.checklists import mark_done
from patients.forms.fields import time_zone_choices
from patients.timeutils import zone_name
from patients.travel.letters import approve_letter
from patients.travel.trips import plan_trip
from patients.treatments.writes import record_delivery
from tests.factories import log_dose
from tests.support import sign_in

pytestmark = pytest.mark.django_db

BEFORE = datetime(2026, 12, 1, 12, tzinfo=UTC)  # `treatment`: guselkumab from 4 January 2027


def text_of(response) -> str:
    return unescape(response.content.decode())


def client_of(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def a_trip(patient, departs=date(2027, 3, 20), returns=date(2027, 4, 2)):
    return plan_trip(
        patient=patient,
        now=BEFORE,
        destination="JP",
        destination_time_zone="Asia/Tokyo",
        departs_on=departs,
        returns_on=returns,
        traveller_name="Camille Martin",
        means="plane",
    )


# --- D7: the trip's stock warning is a styled alert, its count in the right plural ---------------


@pytest.mark.now(BEFORE)
@pytest.mark.parametrize(
    ("devices", "english", "french"),
    [
        (1, "Not enough: 1 device left", "il reste 1 dispositif,"),
        (2, "Not enough: 2 devices left", "il reste 2 dispositifs,"),
    ],
)
def test_the_trip_stock_warning_is_a_warning_alert_with_its_plural(
    patient, treatment, devices, english, french
):
    record_delivery(treatment=treatment, received_on=date(2026, 11, 20), devices=devices)
    trip = a_trip(patient)  # doses 1 to 3 and a spare before the return: 4 needed
    client = client_of(patient)
    page = text_of(client.get(f"/en/trips/{trip.pk}/"))
    warning = re.search(r'<p class="alert alert--warning">(.*?)</p>', page, re.S)
    assert warning and english in warning[1] and "4 needed" in warning[1]
    assert 'class="alert alert--warning" role="status"' in page  # renew before leaving, on top
    french_page = text_of(client.get(f"/trips/{trip.pk}/")).replace("\xa0", " ")
    assert french in french_page
    assert "1 dispositifs" not in french_page


# --- D18: feedback without JavaScript -----------------------------------------------------------


@pytest.mark.now(datetime(2027, 3, 10, 12, tzinfo=UTC))
def test_marking_an_item_not_done_without_javascript_says_so_by_name(checklist, patient):
    item = checklist.items.get(key="blood_tests")
    mark_done(item=item, done_on=date(2027, 3, 8), note="", actor=patient, now=BEFORE)
    client = client_of(patient)
    response = client.post(f"/en/checklists/items/{item.pk}/undo/", follow=True)
    assert "“Blood tests” marked not done." in text_of(response)
    french = client.post(f"/checklists/items/{item.pk}/undo/", follow=True)
    assert french.status_code == 200


@pytest.mark.now(datetime(2027, 2, 2, 12, tzinfo=UTC))
def test_no_device_left_is_an_error_alert_not_a_low_stock_warning(patient, treatment):
    record_delivery(treatment=treatment, received_on=date(2026, 12, 20), devices=2)
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    page = text_of(client_of(patient).get("/en/dashboard/"))
    alert = re.search(r'<p class="alert alert--error">(.*?)</p>', page, re.S)
    assert alert and "No device left:" in alert[1]
    assert "Low stock:" not in page


# --- D11: an article's link to the checklists answers each role ----------------------------------


def the_checklists_link(client, language="en") -> str:
    prefix = "" if language == "fr" else f"/{language}"
    page = text_of(client.get(f"{prefix}/articles/before-the-first-prescription/"))
    links = re.findall(r'<a href="([^"]*/checklists/)">', page)
    assert links, "the article no longer links the checklists"
    return links[0]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_articles_checklists_link_leads_each_role_to_its_own_page(
    real_content, patient, clinician, language
):
    # The patient: her checklists.
    patient_client = client_of(patient)
    response = patient_client.get(the_checklists_link(patient_client, language))
    assert response.status_code == 200 and "checklists" in response.templates[0].name

    # The clinician: the clinic (their patients and their checklists), never a 404.
    clinic = client_of(clinician)
    response = clinic.get(the_checklists_link(clinic, language), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith("/clinic/")

    # Someone signed out: the log-in page, then the page of the role they sign in with.
    anonymous = Client()
    link = the_checklists_link(anonymous, language)
    response = anonymous.get(link)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    sign_in(anonymous, clinician)
    response = anonymous.get(link, follow=True)
    assert response.redirect_chain[-1][0].endswith("/clinic/")


@pytest.fixture
def real_content(catalogue):
    from content.loading import load_content

    load_content()


# --- D15: the body map says which side is which --------------------------------------------------


@pytest.mark.now(datetime(2027, 1, 4, 12, tzinfo=UTC))
@pytest.mark.parametrize(
    ("language", "left", "right", "in_words"),
    [
        ("en", "left", "right", "your right side is on its left"),
        ("fr", "gauche", "droite", "votre côté droit est donc à sa gauche"),
    ],
)
def test_the_injection_sites_figure_names_left_and_right(
    patient, treatment, language, left, right, in_words
):
    prefix = "" if language == "fr" else f"/{language}"
    page = text_of(client_of(patient).get(f"{prefix}/treatments/{treatment.pk}/injections/new/"))
    figure = re.search(r'<figure class="injection-sites">(.*?)</figure>', page, re.S)[1]
    svg = re.search(r"<svg[^>]*>", figure)[0]
    assert 'role="img"' in svg and 'aria-labelledby="sites-caption"' in svg
    caption = re.search(r'<figcaption id="sites-caption"[^>]*>(.*?)</figcaption>', figure, re.S)
    assert in_words in caption[1].replace("\xa0", " ")
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", figure)
    # Front view: the patient's right on the drawing's left; back view: as the patient.
    assert labels[:2] == [right, left] and labels[3:5] == [left, right]


# --- D16: wording and language ------------------------------------------------------------------


def test_time_zones_read_as_places_and_keep_their_iana_value():
    with translation.override("en"):
        assert zone_name("Europe/Paris") == "Paris (Europe)"
        assert zone_name("America/Argentina/Buenos_Aires") == "Buenos Aires, Argentina (America)"
        choices = dict(time_zone_choices())
    with translation.override("fr"):
        assert zone_name("Asia/Tokyo") == "Tokyo (Asie)"
        french = dict(time_zone_choices())
    assert choices["Europe/Paris"] == "Paris (Europe)"
    assert french["Indian/Reunion"] == "Reunion (Océan Indien)"
    assert not [label for label in choices.values() if "/" in label or "_" in label]


def test_the_sign_up_select_shows_readable_zone_names(client):
    page = text_of(client.get("/en/accounts/signup/"))
    assert re.search(r'<option value="Europe/Paris"( selected)?>Paris \(Europe\)</option>', page)


@pytest.mark.now(BEFORE)
def test_the_trip_form_label_is_capitalised_and_the_trip_page_names_the_zones(patient, treatment):
    client = client_of(patient)
    form = text_of(client.get("/en/trips/new/"))
    assert "Time zone at the destination" in form and "time zone at the destination" not in form
    page = text_of(client.get(f"/en/trips/{a_trip(patient).pk}/"))
    assert "time zone there: Tokyo (Asia)" in page
    assert "Asia/Tokyo" not in re.sub(r"<[^>]*>", "", page)


def test_a_failed_log_in_in_french_says_une_adresse(client, patient):
    response = client.post("/accounts/login/", {"username": patient.email, "password": "wrong"})
    text = text_of(response)
    assert "un adresse" not in text
    assert "Vérifiez votre adresse e-mail et votre mot de passe\xa0:" in text


@pytest.mark.now(BEFORE)
def test_french_puts_a_no_break_space_before_a_colon(real_content, patient, treatment):
    client = client_of(patient)
    search = client.get("/search/?q=anticorps").content.decode()
    assert re.search(r"</a>\xa0: ", search), "glossary hits: no no-break space before the colon"
    assert not re.search(r"</a>: ", search)
    trip = text_of(client.get(f"/trips/{a_trip(patient).pk}/"))
    assert re.search(r"</strong>\xa0:\s", trip) and not re.search(r"</strong>:\s", trip)


def test_french_source_titles_are_marked_french_on_english_pages(real_content, client):
    page = client.get("/en/articles/cytokines-as-medicines/").content.decode()
    assert '“<span lang="fr">Tout savoir sur les biothérapies</span>”' in page
    french = client.get("/articles/cytokines-as-medicines/").content.decode()
    assert 'lang="fr"' not in french.split("<body", 1)[1]  # the whole page is French already


@pytest.mark.now(BEFORE)
def test_english_dates_are_british(patient, treatment):
    page = text_of(client_of(patient).get("/en/dashboard/"))
    assert "4 January 2027" in page
    assert "Jan. 4, 2027" not in page


# --- D17: who makes it and how to reach them ----------------------------------------------------


def test_the_home_page_and_the_privacy_notice_give_the_contact_and_where_data_lives(
    client, settings
):
    settings.CONTACT_EMAIL = "team@care.example.org"
    settings.HOSTING_STATEMENT = "OVHcloud, Gravelines (France)"
    for path in ("/", "/en/", "/privacy/", "/en/privacy/"):
        page = text_of(client.get(path))
        assert '<a href="mailto:team@care.example.org">team@care.example.org</a>' in page, path
    assert "Servers: OVHcloud, Gravelines (France)." in text_of(client.get("/en/privacy/"))
    assert "database and its backups" in text_of(client.get("/en/"))
    settings.HOSTING_STATEMENT = ""
    assert "Servers:" not in text_of(client.get("/en/privacy/"))


# --- D19: one <h1> on a letter preview ----------------------------------------------------------


@pytest.mark.now(BEFORE)
def test_a_letter_preview_has_one_h1_and_the_pdf_keeps_its_own(patient, treatment, clinician):
    trip = a_trip(patient)
    for kind in ("certificate", "prescription"):
        page = client_of(patient).get(f"/en/trips/{trip.pk}/letters/{kind}/").content.decode()
        assert page.count("<h1") == 1, kind
        assert '<h2 class="letter-title">' in page
    approve_letter(trip=trip, kind="certificate", clinician=clinician, now=BEFORE)
    page = client_of(clinician).get(f"/en/clinic/trips/{trip.pk}/letters/certificate/")
    assert page.content.decode().count("<h1") == 1
