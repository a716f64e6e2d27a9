"""The whole life of a mission in a real browser, as the five roles, at a desk (1366 px) and
on a phone (390 px): an SME manager posts and publishes a need, both sides accept the
proposal, the coordinator approves from the work queue, the expert plans and declares a
session, the SME confirms it, the ledger job logs it; the dashboard, the report and its
downloads show it; the group's referent and the administrator find their pages; the
interface switches to English. axe-core checks every page visited (no critical or serious
violation); a failure leaves a screenshot under test-artifacts/."""

from __future__ import annotations

import http.client
import re
import secrets
from urllib.parse import urlsplit

import pytest

from marketplace import clock
from marketplace.extensions import db
from marketplace.missions.models import Mission
from marketplace.needs.models import Need
from tests.browser import (
    BROWSER_MARKS,
    axe_violations,
    click_and_wait,
    keep_screenshot_on_failure,
    log_in,
    start_chromium,
)
from tests.processes import terminate, web_node

pytestmark = BROWSER_MARKS

SME = ("direction@menuiserie-colin-demo.example", "demo-sme-2026")
EXPERT = ("expert@saint-gobain-demo.example", "demo-volunteer-2026")
REFERENT = ("referent@saint-gobain-demo.example", "demo-referent-2026")
COORDINATOR = ("coordination@alize-demo.example", "demo-coordinator-2026")
ADMIN = ("admin@alize-demo.example", "demo-admin-2026")
NEED_TITLE = "Mettre en place les entretiens professionnels et les fiches de poste"


class Visit:
    """The browser, with axe-core run on every page it shows."""

    def __init__(self, driver, base: str):
        self.driver, self.base = driver, base
        self.violations: dict[str, list] = {}

    def check(self) -> None:
        found = axe_violations(self.driver)
        if found:
            path = self.driver.current_url.removeprefix(self.base).split("?")[0]
            seen = self.violations.setdefault(path, [])
            seen.extend(v for v in found if v not in seen)

    def get(self, path: str) -> str:
        self.driver.get(self.base + path)
        self.check()
        return self.driver.find_element("tag name", "body").text

    def click(self, element) -> str:
        click_and_wait(self.driver, element)
        self.check()
        return self.driver.find_element("tag name", "body").text

    def log_in(self, who: tuple[str, str]) -> str:
        log_in(self.driver, self.base, *who)
        self.check()
        return self.driver.find_element("tag name", "body").text

    def css(self, selector: str):
        return self.driver.find_element("css selector", selector)

    def download(self, href: str) -> tuple[int, str, bytes]:
        """A download link followed with the browser's session (as a click would)."""
        url = urlsplit(href)
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in self.driver.get_cookies())
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        try:
            agent = self.driver.execute_script("return navigator.userAgent")
            # The session is bound to the browser (Flask-Login's strong protection).
            headers = {"Cookie": cookie, "User-Agent": agent}
            connection.request("GET", f"{url.path}?{url.query}", headers=headers)
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type"), response.read()
        finally:
            connection.close()


@pytest.fixture()
def demo_node(app, runner, db_url, db):
    """The demo programme on a gunicorn node, as `make run` sets it up."""
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    node, port = web_node(db_url, secrets.token_hex(32))
    yield f"http://127.0.0.1:{port}"
    terminate([node])


@pytest.mark.parametrize("width", [1366, 390])
def test_a_mission_from_need_to_report_as_the_five_roles(app, runner, demo_node, request, width):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = start_chromium(width)
    request.addfinalizer(driver.quit)
    request.addfinalizer(lambda: keep_screenshot_on_failure(request, driver))
    visit = Visit(driver, demo_node)
    with app.app_context():  # the programme's date (Europe/Paris), as the node reads it
        today = clock.today().isoformat()

    # The SME manager: an empty home says what to do; the need is published in one step.
    home = visit.log_in(SME)
    if width < 700:  # on a phone the navigation folds behind « Menu », actions stay on screen
        needs_link = visit.css("nav.mainnav a[href='/needs']")
        assert visit.css("label.menu-button").is_displayed() and not needs_link.is_displayed()
        header = visit.css("header.topbar").size["height"]
        assert header < 120, f"the folded header takes {header} px of a phone's screen"
        visit.css("label.menu-button").click()
        assert needs_link.is_displayed()
    assert "À faire" in home
    visit.get("/needs/new")
    assert visit.css("#postcode").get_attribute("value")  # from the SME's own address
    visit.css("#title").send_keys(NEED_TITLE)
    visit.css("#description").send_keys(
        "Nous voulons des fiches de poste à jour et une trame d'entretien professionnel "
        "conforme au droit du travail pour nos 24 salariés."
    )
    visit.css("#skills").send_keys("droit du travail; entretien professionnel; fiches de poste")
    Select(visit.css("#category")).select_by_value("hr")
    visit.css("#days").clear()
    visit.css("#days").send_keys("2")
    for field, value in (("starts_on", today), ("ends_on", "2099-12-31")):
        driver.execute_script("arguments[0].value = arguments[1]", visit.css(f"#{field}"), value)
    page = visit.click(visit.css("button[name=publish]"))
    assert re.search(r"Besoin N-\d+ publié : \d+ proposition", page), page
    with app.app_context():
        need = db.session.query(Need).filter_by(title=NEED_TITLE).one()
        need_id = need.id

    def answer(message: str) -> str:
        row = next(
            r
            for r in driver.find_elements(By.CSS_SELECTOR, "table.stack tbody tr")
            if NEED_TITLE in r.text and "Droit social" in r.text
        )
        if message:
            row.find_element(By.NAME, "message").send_keys(message)
        return visit.click(row.find_element(By.CSS_SELECTOR, "button[value=accept]"))

    visit.get("/proposals")
    answer("Disponibles les mardis")

    # The expert accepts: a mission is agreed, both acceptances in its timeline.
    visit.log_in(EXPERT)
    visit.get("/proposals")
    answer("")
    with app.app_context():
        mission = db.session.query(Mission).filter_by(need_id=need_id).one()
        mission_id, ref = mission.id, mission.ref
    page = visit.get(f"/missions/{mission_id}")
    assert "accord trouvé, à approuver" in page and "« Disponibles les mardis »" in page
    assert "direction@menuiserie-colin-demo.example" in page  # the contacts

    # The coordinator approves from the work queue, seeing what is left before deciding.
    home = visit.log_in(COORDINATOR)
    assert "Missions à approuver" in home
    page = visit.click(driver.find_element(By.PARTIAL_LINK_TEXT, "Missions à approuver"))
    assert ref in page
    page = visit.click(driver.find_element(By.LINK_TEXT, ref))
    assert "Avant de décider : demande de 2 jours" in page
    page = visit.click(visit.css("form[action$='/approve'] button[type=submit]"))
    assert re.search(
        rf"Mission {ref} approuvée : réservation de 2 jours, il reste [\d,]+ jours", page
    )

    # The expert plans a session today and declares it held.
    visit.log_in(EXPERT)
    visit.get(f"/missions/{mission_id}")
    form = visit.css("form[action$='/plan']")
    driver.execute_script(
        "arguments[0].value = arguments[1]", form.find_element(By.NAME, "held_on"), today
    )
    Select(form.find_element(By.NAME, "minutes")).select_by_value("420")
    page = visit.click(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert f"Séance planifiée pour la mission {ref}" in page
    page = visit.click(visit.css("form[action$='/held'] button[type=submit]"))
    assert "déclarée tenue" in page

    # The SME confirms from its work queue; its notifications told it each step.
    home = visit.log_in(SME)
    assert "Séances à confirmer" in home
    notes = visit.get("/notifications")
    assert f"Mission {ref} approuvée (2 jours)" in notes
    visit.get(f"/missions/{mission_id}")
    page = visit.click(visit.css("form[action$='/confirm'] button[type=submit]"))
    assert "confirmée" in page

    # The scheduler's ledger job logs the day once.
    logged = runner.invoke(args=["jobs", "run", "log-delivered-days"])
    assert logged.exit_code == 0, logged.output
    assert runner.invoke(args=["jobs", "run", "log-delivered-days"]).exit_code == 0

    # The coordinator: dashboard, report, downloads.
    visit.log_in(COORDINATOR)
    with app.app_context():
        convention_id = db.session.get(Mission, mission_id).convention_id
    page = visit.get(f"/conventions/{convention_id}")
    assert ref in page  # the convention's newest missions
    page = visit.get(f"/reports?convention={convention_id}")
    assert ref in page
    links = {
        a.text: a.get_attribute("href")
        for a in driver.find_elements(By.CSS_SELECTOR, "form.filters a")
    }
    status, kind, body = visit.download(links["CSV"])
    assert status == 200 and body.startswith(b"\xef\xbb\xbf")
    assert "Jours réalisés".encode() in body
    status, kind, body = visit.download(links["XLSX"])
    assert status == 200 and body.startswith(b"PK") and "spreadsheetml" in kind
    status, kind, body = visit.download(links["PDF"])
    assert status == 200 and kind == "application/pdf" and body.startswith(b"%PDF-")
    page = visit.get(f"/reports?convention={convention_id}&print=1")
    assert "Jours de compétences réalisés" in page and "Édité le" in page

    # The group's referent sees the convention as far as the group goes.
    visit.log_in(REFERENT)
    page = visit.get(f"/conventions/{convention_id}")
    assert "Saint-Gobain" in page
    visit.get(f"/missions/{mission_id}")

    # The administrator: users, and the outbox of mails.
    visit.log_in(ADMIN)
    assert "Demo" in visit.get("/admin/users") or "Claire Martin" in visit.get("/admin/users")
    visit.get("/admin/outbox")

    # English, one click away, and remembered.
    visit.get("/")
    if width < 700:
        visit.css("label.menu-button").click()  # the language is in the folded menu
    page = visit.click(visit.css("button[name=lang][value=en]"))
    assert 'lang="en"' in driver.page_source and "To do" in page
    page = visit.get(f"/missions/{mission_id}")
    assert "Timeline" in page and "accepted by the SME" in page

    assert visit.violations == {}, f"axe-core found critical or serious issues: {visit.violations}"
