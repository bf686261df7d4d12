"""Driving Debian's Chromium through Playwright: contexts, axe-core, signing a browser in.

See DESIGN.md, "Browser tests: a set-up known to work on these machines". Never run
`playwright install`. The fixtures that use these are in tests/browser/conftest.py.
"""

from pathlib import Path

from tests.support.auth import authenticator_of, code_of, sign_in

ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
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


def new_context(browser, **options):
    options.setdefault("viewport", VIEWPORT)
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    return context


class ConsoleErrors(list):
    """Console messages of type "error" and uncaught page errors, as text."""

    def watch(self, page) -> None:
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and self.append(f"console: {message.text} ({message.location.get('url', '')})")
            ),
        )
        page.on("pageerror", lambda error: self.append(f"pageerror: {error}"))


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
            const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
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
