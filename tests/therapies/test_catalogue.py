import shutil
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from therapies.loading import CATALOGUE_DIR, CatalogueError, load_catalogue
from therapies.models import Drug, Regimen, StorageRule

pytestmark = pytest.mark.django_db

START = date(2027, 1, 4)

# Week offsets of the first doses, read from the EU SmPC regimens in shared/reference/therapies.md.
LABEL_WEEKS = {
    "guselkumab": [0, 4, 12, 20, 28],
    "risankizumab": [0, 4, 16, 28, 40],
    "tildrakizumab": [0, 4, 16, 28, 40],
    "ustekinumab": [0, 4, 16, 28, 40],
    "ixekizumab": [0, 2, 4, 6, 8, 10, 12, 16, 20],
    "brodalumab": [0, 1, 2, 4, 6, 8],
    "bimekizumab": [0, 4, 8, 12, 16, 24, 32],
    "adalimumab": [0, 1, 3, 5, 7],
    "tocilizumab": [0, 1, 2, 3, 4],
}


def dose_plan(*args: str) -> list[str]:
    out = StringIO()
    call_command("dose_plan", *args, stdout=out)
    return out.getvalue().split()


@pytest.fixture
def loaded(catalogue):
    """The catalogue as loaded for every test (once per test database)."""


def test_all_ten_drugs_of_the_reference_are_in_the_catalogue(loaded):
    assert set(Drug.objects.values_list("inn", flat=True)) == {*LABEL_WEEKS, "secukinumab"}
    assert Regimen.objects.filter(is_default=True).count() == 10


@pytest.mark.parametrize(("inn", "weeks"), LABEL_WEEKS.items())
def test_dose_plan_prints_the_label_dates(loaded, inn, weeks):
    printed = dose_plan("--drug", inn, "--start", START.isoformat(), "--count", str(len(weeks)))
    assert printed == [(START + timedelta(weeks=w)).isoformat() for w in weeks]


def test_dose_plan_prints_monthly_secukinumab_in_calendar_months(loaded):
    printed = dose_plan("--drug", "secukinumab", "--start", "2027-01-04", "--count", "8")
    assert printed == [
        "2027-01-04",
        "2027-01-11",
        "2027-01-18",
        "2027-01-25",
        "2027-02-01",  # weeks 0-4
        "2027-03-01",
        "2027-04-01",
        "2027-05-01",  # then monthly
    ]


def test_dose_plan_takes_a_named_regimen(loaded):
    printed = dose_plan(
        "--drug",
        "bimekizumab",
        "--start",
        "2027-01-04",
        "--count",
        "7",
        "--regimen",
        "from-120kg-2x160mg",
    )
    assert printed[5:] == [
        (START + timedelta(weeks=20)).isoformat(),
        (START + timedelta(weeks=24)).isoformat(),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--drug", "aspirin", "--start", "2027-01-04"], "Unknown drug"),
        (["--drug", "guselkumab", "--start", "04/01/2027"], "YYYY-MM-DD"),
        (["--drug", "guselkumab", "--start", "2027-01-04", "--regimen", "nope"], "Unknown regimen"),
        (["--drug", "guselkumab", "--start", "2027-01-04", "--count", "0"], "at least 1"),
    ],
)
def test_dose_plan_explains_bad_arguments(loaded, args, message):
    with pytest.raises(CommandError, match=message):
        dose_plan(*args)


def test_loading_twice_changes_nothing(loaded):
    before = {(r.pk, r.label_fr, r.maintenance_every) for r in Regimen.objects.all()}
    report = load_catalogue()
    assert report.created == [] and report.updated == []
    assert len(report.unchanged) == 10
    assert {(r.pk, r.label_fr, r.maintenance_every) for r in Regimen.objects.all()} == before


def copy_catalogue(tmp_path):
    target = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE_DIR, target)
    return target


def test_an_edited_file_updates_its_rows(loaded, tmp_path):
    directory = copy_catalogue(tmp_path)
    path = directory / "guselkumab.toml"
    path.write_text(path.read_text().replace('target = "IL-23 (p19)"', 'target = "IL-23"'))
    report = load_catalogue(directory)
    assert report.updated == ["guselkumab"]
    assert Drug.objects.get(inn="guselkumab").target_en == "IL-23"


def test_unverified_storage_carries_no_figure(loaded):
    for rule in StorageRule.objects.filter(verified=False):
        assert (rule.max_temp_c, rule.max_hours, rule.period) == (None, None, "")
    taltz = StorageRule.objects.get(drug__inn="ixekizumab")
    # The EU SmPC gives 5 days at 30 °C; splitting them is Lilly's information, not the label's.
    assert (taltz.verified, taltz.max_temp_c, taltz.max_days, taltz.period) == (True, 30, 5, "")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("verified = false", "verified = false\nmax_temp_c = 25", "carries no figure"),
        ('kind = "eu_smpc", product = "Tremfya", section = "4.2"', 'kind = "eu_smpc"', "section"),
        ("reviewed_on = 2026-12-02", 'reviewed_on = "recently"', "reviewed_on"),
        ('indication = "plaque_psoriasis_adult"', 'indication = "acne"', "indication must be"),
        ("every = 8", "every = 0", "at least 1"),
        ('drug_class = "anti_il23"', 'drug_class = "magic"', "unknown drug_class"),
        ('inn = "guselkumab"', 'inn = "guselkumab"\ncolour = "blue"', "unknown keys"),
    ],
)
def test_a_bad_file_is_refused_before_anything_is_written(loaded, tmp_path, old, new, message):
    directory = copy_catalogue(tmp_path)
    path = directory / "guselkumab.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    (directory / "adalimumab.toml").write_text(
        (directory / "adalimumab.toml").read_text().replace('target = "TNF-α"', 'target = "X"')
    )
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(directory)
    assert Drug.objects.get(inn="adalimumab").target_en == "TNF-α"


def test_load_catalogue_command_reports_what_it_did(no_catalogue):
    out = StringIO()
    call_command("load_catalogue", stdout=out)
    assert "10 created" in out.getvalue()
    call_command("load_catalogue", stdout=out)
    assert "10 unchanged" in out.getvalue()
