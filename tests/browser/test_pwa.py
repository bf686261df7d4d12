"""The installable app in Chromium: manifest and icons (Chrome's own installability check), the
service worker, a push delivered through the DevTools protocol, its notification and its tap,
and the travel papers kept offline then deleted at log-out."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from patients import timeutils
from patients.models import Channel, Kind, Reminder, State
from patients.reminders.links import OPEN_LINK_SALT
from patients.travel.letters import approve_letter
from patients.travel.trips import plan_trip
from tests.factories import TreatmentFactory
from tests.support.browser import LANGUAGES, check_page, login_with_session, new_context, url_for

pytestmark = pytest.mark.browser

READY = "navigator.serviceWorker.ready.then((r) => r.active.scriptURL)"


@pytest.fixture
def context(browser):
    """This module is about the service worker: unlike other modules' contexts
    (tests/support/browser.py's `new_context`), its pages may register it."""
    context = new_context(browser, service_workers="allow")
    yield context
    context.close()


def check_in_both_languages(page, console_errors, live_server, path: str) -> None:
    """The full check (`check_page`) on `path` in each language; the page ends on the last."""
    for language in LANGUAGES:
        page.goto(url_for(live_server, language, path))
        check_page(page, console_errors, language=language)


def poll(page, expression: str, predicate, what: str, tries: int = 150):
    """Evaluate (awaiting its promise) until `predicate(value)`; return the value. Up to 30 s:
    a loaded CI machine can take seconds to wake the service worker."""
    for _ in range(tries):
        value = page.evaluate(expression)
        if predicate(value):
            return value
        page.wait_for_timeout(200)
    raise AssertionError(f"timed out waiting for {what}: {value!r}")


def test_the_app_is_installable_and_its_service_worker_registers(
    live_server, context, page, console_errors, db
):
    check_in_both_languages(page, console_errors, live_server, "/privacy/")
    page.goto(f"{live_server.url}/privacy/")
    assert page.evaluate(READY).endswith("/sw.js")
    manifest = page.evaluate(
        """async () => {
            const link = document.querySelector("link[rel=manifest]");
            const manifest = await (await fetch(link.href)).json();
            const icons = [];
            for (const icon of manifest.icons) {
                const blob = await (await fetch(icon.src)).blob();
                const bitmap = await createImageBitmap(blob);
                icons.push([icon.sizes, icon.purpose, `${bitmap.width}x${bitmap.height}`]);
            }
            return {manifest, icons};
        }"""
    )
    for sizes, _purpose, drawn in manifest["icons"]:
        assert sizes == drawn
    assert {"maskable", "any"} == {purpose for _s, purpose, _d in manifest["icons"]}
    cdp = context.new_cdp_session(page)
    parsed = cdp.send("Page.getAppManifest")
    assert parsed["errors"] == [] and parsed["url"].endswith("/manifest.webmanifest")
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are incognito profiles, where Chrome never offers installing:
    # everything else the install criteria check must pass.
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []


def test_a_push_shows_a_notification_and_tapping_it_opens_the_logging_page(
    live_server, context, page, console_errors, client, patient
):
    today = timeutils.local_today(patient.zone)
    treatment = TreatmentFactory(patient=patient, drug_inn="guselkumab", first_dose_on=today)
    reminder = Reminder.objects.create(
        patient=patient,
        treatment=treatment,
        dose_number=1,
        about_date=today,
        kind=Kind.UPCOMING_DOSE,
        occurrence="dose-1:lead-0",
        channel=Channel.PUSH,
        state=State.SENT,
        due_at=timezone.now(),
    )
    link = f"{live_server.url}/reminders/open/{signing.dumps(reminder.pk, salt=OPEN_LINK_SALT)}/"
    context.grant_permissions(["notifications"], origin=live_server.url)
    login_with_session(context, client, live_server, patient)
    check_in_both_languages(page, console_errors, live_server, "/reminders/")
    page.goto(f"{live_server.url}/reminders/")
    page.evaluate(READY)
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(500)
    (registration,) = [r for r in registrations if r["scopeURL"] == f"{live_server.url}/"]
    message = {
        "web_push": 8030,
        "notification": {
            "title": "Votre injection est prévue aujourd’hui",
            "body": "Touchez pour ouvrir Interleukin Care.",
            "navigate": link,
            "tag": f"dose-{treatment.pk}-1",
        },
    }
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server.url,
            "registrationId": registration["registrationId"],
            "data": json.dumps(message),
        },
    )
    poll(
        page,
        "navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((n) => n.length)",
        bool,
        "the notification",
    )
    shown = page.evaluate(
        """navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((ns) =>
            ns.map((n) => ({title: n.title, body: n.body, tag: n.tag, url: n.data.url})))"""
    )
    assert shown == [
        {
            "title": message["notification"]["title"],
            "body": message["notification"]["body"],
            "tag": f"dose-{treatment.pk}-1",
            "url": link,
        }
    ]
    # A real click on a system notification cannot be automated in headless Chromium, and
    # clients.openWindow() refuses a synthetic event (no user activation). So the worker's own
    # notificationclick handler runs on a NotificationEvent dispatched in the worker, with
    # openWindow recorded; the page then opens that address, as the tap would.
    (worker,) = context.service_workers
    opened = worker.evaluate(
        """new Promise((resolve) => {
            self.clients.openWindow = (url) => resolve(url) || Promise.resolve(null);
            self.registration.getNotifications().then((ns) => {
                const click = new NotificationEvent("notificationclick", {notification: ns[0]});
                self.dispatchEvent(click);
            });
        })"""
    )
    assert opened == link
    page.goto(opened)
    assert page.url == f"{live_server.url}/treatments/{treatment.pk}/injections/new/?dose=1"
    remaining = page.evaluate(
        "navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((n) => n.length)"
    )
    assert remaining == 0  # the tap closed it
    check_in_both_languages(
        page, console_errors, live_server, f"/treatments/{treatment.pk}/injections/new/?dose=1"
    )


def test_the_travel_papers_open_offline_and_are_gone_after_log_out(
    live_server, context, page, console_errors, client, patient, clinician, care_link
):
    now = timezone.now()
    today = timeutils.local_today(patient.zone)
    trip = plan_trip(
        patient=patient,
        now=now,
        destination="JP",
        destination_time_zone="Asia/Tokyo",
        traveller_name="Camille",
        departs_on=today + timedelta(days=3),
        returns_on=today + timedelta(days=10),
        offline=True,
    )
    approve_letter(trip=trip, kind="certificate", clinician=clinician, now=now)
    trip_url = f"{live_server.url}/trips/{trip.pk}/"
    pdf_url = f"{trip_url}letters/certificate/pdf/"
    login_with_session(context, client, live_server, patient)
    page.goto(trip_url)
    page.evaluate(READY)
    page.reload()  # the worker now controls the page, which asks it to sync the papers
    cached = f"""caches.open("ilc-trip-{trip.pk}").then((c) => c.keys())
        .then((ks) => ks.map((k) => new URL(k.url).pathname).sort())"""
    paths = poll(page, cached, lambda paths: len(paths) == 2, "the papers to be kept")
    assert paths == sorted([f"/trips/{trip.pk}/", f"/trips/{trip.pk}/letters/certificate/pdf/"])

    context.set_offline(True)
    context.route("**/*", lambda route: route.abort("internetdisconnected"))
    response = page.goto(trip_url)
    assert response.from_service_worker and "Japon" in page.content()
    pdf = page.evaluate(
        f"""fetch("{pdf_url}").then(async (r) => [r.status, r.headers.get("content-type"),
            Array.from(new Uint8Array(await r.arrayBuffer()).slice(0, 5))])"""
    )
    assert pdf[0] == 200 and pdf[1] == "application/pdf"
    assert bytes(pdf[2]) == b"%PDF-"
    context.unroute("**/*")
    context.set_offline(False)
    # Online again (the offline requests' console errors are the point of the part above).
    console_errors.clear()
    check_in_both_languages(page, console_errors, live_server, f"/trips/{trip.pk}/")

    page.goto(trip_url)
    with page.expect_navigation():
        page.locator("form[data-logout]").evaluate("(form) => form.requestSubmit()")
    names = poll(
        page,
        "caches.keys()",
        lambda names: not any(name.startswith("ilc-trip-") for name in names),
        "the papers to be deleted",
    )
    assert "ilc-shell-1" in names  # only the shell (no health data) stays
