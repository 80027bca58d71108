"""How the dashboard writes an amount of CO2 (``FO.dash.co2Text``, web/static/js/dashboard-kpis.js),
run in chromium on its own: no app, no database. A day of a few short rides avoids some tens of
grams; written as kilograms to one decimal it read "0.0 kg" beside a full-height bar."""

from __future__ import annotations

import json

from tests.conftest import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "web" / "static" / "js" / "dashboard-kpis.js"
MESSAGES = PROJECT_ROOT / "web" / "messages" / "en" / "dashboard.json"


def test_grams_below_a_kilogram_and_kilograms_above(browser):
    messages = json.loads(MESSAGES.read_text(encoding="utf-8"))
    page = browser.new_page()
    try:
        page.set_content("<script>window.FO = {t: null};</script>")
        page.evaluate(
            """m => { FO.t = (key, values) => m[key].replace(/\\{(\\w+)\\}/g,
                                                           (all, name) => values[name]); }""",
            messages,
        )
        page.add_script_tag(path=str(SCRIPT))
        written = page.evaluate("[26, 0, -4, 999, 1000, 1549, -2500].map(FO.dash.co2Text)")
    finally:
        page.close()
    assert written == ["26 g", "0 g", "-4 g", "999 g", "1.0 kg", "1.5 kg", "-2.5 kg"]
