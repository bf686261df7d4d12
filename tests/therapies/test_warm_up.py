"""The label's time at room temperature before injecting: a sourced fact per device."""

import shutil

import pytest

from therapies.loading import CATALOGUE_DIR, CatalogueError, parse_drug
from therapies.models import Drug
from therapies.report import catalogue_groups

SYRINGE = 'key = "prefilled-syringe-100mg"'
WARM_UP = "warm_up = { minutes = 30, "


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
            "Ilumetri",
            "pre-filled syringe 100 mg: 30 minutes",
            "Ilumetri, EU package leaflet, section 5",
            True,
        ),
        (
            "Tremfya",
            "pre-filled syringe 100 mg: 30 minutes",
            "Tremfya, EU package leaflet, section 5",
            True,
        ),
    ]


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
