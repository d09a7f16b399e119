"""The web page at /ui in a real browser: headless Chromium (Debian's chromium and
chromium-driver) driven by Selenium, against `zoo serve --model` of the tests'
own models (tests/conftest.py: lid, poems, tr). In CI a missing browser fails
these tests; elsewhere it skips them."""

import os
import shutil
import urllib.request

import pytest

from tests.own import post

pytestmark = pytest.mark.xdist_group("own-models")
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
TIMEOUT = 60


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        message = "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--window-size=1100,1400",
                     f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def page(browser, server, alias):
    """/ui with the model ``alias`` picked (the picker is filled from /models)."""
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(server["url"] + "/ui/")
    WebDriverWait(browser, TIMEOUT).until(
        lambda b: alias in [o.get_attribute("value") for o in Select(b.find_element("id", "model")).options])
    Select(browser.find_element("id", "model")).select_by_value(alias)
    return WebDriverWait(browser, TIMEOUT)


def fill(browser, element_id, text):
    element = browser.find_element("id", element_id)
    element.clear()
    if text:
        element.send_keys(text)


def test_root_sends_a_browser_to_the_page(own_server):
    with urllib.request.urlopen(own_server["url"] + "/") as response:
        assert response.url.endswith("/ui/") and b"rnn-zoo" in response.read()
    page_files = "".join(urllib.request.urlopen(own_server["url"] + f"/ui/{name}").read().decode()
                         for name in ("", "app.js", "style.css"))
    assert "http://" not in page_files.replace("http://127.0.0.1", "") and "https://" not in page_files


def test_classify_a_text_shows_the_label_and_its_probability(browser, own_server):
    wait = page(browser, own_server, "lid")
    fill(browser, "classify-text", "la maison est verte")
    browser.find_element("id", "classify-run").click()
    wait.until(lambda b: b.find_element("id", "classify-label").text)
    label = browser.find_element("id", "classify-label").text
    shown = float(browser.find_element("id", "classify-score").text.rstrip("%")) / 100
    expected = post(own_server, "/classify", {"texts": ["la maison est verte"], "model": "lid"})[1]["results"][0]
    assert label == expected["label"] == "fr"
    assert shown == pytest.approx(expected["score"], abs=0.001)
    width = browser.find_element("id", "classify-bar").get_attribute("style")
    assert f"{100 * expected['score']:.1f}%" in width
    assert browser.find_element("id", "error").get_attribute("hidden") is not None  # no error shown


def test_generate_and_translate_from_the_page(browser, own_server):
    wait = page(browser, own_server, "poems")
    fill(browser, "generate-prompt", "First")
    fill(browser, "generate-length", "12")
    browser.find_element("id", "generate-run").click()
    wait.until(lambda b: b.find_element("id", "generate-result").text)
    text = browser.find_element("id", "generate-result").text
    assert text.startswith("First") and len(text) >= 12

    wait = page(browser, own_server, "tr")
    fill(browser, "translate-text", "I see two cats.\nWe have one book.")
    browser.find_element("id", "translate-run").click()
    wait.until(lambda b: len(b.find_elements("css selector", "#translate-result li")) == 2)
    items = [li.text for li in browser.find_elements("css selector", "#translate-result li")]
    expected = post(own_server, "/translate", {"texts": ["I see two cats.", "We have one book."],
                                               "beam_size": 4, "model": "tr"})[1]["translations"]
    assert items == expected
    assert browser.find_element("id", "curves").get_attribute("src").endswith("/curves/tr")


def test_an_api_error_is_shown_on_the_page(browser, own_server):
    wait = page(browser, own_server, "lid")
    fill(browser, "classify-text", "")  # an empty text: the API answers 400
    browser.find_element("id", "classify-run").click()
    wait.until(lambda b: b.find_element("id", "error").is_displayed())
    message = browser.find_element("id", "error").text
    assert message.startswith("400") and "texts" in message
