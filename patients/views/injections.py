from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.http import HtmxHttpRequest
from patients import timeutils
from patients.forms.treatments import InjectionForm
from patients.journal.guidance import serious_reaction_advice
from patients.models import Injection, Reaction
from patients.treatments.injections import (
    DoseAlreadyLogged,
    DoseDoubt,
    delete_injection,
    doubts_about_dose,
    record_injection,
    restore_injection,
    update_injection,
)
from patients.treatments.reads import overview, unlogged_dose_choices
from patients.views.guards import get_injection_for_user, get_treatment_for_user, patient_required

UNDO_KEY = "undo_injection"

# The treatment card, answered to htmx (the dashboard includes the same partial).
CARD = "patients/treatment_partials.html#treatment_card"


def pop_undo(request: HtmxHttpRequest) -> Injection | None:
    """The entry the patient just deleted, offered once for undo."""
    pk = request.session.pop(UNDO_KEY, None)
    if pk is None:
        return None
    return Injection.objects.filter(
        pk=pk, treatment__patient=request.user, deleted_at__isnull=False
    ).first()


def _dose_taken_twice(form: InjectionForm, error: DoseAlreadyLogged) -> None:
    form.add_error(
        "dose_number", _("Dose %(number)s is already logged.") % {"number": error.args[0]}
    )


def saved_notice(injection: Injection, *, updated: bool = False) -> str:
    """What was saved, in words.

    "Dose 7 logged: Thursday 3 December 2026 at 09:30, Thigh, left."
    """
    local = injection.taken_at.astimezone(injection.treatment.patient.zone)
    values = {
        "number": injection.dose_number,
        "date": formats.date_format(local.date(), "l j F Y"),
        "time": local.strftime("%H:%M"),
        "site": injection.get_site_display(),
    }
    if updated:
        return _("Dose %(number)s updated: %(date)s at %(time)s, %(site)s.") % values
    return _("Dose %(number)s logged: %(date)s at %(time)s, %(site)s.") % values


def _doubts(form: InjectionForm, *, editing: Injection | None = None) -> list[DoseDoubt]:
    """What the patient must confirm before a valid form is saved (nothing once confirmed)."""
    if form.cleaned_data.get("confirm"):
        return []
    return doubts_about_dose(
        treatment=form.treatment,
        dose_number=form.cleaned_data["dose_number"],
        taken_at=form.taken_at,
        editing=editing,
    )


def _confirm_context(form: InjectionForm, doubts: list[DoseDoubt]) -> dict:
    return {
        "doubts": doubts,
        "taken_local": form.taken_at.astimezone(form.zone),
        "dose_number": form.cleaned_data["dose_number"],
    }


def _dose_asked(request: HtmxHttpRequest, doses) -> int | None:
    """`?dose=N` from a reminder link preselects that dose when it can still be logged."""
    asked = request.GET.get("dose", "")
    numbers = {d.number for d in doses}
    return int(asked) if asked.isdigit() and int(asked) in numbers else None


@require_http_methods(["GET", "POST"])
@patient_required
def log(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Log a dose: inline in the dashboard card with htmx, or as a page without JavaScript."""
    treatment = get_treatment_for_user(request, pk, care_data=True)
    today = timeutils.local_today(request.user.zone)
    doses = unlogged_dose_choices(treatment, today=today)
    card = overview(treatment, today=today)
    site_hints = {
        "sites": card.sites,
        "suggested_site": card.suggested_site,
        "packs": [b.pack for b in card.packs],
    }
    if request.method == "POST":
        form = InjectionForm(request.POST, treatment=treatment, doses=doses, **site_hints)
        # "revise" (from the confirmation step) shows the filled form again, unsaved.
        valid = form.is_valid() and "revise" not in request.POST
        doubts = _doubts(form) if valid else []
        if doubts:
            context = {"ov": card, "form": form, **_confirm_context(form, doubts)}
            return render(
                request, CARD if request.htmx else "patients/injection_form.html", context
            )
        elif valid:
            try:
                injection = record_injection(treatment=treatment, **form.injection_fields())
            except DoseAlreadyLogged as error:
                _dose_taken_twice(form, error)
            else:
                notice = saved_notice(injection)
                if request.htmx:
                    fresh = get_treatment_for_user(request, pk, care_data=True)
                    context = {"ov": overview(fresh, today=today), "notice": notice}
                    return render(
                        request, "patients/treatment_partials.html#treatment_card", context
                    )
                messages.success(request, notice)
                return redirect("patients:dashboard")
    else:
        now = timeutils.local_now(request.user.zone)
        form = InjectionForm(
            treatment=treatment,
            doses=doses,
            **site_hints,
            initial={
                "taken_date": now.date(),
                "taken_time": now.time(),
                "dose_number": _dose_asked(request, doses) or card.status.next_dose.number,
                "site": card.suggested_site,
                "pack": card.packs[0].pack.pk if card.packs else None,  # expires first
                "reaction": Reaction.NONE,
            },
        )
    context = {"ov": card, "form": form, "reaction_advice": serious_reaction_advice(treatment.drug)}
    if request.htmx:
        return render(request, CARD, context)
    return render(request, "patients/injection_form.html", context)


@require_http_methods(["GET", "POST"])
@patient_required
def edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    injection = get_injection_for_user(request, pk)
    treatment = get_treatment_for_user(request, injection.treatment_id, care_data=True)
    today = timeutils.local_today(request.user.zone)
    doses = unlogged_dose_choices(treatment, today=today, keep=injection.dose_number)
    card = overview(treatment, today=today)
    usable = [b.pack for b in card.packs]
    if injection.pack is not None and injection.pack not in usable:
        usable.append(injection.pack)
    site_hints = {"sites": card.sites, "suggested_site": None, "packs": usable}
    if request.method == "POST":
        form = InjectionForm(
            request.POST, treatment=treatment, doses=doses, instance=injection, **site_hints
        )
        valid = form.is_valid() and "revise" not in request.POST
        doubts = _doubts(form, editing=injection) if valid else []
        if doubts:
            context = {"ov": card, "form": form, "injection": injection}
            return render(
                request, "patients/injection_form.html", context | _confirm_context(form, doubts)
            )
        elif valid:
            try:
                update_injection(injection=injection, **form.injection_fields())
            except DoseAlreadyLogged as error:
                _dose_taken_twice(form, error)
            else:
                messages.success(request, saved_notice(injection, updated=True))
                return redirect("patients:history", pk=treatment.pk)
    else:
        local = injection.taken_at.astimezone(request.user.zone)
        form = InjectionForm(
            treatment=treatment,
            doses=doses,
            instance=injection,
            **site_hints,
            initial={
                "taken_date": local.date(),
                "taken_time": local.time().replace(second=0, microsecond=0),
                "dose_number": injection.dose_number,
                "site": injection.site,
                "lot_number": injection.lot_number,
                "pack": injection.pack_id,
                "reaction": injection.reaction,
                "note": injection.note,
            },
        )
    context = {
        "ov": card,
        "form": form,
        "injection": injection,
        "reaction_advice": serious_reaction_advice(treatment.drug),
    }
    return render(request, "patients/injection_form.html", context)


@require_http_methods(["GET", "POST"])
@patient_required
def delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    injection = get_injection_for_user(request, pk)
    if request.method == "POST":
        delete_injection(injection=injection)
        request.session[UNDO_KEY] = injection.pk
        return redirect("patients:history", pk=injection.treatment_id)
    return render(request, "patients/injection_confirm_delete.html", {"injection": injection})


@require_POST
@patient_required
def restore(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    injection = get_injection_for_user(request, pk, deleted=True)
    try:
        restore_injection(injection=injection)
    except DoseAlreadyLogged:
        messages.error(
            request,
            _("Dose %(number)s has been logged again since: the deleted entry stays deleted.")
            % {"number": injection.dose_number},
        )
    else:
        messages.success(request, _("Entry restored."))
    return redirect("patients:history", pk=injection.treatment_id)
