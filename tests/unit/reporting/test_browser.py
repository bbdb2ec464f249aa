"""The HTML report in a real headless Chromium: loads, no console errors, no network, prints.

Needs Debian's ``chromium`` and ``chromium-driver`` (installed by ``.ci/run``) and the
``selenium`` test dependency; skips with the reason where they are absent.
"""

import base64
import json
import shutil

import pytest

from cehrs_items.reporting import build_report

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture
def driver():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed")
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("headless Chromium not found (apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield browser
    browser.quit()


def test_report_loads_without_errors_or_network_and_prints(
    driver, report_inputs, hostile_stem, tmp_path
):
    page = tmp_path / "report.html"
    page.write_text(
        build_report(
            report_inputs["analysis"],
            bank=report_inputs["bank"],
            calibration=report_inputs["params"],
        ),
        encoding="utf-8",
    )
    url = page.as_uri()
    driver.get(url)
    assert driver.title == "CEHRS item and test analysis"

    console = [
        entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")
    ]
    assert console == []

    messages = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
    requested = [
        m["params"]["request"]["url"]
        for m in messages
        if m["method"] == "Network.requestWillBeSent"
    ]
    assert requested == [url]

    text = driver.find_element("tag name", "body").text
    assert "NC-0001" in text and "CO-0001" in text
    assert hostile_stem in text  # shown literally, never executed
    assert driver.execute_script("return typeof window.alert === 'function'")
    assert (
        driver.find_elements("css selector", "article.item")
        and len(driver.find_elements("css selector", "article.item")) == 2
    )

    # Sorting a table by clicking its heading reorders rows.
    table = driver.find_element("css selector", "#item-table table")
    first_cell = lambda: table.find_element("css selector", "tbody tr td").text  # noqa: E731
    p_header = table.find_elements("css selector", "thead th")[5]
    p_header.click()
    ascending = first_cell()
    p_header.click()
    assert {ascending, first_cell()} == {"CO-0001", "NC-0001"}

    pdf = base64.b64decode(driver.print_page())
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
