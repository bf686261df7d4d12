"""Load therapies/catalogue/*.toml into the database, idempotently.

Every file is parsed and validated before anything is written; then, in one transaction, each row is
created, updated only where a field differs, or left alone. Running the loader twice writes nothing
the second time.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction

from therapies import dosing
from therapies.citations import SourceError, citations, parse_source
from therapies.models import (
    Caution,
    ChecklistTemplate,
    ChecklistTemplateItem,
    CompletedBy,
    DeviceKind,
    Drug,
    DrugClass,
    Indication,
    Regimen,
    Route,
    StoragePeriod,
    StorageRule,
)

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"
CHECKLISTS_FILE = CATALOGUE_DIR / "checklists" / "screening.toml"


class CatalogueError(ValueError):
    pass


@dataclass
class LoadReport:
    """Drugs by what happened to them; `checklists` the same for the checklist templates."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    checklists: LoadReport | None = None

    def summary(self) -> str:
        counts = (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged"
        )
        if self.checklists is not None:
            counts += f"; checklist templates: {self.checklists.summary()}"
        return counts


DRUG_KEYS = {
    "inn",
    "brands",
    "target",
    "drug_class",
    "route",
    "device_kinds",
    "devices_per_dose",
    "devices_note",
    "how_it_works",
    "sources",
    "reviewed_on",
    "presentations",
    "indications_without_regimen",
    "missed_dose",
    "regimens",
    "storage",
    "cautions",
}
REGIMEN_KEYS = {
    "name",
    "default",
    "indication",
    "label",
    "weight_note",
    "loading",
    "maintenance",
    "source",
}
STORAGE_KEYS = {
    "verified",
    "max_temp_c",
    "max_days",
    "max_hours",
    "period",
    "back_in_fridge",
    "note",
    "source",
}
PRESENTATION_KEYS = {"key", "kind", "strength_mg", "source", "warm_up"}
WARM_UP_KEYS = {"minutes", "up_to", "source"}
WARM_UP_MAX_MINUTES = 180
FIGURE_KEYS = {"max_temp_c", "max_days", "max_hours", "period", "back_in_fridge"}


def _check_keys(where: str, data: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise CatalogueError(f"{where}: unknown keys {sorted(unknown)}")


def _text(where: str, value: Any, *, required: bool = True) -> dict[str, str]:
    if value is None and not required:
        return {"fr": "", "en": ""}
    if not isinstance(value, dict) or set(value) != {"fr", "en"}:
        raise CatalogueError(f"{where}: expected {{ fr = ..., en = ... }}")
    if required and not (value["fr"].strip() and value["en"].strip()):
        raise CatalogueError(f"{where}: both languages are required")
    return {"fr": value["fr"].strip(), "en": value["en"].strip()}


def _source(where: str, data: dict[str, Any]) -> dict[str, Any]:
    """The fact's source table, validated (see therapies/citations.py)."""
    if not data.get("source"):
        raise CatalogueError(f"{where}: every fact needs a source")
    try:
        return parse_source(where, data["source"])
    except SourceError as error:
        raise CatalogueError(str(error)) from error


def _cited(where: str, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    source = _source(where, data)
    text = citations(source)
    return source, {"source_fr": text["fr"], "source_en": text["en"]}


def parse_drug(path: Path) -> dict[str, Any]:
    """Validate one file and return the rows it describes (plain dicts, no database)."""
    with path.open("rb") as handle:
        try:
            data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise CatalogueError(f"{path.name}: {error}") from error
    where = path.name
    _check_keys(where, data, DRUG_KEYS)
    if data.get("inn") != path.stem:
        raise CatalogueError(f"{where}: inn must match the file name")
    if data.get("drug_class") not in DrugClass.values:
        raise CatalogueError(f"{where}: unknown drug_class {data.get('drug_class')!r}")
    if data.get("route") not in Route.values:
        raise CatalogueError(f"{where}: unknown route {data.get('route')!r}")
    if not data.get("device_kinds") or set(data["device_kinds"]) - set(DeviceKind.values):
        raise CatalogueError(f"{where}: device_kinds must be among {DeviceKind.values}")
    if not data.get("sources") or any(not s.get("label") for s in data["sources"]):
        raise CatalogueError(f"{where}: sources are required, each with a label")

    if not isinstance(data.get("reviewed_on"), date):
        raise CatalogueError(f"{where}: reviewed_on = YYYY-MM-DD (the date of the last review)")

    missed = data.get("missed_dose") or {}
    _check_keys(f"{where} missed_dose", missed, {"rule", "source"})
    if missed.get("rule") not in {rule.value for rule in dosing.MissedDoseRule}:
        raise CatalogueError(f"{where}: unknown missed_dose rule {missed.get('rule')!r}")
    missed_source, missed_cited = _cited(f"{where} missed_dose", missed)

    target = data.get("target")
    # A target written once (IL-23 (p19)) reads the same in both languages.
    target = _text(
        f"{where} target",
        target if isinstance(target, dict) else {"fr": target or "", "en": target or ""},
    )
    devices_note = _text(f"{where} devices_note", data.get("devices_note"), required=False)
    how = _text(f"{where} how_it_works", data.get("how_it_works"))
    presentations, presentation_facts = _parse_presentations(where, data)
    uncovered = [
        _text(f"{where} indications_without_regimen", row)
        for row in data.get("indications_without_regimen") or []
    ]
    drug = {
        "brand_names": list(data["brands"]),
        "target_fr": target["fr"],
        "target_en": target["en"],
        "drug_class": data["drug_class"],
        "route": data["route"],
        "device_kinds": list(data["device_kinds"]),
        "devices_per_dose": int(data["devices_per_dose"]),
        "devices_note_fr": devices_note["fr"],
        "devices_note_en": devices_note["en"],
        "how_it_works_fr": how["fr"],
        "how_it_works_en": how["en"],
        "missed_dose_rule": missed["rule"],
        "missed_dose_source_kind": missed_source["kind"],
        "missed_dose_verified": missed_source["verified"],
        "missed_dose_source_fr": missed_cited["source_fr"],
        "missed_dose_source_en": missed_cited["source_en"],
        "sources": [{"label": s["label"], "url": s.get("url", "")} for s in data["sources"]],
        "presentation_rows": presentations,
        "indications_without_regimen": uncovered,
        "reviewed_on": data["reviewed_on"],
    }
    regimens, regimen_facts = _parse_regimens(where, data.get("regimens") or [])
    storage, storage_fact = _parse_storage(where, data.get("storage"))
    cautions, caution_facts = [], []
    for position, caution in enumerate(data.get("cautions") or []):
        here = f"{where} caution {position}"
        _check_keys(here, caution, {"text", "source"})
        text = _text(here, caution.get("text"))
        source, cited = _cited(here, caution)
        cautions.append(
            {"position": position, "text_fr": text["fr"], "text_en": text["en"], **cited}
        )
        caution_facts.append(_fact("caution", text["en"], source))
    brand = ", ".join(data["brands"])
    facts = [
        *presentation_facts,
        *regimen_facts,
        _fact(
            "missed dose", "Late dose as soon as possible, then the planned dates", missed_source
        ),
        storage_fact,
        *caution_facts,
    ]
    return {
        "inn": data["inn"],
        "brand": brand,
        "reviewed_on": data["reviewed_on"],
        "drug": drug,
        "regimens": regimens,
        "storage": storage,
        "cautions": cautions,
        "facts": facts,
    }


def _fact(topic: str, value: str, source: dict[str, Any]) -> dict[str, Any]:
    """One row of the catalogue report: what is shown, and where it comes from."""
    return {"topic": topic, "value": value, "source": source}


def _parse_presentations(
    where: str, data: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows, facts = [], []
    for item in data.get("presentations") or []:
        here = f"{where} presentation {item.get('key')!r}"
        _check_keys(here, item, PRESENTATION_KEYS)
        if item.get("kind") not in DeviceKind.values:
            raise CatalogueError(f"{here}: kind must be among {DeviceKind.values}")
        strength = item.get("strength_mg")
        if not isinstance(strength, int) or strength < 1:
            raise CatalogueError(f"{here}: strength_mg must be a positive whole number")
        if not re.fullmatch(r"[a-z0-9-]{1,40}", str(item.get("key", ""))):
            raise CatalogueError(f"{here}: the key must be a slug")
        source, cited = _cited(here, item)
        row = {"key": item["key"], "kind": item["kind"], "strength_mg": strength, **cited}
        label = "pen" if item["kind"] == DeviceKind.PEN else "pre-filled syringe"
        facts.append(_fact("presentation", f"{label} {strength} mg", source))
        if "warm_up" in item:
            warm_up, fact = _parse_warm_up(here, item["warm_up"], f"{label} {strength} mg")
            row.update(warm_up)
            facts.append(fact)
        rows.append(row)
    if not rows:
        raise CatalogueError(f"{where}: at least one presentation is required")
    if len({r["key"] for r in rows}) != len(rows):
        raise CatalogueError(f"{where}: presentation keys must be unique")
    if {r["kind"] for r in rows} != set(data["device_kinds"]):
        raise CatalogueError(f"{where}: device_kinds must be the kinds of the presentations")
    return rows, facts


def _parse_warm_up(where: str, data: Any, device: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """How long the label says to leave the device at room temperature before injecting.

    Stored only from a verified EU label: the "get ready" reminder comes that many minutes
    (the lower bound of a range) before the patient's usual injection time. A presentation whose
    label gives no time has no `warm_up`, and no such reminder is offered for it.
    """
    here = f"{where} warm_up"
    if not isinstance(data, dict):
        raise CatalogueError(f"{here}: expected {{ minutes = ..., source = ... }}")
    _check_keys(here, data, WARM_UP_KEYS)
    minutes, up_to = data.get("minutes"), data.get("up_to", data.get("minutes"))
    for value in (minutes, up_to):
        if not isinstance(value, int) or isinstance(value, bool):
            raise CatalogueError(f"{here}: minutes and up_to are whole numbers of minutes")
    if not 1 <= minutes <= up_to <= WARM_UP_MAX_MINUTES:
        raise CatalogueError(
            f"{here}: 1 <= minutes <= up_to <= {WARM_UP_MAX_MINUTES} (minutes is the lower bound)"
        )
    source, cited = _cited(here, data)
    if not (source["verified"] and source["kind"] in ("eu_smpc", "eu_leaflet")):
        raise CatalogueError(f"{here}: only from a verified EU label (SmPC or package leaflet)")
    row = {
        "warm_up_minutes": minutes,
        "warm_up_up_to": up_to,
        "warm_up_source_fr": cited["source_fr"],
        "warm_up_source_en": cited["source_en"],
    }
    span = f"{minutes} minutes" if up_to == minutes else f"{minutes} to {up_to} minutes"
    return row, _fact("time at room temperature before injecting", f"{device}: {span}", source)


def _parse_regimens(
    where: str, regimens: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if not regimens:
        raise CatalogueError(f"{where}: at least one regimen is required")
    if sum(bool(r.get("default")) for r in regimens) != 1:
        raise CatalogueError(f"{where}: exactly one regimen must have default = true")
    rows, facts = [], []
    for position, regimen in enumerate(regimens):
        here = f"{where} regimen {regimen.get('name')!r}"
        _check_keys(here, regimen, REGIMEN_KEYS)
        if regimen.get("indication") not in Indication.values:
            raise CatalogueError(f"{here}: indication must be among {Indication.values}")
        source, cited = _cited(here, regimen)
        maintenance = regimen.get("maintenance") or {}
        label = _text(f"{here} label", regimen.get("label"))
        weight = _text(f"{here} weight_note", regimen.get("weight_note"), required=False)
        row = {
            "name": regimen["name"],
            "indication": regimen["indication"],
            "position": position,
            "is_default": bool(regimen.get("default")),
            "label_fr": label["fr"],
            "label_en": label["en"],
            "weight_note_fr": weight["fr"],
            "weight_note_en": weight["en"],
            "loading": [
                {"week": int(d["week"]), "dose_mg": int(d["dose_mg"]), "devices": int(d["devices"])}
                for d in regimen.get("loading") or []
            ],
            "maintenance_every": int(maintenance.get("every", 0)),
            "maintenance_unit": maintenance.get("unit"),
            "maintenance_dose_mg": int(maintenance.get("dose_mg", 0)),
            "maintenance_devices": int(maintenance.get("devices", 0)),
            "maintenance_start_week": maintenance.get("start_week"),
            **cited,
        }
        try:
            Regimen(**row).spec()  # the dosing module's own checks
        except (ValueError, TypeError) as error:
            raise CatalogueError(f"{here}: {error}") from error
        rows.append(row)
        indication = Indication(row["indication"]).label
        condition = f" ({row['weight_note_en']})" if row["weight_note_en"] else ""
        facts.append(_fact("regimen", f"{indication}: {label['en']}{condition}", source))
    if len({r["name"] for r in rows}) != len(rows):
        raise CatalogueError(f"{where}: regimen names must be unique")
    return rows, facts


def _parse_storage(
    where: str, storage: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    if storage is None:
        raise CatalogueError(f"{where}: a [storage] table is required (verified = false is fine)")
    _check_keys(f"{where} storage", storage, STORAGE_KEYS)
    verified = bool(storage.get("verified", False))
    if not verified and FIGURE_KEYS & set(storage) - {"back_in_fridge"}:
        raise CatalogueError(f"{where} storage: an unverified rule carries no figure")
    hours = storage.get("max_hours")
    if storage.get("max_days") is not None:
        hours = int(storage["max_days"]) * 24
    source, cited = _cited(f"{where} storage", storage)
    if verified and not source["verified"]:
        raise CatalogueError(f"{where} storage: a figure is shown only from a verified source")
    note = _text(f"{where} storage note", storage.get("note"), required=False)
    row = {
        "verified": verified,
        "max_temp_c": storage.get("max_temp_c") if verified else None,
        "max_hours": hours if verified else None,
        "period": storage.get("period", "") if verified else "",
        "back_in_fridge": storage.get("back_in_fridge") if verified else None,
        "note_fr": note["fr"],
        "note_en": note["en"],
        **cited,
    }
    if verified and (row["max_temp_c"] is None or row["max_hours"] is None):
        raise CatalogueError(f"{where} storage: a verified rule needs a temperature and a time")
    if row["period"] not in {"", *StoragePeriod.values}:
        raise CatalogueError(f"{where} storage: period must be single or cumulative")
    if verified:
        hours = row["max_hours"]
        time = f"{hours // 24} days" if hours % 24 == 0 else f"{hours} hours"
        value = f"up to {time} at {row['max_temp_c']} °C or below"
        if row["period"]:
            value += f", {row['period']}"
        if row["back_in_fridge"] is not None:
            value += ", may go back in the fridge" if row["back_in_fridge"] else ", not back"
    else:
        value = "no figure shown: " + (note["en"] or "see the package leaflet")
    return row, _fact("time out of the fridge", value, source)


def _apply(instance: Any, values: dict[str, Any]) -> bool:
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        instance.save(update_fields=changed)
    return bool(changed)


def _sync_drug(parsed: dict[str, Any]) -> str:
    """Write one drug and its rows; return 'created', 'updated' or 'unchanged'."""
    drug, created = Drug.objects.get_or_create(inn=parsed["inn"], defaults=parsed["drug"])
    changed = not created and _apply(drug, parsed["drug"])

    existing = {r.name: r for r in drug.regimens.all()}
    wanted = {row["name"] for row in parsed["regimens"]}
    gone = [r for name, r in existing.items() if name not in wanted]
    if gone:
        # A regimen in use by a treatment is protected by the database (on_delete=PROTECT).
        Regimen.objects.filter(pk__in=[r.pk for r in gone]).delete()
        changed = True
    # Clear the default flag first so the one-default constraint holds during the swap.
    for row in parsed["regimens"]:
        regimen = existing.get(row["name"])
        if regimen and regimen.is_default and not row["is_default"]:
            changed |= _apply(regimen, {"is_default": False})
    for row in parsed["regimens"]:
        regimen = existing.get(row["name"])
        if regimen is None:
            Regimen.objects.create(drug=drug, **row)
            changed = True
        else:
            changed |= _apply(regimen, row)

    storage = StorageRule.objects.filter(drug=drug).first()
    if storage is None:
        StorageRule.objects.create(drug=drug, **parsed["storage"])
        changed = True
    else:
        changed |= _apply(storage, parsed["storage"])

    current = list(drug.cautions.values("position", "text_fr", "text_en", "source_fr", "source_en"))
    if current != parsed["cautions"]:
        drug.cautions.all().delete()
        Caution.objects.bulk_create(Caution(drug=drug, **row) for row in parsed["cautions"])
        changed = True

    if created:
        return "created"
    return "updated" if changed else "unchanged"


def _checklist_source(where: str, item: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Checklist items keep one citation string (copied into each patient's checklist)."""
    source = _source(where, item)
    return source, citations(source)["en"]


ITEM_KEYS = {
    "key",
    "classes",
    "only_for",
    "completed_by",
    "records_date",
    "records_result",
    "label",
    "explanation",
    "source",
    "article",
}
ALL_CLASSES = "all"


def parse_checklists(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The checklist template of every drug class: the items for all classes, then its own."""
    with path.open("rb") as handle:
        try:
            data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise CatalogueError(f"{path.name}: {error}") from error
    _check_keys(path.name, data, {"items", "reviewed_on"})
    templates: dict[str, list[dict[str, Any]]] = {value: [] for value in DrugClass.values}
    seen: set[str] = set()
    for item in data.get("items", []):
        key = str(item.get("key", ""))
        where = f"{path.name} item {key or '?'}"
        _check_keys(where, item, ITEM_KEYS)
        if not re.fullmatch(r"[a-z0-9_]{1,60}", key) or key in seen:
            raise CatalogueError(f"{where}: the key must be a unique slug")
        seen.add(key)
        classes = item.get("classes", [])
        if classes == [ALL_CLASSES]:
            classes = list(DrugClass.values)
        if not classes or not set(classes) <= set(DrugClass.values):
            raise CatalogueError(f"{where}: classes must be ['all'] or drug classes")
        if item.get("completed_by") not in CompletedBy.values:
            raise CatalogueError(f"{where}: completed_by must be patient or clinician")
        label = _text(f"{where} label", item.get("label"))
        explanation = _text(f"{where} explanation", item.get("explanation"))
        if max(len(text) for text in label.values()) > 120:
            raise CatalogueError(f"{where}: a label has 120 characters at most")
        row = {
            "key": key,
            "only_for": list(item.get("only_for", [])),
            "completed_by": item["completed_by"],
            "records_date": bool(item.get("records_date", True)),
            "records_result": bool(item.get("records_result", False)),
            "label_fr": label["fr"],
            "label_en": label["en"],
            "explanation_fr": explanation["fr"],
            "explanation_en": explanation["en"],
            "source": _checklist_source(where, item)[1],
            "article": str(item.get("article", "")),
        }
        for drug_class in classes:
            templates[drug_class].append(row)
    for drug_class, rows in templates.items():
        if not rows:
            raise CatalogueError(f"{path.name}: no checklist items for {drug_class}")
    if not isinstance(data.get("reviewed_on"), date):
        raise CatalogueError(f"{path.name}: reviewed_on = YYYY-MM-DD (the date of the last review)")
    return templates


def checklist_facts(path: Path = CHECKLISTS_FILE) -> tuple[date, list[dict[str, Any]]]:
    """The review date and one report row per checklist item (for `catalogue_report`)."""
    parse_checklists(path)  # validates the whole file first
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    facts = []
    for item in data["items"]:
        where = ", ".join(item["classes"]) + (
            f" ({', '.join(item['only_for'])})" if item.get("only_for") else ""
        )
        value = f"{item['label']['en']} [{where}]"
        facts.append(_fact("checklist item", value, _source(item["key"], item)))
    return data["reviewed_on"], facts


TEMPLATE_ITEM_FIELDS = (
    "key",
    "position",
    "only_for",
    "completed_by",
    "records_date",
    "records_result",
    "label_fr",
    "label_en",
    "explanation_fr",
    "explanation_en",
    "source",
    "article",
)


def _sync_template(drug_class: str, rows: list[dict[str, Any]]) -> str:
    template, created = ChecklistTemplate.objects.get_or_create(drug_class=drug_class)
    wanted = [{**row, "position": position} for position, row in enumerate(rows, start=1)]
    current = list(template.items.order_by("position").values(*TEMPLATE_ITEM_FIELDS))
    if current == [{name: row[name] for name in TEMPLATE_ITEM_FIELDS} for row in wanted]:
        return "unchanged"
    # Checklists already given to patients hold their own copy of each item: nothing points here.
    template.items.all().delete()
    ChecklistTemplateItem.objects.bulk_create(
        ChecklistTemplateItem(template=template, **row) for row in wanted
    )
    return "created" if created else "updated"


def load_catalogue(
    directory: Path = CATALOGUE_DIR, checklists: Path = CHECKLISTS_FILE
) -> LoadReport:
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise CatalogueError(f"No catalogue files in {directory}")
    parsed = [parse_drug(path) for path in files]  # validate everything before writing
    templates = parse_checklists(checklists)
    report = LoadReport(checklists=LoadReport())
    with transaction.atomic():
        for drug in parsed:
            getattr(report, _sync_drug(drug)).append(drug["inn"])
        for drug_class, rows in templates.items():
            getattr(report.checklists, _sync_template(drug_class, rows)).append(drug_class)
    return report
