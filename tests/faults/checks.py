"""What every fault scenario checks afterwards, for every SMS in every chat."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

from tests.fakes.telegram import FakeTelegram


def uncertain_sends(database: Path) -> dict[tuple[int, str], int]:
    """(SMSC ID, chat) -> sends the bridge recorded as possibly shown."""
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT message_id, chat, uncertain FROM deliveries").fetchall()
    return {(message_id, chat): uncertain for message_id, chat, uncertain in rows}


def assert_delivered_exactly(
    telegram: FakeTelegram,
    database: Path,
    sent: dict[int, str],
    chats: dict[int, str],
) -> dict[str, int]:
    """Every SMS reached every chat, in order, and each duplicate was recorded as uncertain.

    `sent` maps SMSC ID to text in SMSC order; `chats` maps Telegram chat ID to the chat's
    key in the database. Returns the number of duplicates per chat.
    """
    recorded = uncertain_sends(database)
    id_of = {text: smsc_id for smsc_id, text in sent.items()}
    duplicates = {}
    for chat_id, key in chats.items():
        texts = telegram.sms_texts(chat_id)
        counts = Counter(texts)
        missing = [t for t in sent.values() if counts[t] == 0]
        assert not missing, f"chat {key} never got {len(missing)} SMS, e.g. {missing[:3]}"
        unknown = [t for t in counts if t not in id_of]
        assert not unknown, f"chat {key} got text that was never sent: {unknown[:3]}"
        first_seen = list(dict.fromkeys(texts))
        assert first_seen == list(sent.values()), f"chat {key}: SMS out of order"
        for text, count in counts.items():
            if count > 1:
                possible = recorded.get((id_of[text], key), 0)
                assert count - 1 <= possible, (
                    f"chat {key}: SMS {id_of[text]} shown {count} times, "
                    f"but only {possible} uncertain sends were recorded"
                )
        duplicates[key] = sum(count - 1 for count in counts.values())
    return duplicates
