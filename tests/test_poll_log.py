"""A failing device is logged once when it starts failing and once when it recovers."""

from __future__ import annotations

import logging

import pytest

from monitors.collection.poll_log import PollLog


def test_hundred_failed_polls_log_one_warning_and_one_recovery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plog = PollLog(logging.getLogger("rackwatch.test.poll_log"))
    caplog.set_level(logging.INFO, logger="rackwatch.test.poll_log")
    for i in range(100):
        plog.failed("pdu-7", 1000 + 10 * i, "timeout", "no answer from 127.0.0.9:161")
    plog.succeeded("pdu-ok", 2000)  # a healthy device logs nothing
    assert plog.failing_count() == 1
    assert "pdu-7=100 (timeout)" in plog.summary()
    plog.succeeded("pdu-7", 2000)
    msgs = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert msgs == [
        (logging.WARNING, "device pdu-7 failing: no answer from 127.0.0.9:161 (timeout)"),
        (logging.INFO, "device pdu-7 recovered after 100 failed polls over 1000 s"),
    ]
    assert plog.failing_count() == 0


def test_a_new_failure_family_is_news_and_problems_are_reported_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plog = PollLog(logging.getLogger("rackwatch.test.poll_log2"))
    caplog.set_level(logging.INFO, logger="rackwatch.test.poll_log2")
    plog.failed("bmc-1", 0, "timeout", "no answer")
    plog.failed("bmc-1", 10, "timeout", "no answer")
    plog.failed("bmc-1", 20, "auth", "wrong password")
    for _ in range(50):
        plog.saw_problems("pdu-2", ["outlet 3: not a number"])
    plog.saw_problems("pdu-2", [])
    plog.saw_problems("pdu-2", ["outlet 3: not a number"])
    msgs = [r.getMessage() for r in caplog.records]
    assert msgs == [
        "device bmc-1 failing: no answer (timeout)",
        "device bmc-1 still failing, now: wrong password (auth)",
        "device pdu-2 problem: outlet 3: not a number",
        "device pdu-2 problem: outlet 3: not a number",
    ]
