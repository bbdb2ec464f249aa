"""A real client: Cito's QTI 3 web components (@citolab/qti-components) render and score
the exported items in headless Chromium.

Every sixth item of the shipped bank (and one with markup-like text) goes on one page as its exported ``qti-assessment-item``;
the components must show the stem and the options as text (item text is escaped, never
markup), and their response processing must score the key 1 and a distractor 0.

Needs Debian's ``chromium`` and ``chromium-driver``, the ``selenium`` test dependency and
the components' browser bundle, which ``.ci/run`` installs from the npm registry and
names in ``CEHRS_QTI_COMPONENTS`` (``.../@citolab/qti-components/cdn/index.global.js``);
skips with the reason where any is absent. Nothing is fetched at test time.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cehrs_items.bank import load_bank
from cehrs_items.exchange.qti import item_xml

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
BANK = ROOT / "item_bank"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
BUNDLE = os.environ.get("CEHRS_QTI_COMPONENTS", "")

_SCORE_ALL = """
const results = {};
for (const item of document.querySelectorAll('qti-assessment-item')) {
  const id = item.getAttribute('identifier');
  const labels = [...item.querySelectorAll('qti-simple-choice')].map(c => c.getAttribute('identifier'));
  const scores = {};
  for (const label of labels) {
    item.querySelector(`qti-simple-choice[identifier="${label}"]`).click();
    item.processResponse();
    scores[label] = item.getOutcome('SCORE').value;
  }
  results[id] = {
    scores,
    prompt: item.querySelector('qti-prompt').textContent,
    choices: [...item.querySelectorAll('qti-simple-choice')].map(c => c.textContent),
    shadow: [...item.querySelectorAll('qti-simple-choice')].every(c => !!c.shadowRoot),
  };
}
return results;
"""


@pytest.fixture
def driver():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed")
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("headless Chromium not found (apt-get install chromium chromium-driver)")
    if not BUNDLE or not Path(BUNDLE).is_file():
        pytest.skip(
            "Cito's qti-components bundle not found: set CEHRS_QTI_COMPONENTS to "
            "@citolab/qti-components/cdn/index.global.js (.ci/run installs it from npm)"
        )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield browser
    browser.quit()


def test_cito_components_render_and_score_exported_items(driver, tmp_path):
    # every 6th item of the bank (all domains and key letters), and one with markup-like text
    docs = [item.raw for item in load_bank(BANK, with_stats=False).sorted_items()][::6]
    assert {d["key"] for d in docs} == {"A", "B", "C", "D"}
    odd = dict(docs[0], id="NC-0999", stem='Is <b>this</b> & "that" shown as text?')
    docs.append(odd)
    bodies = [item_xml(doc).decode("utf-8").split("?>", 1)[1] for doc in docs]
    shutil.copy(BUNDLE, tmp_path / "qti-components.js")
    page = tmp_path / "items.html"
    page.write_text(
        '<!doctype html><html><head><meta charset="utf-8">'
        '<script defer src="qti-components.js"></script></head><body>'
        + "".join(f"<qti-item>{body}</qti-item>" for body in bodies)
        + "</body></html>",
        encoding="utf-8",
    )
    driver.get(page.as_uri())
    driver.set_script_timeout(60)
    driver.execute_async_script(
        "const done = arguments[0];"
        "customElements.whenDefined('qti-assessment-item').then(() => setTimeout(done, 500));"
    )
    results = driver.execute_script(_SCORE_ALL)
    assert len(results) == len(docs) == 65
    for doc in docs:
        got = results[doc["id"]]
        assert got["shadow"], doc["id"]
        assert got["prompt"] == doc["stem"], doc["id"]
        assert got["choices"] == list(doc["options"].values()), doc["id"]
        expected = {label: "1" if label == doc["key"] else "0" for label in doc["options"]}
        assert {k: str(v) for k, v in got["scores"].items()} == expected, doc["id"]
