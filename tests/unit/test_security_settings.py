"""Production safety of the settings (DAM_DEV, DAM_STREAM_SECRET, DAM_PUBLIC_URL) and the Host
allow-list (DAM_ALLOWED_HOSTS)."""

from __future__ import annotations

import pytest

from dam.api.hosts import allowed, host_name
from dam.settings import SettingsError, check_production, load_settings, unsafe_for_production

GOOD = {
    "DAM_S3_SECRET_KEY": "a-store-secret",
    "DAM_STREAM_SECRET": "s" * 48,
    "DAM_PUBLIC_URL": "https://dam.example.com",
}


def test_production_settings_pass() -> None:
    check_production(load_settings(GOOD), api=True)


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        pytest.param({"DAM_S3_SECRET_KEY": ""}, "DAM_S3_SECRET_KEY", id="development-store-secret"),
        pytest.param({"DAM_STREAM_SECRET": ""}, "DAM_STREAM_SECRET", id="stream-key-derived-from-store"),
        pytest.param({"DAM_STREAM_SECRET": "short"}, "DAM_STREAM_SECRET", id="stream-key-too-short"),
        pytest.param({"DAM_PUBLIC_URL": ""}, "DAM_PUBLIC_URL", id="no-public-url"),
    ],
)
def test_api_refuses_development_defaults_outside_development(missing: dict[str, str], named: str) -> None:
    settings = load_settings({**GOOD, **missing})
    with pytest.raises(SettingsError, match=named):
        check_production(settings, api=True)
    assert unsafe_for_production(load_settings({**GOOD, **missing, "DAM_DEV": "true"}), api=True) == []


def test_workers_need_no_public_url() -> None:
    assert unsafe_for_production(load_settings({**GOOD, "DAM_PUBLIC_URL": ""}), api=False) == []


def test_default_hosts_are_the_public_host_and_loopback() -> None:
    assert load_settings({}).server.hosts() == ("localhost", "127.0.0.1", "::1")
    hosts = load_settings({"DAM_PUBLIC_URL": "https://DAM.example.com/base"}).server.hosts()
    assert hosts == ("dam.example.com", "localhost", "127.0.0.1", "::1")
    assert load_settings({"DAM_ALLOWED_HOSTS": "a.test, .b.test"}).server.hosts() == ("a.test", ".b.test")


@pytest.mark.parametrize(
    ("header", "name"),
    [
        pytest.param("Example.COM:8000", "example.com", id="port-and-case"),
        pytest.param("[::1]:8000", "::1", id="ipv6-with-port"),
        pytest.param("::1", "::1", id="bare-ipv6"),
        pytest.param("example.com.", "example.com", id="trailing-dot"),
    ],
)
def test_host_name_of_a_header(header: str, name: str) -> None:
    assert host_name(header) == name


def test_allow_list_matching() -> None:
    patterns = ("dam.example.com", ".cdn.example.com")
    assert allowed("dam.example.com", patterns)
    assert allowed("cdn.example.com", patterns)
    assert allowed("eu.cdn.example.com", patterns)
    assert not allowed("evil.example", patterns)
    assert not allowed("dam.example.com.evil.example", patterns)
    assert not allowed("xcdn.example.com", patterns)
    assert allowed("anything", ("*",))
