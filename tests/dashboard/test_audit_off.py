"""A gateway run with ``SCHOOLGRAPH_AUDIT=false`` still signs admins in, and its dashboard
says why it has nothing to show."""

from __future__ import annotations

import pytest

from schoolgraph.config import Mode, Settings
from tests.accounts.harness import ApiUser
from tests.dashboard.site import Dashboard


@pytest.fixture
def dashboard_settings() -> Settings:
    return Settings(mode=Mode.UPSTREAM, audit=False)


@pytest.mark.parametrize("path", ["/admin", "/admin/logs", "/admin/users", "/admin/errors/x"])
async def test_without_the_audit_log_the_dashboard_says_it_is_off(
    dashboard: Dashboard, admin: ApiUser, path: str
) -> None:
    assert (await dashboard.sign_in(admin)).status == 303

    answer = await dashboard.get(path)

    assert answer.status == 503
    assert "The audit log is off (SCHOOLGRAPH_AUDIT=false)" in answer.page.text
