"""`sms-bridge chats`: with only the bot token, it prints the chats and people its updates
show, ready to paste into the settings, and never writes anything into a chat."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from telegram import Update

from bot.demo.chats import Sightings
from tests.conftest import GROUP, OPERATOR, OTHER_GROUP
from tests.fakes.bridge import clean_environment, sms_bridge_command
from tests.fakes.telegram import BOT_USER, TOKEN, FakeTelegram
from tests.fakes.wait import wait_until

LISTENING_ONLY = {"getMe", "getUpdates"}


def bot_added_to(telegram: FakeTelegram, chat_id: int, title: str, by: int) -> None:
    """Someone adds the bot to a group: a my_chat_member update."""
    with telegram.lock:
        telegram.updates.append(
            {
                "update_id": telegram.next_update_id,
                "my_chat_member": {
                    "chat": {"id": chat_id, "type": "group", "title": title},
                    "from": {"id": by, "is_bot": False, "first_name": "Boris"},
                    "date": int(time.time()),
                    "old_chat_member": {"status": "left", "user": BOT_USER},
                    "new_chat_member": {"status": "member", "user": BOT_USER},
                },
            }
        )
        telegram.next_update_id += 1
        telegram.lock.notify_all()


@pytest.mark.e2e
def test_chats_prints_groups_and_people_with_only_the_token_and_writes_nothing(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    env = clean_environment(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=telegram.base_url)
    output = tmp_path / "chats.out"
    with output.open("wb") as out:
        chats = subprocess.Popen(
            [*sms_bridge_command(), "chats"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: "listening as @sms_bridge_test_bot" in output.read_text("utf-8"))
        telegram.user_sends(GROUP, "/start@sms_bridge_test_bot", user_id=OPERATOR, name="Anna")
        telegram.user_sends(OPERATOR, "hello", user_id=OPERATOR, name="Anna")
        bot_added_to(telegram, OTHER_GROUP, "Night\x1b[2J shift", by=777)
        wait_until(lambda: "user Boris" in output.read_text("utf-8"), what="the third update")
    finally:
        chats.send_signal(signal.SIGINT)
        assert chats.wait(20) == 0
    lines = output.read_text("utf-8").splitlines()
    assert lines[1:] == [
        f'supergroup "Chat {GROUP}": TELEGRAM_CHAT_IDS={GROUP}',
        f"user Anna: TELEGRAM_ALLOWED_USER_IDS={OPERATOR}",
        f"private chat with Operator: TELEGRAM_CHAT_IDS={OPERATOR}",
        f'group "Night[2J shift": TELEGRAM_CHAT_IDS={OTHER_GROUP}',
        "user Boris: TELEGRAM_ALLOWED_USER_IDS=777",
        "seen, ready to paste (keep the ones you mean):",
        f"TELEGRAM_CHAT_IDS={GROUP},{OTHER_GROUP}",
        f"TELEGRAM_ALLOWED_USER_IDS={OPERATOR},777",
    ]
    assert {request.method for request in telegram.requests} <= LISTENING_ONLY


def test_chats_without_a_token_names_it(tmp_path: Path) -> None:
    run = subprocess.run(
        [*sms_bridge_command(), "chats"],
        cwd=tmp_path,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and run.stderr.startswith(
        "sms-bridge: TELEGRAM_BOT_TOKEN is not set"
    )


def test_topics_removals_and_repeats_are_told_once_each() -> None:
    seen = Sightings()
    chat = {"id": GROUP, "type": "supergroup", "title": "Ops", "is_forum": True}
    post = {
        "message_id": 5,
        "date": 0,
        "chat": chat,
        "from": {"id": OPERATOR, "is_bot": False, "first_name": "Anna", "username": "anna"},
        "text": "hi",
        "message_thread_id": 42,
        "is_topic_message": True,
    }
    said = seen.note(Update.de_json({"update_id": 1, "message": post}, None))
    assert said == [
        f'supergroup "Ops": TELEGRAM_CHAT_IDS={GROUP}',
        f'topic 42 of "Ops": TELEGRAM_CHAT_IDS={GROUP}:42',
        f"user Anna (@anna): TELEGRAM_ALLOWED_USER_IDS={OPERATOR}",
    ]
    assert seen.note(Update.de_json({"update_id": 2, "message": post}, None)) == []
    removed = {
        "chat": chat,
        "from": {"id": OPERATOR, "is_bot": False, "first_name": "Anna", "username": "anna"},
        "date": 0,
        "old_chat_member": {"status": "member", "user": BOT_USER},
        "new_chat_member": {"status": "kicked", "user": BOT_USER, "until_date": 0},
    }
    update = Update.de_json({"update_id": 3, "my_chat_member": removed}, None)
    assert seen.note(update) == [f'the bot was removed from "Ops" ({GROUP})']
