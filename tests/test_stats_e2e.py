"""/stats end to end: the real bridge answers with a PNG chart shown in the chat, drawn
by a child process: the bridge itself never loads matplotlib, idle or not."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.chat.chart import HEIGHT_PX, WIDTH_PX
from tests.conftest import GROUP
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.e2e
StartBridge = Callable[..., BridgeProcess]


def loaded(bridge: BridgeProcess, library: str) -> bool:
    """Whether the running bridge has mapped any file of `library` into memory."""
    assert bridge.process is not None
    return f"/{library}/" in Path(f"/proc/{bridge.process.pid}/maps").read_text()


def test_stats_sends_a_png_chart_and_the_bridge_never_loads_matplotlib(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("answering chat commands")
    for n in range(5):
        smsc.add_sms(f"Boiler {n}: pressure LOW", phone="79261112233" if n else "Sberbank")
    telegram.wait_for(lambda: len(telegram.sms_texts(GROUP)) == 5, what="the SMS")
    assert not loaded(bridge, "matplotlib") and not loaded(bridge, "numpy")

    asked = telegram.user_sends(GROUP, "/stats")
    telegram.wait_for(
        lambda: any(m.kind == "photo" for m in telegram.messages(GROUP)),
        timeout=60,
        what="the chart",
    )
    chart = next(m for m in telegram.messages(GROUP) if m.kind == "photo")
    assert chart.reply_to == asked and chart.document is not None
    assert chart.document.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", chart.document[16:24]) == (WIDTH_PX, HEIGHT_PX)
    assert 10_000 < len(chart.document) < 500_000
    lines = chart.plain.splitlines()
    assert lines[0] == "SMS statistics" and lines[1].startswith("the last 7 days (")
    assert "total: 5 SMS" in lines and "1. +7 926 111-22-33 — 4" in lines
    assert lines[-1] == "arrival to taken: nobody took any of them"
    assert not loaded(bridge, "matplotlib") and not loaded(bridge, "numpy")
    assert telegram.refused == []
