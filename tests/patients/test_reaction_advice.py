"""The injection form's reaction choices come with when to get help (issue 18, D15): the same
advice the journal gives after a serious reaction (patients/journal/guidance.py), the patient's
own product's label and the emergency numbers, never another product's label."""

import pytest
from django.utils import translation
from django.utils.html import escape

from patients.journal.guidance import guidance_for, serious_reaction_advice
from patients.models import JournalEntry
from tests.factories import TreatmentFactory, log_dose
from therapies.models import Caution

pytestmark = pytest.mark.django_db

EMERGENCY = "If you need urgent care now, call 15 (SAMU) or 112."


def allergy_cautions(inn: str) -> list[str]:
    return [
        c.text_en for c in Caution.objects.filter(drug__inn=inn) if "allergic" in c.text_en.lower()
    ]


def test_the_log_page_gives_the_products_allergy_caution_and_the_emergency_numbers(
    patient_client, treatment
):
    page = patient_client.get(f"/en/treatments/{treatment.pk}/injections/new/").content.decode()
    (caution,) = allergy_cautions("guselkumab")  # Tremfya SmPC 4.4, in the catalogue
    reaction_choices = page.index('name="reaction"')
    assert page.index(escape(caution)) > reaction_choices
    assert page.index(EMERGENCY) > reaction_choices
    assert "When to get help at once:" in page


def test_another_products_label_is_never_shown(patient_client, patient):
    treatment = TreatmentFactory(patient=patient, drug_inn="secukinumab")
    page = patient_client.get(f"/en/treatments/{treatment.pk}/injections/new/").content.decode()
    assert EMERGENCY in page
    for caution in allergy_cautions("guselkumab"):
        assert escape(caution) not in page


def test_the_inline_form_and_the_edit_page_carry_it_too(patient_client, treatment):
    inline = patient_client.get(
        f"/en/treatments/{treatment.pk}/injections/new/", headers={"HX-Request": "true"}
    ).content.decode()
    assert inline.lstrip().startswith("<section") and EMERGENCY in inline
    injection = log_dose(treatment, 1, treatment.first_dose_on)
    edit = patient_client.get(f"/en/injections/{injection.pk}/edit/").content.decode()
    assert EMERGENCY in edit


def test_the_form_and_the_journal_give_the_same_advice(treatment):
    entry = JournalEntry(
        patient=treatment.patient,
        treatment=treatment,
        serious=True,
        occurred_on=treatment.first_dose_on,
    )
    with translation.override("en"):
        advice = serious_reaction_advice(treatment.drug)
        assert guidance_for(entry).urgent == advice
    assert [a.text for a in advice][-1] == EMERGENCY
