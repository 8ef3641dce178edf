"""The dashboard in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``) driven by Selenium signs in, filters the audit log to errors, opens an
error's details, and checks what a person sees there.

Skipped when Chromium is not installed, except under CI (``CI=true``), where it fails:
``.ci/run`` installs it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    NoAlertPresentException,
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.accounts.harness import ApiUser, Harness
from tests.dashboard.site import HOSTILE, HOSTILE_AGENT, Dashboard, Traffic, send_traffic

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)
WAIT = 15.0


def _require_chromium() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return
    reason = (
        f"{' and '.join(missing)} missing: install Debian's chromium and chromium-driver "
        "(apt-get install chromium chromium-driver) to run the browser test."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def _chromium(profile: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        driver.set_page_load_timeout(WAIT)
        yield driver
    finally:
        driver.quit()


def _shows(driver: WebDriver, tag: str, text: str) -> None:
    """Wait until the page's first ``tag`` element holds ``text``.

    The page may be navigating meanwhile: the element found can be replaced before its text
    is read, which chromedriver reports as a stale element or, from Chromium 156, as an
    inspector error ("Node with given id does not belong to the document"); either is a
    page not there yet, and the wait goes on.
    """

    def holds(current: WebDriver) -> bool:
        try:
            return text in current.find_element(By.TAG_NAME, tag).text
        except (NoSuchElementException, StaleElementReferenceException):
            return False
        except WebDriverException as error:
            if "does not belong to the document" in (error.msg or ""):
                return False
            raise

    WebDriverWait(driver, WAIT).until(holds, f"no <{tag}> holding {text!r}")


def _heading(driver: WebDriver, title: str) -> None:
    _shows(driver, "h1", title)


def _no_horizontal_scroll(driver: WebDriver) -> None:
    widths = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert widths[0] <= widths[1], f"the page scrolls sideways at 1280px: {widths}"


def _no_alert(driver: WebDriver) -> None:
    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        return
    raise AssertionError(f"a script ran: alert {alert.text!r}")


def _labelled(driver: WebDriver, label: str) -> WebElement:
    """The form control a visible ``<label>`` names, as a person finds it."""
    element = driver.find_element(By.XPATH, f"//label[normalize-space()='{label}']")
    target = element.get_attribute("for")
    if target:
        return driver.find_element(By.ID, target)
    return element.find_element(By.TAG_NAME, "input")


def _fact(driver: WebDriver, name: str) -> str:
    return driver.find_element(
        By.XPATH, f"//dl[@class='facts']/dt[normalize-space()='{name}']/following-sibling::dd[1]"
    ).text


def _browse(base: str, admin: ApiUser, traffic: Traffic, profile: Path) -> None:
    with _chromium(profile) as driver:
        # Not signed in: the dashboard sends the browser to its sign-in page.
        driver.get(f"{base}/admin")
        _heading(driver, "Sign in")
        assert (
            "Sign in with an administrator's key and secret"
            in driver.find_element(By.CSS_SELECTOR, "[role=status]").text
        )
        _labelled(driver, "API key").send_keys(admin.key)
        _labelled(driver, "Secret").send_keys(admin.secret)
        driver.find_element(By.XPATH, "//button[normalize-space()='Sign in']").click()

        # The landing page, styled (the stylesheet's hash passes the CSP), readable at 1280px.
        _heading(driver, "API Endpoint Maintenance")
        header = driver.find_element(By.TAG_NAME, "header")
        assert "Signed in as School Office" in header.text
        assert header.value_of_css_property("background-color") == "rgba(20, 50, 79, 1)"
        errors = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=recent-errors]")
        assert HOSTILE in errors.text  # shown as text...
        _no_alert(driver)  # ...never run
        assert [
            item.find_element(By.CLASS_NAME, "error-code").text
            for item in errors.find_elements(By.TAG_NAME, "li")
        ] == [
            "401 UNAUTHENTICATED",
            "400 BAD_USER_INPUT",
            "200 FORBIDDEN_FIELD",
        ]
        assert (
            driver.find_element(By.CSS_SELECTOR, "svg[role=img] title").get_attribute("textContent")
            == "Requests and errors over time"
        )
        _no_horizontal_scroll(driver)

        # The audit log, filtered to errors with the form.
        driver.find_element(By.LINK_TEXT, "View Logs").click()
        _heading(driver, "API Audit Logs")
        _labelled(driver, "Errors Only").click()
        driver.find_element(By.XPATH, "//button[normalize-space()='Apply Filters']").click()
        _shows(driver, "caption", "Showing 1 to 3 of 3 records")
        assert "errors_only=on" in driver.current_url
        rows = driver.find_elements(By.CSS_SELECTOR, "table.log-grid tbody tr")
        statuses = [row.find_elements(By.TAG_NAME, "td")[4].text for row in rows]
        assert statuses == ["401 UNAUTHENTICATED", "400 BAD_USER_INPUT", "200 FORBIDDEN_FIELD"]
        _no_horizontal_scroll(driver)

        # The hostile error's details, as the seed's Error Details screen lists them.
        rows[1].find_element(By.PARTIAL_LINK_TEXT, "Details").click()
        _heading(driver, "Error Details")
        assert _fact(driver, "Request ID") == traffic.hostile[0]
        assert _fact(driver, "User Name") == "Acme Timetables"
        assert _fact(driver, "Status") == "400"
        assert _fact(driver, "User Agent") == HOSTILE_AGENT
        assert HOSTILE in _fact(driver, "Error Message")
        assert _fact(driver, "IP Address") == "127.0.0.1"
        _no_alert(driver)
        _no_horizontal_scroll(driver)

        console = driver.get_log("browser")  # type: ignore[no-untyped-call]  # unannotated upstream
        violations = [
            entry["message"]
            for entry in console
            if "Content Security Policy" in entry["message"] or entry["level"] == "SEVERE"
        ]
        assert not violations, violations

        # Signing out ends the session: the dashboard is closed again.
        driver.find_element(By.XPATH, "//button[normalize-space()='Sign out']").click()
        _heading(driver, "Sign in")
        assert "You have signed out." in driver.find_element(By.CSS_SELECTOR, "[role=status]").text
        driver.get(f"{base}/admin/logs")
        _heading(driver, "Sign in")


async def test_an_admin_finds_an_error_and_its_details_in_a_real_browser(
    harness: Harness,
    dashboard: Dashboard,
    admin: ApiUser,
    partner: ApiUser,
    tmp_path: Path,
) -> None:
    _require_chromium()
    traffic = await send_traffic(harness, partner)
    await dashboard.flush()

    # Selenium blocks: drive the browser from a thread while this loop serves the gateway.
    await asyncio.to_thread(
        _browse, str(harness.url).rstrip("/"), admin, traffic, tmp_path / "chromium"
    )
