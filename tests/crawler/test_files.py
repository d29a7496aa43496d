"""File names from hostile Content-Disposition headers, the data-directory jail, byte sniffing, challenges."""
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.encoding import fix_encoding
from crawler.files import challenge_reason, safe_filename, safe_join, sniff_media

from .helpers import html


@pytest.mark.parametrize("header,expected", [
    ('attachment; filename="../../x.pdf"', "x.pdf"),
    ("attachment; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.pdf", "年报.pdf"),
    ('attachment; filename="report.pdf"; filename*=UTF-8\'\'%E5%B9%B4%E6%8A%A5.pdf', "年报.pdf"),
    ('attachment; filename="..\\\\..\\\\windows\\\\x.doc"', "x.doc"),
    ("attachment; filename=%E6%8A%A5%E5%91%8A.pdf", "报告.pdf"),
    ('attachment; filename="/etc/passwd"', "passwd"),
    ('attachment; filename=".."', "1.pdf"),
    ('attachment; filename="a\x00b.pdf"', "a_b.pdf"),
])
def test_safe_filename(header, expected):
    assert safe_filename(header, "http://a.gov.cn/files/1.pdf") == expected


def test_safe_filename_raw_gbk_bytes_and_fallbacks():
    assert safe_filename('attachment; filename="年报.pdf"'.encode("gbk"), "") == "年报.pdf"
    assert safe_filename(None, "http://a.gov.cn/attach/0/%E5%B9%B4%E6%8A%A5.pdf") == "年报.pdf"
    assert safe_filename(None, "http://a.gov.cn/") == "download"
    long = safe_filename(f'attachment; filename="{"报" * 400}.pdf"', "")
    assert len(long) <= 150 and long.endswith(".pdf")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_safe_join_never_escapes(tmp_path_factory, name):
    base = tmp_path_factory.mktemp("data")
    header = f'attachment; filename="{name}"'
    path = safe_join(base, safe_filename(header, "http://a.gov.cn/x"))
    assert base.resolve() in path.parents


def test_safe_join_rejects_a_traversal_given_directly(tmp_path):
    assert safe_join(tmp_path, "../../etc/passwd") == tmp_path.resolve() / "passwd"


def test_sniff_by_bytes_not_name():
    import docx
    buf = io.BytesIO()
    docx.Document().save(buf)
    assert sniff_media(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj") == "application/pdf"
    assert sniff_media(buf.getvalue()).endswith("wordprocessingml.document")
    assert sniff_media(b"<html><head><title>x</title></head></html>") == "text/html"
    assert sniff_media(b"\x00\x01\x02\x03garbage\x00") is None


def test_challenge_pages_are_recognised():
    page = (b"<html><head><title>\xe5\xae\x89\xe5\x85\xa8\xe9\xaa\x8c\xe8\xaf\x81</title></head><body><script>"
            b"document.cookie='__jsl_clearance=1';location.href=location.pathname</script></body></html>")
    assert challenge_reason(page).startswith("blocked")
    assert challenge_reason(b"<html><body>ok</body></html>", 412).startswith("blocked")
    assert challenge_reason("<html><body>某局2021年政府信息公开工作年度报告</body></html>".encode()) is None


def test_gbk_page_with_a_utf8_header_is_relabelled():
    body = '<html><head><meta charset="gb2312"><title>年报</title></head><body>衡阳市</body></html>'.encode("gbk")
    resp = html("http://a.gov.cn/", body, headers={"Content-Type": "text/html; charset=UTF-8"})
    fixed = fix_encoding(resp)
    assert fixed.encoding == "gb18030" and "衡阳市" in fixed.text


def test_gbk_page_with_only_a_meta_tag_is_read_as_gb18030():
    body = '<html><head><meta charset="gb2312"></head><body>镕</body></html>'.encode("gbk")
    fixed = fix_encoding(html("http://a.gov.cn/", body, headers={"Content-Type": "text/html"}))
    assert "镕" in fixed.text
