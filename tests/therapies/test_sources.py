import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from therapies.models import Drug, Indication, Regimen, devices_per_dose
from therapies.report import catalogue_groups, render_markdown

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "medical-sources.md"
MARKERS = re.compile(
    r"\[verify\]|therapies\.md|screening\.md|seed 0|\.txt\b|label not checked", re.I
)
PREFIX = {"fr": "", "en": "/en"}  # French is the default language, without a prefix


def test_docs_medical_sources_is_the_generated_report():
    assert DOCS.read_text() == render_markdown(catalogue_groups())


def test_catalogue_report_prints_every_fact_with_its_source_and_verified_flag():
    out = StringIO()
    call_command("catalogue_report", stdout=out)
    text = out.getvalue()
    assert "== Taltz (ixekizumab) · reviewed on 2026-12-02" in text
    assert "[NOT VERIFIED] missed dose" in text
    assert "source: Label used outside the EU: Taltz, US prescribing information" in text


def test_every_catalogue_file_carries_its_review_date():
    groups = catalogue_groups()
    assert len(groups) == 11  # ten drugs and the checklists
    assert all(group.reviewed_on.isoformat() == "2026-12-02" for group in groups)


def test_no_fact_shown_to_readers_carries_an_editorial_marker():
    for group in catalogue_groups():
        for row in group.rows:
            assert not MARKERS.search(row.value), row
            assert not MARKERS.search(row.source), row


@pytest.mark.parametrize("language", ["fr", "en"])
def test_therapy_pages_carry_no_editorial_marker(client, catalogue, language):
    for inn in Drug.objects.values_list("inn", flat=True):
        response = client.get(f"{PREFIX[language]}/therapies/{inn}/")
        assert response.status_code == 200
        page = response.content.decode()
        assert f'<html lang="{language}">' in page
        assert not MARKERS.search(page), (language, inn, MARKERS.search(page).group())


def test_only_an_eu_label_source_is_called_the_package_leaflet(catalogue):
    taltz = Drug.objects.get(inn="ixekizumab")
    assert not taltz.missed_dose_from_label
    with translation.override("en"):
        assert "What the package leaflet says" not in str(taltz.missed_dose_advice)
        assert "outside the EU" in str(taltz.missed_dose_advice)


def test_every_regimen_names_its_indication(catalogue):
    assert set(Regimen.objects.values_list("indication", flat=True)) <= set(Indication.values)
    toci = Regimen.objects.get(drug__inn="tocilizumab")
    assert toci.indication == Indication.RHEUMATOID_ARTHRITIS
    assert Regimen.objects.filter(
        drug__inn="ixekizumab", indication=Indication.PSORIATIC_ARTHRITIS
    ).exists()


def test_the_label_options_with_their_conditions_are_in_the_catalogue(catalogue):
    cosentyx = Regimen.objects.get(drug__inn="secukinumab", name="from-90kg-every-2-weeks")
    assert (cosentyx.maintenance_every, cosentyx.maintenance_unit) == (2, "weeks")
    assert "90 kg" in cosentyx.weight_note_en


def test_an_80_mg_dose_is_two_40_mg_pens(catalogue):
    humira = Drug.objects.get(inn="adalimumab")
    pen40, pen80 = humira.presentation("pen-40mg"), humira.presentation("pen-80mg")
    assert devices_per_dose(80, pen40) == 2
    assert devices_per_dose(80, pen80) == 1
    assert devices_per_dose(40, pen80) is None


def test_the_plan_follows_the_presentation(catalogue):
    regimen = Regimen.objects.get(drug__inn="adalimumab")
    keys = [p.key for p in regimen.presentations()]
    assert keys == ["pen-40mg", "prefilled-syringe-40mg"]  # an 80 mg pen cannot give 40 mg
    spec = regimen.spec(Drug.objects.get(inn="adalimumab").presentation("pen-40mg"))
    assert (spec.loading[0].devices, spec.devices) == (2, 1)
    skyrizi = Regimen.objects.get(drug__inn="risankizumab")
    spec = skyrizi.spec(skyrizi.drug.presentation("prefilled-syringe-75mg"))
    assert spec.devices == 2
    with pytest.raises(ValueError, match="cannot give every dose"):
        regimen.spec(regimen.drug.presentation("pen-80mg"))


def test_taltz_has_a_pre_filled_syringe(catalogue):
    kinds = {p.kind for p in Drug.objects.get(inn="ixekizumab").presentations}
    assert kinds == {"pen", "prefilled_syringe"}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_drug_page_says_which_conditions_it_holds_no_schedule_for(client, catalogue, language):
    page = client.get(f"{PREFIX[language]}/therapies/adalimumab/").content.decode()
    word = "polyarthrite rhumatoïde" if language == "fr" else "rheumatoid arthritis"
    assert word in page
