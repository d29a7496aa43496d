"""What a crawl shows while it runs: a live rich display on a terminal, else one JSON line per event on
stderr (run start/end, site start/end with its summary, errors), and a one-screen summary at the end."""
from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime

from rich.console import Console
from rich.live import Live
from rich.table import Table

JSON_EVENTS = {"run_start", "run_end", "site_start", "site_end", "error"}


class Progress:
    """Feed it engine events (`__call__`); use as a context manager around the crawl."""

    def __init__(self, total: int, *, live: bool | None = None, err=None):
        self.err = err or sys.stderr
        self.live_mode = self.err.isatty() if live is None else live
        self.total = total
        self.started = time.monotonic()
        self.running: set[str] = set()
        self.done = 0
        self.documents = 0
        self.documents_running = 0
        self.new_reports = 0
        self.errors = 0
        self.live: Live | None = None

    def __enter__(self):
        if self.live_mode:
            self.live = Live(self.render(), console=Console(file=self.err), refresh_per_second=2, transient=True)
            self.live.__enter__()
        return self

    def __exit__(self, *exc):
        if self.live is not None:
            self.live.__exit__(*exc)
        return False

    def __call__(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "site_start":
            self.running.add(event["site"])
        elif kind == "site_end":
            self.running.discard(event["site"])
            self.done += 1
            self.documents += event.get("pages", 0) + event.get("attachments", 0)
            self.new_reports += event.get("new_reports", 0)
        elif kind == "error":
            self.errors += 1
        elif kind == "progress":
            self.documents_running = event.get("documents_running", 0)
        if self.live is not None:
            self.live.update(self.render())
        elif not self.live_mode and kind in JSON_EVENTS:
            out = {"event": kind, "at": datetime.now(UTC).isoformat(timespec="seconds"),
                   **{k: v for k, v in event.items() if k not in ("event", "t")}}
            self.err.write(json.dumps(out, ensure_ascii=False, default=str) + "\n")
            self.err.flush()

    def render(self) -> Table:
        elapsed = time.monotonic() - self.started
        eta = (elapsed / self.done * (self.total - self.done)) if self.done else None
        t = Table.grid(padding=(0, 2))
        t.add_row("sites", f"{self.done} done, {len(self.running)} running, "
                           f"{max(0, self.total - self.done - len(self.running))} queued of {self.total}")
        t.add_row("documents", str(self.documents + self.documents_running))
        t.add_row("new reports", str(self.new_reports))
        t.add_row("errors", str(self.errors))
        t.add_row("elapsed", f"{elapsed:.0f} s" + (f", about {eta:.0f} s to go" if eta is not None else ""))
        return t


def summary_text(run_id: str, status: str, results: dict, seconds: float, width: int = 20) -> str:
    """The run on one screen: totals, then the sites that did not end well (at most `width`)."""
    docs = sum(r["pages"] + r["attachments"] for r in results.values())
    new = sum(r.get("new_reports", 0) for r in results.values())
    errors = sum(r["errors"] for r in results.values())
    bad = {sid: r for sid, r in results.items() if not r["ok"]}
    lines = [(f"run {run_id}: {status}, {len(results)} sites in {seconds:.0f} s; {docs} documents, "
              f"{new} new reports, {errors} fetch errors; {len(results) - len(bad)} sites ok, {len(bad)} not")]
    for sid, r in list(bad.items())[:width]:
        lines.append(f"  {sid:32} {r.get('state') or r['finish_reason'] or '?'}: "
                     f"{r.get('reason') or r.get('error') or r['finish_reason'] or ''}")
    if len(bad) > width:
        lines.append(f"  … and {len(bad) - width} more (nianbao status --all)")
    return "\n".join(lines)
