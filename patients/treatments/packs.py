"""Packs: the GS1 DataMatrix of a box read into batch, expiry and product code (issue 22), the
devices each pack has left, and the packs that expire before the dose they are planned for.

Pure reads: parsing an element string (`biip`), decoding a photo (`zxing-cpp`), and arithmetic on
packs and doses already read. Nothing here writes; the photo is decoded in memory and dropped.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import biip
import zxingcpp
from biip.gs1_messages import GS1Message
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from therapies import dosing

GROUP_SEPARATOR = "\x1d"
MAX_CODE_LENGTH = 200  # a pharmaceutical DataMatrix holds four short fields
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000  # a 48-megapixel phone photo is refused before it is decoded
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP"}


class CodeError(ValueError):
    """The code cannot be read as a pack's GS1 element string; the message says why."""


@dataclass(frozen=True)
class PackCode:
    """What a box's code says: the product code (01), batch (10), expiry (17). The serial (21)
    is checked by the parser but not kept."""

    gtin: str
    batch: str
    expires_on: date | None
    expiry_value: str = ""  # YYMMDD as printed (day 00: the end of the month)

    @property
    def hri(self) -> str:
        """The human-readable form, "(01)…(17)…(10)…", which the form reads back."""
        text = f"(01){self.gtin}"
        if self.expiry_value:
            text += f"(17){self.expiry_value}"
        if self.batch:
            text += f"(10){self.batch}"
        return text


def parse_pack_code(raw: str) -> PackCode:
    """Parse a GS1 element string, raw (FNC1 as the group separator, or a symbology prefix
    such as "]d2") or written with parentheses: "(01)…(17)…(10)…". An expiry day 00 means the
    last day of that month (biip reads it so). Raises CodeError with a message for the patient."""
    text = (raw or "").strip().replace("<GS>", GROUP_SEPARATOR)
    if not text:
        raise CodeError(_("The code is empty."))
    if len(text) > MAX_CODE_LENGTH:
        raise CodeError(_("This code is too long to be the code of a medicine box."))
    if "\x00" in text:
        raise CodeError(_("This code is not a GS1 code of a medicine box."))
    if text.startswith("("):
        try:
            message = GS1Message.parse_hri(text)
        except biip.ParseError as error:
            raise CodeError(_explain(str(error))) from None
    else:
        result = biip.parse(text)
        message = result.gs1_message
        if message is None:
            raise CodeError(_explain(result.gs1_message_error or ""))
    fields = {}
    for element in message.element_strings:
        ai = element.ai.ai
        if ai == "01" and element.gtin_error:
            raise CodeError(
                _("The product code %(code)s has a wrong check digit: the code was misread.")
                % {"code": element.value}
            )
        if ai == "17" and element.date is None:
            raise CodeError(_("The expiry date in this code is not a real date."))
        fields[ai] = element
    if "01" not in fields:
        raise CodeError(_("This GS1 code has no product code (01): it is not a medicine box's."))
    if "10" not in fields and "17" not in fields:
        raise CodeError(_("This code holds neither a batch nor an expiry date."))
    return PackCode(
        gtin=fields["01"].value,
        batch=fields["10"].value if "10" in fields else "",
        expires_on=fields["17"].date if "17" in fields else None,
        expiry_value=fields["17"].value if "17" in fields else "",
    )


def _explain(error: str) -> str:
    if "date" in error or "(17)" in error:
        return _("The expiry date in this code is not a real date.")
    if "check digit" in error:
        return _("A check digit in this code is wrong: the code was misread.")
    return _("This code is not a GS1 code of a medicine box.")


def decode_photo(data: bytes) -> str:
    """The text of the first DataMatrix (or other GS1 code) in a photo, decoded in memory.
    Raises CodeError when the file is not an image or holds no code."""
    if len(data) > MAX_PHOTO_BYTES:
        raise CodeError(_("This photo is too large (8 MB at most)."))
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in PHOTO_FORMATS:
                raise CodeError(_("This file is not a photo (JPEG, PNG, WebP, GIF or BMP)."))
            if image.width * image.height > MAX_PHOTO_PIXELS:
                raise CodeError(_("This photo has too many pixels."))
            image.load()
            grey = image.convert("L")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise CodeError(_("This file is not a photo (JPEG, PNG, WebP, GIF or BMP).")) from None
    formats = zxingcpp.BarcodeFormat.DataMatrix
    for barcode in zxingcpp.read_barcodes(grey, formats=formats, text_mode=zxingcpp.TextMode.Plain):
        if barcode.text:
            return barcode.text
    raise CodeError(
        _("No code was found in this photo. Take it closer, in good light, or type the batch.")
    )


def batch_of_dose(injection) -> tuple[str, date | None]:
    """The batch recorded with a dose, and its expiry date: the pack's, unless the patient
    typed another batch than the pack's (then the expiry is not known). The injection's pack
    should be read with it (select_related)."""
    pack = injection.pack
    expires_on = None
    if pack is not None and pack.batch == injection.lot_number:
        expires_on = pack.expires_on
    return injection.lot_number, expires_on


# Stock: what each pack has left.


@dataclass(frozen=True)
class PackLeft:
    pack: object  # a StockDelivery
    left: int
    expired: bool


def is_expired(expires_on: date | None, today: date) -> bool:
    """A pack may be used up to and including its expiry date."""
    return expires_on is not None and expires_on < today


def pack_balances(
    packs: Iterable, injections: Iterable, *, today: date
) -> tuple[list[PackLeft], int]:
    """Each pack's devices left, and the devices used that no pack covers (a shortfall).

    A dose logged with its pack draws on that pack; a dose logged without one (or more than its
    pack held) draws on the packs in the order they were received, as the count did before packs.
    """
    packs = sorted(packs, key=lambda p: (p.received_on, p.pk))
    left = {p.pk: p.devices for p in packs}
    unplaced = 0
    for injection in injections:
        if injection.pack_id in left:
            left[injection.pack_id] -= injection.devices_used
        else:
            unplaced += injection.devices_used
    for pack in packs:  # a pack used beyond its devices: the excess came from elsewhere
        if left[pack.pk] < 0:
            unplaced += -left[pack.pk]
            left[pack.pk] = 0
    for pack in packs:
        taken = min(left[pack.pk], unplaced)
        left[pack.pk] -= taken
        unplaced -= taken
    balances = [PackLeft(p, left[p.pk], is_expired(p.expires_on, today)) for p in packs]
    return balances, unplaced


def devices_left(packs: Sequence, injections: Iterable, *, today: date) -> int | None:
    """Devices left in the packs not expired, less any shortfall; None without any pack."""
    if not packs:
        return None
    balances, shortfall = pack_balances(packs, injections, today=today)
    return sum(b.left for b in balances if not b.expired) - shortfall


def first_to_expire(balances: Sequence[PackLeft]) -> list[PackLeft]:
    """Usable packs, the one that expires first first (undated packs last, oldest first)."""
    usable = [b for b in balances if not b.expired and b.left > 0]
    return sorted(
        usable,
        key=lambda b: (
            b.pack.expires_on is None,
            b.pack.expires_on or date.max,
            b.pack.received_on,
        ),
    )


@dataclass(frozen=True)
class ExpiryWarning:
    pack: object  # a StockDelivery
    left: int
    dose: dosing.PlannedDose | None  # None: already expired

    @property
    def occurrence(self) -> str:
        return f"pack-{self.pack.pk}-{self.pack.expires_on}"


def expiry_warnings(
    balances: Sequence[PackLeft], upcoming: Sequence[dosing.PlannedDose]
) -> list[ExpiryWarning]:
    """Packs with devices left that have expired, and packs that, used first-to-expire-first
    by the doses ahead, would be used for a dose planned after their expiry date."""
    warnings = [ExpiryWarning(b.pack, b.left, None) for b in balances if b.expired and b.left > 0]
    queue = [[b.pack, b.left] for b in first_to_expire(balances)]
    flagged: set[int] = set()
    for dose in upcoming:
        need = dose.devices
        while need and queue:
            pack, left = queue[0]
            taken = min(need, left)
            need -= taken
            queue[0][1] -= taken
            if pack.expires_on and pack.expires_on < dose.date and pack.pk not in flagged:
                flagged.add(pack.pk)
                warnings.append(ExpiryWarning(pack, left, dose))
            if queue[0][1] == 0:
                queue.pop(0)
        if not queue:
            break
    return warnings


@dataclass(frozen=True)
class PackCarried:
    pack: object  # a StockDelivery
    devices: int


def packs_to_carry(
    balances: Sequence[PackLeft],
    *,
    doses_before: Sequence[dosing.PlannedDose],
    devices: int,
    until: date,
) -> list[PackCarried]:
    """The packs a trip's `devices` come from, first to expire first: the doses planned before
    departure use theirs up first; a pack that expires before `until` (the return) stays home.
    Fewer devices than asked when the stock does not cover them."""
    queue = [[b.pack, b.left] for b in first_to_expire(balances)]
    need = sum(d.devices for d in doses_before)
    for item in queue:
        taken = min(need, item[1])
        item[1] -= taken
        need -= taken
    carried = []
    for pack, left in queue:
        if devices <= 0:
            break
        if left <= 0 or (pack.expires_on is not None and pack.expires_on < until):
            continue
        taken = min(devices, left)
        carried.append(PackCarried(pack, taken))
        devices -= taken
    return carried
