"""A listing built only by JavaScript (render: true): the HTML has no links; a script fetches JSON and adds them."""
from __future__ import annotations

import json
import time
from functools import partial

from ..server import Request, Response
from . import Site, page

COLUMN = "/zwgk/xxgkndbg/"
DATA_DELAY = 1.0  # seconds before the listing data answers
AGENCIES = ["武汉市汉阳区人民政府", "武汉市汉阳区民政局", "武汉市汉阳区城市管理执法局", "武汉市汉阳区退役军人事务局",
            "武汉市汉阳区江堤街道办事处"]
# the data URL is computed by the script, so it appears nowhere in the HTML
LISTING = """<div class="crumb">首页 &gt; 政务公开 &gt; 政府信息公开年报</div>
<ul id="list" class="list"></ul>
<script>
(function(){
  var n = 6 * 7, url = "%s" + ["data", n].join("_") + ".json";
  fetch(url).then(function(r){ return r.json(); }).then(function(d){
    var ul = document.getElementById("list");
    d.items.forEach(function(it){
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = it.u; a.title = it.t; a.textContent = it.t;
      var s = document.createElement("span"); s.textContent = it.d;
      li.appendChild(a); li.appendChild(s); ul.appendChild(li);
    });
  });
})();
</script>"""


class JsOnly(Site):
    SITE_ID = "sim-hanyang"
    NAME = "武汉市汉阳区人民政府"
    REGION = {"province": "湖北省", "city": "武汉市", "county": "汉阳区", "code": "420105"}
    START = COLUMN + "index.shtml"
    RENDER = True

    def build(self) -> None:
        items = []
        docid = 2136600
        for i in range(self.count(6)):
            s = self.sample(2018 + i % 7, AGENCIES[(i + i // 7) % len(AGENCIES)])
            docid += self.rng.randrange(5, 500)
            path = f"{COLUMN}{s.published:%Y%m}/t{s.published:%Y%m%d}_{docid}.shtml"
            self.route(path, partial(self._page, s, ("table", "lines")[i % 2]))
            self.publish(s, path)
            items.append({"t": s.title, "u": path, "d": f"{s.published:%Y-%m-%d}"})
        title = "文字解读:武汉市汉阳区2023年政府信息公开工作年度报告"
        path = f"{COLUMN}202402/t20240205_{docid + 9}.shtml"
        self.static(path, page(title, f"<p>{title}</p>").encode(), "text/html; charset=utf-8")
        self.forbidden.add(path)
        items.append({"t": title, "u": path, "d": "2024-02-05"})
        items.sort(key=lambda it: (it["d"], it["u"]), reverse=True)
        data = json.dumps({"items": items}, ensure_ascii=False).encode()
        self.route(COLUMN + "data_42.json", partial(self._data, data))
        self.static(self.START, page("政府信息公开年报_武汉市汉阳区人民政府", LISTING % COLUMN).encode(),
                    "text/html; charset=utf-8")

    @staticmethod
    def _data(data: bytes, req: Request) -> Response:
        # a slow back end, as on real portals: the links appear well after the page's load event
        time.sleep(DATA_DELAY)
        return Response(200, data, "application/json; charset=utf-8")

    def _page(self, sample, layout: str, req: Request) -> Response:
        body = self.content.page(sample, layout=layout, chrome=True, encoding="utf-8", site_style="trs")
        return Response(200, body, "text/html; charset=utf-8")
