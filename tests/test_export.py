"""/export: the CSV file read back with the `csv` module equals what was stored; the
window and the upload limit are kept; nothing a stranger typed runs in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Update

from bot.app.settings import Settings
from bot.app.wiring import build_parts
from bot.chat.commands.export import (
    HEADER,
    Written,
    caption,
    csv_cells,
    half_window,
    parse_export_args,
    spreadsheet_safe,
    write_csv,
    write_export,
)
from bot.chat.commands.registry import UsageError
from bot.chat.context import BOT_DATA_KEY
from bot.chat.windows import parse_window
from bot.core.bridge_state import BridgeStatus
from bot.core.database import AsyncStore
from bot.core.health import HealthMonitor, HealthRules
from bot.core.metrics import Metrics
from state import IncomingSms, Store, messages, oncall
from state.export import ExportRow, export_rows
from state.oncall import Person
from tests.conftest import GROUP
from tests.fakes.telegram import TOKEN, FakeTelegram

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 28, 0, 10, tzinfo=UTC)
AWKWARD = [
    "Ваш код: 4821, никому не сообщайте",
    'He said "call me", then: ok',
    "line one\nline two\r\nline three",
    "comma, semicolon; tab\tend",
    '=HYPERLINK("http://evil","click")',
    "-5 degrees, +3 tomorrow",
    "",
]


def read_back(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets read it as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def stored(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "bridge.db")
    batch = [
        IncomingSms(
            100 + n,
            "Sberbank" if n else "79261234567",
            "79031234567",
            text,
            NOW - timedelta(hours=len(AWKWARD) - n),
        )
        for n, text in enumerate(AWKWARD)
    ]
    messages.save_incoming(store, batch, ["-1001"])
    oncall.take(store, [101], Person(7, "=Anna"), NOW - timedelta(minutes=30))
    return store


def test_the_file_read_back_is_what_was_stored_cyrillic_quotes_and_line_breaks_kept(
    tmp_path: Path,
) -> None:
    store = stored(tmp_path)
    out = io.BytesIO()
    written = write_csv(export_rows(store, NOW - timedelta(days=1), NOW), out, MOSCOW, 10**6)
    assert written.complete and written.rows == len(AWKWARD) and written.size == len(out.getvalue())
    header, *rows = read_back(out.getvalue())
    assert tuple(header) == HEADER
    texts = [row[5] for row in rows]
    assert texts == [spreadsheet_safe(text) for text in AWKWARD]
    assert [text for text in texts if text not in AWKWARD] == [
        '\'=HYPERLINK("http://evil","click")',
        "'-5 degrees, +3 tomorrow",
    ]
    first = rows[0]
    assert first[:5] == ["2026-11-27T20:10:00+03:00", "in", "+79261234567", "+79031234567", ""]
    assert first[6:] == ["", "", "100"]
    taken = rows[1]
    assert taken[2] == "Sberbank" and taken[6:] == ["'=Anna", "2026-11-28T02:40:00+03:00", "101"]
    assert out.getvalue().count(b"\r\n") >= len(AWKWARD) + 1  # RFC 4180 line ends
    store.close()


def test_times_carry_the_offset_of_the_display_zone_on_each_side_of_a_dst_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    summer = ExportRow(
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "in", "a", "b", "", "x", None, None, 1
    )
    winter = summer._replace(at=datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    assert csv_cells(summer, berlin)[0] == "2026-10-25T02:30:00+02:00"
    assert csv_cells(winter, berlin)[0] == "2026-10-25T02:30:00+01:00"


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+7 (926) 123-45-67", "+7 (926) 123-45-67"),
        ("+79261234567", "+79261234567"),
        ("-5", "-5"),
        ("-5 degrees", "'-5 degrees"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("plain = fine", "plain = fine"),
        ("", ""),
        (" =1+1", "' =1+1"),
        ('\n=HYPERLINK("http://evil")', '\'\n=HYPERLINK("http://evil")'),
        ("\r\n@SUM(A1)", "'\r\n@SUM(A1)"),
        ("  -5 degrees", "'  -5 degrees"),
        ("\t+cmd", "'\t+cmd"),
        ("\u3000=1", "'\u3000=1"),
        (" -5", " -5"),
        ("-5\n=1+1", "'-5\n=1+1"),
        ("-٣", "'-٣"),  # a number only in ASCII digits
    ],
)
def test_only_what_a_spreadsheet_would_run_gets_an_apostrophe(cell: str, safe: str) -> None:
    assert spreadsheet_safe(cell) == safe


PLAIN_NUMBER = re.compile(r"[+-][0-9 ().-]*[0-9][0-9 ().-]*")


def runs_as_a_formula(cell: str) -> bool:
    """What a spreadsheet may run: past any leading white space, `=` or `@`, or a sign
    before more than a number; or a leading tab or carriage return (OWASP)."""
    first = cell.lstrip()[:1]
    signed = first in ("+", "-") and not PLAIN_NUMBER.fullmatch(cell.strip())
    return first in ("=", "@") or signed or cell[:1] in ("\t", "\r")


any_cell = st.text(alphabet=st.sampled_from(" \t\r\n\u3000\xa0=+-@0123456789(). aZ\"';,"))


@settings(max_examples=300, deadline=None)
@given(
    sender=any_cell | st.text(),
    recipient=any_cell | st.text(),
    label=any_cell,
    text=any_cell | st.text(),
    taken_by=st.none() | any_cell,
)
def test_no_exported_cell_runs_as_a_formula_unless_it_starts_with_a_quote(
    sender: str, recipient: str, label: str, text: str, taken_by: str | None
) -> None:
    row = ExportRow(NOW, "in", sender, recipient, label, text, taken_by, NOW, 1)
    for cell in csv_cells(row, MOSCOW):
        assert cell.startswith("'") or not runs_as_a_formula(cell), repr(cell)


def test_the_receiving_number_is_written_like_the_sender_and_neutralised_too() -> None:
    row = ExportRow(NOW, "in", "79261234567", "79031234567", "", "x", None, None, 1)
    assert csv_cells(row, MOSCOW)[2:4] == ["+79261234567", "+79031234567"]
    forged = row._replace(sender=" =cmd|' /C calc'!A0", recipient="\n@SUM(1+1)*cmd")
    assert csv_cells(forged, MOSCOW)[2:4] == ["' =cmd|' /C calc'!A0", "'\n@SUM(1+1)*cmd"]


def test_an_export_over_the_upload_limit_stops_there_and_counts_the_whole_window(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "bridge.db")
    many = [
        IncomingSms(
            n, "79261234567", "79031234567", f"SMS {n} " + "x" * 200, NOW - timedelta(seconds=n)
        )
        for n in range(1, 3001)
    ]
    messages.save_incoming(store, many, [])
    store.close()
    window = parse_export_args(["1d"], NOW, MOSCOW)[0]
    with tempfile.TemporaryFile() as out:
        written, total = write_export(tmp_path / "bridge.db", window, out, limit=100_000)
    assert not written.complete and written.rows < 3000 and total == 3000
    with tempfile.TemporaryFile() as out:
        written, total = write_export(tmp_path / "bridge.db", window, out)
        out.seek(0)
        assert written.complete and total == written.rows == 3000
        assert len(read_back(out.read())) == 3001


def test_bare_export_covers_the_last_24_hours_and_says_so() -> None:
    window, defaulted = parse_export_args([], NOW, MOSCOW)
    assert defaulted and window.end - window.start == timedelta(hours=24)
    assert window.file_name(".csv") == "sms 2026-11-27 0310 - 2026-11-28 0310.csv"
    text = caption(window, Written(1234, 1, True), defaulted)
    assert text.splitlines() == [
        "SMS export",
        "the last 24 hours (27.11.2026 03:10 – 28.11.2026 03:10 MSK)",
        "1,234 SMS, oldest first; times in MSK with their UTC offset",
        "No window given, so the last 24 hours. Try: /export 7d, /export 01.11",
    ]
    with pytest.raises(UsageError):
        parse_export_args(["soon"], NOW, MOSCOW)


def test_sms_sent_for_a_person_are_exported_in_time_order_marked_out(tmp_path: Path) -> None:
    from state import outgoing
    from state.outgoing import Draft, OutgoingState

    store = stored(tmp_path)
    sent_at = NOW - timedelta(hours=3, minutes=30)
    draft = Draft("79261112233", "Едем, будем к 4", None, 1, "-1001", None, 100, Person(7, "Anna"))
    out = outgoing.create_preview(store, draft, sent_at, sent_at + timedelta(minutes=10))
    outgoing.claim(store, out.id, sent_at, sent_at - timedelta(hours=1), 50)
    outgoing.settle(store, out.id, OutgoingState.DELIVERED, smsc_id=9001)
    rows = list(export_rows(store, NOW - timedelta(days=1), NOW))
    [mine] = [row for row in rows if row.direction == "out"]
    assert (mine.sender, mine.recipient, mine.text, mine.smsc_id) == (
        "Anna",
        "79261112233",
        "Едем, будем к 4",
        9001,
    )
    assert [row.at for row in rows] == sorted(row.at for row in rows)
    assert len(rows) == len(AWKWARD) + 1


def test_with_routes_a_chat_exports_only_its_sms_with_their_labels(tmp_path: Path) -> None:
    from state import Placement

    store = Store.open(tmp_path / "bridge.db")
    mine = IncomingSms(1, "79261234567", "79031234567", "ours", NOW - timedelta(hours=1))
    theirs = IncomingSms(
        2, "79261234567", "79037654321", "another team's", NOW - timedelta(hours=1)
    )

    def place(sms: IncomingSms) -> Placement:
        chat = "-1001" if sms.smsc_id == 1 else "-1002"
        return Placement(((chat, False),), (chat,), "line", "Support" if sms.smsc_id == 1 else None)

    messages.save_incoming(store, [mine, theirs], place)
    rows = list(export_rows(store, NOW - timedelta(days=1), NOW, visible_to="-1001"))
    assert [(row.text, row.label) for row in rows] == [("ours", "Support")]
    everything = list(export_rows(store, NOW - timedelta(days=1), NOW))
    assert sorted(row.text for row in everything) == ["another team's", "ours"]


async def test_an_export_over_the_limit_is_answered_in_words_and_no_file_is_sent(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    """The real handler, wired as `sms-bridge run` wires it, against the fake Bot API;
    only the limit is made small (3,000 SMS make some 700 kB, not 50 MB)."""
    now = datetime.now(UTC)
    store = Store.open(tmp_path / "bridge.db")
    messages.save_incoming(
        store,
        [
            IncomingSms(n, "79261234567", "79031234567", "x" * 200, now - timedelta(seconds=n))
            for n in range(1, 3001)
        ],
        [],
    )
    thread = AsyncStore(store)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_base_url=telegram.base_url,
        telegram_chat_ids=str(GROUP),
        smsc_login="acme",
        smsc_password="pw",
    )
    parts = build_parts(
        settings, thread, HealthMonitor(BridgeStatus(), HealthRules(30, 300)), Metrics()
    )
    bridge = parts.application.bot_data[BOT_DATA_KEY]
    bridge.upload_limit = 100_000
    telegram.user_sends(GROUP, "/export 1d")
    async with parts.application:
        update = Update.de_json(telegram.updates[-1], parts.application.bot)
        await parts.application.process_update(update)
    thread.close()
    (answer,) = telegram.messages(GROUP)
    assert answer.kind == "text" and answer.plain.startswith("The 3,000 SMS of the last day (")
    assert "larger than the 0.1 MB Telegram lets a bot send" in answer.plain
    assert answer.plain.endswith("Ask for a shorter window, e.g. /export 12h.")
    assert not [r for r in telegram.requests if r.method == "sendDocument"]


@pytest.mark.parametrize(
    ("asked", "shorter"),
    [("365d", "182d"), ("7d", "3d"), ("1d", "12h"), ("2h", "1h"), ("90m", "45m"), ("1m", "1m")],
)
def test_the_shorter_window_offered_is_half_the_one_asked_and_reads_as_a_window(
    asked: str, shorter: str
) -> None:
    now = datetime(2026, 11, 28, 0, 10, tzinfo=UTC)
    window = parse_window(asked, now, MOSCOW)
    assert half_window(window) == shorter
    assert parse_window(shorter, now, MOSCOW).end == window.end  # a window /export reads
