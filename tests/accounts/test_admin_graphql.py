"""The admin fields: an admin account does over GraphQL what the CLI does; nobody else may."""

from __future__ import annotations

import json
import re

import aiohttp

from schoolgraph.config import Settings
from tests.accounts.conftest import SERVICE
from tests.accounts.harness import PASSPHRASE, Harness, denied, start_harness
from tests.conftest import Serve

CREATE = """
mutation Create($input: CreateAccountInput!) {
  createAccount(input: $input) { code userName enabled admin }
}
"""
SCHOOLS = """
mutation Schools($code: String!) {
  setAccountSchools(code: $code, schools: [{schoolId: "tass:01", name: "Bayside College"}]) {
    schools { schoolId name }
  }
}
"""
GRANT = """
mutation Grant($code: String!, $input: GrantInput!) {
  setGrant(code: $code, input: $input) {
    grants { typeName read readFields role incomplete }
  }
}
"""
GENERATE = """
mutation Generate($code: String!, $passphrase: String!) {
  generateKey(code: $code, passphrase: $passphrase, linkExpiryHours: 24) {
    status { message linkExpiresAt history { action } }
    sentTo
    email
  }
}
"""


async def test_an_admin_runs_the_whole_seed_flow_over_graphql(harness: Harness) -> None:
    admin = await harness.provision("School Office", admin=True)

    created = await harness.graphql(
        CREATE,
        {
            "input": {
                "userName": "Acme Timetables",
                "contactName": "Ann Lee",
                "contactEmail": "ann@acme.example",
                "purpose": "Timetabling",
            }
        },
        user=admin,
    )
    code = created["data"]["createAccount"]["code"]
    schools = await harness.graphql(SCHOOLS, {"code": code}, user=admin)
    granted = await harness.graphql(
        GRANT,
        {"code": code, "input": {"typeName": "Service", "read": True, "readFields": ["name"]}},
        user=admin,
    )
    incomplete = await harness.graphql(
        GRANT, {"code": code, "input": {"typeName": "Student", "read": True}}, user=admin
    )
    generated = await harness.graphql(
        GENERATE, {"code": code, "passphrase": PASSPHRASE}, user=admin
    )

    assert created["data"]["createAccount"] == {
        "code": "SG0002",
        "userName": "Acme Timetables",
        "enabled": True,
        "admin": False,
    }
    assert schools["data"]["setAccountSchools"]["schools"] == [
        {"schoolId": "tass:01", "name": "Bayside College"}
    ]
    assert granted["data"]["setGrant"]["grants"] == [
        {
            "typeName": "Service",
            "read": True,
            "readFields": ["name"],
            "role": None,
            "incomplete": False,
        }
    ]
    assert {
        "typeName": "Student",
        "read": True,
        "readFields": None,
        "role": None,
        "incomplete": True,
    } in incomplete["data"]["setGrant"]["grants"]
    key = generated["data"]["generateKey"]
    assert key["status"]["message"] == "User has been sent email link but has yet to view key."
    assert key["status"]["history"] == [{"action": "Key/secret generated and email sent"}]
    assert key["sentTo"] == "ann@acme.example"
    assert "Bayside College" in key["email"]

    link = re.search(r"Link: (\S+)", key["email"])
    assert link is not None
    shown = await harness.post_json(link.group(1), {"passphrase": PASSPHRASE}, status=200)
    token = (await harness.token(shown["key"], shown["secret"]))["access_token"]
    partner = {"Authorization": f"Bearer {token}"}
    assert await harness.graphql("{ service { name } }", headers=partner) == {
        "data": {"service": {"name": "schoolgraph"}}
    }
    assert denied(await harness.graphql("{ service { version } }", headers=partner)) == {
        "Service.version"
    }

    changes = await harness.graphql(
        "query($code: String) { accountChanges(code: $code) { actor action detail } }",
        {"code": code},
        user=admin,
    )
    rows = changes["data"]["accountChanges"]
    assert [row["action"] for row in reversed(rows)] == [
        "account created",
        "schools set",
        "grant set",
        "grant set",
        "key generated",
    ]
    assert {row["actor"] for row in rows} == {"account:SG0001"}
    assert json.loads(rows[0]["detail"]) == {"linkExpiryHours": 24, "sentTo": "ann@acme.example"}

    disabled = await harness.graphql(
        "mutation($code: String!) { disableAccount(code: $code) { enabled } }",
        {"code": code},
        user=admin,
    )
    assert disabled["data"]["disableAccount"] == {"enabled": False}
    await harness.graphql("{ service { name } }", headers=partner, status=401)


async def test_bad_admin_input_names_the_field(harness: Harness) -> None:
    admin = await harness.provision("School Office", admin=True)

    body = await harness.graphql(
        GRANT,
        {"code": "SG0001", "input": {"typeName": "Student", "readFields": ["shoeSize"]}},
        user=admin,
    )

    [error] = body["errors"]
    assert body["data"] == {"setGrant": None}
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "readFields"}
    assert error["message"] == "Student has no field 'shoeSize'."


async def test_an_account_without_the_admin_flag_is_refused_every_admin_field(
    harness: Harness,
) -> None:
    partner = await harness.provision("Acme", grants=SERVICE)

    read = await harness.graphql("{ accounts { code grants { typeName } } }", user=partner)
    write = await harness.graphql(
        'mutation { deleteKey(code: "SG0001") { message } }', user=partner
    )

    assert denied(read) == {"Query.accounts", "Account.code", "Account.grants", "Grant.typeName"}
    assert denied(write) == {"Mutation.deleteKey", "KeyStatus.message"}
    assert (await harness.service.key_status("SG0001")).history  # still there


async def test_anonymous_demo_access_is_never_admin(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    harness = await start_harness(serve, http, Settings(demo_scale="small"))

    body = await harness.graphql("{ grantableTypes { name } }")

    assert denied(body) == {"Query.grantableTypes"}
