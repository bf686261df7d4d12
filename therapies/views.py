from itertools import groupby

from django.apps import apps
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from config.http import HtmxHttpRequest
from therapies import dosing
from therapies.models import Drug, DrugClass

EXAMPLE_DOSES = 6


@require_GET
def therapy_list(request: HtmxHttpRequest) -> HttpResponse:
    drugs = Drug.objects.order_by("drug_class", "inn")
    order = list(DrugClass.values)
    drugs = sorted(drugs, key=lambda d: (order.index(d.drug_class), d.inn))
    groups = [
        (DrugClass(drug_class).label, list(members))
        for drug_class, members in groupby(drugs, key=lambda d: d.drug_class)
    ]
    return render(request, "therapies/list.html", {"groups": groups})


@require_GET
def therapy_detail(request: HtmxHttpRequest, inn: str) -> HttpResponse:
    drug = get_object_or_404(
        Drug.objects.select_related("storage").prefetch_related("regimens", "cautions"), inn=inn
    )
    today = timezone.localdate()  # the example plan starts today, in the reader's zone
    regimens = [
        (regimen, dosing.plan(regimen.spec(), today, count=EXAMPLE_DOSES))
        for regimen in drug.regimens.all()
    ]
    context = {"drug": drug, "regimens": regimens, "class_article": _class_article(drug)}
    return render(request, "therapies/detail.html", context)


def _class_article(drug: Drug):
    """The article about the drug's class in the reader's language, if loaded (one query)."""
    # By name from the app registry: content sits above the catalogue (it reads it) and is
    # optional for the catalogue pages, so this module does not import it.
    if not apps.is_installed("content"):
        return None
    article = apps.get_model("content", "Article")
    language = (get_language() or "fr")[:2]
    return (
        article.objects.published(language)
        .filter(kind="therapy_class", therapy_class=drug.drug_class)
        .only("slug", "language", "title")
        .first()
    )
