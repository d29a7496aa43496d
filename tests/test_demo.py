"""`nianbao demo` as a newcomer runs it: a fresh directory, offline, ends with a non-empty dataset and exit 0."""
import sqlite3
import subprocess
import sys
from pathlib import Path


def test_demo_builds_a_dataset(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "nianbao.cli", "demo"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    db = tmp_path / "data" / "demo.sqlite"
    assert db.exists()
    with sqlite3.connect(db) as conn:
        reports = conn.execute("SELECT count(*) FROM reports WHERE is_current").fetchone()[0]
        cells = conn.execute("SELECT count(*) FROM cells").fetchone()[0]
        sites = {r[0] for r in conn.execute("SELECT site FROM site_runs")}
    assert reports > 0 and cells > 0
    assert len(sites) >= 6
    assert "Dataset:" in proc.stdout and "Sample query" in proc.stdout
    assert list(Path(tmp_path, "data", "demo", "raw").rglob("*.pdf"))
