"""`nianbao crawl`: one Scrapy process per site, a few sites at a time, and a per-site run summary.

crawl(sites, db_url=…, data_dir=…) is the library entry point (the demo and the tests call it);
`python -m crawler.run JOB.json` is the per-site worker it starts.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

GRACE = 120  # seconds a worker may run past its budget (closing, flushing) before it is killed


def _site_summary(stats: dict, returncode: int | None, log: str) -> dict:
    listings = sum(v for k, v in stats.items() if k.startswith("nianbao/listing/"))
    reports = stats.get("nianbao/links/report", 0)
    reason = stats.get("finish_reason")
    return {
        "ok": returncode == 0 and reason == "finished" and reports > 0,
        "finish_reason": reason, "returncode": returncode,
        "listings": listings, "reports_linked": reports,
        "companions_skipped": stats.get("nianbao/links/companion", 0),
        "pages": stats.get("nianbao/documents/page", 0),
        "attachments": stats.get("nianbao/documents/attachment", 0),
        "errors": stats.get("nianbao/errors", 0),
        "requests": stats.get("downloader/request_count", 0),
        "elapsed": round(stats.get("elapsed_time_seconds", 0.0), 1),
        "log": log,
    }


def crawl(sites: list[dict], *, db_url: str, data_dir, concurrency: int = 2, budget: int | None = None,
          settings: dict | None = None, run_id: str | None = None) -> dict:
    """Crawl each site in its own process (at most `concurrency` at once) and summarise the run.

    settings: Scrapy settings for every site, above the project's and the sites' own (e.g. the tests
    replace ITEM_PIPELINES). budget: seconds per site (CLOSESPIDER_TIMEOUT).
    """
    run_id = run_id or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
    run_dir = Path(data_dir) / "runs" / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent.parent),
                                                       os.environ.get("PYTHONPATH")]))}
    extra = dict(settings or {})
    extra.update({"NIANBAO_DB": db_url, "NIANBAO_DATA_DIR": str(data_dir), "NIANBAO_RUN_ID": run_id})
    if budget:
        extra["CLOSESPIDER_TIMEOUT"] = budget
    timeout = (budget or 3600) + GRACE
    queue = list(sites)
    running: dict[str, tuple[subprocess.Popen, float, Path]] = {}
    results: dict[str, dict] = {}
    while queue or running:
        while queue and len(running) < max(1, concurrency):
            site = queue.pop(0)
            job = run_dir / f"{site['id']}.job.json"
            out = run_dir / f"{site['id']}.stats.json"
            log = run_dir / f"{site['id']}.log"
            job.write_text(json.dumps({"site": site, "settings": {**extra, "LOG_FILE": str(log)},
                                       "out": str(out)}, ensure_ascii=False, default=str), encoding="utf-8")
            with open(run_dir / f"{site['id']}.stderr", "wb") as err:
                proc = subprocess.Popen([sys.executable, "-m", "crawler.run", str(job)], env=env,
                                        stdout=subprocess.DEVNULL, stderr=err)
            running[site["id"]] = (proc, time.monotonic(), out)
        time.sleep(0.2)
        for sid, (proc, started, out) in list(running.items()):
            if proc.poll() is None and time.monotonic() - started > timeout:
                proc.kill()
            if proc.poll() is None:
                continue
            del running[sid]
            stats = json.loads(out.read_text()) if out.exists() else {}
            results[sid] = _site_summary(stats, proc.returncode, str(run_dir / f"{sid}.log"))
            if not out.exists():
                err = (run_dir / f"{sid}.stderr").read_text(errors="replace").strip().splitlines()
                results[sid]["error"] = err[-1] if err else f"worker exited with {proc.returncode}"
    return {"run_id": run_id, "ok": all(r["ok"] for r in results.values()), "sites": results}


def _worker(job_path: str) -> int:
    """Crawl one site as described by a job file; write the closing stats as JSON."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawler.spiders.reports import ReportsSpider

    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    settings = get_project_settings()
    settings.setdict(job["settings"], priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ReportsSpider)
    process.crawl(crawler, site=job["site"])
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    Path(job["out"]).write_text(json.dumps(stats, default=str), encoding="utf-8")
    return 0


def run(args) -> int:
    """`nianbao crawl [SITE_ID…] [--sites FILE]…`: exit 0 all sites fine, 1 some failed, 2 usage error."""
    from crawler.registry import RegistryError, load_sites

    try:
        sites = load_sites(args.sites)
    except RegistryError as e:
        print(f"nianbao crawl: {e}", file=sys.stderr)
        return 2
    by_id = {s["id"]: s for s in sites}
    unknown = [i for i in args.site_ids if i not in by_id]
    if unknown:
        print(f"nianbao crawl: unknown site id(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    chosen = [by_id[i] for i in args.site_ids] if args.site_ids else [s for s in sites if s["enabled"]]
    if not chosen:
        print("nianbao crawl: no enabled sites to crawl", file=sys.stderr)
        return 2
    summary = crawl(chosen, db_url=args.db, data_dir=args.data_dir, concurrency=args.concurrency,
                    budget=args.budget)
    print(f"run {summary['run_id']}")
    print(f"{'site':32} {'ok':3} {'listings':>8} {'reports':>7} {'pages':>5} {'files':>5} {'errors':>6}  finish")
    for sid, r in summary["sites"].items():
        print(f"{sid:32} {'yes' if r['ok'] else 'NO':3} {r['listings']:8} {r['reports_linked']:7} {r['pages']:5} "
              f"{r['attachments']:5} {r['errors']:6}  {r['finish_reason'] or r.get('error', '')}")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1]))
