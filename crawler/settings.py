"""Scrapy settings for nianbao: polite defaults for government portals; per-site overrides come from
the registry (see crawler.spiders.reports.apply_site_settings)."""
import os

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = ("nianbao/0.1 (+https://github.com/nianbao/nianbao; research crawler collecting "
              "政府信息公开工作年度报告; one or two requests at a time)")

# Politeness: robots.txt (per-site `robots_obey: false` overrides), AutoThrottle, at most 2 per host.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
RANDOMIZE_DOWNLOAD_DELAY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Scrapy starts CONCURRENT_ITEMS worker tasks for every callback's output; ours yield a handful each,
# and the default 100 costs more CPU than the downloads themselves (measured with bench/crawl.py).
CONCURRENT_ITEMS = 4
COOKIES_ENABLED = True  # some portals set a session cookie on the column page

# Robustness: retries (Scrapy lowers the priority of each retry, so it waits behind fresh work;
# AutoThrottle raises the delay of a slot that answers slowly), bounded sizes and redirects.
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 120
DOWNLOAD_MAXSIZE = 30 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
# process_response runs from high to low numbers: the loop check sees a 3xx before RedirectMiddleware
# (600), the back-off sees a 5xx before RetryMiddleware (550) re-schedules the request.
DOWNLOADER_MIDDLEWARES = {"crawler.middlewares.RedirectLoopMiddleware": 650,
                          "crawler.middlewares.RetryBackoffMiddleware": 560}
NIANBAO_BACKOFF_MIN = 1.0
NIANBAO_BACKOFF_MAX = 60.0
DOWNLOAD_VERIFY_CERTIFICATES = True  # per-site `tls_verify: false` for portals with broken certificates
CLOSESPIDER_TIMEOUT = 3600  # per-site time budget; `nianbao crawl --budget` overrides
DNS_TIMEOUT = 30

# Development replay: NIANBAO_HTTPCACHE=1 stores every response and replays it on the next run.
HTTPCACHE_ENABLED = os.environ.get("NIANBAO_HTTPCACHE") == "1"
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.DummyPolicy"
HTTPCACHE_DIR = "httpcache"

# JavaScript listings: scrapy-playwright with the system Chromium. The download handler is installed
# only for sites with `render: true`, and only listing requests carry meta["playwright"].
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": os.environ.get("NIANBAO_CHROMIUM", "/usr/bin/chromium"),
    "headless": True,
    "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"],
    "timeout": 60_000,
}
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 2
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 60_000
PLAYWRIGHT_HANDLERS = {
    "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
}

ITEM_PIPELINES = {
    "pipelines.rawstore.RawFilePipeline": 100,
    "pipelines.parse.ParsePipeline": 200,
    "pipelines.dedupe.DedupePipeline": 150,      # known bytes are dropped before parsing
    "pipelines.store.StorePipeline": 400,
}
EXTENSIONS = {"pipelines.runstats.RunStats": 500}

NIANBAO_DB = os.environ.get("NIANBAO_DB", "sqlite:///data/nianbao.sqlite")
NIANBAO_DATA_DIR = os.environ.get("NIANBAO_DATA_DIR", "data")
NIANBAO_RUN_ID = os.environ.get("NIANBAO_RUN_ID")

LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"

# Distributed mode: with NIANBAO_REDIS_URL set, the scheduler queue and the dupefilter live in Redis.
if os.environ.get("NIANBAO_REDIS_URL"):
    SCHEDULER = "scrapy_redis.scheduler.Scheduler"
    DUPEFILTER_CLASS = "scrapy_redis.dupefilter.RFPDupeFilter"
    SCHEDULER_PERSIST = False
    REDIS_URL = os.environ["NIANBAO_REDIS_URL"]
