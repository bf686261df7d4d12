import pytest

pytestmark = pytest.mark.django_db


def test_the_list_groups_drugs_by_target(client, catalogue):
    page = client.get("/en/therapies/").content.decode()
    assert page.index("Anti-IL-23") < page.index("Tremfya") < page.index("Anti-IL-17")
    assert page.index("Anti-IL-17") < page.index("Taltz")


def test_a_drug_page_shows_what_it_blocks_the_regimen_storage_cautions_and_sources(
    client, catalogue
):
    page = client.get("/en/therapies/ixekizumab/").content.decode()
    assert "IL-17A" in page
    assert "160 mg" in page and "every 4 weeks" in page
    assert "up to 5 days at 30 °C or below" in page
    assert "It may go back in the refrigerator." not in page  # Lilly's information, not the label
    assert "Manufacturer&#x27;s information: Lilly" in page
    assert "plaque" in page  # the injection-site caution
    assert "https://www.ema.europa.eu/en/medicines/human/EPAR/taltz" in page


def test_an_unverified_storage_figure_is_never_shown(client, catalogue):
    page = client.get("/en/therapies/tildrakizumab/").content.decode()
    assert "see the package leaflet" in page
    assert "30 days" not in page and "Outside the refrigerator: up to" not in page


def test_the_taltz_missed_dose_rule_is_not_presented_as_the_eu_leaflets(client, catalogue):
    page = client.get("/en/therapies/ixekizumab/").content.decode()
    assert "What the package leaflet says" not in page
    assert "comes from a label used outside the EU" in page
    assert "Label used outside the EU: Taltz, US prescribing information" in page


@pytest.mark.parametrize(
    ("inn", "wording"),
    [
        ("guselkumab", "The manufacturer&#x27;s information (not the EU package leaflet)"),
        ("risankizumab", "comes from a label used outside the EU"),
        ("ustekinumab", "Our default rule, not taken from your medicine&#x27;s label"),
    ],
)
def test_the_missed_dose_rule_says_where_it_comes_from(client, catalogue, inn, wording):
    page = client.get(f"/en/therapies/{inn}/").content.decode()
    assert wording in page and "Ask your specialist" in page
    assert "What the package leaflet says" not in page


def test_pages_are_in_french_by_default(client, catalogue):
    page = client.get("/therapies/guselkumab/").content.decode()
    assert '<html lang="fr">' in page
    assert "Conservation" in page


def test_an_unknown_drug_answers_404(client, catalogue):
    assert client.get("/therapies/aspirin/").status_code == 404


def test_the_drug_page_makes_a_constant_number_of_queries(
    client, catalogue, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        client.get("/therapies/bimekizumab/")
