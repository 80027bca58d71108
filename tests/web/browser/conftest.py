"""Browser fixtures: the app served on loopback, Debian's chromium driven by Playwright.

``live`` serves the demo app (tests/web/conftest.py ``demo``: the synthetic city, its fleet and
people, the fixed clock) from a thread on a free loopback port. ``browser`` is one headless
chromium for the run (``/usr/bin/chromium``; never Playwright's own download). ``open_page``
gives a page of a fresh context (its own cookies), at a desktop or a phone's viewport (390×844),
that lets only requests to the live server through: any other is aborted and recorded, and the
test fails at teardown if one was tried (the pages load no CDN and no tile server).
``shoot(page, name)`` saves a screenshot to docs/screenshots/<name>.png (committed).

Journeys run on SQLite unless they need PostgreSQL (the API tests hold both databases to the
same answers): a module says ``pytestmark = ON_SQLITE``.

Where chromium or Playwright is missing the browser tests skip with the reason (a failure
under FLEETOPS_STRICT=1, so CI always runs them; `make test` installs chromium when it can).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from tests.conftest import PROJECT_ROOT, need

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
#: Chromium's switches for a machine with no network and no screen (see the env notes).
ON_SQLITE = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the test run."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "Playwright is not installed (pip install -e '.[dev]')")
    need(CHROMIUM.exists(), f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as pw:
        found = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield found
        found.close()


def _drained(app):
    """``app`` with each response read whole and closed before the server writes it.

    Werkzeug's development server closes a response's iterable only after it has drained the
    request socket; when the browser drops the connection (a page navigates away while a static
    file is on its way) that read raises first and the file stays open, which pytest reports as
    an unraisable ResourceWarning. The pages stream nothing, so a test server can buffer."""

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@contextmanager
def served(app) -> Iterator[str]:
    """Serve ``app`` from a thread on a free loopback port while the block runs; its base URL.

    For a module whose journey needs another app than the demo's (one on Redis with a worker,
    say): it overrides ``live`` with its own fixture that serves its app through this."""
    server = make_server("127.0.0.1", 0, _drained(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture
def live(demo):
    """The demo app served on a free loopback port: ``(base_url, app, summary, prepared)``."""
    app, summary, prepared = demo
    with served(app) as base:
        yield base, app, summary, prepared


@pytest.fixture
def open_page(browser, live):
    """``open_page(phone=False, lang=None)`` → a page that may reach the live server only."""
    base = live[0]
    allowed = urlsplit(base).netloc
    tried: list[str] = []
    contexts = []

    def gate(route):
        url = route.request.url
        if urlsplit(url).netloc == allowed or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            tried.append(url)
            route.abort()

    def make(phone: bool = False, lang: str | None = None):
        context = browser.new_context(
            viewport=PHONE if phone else DESKTOP,
            is_mobile=phone,
            has_touch=phone,
            base_url=base,
            locale="ko-KR" if lang == "ko" else "en-GB",
        )
        context.route("**/*", gate)
        if lang:
            context.add_cookies([{"name": "lang", "value": lang, "url": base}])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()
    assert tried == [], f"the pages tried to reach beyond loopback: {tried}"


def sign_in(page, username: str, password: str = "fleetops-demo") -> None:
    """Sign in at /login as a person does; lands on their role's page."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def shoot(page, name: str) -> Path:
    """Save a screenshot of ``page`` to docs/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
