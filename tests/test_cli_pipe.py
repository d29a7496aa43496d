"""A reader that stops early (`nianbao export | head`) ends the command quietly with exit 0."""
import subprocess
import sys

import pytest

from pipelines.db import open_db
from tests.pipelines.query_dataset import fill


@pytest.mark.parametrize("command", [["export", "--format", "csv"], ["query", "--csv", "--limit", "0"]])
def test_output_into_a_closed_pipe_exits_0_without_an_error(tmp_path, command):
    db = f"sqlite:///{tmp_path / 'd.sqlite'}"
    engine = open_db(db)
    fill(engine)                    # 8 reports: their CSV is larger than a pipe's buffer
    engine.dispose()
    proc = subprocess.Popen([sys.executable, "-m", "nianbao.cli", *command, "--db", db],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.read(10)
    proc.stdout.close()           # the reader leaves
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err and b"Broken pipe" not in err
