"""The journal and scores: the patient's pages, the dashboard's quick taps, and the
specialist's "mark as seen"; the clinic pages' journal blocks are built here too."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.http import HtmxHttpRequest
from patients import timeutils
from patients.forms.journal import (
    EntryForm,
    QuickItchForm,
    QuickReactionForm,
    ScoresForm,
    ShareForm,
)
from patients.journal import charts
from patients.journal.entries import (
    delete_entry,
    quick_reaction,
    record_entry,
    restore_entry,
    update_entry,
)
from patients.journal.guidance import guidance_for
from patients.journal.scores import (
    BODY_REGIONS,
    ScoresAlreadyRecorded,
    delete_scores,
    quick_itch,
    record_scores,
    restore_scores,
    update_scores,
)
from patients.journal.sharing import linked_clinicians, set_sharing
from patients.models import (
    Injection,
    JournalEntry,
    ScoreSet,
    SiteReaction,
    Treatment,
)
from patients.views.guards import patient_required

UNDO_ENTRY, UNDO_SCORES = "undo_journal_entry", "undo_score_set"
SHOWN = 50  # the newest entries and score sets on the journal page


# --- Fetching for this user: another person's row answers 404 ------------------------------------


def get_entry_for_user(request: HtmxHttpRequest, pk: int, *, deleted: bool = False) -> JournalEntry:
    entries = JournalEntry.objects.select_related("treatment__drug", "injection", "patient").filter(
        patient=request.user, deleted_at__isnull=not deleted
    )
    return get_object_or_404(entries, pk=pk)


def get_scores_for_user(request: HtmxHttpRequest, pk: int, *, deleted: bool = False) -> ScoreSet:
    sets = ScoreSet.objects.select_related("patient").filter(
        patient=request.user, deleted_at__isnull=not deleted
    )
    return get_object_or_404(sets, pk=pk)


def _today(request: HtmxHttpRequest):
    return timeutils.local_today(request.user.zone)


def _pop(request: HtmxHttpRequest, key, model):
    pk = request.session.pop(key, None)
    if pk is None:
        return None
    return model.objects.filter(pk=pk, patient=request.user, deleted_at__isnull=False).first()


# --- The patient's journal page ------------------------------------------------------------------


@require_GET
@patient_required
def journal(request: HtmxHttpRequest) -> HttpResponse:
    today = _today(request)
    context = {
        "entries": JournalEntry.objects.live()
        .filter(patient=request.user)
        .select_related("treatment__drug")[:SHOWN],
        "score_sets": ScoreSet.objects.live().filter(patient=request.user)[:SHOWN],
        "charts": charts.trend_data(request.user, today=today),
        "undo_entry": _pop(request, UNDO_ENTRY, JournalEntry),
        "undo_scores": _pop(request, UNDO_SCORES, ScoreSet),
        "clinicians": linked_clinicians(request.user),
    }
    return render(request, "patients/journal/journal.html", context)


def _after_save(request: HtmxHttpRequest, entry: JournalEntry | None, notice: str):
    """Guidance first when the entry calls for it; the sharing question after a first entry."""
    messages.success(request, notice)
    if entry is not None and guidance_for(entry) is not None:
        return redirect("patients:journal_entry", entry.pk)
    if any(c.journal_shared is None for c in linked_clinicians(request.user)):
        return redirect("patients:journal_sharing")
    return redirect("patients:journal")


def _treatment_of(request: HtmxHttpRequest, injection: Injection | None) -> Treatment | None:
    if injection is not None:
        return injection.treatment
    return Treatment.objects.active().filter(patient=request.user).order_by("pk").first()


@require_http_methods(["GET", "POST"])
@patient_required
def new_entry(request: HtmxHttpRequest) -> HttpResponse:
    """Anytime, or from a logged dose (`?injection=<pk>`: the patient's own, or 404)."""
    injection = None
    asked = request.GET.get("injection", "")
    if asked:
        if not asked.isdigit():
            raise Http404("No such injection.")
        injection = get_object_or_404(
            Injection.objects.live().select_related("treatment"),
            pk=int(asked),
            treatment__patient=request.user,
        )
    today = _today(request)
    if request.method == "POST":
        form = EntryForm(request.POST, today=today)
        if form.is_valid():
            entry = record_entry(
                patient=request.user,
                treatment=_treatment_of(request, injection),
                injection=injection,
                **form.entry_fields(),
            )
            return _after_save(request, entry, _("Journal entry saved."))
    else:
        initial = {"occurred_on": injection.taken_on if injection else today}
        form = EntryForm(today=today, initial=initial)
    context = {"form": form, "injection": injection}
    return render(request, "patients/journal/entry_form.html", context)


@require_GET
@patient_required
def entry(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    entry = get_entry_for_user(request, pk)
    context = {"entry": entry, "guidance": guidance_for(entry)}
    return render(request, "patients/journal/entry.html", context)


@require_http_methods(["GET", "POST"])
@patient_required
def edit_entry(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    entry = get_entry_for_user(request, pk)
    today = _today(request)
    if request.method == "POST":
        form = EntryForm(request.POST, today=today)
        if form.is_valid():
            update_entry(entry=entry, **form.entry_fields())
            return _after_save(request, entry, _("Entry updated."))
    else:
        initial = {name: getattr(entry, name) for name in EntryForm.base_fields}
        for name in ("fever", "antibiotics", "seen_doctor"):
            value = initial[name]
            initial[name] = None if value is None else ("yes" if value else "no")
        form = EntryForm(today=today, initial=initial)
    return render(request, "patients/journal/entry_form.html", {"form": form, "entry": entry})


@require_http_methods(["GET", "POST"])
@patient_required
def delete_entry_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    entry = get_entry_for_user(request, pk)
    if request.method == "POST":
        delete_entry(entry=entry)
        request.session[UNDO_ENTRY] = entry.pk
        return redirect("patients:journal")
    return render(request, "patients/journal/confirm_delete.html", {"entry": entry})


@require_POST
@patient_required
def restore_entry_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    restore_entry(entry=get_entry_for_user(request, pk, deleted=True))
    messages.success(request, _("Entry restored."))
    return redirect("patients:journal")


# --- Scores --------------------------------------------------------------------------------------


def _scores_initial(score_set: ScoreSet | None, day) -> dict:
    if score_set is None:
        return {"recorded_on": day}
    initial = {
        "recorded_on": score_set.recorded_on,
        "itch": score_set.itch,
        "skin_overall": score_set.skin_overall,
        "joint_pain_score": score_set.joint_pain_score,
        "joint_pain": None
        if score_set.joint_pain is None
        else ("yes" if score_set.joint_pain else "no"),
    }
    for region in BODY_REGIONS:
        initial[f"palms_{region}"] = score_set.skin_areas.get(region)
    return initial


@require_http_methods(["GET", "POST"])
@patient_required
def new_scores(request: HtmxHttpRequest) -> HttpResponse:
    """On demand, or from the monthly prompt; a day already scored is completed, not doubled."""
    today = _today(request)
    if request.method == "POST":
        form = ScoresForm(request.POST, today=today)
        if form.is_valid():
            record_scores(
                patient=request.user,
                recorded_on=form.cleaned_data["recorded_on"],
                **form.score_fields(),
            )
            return _after_save(request, None, _("Scores saved."))
    else:
        todays = ScoreSet.objects.live().filter(patient=request.user, recorded_on=today).first()
        form = ScoresForm(today=today, initial=_scores_initial(todays, today))
    return render(request, "patients/journal/scores_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@patient_required
def edit_scores(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    score_set = get_scores_for_user(request, pk)
    today = _today(request)
    if request.method == "POST":
        form = ScoresForm(request.POST, today=today)
        if form.is_valid():
            try:
                update_scores(
                    score_set=score_set,
                    recorded_on=form.cleaned_data["recorded_on"],
                    **form.score_fields(),
                )
            except ScoresAlreadyRecorded:
                form.add_error(
                    "recorded_on", _("Another set of scores holds this date: edit that one.")
                )
            else:
                messages.success(request, _("Scores updated."))
                return redirect("patients:journal")
    else:
        form = ScoresForm(today=today, initial=_scores_initial(score_set, today))
    context = {"form": form, "score_set": score_set}
    return render(request, "patients/journal/scores_form.html", context)


@require_http_methods(["GET", "POST"])
@patient_required
def delete_scores_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    score_set = get_scores_for_user(request, pk)
    if request.method == "POST":
        delete_scores(score_set=score_set)
        request.session[UNDO_SCORES] = score_set.pk
        return redirect("patients:journal")
    return render(request, "patients/journal/confirm_delete.html", {"score_set": score_set})


@require_POST
@patient_required
def restore_scores_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    score_set = get_scores_for_user(request, pk, deleted=True)
    try:
        restore_scores(score_set=score_set)
    except ScoresAlreadyRecorded:
        messages.error(
            request, _("That day has been scored again since: the deleted scores stay deleted.")
        )
    else:
        messages.success(request, _("Scores restored."))
    return redirect("patients:journal")


# --- The dashboard's quick taps ------------------------------------------------------------------


@require_POST
@patient_required
def quick_itch_view(request: HtmxHttpRequest) -> HttpResponse:
    form = QuickItchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an itch score from 0 to 10."))
        return redirect(f"{reverse('patients:dashboard')}#journal")
    quick_itch(
        patient=request.user,
        itch=form.cleaned_data["itch"],
        today=_today(request),
        now=timezone.now(),
    )
    notice = _("Itch score saved: %(score)s out of 10.") % {"score": form.cleaned_data["itch"]}
    return _after_quick(request, None, notice)


@require_POST
@patient_required
def quick_reaction_view(request: HtmxHttpRequest) -> HttpResponse:
    form = QuickReactionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose none, mild or marked."))
        return redirect(f"{reverse('patients:dashboard')}#journal")
    treatment = get_object_or_404(
        Treatment.objects.active().select_related("drug"),
        pk=form.cleaned_data["treatment"],
        patient=request.user,
    )
    entry = quick_reaction(
        patient=request.user,
        treatment=treatment,
        reaction=form.cleaned_data["reaction"],
        today=_today(request),
        now=timezone.now(),
    )
    notice = _("Reaction at the injection site saved: %(level)s.") % {
        "level": SiteReaction(entry.site_reaction).label.lower()
    }
    return _after_quick(request, entry, notice)


def _after_quick(request: HtmxHttpRequest, entry, notice):
    messages.success(request, notice)
    if entry is not None and guidance_for(entry) is not None:
        return redirect("patients:journal_entry", entry.pk)
    if any(c.journal_shared is None for c in linked_clinicians(request.user)):
        return redirect("patients:journal_sharing")
    return redirect(f"{reverse('patients:dashboard')}#journal")


# --- Sharing, per specialist ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@patient_required
def sharing(request: HtmxHttpRequest) -> HttpResponse:
    clinicians = linked_clinicians(request.user)
    if request.method == "POST":
        form = ShareForm(request.POST)
        if form.is_valid():
            wanted = form.cleaned_data["clinician"]
            clinician = next((c for c in clinicians if c.pk == wanted), None)
            if clinician is None:
                raise Http404("Not one of your specialists.")
            shared = form.cleaned_data["shared"]
            set_sharing(
                patient=request.user, clinician=clinician, shared=shared, now=timezone.now()
            )
            if shared:
                notice = _("Your journal and scores are shared with %(name)s.")
            else:
                notice = _("Your journal and scores are not shared with %(name)s.")
            messages.success(request, notice % {"name": clinician})
            return redirect("patients:journal_sharing")
        messages.error(request, _("Choose whether to share or not."))
    return render(request, "patients/journal/sharing.html", {"clinicians": clinicians})
