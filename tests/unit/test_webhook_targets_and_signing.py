"""Webhook signatures (the Standard Webhooks reference vector) and the target check (no SSRF)."""

from __future__ import annotations

import base64
import ipaddress

import pytest

from core.webhooks import signing, targets


def test_the_signature_matches_the_standard_webhooks_reference_vector() -> None:
    # The example of the Standard Webhooks specification / its reference libraries.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    assert (
        signing.signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_a_new_secret_is_whsec_and_32_random_bytes() -> None:
    first, second = signing.new_secret(), signing.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "224.0.0.1",
    ],
)
def test_internal_addresses_are_not_public(address: str) -> None:
    assert not targets.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_internet_addresses_are_public(address: str) -> None:
    assert targets.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "example.com/hook", "http:///nohost", "https://user:pw@example.com/", "http://x:99999/"],
)
def test_urls_that_are_not_http_targets_are_refused(url: str) -> None:
    with pytest.raises(targets.TargetRefused) as refused:
        targets.parse(url)
    assert (refused.value.code, refused.value.field) == ("invalid_webhook_url", "url")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/x", "http://[::1]/x", "http://169.254.169.254/latest", "http://localhost/"]
)
async def test_a_private_target_is_refused_after_resolution_unless_allowed(url: str) -> None:
    with pytest.raises(targets.TargetRefused) as refused:
        await targets.check(url, allow_private=False)
    assert (refused.value.code, refused.value.field) == ("webhook_target_private", "url")

    allowed = await targets.check(url, allow_private=True)
    assert not targets.is_public(ipaddress.ip_address(allowed.address))
