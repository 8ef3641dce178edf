"""What `schoolgraph simulate` prints for Tanda: URLs and logins that work on this world."""

from __future__ import annotations

from typing import Any

from ..dataset import TandaUser, World
from .auth import SCOPES, user_password
from .render import organisation


def _login(world: World, user: TandaUser | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"user_id": user.id, "email": user.email, "password": user_password(world, user)}


def demo_credentials(world: World, base_url: str) -> dict[str, Any]:
    """URLs, the admin login, one team manager's and one employee's login, the OAuth app.

    Args:
        world: the world the simulator serves.
        base_url: where the simulator listens, e.g. `http://127.0.0.1:8101`.
    """
    users = [
        u for _, u in sorted(world.tanda_users.items()) if u.active and u.email and not u.is_admin
    ]
    manager = next((u for u in users if u.managed_department_ids), None)
    employee = next((u for u in users if not u.managed_department_ids and u.department_ids), None)
    c = world.credentials
    return {
        "base_url": base_url,
        "api_base": f"{base_url}/api/v2",
        "token_url": f"{base_url}/api/oauth/token",
        "authorize_url": f"{base_url}/api/oauth/authorize",
        "organisation_id": organisation(world)[0],
        "admin": {"email": c.tanda_admin_email, "password": c.tanda_admin_password},
        "manager": _login(world, manager),
        "employee": _login(world, employee),
        "oauth_client": {
            "client_id": c.tanda_client_id,
            "client_secret": c.tanda_client_secret,
            "redirect_uri": c.tanda_redirect_uri,
        },
        "webhook_secret": c.tanda_webhook_secret,
        "scopes": list(SCOPES),
    }
