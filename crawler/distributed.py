"""Distributed crawling on Redis (scrapy-redis): per-site request queues that lose nothing, a shared
dupefilter, and workers that lease hosts so each host's politeness holds across all machines.

How it works. `seed` (called by `nianbao crawl --redis`) stores the run's sites and pushes their start
requests. A `Worker` (`nianbao worker --redis`, on any number of machines) claims a site by leasing
every host of its start URLs (a Redis key per host, renewed every few seconds, lapsing LEASE_MS after
its worker stops renewing it) and crawls it with an ordinary Scrapy crawler (the same spider, settings
and pipelines as one machine), whose scheduler is `Scheduler` below. One worker at a time holds a host,
so the site's own download delay, concurrency, AutoThrottle and robots rules hold for all workers
together, as on one machine; parallelism comes from many sites. A popped request moves to the site's
in-flight hash and leaves it only once Scrapy has let go of it (its response fully handled: items
stored, new requests queued); a worker that dies holds its leases no longer than LEASE_MS, and the next
worker to claim the site puts the site's in-flight requests back in its queue first. A site's time
budget (CLOSESPIDER_TIMEOUT) is the site's in the run, not a worker's: the seconds crawled are kept in
Redis (`Budget`), a worker taking a site over gets what is left, and a site with none left ends
"closespider_timeout". A site is done when its crawler ends with an empty queue; the run is drained when
every site is done. Each worker adds its per-site counts to the run's stats in Redis, which the
coordinator writes to the dataset as one run record.

Every key of a run expires RUN_TTL seconds after it was last refreshed: the coordinator refreshes them
all while it lives (`refresh`), so a killed coordinator's run vanishes by itself; the next coordinator
also ends at once every run whose heartbeat (:alive, ALIVE_S) has lapsed (`clean_stale`).

Keys: nianbao:current (the run id workers serve); nianbao:runs (the runs in Redis); nianbao:host:HOST
(a lease: "worker|run|site"); under nianbao:RUN: alive (the coordinator's heartbeat), meta (hash),
sites (site id -> registry entry JSON), done (site id -> finish reason), spent (site id -> seconds
crawled), started (site id -> when first crawled, Unix time), stats:SITE (counts), site:SITE:q
(pending: key -> -priority), :data (key -> request), :f (in flight: key -> score), :seen (the
dupefilter's fingerprints).
"""
from __future__ import annotations

import asyncio
import collections
import gc
import json
import logging
import os
import random
import socket
import time
import uuid
import weakref
from urllib.parse import urlsplit

import redis
from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import CallLaterResult, call_later, create_looping_call
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.project import get_project_settings
from scrapy.utils.reactor import install_reactor, is_reactor_installed
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import Base as RedisQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler

from crawler.engine import summary
from crawler.registry import spider_class

logger = logging.getLogger(__name__)

PREFIX = "nianbao"
CURRENT = f"{PREFIX}:current"
RUNS = f"{PREFIX}:runs"
LEASE = "nb_lease"            # request.meta key: the request's id in its site's queue
LEASE_MS = int(os.environ.get("NIANBAO_REDIS_LEASE_MS", "30000"))  # a host lease lapses this long after
                                                                  # its worker's last renewal
TICK = 2.0                    # seconds between a worker's lease renewals and claims
REDIS_RETRIES = 5             # attempts (with back-off) to queue a request while Redis is away
HANDED_ON = {"shutdown", "lease_lost"}  # a site closed for these goes on at the next worker to claim it
RUN_TTL = int(os.environ.get("NIANBAO_REDIS_RUN_TTL", "3600"))  # a run's keys lapse this long (s) after
                                                               # their last refresh
ALIVE_S = int(os.environ.get("NIANBAO_REDIS_ALIVE_S", "60"))  # a coordinator's heartbeat lapses this long
                                                             # (s) after its last refresh
OVER_BUDGET = "closespider_timeout"  # the finish reason of a site whose time budget is spent (as on one machine)

_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
redis.call('HSET', KEYS[3], r[1], r[2])
redis.call('EXPIRE', KEYS[3], ARGV[1])
return {r[1], redis.call('HGET', KEYS[2], r[1]) or ''}
"""
_RECOVER = """
local f = redis.call('HGETALL', KEYS[2])
for i = 1, #f, 2 do redis.call('ZADD', KEYS[1], f[i + 1], f[i]) end
redis.call('DEL', KEYS[2])
return #f / 2
"""
# take (or renew) every lease in KEYS for owner ARGV[1], or none if another owner holds one
_LEASE = """
for _, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if v and v ~= ARGV[1] then return 0 end
end
for _, k in ipairs(KEYS) do redis.call('SET', k, ARGV[1], 'PX', ARGV[2]) end
return 1
"""
_RELEASE = """
for _, k in ipairs(KEYS) do
  if redis.call('GET', k) == ARGV[1] then redis.call('DEL', k) end
end
return 1
"""


def key(run: str, *parts: str) -> str:
    return ":".join((PREFIX, run, *parts))


def site_key(run: str, site_id: str) -> str:
    return key(run, "site", site_id)


def _text(reply: bytes | str) -> str:
    """A Redis reply as text (the client returns bytes: scrapy-redis keeps pickled requests in it)."""
    return reply.decode() if isinstance(reply, bytes) else reply


def host_keys(site: dict) -> list[str]:
    """The lease keys of a site: one per host of its start URLs."""
    return sorted({f"{PREFIX}:host:{urlsplit(u).hostname}" for u in site["start_urls"]})


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=30, health_check_interval=15)


class SiteQueue(RedisQueue):
    """scrapy-redis's priority queue made reliable: a popped request stays in the in-flight hash until
    `ack`; `recover` puts the in-flight requests of a dead worker back. Its keys lapse RUN_TTL after
    their last write (the coordinator refreshes them while it lives)."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.pending, self.data, self.inflight = f"{key}:q", f"{key}:data", f"{key}:f"
        self._pop = server.register_script(_POP)
        self._recover = server.register_script(_RECOVER)

    def __len__(self):
        return self.server.zcard(self.pending)

    def push(self, request):
        request.meta[LEASE] = uuid.uuid4().hex
        blob = self._encode_request(request)
        with self.server.pipeline() as p:               # MULTI/EXEC: the request and its place, or neither
            p.hset(self.data, request.meta[LEASE], blob)
            p.zadd(self.pending, {request.meta[LEASE]: -request.priority})
            p.expire(self.data, RUN_TTL)
            p.expire(self.pending, RUN_TTL)
            p.execute()

    def pop(self, timeout=0):
        got = self._pop(keys=[self.pending, self.data, self.inflight], args=[RUN_TTL])
        if not got:
            return None
        lease, blob = got
        if not blob:                                    # its data is gone (Redis lost it): nothing to fetch
            self.ack(_text(lease))
            return None
        return self._decode_request(blob)

    def ack(self, *leases: str) -> None:
        with self.server.pipeline() as p:
            p.hdel(self.inflight, *leases)
            p.hdel(self.data, *leases)
            p.execute()

    def recover(self) -> int:
        return int(self._recover(keys=[self.pending, self.inflight]))

    def in_flight(self) -> int:
        return self.server.hlen(self.inflight)

    def clear(self):
        self.server.delete(self.pending, self.data, self.inflight)


class SeenFilter(RFPDupeFilter):
    """scrapy-redis's dupefilter whose set lapses RUN_TTL after its last write, as the queue's keys do."""

    def request_seen(self, request):
        with self.server.pipeline() as p:
            p.sadd(self.key, self.request_fingerprint(request))
            p.expire(self.key, RUN_TTL)
            added, _ = p.execute()
        return added == 0


class Scheduler(RedisScheduler):
    """The worker's scheduler for one site: its queue and dupefilter in Redis (NIANBAO_REDIS_RUN), each
    request acknowledged once Scrapy has let go of it, and Redis outages waited out, not fatal.

    Acknowledging needs no engine internals: the engine holds a request it is working on (downloading
    it, running its callback, storing its items, queueing the requests it yields) until it is done with
    it, so a weak reference's finalizer (weakref.finalize) runs only after that. The finalizer just
    notes the request's key; the notes are acknowledged in Redis at the scheduler's next call."""

    @classmethod
    def from_crawler(cls, crawler):
        instance = super().from_crawler(crawler)
        instance.crawler = crawler
        instance.run = crawler.settings["NIANBAO_REDIS_RUN"]
        instance.released = collections.deque()        # keys of the requests Scrapy has let go of
        instance.outstanding = set()                   # keys of the requests popped and not acknowledged
        return instance

    def open(self, spider):
        self.spider = spider
        base = site_key(self.run, spider.site_id)
        self.queue = SiteQueue(self.server, spider, base, serializer=self.serializer)
        self.df = SeenFilter(self.server, f"{base}:seen")
        recovered = self.queue.recover()               # whatever a previous holder of the site left in flight
        if recovered:
            logger.info("nianbao: %s: %d requests in flight at a stopped worker queued again",
                        spider.site_id, recovered)
            self.stats.inc_value("nianbao/redis/recovered", recovered)

    def _ack(self) -> None:
        """Acknowledge the requests released since the last call (on failure, they stay noted)."""
        leases = []
        while self.released:                           # popleft, like the finalizers' append, is atomic
            leases.append(self.released.popleft())
        if not leases:
            return
        try:
            self.queue.ack(*leases)
            self.outstanding.difference_update(leases)
        except redis.RedisError as e:                  # kept: acknowledged at a later call, or done again
            self.released.extend(leases)               # by the site's next holder
            logger.warning("nianbao: cannot acknowledge %d requests: %s", len(leases), e)

    def close(self, reason):
        if self.outstanding:                           # the engine is done with every request: those still
            gc.collect()                               # alive are held by reference cycles only
        self._ack()
        if self.outstanding:
            logger.warning("nianbao: %s: %d requests never acknowledged", self.spider.site_id, len(self.outstanding))
            self.stats.set_value("nianbao/redis/unacknowledged", len(self.outstanding))
        if reason in HANDED_ON:
            return
        try:                                           # "finished" leaves nothing; a spent budget or a
            if len(self.queue) or self.queue.in_flight():  # failure drops what is left (the next run has it)
                self.queue.clear()
            with self.server.pipeline() as p:
                p.hset(key(self.run, "done"), self.spider.site_id, reason)
                p.expire(key(self.run, "done"), RUN_TTL)
                p.execute()
        except redis.RedisError as e:
            logger.error("nianbao: %s: cannot record the site's end in Redis: %s", self.spider.site_id, e)

    def enqueue_request(self, request):
        for attempt in range(REDIS_RETRIES):
            try:
                return super().enqueue_request(request)
            except redis.RedisError as e:
                logger.warning("nianbao: Redis: %s; retrying", e)
                time.sleep(min(2 ** attempt, 10))
        self.stats.inc_value("nianbao/redis/not_queued")
        logger.error("nianbao: Redis unreachable: %s not queued", request.url)
        return False

    def next_request(self):
        self._ack()
        try:
            request = super().next_request()
        except redis.RedisError as e:
            logger.warning("nianbao: Redis: %s", e)
            return None
        lease = request.meta.get(LEASE) if request is not None else None
        if lease:
            self.outstanding.add(lease)
            weakref.finalize(request, self.released.append, lease).atexit = False  # never at exit: not done
        return request

    def has_pending_requests(self):
        self._ack()
        try:
            return len(self) > 0
        except redis.RedisError:
            return True                                # an outage is no reason to call the site finished


class Budget:
    """The site's time budget (CLOSESPIDER_TIMEOUT, after the site's own settings) as the site's in the
    run: the seconds crawled, added up in Redis every TICK over all the workers that held the site (a
    killed worker's last TICK at most goes uncounted), and the site closed "closespider_timeout" when
    none is left, also at once by a worker taking over a site whose budget is spent."""

    def __init__(self, crawler, server: redis.Redis, run: str, budget: float):
        self.crawler, self.server, self.budget = crawler, server, budget
        self.spent, self.started = key(run, "spent"), key(run, "started")
        self.sid = ""
        self.last = 0.0
        self.timer: CallLaterResult | None = None
        self.ticker = create_looping_call(self.account)

    @classmethod
    def from_crawler(cls, crawler):
        run, budget = crawler.settings.get("NIANBAO_REDIS_RUN"), crawler.settings.getfloat("CLOSESPIDER_TIMEOUT")
        if not run or budget <= 0:
            raise NotConfigured
        ext = cls(crawler, connect(crawler.settings["REDIS_URL"]), run, budget)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider) -> None:
        self.sid, self.last = spider.site_id, time.monotonic()
        try:
            with self.server.pipeline() as p:
                p.hsetnx(self.started, self.sid, time.time())
                p.hget(self.spent, self.sid)
                p.expire(self.started, RUN_TTL)
                spent = float(p.execute()[1] or 0)
        except redis.RedisError as e:                  # counted from here; the next TICK adds it up
            logger.warning("nianbao: %s: cannot read the time spent: %s", self.sid, e)
            spent = 0.0
        left = max(self.budget - spent, 0.0)
        self.crawler.stats.set_value("nianbao/budget/left_at_open", round(left, 1))
        if spent:
            logger.info("nianbao: %s: %.0f s of its %g s budget spent before; %.0f s left", self.sid, spent,
                        self.budget, left)
        self.timer = call_later(left, self.over)
        self.ticker.start(TICK, now=False)

    def account(self) -> None:
        """Add the seconds since the last count to the site's time spent (kept for the next count if
        Redis cannot be reached)."""
        now = time.monotonic()
        try:
            with self.server.pipeline() as p:
                p.hincrbyfloat(self.spent, self.sid, now - self.last)
                p.expire(self.spent, RUN_TTL)
                p.execute()
            self.last = now
        except redis.RedisError as e:
            logger.warning("nianbao: %s: cannot count the time spent: %s", self.sid, e)

    def over(self) -> None:
        logger.info("nianbao: %s: its %g s time budget is spent (over all workers); closing it", self.sid,
                    self.budget)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=OVER_BUDGET))

    def closed(self, spider, reason) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.ticker.running:
            self.ticker.stop()
        self.account()


def _start_requests(spider) -> list:
    async def collect():
        return [r async for r in spider.start()]
    return asyncio.run(collect())


def seed(server: redis.Redis, run: str, sites: list[dict], meta: dict) -> int:
    """Store the run (its sites and `meta`: settings, run record id) and queue every site's start
    requests through the shared dupefilter; then make it the run workers serve. Returns requests queued."""
    queued = 0
    refresh(server, run, [])                           # alive from the start: no one takes it for stale
    for site in sites:
        spider = spider_class(site)(site=site)
        base = site_key(run, site["id"])
        queue, df = SiteQueue(server, spider, base), SeenFilter(server, f"{base}:seen")
        for request in _start_requests(spider):
            if request.dont_filter or not df.request_seen(request):
                queue.push(request)
                queued += 1
    with server.pipeline() as p:                       # MULTI/EXEC: no key without its TTL, whenever killed
        p.hset(key(run, "sites"), mapping={s["id"]: json.dumps(s, ensure_ascii=False, default=str) for s in sites})
        p.hset(key(run, "meta"), mapping={k: json.dumps(v, default=str) for k, v in meta.items()})
        p.expire(key(run, "sites"), RUN_TTL)
        p.expire(key(run, "meta"), RUN_TTL)
        p.set(CURRENT, run, ex=RUN_TTL)
        p.execute()
    return queued


def refresh(server: redis.Redis, run: str, site_ids: list[str]) -> None:
    """The coordinator's heartbeat: the run (one of nianbao:runs) is alive for ALIVE_S more seconds, and
    every key of it (and nianbao:current, nianbao:runs) lapses only RUN_TTL seconds from now."""
    names = [CURRENT, RUNS, *(key(run, k) for k in ("meta", "sites", "done", "spent", "started"))]
    for sid in site_ids:
        base = site_key(run, sid)
        names += [f"{base}:q", f"{base}:data", f"{base}:f", f"{base}:seen", key(run, "stats", sid)]
    with server.pipeline() as p:                       # MULTI/EXEC, as above
        p.sadd(RUNS, run)
        p.set(key(run, "alive"), 1, ex=ALIVE_S)
        for name in names:
            p.expire(name, RUN_TTL)
        p.execute()


def clean_stale(server: redis.Redis, keep: str) -> list[str]:
    """End every run but `keep` whose coordinator's heartbeat has lapsed (a killed `crawl --redis`);
    returns their ids. Their sites still running at a worker finish there; nothing of them is claimed."""
    stale = [r for r in (_text(m) for m in server.smembers(RUNS)) if r != keep and not server.exists(key(r, "alive"))]
    for run in stale:
        logger.info("nianbao: the run %s lost its coordinator; its keys are removed", run)
        end_run(server, run)
    return stale


def state(server: redis.Redis, run: str) -> dict:
    """The run's progress: sites, done, queued and in-flight requests, and whether Redis still has it."""
    sites = server.hkeys(key(run, "sites"))
    with server.pipeline(transaction=False) as p:
        for s in sites:
            p.zcard(f"{site_key(run, _text(s))}:q")
            p.hlen(f"{site_key(run, _text(s))}:f")
        counts = p.execute()
    return {"known": bool(server.exists(key(run, "meta"))), "sites": len(sites),
            "done": server.hlen(key(run, "done")), "queued": sum(counts[0::2]), "in_flight": sum(counts[1::2])}


def drained(st: dict) -> bool:
    return st["known"] and st["done"] >= st["sites"] and not st["queued"] and not st["in_flight"]


def site_results(server: redis.Redis, run: str) -> dict[str, dict]:
    """Each site's counts added up over the workers that crawled it, and its finish reason."""
    done = {_text(k): _text(v) for k, v in server.hgetall(key(run, "done")).items()}
    out = {}
    for s in server.hkeys(key(run, "sites")):
        sid = _text(s)
        counts = {_text(k): float(v) for k, v in server.hgetall(key(run, "stats", sid)).items()}
        out[sid] = {**{k: (int(v) if v.is_integer() else v) for k, v in counts.items()},
                    "finish_reason": done.get(sid)}
    return out


def end_run(server: redis.Redis, run: str) -> None:
    """The run is over: workers stop serving it; its keys go (leases lapse by themselves)."""
    if server.get(CURRENT) == run.encode():
        server.delete(CURRENT)
    server.srem(RUNS, run)
    names = list(server.scan_iter(match=key(run, "*"), count=1000))
    for i in range(0, len(names), 500):
        server.delete(*names[i:i + 500])


class Worker(CrawlerProcess):
    """Claims sites of the current run (leasing their hosts), crawls up to `running` at once with the
    project's spider and pipelines, and stops when the run has drained (with `forever`, waits for the next)."""

    def __init__(self, server: redis.Redis, redis_url: str, settings: dict, *, running: int = 16,
                 forever: bool = False, worker_id: str | None = None):
        base = get_project_settings()
        settings = {**settings, "EXTENSIONS": {**base.getdict("EXTENSIONS"), **settings.get("EXTENSIONS", {}),
                                               "crawler.distributed.Budget": 0}}
        base.setdict(settings, priority="cmdline")   # also the crawlers' (CrawlerProcess.crawl adds them)
        super().__init__(base, install_root_handler=True)
        self.server, self.redis_url = server, redis_url
        self.extra = settings
        self.running_max, self.forever = max(1, running), forever
        self.id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"
        self.run: str | None = None
        self.active: dict[str, tuple[Crawler, list[str]]] = {}
        self.stopping = False
        self._sites: tuple[str | None, dict] = (None, {})
        self._lease = server.register_script(_LEASE)
        self._release = server.register_script(_RELEASE)

    def _signal_shutdown(self, signum, frame):
        self.stopping = True                           # claim nothing more; the running sites close cleanly
        super()._signal_shutdown(signum, frame)

    def owner(self, sid: str) -> str:
        return f"{self.id}|{self.run}|{sid}"

    def tick(self) -> None:
        try:
            self._tick()
        except redis.RedisError as e:
            logger.warning("nianbao worker: Redis: %s", e)

    def _tick(self) -> None:
        for sid, (crawler, hosts) in list(self.active.items()):
            if not self._lease(keys=hosts, args=[self.owner(sid), LEASE_MS]) and crawler.engine:
                logger.error("nianbao worker: lost the lease of %s; stopping it", sid)
                deferred_from_coro(crawler.engine.close_spider_async(reason="lease_lost"))
        if self.stopping:
            return
        current = self.server.get(CURRENT)
        current = _text(current) if current else None
        if current != self.run and not self.active:
            if self.run is not None and not self.forever:      # the run served has ended
                self._stop()
                return
            self.run = current
        if self.run is None or current != self.run:
            return                                             # no run yet, or finishing the old one's sites
        st = state(self.server, self.run)
        if drained(st) or not st["known"]:                     # drained, or ended with its coordinator
            if not self.active and not self.forever:
                self._stop()
            return
        self._claim()

    def _claim(self) -> None:
        assert self.run is not None, "a site is claimed for the run being served"
        if len(self.active) >= self.running_max:
            return
        if self._sites[0] != self.run:                 # the run's registry entries, read once per run
            entries = self.server.hgetall(key(self.run, "sites"))
            self._sites = (self.run, {_text(k): json.loads(v) for k, v in entries.items()})
        done = {_text(s) for s in self.server.hkeys(key(self.run, "done"))}
        order = [sid for sid in self._sites[1] if sid not in done and sid not in self.active]
        random.shuffle(order)                          # workers starting together spread over the sites
        for sid in order:
            if len(self.active) >= self.running_max:
                return
            site = self._sites[1][sid]
            hosts = host_keys(site)
            if self._lease(keys=hosts, args=[self.owner(sid), LEASE_MS]):
                self._start_site(site, hosts)

    def _start_site(self, site: dict, hosts: list[str]) -> None:
        assert self.run is not None, "a site is started for the run being served"
        meta = {_text(k): json.loads(v) for k, v in self.server.hgetall(key(self.run, "meta")).items()}
        settings = get_project_settings()
        settings.setdict({**meta.get("settings", {}), **self.extra, "SCHEDULER": "crawler.distributed.Scheduler",
                          "DUPEFILTER_CLASS": "crawler.distributed.SeenFilter",
                          "REDIS_URL": self.redis_url, "NIANBAO_REDIS_RUN": self.run,
                          "NIANBAO_RUN_ID": meta.get("run_key"), "SCHEDULER_PERSIST": True},
                         priority="cmdline")
        crawler = Crawler(spider_class(site), settings)
        sid = site["id"]
        self.active[sid] = (crawler, hosts)
        run_id = meta.get("run_id")
        crawler.signals.connect(lambda **_: crawler.stats.set_value("nianbao/run_id", run_id),
                                signal=signals.spider_opened, weak=False)
        logger.info("nianbao worker %s: crawling %s", self.id, sid)
        d = self.crawl(crawler, site=site)
        d.addBoth(self._site_done, sid, crawler, hosts)

    def _site_done(self, result, sid: str, crawler, hosts: list[str]) -> None:
        assert self.run is not None, "the run does not change while a site of it is active"
        self.active.pop(sid, None)
        stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
        if hasattr(result, "getErrorMessage"):
            logger.error("nianbao worker: %s failed: %s", sid, result.getErrorMessage())
        try:
            with self.server.pipeline() as p:
                for name, value in summary(stats).items():
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        p.hincrbyfloat(key(self.run, "stats", sid), name, value)
                p.hincrby(key(self.run, "stats", sid), "sessions", 1)
                p.hincrby(key(self.run, "stats", sid), "unacknowledged", stats.get("nianbao/redis/unacknowledged", 0))
                p.expire(key(self.run, "stats", sid), RUN_TTL)
                p.execute()
            self._release(keys=hosts, args=[self.owner(sid)])
        except redis.RedisError as e:                  # the leases lapse by themselves
            logger.error("nianbao worker: %s: cannot record the site's counts in Redis: %s", sid, e)
        if not self.active and self.stopping:
            self._stop()

    def _stop(self) -> None:
        if not self.active:
            self._stop_reactor()


def run_worker(redis_url: str, settings: dict, *, running: int = 16, forever: bool = False,
               worker_id: str | None = None) -> int:
    """Serve the current run (or, with `forever`, every run) until it drains; 0, or 1 if stopped by a signal."""
    server = connect(redis_url)
    server.ping()
    worker = Worker(server, redis_url, settings, running=running, forever=forever, worker_id=worker_id)
    if not is_reactor_installed():                     # the crawlers' reactor, before the ticker asks for one
        install_reactor(worker.settings["TWISTED_REACTOR"], worker.settings["ASYNCIO_EVENT_LOOP"])
    from twisted.internet import task  # after the reactor is installed
    ticker = task.LoopingCall(worker.tick)
    ticker.start(TICK, now=True)
    worker.start(stop_after_crawl=False)
    return 1 if worker.stopping else 0
