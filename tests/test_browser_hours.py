"""In a real browser (headless Chromium through Selenium, on a gunicorn node): a volunteer
plans a two-hour session from the length list and sees « 2 h »; a session past the approved
time is refused with the reason next to the length; a coordinator opens a total on the
convention page and the hours behind it show."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from tests.browser import BROWSER_MARKS, keep_screenshot_on_failure, log_in, start_chromium
from tests.missions_world import TODAY, build_world, submit
from tests.processes import terminate, web_node
from tests.test_missions import agree

pytestmark = BROWSER_MARKS


@pytest.fixture()
def chromium(request):
    driver = start_chromium()
    yield driver
    keep_screenshot_on_failure(request, driver)
    driver.quit()


def _plan(driver, held_on: str, minutes: int) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import Select, WebDriverWait

    form = driver.find_element(By.CSS_SELECTOR, "form[action$='/plan']")
    date = form.find_element(By.NAME, "held_on")
    driver.execute_script("arguments[0].value = arguments[1]", date, held_on)
    Select(form.find_element(By.NAME, "minutes")).select_by_value(str(minutes))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # The answer is a new page: wait until this one's form is gone before reading it.
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(form))


def test_hours_in_the_browser(app, factory, db_url, db, chromium):
    from selenium.webdriver.common.by import By

    world = build_world(app, factory)  # a mission of 2 days: 14 h at 7 h a day
    mission_id, c = agree(app, factory, world)
    assert submit(c["coordinator"], f"/missions/{mission_id}/approve").status_code == 302
    node, port = web_node(db_url, secrets.token_hex(32))
    base = f"http://127.0.0.1:{port}"
    try:
        log_in(chromium, base, world.people["volunteer"].email, factory.password)
        chromium.get(f"{base}/missions/{mission_id}")
        day = (TODAY + timedelta(days=2)).isoformat()
        lengths = chromium.find_elements(By.CSS_SELECTOR, "form[action$='/plan'] option")
        assert [o.text for o in lengths][:2] == ["15 min", "30 min"]
        assert lengths[-1].text == "7 h (une journée)"
        _plan(chromium, day, 120)
        rows = chromium.find_elements(By.CSS_SELECTOR, "table.table tbody tr")
        assert any("2 h" in row.text and "planifiée" in row.text for row in rows)
        _plan(chromium, day, 420)
        _plan(chromium, day, 420)  # 2 h + 7 h planned of 14 h: 7 h more does not fit
        error = chromium.find_element(By.ID, "minutes-error-new")
        assert "il reste 5 h" in error.text and error.is_displayed()
        assert len(chromium.find_elements(By.CSS_SELECTOR, "a[href$='.ics']")) == 2

        log_in(chromium, base, world.people["coordinator"].email, factory.password)
        chromium.get(f"{base}/conventions/{world.convention_id}")
        total = chromium.find_element(By.CSS_SELECTOR, "tbody details.hours")
        hours = total.find_element(By.TAG_NAME, "span")
        assert not hours.is_displayed()
        total.find_element(By.TAG_NAME, "summary").click()
        assert hours.is_displayed() and hours.text == "700 h"  # the quota: 100 days of 7 h
    finally:
        terminate([node])
