"""The journal's blocks on other pages: the dashboard's quick taps and trend, the specialist's
patient page and flags, and marking a flag as seen."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.http import HtmxHttpRequest
from patients import timeutils
from patients.care import linked_patients, record_access
from patients.journal import charts
from patients.journal.flags import (
    mark_seen,
    open_flags,
    raise_overdue_flags,
    record_flags_seen,
)
from patients.journal.sharing import is_shared_with
from patients.models import (
    AccessAction,
    CareLink,
    FlagReason,
    JournalEntry,
    JournalFlag,
    JournalShare,
    ScoreSet,
    SiteReaction,
)
from patients.views.guards import approved_clinician_required

SHOWN = 50  # the newest flags on the clinic dashboard


# --- Blocks of other pages (one call each from the dashboard and the clinic views) ---------------


def dashboard_journal_context(request: HtmxHttpRequest, overviews, today) -> dict:
    """The dashboard's journal block: the itch trend (dose dates from the overviews already
    read), the quick taps, and the sharing question once the patient has a first entry."""
    rows = list(
        ScoreSet.objects.live()
        .filter(patient=request.user, recorded_on__gte=today - charts.PERIOD)
        .values("recorded_on", "itch", "skin_overall", "skin_palms", "joint_pain_score")
    )
    doses = [d.taken_on for ov in overviews for d in getattr(ov.treatment, "live_injections", [])]
    has_entries = bool(rows) or JournalEntry.objects.live().filter(patient=request.user).exists()
    unanswered = []
    if has_entries:
        answered = JournalShare.objects.filter(
            patient=request.user, clinician=OuterRef("clinician")
        )
        unanswered = list(
            CareLink.objects.active()
            .filter(patient=request.user)
            .exclude(Exists(answered))
            .select_related("clinician")
        )
    return {
        "journal_charts": charts.trend_charts(rows=rows, dose_dates=doses, today=today)[:1],
        "itch_values": range(11),
        "reactions": SiteReaction.choices,
        "unanswered_links": unanswered,
    }


def clinic_patient_journal_context(request: HtmxHttpRequest, patient, overviews) -> dict:
    """The specialist's page of a patient: the journal and charts if the patient shares them
    with this specialist (the view is then recorded in the patient's access log)."""
    if not is_shared_with(patient=patient, clinician=request.user):
        return {"journal_shared": False}
    today = timeutils.local_today(patient.zone)
    record_access(
        patient=patient, actor=request.user, action=AccessAction.VIEWED_JOURNAL, now=timezone.now()
    )
    return {
        "journal_shared": True,
        "journal_charts": charts.trend_data(patient, today=today),
        "journal_entries": JournalEntry.objects.live()
        .filter(patient=patient)
        .select_related("treatment__drug")[:SHOWN],
    }


def clinic_dashboard_flags(request: HtmxHttpRequest, today) -> dict:
    """The flags, and a record in each patient's access log of the journal flags shown (once
    an hour per patient and specialist, as the list of patients does)."""
    now = timezone.now()
    raise_overdue_flags(clinician=request.user, today=today, now=now)
    flags = list(open_flags(request.user))
    journal_ids = [f.patient_id for f in flags if f.reason != FlagReason.OVERDUE]
    record_flags_seen(patient_ids=journal_ids, actor=request.user, now=now)
    return {"flags": flags}


@require_POST
@approved_clinician_required
def flag_seen(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    flag = get_object_or_404(
        JournalFlag.objects.filter(
            clinician=request.user, patient__in=linked_patients(request.user)
        ),
        pk=pk,
    )
    mark_seen(flag=flag, now=timezone.now())
    messages.success(request, _("Marked as seen."))
    return redirect(f"{reverse('patients:clinic')}#flags")
