"""/export [WINDOW]: every SMS of the window as a CSV file, for a spreadsheet or a script.

The file is written with the `csv` module: RFC 4180 quoting (a text with commas, quotes or
line breaks stays one cell), CRLF line ends, UTF-8 with a byte-order mark so that
spreadsheet programs show Cyrillic. The header is English whatever UI_LANGUAGE says, and
times are ISO 8601 with the UTC offset of the display zone (`2026-11-28T03:09:12+03:00`):
a file is read by programs too, and they need names and times that do not change.

Text a spreadsheet would run as a formula gets a leading apostrophe (OWASP's rule for CSV
injection): a cell whose first character other than white space (spaces, tabs, line
breaks) is `=` or `@`, or `+` / `-` followed by more than a number, and a cell that starts
with a tab or a carriage return. An SMS is written by anyone, and so are the sender and
the receiving number SMSC reports: opening an export must not run what a stranger typed.
Both numbers are written alike, bare international digits with their `+`. Everything else
is exactly as stored.

A window may hold a million SMS, so nothing is held in memory: rows stream from a cursor
on a snapshot of the database (`Store.read_snapshot`, in a worker thread: the bridge's
store never waits for an export) into an unnamed temporary file beside the database
(private, 0600, gone when closed, even after a crash), which is then streamed to
Telegram. Bots may send files of up to 50 MB: a larger export stops there and says so,
asking for a shorter window; nothing is ever cut silently. Bare `/export` (a tap in the
menu) covers the last 24 hours and says so.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat.answers import CAPTION_LIMIT, reply, send_file
from bot.chat.commands.registry import ChatCommand, UsageError
from bot.chat.context import UPLOAD_LIMIT, bridge_of
from bot.chat.windows import Window, WindowError, parse_window
from bot.text.clock import zone_name
from bot.text.formatting import e164_phone
from bot.text.i18n import N_, _, ngettext, number
from state import Store
from state.export import ExportRow, count_rows, export_rows

EXPORT_DEFAULT = "24h"  # bare /export, from the menu
HEADER = (
    "time",
    "direction",
    "sender",
    "receiving number",
    "route label",
    "text",
    "taken by",
    "taken at",
    "SMSC ID",
)
SIZE_CHECK_EVERY = 1000  # rows between looks at the file's size
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9 ().-]*[0-9][0-9 ().-]*")  # ASCII: `+7 (926) 123-45-67`
FORMULA_FIRST = ("=", "@")  # a cell starting with these is a formula, whatever follows
SIGNS = ("+", "-")  # ... and with these, unless it is a plain number


def parse_export_args(args: list[str], now: datetime, zone: ZoneInfo) -> tuple[Window, bool]:
    """The window to export, and whether it is the default (nothing was asked for)."""
    try:
        return parse_window(" ".join(args) or EXPORT_DEFAULT, now, zone), not args
    except WindowError as error:
        raise UsageError(str(error)) from None


def spreadsheet_safe(cell: str) -> str:
    """A cell no spreadsheet runs as a formula; numbers and plain text unchanged.

    Spreadsheets skip leading white space before they look for a formula, so the first
    character that counts is the first one that is not white space."""
    first = cell.lstrip()[:1]
    if (
        cell[:1] in ("\t", "\r")
        or first in FORMULA_FIRST
        or (first in SIGNS and not _PLAIN_NUMBER.fullmatch(cell.strip()))
    ):
        return "'" + cell
    return cell


def number_cell(number: str) -> str:
    """A sender or receiving number as the file writes it: `+79261234567`, a name as sent."""
    return spreadsheet_safe(e164_phone(number))


def _moment(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(zone).isoformat(timespec="seconds")


def csv_cells(row: ExportRow, zone: ZoneInfo) -> list[str]:
    """One row of the file, in HEADER's order."""
    return [
        _moment(row.at, zone),
        row.direction,
        number_cell(row.sender),
        number_cell(row.recipient),
        spreadsheet_safe(row.label),
        spreadsheet_safe(row.text),
        spreadsheet_safe(row.taken_by or ""),
        _moment(row.taken_at, zone),
        str(row.smsc_id),
    ]


@dataclass(frozen=True)
class Written:
    """What went into an export file."""

    rows: int
    size: int  # bytes
    complete: bool  # False: it grew past the limit and writing stopped


def write_csv(rows: Iterable[ExportRow], out: BinaryIO, zone: ZoneInfo, limit: int) -> Written:
    """Write the header and `rows` to `out`; stop once the file is larger than `limit`."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    count = 0
    try:
        writer = csv.writer(text)  # the "excel" dialect: RFC 4180 quoting, CRLF
        writer.writerow(HEADER)
        for count, row in enumerate(rows, start=1):
            writer.writerow(csv_cells(row, zone))
            if count % SIZE_CHECK_EVERY == 0:
                text.flush()
                if out.tell() > limit:
                    return Written(count, out.tell(), complete=False)
        text.flush()
        return Written(count, out.tell(), complete=out.tell() <= limit)
    finally:
        text.detach()  # `out` stays open, for sending


def write_export(
    database: Path,
    window: Window,
    out: BinaryIO,
    limit: int = UPLOAD_LIMIT,
    visible_to: str | None = None,
) -> tuple[Written, int]:
    """Stream the window's SMS from a snapshot into `out`; (written, SMS in the window).

    `visible_to`: with routes, the chat whose SMS are exported."""
    with Store.read_snapshot(database) as snapshot:  # one moment throughout
        rows = export_rows(snapshot, window.start, window.end, visible_to)
        written = write_csv(rows, out, window.zone, limit)
        total = (
            written.rows
            if written.complete
            else count_rows(snapshot, window.start, window.end, visible_to)
        )
        return written, total


def caption(window: Window, written: Written, defaulted: bool) -> str:
    """What the file holds: the window, how many SMS, how times are written."""
    lines = [
        _("SMS export"),
        window.label(),
        ngettext(
            "{n} SMS, oldest first; times in {zone} with their UTC offset",
            "{n} SMS, oldest first; times in {zone} with their UTC offset",
            written.rows,
        ).format(n=number(written.rows), zone=zone_name(window.zone, window.end)),
    ]
    if defaulted:
        lines.append(_("No window given, so the last 24 hours. Try: /export 7d, /export 01.11"))
    return "\n".join(lines)[:CAPTION_LIMIT]


def nothing_to_export(window: Window) -> str:
    return _("Nothing to export: no SMS in {window}.").format(window=window.label())


def too_large(window: Window, total: int, limit: int = UPLOAD_LIMIT) -> str:
    """The export is over Telegram's limit (`limit` bytes): say so, and what to ask instead."""
    return _(
        "The {n} SMS of {window} make a file larger than the {mb} MB Telegram lets a bot "
        "send. Ask for a shorter window, e.g. /export {shorter}."
    ).format(
        n=number(total),
        window=window.label(),
        mb=f"{limit / 1_000_000:g}",
        shorter=half_window(window),
    )


def half_window(window: Window) -> str:
    """A window half as long as `window`, written as a user would type it: `182d`, `12h`."""
    seconds = (window.end - window.start).total_seconds() / 2
    if seconds >= 2 * 86400:
        return _("{n}d").format(n=int(seconds // 86400))
    if seconds >= 3600:
        return _("{n}h").format(n=int(seconds // 3600))
    return _("{n}m").format(n=max(1, int(seconds // 60)))


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every SMS of a window as a CSV file."""
    bridge = bridge_of(context)
    window, defaulted = parse_export_args(list(context.args or []), datetime.now(UTC), bridge.zone)
    assert bridge.store.path is not None, "exports read the database file"
    with tempfile.TemporaryFile(dir=bridge.store.path.parent, prefix=".export-") as out:
        limit = bridge.upload_limit
        written, total = await asyncio.to_thread(
            write_export, bridge.store.path, window, out, limit, bridge.visible_to(update)
        )
        if written.rows == 0:
            await reply(update, context, nothing_to_export(window), html=False)
        elif not written.complete:
            await reply(update, context, too_large(window, total, limit), html=False)
        else:
            await send_file(
                update, context, out, window.file_name(".csv"), caption(window, written, defaulted)
            )


COMMANDS = [
    ChatCommand(
        "export",
        N_("every SMS of a window as a CSV file; the last 24 hours unless you say"),
        export_command,
        args=N_("[WINDOW]"),
        examples=(N_("/export 7d"), N_("/export yesterday"), N_("/export 01.11 30.11")),
    ),
]
