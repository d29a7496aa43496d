"""Parse benchmark: our readers (and parsers.parse) per report and per page, beside the bare library passes.

Builds one sample report (the three official tables, narrative text) as HTML, DOCX, a ~6-page PDF and
a DOC (LibreOffice), and a scan (the PDF's table pages rasterised). Each case runs in a fresh child
process so its peak RSS is its own. Run: .venv/bin/python bench/parse.py [--repeat N]
"""
from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(out: Path) -> None:
    """Write the sample files into `out` (LibreOffice runs once per output format)."""
    # the measuring children never load the builders
    from nianbao.simulator import samples  # lazy: python-docx, pypdfium2

    files = samples.sample_files(11, narrative_paragraphs=11)
    (out / "report.html").write_text(files["html"], encoding="utf-8")
    for name, key in (("report.docx", "docx"), ("report.pdf", "pdf"), ("report.doc", "doc"), ("scan.pdf", "scan")):
        (out / name).write_bytes(files[key])


def _ours(case: str):
    """Our reader for a case, loaded only in the children that measure ours (a bare case's RSS is its own)."""
    from parsers.doc import (  # lazy: LibreOffice reader; per-case RSS
        convert_many,
        read_doc,
    )
    from parsers.docx import read_docx  # lazy: per-case RSS
    from parsers.html import read_html  # lazy: per-case RSS
    from parsers.pdf import read_pdf  # lazy: pypdfium2 and OCR; per-case RSS

    return {"html": read_html, "docx": read_docx, "pdf": read_pdf, "doc": read_doc, "scan": read_pdf,
            "doc_batch10": lambda data: convert_many([data] * 10)}[case]


def _bare(case: str):
    """The bare library pass over the same bytes."""
    if case == "pdf_pdfplumber":
        import pdfplumber

        def run(data):
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                return [page.extract_tables() for page in pdf.pages]
        return run
    if case == "pdf_pypdfium2":
        import pypdfium2 as pdfium

        def run(data):
            doc = pdfium.PdfDocument(data)
            return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
        return run
    if case == "docx_python_docx":
        import docx
        return lambda data: docx.Document(io.BytesIO(data))
    if case == "html_lxml":
        import lxml.html
        return lambda data: lxml.html.document_fromstring(data)
    if case == "scan_rapidocr":
        import numpy as np
        import pypdfium2 as pdfium
        from rapidocr_onnxruntime import RapidOCR

        from parsers.limits import OCR_DPI  # lazy: per-case RSS (the bare OCR pass)
        engine = RapidOCR()

        def run(data):
            doc = pdfium.PdfDocument(data)
            return [engine(np.asarray(doc[i].render(scale=OCR_DPI / 72, grayscale=True).to_pil()), use_cls=False)
                    for i in range(len(doc))]
        return run
    raise KeyError(case)


def _full():
    from parsers import parse  # lazy: every reader, per-case RSS
    return parse


FILES = {"html": "report.html", "docx": "report.docx", "pdf": "report.pdf", "doc": "report.doc",
         "scan": "scan.pdf", "doc_batch10": "report.doc"}


def one(kind: str, case: str, path: Path, repeat: int) -> dict:
    """Time one case in this process: best of `repeat` runs, tracemalloc peak of one run, peak RSS."""
    data = path.read_bytes()
    if kind == "ours":
        fn = _ours(case)
    elif kind == "bare":
        fn = _bare(case)
    else:
        fn = _full()
    fn(data)                                   # warm-up: imports, OCR model load, fonts
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn(data)
        best = min(best, time.perf_counter() - t)
    tracemalloc.start()
    fn(data)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"seconds": best, "traced_mb": traced / 2**20,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child(kind: str, case: str, path: Path, repeat: int) -> dict:
    cmd = [sys.executable, __file__, "--one", kind, case, str(path), str(repeat)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return {"error": last[:70]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pages_of(path: Path) -> int:
    if path.suffix == ".pdf":
        import pypdfium2 as pdfium
        return len(pdfium.PdfDocument(path.read_bytes()))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        kind, case, path, repeat = args.one
        print(json.dumps(one(kind, case, Path(path), int(repeat))))
        return 0
    with tempfile.TemporaryDirectory(prefix="nianbao-bench-") as tmp:
        out = Path(tmp)
        t = time.perf_counter()
        build(out)
        print(f"samples built with LibreOffice in {time.perf_counter() - t:.1f} s; "
              f"report.pdf has {pages_of(out / 'report.pdf')} pages, scan.pdf {pages_of(out / 'scan.pdf')}")
        pdf_pages = pages_of(out / "report.pdf")
        rows = []
        slow = {"doc", "doc_batch10", "scan"}
        plan = [("ours", c, FILES[c]) for c in FILES] + [("full", c, FILES[c]) for c in ("html", "docx", "pdf")] + [
            ("bare", "html_lxml", "report.html"), ("bare", "docx_python_docx", "report.docx"),
            ("bare", "pdf_pdfplumber", "report.pdf"), ("bare", "pdf_pypdfium2", "report.pdf"),
            ("bare", "scan_rapidocr", "scan.pdf")]
        for kind, case, name in plan:
            repeat = 1 if (case in slow or case.startswith("scan")) else args.repeat
            r = child(kind, case, out / name, repeat)
            pages = pages_of(out / name) or {"doc": pdf_pages, "doc_batch10": pdf_pages}.get(case, 0)
            rows.append((kind, case, name, pages, r))
        print(f"\n{'what':<28}{'file':<13}{'pages':>6}{'s/report':>10}{'ms/page':>9}{'RSS MB':>8}{'traced MB':>10}")
        for kind, case, name, pages, r in rows:
            label = f"{kind}:{case}"
            if "error" in r:
                print(f"{label:<28}{name:<13}{pages:>6}  n/a ({r['error']})")
                continue
            sec = r["seconds"] / (10 if case == "doc_batch10" else 1)
            per_page = f"{1000 * sec / pages:.1f}" if pages else "-"
            print(f"{label:<28}{name:<13}{pages:>6}{sec:>10.3f}{per_page:>9}{r['rss_mb']:>8.0f}{r['traced_mb']:>10.1f}")
        ours = {c: r for k, c, _, _, r in rows if k == "ours"}
        bare = {c: r for k, c, _, _, r in rows if k == "bare"}
        if "seconds" in ours["pdf"] and "seconds" in bare["pdf_pdfplumber"]:
            ratio = ours["pdf"]["seconds"] / bare["pdf_pdfplumber"]["seconds"]
            print(f"\nread_pdf / bare pdfplumber extract_tables on the {pdf_pages}-page PDF: {ratio:.2f} (goal <= 0.5)")
        print("(doc_batch10 is per file of a 10-file batch in one LibreOffice run; RSS is the child process's peak)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
