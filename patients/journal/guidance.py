"""What to do after an infection with fever or a serious reaction, and how to report a side
effect: only facts from the catalogue's sourced cautions and from the project's references
(/work/shared/reference: medical-review.md §3.11 X-2 and §8 item 1, G11; peers-and-standards.md
on batch numbers), each shown with its source.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from patients.models import JournalEntry

REPORTING_PORTAL = "https://signalement-sante.gouv.fr"
VIDAL_SKYRIZI = "https://vidal.fr/medicaments/gammes/skyrizi-91450.html"
TREMFYA_LABEL = "http://www.janssen-pi.co.uk/tremfya/index.html"
ILUMYA_LABEL = "https://sit.mimsdev.com/malaysia/drug/info/ilumya/special-precautions"
TOCILIZUMAB_CRP = (
    "https://docslib.org/doc/3152374/the-effect-of-tocilizumab-on-inflammatory-markers-in-patients"
)
EU_BATCH_RULE = "https://pmc.ncbi.nlm.nih.gov/articles/PMC6153964/"
EMERGENCY_NUMBERS = "https://www.service-public.fr/particuliers/vosdroits/F33954"
# Advice from one product's label is shown only to patients on that product.
LABEL_SAYS_WAIT_FOR = {"guselkumab", "tildrakizumab"}


@dataclass(frozen=True)
class Advice:
    text: str
    source: str
    url: str = ""


@dataclass(frozen=True)
class Guidance:
    urgent: list[Advice]
    report: list[Advice]


def _infection_advice(entry: JournalEntry, drug) -> list[Advice]:
    advice = [
        Advice(c.text, c.source)
        for c in (drug.cautions.all() if drug else [])
        if "infection" in c.text_en.lower()
    ]
    inn = drug.inn if drug is not None else ""
    if inn == "risankizumab":
        advice.append(
            Advice(
                _(
                    "See a doctor quickly for a fever that lasts, even a mild one, a cough, "
                    "dental pain or burning when passing urine."
                ),
                _("Skyrizi monograph, Vidal"),
                VIDAL_SKYRIZI,
            )
        )
    if inn in LABEL_SAYS_WAIT_FOR:
        advice.append(
            Advice(
                _(
                    "Before your next injection, call the specialist who prescribes it: the "
                    "label says not to give the treatment during an infection until it has "
                    "cleared."
                ),
                _("Tremfya, SmPC, section 4.4")
                if inn == "guselkumab"
                else _(
                    "Ilumya, prescribing information (Malaysia, outside the EU), special "
                    "precautions"
                ),
                TREMFYA_LABEL if inn == "guselkumab" else ILUMYA_LABEL,
            )
        )
    if drug is not None and drug.inn == "tocilizumab":
        advice.append(
            Advice(
                _(
                    "With tocilizumab, an infection may come without fever and without a rise "
                    "in CRP: tell your doctor about any unusual symptom."
                ),
                "Berman 2021",
                TOCILIZUMAB_CRP,
            )
        )
    return advice


def serious_reaction_advice(drug) -> list[Advice]:
    """When to get help for a serious reaction: the product's own label on allergic reactions
    (catalogue cautions, each sourced), then the emergency numbers; never one product's label
    shown for another. The journal shows it after a serious reaction, the injection form under
    its reaction choices (issue 18, D15)."""
    advice = [
        Advice(c.text, c.source)
        for c in (drug.cautions.all() if drug else [])
        if "allergic" in c.text_en.lower()
    ]
    advice.append(
        Advice(
            _("If you need urgent care now, call 15 (SAMU) or 112."),
            _("Service-Public.fr, how to alert the emergency services"),
            EMERGENCY_NUMBERS,
        )
    )
    return advice


def guidance_for(entry: JournalEntry) -> Guidance | None:
    """None unless the entry reports an infection with fever, a serious reaction (for
    tocilizumab, any infection: fever may not come) or a marked reaction at the injection site.
    The last one gets no urgent advice (it is not an allergic emergency), only how to report
    it, as any side effect may be."""
    drug = entry.treatment.drug if entry.treatment_id else None
    infection = entry.infection and (
        bool(entry.fever) or (drug is not None and drug.inn == "tocilizumab")
    )
    if not infection and not entry.serious_reaction and not entry.marked_site_reaction:
        return None
    urgent = _infection_advice(entry, drug) if infection else []
    if entry.serious_reaction:
        urgent.extend(serious_reaction_advice(drug))
    lot = entry.injection.lot_number if entry.injection_id and entry.injection else ""
    report = [
        Advice(
            _(
                "Report a side effect: in France, on the national reporting portal of the health "
                "authorities (ANSM), signalement-sante.gouv.fr. Your doctor or pharmacist can "
                "report it too."
            ),
            "ANSM, signalement-sante.gouv.fr",
            REPORTING_PORTAL,
        ),
        Advice(
            (
                _("Give the brand and the batch number of the pen or syringe (batch: %(lot)s).")
                % {"lot": lot}
                if lot
                else _("Give the brand and the batch number (lot) printed on the pen or box.")
            )
            + " "
            + _("EU rules ask for both with biologics, so that reports can be traced."),
            "Drug Saf 2018",
            EU_BATCH_RULE,
        ),
    ]
    return Guidance(urgent=urgent, report=report)
