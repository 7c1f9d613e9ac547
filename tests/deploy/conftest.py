"""The AppAPI demo fixtures of test_appapi_mode, shared with the other app-mode tests."""

from tests.deploy.test_appapi_mode import app_demo, app_quorum  # noqa: F401
