"""The interactive graph page in a real headless browser: Chromium driven through Selenium.

Selenium talks to Chromium through chromedriver, and Debian builds `chromium` and
`chromium-driver` from one source package, so the two always match; nothing is
downloaded (the driver and the browser are given by path, so Selenium Manager
never runs). The tests skip, saying what is missing, without the selenium
package, Chromium, chromedriver or Graphviz (`.ci/run` installs them).

    python tests/test_viz_html_browser.py docs/graph_page.png   # the README's screenshot
"""

import json
import os
import shutil
import sys
import time

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.viz import dot_available, to_html

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,800")


def missing():
    """Why the browser cannot run here, or None when it can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[dev]')"
    if not any(shutil.which(b) for b in BROWSERS):
        return "no Chromium found (apt-get install chromium chromium-driver)"
    if not shutil.which("chromedriver"):
        return "no chromedriver found (apt-get install chromium-driver)"
    if not dot_available():
        return "Graphviz's dot is not installed"
    return None


def start_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = next(shutil.which(b) for b in BROWSERS if shutil.which(b))
    for arg in ARGS:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


@pytest.fixture(scope="module")
def browser():
    reason = missing()
    if reason:
        pytest.skip(f"browser test: {reason}")
    driver = start_browser()
    yield driver
    driver.quit()


def lstm_page(path, steps=3):
    """A composite LSTM over `steps` steps, forward under record_values, backward under
    record_grad_norms, written as a page."""
    tr.manual_seed(0)
    model = nn.LSTM(3, 4, impl="composite")
    with tr.viz.record_values():
        output, _ = model(tr.randn(steps, 2, 3))
        loss = (output[steps - 1] ** 2).mean()
    with tr.record_grad_norms():
        loss.backward()
    return to_html(loss, path, params=model)


@pytest.fixture
def page(browser, tmp_path):
    """The browser showing a fresh LSTM page; returns (driver, the page's data)."""
    path = lstm_page(tmp_path / "graph.html")
    browser.get(f"file://{path}")
    return browser, browser.execute_script("return JSON.parse(document.getElementById('graph-data').textContent)")


def node(driver, key):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.CSS_SELECTOR, f"g.node[data-key='{key}']")


def hover(driver, element):
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(driver).move_to_element(element).perform()


def current_keys(driver):
    return driver.execute_script("return [...document.querySelectorAll('g.node.current')].map(g => g.dataset.key)")


def test_the_page_loads_fetching_nothing_and_logging_no_error(page):
    driver, data = page
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    drawn = driver.execute_script("return document.querySelectorAll('g.node[data-key]').length")
    assert drawn == len(data["nodes"])


def test_hovering_a_node_shows_its_op_scope_shapes_dtype_values_and_gradient_norm(page):
    driver, data = page
    key = next(k for k, n in data["nodes"].items() if n["name"] == "Tanh" and n["step"].endswith("t=1"))
    hover(driver, node(driver, key))
    tip = driver.find_element("id", "tip")
    lines = tip.text.splitlines()
    assert tip.is_displayed()
    assert lines[:4] == ["Tanh (op)", "scope: LSTM layer 0 forward / t=1", "output shape: (2, 4)",
                         "dtype: float32 on cpu"]
    values = data["nodes"][key]["values"][0]
    assert lines[4].startswith("values: min ") and f"norm {values['norm']:.4g}" in lines[4]
    assert lines[5] == f"grad norm: {data['nodes'][key]['grad_norm']:.4g}"


def test_stepping_the_backward_once_moves_the_highlight_to_the_next_node(page):
    driver, data = page
    assert current_keys(driver) == []                         # the forward view
    driver.find_element("id", "next").click()
    assert current_keys(driver) == [data["backward"][0]]      # the root: backward starts there
    driver.find_element("id", "next").click()
    assert current_keys(driver) == [data["backward"][1]] != [data["backward"][0]]
    status = driver.find_element("id", "status").text
    assert status.startswith(f"backward 2 of {len(data['backward'])}: ")


def test_a_reached_node_takes_the_colour_of_its_gradient_norm(page):
    driver, data = page
    driver.find_element("id", "next").click()
    root = data["backward"][0]
    fill = driver.execute_script("return arguments[0].querySelector('path, polygon, ellipse').style.fill",
                                 node(driver, root))
    assert fill == rgb(data["nodes"][root]["fill"])
    faded = driver.execute_script("return getComputedStyle(arguments[0]).opacity", node(driver, data["backward"][1]))
    assert float(faded) < 1


def test_keys_step_forward_and_back(page):
    from selenium.webdriver.common.keys import Keys
    driver, data = page
    body = driver.find_element("tag name", "body")
    body.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_LEFT)
    assert current_keys(driver) == [data["backward"][1]]
    body.send_keys(Keys.END)
    assert current_keys(driver) == [data["backward"][-1]]


def test_clicking_a_time_step_outlines_its_nodes(page):
    driver, data = page
    step = "LSTM layer 0 forward / t=1"
    label = step_label(driver, step)
    assert label.text == "t=1"
    label.click()
    outlined = driver.execute_script("return [...document.querySelectorAll('g.node.in-step')].map(g => g.dataset.key)")
    assert sorted(outlined) == sorted(k for k, n in data["nodes"].items() if n["step"] == step)
    assert "time step LSTM layer 0 forward / t=1" in driver.find_element("id", "status").text


def test_a_screenshot_of_the_page_mid_backward(page, tmp_path):
    driver, data = page
    for _ in range(len(data["backward"]) // 2):
        driver.find_element("id", "next").click()
    hover(driver, node(driver, data["backward"][len(data["backward"]) // 2 - 1]))
    assert driver.save_screenshot(str(tmp_path / "graph.png"))
    assert (tmp_path / "graph.png").read_bytes().startswith(b"\x89PNG")


def step_label(driver, step):
    """The label ("t=1") of the cluster drawing `step`."""
    return driver.execute_script("return [...document.querySelectorAll('g.cluster')]"
                                 ".find(g => g.dataset.step === arguments[0]).querySelector('text')", step)


def rgb(colour):
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def write_screenshot(png, steps=4):
    """The README's picture: an LSTM's page midway through the backward pass, one node hovered."""
    reason = missing()
    if reason:
        raise SystemExit(f"cannot take the screenshot: {reason}")
    html = os.path.splitext(png)[0] + ".html"
    lstm_page(html, steps=steps)
    driver = start_browser()
    try:
        driver.set_window_size(1280, 960)
        start = time.perf_counter()
        driver.get(f"file://{os.path.abspath(html)}")
        data = driver.execute_script("return JSON.parse(document.getElementById('graph-data').textContent)")
        driver.execute_script("document.getElementById('fit').click()")
        ahead = next(i for i, k in enumerate(data["backward"]) if (data["nodes"][k]["step"] or "").endswith("t=1"))
        for _ in range(ahead + 1):
            driver.find_element("id", "next").click()
        step_label(driver, f"LSTM layer 0 forward / t={steps - 1}").click()
        hover(driver, node(driver, data["backward"][ahead // 2]))
        driver.save_screenshot(png)
        print(f"wrote {png} ({os.path.getsize(png) // 1024} KiB) in {time.perf_counter() - start:.1f}s; "
              f"data {len(json.dumps(data)) // 1024} KiB")
    finally:
        driver.quit()
        os.remove(html)


if __name__ == "__main__":
    write_screenshot(sys.argv[1] if len(sys.argv) > 1 else "docs/graph_page.png")
