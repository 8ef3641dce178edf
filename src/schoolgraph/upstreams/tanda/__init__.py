"""The Tanda / Workforce.com API v2 connector: auth lifecycles, typed models, a cached client.

Contract: `shared/upstreams/tanda.md`. Start with `TandaClient(TandaConfig(base_url, grant))`.
"""

from __future__ import annotations

from .auth import (
    DEFAULT_SCOPES,
    AuthorizationCodeGrant,
    Grant,
    MemoryRefreshTokenStore,
    PasswordGrant,
    RefreshTokenStore,
    TandaAuth,
    authorization_url,
    requester_of,
)
from .client import (
    RESOURCES,
    UNSET,
    BreakSpan,
    TandaClient,
    TandaConfig,
    TandaRequestError,
    TandaTTL,
)
from .models import (
    CurrentUser,
    LeaveBalance,
    LeaveDay,
    LeaveRequest,
    Location,
    OrganisationRef,
    Roster,
    RosterDay,
    Schedule,
    ScheduleBreak,
    Shift,
    ShiftBreak,
    Team,
    Timesheet,
    User,
)
from .webhooks import (
    WEBHOOK_TOPICS,
    Notification,
    NotificationError,
    parse_notification,
    verify_signature,
)

__all__ = [
    "DEFAULT_SCOPES",
    "RESOURCES",
    "UNSET",
    "WEBHOOK_TOPICS",
    "AuthorizationCodeGrant",
    "BreakSpan",
    "CurrentUser",
    "Grant",
    "LeaveBalance",
    "LeaveDay",
    "LeaveRequest",
    "Location",
    "MemoryRefreshTokenStore",
    "Notification",
    "NotificationError",
    "OrganisationRef",
    "PasswordGrant",
    "RefreshTokenStore",
    "Roster",
    "RosterDay",
    "Schedule",
    "ScheduleBreak",
    "Shift",
    "ShiftBreak",
    "TandaAuth",
    "TandaClient",
    "TandaConfig",
    "TandaRequestError",
    "TandaTTL",
    "Team",
    "Timesheet",
    "User",
    "authorization_url",
    "parse_notification",
    "requester_of",
    "verify_signature",
]
