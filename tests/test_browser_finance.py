"""The finance half in a real browser, on the demo data, at a desk and on a phone: an SME
manager applies for an advance and submits it; the coordinator puts it on the next
committee's agenda, records who attends and the decision; the pages of the fund, the
portfolio, an advance with its schedule, the committee, the dossier pack and the minutes
pass axe-core (no critical or serious violation)."""

from __future__ import annotations

import re

import pytest

from tests.browser import BROWSER_MARKS, keep_screenshot_on_failure, start_chromium
from tests.test_browser_lifecycle import COORDINATOR, REFERENT, SME, Visit, demo_node  # noqa: F401

pytestmark = BROWSER_MARKS


@pytest.mark.parametrize("width", [1366, 390])
def test_an_advance_from_application_to_committee_decision(demo_node, request, width):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = start_chromium(width)
    request.addfinalizer(driver.quit)
    request.addfinalizer(lambda: keep_screenshot_on_failure(request, driver))
    visit = Visit(driver, demo_node)

    visit.log_in(SME)
    home = visit.get("/")
    assert "Mes avances remboursables" in home and "prochaine échéance" not in home
    visit.get("/advances/new")
    visit.css("#amount").send_keys("18 500")
    visit.css("#purpose").send_keys("Financer le stock de bois avant la hausse des prix")
    visit.css("#term_months").send_keys("24")
    Select(visit.css("#frequency")).select_by_value("monthly")
    page = visit.click(visit.css("form.card button[type=submit]"))
    ref = re.search(r"Avance (A-\d{6}) enregistrée en brouillon", page).group(1)
    page = visit.click(visit.css("form[action$='/submit'] button"))
    assert f"Avance {ref} : soumise." in page

    visit.log_in(COORDINATOR)
    home = visit.get("/")
    assert "Dossiers d'avance en attente d'un comité" in home
    committee = visit.get("/committees/1")
    assert "Rémi Lefèvre" in committee
    session_link = driver.find_elements(By.CSS_SELECTOR, "main ul.plain li a")[0]
    visit.click(session_link)  # the next session, two weeks ahead
    Select(visit.css("#agenda-advance_id")).select_by_visible_text(
        next(o.text for o in Select(visit.css("#agenda-advance_id")).options if ref in o.text)
    )
    visit.click(visit.css("input[value=agenda] ~ button[type=submit]"))
    for box in driver.find_elements(By.NAME, "attendance-present"):
        if not box.is_selected():
            box.click()
    visit.click(visit.css("input[value=attendance] ~ button[type=submit]"))
    for box in driver.find_elements(By.NAME, "decision-items"):
        box.click()
    Select(visit.css("#decision-decision")).select_by_value("approved")
    for vote in driver.find_elements(By.CSS_SELECTOR, "select[name^=vote-]"):
        Select(vote).select_by_value("for")
    page = visit.click(visit.css("#decide button[type=submit]"))
    assert "approuvée" in page and "pour 4, contre 0" in page
    visit.get(driver.current_url.removeprefix(demo_node) + "/pack")
    minutes = visit.get(driver.current_url.removeprefix(demo_node).replace("/pack", "/minutes"))
    assert ref in minutes and "Procès-verbal" in minutes
    visit.get("/advances")
    visit.get("/funds/1")
    page = visit.get("/advances?status=repaying")
    driver.find_element(By.PARTIAL_LINK_TEXT, "A-0").click()
    visit.check()
    assert "Échéancier" in driver.find_element(By.TAG_NAME, "body").text

    visit.log_in(REFERENT)
    fund = visit.get("/funds/1")
    assert "disponibles pour prêter" in fund and "Mouvements" not in fund

    assert visit.violations == {}, f"axe-core found critical or serious issues: {visit.violations}"
