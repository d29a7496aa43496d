"""One Chromium per engine process, shared by its render sites over CDP; it dies with the engine."""
from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from crawler import hygiene

logger = logging.getLogger(__name__)

# a few of the switches Playwright adds when it launches Chromium itself: no throttling of background
# pages' timers (a listing's scripts run in a page nobody looks at), /tmp instead of a small /dev/shm
EXTRA_ARGS = ("--disable-dev-shm-usage", "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
              "--disable-backgrounding-occluded-windows", "--disable-extensions", "--mute-audio",
              "--password-store=basic", "--no-default-browser-check")
_ACTIVE_PORT = re.compile(r"(\d+)\n(/devtools/browser/[0-9a-f-]{36})\s*")
CLOSE_WAIT = 10.0   # seconds for Chromium to quit after SIGTERM before it is killed


class SharedBrowser:
    """A Chromium launched on first use with a DevTools port on loopback; each render crawler connects
    to it (PLAYWRIGHT_CDP_URL) and opens its own browser context, so each site keeps its own cookies."""

    def __init__(self, launch_options: dict, log_path: Path):
        self.options = launch_options
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.profile: str | None = None
        self.failed = False
        self.url: str | None = None

    def endpoint(self) -> str | None:
        """The browser's CDP WebSocket URL, launching it if none runs; None if it could not start
        (the render crawlers then launch their own Chromium, as scrapy-playwright does by default)."""
        if self.url is None and not self.failed:
            try:
                self.url = self._launch()
            except (OSError, RuntimeError) as e:
                self.failed = True
                logger.error("the shared Chromium did not start (%s); each render site launches its own", e)
                self.close()
        return self.url

    def _launch(self) -> str:
        opts = self.options
        self.profile = tempfile.mkdtemp(prefix="nianbao-chromium-")
        args = [opts.get("executable_path") or "chromium", *opts.get("args", ()), *EXTRA_ARGS,
                "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
                f"--user-data-dir={self.profile}", "about:blank"]
        if opts.get("headless", True) and not any(a.startswith("--headless") for a in args):
            args.insert(1, "--headless")
        engine = os.getpid()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         preexec_fn=lambda: hygiene.die_with_parent(parent=engine))
        # Chromium writes the port it chose, and its browser target's path, to DevToolsActivePort
        active = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + opts.get("timeout", 60_000) / 1000
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Chromium exited with {self.proc.returncode}; see {self.log_path}")
            m = _ACTIVE_PORT.fullmatch(active.read_text()) if active.exists() else None
            if m:
                url = f"ws://127.0.0.1:{m[1]}{m[2]}"
                logger.info("shared Chromium started: pid %d, %s", self.proc.pid, url)
                return url
            time.sleep(0.05)
        raise RuntimeError(f"Chromium gave no DevTools port within {opts.get('timeout', 60_000)} ms")

    def close(self) -> None:
        """Quit the browser (SIGTERM, then SIGKILL) and remove its profile directory."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(CLOSE_WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = self.url = None
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None
