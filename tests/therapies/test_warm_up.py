"""The label's time at room temperature before injecting: a sourced fact per device.

Read in the EU package leaflets (EMA ePI text in the Gravitate Health ePI test set): Tremfya and
Ilumetri 100 mg syringes, section 5 (30 minutes); Taltz 80 mg syringe, instructions for use step 1a
(30 minutes); Bimzelx 160 mg syringe, instructions for use (30 to 45 minutes). No other device's
EU text was found, so no other device has a time, nor a "get ready" reminder.
"""

import shutil
from datetime import date

import pytest
from django.urls import reverse

from patients.treatments.writes import start_treatment
from therapies.loading import CATALOGUE_DIR, CatalogueError, parse_drug
from therapies.models import Drug, Regimen
from therapies.report import catalogue_groups

SYRINGE = 'key = "prefilled-syringe-100mg"'
WARM_UP = "warm_up = { minutes = 30, "

# (file, presentation) -> (minutes, up_to, source in English, source in French)
WARM_UPS = {
    ("guselkumab", "prefilled-syringe-100mg"): (
        30,
        30,
        "Tremfya, EU package leaflet, section 5",
        "Tremfya, notice européenne, rubrique 5",
    ),
    ("tildrakizumab", "prefilled-syringe-100mg"): (
        30,
        30,
        "Ilumetri, EU package leaflet, section 5",
        "Ilumetri, notice européenne, rubrique 5",
    ),
    ("ixekizumab", "prefilled-syringe-80mg"): (
        30,
        30,
        "Taltz, EU package leaflet, instructions for use",
        "Taltz, notice européenne, instructions d'utilisation",
    ),
    ("bimekizumab", "prefilled-syringe-160mg"): (
        30,
        45,
        "Bimzelx, EU package leaflet, instructions for use",
        "Bimzelx, notice européenne, instructions d'utilisation",
    ),
}


def test_the_tremfya_syringe_carries_thirty_minutes_from_its_eu_leaflet_and_the_pen_none():
    parsed = parse_drug(CATALOGUE_DIR / "guselkumab.toml")
    rows = {row["key"]: row for row in parsed["drug"]["presentation_rows"]}
    syringe, pen = rows["prefilled-syringe-100mg"], rows["pen-100mg"]
    assert (syringe["warm_up_minutes"], syringe["warm_up_up_to"]) == (30, 30)
    assert syringe["warm_up_source_en"] == "Tremfya, EU package leaflet, section 5"
    assert syringe["warm_up_source_fr"] == "Tremfya, notice européenne, rubrique 5"
    assert "warm_up_minutes" not in pen  # nothing read for the pen: no number, no reminder
    (fact,) = [f for f in parsed["facts"] if f["topic"].startswith("time at room temperature")]
    assert fact["value"] == "pre-filled syringe 100 mg: 30 minutes"
    assert fact["source"]["verified"] and fact["source"]["kind"] == "eu_leaflet"


def test_the_report_lists_the_fact_with_its_source(db):
    rows = [
        row
        for group in catalogue_groups()
        for row in group.rows
        if row.topic == "time at room temperature before injecting"
    ]
    assert sorted((r.product, r.value, r.source, r.verified) for r in rows) == [
        (
            "Bimzelx",
            "pre-filled syringe 160 mg: 30 to 45 minutes",
            "Bimzelx, EU package leaflet, instructions for use",
            True,
        ),
        (
            "Ilumetri",
            "pre-filled syringe 100 mg: 30 minutes",
            "Ilumetri, EU package leaflet, section 5",
            True,
        ),
        (
            "Taltz",
            "pre-filled syringe 80 mg: 30 minutes",
            "Taltz, EU package leaflet, instructions for use",
            True,
        ),
        (
            "Tremfya",
            "pre-filled syringe 100 mg: 30 minutes",
            "Tremfya, EU package leaflet, section 5",
            True,
        ),
    ]


def test_each_device_has_the_time_its_leaflet_gives_and_the_others_none():
    seen = {}
    for path in sorted(CATALOGUE_DIR.glob("*.toml")):
        for row in parse_drug(path)["drug"]["presentation_rows"]:
            if "warm_up_minutes" in row:
                seen[path.stem, row["key"]] = (
                    row["warm_up_minutes"],
                    row["warm_up_up_to"],
                    row["warm_up_source_en"],
                    row["warm_up_source_fr"],
                )
    assert seen == WARM_UPS  # a device whose EU text was not read has no time and no reminder


@pytest.mark.parametrize(("inn", "key"), sorted(WARM_UPS))
def test_the_settings_page_shows_the_devices_time_and_source(
    catalogue, patient, patient_client, inn, key
):
    minutes, up_to, _source_en, source_fr = WARM_UPS[inn, key]
    drug = Drug.objects.get(inn=inn)
    start_treatment(
        patient=patient,
        drug=drug,
        regimen=Regimen.objects.get(drug=drug, is_default=True),
        first_dose_on=date(2027, 1, 4),
        presentation_key=key,
    )
    page = patient_client.get(reverse("patients:reminder_settings")).content.decode()
    span = f"{minutes} minutes" if up_to == minutes else f"{minutes} à {up_to} minutes"
    assert (
        f"{drug.brands} : la notice indique {span} à température ambiante avant l’injection ; "
        f"le rappel arrive {minutes} minutes avant votre heure habituelle." in page
    )
    assert source_fr.replace("'", "&#x27;") in page


@pytest.mark.parametrize(
    ("inn", "key"),
    [
        ("bimekizumab", "pen-160mg"),
        ("bimekizumab", "prefilled-syringe-320mg"),
        ("ixekizumab", "pen-80mg"),
        ("adalimumab", "pen-40mg"),
        ("brodalumab", "prefilled-syringe-210mg"),
    ],
)
def test_a_device_whose_leaflet_time_was_not_read_gets_no_get_ready_reminder(
    catalogue, patient, patient_client, inn, key
):
    drug = Drug.objects.get(inn=inn)
    regimen = next(
        r for r in Regimen.objects.filter(drug=drug) if key in {p.key for p in r.presentations()}
    )
    start_treatment(
        patient=patient,
        drug=drug,
        regimen=regimen,
        first_dose_on=date(2027, 1, 4),
        presentation_key=key,
    )
    assert patient.treatments.get().warm_up is None
    page = patient_client.get(reverse("patients:reminder_settings")).content.decode()
    assert "la notice indique" not in page
    assert "pas de rappel « préparez-vous »" in page.lower()


def test_the_loaded_drug_gives_the_device_its_minutes(catalogue):
    drug = Drug.objects.get(inn="guselkumab")
    syringe = drug.presentation("prefilled-syringe-100mg")
    assert syringe.warm_up_minutes == 30 and syringe.warm_up_source.startswith("Tremfya")
    assert drug.warm_up_presentation("prefilled-syringe-100mg") == syringe
    assert drug.warm_up_presentation("pen-100mg") is None
    assert drug.warm_up_presentation("") is None  # two devices: which one is not known


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("warm_up = { minutes = 0, ", "1 <= minutes <= up_to"),
        ("warm_up = { minutes = 30, up_to = 15, ", "1 <= minutes <= up_to"),
        ("warm_up = { minutes = 30, up_to = 500, ", "1 <= minutes <= up_to"),
        ('warm_up = { minutes = "half an hour", ', "whole numbers of minutes"),
        ("warm_up = { minutes = 30, seconds = 5, ", "unknown keys"),
    ],
)
def test_a_bad_warm_up_is_refused(tmp_path, new, message):
    path = tmp_path / "guselkumab.toml"
    shutil.copy(CATALOGUE_DIR / "guselkumab.toml", path)
    text = path.read_text()
    assert WARM_UP in text
    path.write_text(text.replace(WARM_UP, new))
    with pytest.raises(CatalogueError, match=message):
        parse_drug(path)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('section = "5", verified = true', 'section = "5", verified = false'),
        (
            'kind = "eu_leaflet", product = "Tremfya", section = "5"',
            'kind = "manufacturer", title = "x"',
        ),
    ],
)
def test_a_warm_up_stands_only_on_a_verified_eu_label(tmp_path, old, new):
    path = tmp_path / "guselkumab.toml"
    shutil.copy(CATALOGUE_DIR / "guselkumab.toml", path)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    with pytest.raises(CatalogueError, match="only from a verified EU label"):
        parse_drug(path)
