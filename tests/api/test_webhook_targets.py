"""Webhook targets on private networks are refused when subscribing (the default setting)."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
URL = "/api/v1/webhooks"


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",  # resolves to loopback
        "http://10.0.0.5/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",  # the cloud metadata service
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "https://0.0.0.0/hook",
    ],
)
async def test_a_private_loopback_or_link_local_target_is_refused(
    client: Client, login_as: UserFactory, target: str
) -> None:
    admin = await login_as("admin")
    response = await client.post(URL, json={"url": target, "event_types": ["invoice.issued"]}, headers=admin)

    problem = problem_of(response)
    assert (response.status_code, problem["code"], problem["field"]) == (422, "webhook_target_private", "url")
    assert (await client.get(URL, headers=admin)).json()["total"] == 0


async def test_changing_the_url_to_a_private_target_is_refused_too(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    # An address literal: a public address needs no DNS, so the test runs offline.
    created = await client.post(
        URL, json={"url": "https://93.184.216.34/hook", "event_types": ["rma.step"]}, headers=admin
    )
    assert created.status_code == 201, created.text
    body = created.json()

    changed = await client.patch(
        f"{URL}/{body['id']}", json={"version": body["version"], "url": "http://127.0.0.1/x"}, headers=admin
    )

    assert (changed.status_code, problem_of(changed)["code"], problem_of(changed)["field"]) == (
        422,
        "webhook_target_private",
        "url",
    )
    assert (await client.get(f"{URL}/{body['id']}", headers=admin)).json()["url"] == "https://93.184.216.34/hook"
