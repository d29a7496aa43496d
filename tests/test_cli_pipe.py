"""A reader that stops early (`nianbao export | head`) ends the command quietly with exit 0."""
import subprocess
import sys

from pipelines.db import open_db
from tests.pipelines.query_dataset import fill


def test_export_into_a_closed_pipe_exits_0_without_an_error(tmp_path):
    db = f"sqlite:///{tmp_path / 'd.sqlite'}"
    engine = open_db(db)
    fill(engine)                    # 8 reports: their CSV is larger than a pipe's buffer
    engine.dispose()
    export = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "export", "--db", db, "--format", "csv"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert export.stdout.read(10)
    export.stdout.close()           # the reader leaves
    _, err = export.communicate(timeout=120)
    assert export.returncode == 0, err.decode()
    assert b"Traceback" not in err and b"Broken pipe" not in err
