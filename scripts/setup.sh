#!/usr/bin/env bash
# One-time, idempotent set-up: system packages (when root), the virtualenv, the project and its extras.
set -euo pipefail
cd "$(dirname "$0")/.."

# LibreOffice converts DOC/WPS (and renders test PDFs), Chromium renders JS listings and runs the
# Datasette browser test, Noto CJK gives those documents Chinese glyphs, poppler-utils rasterises PDFs.
# postgresql and redis-server give the tests their servers: the running ones if they let the tests in,
# else throw-away ones the tests start themselves (tests/services.py: initdb/pg_ctl, redis-server).
APT_PKGS="libreoffice-writer-nogui chromium fonts-noto-cjk poppler-utils postgresql redis-server"
missing=""
for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing system packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "setup: please install the system packages:$missing (sudo apt-get install$missing)" >&2
  fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[dev,ocr]'
echo "setup: done"
