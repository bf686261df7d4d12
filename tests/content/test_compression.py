"""Pages travel compressed to a browser that accepts it (Lighthouse on a phone's slow
connection, issue 18): the dashboard's HTML shrinks to a fifth. An article's ETag still answers
a revalidation with 304 once it is compressed (the browser sends back the weak tag it got)."""

import gzip

import pytest

pytestmark = pytest.mark.django_db

ARTICLE = "/en/articles/living-with-treatment/"


def test_a_page_is_sent_gzipped_to_a_browser_that_accepts_it(client, small_content):
    response = client.get(ARTICLE, headers={"accept-encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    html = gzip.decompress(response.content).decode()
    assert "Daily life" in html and len(response.content) < len(html.encode()) / 2


def test_a_browser_that_does_not_accept_gzip_gets_plain_html(client, small_content):
    response = client.get(ARTICLE)
    assert "Content-Encoding" not in response
    assert "Daily life" in response.content.decode()


def test_a_compressed_article_revalidates_with_its_weak_etag(client, small_content):
    client.get(ARTICLE)  # sets the CSRF cookie, part of the ETag
    first = client.get(ARTICLE, headers={"accept-encoding": "gzip"})
    etag = first["ETag"]
    assert etag.startswith('W/"'), "compressed, the body differs: the tag is weak"
    again = client.get(ARTICLE, headers={"accept-encoding": "gzip", "if-none-match": etag})
    assert again.status_code == 304
