"""A test pipeline: appends every item (without its body bytes) as one JSON line to NIANBAO_TEST_ITEMS."""
import hashlib
import json


class CollectPipeline:
    def __init__(self, path):
        self.path = path

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("NIANBAO_TEST_ITEMS"))

    def process_item(self, item):
        row = {k: v for k, v in dict(item).items() if k != "body"}
        row["type"] = type(item).__name__
        body = item.get("body") if "body" in item.fields else None
        row["size"] = len(body) if body is not None else None
        row["sha256"] = hashlib.sha256(body).hexdigest() if body else None
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        return item
