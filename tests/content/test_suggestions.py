"""Suggested reading on the patient's dashboard, from plain facts about the treatment."""

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from content.suggestions import suggest_articles, suggested_slugs
from patients.checklists import create_checklist, share_checklist
from tests.factories import TreatmentFactory, log_dose
from therapies.models import Drug

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 2, 10, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (
            {"drug_classes": {"anti_il23"}, "before_first_injection": False, "trip_planned": False},
            ["living-with-treatment"],
        ),
        (
            {"drug_classes": {"anti_il23"}, "before_first_injection": True, "trip_planned": False},
            ["before-the-first-prescription", "living-with-treatment"],
        ),
        (
            {"drug_classes": {"anti_il17"}, "before_first_injection": False, "trip_planned": True},
            ["class-anti-il17", "travelling-with-treatment", "living-with-treatment"],
        ),
    ],
)
def test_the_suggestions_follow_the_facts(facts, expected):
    assert suggested_slugs(**facts) == expected


def test_only_published_articles_of_the_language_are_suggested(small_content):
    articles = suggest_articles(
        language="en", drug_classes={"anti_il17"}, before_first_injection=True, trip_planned=True
    )
    assert [(a.slug, a.language) for a in articles] == [
        ("class-anti-il17", "en"),
        ("living-with-treatment", "en"),
    ]


def suggested_block(client) -> str:
    html = client.get("/en/dashboard/").content.decode()
    start = html.index('id="suggested-reading"')
    return html[start : html.index("</section>", start)]


@pytest.mark.now(NOW)
def test_before_the_first_injection_the_dashboard_suggests_getting_ready(
    patient_client, patient, small_content
):
    small_content.write_both("before-the-first-prescription", "Get ready.", order=7)
    small_content.load()
    TreatmentFactory(patient=patient, drug_inn="guselkumab", first_dose_on=date(2027, 2, 15))
    block = suggested_block(patient_client)
    assert block.index("/en/articles/before-the-first-prescription/") < block.index(
        "/en/articles/living-with-treatment/"
    )
    assert "class-anti-il17" not in block


@pytest.mark.now(NOW)
def test_on_an_anti_il17_drug_the_class_article_is_suggested(
    patient_client, patient, small_content
):
    small_content.write_both("before-the-first-prescription", "Get ready.", order=7)
    small_content.load()
    treatment = TreatmentFactory(
        patient=patient, drug_inn="secukinumab", first_dose_on=date(2027, 1, 4)
    )
    log_dose(treatment, 1, date(2027, 1, 4))
    block = suggested_block(patient_client)
    assert "/en/articles/class-anti-il17/" in block
    assert "/en/articles/living-with-treatment/" in block
    assert "before-the-first-prescription" not in block


@pytest.mark.now(NOW)
def test_an_open_checklist_counts_as_before_the_first_injection(
    patient_client, patient, clinician, care_link, small_content
):
    small_content.write_both("before-the-first-prescription", "Get ready.", order=7)
    small_content.load()
    treatment = TreatmentFactory(
        patient=patient, drug_inn="guselkumab", first_dose_on=date(2027, 1, 4)
    )
    log_dose(treatment, 1, date(2027, 1, 4))
    assert "before-the-first-prescription" not in suggested_block(patient_client)
    checklist = create_checklist(
        patient=patient, drug=Drug.objects.get(inn="guselkumab"), clinician=clinician, now=NOW
    )
    share_checklist(checklist=checklist, actor=clinician, now=timezone.now())
    assert "before-the-first-prescription" in suggested_block(patient_client)


@pytest.mark.now(NOW)
def test_without_content_the_dashboard_has_no_suggestion_block(patient_client, treatment):
    html = patient_client.get("/en/dashboard/").content.decode()
    assert "Suggested reading" not in html
