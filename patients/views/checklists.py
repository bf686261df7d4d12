"""The patient's checklists, the print view and the read-only share link."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.http import HtmxHttpRequest
from patients import timeutils
from patients.care import record_access
from patients.checklist_links import (
    checklist_from_share_token,
    create_share_link,
    open_share_link,
    revoke_share_links,
)
from patients.checklists import (
    ChecklistError,
    mark_done,
    mark_not_done,
    patient_may_complete,
    progress_of,
    with_items,
)
from patients.forms.checklists import ItemDoneForm, ShareLinkForm
from patients.models import AccessAction, Checklist
from patients.views.guards import (
    get_checklist_for_patient,
    get_item_for_patient,
    patient_page,
    patient_required,
)
from therapies.models import CompletedBy

SHARE_TOKENS_KEY = "share_links"  # the link is shown only in the session that created it

# A checklist item's row, answered to htmx (the checklist page includes the same partial).
ITEM = "patients/checklist_partials.html#item"


def checklist_context(checklist: Checklist) -> dict:
    items = checklist.all_items
    return {"checklist": checklist, "items": items, "progress": progress_of(items)}


@require_GET
@patient_page
def checklist_list(request: HtmxHttpRequest) -> HttpResponse:
    checklists = with_items(Checklist.objects.filter(patient=request.user, shared_at__isnull=False))
    rows = [checklist_context(checklist) for checklist in checklists]
    return render(request, "patients/checklists.html", {"rows": rows})


@require_GET
@patient_required
def checklist(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    checklist = get_checklist_for_patient(request, pk, full=True)
    today = timeutils.local_today(request.user.zone)
    for item in checklist.all_items:
        if patient_may_complete(item) and not item.is_done:
            item.done_form = _done_form(item, today)
    now = timezone.now()
    link = open_share_link(checklist, now)
    token = request.session.get(SHARE_TOKENS_KEY, {}).get(str(link.pk)) if link else None
    context = {
        **checklist_context(checklist),
        "share_link": link,
        "share_url": request.build_absolute_uri(reverse("shared_checklist", args=[token]))
        if token
        else None,
        "share_form": ShareLinkForm(),
    }
    return render(request, "patients/checklist.html", context)


@require_http_methods(["GET", "POST"])
@patient_required
def item_done(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: the form on its own page (without JavaScript); POST: mark done, or show errors."""
    item = get_item_for_patient(request, pk)
    if not patient_may_complete(item):
        raise Http404("Not the patient's to change.")
    today = timeutils.local_today(request.user.zone)
    form = _done_form(item, today, request.POST if request.method == "POST" else None)
    if form.is_valid():  # unbound on GET
        try:
            mark_done(item=item, actor=request.user, now=timezone.now(), **_done(form))
        except ChecklistError as error:
            form.add_error(None, str(error))
        else:
            if request.htmx:
                return render(request, ITEM, {"item": item})
            # What was saved, at the top of the page where the message is (issue 18, item 3).
            messages.success(
                request,
                _("“%(label)s” marked done on %(date)s. Your specialist will see it.")
                % {"label": item.label, "date": formats.date_format(item.done_on, "l j F Y")},
            )
            return redirect("patients:checklist", pk=item.checklist_id)
    item.done_form = form
    template = ITEM if request.htmx else "patients/checklist_item_form.html"
    return render(request, template, {"item": item, "checklist": item.checklist})


def _done_form(item, today, data=None) -> ItemDoneForm:
    initial = {"done_on": item.done_on or today, "done_note": item.done_note}
    return ItemDoneForm(data, today=today, initial=initial, prefix=f"item-{item.pk}")


def _done(form) -> dict:
    return {"done_on": form.cleaned_data["done_on"], "note": form.cleaned_data["done_note"]}


@require_POST
@patient_required
def item_undo(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item = get_item_for_patient(request, pk)
    if item.completed_by != CompletedBy.PATIENT:
        raise Http404("Not the patient's to change.")
    try:
        mark_not_done(item=item, actor=request.user, now=timezone.now())
    except ChecklistError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("“%(label)s” marked not done.") % {"label": item.label})
    if request.htmx:
        if patient_may_complete(item) and not item.is_done:
            item.done_form = _done_form(item, timeutils.local_today(request.user.zone))
        return render(request, ITEM, {"item": item})
    return redirect("patients:checklist", pk=item.checklist_id)


@require_GET
@patient_required
def checklist_print(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    checklist = get_checklist_for_patient(request, pk, full=True)
    return render(request, "patients/checklist_print.html", checklist_context(checklist))


@require_POST
@patient_required
def share(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    checklist = get_checklist_for_patient(request, pk)
    form = ShareLinkForm(request.POST)
    if form.is_valid():
        tokens = _tokens_of_other_checklists(request, checklist)  # this one's old link is revoked
        link, token = create_share_link(
            checklist=checklist,
            days=form.cleaned_data["days"],
            actor=request.user,
            now=timezone.now(),
        )
        request.session[SHARE_TOKENS_KEY] = {**tokens, str(link.pk): token}
        messages.success(request, _("Read-only link created. Copy it now: it is shown only here."))
    else:
        messages.error(request, _("Choose how long the link stays valid."))
    return redirect(f"{reverse('patients:checklist', args=[pk])}#share")


def _tokens_of_other_checklists(request: HtmxHttpRequest, checklist: Checklist) -> dict[str, str]:
    """The link tokens this session shows, without this checklist's: a patient with two
    checklists keeps the link of the other one on screen."""
    own = {str(pk) for pk in checklist.share_links.values_list("pk", flat=True)}
    tokens = request.session.get(SHARE_TOKENS_KEY, {})
    return {pk: token for pk, token in tokens.items() if pk not in own}


@require_POST
@patient_required
def unshare(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    checklist = get_checklist_for_patient(request, pk)
    revoke_share_links(checklist=checklist, now=timezone.now())
    request.session[SHARE_TOKENS_KEY] = _tokens_of_other_checklists(request, checklist)
    messages.success(request, _("The link no longer works."))
    return redirect(f"{reverse('patients:checklist', args=[pk])}#share")


@never_cache
@require_GET
def shared_checklist(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """Read-only, for someone without an account; the token is the only key."""
    now = timezone.now()
    found = checklist_from_share_token(token, now=now)
    if found is None:
        raise Http404("Unknown, expired or revoked link.")
    checklist = with_items(Checklist.objects.filter(pk=found.pk)).select_related("patient").get()
    record_access(
        patient=checklist.patient_id, actor=None, action=AccessAction.OPENED_SHARE_LINK, now=now
    )
    context = {**checklist_context(checklist), "shared_view": True}
    response = render(request, "patients/checklist_print.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
