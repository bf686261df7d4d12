"""Catalogue texts are stored once per language (`how_it_works_fr`, `how_it_works_en`)."""

from django.conf import settings
from django.utils.translation import get_language


class Localized:
    """Descriptor returning `<name>_<active language>`, falling back to the default language."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, objtype: type | None = None) -> str:
        if obj is None:
            return self  # type: ignore[return-value]
        language = (get_language() or settings.LANGUAGE_CODE)[:2]
        value = getattr(obj, f"{self.name}_{language}", "")
        return value or getattr(obj, f"{self.name}_{settings.LANGUAGE_CODE}", "")
