"""Where later features plug their data into the visit summary and the FHIR export.

Three registries of dotted paths, read when a summary or a bundle is built (as healthchecks
names its transports): a feature appends its callable's path here, nothing else changes.

HELD_DOSE_PROVIDERS — doses the patient held on purpose, with the reason. Each callable is
    `provider(*, patient: User, treatments: list[Treatment], period: Period, viewer: User | None)
    -> Mapping[int, Mapping[int, str]]` (treatment id -> dose number -> reason, in the reader's
    language). A held dose is counted and listed as held instead of missed.

SECTION_PROVIDERS — extra sections of the summary (side effects and infections reported, score
    trends as a chart and a table). Each callable is `provider(*, patient: User, period: Period,
    today: date, treatments: list[Treatment], viewer: User | None) -> Section | None`, shown in
    the registry's order after the doses and stock and before the open checklist items. It must
    read in a fixed number of queries whatever the history length (the summary's query test
    counts them). The section's template is included in the HTML page and in the PDF: keep it to
    headings, paragraphs, lists and simple tables (one header row, `<th scope="col">`); no
    `<dl>` and no `<figure>`, which WeasyPrint tags poorly for PDF/UA (Kozea/WeasyPrint#2482). A
    chart is an inline `<svg role="img">` with a `<title>`, and its numbers are also in a table.

OBSERVATION_SOURCES — FHIR resources for the export (Observations for scores and reactions).
    Each callable is `source(*, patient: User, patient_reference: str) -> Iterable[Resource]`,
    returning `fhir.resources.R4B` models whose `subject` is `{"reference": patient_reference}`;
    `patients.summary.fhir.build_bundle` adds each as a Bundle entry.

`viewer` is who reads the summary: None or the patient, or a specialist. Parts that are the
patient's to share (the journal, `patients.summary.journal`) return nothing to a specialist the
patient does not share them with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.module_loading import import_string

HELD_DOSE_PROVIDERS: list[str] = ["patients.summary.journal.held_doses"]
SECTION_PROVIDERS: list[str] = [
    "patients.summary.journal.journal_section",
    "patients.summary.journal.scores_section",
]
OBSERVATION_SOURCES: list[str] = ["patients.summary.journal.observations"]


@dataclass(frozen=True)
class Section:
    """One extra part of the summary, rendered by `template` with `context` as `section.data`."""

    key: str  # the HTML id of its heading, unique in the page
    title: str
    template: str
    data: dict = field(default_factory=dict)


def load(paths: Iterable[str]) -> list[Callable]:
    return [import_string(path) for path in paths]
