"""The French catalogue is complete and the committed .mo matches it (no gettext needed in CI)."""

import ast
import gettext
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "fr" / "LC_MESSAGES"


def parse_po(path: Path) -> list[dict]:
    """A small reader for the .po files makemessages writes: entries with flags and strings."""
    entries, entry, key = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if entry:
                entries.append(entry)
            entry, key = None, None
            continue
        entry = entry or {"flags": "", "msgid": "", "msgid_plural": None, "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(key, int):
                entry["msgstr"][key] += value
            else:
                entry[key] += value
        else:
            word, _, literal = line.partition(" ")
            value = ast.literal_eval(literal)
            if word.startswith("msgstr["):
                key = int(word[7:-1])
                entry["msgstr"][key] = value
            elif word == "msgstr":
                key = 0
                entry["msgstr"][0] = value
            else:
                key = word
                entry[key] = value
    return [e for e in entries if e["msgid"]]


def test_every_french_message_is_translated_and_none_is_fuzzy():
    entries = parse_po(LOCALE / "django.po")
    assert len(entries) > 200
    missing = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert missing == [] and fuzzy == []


def test_the_compiled_catalogue_matches_the_po_file():
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in parse_po(LOCALE / "django.po"):
        context = entry.get("msgctxt")  # {% translate "left" context "side of the body" %}
        if entry["msgid_plural"] and context:
            got = compiled.npgettext(context, entry["msgid"], entry["msgid_plural"], 1)
        elif entry["msgid_plural"]:
            got = compiled.ngettext(entry["msgid"], entry["msgid_plural"], 1)
        elif context:
            got = compiled.pgettext(context, entry["msgid"])
        else:
            got = compiled.gettext(entry["msgid"])
        if got != entry["msgstr"][0]:
            stale.append(entry["msgid"])
    assert stale == [], "run `make messages` (compilemessages) and commit the .mo"
