"""Screenshots of every page at desktop and phone widths, for looking at as a reader would.

    python tools/screenshots.py [--db PATH] [--out screenshots] [--lang en|zh]

Starts the dashboard on a free loopback port against the warehouse (default: the demo one),
opens each page in Debian's headless Chromium at 1440 and 390 px wide, waits until Streamlit
has finished running, and saves full-height PNGs. The folder is ignored by git.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from greenstats.screens import SCREENS

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["" if s.name == "overview" else s.name for s in SCREENS]
WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the dashboard did not answer at {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--lang", default="en", choices=["en", "zh"])
    parser.add_argument("--query", default=None, help="link parameters (default: all time)")
    parser.add_argument("--page", action="append", choices=[s.name for s in SCREENS],
                        help="only this page (repeat for more; default: every page)")  # fmt: skip
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = dict(os.environ)
    if args.db:
        env["GREENSTATS_DB"] = str(args.db.resolve())
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    # Links carry labels in their own language (see greenstats/ui/frame/filters.py).
    default = "lang=中文&period=全部时间" if args.lang == "zh" else "period=All+time"
    query = args.query or default
    pages = [p for p in PAGES if not args.page or (p or "overview") in args.page]
    try:
        wait_healthy(base)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for width, height in WIDTHS.values():
                for page_name in pages:
                    page = browser.new_page(viewport={"width": width, "height": height})
                    page.goto(f"{base}/{page_name}?{query}")
                    page.wait_for_selector(
                        '[data-testid="stApp"][data-test-script-state="notRunning"]',
                        timeout=180_000,
                    )
                    time.sleep(2)  # let Plotly finish drawing
                    full = page.evaluate(
                        "() => (document.querySelector('[data-testid=\"stMain\"]') ||"
                        " document.body).scrollHeight"
                    )
                    page.set_viewport_size({"width": width, "height": max(height, full)})
                    time.sleep(1)
                    target = args.out / f"{page_name or 'overview'}-{width}-{args.lang}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target)
                    page.close()
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)


if __name__ == "__main__":
    main()
