"""Load therapies/catalogue/*.toml into the database, idempotently.

Every file is parsed and validated before anything is written; then, in one transaction, each row is
created, updated only where a field differs, or left alone. Running the loader twice writes nothing
the second time.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from therapies import dosing
from therapies.models import (
    Caution,
    ChecklistTemplate,
    ChecklistTemplateItem,
    CompletedBy,
    DeviceKind,
    Drug,
    DrugClass,
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
    "missed_dose",
    "regimens",
    "storage",
    "cautions",
}
REGIMEN_KEYS = {
    "name",
    "default",
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
    "source",
}
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


def _source(where: str, data: dict[str, Any]) -> str:
    source = str(data.get("source", "")).strip()
    if not source:
        raise CatalogueError(f"{where}: every fact needs a source")
    return source


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

    missed = data.get("missed_dose") or {}
    if missed.get("rule") not in {rule.value for rule in dosing.MissedDoseRule}:
        raise CatalogueError(f"{where}: unknown missed_dose rule {missed.get('rule')!r}")

    target = data.get("target")
    # A target written once (IL-23 (p19)) reads the same in both languages.
    target = _text(
        f"{where} target",
        target if isinstance(target, dict) else {"fr": target or "", "en": target or ""},
    )
    devices_note = _text(f"{where} devices_note", data.get("devices_note"), required=False)
    how = _text(f"{where} how_it_works", data.get("how_it_works"))
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
        "missed_dose_from_label": bool(missed.get("from_label", False)),
        "missed_dose_source": _source(f"{where} missed_dose", missed),
        "sources": [{"label": s["label"], "url": s.get("url", "")} for s in data["sources"]],
    }
    return {
        "inn": data["inn"],
        "drug": drug,
        "regimens": _parse_regimens(where, data.get("regimens") or []),
        "storage": _parse_storage(where, data.get("storage")),
        "cautions": [
            {
                "position": position,
                "text_fr": _text(f"{where} caution {position}", c.get("text"))["fr"],
                "text_en": _text(f"{where} caution {position}", c.get("text"))["en"],
                "source": _source(f"{where} caution {position}", c),
            }
            for position, c in enumerate(data.get("cautions") or [])
        ],
    }


def _parse_regimens(where: str, regimens: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not regimens:
        raise CatalogueError(f"{where}: at least one regimen is required")
    if sum(bool(r.get("default")) for r in regimens) != 1:
        raise CatalogueError(f"{where}: exactly one regimen must have default = true")
    rows = []
    for position, regimen in enumerate(regimens):
        here = f"{where} regimen {regimen.get('name')!r}"
        _check_keys(here, regimen, REGIMEN_KEYS)
        maintenance = regimen.get("maintenance") or {}
        label = _text(f"{here} label", regimen.get("label"))
        weight = _text(f"{here} weight_note", regimen.get("weight_note"), required=False)
        row = {
            "name": regimen["name"],
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
            "source": _source(here, regimen),
        }
        try:
            Regimen(**row).spec()  # the dosing module's own checks
        except (ValueError, TypeError) as error:
            raise CatalogueError(f"{here}: {error}") from error
        rows.append(row)
    if len({r["name"] for r in rows}) != len(rows):
        raise CatalogueError(f"{where}: regimen names must be unique")
    return rows


def _parse_storage(where: str, storage: dict[str, Any] | None) -> dict[str, Any]:
    if storage is None:
        raise CatalogueError(f"{where}: a [storage] table is required (verified = false is fine)")
    _check_keys(f"{where} storage", storage, STORAGE_KEYS)
    verified = bool(storage.get("verified", False))
    if not verified and FIGURE_KEYS & set(storage) - {"back_in_fridge"}:
        raise CatalogueError(f"{where} storage: an unverified rule carries no figure")
    hours = storage.get("max_hours")
    if storage.get("max_days") is not None:
        hours = int(storage["max_days"]) * 24
    row = {
        "verified": verified,
        "max_temp_c": storage.get("max_temp_c") if verified else None,
        "max_hours": hours if verified else None,
        "period": storage.get("period", "") if verified else "",
        "back_in_fridge": storage.get("back_in_fridge") if verified else None,
        "source": _source(f"{where} storage", storage),
    }
    if verified and (row["max_temp_c"] is None or row["max_hours"] is None):
        raise CatalogueError(f"{where} storage: a verified rule needs a temperature and a time")
    if row["period"] not in {"", *StoragePeriod.values}:
        raise CatalogueError(f"{where} storage: period must be single or cumulative")
    return row


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

    current = list(drug.cautions.values("position", "text_fr", "text_en", "source"))
    if current != parsed["cautions"]:
        drug.cautions.all().delete()
        Caution.objects.bulk_create(Caution(drug=drug, **row) for row in parsed["cautions"])
        changed = True

    if created:
        return "created"
    return "updated" if changed else "unchanged"


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
    _check_keys(path.name, data, {"items"})
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
            "source": _source(where, item),
            "article": str(item.get("article", "")),
        }
        for drug_class in classes:
            templates[drug_class].append(row)
    for drug_class, rows in templates.items():
        if not rows:
            raise CatalogueError(f"{path.name}: no checklist items for {drug_class}")
    return templates


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
