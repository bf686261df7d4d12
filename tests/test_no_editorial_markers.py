"""No editorial note reaches a reader (issue 16, item 5).

Every page a patient or a specialist reads is rendered here, in French and in English, with
realistic data: the therapy catalogue and every drug's page, every article and the glossary, the
checklists (patient and clinician views, and their print views), the dashboards, every reminder
e-mail (through the app's own e-mail helper, as the worker sends it) and the travel letters (page
and PDF). The text a reader sees (and the text alternatives a screen reader reads) must hold no
file name, no "[verify]", no project note, no "Seed 0…", no "label not checked", no
"unverified" flag and no "TODO".

The word "verify" alone is a feature here, not a flag: the letters carry a verification link,
the specialist verifies a checklist item, and "vérifier" is an everyday French verb. So the test
looks for verification used as a note: "[verify]", "(à vérifier)", "verify:", "not verified",
"non vérifié", "unverified", and a figure said to be not yet checked against the label.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from content.models import Article, GlossaryTerm
from patients.checklists import create_checklist, share_checklist
from patients.emails import send_templated_email
from patients.models import CareLink
from patients.models.reminders import Channel, Kind, Reminder
from patients.reminders.delivery import email_context
from patients.reminders.registry import KINDS
from patients.travel.trips import plan_trip
from tests.factories import ClinicianFactory, TreatmentFactory, UserFactory
from tests.support import sign_in
from therapies.models import Caution, ChecklistTemplateItem, Drug, Regimen, StorageRule

pytestmark = pytest.mark.django_db

LANGUAGES = ("fr", "en")
INNS = (
    "guselkumab",
    "risankizumab",
    "tildrakizumab",
    "ustekinumab",
    "secukinumab",
    "ixekizumab",
    "brodalumab",
    "bimekizumab",
    "adalimumab",
    "tocilizumab",
)
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


MARKERS = re.compile(
    r"""
      \b[\w-]+\.(?:toml|md|txt)\b          # a file name: guselkumab.toml, therapies.md, 002_….txt
    | [\[(]\s*(?:verify|to\ verify|à\ vérifier|vérifier)\s*[\])]   # "[verify]", "(à vérifier)"
    | \bverify\s*:
    | \bnot\ verified\b | \bnon\ vérifiée?s?\b | \bunverified\b
    | \bpas\ encore\ (?:été\ )?vérifiée?s?\b            # "pas encore vérifié ce chiffre"
    | \bnot\ (?:been\ )?checked\b[^.]{0,40}?\b(?:label|leaflet|SmPC)\b  # "not checked … label"
    | therapies\.md | screening\.md | travel\.md
    | \breference/
    | \bseed\s*0\d*                       # "Seed 002", "seed 00"
    | \blabel\ not\ checked\b
    | \bTODO\b | \bFIXME\b | \bTBD\b | \bXXX\b
    | \[\s*(?:S|ref)\s*\d*\s*\]                 # a raw citation key: "[S12]", "[S1][S14]", "[ref]"
    | \b(?:reviewer|relecteur|relectrice|note\ de\ relecture)\b   # a reviewer's remark
    | [—–]\s*à\ vérifier\b                          # "… — à vérifier", a note after a dash
    | ❓ | \(\?\)                                   # a reviewer's doubt mark
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Attributes whose text a reader meets (shown, or read out by a screen reader).
READ_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "aria-description"}


class ReadableText(HTMLParser):
    """The text of a page as a reader gets it: no markup, no script, no style, no URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.hidden += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def readable(html: str) -> str:
    parser = ReadableText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def markers_in(text: str) -> list[str]:
    found = []
    for match in MARKERS.finditer(text):
        start, end = max(0, match.start() - 60), min(len(text), match.end() + 60)
        found.append(f"{match.group(0)!r} in …{text[start:end]}…")
    return found


def assert_no_markers(pages: dict[str, str]) -> None:
    """`pages`: where -> the text a reader gets there."""
    problems = [f"{where}: {found}" for where, text in pages.items() for found in markers_in(text)]
    assert not problems, "editorial markers shown to readers:\n" + "\n".join(problems)


def get_text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    if response["Content-Type"].startswith("application/pdf"):
        reader = PdfReader(io.BytesIO(response.content))
        return " ".join((page.extract_text() or "") for page in reader.pages)
    return readable(response.content.decode())


def url_in(language: str, name: str, *args) -> str:
    with translation.override(language):
        return reverse(name, args=args)


# --- The world the pages are rendered with -----------------------------------------------------


class World:
    """One patient on `inn` (in `language`), their specialist, a shared checklist and a trip."""

    def __init__(self, *, inn: str, language: str):
        self.language = language
        self.drug = Drug.objects.get(inn=inn)
        self.patient = UserFactory(
            email=f"{inn}@example.com", display_name="Camille", language=language
        )
        self.clinician = ClinicianFactory(
            email=f"dr-{inn}@example.com", display_name="Dr House", language=language
        )
        CareLink.objects.create(patient=self.patient, clinician=self.clinician)
        self.treatment = TreatmentFactory(
            patient=self.patient, drug_inn=inn, first_dose_on=date(2027, 1, 4)
        )
        self.checklist = create_checklist(
            patient=self.patient, drug=self.drug, clinician=self.clinician, now=NOW
        )
        share_checklist(checklist=self.checklist, actor=self.clinician, now=NOW)
        self.trip = plan_trip(
            patient=self.patient,
            now=NOW,
            destination="JP",
            destination_time_zone="Asia/Tokyo",
            departs_on=date(2027, 3, 20),
            returns_on=date(2027, 5, 10),
            traveller_name="Camille Martin",
            date_of_birth=date(1985, 6, 14),
            passport_number="19AB12345",
        )
        self.patient_client = Client()
        self.patient_client.force_login(self.patient)
        self.clinician_client = sign_in(Client(), self.clinician)

    def url(self, name: str, *args) -> str:
        return url_in(self.language, name, *args)


@pytest.fixture
def content(real_content):
    """The articles and glossary as `make run` loads them (tests/conftest.py's `real_content`:
    through the loader once, then its rows inserted again, 0.3 s less a test)."""


# --- Pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("inn", INNS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_therapy_pages_show_no_editorial_marker(content, language, inn):
    world = World(inn=inn, language=language)
    anonymous = Client()
    pages = {}
    for who, client in (("anonymous", anonymous), ("patient", world.patient_client)):
        pages[f"{who} catalogue"] = get_text(client, world.url("therapies:list"))
        pages[f"{who} {inn} page"] = get_text(client, world.url("therapies:detail", inn))
    assert_no_markers(pages)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_articles_and_the_glossary_show_no_editorial_marker(client, content, language):
    slugs = list(
        Article.objects.published(language).order_by("order").values_list("slug", flat=True)
    )
    assert len(slugs) >= 23
    pages = {
        "article list": get_text(client, url_in(language, "content:articles")),
        "glossary": get_text(client, url_in(language, "content:glossary")),
    }
    for slug in slugs:
        pages[slug] = get_text(client, url_in(language, "content:article", slug))
    assert_no_markers(pages)


@pytest.mark.parametrize("inn", INNS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_checklists_show_no_editorial_marker_to_the_patient_or_the_specialist(
    content, language, inn
):
    world = World(inn=inn, language=language)
    pk = world.checklist.pk
    assert_no_markers(
        {
            "patient: list": get_text(world.patient_client, world.url("patients:checklists")),
            "patient: checklist": get_text(
                world.patient_client, world.url("patients:checklist", pk)
            ),
            "patient: print": get_text(
                world.patient_client, world.url("patients:checklist_print", pk)
            ),
            "clinician: checklist": get_text(
                world.clinician_client, world.url("patients:clinic_checklist", pk)
            ),
            "clinician: print": get_text(
                world.clinician_client, world.url("patients:clinic_print", pk)
            ),
        }
    )


@pytest.mark.parametrize("inn", INNS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_dashboards_show_no_editorial_marker(content, language, inn):
    world = World(inn=inn, language=language)
    assert_no_markers(
        {
            "patient dashboard": get_text(world.patient_client, world.url("patients:dashboard")),
            "treatment history": get_text(
                world.patient_client, world.url("patients:history", world.treatment.pk)
            ),
            "clinic dashboard": get_text(world.clinician_client, world.url("patients:clinic")),
            "clinic patient": get_text(
                world.clinician_client, world.url("patients:clinic_patient", world.patient.pk)
            ),
        }
    )


@pytest.mark.parametrize("inn", INNS)
def test_the_travel_letters_show_no_editorial_marker(content, inn):
    """Letters are in English whatever the app's language; the pages around them are not."""
    world = World(inn=inn, language="fr")
    trip = world.trip.pk
    pages = {}
    for language in LANGUAGES:
        world.language = language
        pages[f"{language} trip page"] = get_text(
            world.patient_client, world.url("patients:trip", trip)
        )
        for kind in ("certificate", "prescription"):
            pages[f"{language} {kind}"] = get_text(
                world.patient_client, world.url("patients:letter", trip, kind)
            )
            pages[f"{language} {kind} (specialist)"] = get_text(
                world.clinician_client, world.url("patients:clinic_letter", trip, kind)
            )
    for kind in ("certificate", "prescription"):
        pages[f"{kind} PDF"] = get_text(
            world.patient_client, world.url("patients:letter_pdf", trip, kind)
        )
    assert_no_markers(pages)


# --- Every stored text, field by field ---------------------------------------------------------

# What the pages above show comes from these rows. Walking every text field of every row catches a
# note in a text no page happened to render (a checklist item of a class, a regimen's weight note,
# a glossary entry, the source of a caution), in both languages.
STORED_TEXTS = (Drug, Regimen, StorageRule, Caution, ChecklistTemplateItem, Article, GlossaryTerm)
# Not text a reader gets: identifiers, choices, hashes, and links (their address, never shown).
NOT_READ = {"inn", "slug", "key", "content_hash", "language", "kind", "section", "url", "via"}


def strings_in(value, key: str = "") -> list[str]:
    """Every string in a field's value, JSON included, without the keys in NOT_READ."""
    if key in NOT_READ:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for name, item in value.items() for text in strings_in(item, name)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in strings_in(item, key)]
    return []


def stored_texts() -> dict[str, str]:
    texts = {}
    for model in STORED_TEXTS:
        fields = [
            field
            for field in model._meta.concrete_fields
            if field.get_internal_type() in ("CharField", "TextField", "JSONField")
            and not field.choices
            and field.name not in NOT_READ
            and field.name != "body_html"  # read as body_text, its plain text
        ]
        for row in model.objects.all():
            for field in fields:
                for n, text in enumerate(strings_in(getattr(row, field.name))):
                    texts[f"{model.__name__} {row}: {field.name}[{n}]"] = text
    return texts


def test_no_stored_text_of_the_catalogue_checklists_articles_or_glossary_holds_a_marker(content):
    texts = stored_texts()
    # Every kind of row is there: the walk cannot pass on an empty database.
    for model in STORED_TEXTS:
        assert any(where.startswith(f"{model.__name__} ") for where in texts), model.__name__
    assert (
        Article.objects.filter(language="fr").count()
        == Article.objects.filter(language="en").count()
    )
    assert_no_markers(texts)


def test_the_walk_finds_a_marker_left_in_a_checklist_item(content):
    item = ChecklistTemplateItem.objects.order_by("pk").first()
    item.explanation_en += " Contraception 17 weeks [S12]."
    item.save()
    with pytest.raises(AssertionError, match=r"\[S12\]"):
        assert_no_markers(stored_texts())


# --- E-mails -----------------------------------------------------------------------------------


def reminder_of(world: World, kind: str) -> Reminder:
    """A realistic reminder row of `kind`, as the scan writes it."""
    subject: dict = {"treatment": world.treatment}
    about = world.treatment.next_dose_on
    if kind in (Kind.CHECKLIST_SHARED, Kind.CHECKLIST_OPEN):
        subject = {"checklist": world.checklist}
        about = None
    elif kind == Kind.TRIP_SOON:
        subject = {"trip": world.trip}
        about = world.trip.departs_on
    return Reminder.objects.create(
        patient=world.patient,
        kind=kind,
        occurrence=f"marker-test-{kind}",
        channel=Channel.EMAIL,
        due_at=timezone.now(),
        dose_number=world.treatment.next_dose_number if "treatment" in subject else None,
        about_date=about,
        **subject,
    )


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reminder_email_shows_no_editorial_marker(content, language, kind):
    pages = {}
    for inn in INNS:
        world = World(inn=inn, language=language)
        reminder = reminder_of(world, kind)
        mail.outbox = []
        with translation.override(language):
            send_templated_email(
                to=world.patient.email,
                name=KINDS[kind].template,
                context=email_context(reminder, today=date(2027, 1, 12)),
            )
        (message,) = mail.outbox
        (html, _mime) = message.alternatives[0]
        pages[f"{inn}: subject"] = message.subject
        pages[f"{inn}: text"] = message.body
        pages[f"{inn}: html"] = readable(html)
    assert len(pages) == 3 * len(INNS)
    assert_no_markers(pages)


# --- The test's own honesty ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Source : guselkumab.toml",
        "Reference therapies.md",
        "24 h at 25 °C [verify]",
        "Seed 002_c6efaadeb6934ea4.txt",
        "seed 001 (Mode d'action)",
        "label not checked",
        "Durée non vérifiée",
        "unverified",
        "TODO: source",
        "see reference/screening",
        "verify: EU SmPC",
        "(à vérifier)",
        "We have not checked this figure against the official label yet",
        "Nous n’avons pas encore vérifié ce chiffre",
        "no live vaccine for 6 months [S21]",
        "Stelara 15 wk [S20][S48]",
        "as the reference says [ref]",
        "FIXME wording",
        "Reviewer: check the 17 weeks",
        "Note de relecture : chiffre du RCP",
        "Durée de contraception — à vérifier.",
        "17 weeks ❓",
        "17 weeks (?)",
    ],
)
def test_the_markers_are_caught(text):
    assert markers_in(f"Some page text. {text}. More text.")


@pytest.mark.parametrize(
    "text",
    [
        "Verify this letter at https://example.org/verify/abc/",
        "Vérifiez la notice de votre médicament.",
        "Ces rendez-vous servent à vérifier deux choses. À préparer et à vérifier",
        "The specialist verified this item.",
        "Résumé des caractéristiques du produit, rubrique 4.4",
        "Le médecin prend le temps de tout vérifier avec vous.",
        "Reviewed on 2 December 2026. Relu le 2 décembre 2026.",
        "Numéro de lot : XXY123. Section [4.4].",
    ],
)
def test_ordinary_words_are_not_markers(text):
    assert not markers_in(text)


def test_readable_text_keeps_alternatives_and_drops_urls_and_scripts():
    html = '<a href="/clinic/items/3/verify/">Done</a><img alt="Figure.txt"><script>TODO()</script>'
    assert readable(html) == "Done Figure.txt"
