"""The three simulators started together describe one world."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from schoolgraph.simulators.stack import SimulatorStack, start_simulators

from .conftest import TODAY


@pytest.fixture
async def stack() -> AsyncIterator[SimulatorStack]:
    running = await start_simulators(seed=7, scale="small", today=TODAY)
    yield running
    await running.close()


async def _tanda_users(http: aiohttp.ClientSession, tanda: dict[str, Any]) -> list[Any]:
    admin = tanda["admin"]
    grant = {
        "username": admin["email"],
        "password": admin["password"],
        "scope": "user",
        "grant_type": "password",
    }
    async with http.post(tanda["token_url"], json=grant) as response:
        token = (await response.json())["access_token"]
    async with http.get(
        f"{tanda['api_base']}/users", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        users: list[Any] = await response.json()
    return users


async def _xporter_staff(http: aiohttp.ClientSession, xporter: dict[str, Any]) -> list[Any]:
    rows: list[Any] = []
    for school in xporter["schools"]:
        body = {
            "estab": school["estab"],
            "relyingParty": xporter["relying_party"],
            "password": school["secret"],
            "thirdpartyid": xporter["third_party_id"],
        }
        async with http.post(xporter["token_url"], json=body) as response:
            token = (await response.json())["token"]
        async with http.get(
            f"{xporter['url']}/api/v1/School/{school['estab']}/Staff",
            headers={"Authorization": f"Idaas {token}"},
        ) as response:
            rows += (await response.json())["Staff"]
    return rows


async def test_tanda_and_xporter_share_staff_matched_by_email_or_code(
    stack: SimulatorStack,
) -> None:
    described = stack.describe()
    async with aiohttp.ClientSession() as http:
        users = await _tanda_users(http, described["tanda"])
        staff = await _xporter_staff(http, described["xporter"])
    exact = {s["WorkEmail"] for s in staff if s["WorkEmail"]}
    emails = {e.lower() for e in exact}
    codes = {s.get("StaffCode") for s in staff} | {s.get("PayrollNumber") for s in staff}
    matched = [
        u
        for u in users
        if (u.get("email") or "").lower() in emails or u.get("employee_id") in codes
    ]
    assert len(matched) >= 5
    case_only = [
        u
        for u in users
        if u.get("email") and u["email"].lower() in emails and u["email"] not in exact
    ]
    assert len(case_only) == 1  # the email that differs only in case


async def test_describe_lists_every_upstream_with_a_live_url(stack: SimulatorStack) -> None:
    described = stack.describe()
    async with aiohttp.ClientSession() as http:
        for name in ("tanda", "xporter", "tass"):
            async with http.get(f"{described[name]['url']}/__sim/stats") as response:
                assert response.status == 200
                assert (await response.json())["simulator"] == name
