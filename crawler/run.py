"""Run a crawl: engine processes (crawler.engine) crawling many sites at once each, and a per-site summary.

crawl(sites, db_url=…, data_dir=…) is the library entry point (the demo, the tests and
pipelines.crawlrun, which records the run in the dataset, call it). One engine process, or one per
CPU core for a run of many sites; each is a child that dies with its caller (prctl
PR_SET_PDEATHSIG, crawler.hygiene) and sits in its own process group, so a terminal's Ctrl-C reaches
only the caller, which forwards one SIGTERM; the engines then close their sites cleanly.
"""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

from crawler import settings as project
from crawler.engine import EXIT_STOPPED
from crawler.engine import summary as site_counts

# Sites fetching at once, by default (each within its own politeness; crawler.engine). A crawl of many
# sites is bound by CPU, not by politeness: more sites at once costs memory (~1.5 MB each) and no time
# (crawl() of 300 scale portals, 2 cores: 55 s with 100 at once and with 200, 72 s with 300).
RUNNING = 100
SITES_PER_PROCESS = 50   # a run of fewer sites uses one engine process; more, one per core
ROOT = Path(__file__).resolve().parent.parent
ENGINE_MAIN = "import sys; from crawler.engine import main; sys.exit(main(sys.argv[1]))"


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


def _site_result(event: dict | None, returncode: int | None, log: str, *, interrupted: bool) -> dict:
    """A site's summary from its site_end event, or, without one, what the caller knows."""
    r = {**site_counts({}), **{k: v for k, v in (event or {}).items() if k not in ("event", "site", "t")}}
    if event is None:
        r["error"] = ("interrupted before the site finished" if interrupted
                      else f"crawl process exited with {returncode} before the site finished")
        r["finish_reason"] = "interrupted" if interrupted else "crawler_died"
    r["returncode"] = returncode
    r["ok"] = (returncode in (0, EXIT_STOPPED) and r["finish_reason"] == "finished" and r["reports_linked"] > 0
               and not r.get("error"))
    if r.get("raw_files_not_stored"):             # stored without their raw files: they cannot be re-parsed
        r["ok"] = False
        r.setdefault("reason", f"{r['raw_files_not_stored']} raw files not stored (fetch_errors names each)")
    r["log"] = log
    return r


def crawl(sites: list[dict], *, db_url: str, data_dir, concurrency: int = RUNNING, budget: int | None = None,
          settings: dict | None = None, run_id: str | None = None, on_event=None,
          processes: int | None = None) -> dict:
    """Crawl the sites in engine processes, `concurrency` sites in progress at once in all; summarise.

    settings: Scrapy settings for every site, above the project's and the sites' own (e.g. the tests
    replace ITEM_PIPELINES). budget: seconds per site (CLOSESPIDER_TIMEOUT). on_event(dict) sees each
    engine event (site_start, site_end, error, progress) as it happens, in the calling thread.
    processes: engine processes (default: one per SITES_PER_PROCESS sites, at most one per CPU core);
    the sites are dealt among them, each keeps its own politeness, budget and stats.
    Returns {"run_id", "ok", "interrupted", "returncode", "sites": {id: summary}}.
    """
    run_id = run_id or new_run_id()
    run_dir = Path(data_dir) / "runs" / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    extra = dict(settings or {})
    extra.update({"NIANBAO_DB": db_url, "NIANBAO_DATA_DIR": str(data_dir), "NIANBAO_RUN_ID": run_id})
    if budget:
        extra["CLOSESPIDER_TIMEOUT"] = budget
    k = processes or max(1, min(os.cpu_count() or 1, len(sites) // SITES_PER_PROCESS))
    groups = [g for g in (list(sites)[i::k] for i in range(k)) if g]
    if len(groups) > 1 and "NIANBAO_PARSE_WORKERS" not in extra:   # the cores are shared by the engines
        extra["NIANBAO_PARSE_WORKERS"] = max(1, project.NIANBAO_PARSE_WORKERS // len(groups))
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    procs, logs = [], {}
    events: queue.Queue[dict | None] = queue.Queue()
    for i, group in enumerate(groups):
        name = "" if len(groups) == 1 else f"-{i}"
        job = run_dir / f"job{name}.json"
        job.write_text(json.dumps({"sites": group, "settings": extra, "run_dir": str(run_dir),
                                   "log": f"crawl{name}.log",
                                   "running": max(1, concurrency // len(groups)), "parent": os.getpid()},
                                  ensure_ascii=False, default=str), encoding="utf-8")
        with open(run_dir / f"engine{name}.stderr", "wb") as err:
            # not `-m crawler.engine`: the parse workers (spawned) re-import the main module, and a
            # `-c` main has none to import, so they do not load Scrapy and Twisted for nothing
            proc = subprocess.Popen([sys.executable, "-c", ENGINE_MAIN, str(job)], env=env,
                                    stdout=subprocess.PIPE, stderr=err, process_group=0)
        procs.append((proc, name))
        logs.update({site["id"]: (proc, name) for site in group})
        threading.Thread(target=_read_events, args=(proc, events), daemon=True).start()
    ended: dict[str, dict] = {}
    interrupted = threading.Event()

    def forward(signum, frame):
        if not interrupted.is_set():
            interrupted.set()
            for proc, _ in procs:
                proc.send_signal(signal.SIGTERM)

    previous = _install(forward)
    try:
        finished = 0
        while finished < len(procs):
            event = events.get()
            if event is None:
                finished += 1
                continue
            if event.get("event") == "site_end":
                ended[event["site"]] = event
            if on_event:
                on_event(event)
        codes = {name: proc.wait() for proc, name in procs}
    finally:
        _restore(previous)
        for proc, _ in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    interrupted_run = interrupted.is_set() or EXIT_STOPPED in codes.values()
    results = {}
    for site in sites:
        proc, name = logs[site["id"]]
        r = results[site["id"]] = _site_result(ended.get(site["id"]), codes[name], str(run_dir / f"crawl{name}.log"),
                                               interrupted=interrupted_run)
        if codes[name] not in (0, EXIT_STOPPED) and not r.get("error"):
            tail = (run_dir / f"engine{name}.stderr").read_text(errors="replace").strip().splitlines()
            if tail:
                r["engine_error"] = tail[-1]
    returncode = next((c for c in codes.values() if c != 0), 0)
    return {"run_id": run_id, "ok": not interrupted_run and all(r["ok"] for r in results.values()),
            "interrupted": interrupted_run, "returncode": returncode, "sites": results}


def _read_events(proc, events: queue.Queue) -> None:
    """Put each JSON event line of an engine's stdout on the queue, then None when it closes."""
    for line in proc.stdout:
        try:
            events.put(json.loads(line))
        except ValueError:
            continue
    events.put(None)


def _install(handler):
    if threading.current_thread() is not threading.main_thread():
        return None
    return {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}


def _restore(previous) -> None:
    for s, h in (previous or {}).items():
        signal.signal(s, h)
