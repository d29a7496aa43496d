"""Test-wide settings: CI runs are reproducible, local runs keep exploring new random examples.

The PostgreSQL and Redis servers every test uses come from tests/services.py (NIANBAO_TEST_PG,
NIANBAO_TEST_REDIS; throw-away servers when none is running).
"""
import os

from hypothesis import settings

# Under CI (CI=true) hypothesis draws the same examples every run, so a red build is a change in the
# code, not a new draw; locally every run explores fresh examples (and prints how to replay a failure).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
