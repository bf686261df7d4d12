"""Sources of catalogue facts, written once in the TOML files and shown as readable citations.

A fact's `source` is a table:

    source = { kind = "eu_smpc", product = "Tremfya", section = "4.2", verified = true,
               via = "EU SmPC text as published on emc (UK)" }

- kind: eu_smpc | eu_leaflet | manufacturer | non_eu_label | guideline | project_default
- product: the brand (labels), or the company (manufacturer)
- section: the section of the document (SmPC 4.2, leaflet 3, US label 2.3, BAD table S4);
  "instructions for use" for the unnumbered instructions printed after some EU leaflets
- title: the document, for manufacturer, non_eu_label and guideline ("US prescribing information",
  "Menter et al., Joint AAD-NPF guidelines, J Am Acad Dermatol", ...); year where known
- verified: true when the text of that document (or a faithful copy of it) was read and says it
- via: where the text was read when it was not the EMA document itself (shown in the report only)

Pages and e-mails show `citation(...)` in the reader's language; `manage.py catalogue_report`
lists every fact with its kind, section and verified flag.
"""

from __future__ import annotations

from typing import Any

KINDS = ("eu_smpc", "eu_leaflet", "manufacturer", "non_eu_label", "guideline", "project_default")
SOURCE_KEYS = {"kind", "product", "section", "title", "year", "verified", "via"}


class SourceError(ValueError):
    pass


def parse_source(where: str, value: Any) -> dict[str, Any]:
    """Validate a source table and return it normalised (strings stripped, flags as booleans)."""
    if not isinstance(value, dict):
        raise SourceError(f"{where}: every fact needs a source table (kind, product, section…)")
    unknown = set(value) - SOURCE_KEYS
    if unknown:
        raise SourceError(f"{where}: unknown source keys {sorted(unknown)}")
    kind = value.get("kind")
    if kind not in KINDS:
        raise SourceError(f"{where}: source kind must be one of {', '.join(KINDS)}")
    source = {
        "kind": kind,
        "product": str(value.get("product", "")).strip(),
        "section": str(value.get("section", "")).strip(),
        "title": str(value.get("title", "")).strip(),
        "year": str(value.get("year", "")).strip(),
        "verified": bool(value.get("verified", False)),
        "via": str(value.get("via", "")).strip(),
    }
    if kind in ("eu_smpc", "eu_leaflet") and not (source["product"] and source["section"]):
        raise SourceError(f"{where}: an EU label source names the product and the section")
    if kind in ("manufacturer", "non_eu_label", "guideline") and not source["title"]:
        raise SourceError(f"{where}: a {kind} source needs a title")
    if kind == "project_default" and source["verified"]:
        raise SourceError(f"{where}: the project's default rule is not a verified label fact")
    return source


# Parts of a document that have a name rather than a number, in the reader's language.
NAMED_SECTIONS = {
    "instructions for use": {"fr": "instructions d'utilisation", "en": "instructions for use"},
}


def _section(source: dict[str, Any], language: str) -> str:
    if not source["section"]:
        return ""
    named = NAMED_SECTIONS.get(source["section"].lower())
    if named:
        return f", {named['fr' if language == 'fr' else 'en']}"
    word = "rubrique" if language == "fr" else "section"
    return f", {word} {source['section']}"


def _year(source: dict[str, Any]) -> str:
    return f" ({source['year']})" if source["year"] else ""


def citation(source: dict[str, Any], language: str) -> str:
    """The source as a reader sees it: product, document, section; guideline, year."""
    kind, product = source["kind"], source["product"]
    fr = language == "fr"
    if kind == "eu_smpc":
        document = "RCP européen" if fr else "EU SmPC"
        return f"{product}, {document}{_section(source, language)}{_year(source)}"
    if kind == "eu_leaflet":
        document = "notice européenne" if fr else "EU package leaflet"
        return f"{product}, {document}{_section(source, language)}{_year(source)}"
    if kind == "manufacturer":
        prefix = "Information du laboratoire" if fr else "Manufacturer's information"
        who = f"{product}, " if product else ""
        sep = " : " if fr else ": "
        return f"{prefix}{sep}{who}{source['title']}{_section(source, language)}{_year(source)}"
    if kind == "non_eu_label":
        prefix = "Notice hors Union européenne" if fr else "Label used outside the EU"
        who = f"{product}, " if product else ""
        sep = " : " if fr else ": "
        return f"{prefix}{sep}{who}{source['title']}{_section(source, language)}{_year(source)}"
    if kind == "guideline":
        return f"{source['title']}{_section(source, language)}{_year(source)}"
    # project_default
    if fr:
        return (
            "Règle par défaut d'Interleukin Care (pas dans la notice) : "
            "demandez à votre spécialiste"
        )
    return "Interleukin Care's default rule (not in the label): ask your specialist"


def citations(source: dict[str, Any]) -> dict[str, str]:
    return {"fr": citation(source, "fr"), "en": citation(source, "en")}
