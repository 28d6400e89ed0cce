#!/usr/bin/env python3
"""The workspace (`journey serve`) in a real browser: headless Chromium driven by Selenium.

Starts `journey serve` on the demo model, and as a planner would, from the keyboard:
changes the win-back scenario's churn effect and sees the comparison change; types a bad
reach and sees the scenario language's own message beside the control; saves the scenario as
YAML and checks the file on disk; checks the page's numbers against `journey compare` on the
saved files; and checks that a screenshot at 1280x800 is not blank.

Usage: Tests/browser/workspace.py [--screenshot docs/workspace.png]
Environment: JOURNEY_BINARY (default: the debug build), CHROMEDRIVER (default /usr/bin/chromedriver).
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLAGS = ["--horizon", "12", "--replicates", "300", "--seed", "3"]


def binary():
    if os.environ.get("JOURNEY_BINARY"):
        return os.environ["JOURNEY_BINARY"]
    path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(path, "journey")


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print("ok:", message)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--screenshot", help="also keep the 1280x800 screenshot here (e.g. docs/workspace.png)")
    args = parser.parse_args()
    journey = binary()
    work = tempfile.mkdtemp(prefix="journey-browser-")
    server = None
    driver = None
    try:
        subprocess.run([journey, "demo", "--output", os.path.join(work, "demo")], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        model = os.path.join(work, "demo", "model.json")
        scenarios = os.path.join(work, "scenarios")
        shutil.copytree(os.path.join(REPO, "scenarios"), scenarios)
        server = subprocess.Popen([journey, "serve", "--model", model, "--scenarios", scenarios, "--port", "0"] + FLAGS, stdout=subprocess.PIPE, text=True)
        line = server.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        check(url is not None, "journey serve says where it listens: " + line.strip())
        url = url.group(0)

        options = webdriver.ChromeOptions()
        for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800"]:
            options.add_argument(flag)
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
        # The page's own viewport at 1280x800, whatever the window's frame takes.
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
        driver.get(url)
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")

        def comparison():
            return json.loads(driver.execute_script("return document.getElementById('comparison-data').textContent"))

        def row(name):
            # None while the scenario has a mistake (a half-typed value) and is left out.
            return next((r for r in comparison()["rows"] if r["name"] == name), None)

        def updates():
            return int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-updates") or 0)

        names = [r["name"] for r in comparison()["rows"]]
        check(names[0] == "baseline" and "win-back" in names, "the demo's scenarios are compared, baseline first: %s" % names)
        card = next(e.get_attribute("name").split(".")[0] for e in driver.find_elements(By.CSS_SELECTOR, "input[name$='.name']") if e.get_attribute("value") == "win-back")
        before = row("win-back")["incremental_profit"]["expected"]

        # The keyboard reaches a labelled control: Tab from the top of the page.
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        focused = None
        for _ in range(12):
            focused = driver.switch_to.active_element
            if focused.tag_name == "input":
                break
            focused.send_keys(Keys.TAB)
        focused_id = focused.get_attribute("id")
        check(focused.tag_name == "input" and len(driver.find_elements(By.CSS_SELECTOR, "label[for='%s']" % focused_id)) == 1,
              "Tab reaches a labelled control (%s)" % focused_id)

        # Change an effect, from the keyboard, and see the comparison change.
        churn = driver.find_element(By.ID, card + ".interventions[0].effects.churn")
        churn.send_keys(Keys.CONTROL, "a")
        seen = updates()
        churn.send_keys("-40%")
        wait.until(lambda d: updates() > seen and d.find_element(By.TAG_NAME, "body").get_attribute("data-pending") == "false"
                   and row("win-back") is not None and row("win-back")["incremental_profit"]["expected"] != before)
        after = row("win-back")["incremental_profit"]["expected"]
        check(after > before, "a stronger churn effect (-15%% -> -40%%) raises win-back's incremental profit: %.0f -> %.0f" % (before, after))
        table = driver.find_element(By.ID, "comparison-table").text
        check("win-back" in table, "the comparison table shows the changed scenario")

        # Latency a planner feels: one change to the updated comparison in the page. Polled every
        # 5 ms: at WebDriverWait's default half second, an update that missed the first look was
        # timed at 0.5 s, and the median read 47-92 ms on some runs and 542-555 ms on others of the
        # same code.
        def settled(d):
            return d.find_element(By.TAG_NAME, "body").get_attribute("data-pending") == "false"
        watch = WebDriverWait(driver, 30, poll_frequency=0.005)
        latencies = []
        for value in ["-41%", "-42%", "-43%", "-44%", "-40%"] * 2:
            wait.until(settled)
            seen = updates()
            start = time.perf_counter()
            driver.execute_script("var c = document.getElementById(arguments[0]); c.value = arguments[1];"
                                  "c.dispatchEvent(new Event('input', {bubbles: true}));", card + ".interventions[0].effects.churn", value)
            watch.until(lambda d: updates() > seen and settled(d))
            latencies.append(time.perf_counter() - start)
        print("change-to-comparison in the browser (demo model, 300 replicates): median %.0f ms, max %.0f ms" %
              (statistics.median(latencies) * 1e3, max(latencies) * 1e3))

        # A bad value gets the scenario language's message beside its control.
        reach = driver.find_element(By.ID, card + ".interventions[0].reach")
        reach.send_keys(Keys.CONTROL, "a")
        reach.send_keys("150%")
        error_id = "err:" + card + ".interventions[0].reach"
        expected = "interventions[0].reach: '150%' is not valid; expected a share from 0% to 100%, e.g. 60%"
        wait.until(lambda d: d.find_element(By.ID, error_id).text == expected)
        check(reach.get_attribute("aria-invalid") == "true", "the bad reach is marked and explained beside it: " + expected)
        check("win-back" not in [r["name"] for r in comparison()["rows"]], "a scenario with a mistake leaves the comparison until fixed")
        reach.send_keys(Keys.CONTROL, "a")
        reach.send_keys("60%")
        wait.until(lambda d: d.find_element(By.ID, error_id).text == "" and "win-back" in [r["name"] for r in comparison()["rows"]])

        # Save it under a new name, as YAML in the scenarios folder.
        name = driver.find_element(By.ID, card + ".name")
        name.send_keys(Keys.CONTROL, "a")
        name.send_keys("win-back stronger")
        file = driver.find_element(By.ID, card + ".file")
        file.send_keys(Keys.CONTROL, "a")
        file.send_keys("winback-stronger.yaml")
        wait.until(lambda d: any(r["name"] == "win-back stronger" for r in comparison()["rows"]))
        time.sleep(0.5)
        save = driver.find_element(By.ID, "save-" + card[1:])
        save.send_keys(Keys.ENTER)
        wait.until(lambda d: d.find_element(By.ID, "saved-" + card[1:]).text.startswith("Saved to"))
        saved = os.path.join(scenarios, "winback-stronger.yaml")
        with open(saved) as f:
            yaml = f.read()
        check("name: win-back stronger\n" in yaml and "churn: -40%\n" in yaml and "reach: 60%\n" in yaml,
              "the saved YAML has the edited values:\n" + yaml)

        # The page's numbers are journey compare's on the same files, in the same order.
        page = comparison()
        files = {"baseline": "baseline.yaml", "acquisition push": "acquisition-push.yaml", "onboarding": "onboarding.yaml",
                 "service quality": "service-quality.yaml", "win-back stronger": "winback-stronger.yaml"}
        order = [os.path.join(scenarios, files[r["name"]]) for r in page["rows"]]
        cli = json.loads(subprocess.run([journey, "compare", "--model", model] + order + ["--json"] + FLAGS, check=True, capture_output=True, text=True).stdout)
        for served, printed in zip(page["rows"], cli["rows"]):
            for key in ["incremental_profit", "profit", "revenue", "customers", "cost", "roi", "payback_period", "probability_beats_baseline"]:
                check(served.get(key) == printed.get(key), "%s: %s as journey compare prints it (%s)" % (served["name"], key, json.dumps(printed.get(key))))

        # The page at 1280x800 is not blank.
        driver.execute_script("window.scrollTo(0, 0);"
                              "document.getElementById(arguments[0]).scrollIntoView({block: 'start'});"
                              "window.scrollTo(0, 0);", "card-" + card[1:])
        check(driver.execute_script("return document.documentElement.scrollWidth") <= 1280, "nothing sticks out sideways at 1280 wide")
        shot = os.path.join(work, "workspace.png")
        driver.save_screenshot(shot)
        image = Image.open(shot).convert("RGB")
        check(image.size == (1280, 800), "the screenshot is 1280x800: %s" % (image.size,))
        colours = image.getcolors(maxcolors=1 << 20) or []
        dark = sum(count for count, (r, g, b) in colours if r + g + b < 384)
        share = dark / (image.size[0] * image.size[1])
        check(len(colours) > 50 and share > 0.01, "the screenshot is not blank: %d colours, %.1f%% dark pixels (text)" % (len(colours), share * 100))
        if args.screenshot:
            shutil.copy(shot, args.screenshot)
            print("screenshot:", args.screenshot)
        print("workspace browser test passed")
    finally:
        if driver:
            driver.quit()
        if server:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
