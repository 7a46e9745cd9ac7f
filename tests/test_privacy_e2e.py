"""Privacy, end to end: codes hidden until tapped, and old SMS deleted with everything
about them. The real `sms-bridge run` against the fake SMSC and Bot API."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import GROUP
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram, is_relayed_sms

pytestmark = pytest.mark.e2e
StartBridge = Callable[..., BridgeProcess]
SPOILER = "<tg-spoiler><code>4821</code></tg-spoiler>"


def test_with_hide_codes_the_code_is_a_spoiler_in_the_relayed_sms_and_in_answers(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP), HIDE_CODES="true")
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("answering chat commands")
    smsc.add_sms("Ваш код подтверждения: 4821. Никому не сообщайте его.", phone="Sberbank")
    telegram.wait_for(lambda: len(telegram.sms_texts(GROUP)) == 1, what="the SMS relayed")
    [relayed] = telegram.messages(GROUP)
    assert relayed.text.startswith(f"🔑 {SPOILER} · <b>Sberbank</b>: ")
    assert relayed.text.count(SPOILER) == 2  # in front, and in the text
    assert relayed.plain.startswith("🔑 4821 · Sberbank: Ваш код подтверждения: 4821.")
    assert telegram.refused == []

    telegram.user_sends(GROUP, "/last")
    telegram.wait_for(
        lambda: any(not is_relayed_sms(m.plain) for m in telegram.messages(GROUP)),
        what="the answer to /last",
    )
    answer = next(m for m in telegram.messages(GROUP) if not is_relayed_sms(m.plain))
    assert SPOILER in answer.text and "4821" in answer.plain
    assert telegram.refused == []
