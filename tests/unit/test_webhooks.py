"""Webhooks' pure rules: signatures a Standard Webhooks verifier accepts, the addresses no endpoint
may reach, the retry schedule and Retry-After."""

from __future__ import annotations

import ipaddress
import uuid
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from dam.domain import webhooks as hooks
from dam.domain.errors import InvalidInput

pytestmark = pytest.mark.unit


def test_a_signed_message_verifies_with_either_secret_during_a_rotation() -> None:
    old, new = hooks.new_secret(), hooks.new_secret()
    assert old.startswith("whsec_")
    assert len(hooks.key_of(old)) == 32
    body = b'{"type":"asset.ready"}'
    message = hooks.message_id(uuid.uuid4())
    now = int(datetime.now(UTC).timestamp())
    headers = hooks.headers([hooks.key_of(new), hooks.key_of(old)], message, now, body)
    assert headers["webhook-signature"].count("v1,") == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers) == {"type": "asset.ready"}
    with pytest.raises(Exception, match="signature"):
        Webhook(hooks.new_secret()).verify(body, headers)


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.0.0.8", "private"), ("172.16.3.1", "private"),
        ("192.168.1.1", "private"), ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"),
        ("169.254.10.1", "link-local"), ("224.0.0.1", "multicast"), ("0.0.0.0", "unspecified"),
        ("::ffff:10.1.1.1", "private"), ("fc00::1", "private"),
    ],
)  # fmt: skip
def test_addresses_no_endpoint_may_reach(address: str, why: str) -> None:
    found = hooks.forbidden(ipaddress.ip_address(address))
    assert found is not None
    assert why in found


def test_public_addresses_and_names_pass_the_check_made_when_an_endpoint_is_made() -> None:
    assert hooks.forbidden(ipaddress.ip_address("93.184.215.14")) is None
    assert hooks.check_url("https://hooks.example.com/x", allow_http=False, allow_private=False)
    for bad, words in [
        ("http://hooks.example.com/x", "https"), ("ftp://x/y", "https"), ("https://u:p@h.example/x", "user"),
        ("https://[::1]/x", "loopback"), ("https://", "host"),
    ]:  # fmt: skip
        with pytest.raises(InvalidInput, match=words):
            hooks.check_url(bad, allow_http=False, allow_private=False)
    assert hooks.check_url("http://127.0.0.1:9/x", allow_http=True, allow_private=True)


def test_the_schedule_backs_off_with_jitter_and_honours_retry_after() -> None:
    schedule = hooks.parse_schedule("5, 30,120")
    assert schedule == (5.0, 30.0, 120.0)
    for attempts, base in ((1, 5.0), (2, 30.0), (3, 120.0), (9, 120.0)):
        wait = hooks.next_wait(schedule, attempts)
        assert base * 0.9 <= wait <= base * 1.1
    assert hooks.next_wait(schedule, 1, retry_after=90.0) >= 90.0
    assert hooks.next_wait(schedule, 1, retry_after=10**9) <= 86400.0
    now = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    assert hooks.retry_after("120", now) == 120.0
    assert hooks.retry_after("Tue, 08 Dec 2026 09:01:00 GMT", now) == 60.0
    assert hooks.retry_after("soon", now) is None
    with pytest.raises(ValueError, match="DAM_WEBHOOK_RETRY_SCHEDULE"):
        hooks.parse_schedule("0,5")
    assert hooks.retryable(None)
    assert hooks.retryable(429)
    assert hooks.retryable(503)
    assert not hooks.retryable(404)
    assert not hooks.retryable(301)


@pytest.mark.parametrize("address", ["100.64.1.1", "100.100.100.200", "2002:7f00:1::1", "fec0::1"])
def test_addresses_that_are_not_public_are_refused_too(address: str) -> None:
    assert hooks.forbidden(ipaddress.ip_address(address)) is not None


def test_a_host_dns_cannot_carry_is_refused_when_made_and_an_international_one_is_kept() -> None:
    with pytest.raises(InvalidInput, match="DNS"):
        hooks.check_url("https://a..b/hook", allow_http=False, allow_private=False)
    with pytest.raises(InvalidInput, match="DNS"):
        hooks.check_url(f"https://{'a' * 70}.com/hook", allow_http=False, allow_private=False)
    assert hooks.check_url("https://bücher.de/hook", allow_http=False, allow_private=False)
    assert hooks.ascii_host("bücher.de") == "xn--bcher-kva.de"
