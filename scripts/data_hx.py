#!/usr/bin/env python3
"""Rename bare htmx attributes (`hx-get=`, `hx-target=`...) to their valid form (`data-hx-get=`...).

htmx 2 reads both spellings; only `data-hx-*` is valid HTML (the Nu Html Checker rejects `hx-*`).
Idempotent: an attribute already written `data-hx-*` is left alone, so the script can be re-run
after merging branches.
Usage: `python scripts/data_hx.py [--check] [PATH...]` (default: templates/).
With --check it changes nothing and exits 1 if a bare attribute is left.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# An attribute name starts after whitespace; `data-hx-get` is preceded by "-" and never matches.
BARE_HX = re.compile(r"(?<=\s)hx-([a-z][a-z0-9-]*)(?=\s*=)")


def rename(text: str) -> str:
    return BARE_HX.sub(r"data-hx-\1", text)


def files(paths: list[str]) -> list[Path]:
    roots = [Path(p) for p in paths] or [ROOT / "templates"]
    found: list[Path] = []
    for root in roots:
        found.extend(sorted(root.rglob("*.html")) if root.is_dir() else [root])
    return found


def main(argv: list[str]) -> int:
    check = "--check" in argv
    changed = []
    for path in files([a for a in argv if a != "--check"]):
        text = path.read_text(encoding="utf-8")
        new = rename(text)
        if new != text:
            changed.append(path)
            if not check:
                path.write_text(new, encoding="utf-8")
    for path in changed:
        print(("bare hx- attribute in " if check else "renamed in ") + str(path))
    return 1 if (check and changed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
