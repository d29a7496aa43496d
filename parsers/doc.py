"""DOC/WPS reader: LibreOffice headless converts to DOCX (a batch in one process), then read_docx."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from parsers.docx import read_docx
from parsers.limits import SOFFICE_TIMEOUT, check_size
from parsers.model import Document, ParseError
from parsers.sniff import DOC, WPS, sniff

INSTALL_HINT = ("LibreOffice is needed to read DOC/WPS files and is not installed: "
                "apt-get install libreoffice-writer-nogui")


def read_doc(data: bytes) -> Document:
    """Read a Word 97-2003 (.doc) or WPS file through LibreOffice."""
    result = convert_many([data])[0]
    if isinstance(result, ParseError):
        raise result
    return result


def convert_many(items: list[bytes]) -> list[Document | ParseError]:
    """Convert a batch of DOC/WPS files in ONE LibreOffice run; a ParseError in place of each failure."""
    results: dict[int, Document | ParseError] = {}
    soffice = shutil.which("soffice") or shutil.which("/usr/bin/soffice")
    with tempfile.TemporaryDirectory(prefix="nianbao-soffice-") as tmp:
        inputs, types = [], {}
        for k, data in enumerate(items):
            try:
                check_size(data)
                kind = sniff(data)
                if kind not in (DOC, WPS):
                    raise ParseError(f"not a DOC/WPS file: {kind}")
            except ParseError as exc:
                results[k] = exc
                continue
            path = Path(tmp, "in", f"{k}{'.wps' if kind == WPS else '.doc'}")
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
            inputs.append(str(path))
            types[k] = kind
        if inputs:
            if soffice is None:
                raise ParseError(INSTALL_HINT)
            out = Path(tmp, "out")
            _run([soffice, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
                  f"-env:UserInstallation=file://{tmp}/profile", "--convert-to", "docx:MS Word 2007 XML",
                  "--outdir", str(out), *inputs], timeout=SOFFICE_TIMEOUT + 10 * (len(inputs) - 1), home=tmp)
            for k, kind in types.items():
                converted = out / f"{k}.docx"
                if not converted.exists() or converted.stat().st_size == 0:
                    results[k] = ParseError("LibreOffice could not convert this DOC/WPS file (corrupt or unsupported)")
                    continue
                try:
                    doc = read_docx(converted.read_bytes())
                except ParseError as exc:
                    results[k] = exc
                    continue
                doc.media_type = kind
                results[k] = doc
    return [results[k] for k in range(len(items))]


def _run(cmd: list[str], *, timeout: float, home: str) -> None:
    """Run soffice in its own process group; on timeout kill that group and raise ParseError."""
    env = dict(os.environ, HOME=home)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            start_new_session=True)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise ParseError(f"LibreOffice conversion timed out after {timeout:.0f} s") from None
