"""Datasette plugin (registered by pipelines.serve): search of any length, Chinese headers on query pages.

Datasette's own table search sends the words to FTS5 MATCH, and the trigram index needs three characters
(司法 → nothing). Tables whose metadata names this plugin ("plugins": {"nianbao-search": {"pk": "id"}})
get the search box from here instead: pipelines.search.sqlite_ids, the trigram index for longer words and
LIKE over the same table for shorter ones.
"""
from __future__ import annotations

import json

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite

from pipelines import search

PLUGIN = "nianbao-search"
LABELS = "nianbao-labels"

# query pages (canned queries, "View and edit SQL") print column and parameter names; this relabels them
_RELABEL = """
const labels = %s;
for (const th of document.querySelectorAll("table.rows-and-columns thead th")) {
  const key = th.textContent.trim();
  if (labels[key]) { th.title = labels[key];
                     th.innerHTML = `<span class="col-label">${labels[key].split("（")[0]}</span>`
                                    + `<small class="col-key">${key}</small>`; }
}
for (const label of document.querySelectorAll("form.sql label[for^=qp]")) {
  const key = label.textContent.trim();
  if (labels[key]) { label.title = key; label.textContent = labels[key].split("（")[0]; }
}
"""


@hookimpl(trylast=True)          # after Datasette's own search filter, so that supports_search here wins
def filters_from_request(request, database, table, datasette):
    config = datasette.plugin_config(PLUGIN, database=database, table=table) or {}
    if not config.get("pk"):
        return None
    context = {"supports_search": True}
    q = request.args.get("_search", "")
    if not q.split():
        return FilterArguments([], extra_context=context)
    sql, params = search.sqlite_ids(q, prefix="nianbao_search_")
    context["search"] = q
    return FilterArguments([f"{escape_sqlite(config['pk'])} IN ({sql})"], params, [f'search matches "{q}"'],
                           context)


@hookimpl
def extra_body_script(template, database, datasette):
    labels = (datasette.plugin_config(LABELS) or {}).get("columns")
    if template != "query.html" or not labels:
        return None
    return _RELABEL % json.dumps(labels, ensure_ascii=False)
