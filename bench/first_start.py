"""The README's first start, timed: from `streamlit run app.py` to a page with data.

    python bench/first_start.py [--events 10000000] [--shots DIR]

Starts the dashboard as the README's first command does (requirements already installed), on
a free loopback port with an empty warehouse folder (GREENSTATS_DB, a new temporary folder, so
the demo data set is built from nothing), opens the Overview in Debian's headless Chromium as
soon as the server answers, as a reader who follows the terminal's link would, and waits until
the page shows its headline cards. It prints when the server answered, when the warehouse was
published and when the page showed data, each in seconds from the command, and what the page
showed meanwhile (its progress sentences, and whether it listed any page). With --shots, a
screenshot of the page every 10 s of the build goes into DIR.

The figures depend on the machine and on what else runs on it: README.md and BENCHMARKS.md
give the ones measured on the project's 2-core machine, with the date.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
#: The page has data once its first headline card shows a value.
CARD = '[data-testid="stMetricValue"]'
#: Streamlit's page list, in the sidebar or along the top.
NAV = '[data-testid="stTopNav"], [data-testid="stSidebarNav"]'
PROGRESS = '[data-testid="stProgress"]'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def watch(page, db: Path, t0: float, args: argparse.Namespace) -> dict:
    """Poll the page until it shows a headline card: when the warehouse was published, the
    progress sentences shown before that, whether any page was listed, screenshots."""
    seen: dict[str, float] = {}
    progress: list[tuple[float, str]] = []
    listed = 0
    next_shot = 0.0
    while page.locator(CARD).count() == 0:
        now = time.monotonic() - t0
        if now > args.timeout:
            sys.exit(f"no page with data after {args.timeout:.0f} s")
        if "warehouse published" not in seen:
            if (db / "CURRENT").exists():
                seen["warehouse published"] = now
            bar = page.locator(PROGRESS)
            text = bar.first.inner_text().strip() if bar.count() else ""
            if text and (not progress or progress[-1][1] != text):
                progress.append((now, text))
            listed = max(listed, page.locator(NAV).count())
        if args.shots and now >= next_shot:
            page.screenshot(path=str(args.shots / f"first-start-{now:05.0f}s.png"))
            next_shot = now + 10
        page.wait_for_timeout(250)
    seen["page with data"] = time.monotonic() - t0
    seen.setdefault("warehouse published", seen["page with data"])
    if args.shots:
        page.screenshot(path=str(args.shots / "first-start-ready.png"))
    return {"seen": seen, "progress": progress, "listed": listed}


def report(args: argparse.Namespace, seen: dict, progress: list, listed: int, log: str) -> None:
    print(f"first start of a {args.events:,}-event demo, {os.cpu_count()} cores")
    for what, seconds in seen.items():
        print(f"  {what:<22} {seconds:7.1f} s")
    print(f"  a page list shown during the build: {'yes' if listed else 'no'}")
    print("  each stage first seen on the page:")
    for stage in ("Generating", "Loading", "Computing"):
        first = next((seconds for seconds, text in progress if text.startswith(stage)), None)
        print(f"    {stage:<11} " + (f"{first:7.1f} s" if first is not None else "not seen"))
    print("  progress the page showed (first and last few):")
    shown = progress if len(progress) <= 8 else [*progress[:4], None, *progress[-4:]]
    for item in shown:
        print("    …" if item is None else f"    {item[0]:7.1f} s  {item[1]}")
    print("  terminal:")
    for line in log.splitlines():
        if line.startswith("greenstats"):
            print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000, help="demo size (default 10M)")
    parser.add_argument("--shots", type=Path, default=None, help="screenshots during the build")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds before giving up")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="greenstats-first-start-"))
    db = work / "warehouse"
    log = work / "terminal.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GREENSTATS_DB": str(db), "GREENSTATS_DEMO_EVENTS": str(args.events)}
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)

    t0 = time.monotonic()
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        while not healthy(url):
            if server.poll() is not None or time.monotonic() - t0 > args.timeout:
                sys.exit(f"the dashboard did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        answered = time.monotonic() - t0
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(url)
            found = watch(page, db, t0, args)
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        terminal = log.read_text(errors="replace")
        shutil.rmtree(work, ignore_errors=True)
    seen = {"server answered": answered, **found["seen"]}
    report(args, seen, found["progress"], found["listed"], terminal)


if __name__ == "__main__":
    main()
