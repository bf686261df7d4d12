"""The cached article pages: what a reader depends on is that caching never shows old text, the
other language, or someone else's header; and that an unchanged page is not sent again."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client

from patients.models import Channel, Kind, Reminder, State
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/en/articles/living-with-treatment/"
FR_URL = "/articles/living-with-treatment/"


def get(client: Client, url: str = URL, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response


def text(client: Client, url: str = URL) -> str:
    return get(client, url).content.decode()


def test_a_cached_article_is_read_with_one_query(client, small_content, django_assert_num_queries):
    text(client)  # renders and caches the body
    with django_assert_num_queries(1):  # the article's row: its title and version
        html = text(client)
    assert "Daily life" in html and "Voyage, travel and" in html


def test_a_reloaded_article_shows_the_new_text(client, small_content):
    assert "Voyage, travel and" in text(client)
    assert "Voyage, travel and" in text(client)  # from the cache
    small_content.write_both(
        "living-with-treatment", "## Daily life\n\nNew advice ({lang}).", order=8
    )
    small_content.load()
    html = text(client)
    assert "New advice (en)." in html
    assert "Voyage, travel and" not in html


def test_a_changed_glossary_definition_shows_on_a_cached_article(
    client, small_content, django_capture_on_commit_callbacks
):
    """The article's own file did not change; the definition it shows did (the content
    generation is renewed once the load commits)."""
    assert "A cytokine between white cells." in text(client)
    glossary = small_content.glossary.read_text(encoding="utf-8")
    small_content.glossary.write_text(
        glossary.replace("A cytokine between white cells.", "A messenger between white cells."),
        encoding="utf-8",
    )
    with django_capture_on_commit_callbacks(execute=True):
        small_content.load()
    html = text(client)
    assert "A messenger between white cells." in html
    assert "A cytokine between white cells." not in html


def test_english_and_french_do_not_mix(client, small_content):
    english = text(client, URL)
    french = text(client, FR_URL)
    assert "living-with-treatment (en)" in english and "(fr)" not in english
    assert "living-with-treatment (fr)" in french and "(en)" not in french
    # both from the cache now, each still in its own language
    assert "(fr)" not in text(client, URL)
    assert "(en)" not in text(client, FR_URL)


def test_an_unchanged_article_answers_304_to_a_signed_out_reader(client, small_content):
    get(client)  # sets the CSRF cookie the page's forms use, part of the ETag
    first = get(client)
    etag = first["ETag"]
    assert etag
    assert "no-cache" in first["Cache-Control"] and "private" in first["Cache-Control"]
    again = client.get(URL, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    # another ETag (an older version) gets the page
    assert get(client, URL, if_none_match='"something-else"').content


def test_a_reload_changes_the_etag(client, small_content):
    get(client)
    etag = get(client)["ETag"]
    assert client.get(URL, headers={"if-none-match": etag}).status_code == 304
    small_content.write_both(
        "living-with-treatment", "## Daily life\n\nNew advice ({lang}).", order=8
    )
    small_content.load()
    response = client.get(URL, headers={"if-none-match": etag})
    assert response.status_code == 200
    assert "New advice (en)." in response.content.decode()
    assert response["ETag"] != etag


def test_the_etag_differs_between_the_languages(client, small_content):
    etag = get(client, URL)["ETag"]
    assert client.get(FR_URL, headers={"if-none-match": etag}).status_code == 200


def test_a_page_holding_another_csrf_token_is_sent_again(small_content):
    """The page carries the reader's CSRF token (the language form): a browser whose cookie
    changed (a log-in rotates it) must not keep a page with the old token."""
    reader = Client()
    first = get(reader)
    token = reader.cookies["csrftoken"].value
    assert first["ETag"]
    same = get(reader)  # now sent with the cookie the first answer set
    assert reader.get(URL, headers={"if-none-match": same["ETag"]}).status_code == 304
    reader.cookies["csrftoken"] = "x" * 32
    assert token != "x" * 32
    assert reader.get(URL, headers={"if-none-match": same["ETag"]}).status_code == 200


def test_signed_in_readers_get_no_etag_and_no_304(small_content, patient):
    reader = Client()
    reader.force_login(patient)
    response = get(reader)
    assert not response.has_header("ETag")
    assert reader.get(URL, headers={"if-none-match": "*"}).status_code == 200


def in_app_reminders(patient, treatment, n: int) -> None:
    now = datetime(2027, 1, 10, 12, tzinfo=UTC)
    for i in range(n):
        Reminder.objects.create(
            patient=patient,
            treatment=treatment,
            dose_number=2,
            about_date=date(2027, 2, 1),
            kind=Kind.UPCOMING_DOSE,
            occurrence=f"dose-2:lead-{i}",
            channel=Channel.IN_APP,
            state=State.SENT,
            due_at=now - timedelta(hours=i),
            sent_at=now - timedelta(hours=i),
        )


def test_a_signed_in_header_never_reaches_another_reader(small_content, patient, treatment):
    """The cached fragment is the article only: the header (badge, log-out form) is each
    reader's own, whoever filled the cache."""
    in_app_reminders(patient, treatment, 3)
    camille = Client()
    camille.force_login(patient)
    html = text(camille)  # fills the cache
    badge = '<span class="badge">3<span class="visually-hidden"> unread</span></span>'
    assert badge in html and "Log out" in html

    other = Client()
    other.force_login(UserFactory(email="dominique@example.com", display_name="Dominique"))
    anonymous = Client()
    for reader in (other, anonymous):
        page = text(reader)
        assert "Daily life" in page  # the cached article
        assert badge not in page and 'class="badge"' not in page
        assert "Camille" not in page and "camille@example.com" not in page
    assert "Log out" in text(other)
    assert "Log out" not in text(anonymous) and "Log in" in text(anonymous)
