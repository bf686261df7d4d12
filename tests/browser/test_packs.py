"""Scanning a box in Chromium (issue 22). The camera is Chromium's fake capture device playing a
video of a DataMatrix written by zxing-cpp; Debian's Chromium has no BarcodeDetector, so the
decoder served from static/vendor (@zxing/library) reads it. The patient receives a box, scans
it, logs a dose, and the history shows the batch; axe finds nothing in French and English, and
without JavaScript the batch and expiry are typed."""

from datetime import date, timedelta
from pathlib import Path

import pytest
import zxingcpp
from django.test import Client
from django.utils import formats, translation
from PIL import Image
from playwright.sync_api import expect

from patients import timeutils
from patients.models import Injection, StockDelivery
from tests.support.browser import CHROMIUM_ARGS, check_page, login_with_session, new_context
from tests.support.services import chromium_path

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
CODE = "(01)05000456013482(17)300300(10)SCAN42(21)SER9"  # expiry March 2030 (day 00: the 31st)


def url_for(live_server, language: str, path: str) -> str:
    return f"{live_server.url}{'' if language == 'fr' else '/' + language}{path}"


def write_y4m(path: Path, content: str, *, width=640, height=480, frames=10) -> None:
    """A few identical 4:2:0 frames of the code, centred on white, as Chromium's fake camera
    reads them (--use-file-for-fake-video-capture)."""
    barcode = zxingcpp.create_barcode(content, zxingcpp.BarcodeFormat.DataMatrix)
    pixels = memoryview(barcode.to_image(scale=8))
    code = Image.frombytes("L", (pixels.shape[1], pixels.shape[0]), pixels.tobytes())
    frame = Image.new("L", (width, height), 255)
    frame.paste(code, ((width - code.width) // 2, (height - code.height) // 2))
    y, cb, cr = frame.convert("RGB").convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + planes)


@pytest.fixture
def camera_browser(tmp_path, playwright_driver):
    video = tmp_path / "box.y4m"
    write_y4m(video, CODE)
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    browser = playwright_driver.chromium.launch(executable_path=chromium_path(), args=args)
    yield browser
    browser.close()


def in_words(day, language: str) -> str:
    with translation.override(language):
        return formats.date_format(day, "l j F Y")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_box_scanned_by_the_camera_then_a_dose_logged_shows_its_batch(
    live_server, camera_browser, care_data, console_errors, language
):
    patient, treatment = care_data["patient"], care_data["treatment"]
    phone = new_context(camera_browser, viewport=PHONE, is_mobile=True, has_touch=True)
    phone.set_default_timeout(30_000)
    phone.grant_permissions(["camera"], origin=live_server.url)
    page = phone.new_page()
    console_errors.watch(page)
    login_with_session(phone, Client(), live_server, patient)
    page.goto(url_for(live_server, language, f"/treatments/{treatment.pk}/stock/"))
    assert page.locator("[data-scanner]").is_visible()  # JavaScript and a camera: shown
    check_page(page, console_errors, language=language)

    page.locator("[data-scanner-start]").click()
    # The scanner fills the code and submits "Read the code": the server fills batch and expiry.
    expect(page.locator("[name=batch]")).to_have_value("SCAN42", timeout=30_000)
    assert page.locator("[name=expires_on]").input_value() == "2030-03-31"
    assert not StockDelivery.objects.filter(batch="SCAN42").exists()  # read, not saved
    check_page(page, console_errors, language=language)
    page.fill("[name=devices]", "2")
    page.locator("button[name=action][value=add]").click()
    page.wait_for_url("**/dashboard/")
    pack = StockDelivery.objects.get(batch="SCAN42")
    assert (pack.gtin, pack.devices, pack.expires_on) == ("05000456013482", 2, date(2030, 3, 31))

    # Dose 2 was planned four weeks ago (care_data): logged today, the pack that expires first
    # is suggested (the old pack has no date, so this one) and the late date is confirmed in words.
    page.goto(url_for(live_server, language, f"/treatments/{treatment.pk}/injections/new/"))
    assert page.locator("[name=pack]").input_value() == str(pack.pk)
    check_page(page, console_errors, language=language)
    page.locator("form.injection-form button[type=submit]").click()
    confirm = page.locator("main form.dose-confirm")
    expect(confirm).to_be_visible()
    today = timeutils.local_today(patient.zone)
    expect(confirm).to_contain_text(in_words(today, language))
    planned = treatment.first_dose_on + timedelta(weeks=4)
    expect(confirm).to_contain_text(in_words(planned, language))
    assert not Injection.objects.filter(pack=pack).exists()  # asked, not saved
    check_page(page, console_errors, language=language)
    confirm.locator("button[name=confirm]").click()
    page.wait_for_url("**/dashboard/")
    injection = Injection.objects.get(pack=pack)
    assert (injection.dose_number, injection.taken_on) == (2, today)
    assert injection.lot_number == "SCAN42"
    assert StockDelivery.objects.get(pk=pack.pk).devices == 2  # the pack is what it was

    page.goto(url_for(live_server, language, f"/treatments/{treatment.pk}/history/"))
    expect(page.locator("table.history td", has_text="SCAN42")).to_have_count(1)
    check_page(page, console_errors, language=language)
    phone.close()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_without_javascript_the_batch_and_expiry_are_typed(
    live_server, nojs_context, care_data, language
):
    patient, treatment = care_data["patient"], care_data["treatment"]
    login_with_session(nojs_context, Client(), live_server, patient)
    page = nojs_context.new_page()
    page.goto(url_for(live_server, language, f"/treatments/{treatment.pk}/stock/"))
    assert not page.locator("[data-scanner]").is_visible()
    page.fill("[name=batch]", "TYPED1")
    page.fill("[name=expires_on]", "2030-01-31")
    page.fill("[name=devices]", "1")
    page.locator("button[name=action][value=add]").click()
    page.wait_for_url("**/dashboard/")
    assert StockDelivery.objects.filter(batch="TYPED1", devices=1).exists()


@pytest.fixture
def pack_data(care_data):
    """`care_data` (guselkumab: dose 1 eight weeks ago, dose 2 overdue by four weeks, dose 3 in
    four weeks) with packs: GIVEN1, the pack of dose 1; OLD1, expired ten days ago with its
    device unused; SOON2, which expires in two weeks, before dose 3; TRIP7, in date for a year.
    A trip around dose 3 lists the packs carried in its letters."""
    from django.utils import timezone

    from patients.travel.trips import plan_trip
    from patients.treatments.injections import update_injection
    from patients.treatments.writes import record_delivery

    patient, treatment, injection = (
        care_data["patient"],
        care_data["treatment"],
        care_data["injection"],
    )
    today = timeutils.local_today(patient.zone)
    first = treatment.first_dose_on

    def pack(batch, devices, received_on, expires_on):
        return record_delivery(
            treatment=treatment,
            received_on=received_on,
            devices=devices,
            batch=batch,
            expires_on=expires_on,
        )

    given = pack("GIVEN1", 1, first - timedelta(days=5), today + timedelta(days=200))
    update_injection(
        injection=injection,
        dose_number=1,
        taken_at=injection.taken_at,
        site=injection.site,
        lot_number="",
        reaction=injection.reaction,
        note=injection.note,
        pack=given,
    )
    pack("OLD1", 1, first - timedelta(days=2), today - timedelta(days=10))
    pack("SOON2", 2, today - timedelta(days=2), today + timedelta(days=14))
    pack("TRIP7", 3, today - timedelta(days=1), today + timedelta(days=365))
    trip = plan_trip(
        patient=patient,
        now=timezone.now(),
        destination="JP",
        destination_time_zone="Asia/Tokyo",
        departs_on=today + timedelta(days=20),
        returns_on=today + timedelta(days=35),
        traveller_name="Camille Martin",
        list_packs=True,
    )
    return {**care_data, "trip": trip, "today": today}


WARNINGS = {
    "fr": ("la boîte du lot OLD1 est périmée depuis le", "la boîte du lot SOON2 se périme le"),
    "en": ("the pack of batch OLD1 expired on", "the pack of batch SOON2 expires on"),
}
SUMMARY_BATCHES = {
    "fr": "Marques et lots donnés pendant la période",
    "en": "Brands and batches given in the period",
}
TRIP_PACKS = {"fr": "Lot TRIP7, périme le", "en": "Batch TRIP7, expires on"}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_packs_are_flagged_before_their_dose_and_their_batches_shown_where_asked(
    live_server, context, pack_data, console_errors, language
):
    """Issue 22, items 3 and 4, in the browser: the dashboard flags the expired pack and the
    one that expires before dose 3; the summary lists the batch given; the trip page, its form
    and its letter name the packs carried. axe, 320 px, focus ring and Nu on each page."""
    patient, trip = pack_data["patient"], pack_data["trip"]
    page = context.new_page()
    console_errors.watch(page)
    login_with_session(context, Client(), live_server, patient)

    page.goto(url_for(live_server, language, "/dashboard/"))
    for text in WARNINGS[language]:
        expect(page.locator("main")).to_contain_text(text)
    expect(page.locator("main")).to_contain_text(in_words_short(pack_data["today"], 14, language))
    check_page(page, console_errors, language=language)

    page.goto(url_for(live_server, language, "/summary/"))
    batches = page.locator("table.summary-batches")
    expect(batches).to_contain_text(SUMMARY_BATCHES[language])
    expect(batches.locator("td", has_text="GIVEN1")).to_have_count(1)
    check_page(page, console_errors, language=language)

    page.goto(url_for(live_server, language, f"/trips/{trip.pk}/"))
    expect(page.locator("main")).to_contain_text(TRIP_PACKS[language])
    check_page(page, console_errors, language=language)

    page.goto(url_for(live_server, language, f"/trips/{trip.pk}/edit/"))
    expect(page.locator("input[name=list_packs]")).to_be_checked()
    check_page(page, console_errors, language=language)

    page.goto(url_for(live_server, language, f"/trips/{trip.pk}/letters/prescription/"))
    expect(page.locator("article.letter")).to_contain_text("Packs carried")
    expect(page.locator("article.letter")).to_contain_text("Tremfya, batch TRIP7")
    check_page(page, console_errors, language=language)


def in_words_short(today, days: int, language: str) -> str:
    """The date `days` after `today` as the dashboard writes it (DATE_FORMAT)."""
    with translation.override(language):
        return formats.date_format(today + timedelta(days=days), "DATE_FORMAT")
