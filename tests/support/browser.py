"""Driving Debian's Chromium through Playwright: contexts, axe-core, signing a browser in.

See DESIGN.md, "Browser tests: a set-up known to work on these machines". Never run
`playwright install`. The fixtures that use these are in tests/browser/conftest.py.
"""

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.core.management import call_command
from django.test import override_settings
from pytest_django.live_server_helper import LiveServer

from patients import timeutils
from tests.support import database
from tests.support.auth import authenticator_of, code_of, sign_in

ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_PATH = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE_WIDTH = 320
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1100, "height": 900}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "a-long-test-password"
LANGUAGES = ["fr", "en"]


FAST_HASHING = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@contextmanager
def module_live_server(django_db_blocker) -> Iterator[LiveServer]:
    """A live server of a browser module's own, over rows the module commits while it lives
    (database access unblocked, fast password hashing); at its end the database is flushed, as
    after any live-server test, and the catalogue put back. For modules whose tests only read
    pages: no flush and no new browser context per test."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHING):
        database.ensure()  # a live-server test of another module may have flushed it
        server = LiveServer("localhost")  # a free port
        server._live_server_modified_settings.enable()  # ALLOWED_HOSTS, as pytest-django does
        try:
            yield server
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            call_command("flush", verbosity=0, interactive=False)
            database.ensure()


def new_context(browser, **options):
    """A context at desk size in which pages cannot register the service worker, unless asked
    (`service_workers="allow"`): installing it in every new context cost each test about a
    second of Chromium's time, and only tests/browser/test_pwa.py is about it (app.js swallows
    the refused registration, so the pages behave as in a browser without service workers)."""
    options.setdefault("viewport", VIEWPORT)
    options.setdefault("service_workers", "block")
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    return context


class ConsoleErrors(list):
    """Console messages of type "error" and uncaught page errors, as text."""

    def watch(self, page) -> None:
        self._handlers = (
            (
                "console",
                lambda message: (
                    message.type == "error"
                    and self.append(f"console: {message.text} ({message.location.get('url', '')})")
                ),
            ),
            ("pageerror", lambda error: self.append(f"pageerror: {error}")),
        )
        for event, handler in self._handlers:
            page.on(event, handler)

    def unwatch(self, page) -> None:
        """Stop listening: a page kept for the next test gets a list of its own."""
        for event, handler in self._handlers:
            page.remove_listener(event, handler)


def run_axe(page) -> list[dict]:
    """Inject axe-core into the page and return its WCAG 2.x A/AA violations.

    The app's Content-Security-Policy (script-src 'self' + nonce) refuses the inline <script> that
    `page.add_script_tag` writes, so the file is evaluated through the DevTools protocol instead,
    which CSP does not govern; the policy stays in force for the page itself.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_PATH.read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate(
        """async (tags) => {
            // Only the violations are read: axe then skips building the selectors and HTML of
            // every passing node (the slow tail of a run).
            const results = await axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
            });
            return results.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                nodes: v.nodes.map((n) => ({
                    target: n.target, html: n.html, summary: n.failureSummary,
                })),
            }));
        }""",
        AXE_TAGS,
    )


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}: {node['html'][:200]}")
            if node.get("summary"):
                lines.append("      " + node["summary"].replace("\n", "\n      "))
    return "\n".join(lines)


def login_with_session(context, client, live_server, user) -> None:
    """Sign `user` in by handing the browser the session cookie of a test client login
    (verified by a second factor for a specialist)."""
    sign_in(client, user)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def login_through_form(page, live_server, email: str, password: str = PASSWORD) -> None:
    """The password, then (for a specialist, who gets an authenticator app) the app's code."""
    from patients.models import User

    user = User.objects.get(email=email)
    device = authenticator_of(user) if user.must_use_two_factor else None
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    if device is not None:
        page.fill("input[name=code]", code_of(device))
        with page.expect_navigation():
            page.click("main form button[type=submit]")


def remember_in_session(client, values: dict) -> None:
    """Put `values` in the session `login_with_session` handed to the browser, as if this session
    had created them (invitation codes and share links are shown only there)."""
    session = client.session
    session.update(values)
    session.save()


def today_at_home(user):
    return timeutils.local_today(user.zone)


def url_for(live_server, language: str, path: str) -> str:
    prefix = "" if language == "fr" else f"/{language}"
    return f"{live_server.url}{prefix}{path}"


def ids_of(data) -> dict:
    """What the page paths' placeholders stand for."""
    names = ("treatment", "injection", "patient", "link", "checklist", "item", "invitation", "trip")
    return {
        **{name: data[name].pk for name in names},
        "clinician_invitation": data["clinician_invitation"].pk,
        "token": data["token"],
    }


def open_as(live_server, client, context, page, user, language, path, *, secrets=None):
    """Sign `user` in (the session holding `secrets`), open `path` and expect it, with a 200."""
    login_with_session(context, client, live_server, user)
    if secrets:
        remember_in_session(client, secrets)
    target = url_for(live_server, language, path)
    response = page.goto(target)
    assert response.status == 200, f"{page.url} answered {response.status}"
    assert page.url == target, f"{target} redirected to {page.url}"


def check_page(page, console_errors, *, language: str, ignore: tuple[str, ...] = ()) -> None:
    """axe, the console, and (issue 18, item 8) no sideways scrolling at 320 px, a focus ring
    of 3:1 or more; the page's HTML is kept for the module's one Nu Html Checker run."""
    assert page.evaluate("document.documentElement.lang") == language
    violations = run_axe(page)
    assert not violations, f"axe violations on {page.url}:\n{format_violations(violations)}"
    errors = [e for e in console_errors if not any(text in e for text in ignore)]
    assert not errors, f"console errors on {page.url}:\n" + "\n".join(errors)
    overflow = sideways_overflow_at(page, PHONE_WIDTH)
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px at {PHONE_WIDTH} px"
    weak = weak_focus_rings(page)
    assert not weak, f"focus ring under 3:1 on {page.url}: {weak}"
    PAGES_TO_VALIDATE.append((page.url, page.content()))


def check_page_without_javascript(page, console_errors, *, language: str, ignore=()) -> None:
    """`check_page` for a page of a context without JavaScript, where axe (async, in the page)
    never completes: the very HTML it shows is served at its address in a context with
    JavaScript, which gets the full check (its styles and the focus ring are the same)."""
    assert page.evaluate("document.documentElement.lang") == language
    html, url = page.content(), page.url
    twin_context = new_context(page.context.browser)
    try:
        twin_context.route(
            lambda address: address == url,
            lambda route: route.fulfill(
                status=200, content_type="text/html; charset=utf-8", body=html
            ),
        )
        twin = twin_context.new_page()
        console_errors.watch(twin)
        twin.goto(url)
        check_page(twin, console_errors, language=language, ignore=ignore)
    finally:
        twin_context.close()


# --- Reflow, focus ring, Nu Html Checker, screenshots (issue 18, item 8) -------------------------


def sideways_overflow_at(page, width: int) -> int:
    """How far the page scrolls sideways at `width` CSS px (WCAG 1.4.10 wants 0 at 320 px); the
    viewport is put back afterwards."""
    before = page.viewport_size
    page.set_viewport_size({"width": width, "height": 700})
    try:
        return page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    finally:
        page.set_viewport_size(before)


def relative_luminance(rgb) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first, second) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def rgb_of(css: str) -> tuple[float, ...]:
    return tuple(float(n) for n in re.findall(r"[\d.]+", css)[:3])


# Focus a few of the page's own controls (in main, else anywhere) the way the keyboard does, and
# read each one's outline and the first opaque background behind it.
FOCUS_RINGS = r"""(count) => {
    const controls = [...document.querySelectorAll(
        "main a[href], main button, main input:not([type=hidden]), main select, main textarea, "
        + "a[href], button")]
        // Rendered and reachable: not inside a closed <details> (the phone menu) or hidden.
        .filter((el) => el.offsetParent !== null
                && el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true}))
        .slice(0, count);
    return controls.map((el) => {
        el.focus({focusVisible: true});
        const style = getComputedStyle(el);
        let node = el.parentElement, background = "rgb(255, 255, 255)";
        while (node) {
            const bg = getComputedStyle(node).backgroundColor;
            if (bg && bg !== "transparent" && !/rgba\(.*,\s*0\)$/.test(bg)) {
                background = bg;
                break;
            }
            node = node.parentElement;
        }
        return {element: el.outerHTML.slice(0, 100), style: style.outlineStyle,
                width: parseFloat(style.outlineWidth), color: style.outlineColor, background,
                visible: el.matches(":focus-visible")};
    });
}"""


def weak_focus_rings(page, count: int = 4) -> list[str]:
    """The controls whose focus ring is missing or under 3:1 against what is behind it. Tab
    first (so :focus-visible applies, as for a keyboard user), then focus a few controls."""
    page.keyboard.press("Tab")
    rings = page.evaluate(FOCUS_RINGS, count)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    weak = [f"{r['element']} (not :focus-visible)" for r in rings if not r["visible"]]
    for ring in rings:
        ratio = contrast(rgb_of(ring["color"]), rgb_of(ring["background"]))
        if ring["style"] == "none" or ring["width"] < 2 or ratio < 3:
            weak.append(f"{ring['element']} ({ratio:.2f}:1)")
    return weak


# The HTML of every page check_page saw in the current module; tests/browser/conftest.py runs the
# Nu Html Checker once on all of them at the module's end (one Java start, not one per page).
PAGES_TO_VALIDATE: list[tuple[str, str]] = []


def vnu_errors(pages: list[tuple[str, str]]) -> list[str]:
    """The Nu Html Checker's errors on `pages` ((url, html) pairs), one call for all."""
    java = shutil.which("java")
    assert java and VNU_PATH.is_file(), f"the Nu Html Checker needs Java and {VNU_PATH} (npm ci)"
    with tempfile.TemporaryDirectory() as folder:
        names, files = {}, []
        for number, (url, html) in enumerate(pages):
            path = Path(folder) / f"page-{number}.html"
            path.write_text(html, encoding="utf-8")
            names[path.name] = url
            files.append(str(path))
        result = subprocess.run(
            # C1 only: a checker run lasts seconds, too short for the optimising compiler to pay
            # for itself (half the CPU, the same messages); its frames need a larger stack.
            [java, "-Xss16m", "-XX:TieredStopAtLevel=1", "-jar", str(VNU_PATH)]
            + ["--format", "json", "--stdout", *files],
            capture_output=True,
            text=True,
            timeout=600,
        )
        # A checker that fails to run prints nothing: that is an error, never a clean page.
        assert result.stdout.strip(), f"the Nu Html Checker did not run: {result.stderr[-800:]}"
        messages = json.loads(result.stdout).get("messages", [])
    return [
        f"{names.get(Path(m.get('url', '')).name, m.get('url'))}:{m.get('lastLine')}: "
        f"{m.get('message')} "
        f"[{(m.get('extract') or '').strip()[:80]}]"
        for m in messages
        if m.get("type") == "error" or m.get("subType") == "fatal"
    ]


def save_screenshot(page, name: str) -> Path:
    """A full-page screenshot in test-artifacts/screenshots/ (gitignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def make_care_data(patient) -> dict:
    """Camille on guselkumab for 8 weeks: dose 1 logged, dose 2 overdue, one device in stock.

    Enough to render every branch the patient pages have: history rows, overdue advice, the
    low-stock warning (and its unread notification), the plan table, an e-mail that failed.
    """
    from django.utils import timezone

    from patients import timeutils
    from patients.models import Channel, Kind, Reminder, State
    from patients.treatments.writes import record_delivery
    from tests.factories import TreatmentFactory, log_dose

    today = timeutils.local_today(patient.zone)
    first = today - timedelta(weeks=8)
    treatment = TreatmentFactory(patient=patient, drug_inn="guselkumab", first_dose_on=first)
    injection = log_dose(treatment, 1, first)
    record_delivery(treatment=treatment, received_on=first - timedelta(days=3), devices=2)
    Reminder.objects.create(
        patient=patient,
        treatment=treatment,
        dose_number=2,
        about_date=first + timedelta(weeks=4),
        kind=Kind.OVERDUE_DOSE,
        occurrence="dose-2:late-1",
        channel=Channel.EMAIL,
        state=State.FAILED,
        due_at=timezone.now(),
    )
    return {"patient": patient, "treatment": treatment, "injection": injection}


def make_care_team_data(care_data, clinician, pending_clinician, checklist) -> dict:
    """`care_data` plus Camille's care team: Dr House linked, a shared secukinumab checklist with
    items done, verified (with a result) and still to do, history, accesses, invitations from both
    sides and a read-only share link. `secrets` are what only the creating session may show."""
    from django.utils import timezone

    from patients import timeutils
    from patients.care import create_invitation, record_access
    from patients.checklist_links import create_share_link
    from patients.checklists import mark_done, verify_item
    from patients.models import AccessAction, CareLink, ChecklistItem
    from patients.travel.letters import approve_letter
    from patients.travel.trips import plan_trip

    patient = care_data["patient"]
    now = timezone.now()
    today = timeutils.local_today(patient.zone)
    items = {item.key: item for item in ChecklistItem.objects.filter(checklist=checklist)}
    mark_done(
        item=items["chest_xray"], done_on=today, note="Hôpital Saint-Louis", actor=patient, now=now
    )
    mark_done(item=items["hiv_test"], done_on=today, note="", actor=patient, now=now)
    verify_item(item=items["hiv_test"], done_on=today, result="normal", actor=clinician, now=now)
    verify_item(item=items["medical_history"], done_on=today, result="", actor=clinician, now=now)
    for action in (AccessAction.VIEWED_RECORD, AccessAction.VIEWED_CHECKLIST):
        record_access(patient=patient, actor=clinician, action=action, now=now)
    record_access(patient=patient, actor=None, action=AccessAction.OPENED_SHARE_LINK, now=now)
    invitation, code = create_invitation(by=patient, now=now)
    clinician_invitation, clinician_code = create_invitation(by=clinician, now=now)
    share_link, token = create_share_link(checklist=checklist, days=7, actor=patient, now=now)
    # A trip around dose 3 (in four weeks), its certificate approved, the prescription a draft.
    trip = plan_trip(
        patient=patient,
        now=now,
        destination="JP",
        destination_time_zone="Asia/Tokyo",
        departs_on=today + timedelta(days=20),
        returns_on=today + timedelta(days=40),
        traveller_name="Camille Martin",
        passport_number="19AB12345",
    )
    letter = approve_letter(trip=trip, kind="certificate", clinician=clinician, now=now)
    return {
        **care_data,
        "clinician": clinician,
        "pending_clinician": pending_clinician,
        "link": CareLink.objects.get(patient=patient, clinician=clinician),
        "checklist": checklist,
        "item": items["blood_tests"],  # the patient's to do, with a result to record
        "invitation": invitation,
        "clinician_invitation": clinician_invitation,
        "token": token,
        "trip": trip,
        "letter_token": letter.token,
        "secrets": {
            "invitation_codes": {
                str(invitation.pk): code,
                str(clinician_invitation.pk): clinician_code,
            },
            "share_links": {str(share_link.pk): token},
        },
    }
