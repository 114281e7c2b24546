"""Which faults count as an outage, and how an outage is logged (once, not per call)."""

from __future__ import annotations

import logging

import asyncpg
import pytest

from dam.db.pool import unavailable
from dam.outages import Outage


def _postgres(cls: type[asyncpg.PostgresError], message: str) -> asyncpg.PostgresError:
    return cls(message)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        pytest.param(ConnectionRefusedError(111, "Connect call failed"), True, id="refused"),
        pytest.param(TimeoutError(), True, id="timeout"),
        pytest.param(
            _postgres(
                asyncpg.ConnectionDoesNotExistError, "connection was closed in the middle of operation"
            ),
            True,
            id="terminated-mid-query",
        ),
        pytest.param(
            _postgres(asyncpg.AdminShutdownError, "terminating connection"), True, id="admin-shutdown"
        ),
        pytest.param(
            _postgres(asyncpg.CannotConnectNowError, "the database system is starting up"),
            True,
            id="starting",
        ),
        pytest.param(_postgres(asyncpg.TooManyConnectionsError, "too many clients"), True, id="too-many"),
        pytest.param(
            _postgres(
                asyncpg.ObjectNotInPrerequisiteStateError,
                'database "x" is not currently accepting connections',
            ),
            True,
            id="allow-connections-false",
        ),
        pytest.param(asyncpg.InterfaceError("connection is closed"), True, id="closed"),
        pytest.param(
            asyncpg.exceptions.InternalClientError(
                "cannot switch to state 12; another operation (2) is in progress"
            ),
            True,
            id="terminated-as-a-call-began",
        ),
        pytest.param(_postgres(asyncpg.UniqueViolationError, "duplicate key"), False, id="unique-violation"),
        pytest.param(
            _postgres(asyncpg.ObjectNotInPrerequisiteStateError, "cannot lock"), False, id="other-55000"
        ),
        pytest.param(_postgres(asyncpg.UndefinedColumnError, "no such column"), False, id="bug"),
        pytest.param(ValueError("bad"), False, id="value-error"),
    ],
)
def test_unavailable_tells_outages_from_bugs(exc: BaseException, expected: bool) -> None:
    assert unavailable(exc) is expected


def test_outage_logs_once_when_it_begins_and_once_when_it_ends(caplog: pytest.LogCaptureFixture) -> None:
    outage = Outage("PostgreSQL")
    with caplog.at_level(logging.INFO, logger="dam.outages"):
        outage.answered()  # no outage: nothing to say
        for _ in range(50):
            outage.failed(ConnectionRefusedError("refused"))
        assert outage.down
        outage.answered()
        outage.answered()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert lines[0].startswith("PostgreSQL unavailable: ConnectionRefusedError: refused")
    assert "answers again" in lines[1]
    assert "50 calls failed" in lines[1]
    assert not outage.down


@pytest.mark.unit
def test_recoveries_count_the_outages_that_ended() -> None:
    outage = Outage("a store")
    outage.answered()
    assert outage.recoveries == 0  # answers with no outage are not returns
    outage.failed("refused")
    outage.failed("refused")
    assert outage.recoveries == 0
    outage.answered()
    outage.answered()
    assert outage.recoveries == 1  # one outage, one return, however many calls see it
    outage.failed("refused")
    outage.answered()
    assert outage.recoveries == 2
