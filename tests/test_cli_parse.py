"""`nianbao parse FILE…`: one Report JSON per readable file, a one-line error per unreadable one, exit 2."""
import json
import subprocess
import sys
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
EXPECTED = {e["file"]: e for e in json.loads((SEEDS.parent / "design" / "seeds_expected.json").read_text("utf-8"))}


def nianbao(*args):
    return subprocess.run([sys.executable, "-m", "nianbao.cli", *args], capture_output=True, text=True, timeout=300)


def test_parse_prints_one_report_per_line_and_exits_2_on_an_unreadable_file(tmp_path):
    seeds = sorted(SEEDS.glob("*.txt"))[:2]
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)       # a PDF header, then garbage
    proc = nianbao("parse", str(seeds[0]), str(bad), str(seeds[1]))
    assert proc.returncode == 2
    lines = proc.stdout.splitlines()
    assert len(lines) == 2                                        # the good files are still printed
    for line, seed in zip(lines, [seeds[0], seeds[1]], strict=True):
        report = json.loads(line)
        want = EXPECTED[seed.name]
        assert (report["agency"], report["year"], report["template"]) == (want["agency"], want["year"],
                                                                         want["template"])
        assert {(c["table"], c["row"], c["col"]): c["value"] for c in report["cells"]} == {
            (c["table"], c["row"], c["col"]): c["value"] for c in want["cells"]}
        assert set(report) >= {"region", "title", "published", "checks", "sections", "warnings"}
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and "broken.pdf" in errors[0] and "Traceback" not in proc.stderr


def test_parse_with_title_and_url_hints(tmp_path):
    seed = sorted(SEEDS.glob("000_*.txt"))[0]                    # no title line in the text
    proc = nianbao("parse", str(seed), "--title", "莲湖区司法局2021年政府信息公开工作年度报告",
                   "--url", "http://www.lianhu.gov.cn/zwgk/zfxxgknb/202201/t20220120_1.html")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["title"] == "莲湖区司法局2021年政府信息公开工作年度报告"
    # the host (lianhu) names the district, so the agency gets its city (issue 9)
    assert report["year"] == 2021 and report["agency"] == "西安市莲湖区司法局"
