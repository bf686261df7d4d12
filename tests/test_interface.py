"""The site-wide interface: error summary and "Error:" title, form groups, navigation marks,
meta descriptions and the home page (config/interface.py, templates/base.html)."""

import re
from html import unescape

import pytest
from django import forms
from django.template import Context, Template

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def title_of(response) -> str:
    title = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)[1]
    return unescape(title).replace("\xa0", " ").strip()  # French puts a no-break space before ":"


def summary_of(response) -> str:
    page = response.content.decode()
    match = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert match, "no error summary on the page"
    return match[0]


def test_a_sign_up_with_bad_input_is_titled_error_and_summarised_with_links_to_the_fields(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "not-an-address", "display_name": "", "password1": "x", "password2": "y"},
    )
    assert response.status_code == 200
    assert title_of(response).startswith("Erreur : Créer mon compte")
    summary = summary_of(response)
    assert 'role="alert"' in summary
    assert 'tabindex="-1"' in summary
    assert "autofocus" in summary
    # Each message links to its field's id, which the page carries on the input.
    targets = re.findall(r'<a href="#([^"]+)">', summary)
    assert {"id_email", "id_consent"} <= set(targets)
    page = response.content.decode()
    for target in targets:
        assert f'id="{target}"' in page


def test_a_field_message_is_tied_to_its_input_and_the_typed_value_is_kept(client):
    response = client.post("/en/accounts/signup/", {"email": "not-an-address"})
    page = response.content.decode()
    email_input = re.search(r"<input[^>]*name=\"email\"[^>]*>", page)[0]
    assert 'aria-invalid="true"' in email_input
    assert "id_email_error" in re.search(r'aria-describedby="([^"]+)"', email_input)[1]
    assert 'value="not-an-address"' in email_input
    message = re.search(r'<ul class="errorlist" id="id_email_error">(.*?)</ul>', page, re.S)[1]
    assert '<span class="visually-hidden">Error: </span>' in message
    # The message comes before the input in the form group, so it is read first.
    assert page.index('id="id_email_error"') < page.index(email_input)


def test_a_failed_log_in_is_titled_error_in_english_and_summarised(client):
    UserFactory(email="someone@example.com")
    response = client.post(
        "/en/accounts/login/", {"username": "someone@example.com", "password": "wrong"}
    )
    assert response.status_code == 200
    assert title_of(response) == "Error: Log in · Interleukin Care"
    summary = summary_of(response)
    assert "There is a problem" in summary
    assert "correct email" in summary.lower() or "e-mail" in summary.lower()


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/accounts/login/", {"username": "nobody@example.com", "password": "wrong"}),
        ("/accounts/signup/", {"email": "not-an-address"}),
        ("/en/accounts/signup/clinician/", {"email": "not-an-address"}),
    ],
)
def test_a_failed_form_has_one_autofocus_the_summary(client, url, data):
    """HTML allows one autofocus a page: when a form fails, the summary takes the focus and the
    field that had it on a fresh page (the e-mail) gives it up."""
    page = client.post(url, data).content.decode()
    assert page.count("autofocus") == 1
    assert re.search(r'<div class="error-summary"[^>]*autofocus', page)


def test_the_time_zone_select_has_no_maxlength(client):
    """A model CharField hands its widget a maxlength, which a <select> may not carry."""
    for url in ("/accounts/signup/", "/accounts/signup/clinician/"):
        select = re.search(r'<select name="time_zone"[^>]*>', client.get(url).content.decode())[0]
        assert "maxlength" not in select


def test_a_page_without_errors_has_a_plain_title_and_no_summary(client):
    response = client.get("/accounts/login/")
    assert title_of(response) == "Se connecter · Interleukin Care"
    assert "error-summary" not in response.content.decode()


class PillForm(forms.Form):
    dose = forms.IntegerField(min_value=1)
    site = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)


def test_the_summary_links_a_radio_group_to_its_first_button_and_shows_a_form_once():
    form = PillForm(data={"dose": "0"})
    assert not form.is_valid()
    html = Template("{% load interface %}{% error_summary form %}{% error_summary form %}").render(
        Context({"form": form})
    )
    assert html.count("error-summary__list") == 1
    assert 'href="#id_dose"' in html
    assert 'href="#id_site_0"' in html
    rendered = form.as_div()
    assert 'id="id_site_0"' in rendered


def test_a_form_never_validated_is_not_validated_by_the_summary():
    class Exploding(forms.Form):
        name = forms.CharField()

        def clean(self):
            raise AssertionError("the summary must not run the form's validation")

    bound = Exploding(data={"name": ""})
    html = Template("{% load interface %}{% invalid_forms as found %}{{ found|length }}").render(
        Context({"form": bound})
    )
    assert html == "0"


def test_the_navigation_marks_the_current_page_and_its_section(client, catalogue):
    page = client.get("/therapies/").content.decode()
    assert re.search(r'<a href="/therapies/" aria-current="page">', page)
    page = client.get("/therapies/guselkumab/").content.decode()
    assert re.search(r'<a href="/therapies/" aria-current="true">', page)
    assert 'href="/articles/" aria-current' not in page


def test_the_menu_is_a_details_element_that_holds_the_main_navigation(client):
    page = client.get("/").content.decode()
    menu = re.search(r'<details class="site-menu">(.*?)</details>', page, re.S)[1]
    assert "<summary" in menu
    assert '<nav class="site-nav" aria-label="Principale">' in menu or "<nav" in menu
    assert "/accounts/login/" in menu


def test_every_page_has_a_meta_description_and_the_home_page_its_own(client):
    home = client.get("/en/").content.decode()
    login = client.get("/en/accounts/login/").content.decode()
    description = re.compile(r'<meta name="description" content="([^"]{50,})">')
    assert description.search(home)
    assert description.search(login)
    assert description.search(home)[1] != description.search(login)[1]


def test_the_home_page_speaks_to_patients_specialists_and_travellers_before_sign_in(client):
    page = client.get("/en/").content.decode()
    for heading in ("For you, the patient", "For your specialist", "When you travel"):
        assert heading in page
    assert "/en/articles/travelling-with-treatment/" in page
    assert "/en/articles/" in page and "/en/glossary/" in page
    assert "European Medicines Agency" in page
    assert "/en/privacy/" in page


def test_the_footer_says_where_facts_come_from_and_offers_the_other_language(client):
    page = client.get("/").content.decode()
    footer = re.search(r'<footer class="site-footer">(.*?)</footer>', page, re.S)[1]
    assert "/privacy/" in footer
    assert "Sources" in footer or "sources" in footer
    assert 'value="en"' in footer


def test_the_error_summary_script_is_served_with_the_page_nonce(client):
    response = client.get("/")
    page = response.content.decode()
    tag = re.search(r'<script src="/static/js/forms.js"[^>]*>', page)[0]
    nonce = re.search(r'nonce="([^"]+)"', tag)[1]
    assert f"'nonce-{nonce}'" in response.headers["Content-Security-Policy"]


def description_of(response) -> str:
    page = response.content.decode()
    return unescape(re.search(r'<meta name="description" content="([^"]*)">', page)[1])


def test_public_pages_describe_themselves(client, catalogue):
    descriptions = {
        path: description_of(client.get(path))
        for path in ("/en/", "/en/articles/", "/en/glossary/", "/en/therapies/", "/en/privacy/")
    }
    assert len(set(descriptions.values())) == len(descriptions), descriptions
    assert "plain language" in descriptions["/en/glossary/"]
    guselkumab = description_of(client.get("/en/therapies/guselkumab/"))
    assert guselkumab and guselkumab != descriptions["/en/therapies/"]


def test_an_article_is_described_by_its_summary(client, catalogue):
    from content.loading import load_content

    load_content()
    page = client.get("/en/articles/what-are-interleukins/")
    assert page.status_code == 200
    description = description_of(page)
    assert len(description) > 50
    assert description in unescape(page.content.decode().split("</head>")[1])
