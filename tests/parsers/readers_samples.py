"""The reader tests' samples, made once per session (the builders: nianbao.simulator.samples)."""
from __future__ import annotations

import functools

from nianbao.simulator import samples


@functools.cache
def built() -> dict:
    """Every sample the reader tests need, made once per test session with real tools.

    grids (the truth), docx (python-docx), html, pdf and doc (LibreOffice, one run per output
    format), scan (the pdf rasterised into an image-only PDF), encrypted (LibreOffice with a password).
    """
    files = samples.sample_files(7)
    return {**files, "encrypted": samples.soffice_convert({"secret.docx": files["docx"]}, ENCRYPTED_PDF)["secret"]}


ENCRYPTED_PDF = ('pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
                 '"DocumentOpenPassword":{"type":"string","value":"secret"}}')


def tables(document) -> list[list[list[str]]]:
    return [b.rows for b in document.blocks if hasattr(b, "rows")]


def texts(document) -> list[str]:
    return [b.text for b in document.blocks if hasattr(b, "text")]


def loose(rows: list[list[str]]) -> list[list[str]]:
    """Rows compared as a page shows them: line breaks dropped, trailing covered cells trimmed."""
    out = []
    for row in rows:
        row = [v.replace("\n", "") for v in row]
        while row and row[-1] == "":
            row.pop()
        out.append(row)
    return out
