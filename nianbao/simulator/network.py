"""Builds the simulated portal network from a seed, renders its documents once, and serves it on loopback."""
from __future__ import annotations

import dataclasses
import hashlib
import os
import random
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from . import nightly, reports, server
from .sites import (
    Site,
    county,
    epoint,
    gkmlpt,
    hanweb,
    jpaas,
    jsonly,
    mirror,
    trs,
    trs_dongjing,
    trs_pagediv,
    truecms,
    xxgk,
    yearfolders,
)

# family name -> site class; the order fixes each site's IP (127.0.0.11, .12, …) whatever is selected.
# county comes before trs: the city TRS site re-publishes one county report (the cross-portal duplicate).
FAMILIES = {
    "county": county.CountyPortal,
    "trs": trs.TrsClassic,
    "trs_pagediv": trs_pagediv.TrsPageDiv,
    "hanweb": hanweb.HanwebJpage,
    "gkmlpt": gkmlpt.Gkmlpt,
    "jsonly": jsonly.JsOnly,
}
FIRST_IP = 11
# Opt-in families: built only when named in `families`, on their own IPs (127.0.0.41, .42, …), so the
# default network (and every test written against it) is unchanged.
OPT_IN = {
    "yearfolders": yearfolders.YearFolders,
    "trs_dongjing": trs_dongjing.TrsDongJing,
    "truecms": truecms.TrueCms,
    "jpaas": jpaas.Jpaas,
    "epoint": epoint.Epoint,
    "xxgk": xxgk.Xxgk,
}
FIRST_OPT_IN_IP = 41
MIRROR_IP = "127.0.0.250"
POOL_SIZE = 16  # distinct attachment documents at most; beyond that samples (and bytes) are reused


def cache_dir() -> Path:
    d = Path(os.environ.get("NIANBAO_SIM_CACHE") or Path(tempfile.gettempdir()) / "nianbao-simulator")
    d.mkdir(parents=True, exist_ok=True)
    return d


class Content:
    """Report samples and their documents. PDF and DOC files are converted once, in a batch, cached on disk."""

    def __init__(self, cache: Path):
        self.reports = reports
        self.cache = cache
        sources = sorted(Path(reports.__file__).parent.glob("reports*.py"))  # the generator and its renderers
        self._version = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:16]
        self._pool: dict[tuple, list] = {}
        self._served: dict[tuple, int] = {}
        self._needed: dict[str, dict[str, object]] = {"pdf": {}, "docx": {}, "doc": {}}
        self._bytes: dict[tuple[str, str], bytes] = {}

    def sample(self, rng: random.Random, **kw):
        return self.reports.generate(rng, **kw)

    def attached(self, rng: random.Random, kinds: tuple[str, ...], **kw):
        """A sample published as files of `kinds` ("pdf", "docx", "doc"), from a bounded pool."""
        pool = self._pool.setdefault(kinds, [])
        if len(pool) < POOL_SIZE:
            s = self.sample(rng, **kw)
            pool.append(s)
            for kind in kinds:
                self._needed[kind][self.key(s)] = s
            return s
        n = self._served[kinds] = self._served.get(kinds, 0) + 1
        return pool[n % POOL_SIZE]

    def key(self, sample) -> str:
        """Stable across processes: sets are sorted (their iteration order follows string hashing)."""
        fields = [(f.name, getattr(sample, f.name)) for f in dataclasses.fields(sample)]
        canon = repr([(k, sorted(v) if isinstance(v, (set, frozenset)) else v) for k, v in fields])
        return hashlib.sha256((self._version + canon).encode()).hexdigest()[:32]

    def page(self, sample, **kw) -> bytes:
        return self.reports.render_html_page(sample, **kw)

    def file(self, sample, kind: str) -> bytes:
        return self._bytes[(kind, self.key(sample))]

    def prepare(self) -> None:
        """Render every needed DOCX, then all missing PDFs in one batch and all missing DOCs in another."""
        docx = {}
        for kind in ("docx", "pdf", "doc"):
            for k, s in self._needed[kind].items():
                docx[k] = self._cached(k, "docx", lambda s=s: self.reports.render_docx(s))
        missing = [k for k in self._needed["pdf"] if not (self.cache / f"{k}.pdf").exists()]
        if missing:
            for k, pdf in zip(missing, self.reports.render_pdfs([docx[k] for k in missing]), strict=True):
                _write(self.cache / f"{k}.pdf", pdf)
        missing = [k for k in self._needed["doc"] if not (self.cache / f"{k}.doc").exists()]
        if missing:
            for k, doc in zip(missing, _convert([docx[k] for k in missing], "doc"), strict=True):
                _write(self.cache / f"{k}.doc", doc)
        for kind in ("docx", "pdf", "doc"):
            for k in self._needed[kind]:
                self._bytes[(kind, k)] = docx[k] if kind == "docx" else (self.cache / f"{k}.{kind}").read_bytes()

    def _cached(self, key: str, ext: str, make) -> bytes:
        path = self.cache / f"{key}.{ext}"
        if path.exists():
            return path.read_bytes()
        data = make()
        _write(path, data)
        return data


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _convert(docx_files: list[bytes], fmt: str) -> list[bytes]:
    """Convert DOCX bytes with one LibreOffice call (private profile, so parallel runs do not clash)."""
    with tempfile.TemporaryDirectory(prefix="nianbao-sim-lo-") as d:
        paths = []
        for i, data in enumerate(docx_files):
            p = Path(d) / f"f{i}.docx"
            p.write_bytes(data)
            paths.append(p)
        out = Path(d) / "out"
        subprocess.run(["soffice", f"-env:UserInstallation=file://{d}/profile", "--headless",
                        "--convert-to", fmt, "--outdir", str(out), *map(str, paths)],
                       check=True, capture_output=True, timeout=300)
        return [(out / f"{p.stem}.{fmt}").read_bytes() for p in paths]


class Network:
    """A running simulated network; see the package docstring for the attributes."""

    def __init__(self, seed: int = 0, *, scale: float = 1.0, families=None, validators: bool = False):
        unknown = set(families or ()) - set(FAMILIES) - set(OPT_IN)
        if unknown:
            raise ValueError(f"unknown families {sorted(unknown)}; known: {sorted(FAMILIES) + sorted(OPT_IN)}")
        self.seed = seed
        content = Content(cache_dir())
        shared: list = []  # county reports re-published on the city TRS site
        self._sites: list[Site] = []
        chosen = [(FIRST_IP + i, fam, cls) for i, (fam, cls) in enumerate(FAMILIES.items())
                  if families is None or fam in families]
        chosen += [(FIRST_OPT_IN_IP + i, fam, cls) for i, (fam, cls) in enumerate(OPT_IN.items())
                   if families is not None and fam in families]
        for ip, fam, cls in chosen:
            site = cls(id=cls.SITE_ID, name=cls.NAME, region=dict(cls.REGION), ip=f"127.0.0.{ip}",
                       content=content, rng=random.Random(f"{seed}:{fam}"), scale=scale,
                       start_path=cls.START, render=cls.RENDER, shared=shared)
            site.build()
            self._sites.append(site)
        self._mirror = mirror.Mirror(id="mirror", name="mirror", region={}, ip=MIRROR_IP, content=content,
                                     rng=random.Random(seed))
        content.prepare()

        self.log: list[tuple[str, str, str, int]] = []
        self._lock = threading.Lock()
        hosts = {s.ip: nightly.conditional(s.handle) if validators else s.handle for s in self._sites}
        hosts[MIRROR_IP] = self._mirror.handle
        self.port, self._servers = server.start_servers(hosts, self.log, self._lock)
        self._by_id = {s.id: s for s in self._sites}
        mirror_base = f"http://{MIRROR_IP}:{self.port}"
        for s in self._sites:
            s.base = f"http://{s.ip}:{self.port}"
            s.mirror_base = mirror_base

        self.sites: list[dict[str, Any]] = [{
            "id": s.id, "name": s.name, "region": dict(s.region),
            "start_urls": [s.base + s.start_path], "allowed_domains": [s.ip],
            "render": s.render, "enabled": True, "settings": {},
        } for s in self._sites]
        self.expected = {s.id: {s.base + p for p in s.expected} for s in self._sites}
        self.forbidden = {s.base + p for s in self._sites for p in s.forbidden}
        self.forbidden |= {mirror_base + p for s in self._sites for p in s.offsite}
        self.offsite_hosts = {MIRROR_IP}
        self.errors = {s.base + p: kind for s in self._sites for p, kind in s.errors.items()}
        self.redirects = {s.base + p: s.base + t for s in self._sites for p, t in s.redirects.items()}
        self.aliases: dict[str, set[str]] = {}
        for site in self._sites:
            for agency, names in site.aliases.items():
                self.aliases.setdefault(agency, set()).update(names)
        self.reports = [(s.id, pub.sample, [s.base + p for p in pub.paths])
                        for s in self._sites for pub in s.publications]

    def url(self, site_id: str, path: str) -> str:
        return self._by_id[site_id].base + path

    def requests_to(self, host: str) -> list[tuple[str, str, str, int]]:
        with self._lock:
            return [e for e in self.log if e[0] == host]

    def stop(self) -> None:
        server.stop_servers(self._servers)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_network(seed: int = 0, *, scale: float = 1.0, families=None, validators: bool = False) -> Network:
    """validators: every site sends ETag/Last-Modified and answers conditional requests with 304."""
    return Network(seed, scale=scale, families=families, validators=validators)
