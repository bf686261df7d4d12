"""The site's layout on a 320 px phone: nothing scrolls sideways, the menu opens from the keyboard
without JavaScript, the focus ring stands out (3:1) on whatever it is drawn against, and axe finds
nothing; the error summary takes the focus."""

import re

import pytest

from tests.support.browser import format_violations, login_with_session, new_context, run_axe

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips (or fails under REQUIRE_SERVICES=1)
    expect = None

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}

# (test id, path, who is signed in)
PAGES = [
    ("home", "/", None),
    ("article", "/articles/what-are-interleukins/", None),
    ("login", "/accounts/login/", None),
    ("signup-sent", "/accounts/signup/sent/", None),
    ("dashboard", "/dashboard/", "patient"),
]
LANGUAGES = ["fr", "en"]


def url_for(live_server, language: str, path: str) -> str:
    return f"{live_server.url}{'' if language == 'fr' else '/' + language}{path}"


@pytest.fixture
def phone(browser):
    context = new_context(browser, viewport=PHONE)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def phone_without_js(browser):
    context = new_context(browser, viewport=PHONE, java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def pages_data(real_content, care_data):
    return care_data


def open_page(context, client, live_server, data, language, path, who):
    if who:
        login_with_session(context, client, live_server, data[who])
    page = context.new_page()
    response = page.goto(url_for(live_server, language, path))
    assert response.status == 200, f"{page.url} answered {response.status}"
    return page


def sideways_overflow(page) -> int:
    """How far the page scrolls sideways, in CSS px (WCAG 1.4.10 wants 0 at 320 px)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: tuple, second: tuple) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def rgb_of(css: str) -> tuple[float, float, float]:
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)[:3]]
    return tuple(numbers)


# The focused element's outline, and the first opaque background behind it (the ring is drawn
# outside the element, over its parent's background).
FOCUS_RING = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    let node = el.parentElement, background = "rgb(255, 255, 255)";
    while (node) {
        const bg = getComputedStyle(node).backgroundColor;
        if (bg && bg !== "transparent" && !/rgba\\(.*,\\s*0\\)$/.test(bg)) {
            background = bg;
            break;
        }
        node = node.parentElement;
    }
    return {
        element: el.outerHTML.slice(0, 120),
        style: style.outlineStyle,
        width: parseFloat(style.outlineWidth),
        color: style.outlineColor,
        background,
    };
}"""


# The main actions: buttons (but not those drawn as links) and the menu's toggle.
TOO_SMALL_TO_TOUCH = """() => [...document.querySelectorAll(
        ".site-menu__toggle, main .button, main button:not(.link-button)")]
    .filter((el) => el.offsetParent !== null)
    .map((el) => [el.textContent.trim().slice(0, 30), el.getBoundingClientRect()])
    .filter(([, box]) => box.width < 44 || box.height < 44)
    .map(([text, box]) => `${text}: ${Math.round(box.width)} x ${Math.round(box.height)}`)"""


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "path", "who"), PAGES, ids=[p[0] for p in PAGES])
def test_the_page_fits_a_320_px_phone_and_passes_axe(
    live_server, client, pages_data, phone, language, name, path, who
):
    page = open_page(phone, client, live_server, pages_data, language, path, who)
    assert sideways_overflow(page) <= 0, f"{page.url} scrolls sideways at 320 px"
    header = page.locator(".site-header__inner").bounding_box()
    assert header["height"] <= 60, f"the header takes {header['height']} px: more than one line"
    small = page.evaluate(TOO_SMALL_TO_TOUCH)
    assert not small, f"main actions under 44 x 44 px on {page.url}: {small}"
    violations = run_axe(page)
    assert not violations, f"axe on {page.url}:\n{format_violations(violations)}"
    # Open, the menu still fits and passes.
    page.locator(".site-menu__toggle").click()
    expect(page.locator(".site-nav")).to_be_visible()
    assert sideways_overflow(page) <= 0, f"{page.url} scrolls sideways with the menu open"
    violations = run_axe(page)
    assert not violations, f"axe with the menu open:\n{format_violations(violations)}"


def test_the_sign_up_link_page_fits_a_320_px_phone_with_its_error(live_server, phone, catalogue):
    from patients.signup import confirmation_token
    from tests.factories import UserFactory

    user = UserFactory(email="waiting@example.com", is_active=False, email_confirmed_at=None)
    page = phone.new_page()
    page.goto(f"{live_server.url}/accounts/signup/confirm/{confirmation_token(user)}/")
    page.fill("input[name=password]", "not the one chosen")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator(".error-summary")).to_be_focused()
    assert sideways_overflow(page) <= 0, f"{page.url} scrolls sideways at 320 px"
    violations = run_axe(page)
    assert not violations, f"axe on {page.url}:\n{format_violations(violations)}"


@pytest.mark.parametrize(("name", "path", "who"), PAGES, ids=[p[0] for p in PAGES])
def test_the_menu_opens_from_the_keyboard_without_javascript(
    live_server, client, pages_data, phone_without_js, name, path, who
):
    page = open_page(phone_without_js, client, live_server, pages_data, "en", path, who)
    menu = page.locator("details.site-menu")
    learn = page.get_by_role("link", name="Learn", exact=True)
    assert menu.get_attribute("open") is None
    assert not learn.is_visible()
    # From the brand (a page may have put the focus in its form), Tab reaches the toggle.
    page.locator(".brand").focus()
    page.keyboard.press("Tab")
    expect(page.locator(".site-menu__toggle")).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    expect(learn).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator(".site-nav a").first).to_be_focused()
    if path != "/dashboard/":
        return
    current = page.locator('.site-nav a[aria-current="page"]')
    expect(current).to_have_count(1)
    expect(current).to_have_text("My treatment")


@pytest.mark.parametrize(("name", "path", "who"), PAGES, ids=[p[0] for p in PAGES])
@pytest.mark.parametrize("width", [320, 1280])
def test_the_focus_ring_stands_out_three_to_one_wherever_it_is_drawn(
    live_server, client, pages_data, browser, name, path, who, width
):
    context = new_context(browser, viewport={"width": width, "height": 800})
    try:
        page = open_page(context, client, live_server, pages_data, "fr", path, who)
        page.locator(".site-menu__toggle").evaluate("(el) => el.closest('details').open = true")
        seen = 0
        for _ in range(40):
            page.keyboard.press("Tab")
            ring = page.evaluate(FOCUS_RING)
            if ring["element"].startswith("<body"):
                break
            seen += 1
            assert ring["style"] != "none" and ring["width"] >= 2, f"no focus ring on {ring}"
            ratio = contrast(rgb_of(ring["color"]), rgb_of(ring["background"]))
            assert ratio >= 3, f"focus ring at {ratio:.2f}:1 on {ring}"
        assert seen >= 5, "too few focusable elements were reached"
    finally:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_failed_log_in_focuses_the_error_summary(live_server, browser, patient, javascript):
    context = new_context(browser, viewport=PHONE, java_script_enabled=javascript)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/en/accounts/login/")
        page.fill("input[name=username]", patient.email)
        page.fill("input[name=password]", "not-the-password")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert page.title().startswith("Error: ")
        summary = page.locator(".error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_have_attribute("role", "alert")
        assert sideways_overflow(page) <= 0
    finally:
        context.close()


def test_a_summary_link_takes_the_keyboard_to_its_field(live_server, browser, catalogue):
    context = new_context(browser, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/en/accounts/signup/")
        page.fill("input[name=email]", "not-an-address")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        expect(page.locator(".error-summary")).to_be_focused()
        expect(page.locator("#id_email")).to_have_value("not-an-address")
        page.locator('.error-summary a[href="#id_email"]').click()
        expect(page.locator("#id_email")).to_be_focused()
        violations = run_axe(page)
        assert not violations, format_violations(violations)
    finally:
        context.close()


@pytest.mark.parametrize(("name", "path", "who"), PAGES, ids=[p[0] for p in PAGES])
def test_on_a_desk_the_sections_show_without_the_toggle(
    live_server, client, pages_data, browser, name, path, who
):
    context = new_context(browser, viewport={"width": 1280, "height": 800})
    try:
        page = open_page(context, client, live_server, pages_data, "en", path, who)
        expect(page.locator(".site-menu__toggle")).to_be_hidden()
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        expect(page.get_by_role("link", name="Learn", exact=True)).to_be_visible()
        primary = page.locator(".site-nav__primary").bounding_box()
        assert primary["height"] <= 60, "the sections wrap onto a second line at 1280 px"
        assert sideways_overflow(page) <= 0
        violations = run_axe(page)
        assert not violations, f"axe on {page.url}:\n{format_violations(violations)}"
    finally:
        context.close()


def test_the_contrast_formula_rejects_the_old_amber_ring():
    """The review measured the old amber ring (#f2a900) at about 2:1 on white."""
    assert contrast((242, 169, 0), (255, 255, 255)) < 2.1
    assert contrast((11, 12, 12), (245, 247, 250)) > 15


STACKED_TABLE = """() => {
    const main = document.querySelector("main");
    main.insertAdjacentHTML("beforeend", `
      <table class="table--stack" id="stacked">
        <caption>Latest injections</caption>
        <thead><tr><th scope="col">Date</th><th scope="col">Dose</th><th scope="col">Site</th>
          <th scope="col">Reaction</th>
          <th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody><tr><td data-label="Date">Wednesday 28 October 2026 at 09:30</td>
          <td data-label="Dose">6</td><td data-label="Site">Upper arm, right side, back</td>
          <td data-label="Reaction">Redness and swelling</td>
          <td data-label=""><a href="#">Change</a> <a href="#">Delete</a></td></tr></tbody>
      </table>`);
    const cell = document.querySelector("#stacked td");
    return {
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        row: getComputedStyle(document.querySelector("#stacked tr")).display,
        label: getComputedStyle(cell, "::before").content,
        head: document.querySelector("#stacked thead").getBoundingClientRect().height,
    };
}"""


@pytest.mark.parametrize("width", [320, 1280])
def test_a_table_whose_cells_carry_data_label_stacks_into_cards_on_a_phone(
    live_server, browser, catalogue, width
):
    context = new_context(browser, viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/en/privacy/")
        result = page.evaluate(STACKED_TABLE)
        assert result["overflow"] <= 0
        if width == 320:
            assert result["row"] == "block"
            assert result["label"] == '"Date"'
            assert result["head"] <= 1  # kept for screen readers, out of sight
        else:
            assert result["row"] == "table-row"
            assert result["label"] in ("none", "normal")
    finally:
        context.close()


# The review's browser (caveat 2): Chromium set to US English, which orders a date field's
# segments month/day/year even on a French page. "12022026" typed there is 2 December 2026.
ECHOES = {"fr": "mercredi 2 décembre 2026", "en": "Wednesday 2 December 2026"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_typed_date_is_written_out_in_the_pages_language(
    live_server, client, browser, care_data, language
):
    """Issue 18, D5: the date typed is echoed in words, in the page's language and not the
    browser's, as the person types; read out politely and tied to its field."""
    context = new_context(browser, viewport=PHONE, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        login_with_session(context, client, live_server, care_data["patient"])
        page = context.new_page()
        path = f"/treatments/{care_data['treatment'].pk}/injections/new/"
        page.goto(url_for(live_server, language, path))
        field = page.locator("#id_taken_date")
        echo = page.locator("#id_taken_date_echo")
        expect(echo).to_have_attribute("aria-live", "polite")
        assert "id_taken_date_echo" in field.get_attribute("aria-describedby").split()
        field.focus()
        page.keyboard.type("12022026")
        expect(field).to_have_value("2026-12-02")
        expect(echo).to_have_text(ECHOES[language])
        violations = run_axe(page)
        assert not violations, f"axe on {page.url}:\n{format_violations(violations)}"
    finally:
        context.close()


# The review measured 7,524 px on a desktop for the clinician's checklist of 11 items, three
# forms per item (D14). Compact rows with their actions on demand measured 3,318 px for 13 items
# (December 2026, this fixture: done, verified and open items, a history). 4,000 px leaves room
# for fonts and a line or two more, and still fails if the forms come back unfolded.
CHECKLIST_MAX_HEIGHT = 4_000


def test_the_clinicians_checklist_stays_compact_on_a_desk(
    live_server, client, browser, care_team_data
):
    context = new_context(browser, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    try:
        login_with_session(context, client, live_server, care_team_data["clinician"])
        page = context.new_page()
        page.goto(f"{live_server.url}/en/clinic/checklists/{care_team_data['checklist'].pk}/")
        items = page.locator("ol.checklist > li")
        assert items.count() >= 11, "fewer items than the review's checklist: not comparable"
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height <= CHECKLIST_MAX_HEIGHT, (
            f"the checklist of {items.count()} items is {height} px tall on a desk"
        )
        assert sideways_overflow(page) <= 0
    finally:
        context.close()
