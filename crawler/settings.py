"""Scrapy settings for nianbao: polite defaults for government portals; per-site overrides come from
the registry (see crawler.spiders.reports.apply_site_settings)."""
import os
from urllib.parse import quote

from crawler.defaults import default_data_dir, default_db

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# ASCII only (some gateways reject raw UTF-8 in headers); the contact is the operator's own
# (NIANBAO_CONTACT: a URL or an e-mail address), so that a portal's webmaster can reach whoever crawls.
NIANBAO_CONTACT = os.environ.get("NIANBAO_CONTACT", "")
USER_AGENT = ("nianbao/0.1 (research crawler for government information-disclosure annual reports; "
              "one or two requests at a time" + (f"; +{quote(NIANBAO_CONTACT, safe=':/@.+-_~?=&#%')}"
                                                   if NIANBAO_CONTACT else "") + ")")

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
# Scrapy re-reads and parses each callback's source on every response to warn about a generator's
# `return value` (its cache misses on bound methods): a tenth of a many-site crawl's CPU, for a lint.
WARN_ON_GENERATOR_RETURN_VALUE = False
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
# Hostile servers are bounded: a redirect leaving the site is an error (651), the cookie jar has a
# cap and reads the Public Suffix List shipped with tldextract, never the internet (replaces 700),
# a body trickling slower than NIANBAO_MIN_RATE bytes/s after NIANBAO_MIN_RATE_GRACE s is stopped.
DOWNLOADER_MIDDLEWARES = {"crawler.middlewares.RedirectLoopMiddleware": 650,
                          "crawler.middlewares.RedirectGuardMiddleware": 651,
                          "crawler.middlewares.RetryBackoffMiddleware": 560,
                          "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
                          "crawler.middlewares.BoundedCookiesMiddleware": 700,
                          "crawler.middlewares.SlowDownloadMiddleware": 950,
                          # the storage side: conditional and due requests, bounds (after retries and
                          # redirects have run, below 550)
                          "pipelines.validators.ConditionalRequestMiddleware": 540}
# the storage side: an unchanged page's known links are asked again instead of parsing it
SPIDER_MIDDLEWARES = {"pipelines.validators.KnownLinksMiddleware": 950}
# incremental nights (pipelines.validators), each settable per site in the registry's `settings:`
NIANBAO_RECHECK_DAYS = 30      # a stored document without validators is asked again after this many days
NIANBAO_MAX_REQUESTS = 0       # network requests per site and run (0: no bound); the rest waits a night
NIANBAO_MAX_LISTINGS = 2000    # listing pages per site and run (endless pagination ends here)
NIANBAO_MAX_DEPTH = 6          # listing levels below a start page
NIANBAO_FULL = False           # `nianbao crawl --full`: ask everything unconditionally, parse everything
NIANBAO_COOKIES_MAX = 50
NIANBAO_COOKIES_MAX_BYTES = 4096
NIANBAO_MIN_RATE = 1024.0
NIANBAO_MIN_RATE_GRACE = 20.0
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
# only for sites with `render: true`, and only listing requests carry meta["playwright"]. In an engine
# process (crawler.engine) these launch options start one Chromium shared by all its render sites
# (crawler.browser; each site connects over PLAYWRIGHT_CDP_URL, in a browser context of its own).
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

# One item pipeline: each document's raw file, known-bytes check, parse and store run in a pool of
# worker processes beside the downloads (pipelines.parsepool, pipelines.document): a slow PDF, OCR or
# a database write never stalls another site's fetching; each worker is replaced after
# NIANBAO_PARSE_TASKS documents.
ITEM_PIPELINES = {"pipelines.store.StorePipeline": 400}
EXTENSIONS = {"pipelines.runstats.RunStats": 500}
NIANBAO_PARSE_WORKERS = 2
NIANBAO_PARSE_TASKS = 5000

NIANBAO_DB = default_db()
NIANBAO_DATA_DIR = default_data_dir()
NIANBAO_RUN_ID = os.environ.get("NIANBAO_RUN_ID")

LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 0   # no per-site "Crawled N pages" line each minute: the crawl's progress events say it
TELNETCONSOLE_ENABLED = False
# Scrapy's RemoteControl extension (on by default since 2.19) opens an HTTP endpoint that runs Python
# code and writes its port and token to ~/.local/state/scrapy/job_files: never for a crawler.
REMOTE_CONTROL_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"

# Distributed mode (`nianbao crawl --redis`, `nianbao worker`; crawler.distributed): a worker gives its
# crawlers SCHEDULER, DUPEFILTER_CLASS and REDIS_URL itself. A one-machine crawl never uses Redis, even
# with NIANBAO_REDIS_URL (the workers' variable) set.
