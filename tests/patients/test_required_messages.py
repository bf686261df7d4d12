"""Every required field says what is missing and how to give it (issue 18, D4): no form of the
app answers an empty field with Django's generic "This field is required." / "Ce champ est
obligatoire.". The walk covers every form class of patients/forms/, each instantiated as its
views do; a form added later without the mixin fails here."""

import importlib
import inspect
import pkgutil
from types import SimpleNamespace

import pytest
from django import forms
from django.utils import timezone, translation

import patients.forms
from patients import timeutils
from patients.forms.fields import GENERIC_REQUIRED, RequiredMessages, required_message
from patients.forms.travel import TripForm
from patients.forms.treatments import InjectionForm
from therapies.dosing import Phase, PlannedDose

# Every form of the app uses it (the sign-up forms adopted it once their rewrite landed); a form
# that may keep Django's generic message would be named here, with the reason.
NOT_YET: set[str] = set()


def form_classes() -> dict[str, type]:
    found = {}
    for module_info in pkgutil.iter_modules(patients.forms.__path__):
        module = importlib.import_module(f"patients.forms.{module_info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                found[f"{module_info.name}.{name}"] = cls
    return found


def keyword_arguments(cls, treatment) -> dict:
    """What each view passes to the form's constructor."""
    today = timeutils.local_today(treatment.patient.zone)
    given = {
        "today": today,
        "patient": treatment.patient,
        "treatment": treatment,
        "item": SimpleNamespace(records_result=True),
        "doses": [PlannedDose(number=2, date=today, dose_mg=100, devices=1, phase=Phase.LOADING)],
        "now": timezone.now(),
        "user": treatment.patient,
        "upcoming": [
            PlannedDose(number=2, date=today, dose_mg=100, devices=1, phase=Phase.LOADING)
        ],
    }
    parameters = {
        name
        for klass in cls.__mro__
        if "__init__" in vars(klass)
        for name in inspect.signature(klass.__init__).parameters
    }
    return {name: value for name, value in given.items() if name in parameters}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_required_field_of_the_app_says_only_that_it_is_required(treatment, language):
    classes = form_classes()
    assert set(classes) >= NOT_YET, "a form of NOT_YET was renamed or moved: update the list"
    generic = []
    checked = 0
    with translation.override(language):
        for name, cls in sorted(classes.items()):
            if name in NOT_YET:
                assert not issubclass(cls, RequiredMessages), f"{name} adopted it: drop it here"
                continue
            assert issubclass(cls, RequiredMessages), f"{name} does not use RequiredMessages"
            form = cls(**keyword_arguments(cls, treatment))
            for field_name, field in form.fields.items():
                if not field.required:
                    continue
                checked += 1
                message = str(field.error_messages["required"])
                if message == str(GENERIC_REQUIRED):
                    generic.append(f"{name}.{field_name}")
    assert not generic, f"generic required message on: {generic}"
    assert checked >= 35  # the walk reached the forms' fields (38 in December 2026)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Enter the date of the injection.", "Choose where you injected."]),
        ("fr", ["Indiquez la date de l’injection.", "Choisissez où vous avez injecté."]),
    ],
)
def test_an_empty_injection_form_says_what_to_enter(treatment, language, expected):
    with translation.override(language):
        form = InjectionForm(
            data={},
            treatment=treatment,
            doses=[
                PlannedDose(
                    number=1,
                    date=treatment.first_dose_on,
                    dose_mg=100,
                    devices=1,
                    phase=Phase.LOADING,
                )
            ],
        )
        assert not form.is_valid()
        messages = [str(m) for errors in form.errors.values() for m in errors]
        for text in expected:
            assert text in messages
        assert str(GENERIC_REQUIRED) not in messages


def test_an_empty_trip_form_names_each_missing_answer_in_both_languages(patient):
    today = timeutils.local_today(patient.zone)
    with translation.override("en"):
        form = TripForm(data={}, today=today)
        assert form.errors["departs_on"] == ["Enter the date you leave."]
        assert form.errors["destination"] == ["Choose the country you are going to."]
    with translation.override("fr"):
        form = TripForm(data={}, today=today)
        assert form.errors["returns_on"] == ["Indiquez la date de votre retour."]
        assert "obligatoire" not in " ".join(m for e in form.errors.values() for m in e)


@pytest.mark.parametrize(
    ("field", "english", "french"),
    [
        (forms.CharField(label="Item"), "Fill in “Item”.", "Remplissez «\xa0Item\xa0»."),
        (
            forms.ChoiceField(label="Result", choices=[("a", "A")]),
            "Choose an answer for “Result”.",
            "Choisissez une réponse pour «\xa0Result\xa0».",
        ),
        (forms.BooleanField(label="I agree"), "Tick “I agree” to go on.", None),
        (
            forms.IntegerField(),
            "Something was missing from the form: please try again from the page.",
            None,
        ),
    ],
)
def test_the_mixin_makes_a_message_from_the_label(field, english, french):
    with translation.override("en"):
        assert required_message(field) == english
    if french:
        with translation.override("fr"):
            assert required_message(field) == french
