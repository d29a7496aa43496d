#!/usr/bin/env bash
# Starts the local PostgreSQL and Redis servers, if they are not running. The tests use them when they
# let postgres@127.0.0.1 in (trust); otherwise the tests start throw-away ones (tests/services.py).
set -u
if command -v pg_ctlcluster >/dev/null && [ -n "$(ls /etc/postgresql 2>/dev/null)" ] \
    && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if command -v redis-server >/dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi
# The test database (trust auth on loopback).
if command -v psql >/dev/null; then
  psql -w -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='nianbao_test'" 2>/dev/null | grep -q 1 \
    || psql -w -h 127.0.0.1 -U postgres -qc "CREATE DATABASE nianbao_test" 2>/dev/null || true
fi
