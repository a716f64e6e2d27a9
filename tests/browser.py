"""What the browser tests share: headless Debian Chromium through Selenium, logging in
through the real form, waiting for the next page, axe-core on every page, and a screenshot
of the browser under test-artifacts/ when a test fails."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = ROOT / "test-artifacts"
# Fetched from the npm registry by `make test` (see the Makefile); served to each page.
AXE_JS = Path(os.environ.get("AXE_JS") or ROOT / "tests/.vendor/axe-4.14.1.min.js")
if not AXE_JS.is_absolute():
    AXE_JS = ROOT / AXE_JS

BROWSER_MARKS = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(
        not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)),
        reason="Chromium and ChromeDriver are not installed (Debian: chromium chromium-driver)",
    ),
]


def start_chromium(width: int = 1366, height: int = 900):
    """Headless Chromium in French; below 500 px (Chromium's smallest window) the width is
    set as a phone's viewport."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--lang=fr",
    ):
        options.add_argument(argument)
    options.add_argument(f"--window-size={max(width, 500)},{height}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    if width < 500:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True},
        )
    driver.implicitly_wait(5)
    return driver


def keep_screenshot_on_failure(request, driver) -> None:
    call = getattr(request.node, "report_call", None)
    if call is not None and call.failed:  # what the browser showed when the test failed
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"{request.node.name}.png"
        driver.save_screenshot(str(shot))
        print(f"screenshot of the failure: {shot} ({driver.current_url})")


def log_in(driver, base: str, email: str, password: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.delete_all_cookies()
    driver.get(f"{base}/login")
    driver.find_element(By.NAME, "email").send_keys(email)
    password_field = driver.find_element(By.NAME, "password")
    password_field.send_keys(password)
    password_field.submit()
    WebDriverWait(driver, 30).until(lambda d: "/login" not in d.current_url)


def click_and_wait(driver, element) -> None:
    """Click what submits a form or follows a link, and wait until the next page is loaded
    (a mark left on this page's window is gone and the new document is complete)."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("window.__leaving = true")
    element.click()
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script(
            "return window.__leaving === undefined && document.readyState === 'complete'"
        )
    )


def axe_violations(driver) -> list[dict]:
    """axe-core's critical and serious violations on the page shown (WCAG 2.x A and AA)."""
    if not AXE_JS.is_file():
        raise AssertionError(f"axe-core is missing at {AXE_JS}: `make test` fetches it (npm)")
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(AXE_JS.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a',
          'wcag21aa', 'best-practice']}, resultTypes: ['violations']})
          .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))
          .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));"""
    )
    return [v for v in result if v["impact"] in ("critical", "serious")]
