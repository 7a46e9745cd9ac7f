"""Every kind of message the bot writes, rendered in both languages, as a reader sees it.

docs/messages.md is this gallery, written by this test: read it to see what on-call
people read. The test fails when a text changed and the gallery was not brought up to
date, so every change of wording is looked at once more; refresh it with
`UPDATE_GALLERY=1 make test` (or the same variable on this file alone) and read the diff.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.app.features import commands
from bot.chat.answers import answer_messages, heading
from bot.chat.commands.about import help_text
from bot.chat.commands.export import Written, nothing_to_export, parse_export_args, too_large
from bot.chat.commands.export import caption as export_caption
from bot.chat.commands.history import FROM_PROMPT, SEARCH_PROMPT
from bot.chat.commands.lookback import from_title, last_heading
from bot.chat.commands.registry import ChatCommand
from bot.chat.commands.stats import Stats, hour_bounds, nothing_to_chart, stats_caption
from bot.chat.commands.status import ChatFacts, StatusFacts, status_text
from bot.chat.guard import refusal_text, unknown_command_text
from bot.chat.windows import WindowError, parse_window
from bot.core.alerts import (
    kept_aside_text,
    outage_alert,
    recovered_text,
    refusing_chat_text,
    urgent_alert,
)
from bot.core.bridge_state import BridgeStatus
from bot.core.health import HealthRules, health_problems
from bot.features.heartbeat.beat import Heartbeat, refusal
from bot.features.heartbeat.feature import status_line
from bot.features.oncall import call_texts
from bot.features.oncall.buttons import message_after_press, take_markup, taken_line
from bot.features.oncall.calendars import failing_line, unknown_line
from bot.features.oncall.call_plan import Policy, spoken_text
from bot.features.oncall.commands import duty_text, on_duty_text, scheduled_text
from bot.features.oncall.duty import DutyNow, handover_text
from bot.features.reminders.reminders import reminder_text
from bot.features.replies.compose import (
    again_markup,
    limit_text,
    preview_markup,
    preview_text,
    price_line,
    state_text,
    why_not_text,
    why_not_to,
)
from bot.features.replies.feature import sent_today_line
from bot.features.replies.flow import next_day_start
from bot.features.silences.commands import off_text, too_many_text
from bot.features.silences.matching import MuteError, parse_mute
from bot.features.silences.texts import end_buttons, ended_text, muted_text, silences_text
from bot.relay.plan import plan_next
from bot.smsc.errors import AUTH_NOTICE, DELIVERY_STATUSES, SEND_REFUSALS, TIMED_OUT
from bot.smsc.parts import sms_parts
from bot.text.clock import moment_in_zone
from bot.text.formatting import escape
from bot.text.i18n import LANGUAGES, _, in_language
from bot.text.sms_view import Look, render_sms, with_repeats
from state import ChatQueue, Page, PendingDelivery, StoredSms
from state.calls import Call, Callee, CallState
from state.oncall import Person, Take
from state.outgoing import Outgoing, OutgoingState
from state.silences import Silence
from state.stats import TakeDelays
from tests.fakes.telegram import parse_telegram_html

GALLERY = Path(__file__).parent.parent / "docs" / "messages.md"
MOSCOW = ZoneInfo("Europe/Moscow")
SILENT = timedelta(hours=2, minutes=5)  # polling has failed this long in the /status sample
KICKED = "Forbidden: Forbidden: bot was kicked from the supergroup chat"  # as the log has it
NOW = datetime(2026, 11, 28, 0, 10, tzinfo=UTC)  # 03:10 in Moscow: the hour it matters


def sms(n: int, text: str, sender: str = "79261234567", minutes_ago: float = 0) -> StoredSms:
    at = NOW - timedelta(minutes=minutes_ago)
    return StoredSms(n, sender, "79031234567", text, at, None, at)


SAMPLES = [
    sms(1, "Boiler 3: pressure LOW (1.2 bar) at 03:09", "79261112233", 1),
    sms(2, "Ваш код подтверждения: 4821. Никому не сообщайте его.", "Sberbank", 0.5),
    sms(3, "Your login code is 734 219? No: 734219. Valid 5 min.", "Google", 0.2),
]


def command(name: str) -> ChatCommand:
    return next(c for c in commands() if c.name == name)


def cases(look: Look) -> Iterator[tuple[str, list[str]]]:
    """(what, HTML messages) for every kind of message."""
    yield "A relayed SMS", render_sms(SAMPLES[0], look)
    yield "A relayed SMS with a one-time code", render_sms(SAMPLES[1], look)
    several = Look(look.zone, look.now, several_numbers=True)
    yield (
        "An SMS relayed late, after an outage (account with two numbers)",
        render_sms(sms(4, "Door 2 opened", "79035550000", 190), several),
    )
    code = sms(7, "Ваш код подтверждения: 4821. Никому не сообщайте его.", "Sberbank", 190)
    yield "A one-time code relayed late, after an outage", render_sms(code, look)
    yield "A resend after a send whose answer was lost", render_sms(SAMPLES[0], look, repeat=True)
    support = sms(5, "The printer on floor 2 is on fire", "79261112233", 1)
    support = support._replace(label="Support")
    yield "An SMS a route labels (ROUTES_FILE)", render_sms(support, look)
    damaged = sms(6, "Ваш код: 5521. Не сообщайте \ufffd\ufffd никому", "79261112233", 1)
    yield (
        "An SMS SMSC sent with characters that could not be read",
        render_sms(damaged._replace(damaged=True), look),
    )
    backlog = [
        PendingDelivery(sms(10 + n, f"Alarm {n}: pump {n} stopped", "79261112233", 60 - n), "-1", 0)
        for n in range(4)
    ]
    yield "A backlog digest", list(plan_next(backlog, 25, True, look).texts)
    title, scope = last_heading(3, False, look.zone, look.now)
    yield "/last 3", answer_messages(title, scope, Page(SAMPLES, 3), look) or []
    title, scope = last_heading(2, False, look.zone, look.now)
    yield (
        "/last 2 with an SMS a route labels",
        answer_messages(title, scope, Page([SAMPLES[0], support], 2), look) or [],
    )
    title, scope = last_heading(100, True, look.zone, look.now)
    yield "/last 100000 (the heading)", [heading(title, scope, Page(SAMPLES, 3))]
    week = parse_window("7d", look.now, look.zone).label()
    title = from_title("8 926 111-22-33", "RU")
    yield (
        "/from 8 926 111-22-33 7d (the number as PHONE_REGION=RU reads it)",
        answer_messages(title, week, Page(SAMPLES[:1], 1), look) or [],
    )
    window = parse_window("2h", look.now, look.zone)
    nothing = answer_messages(_("SMS received"), window.label(), Page([], 0), look) or []
    yield "/history 2h with nothing in it", nothing
    reports = [
        sms(20 + n, f"Shift report {n + 1}: " + "all sensors nominal, " * 170, "79261112233", 90)
        for n in range(4)
    ]
    yield (
        "/history 2h with four 3,500-character SMS (shortened to stay in messages)",
        answer_messages(_("SMS received"), window.label(), Page(reports, 4), look) or [],
    )
    try:
        parse_window("soon", look.now, look.zone)
    except WindowError as error:
        yield "/history soon", [command("history").usage_answer(str(error))]
    week = parse_window("7d", look.now, look.zone)
    yield "/export 7d: the file's caption", [export_caption(week, Written(1234, 1, True), False)]
    day, _bare = parse_export_args([], look.now, look.zone)
    yield (
        "/export (bare, from the menu): the caption",
        [export_caption(day, Written(87, 1, True), True)],
    )
    year = parse_window("365d", look.now, look.zone)
    yield "/export 365d, over Telegram's limit", [too_large(year, 812_345)]
    yield (
        "/export 30m with nothing in it",
        [nothing_to_export(parse_window("30m", look.now, look.zone))],
    )
    yield (
        "/stats 24h: the chart's caption (the chart: docs/stats-example.png)",
        [stats_caption(day_of_sms(look))],
    )
    yield (
        "/stats 30m with nothing in it",
        [nothing_to_chart(parse_window("30m", look.now, look.zone))],
    )
    yield "/search (bare, from the menu)", [_(SEARCH_PROMPT)]
    yield "/from (bare, from the menu)", [_(FROM_PROMPT)]
    lots = _("“{text}” is not a number of SMS").format(text="lots")
    yield "/last lots", [command("last").usage_answer(lots)]
    yield (
        "/help in a group (or a private chat SMS are relayed to)",
        [help_text(commands(), relayed_here=True, zone=look.zone, now=look.now)],
    )
    yield (
        "/help in a group, with ROUTES_FILE",
        [help_text(commands(), relayed_here=True, routed=True, zone=look.zone, now=look.now)],
    )
    yield (
        "/help in a group with replies off (no /sms) and no take buttons",
        [
            help_text(
                commands(),
                relayed_here=True,
                zone=look.zone,
                now=look.now,
                takes=False,
                replies=False,
            )
        ],
    )
    yield (
        "/help in a private chat SMS are relayed to (no /oncall)",
        [help_text(commands(), relayed_here=True, private=True, zone=look.zone, now=look.now)],
    )
    yield (
        "/start in a private chat SMS are not relayed to",
        [help_text(commands(), relayed_here=False, private=True, zone=look.zone, now=look.now)],
    )
    yield "/status, all well", [status_text(status_facts(look, []))]
    replying = replace(
        status_facts(look, []), feature_lines=(sent_today_line(12, 50, "1869.12", "RUB"),)
    )
    yield "/status, all well, with replies by SMS on", [status_text(replying)]
    beating = replace(status_facts(look, []), feature_lines=(heartbeat_failing(look),))
    yield "/status, while the heartbeat fails (HEARTBEAT_URL)", [status_text(beating)]
    failing = BridgeStatus(started_at=look.now - timedelta(hours=5))
    failing.poll_failed("timed out (ReadTimeout)", TIMED_OUT, at=look.now - SILENT)
    failing.last_poll_ok_at = look.now - SILENT
    stuck = look.now - timedelta(seconds=912)  # a delivery waiting since
    problems = health_problems(failing, HealthRules(30, 300), stuck, look.now)
    refusing = status_facts(look, problems, refusing=True)
    yield "/status, a chat refuses and polling fails", [status_text(refusing)]
    refused = status_facts(look, [], refused_message=True)
    yield "/status, a message Telegram refused even as plain text", [status_text(refused)]
    since = moment_in_zone(look.now - timedelta(minutes=8), look.zone, look.now)
    yield "Alert: SMSC refuses the credentials", [urgent_alert(since, _(AUTH_NOTICE))]
    yield "Alert: SMSC does not answer", [outage_alert(since, 600, str(TIMED_OUT))]
    yield "Recovery (a reply to the alert)", [recovered_text(720)]
    yield "Alert: an SMS the database refused (kept aside)", [kept_aside_text([48213377])]
    kept = replace(status_facts(look, []), kept_aside=1)
    yield "/status, with an SMS the database refused", [status_text(kept)]
    yield (
        "Another chat refuses the bot: the next step for each reason",
        [
            refusing_chat_text("Night shift", KICKED, "-1002"),
            refusing_chat_text("Ops · topic 7", "BadRequest: TOPIC_CLOSED", "-1001:7"),
            refusing_chat_text("Anna", "Forbidden: bot was blocked by the user", "42"),
            refusing_chat_text("Boris", "Forbidden: bot can't initiate conversation", "7"),
            refusing_chat_text("Day shift", "BadRequest: not enough rights", "-1003"),
        ],
    )
    yield (
        "A relayed SMS in a group, with its button",
        [with_buttons(render_sms(SAMPLES[0], look)[0], take_markup(1, 1))],
    )
    anna = Person(42, "Anna")
    takes = {1: Take(1, anna, look.now - timedelta(minutes=1))}
    yield (
        "The same message once Anna took it",
        [
            with_buttons(
                *message_after_press(
                    render_sms(SAMPLES[0], look)[0], takes, [1], look.zone, look.now
                )
            )
        ],
    )
    alarm = sms(20, "Door 7 open", "79261112233", 12)
    then = replace(look, now=look.now - timedelta(minutes=12))  # when it was relayed
    counted = with_repeats(render_sms(alarm, then)[0], 3, look.now - timedelta(minutes=1), look)
    yield (
        "Repeats collapsed (a route's collapse): the message counts them",
        [with_buttons(*message_after_press(counted, {}, [20, 21, 22], look.zone, look.now))],
    )
    digest_takes = {11: Take(11, anna, look.now), 12: Take(12, Person(7, "Boris"), look.now)}
    yield (
        "A digest, partly taken",
        [taken_line(digest_takes, [10, 11, 12, 13], look.zone, look.now) or ""],
    )
    long_name = Person(8, "Maximilian-Alexander Konstantinopolsky-Rimsky-Korsakov")
    many = [anna, Person(7, "Boris"), long_name, Person(9, "Vera"), Person(10, "Gleb")]
    many_takes = {n: Take(n, many[n % 5], look.now) for n in range(20, 29)}
    yield (
        "A digest taken by many (a long name is cut; the first takers named, the rest counted)",
        [taken_line(many_takes, list(range(20, 30)), look.zone, look.now) or ""],
    )
    took, where = look.now - timedelta(minutes=1), (look.zone, look.now)
    yield (
        "Pop-ups: a press that wins, a late one, a release",
        [
            _("✋ It is yours."),
            _("{name} took it at {time}").format(name="Anna", time=moment_in_zone(took, *where)),
            _("↩️ Released: anyone may take it now."),
        ],
    )
    yield (
        "/open: the SMS nobody took",
        answer_messages(
            _("SMS nobody took"),
            parse_window("24h", look.now, look.zone).label(),
            Page(SAMPLES[:2], 2),
            look,
            oldest=True,
        )
        or [],
    )
    yield (
        "/oncall; /oncall with nobody on duty; /oncall me; /oncall off",
        [
            duty_text([anna, Person(7, "Boris")]),
            duty_text([]),
            on_duty_text(anna),
            _("You are off duty here."),
        ],
    )
    due = look.now + timedelta(minutes=10)  # ESCALATE_AFTER=600 after they came
    yield (
        "A reminder for one SMS nobody took",
        [reminder_text([SAMPLES[0]], [anna, Person(7, "Boris")], 600, look.zone, due)],
    )
    yield (
        "A reminder for several, with nobody on duty",
        [reminder_text(SAMPLES, [], 600, look.zone, due)],
    )
    yield from call_cases(look)
    yield from reply_cases(look)
    yield from silence_cases(look)
    yield from schedule_cases(look)
    yield "A stranger tries a command", [refusal_text(-100777, 4242)]
    yield "An unknown command in a private chat", [unknown_command_text()]


def schedule_cases(look: Look) -> Iterator[tuple[str, list[str]]]:
    """On-call schedules (TEAM_FILE): /oncall by a schedule, the handover line, /status."""
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=look.zone)
    yield (
        "/oncall with a schedule; with an override; in a calendar's gap; before a gap",
        [
            scheduled_text(DutyNow(["Anna"], monday, ["Boris"], monday), look.zone),
            scheduled_text(DutyNow(["Vera", "Anna"], monday, ["Boris"], monday), look.zone),
            scheduled_text(DutyNow([], None, ["Boris"], monday), look.zone),
            scheduled_text(
                DutyNow(["Anna"], monday, ["Boris"], monday + timedelta(days=1)), look.zone
            ),
        ],
    )
    yield (
        "At a handover; a calendar event with no end",
        [handover_text(["Anna"], monday, look.zone), handover_text(["Boris"], None, look.zone)],
    )
    yield (
        "/status lines of a duty calendar: a read failing; titles naming nobody",
        [
            failing_line("-1001234567890", "HTTP 503", True),
            failing_line("-1001234567890", "ConnectTimeout", False),
            unknown_line("-1001234567890", ["Grisha"]),
        ],
    )


@dataclass(frozen=True)
class _Member:
    name: str
    phone: str
    telegram_id: int


def call_cases(look: Look) -> Iterator[tuple[str, list[str]]]:
    """Calls when nobody takes an SMS: the spoken text, the chain's lines in the chat,
    /status's lines and /oncall's call plan."""
    anna = Callee("anna", "Anna Petrova", "+79261234567")
    boris = Callee("boris", "Boris", "+79037654321")

    def call(callee: Callee, step: int, state: CallState, code: int | None = None) -> Call:
        return Call(
            step + 1, f"abc{step}", "-1001", 1, step, callee, look.now, state, code,
            None if code is None or state is not CallState.REFUSED else SEND_REFUSALS[3], 1,
        )  # fmt: skip

    yield (
        "A call: what it says (the code left out)",
        [escape(spoken_text("900", "Сбербанк: код 482193, никому не сообщайте.", 600, False))],
    )
    first = call(anna, 0, CallState.PLACED)
    yield (
        "A chain of calls, in the chat (each a reply to the SMS)",
        [
            call_texts.placing(first, None),
            call_texts.placing(
                call(boris, 1, CallState.PLACED), call(anna, 0, CallState.NOT_ANSWERED, 20)
            ),
            call_texts.placing(call(boris, 1, CallState.PLACED), first),
            call_texts.answered(call(boris, 1, CallState.ANSWERED, 1)),
            call_texts.nobody_answered(call(boris, 1, CallState.NOT_ANSWERED, 25), 25),
        ],
    )
    yield (
        "A call that could not go, or whose answer was lost",
        [
            call_texts.placing(call(anna, 0, CallState.REFUSED, 3), None),
            call_texts.placing(call(anna, 0, CallState.NOT_MADE), None),
            call_texts.placing(call(anna, 0, CallState.UNKNOWN), None),
            call_texts.never_went_out(call(anna, 0, CallState.NEVER_WENT_OUT, -3)),
            call_texts.placing(
                call(boris, 1, CallState.PLACED), call(anna, 0, CallState.NOT_ANSWERED, 46)
            ),
        ],
    )
    yield "The daily cap of calls reached (once a day)", [call_texts.capped(20)]
    yield (
        "/status: calls today, a call not settled",
        [
            call_texts.made_today(3, 20),
            call_texts.unsettled(call(anna, 0, CallState.UNKNOWN), look.zone, look.now),
        ],
    )
    plan = Policy(timedelta(minutes=10), timedelta(minutes=5), 2)
    people = [_Member("Anna Petrova", "+79261234567", 42), _Member("Boris", "+79037654321", 7)]
    yield (
        "/oncall's call plan (asked by Anna; nobody in the team file on duty)",
        [call_texts.call_plan(plan, people, 42), call_texts.call_plan(plan, [], 42)],
    )


def silence_cases(look: Look) -> Iterator[tuple[str, list[str]]]:
    """A silence from the chat (`/mute`), from its setting to its end."""
    ends = look.now + timedelta(hours=2)
    door = Silence(3, "-1001", "door 7", "", "Anna Petrova", look.now, ends, 0)
    phone = Silence(4, "-1001", "", "79261112233", "Boris", look.now, ends, 2)
    yield "/mute 2h door 7", [muted_text(door, look.zone, look.now)]
    yield "/mute 30m +7 926 111-22-33", [muted_text(phone, look.zone, look.now)]
    listed = silences_text([door, phone], look.zone, look.now)
    buttons = end_buttons([door, phone])
    assert buttons is not None
    yield "/mutes", [with_buttons(listed, buttons)]
    yield "/mutes with none", [silences_text([], look.zone, look.now)]
    yield (
        "A silence ends (by itself, by /unmute or its button)",
        [
            ended_text(replace(door, muted=5)),
            ended_text(Silence(5, "-1001", "", "", "Boris", look.now, ends, 0)),
        ],
    )
    try:
        parse_mute(["2 hours"], "RU")
    except MuteError as error:
        yield "/mute with a bad length", [command("mute").usage_answer(str(error))]
    yield (
        "Silences refused, pop-ups",
        [
            off_text(),
            too_many_text(),
            _("Only the on-call team may set silences here."),
            _("Silences work in the chats SMS are relayed to."),
            _("No silence {number} in force here: /mutes lists them.").format(number=9),
            _("🔔 Ended."),
            _("That silence has ended already."),
        ],
    )


def reply_cases(look: Look) -> Iterator[tuple[str, list[str]]]:
    """A reply by SMS, from its preview to each way it can end."""
    out = Outgoing(
        id=17, phone="79261112233", text="Мы уже едем, будем через 20 минут.", sender_name="ACME",
        parts=1, chat="-1001", topic_id=None, preview_message_id=5, answers_sms=1,
        author=Person(42, "Anna"), created_at=look.now, expires_at=look.now + timedelta(minutes=10),
        state=OutgoingState.PREVIEW, sent_at=None, smsc_id=None, cost=None, balance=None,
        status_code=None, checks=0, reason=None, send_id="qzkfmwbt17", not_found=0,
        first_not_found_at=None,
    )  # fmt: skip
    parts, where = sms_parts(out.text), (look.zone, look.now)
    price = price_line("2.50", "1871.62", "RUB")
    yield (
        "A reply by SMS: the preview (an smsc.ru account: roubles)",
        [
            with_buttons(
                preview_text(out, parts, price, look.zone, look.now, (12, 50)),
                preview_markup(17, True),
            )
        ],
    )
    long = replace(out, text=("Котёл 3 на объекте «Северный»: давление в норме. " * 3).strip())
    unknown = price_line(None, "1871.62", "RUB")
    yield (
        "A preview of a three-part SMS whose price SMSC did not give",
        [preview_text(long, sms_parts(long.text), unknown, look.zone, look.now, (12, 50))],
    )
    sent = replace(out, state=OutgoingState.DELIVERED, sent_at=look.now, cost="2.50",
                   balance="1869.12", reason=DELIVERY_STATUSES[1][0])  # fmt: skip
    yield (
        "The preview once sent and delivered",
        [state_text(sent, parts, look.zone, look.now, "RUB")],
    )
    lost = replace(out, state=OutgoingState.UNKNOWN, sent_at=look.now)
    yield "A send whose answer was lost", [state_text(lost, parts, look.zone, look.now)]
    never = replace(out, state=OutgoingState.NOT_SENT, sent_at=look.now)
    yield (
        "... and status.php said SMSC never had it",
        [with_buttons(state_text(never, parts, look.zone, look.now), again_markup(17))],
    )
    lapsed = replace(never, state=OutgoingState.NOT_RESENT)
    yield "... and nobody pressed Send again in time", [state_text(lapsed, parts, *where)]
    tomorrow = next_day_start(look.now, look.zone)
    yield (
        "Pop-ups: the daily limit at Send or Send again; a user no longer allowed",
        [
            limit_text(50, 49, 2, tomorrow, *where),
            limit_text(2, 0, 3, tomorrow, *where),
            _("Nothing sent: you may no longer send SMS; the admin can allow you again."),
            _(
                "Nothing sent: Send again was already used, or expired. To send it, reply "
                "to the SMS again or write /sms."
            ),
            _("Only {name} can press this: the preview is theirs.").format(name="Anna"),
        ],
    )
    yield (
        "/sms refused: over the daily limit; replies off; not allowed; a text too long",
        [
            "⛔ " + escape(limit_text(50, 49, 2, tomorrow, *where)),
            "⛔ " + escape(_("Replies by SMS are off here; the admin can turn them on.")),
            "⛔ "
            + escape(_("Only people the admin allowed may send SMS; ask the admin to add you.")),
            "⛔ " + escape(why_not_text("x" * 1005) or ""),
        ],
    )
    refused = replace(out, state=OutgoingState.FAILED, reason=SEND_REFUSALS[3])
    yield "SMSC refused it (error 3)", [state_text(refused, parts, look.zone, look.now)]
    yield "A reply to a sender name", ["⛔ " + (why_not_to("Sberbank") or "")]


def day_of_sms(look: Look) -> Stats:
    """A day of an on-call inbox, for /stats: busy working hours, two takes in three."""
    window = parse_window("24h", look.now, look.zone)
    bounds = hour_bounds(window.start, window.end, look.zone)
    hourly = [{"": 3 + n % 4 * (3 if 6 <= n <= 15 else 1)} for n in range(len(bounds) - 1)]
    senders = [("Sberbank", 41), ("79261112233", 17), ("Tinkoff", 9), ("79035550000", 4)]
    return Stats(window, bounds, hourly, [*senders, ("GOSUSLUGI", 2)], TakeDelays(60, 95, 780))


def with_buttons(html: str, markup: InlineKeyboardMarkup) -> str:
    """A message with its buttons drawn below it, `[ ✋ Take ]`."""
    labels = "  ".join(f"[ {b.text} ]" for row in markup.inline_keyboard for b in row)
    return f"{html}\n{escape(labels)}"


def heartbeat_failing(look: Look) -> str:
    """The heartbeat's /status line after its receiver answered 404 for five minutes."""

    async def never() -> None:
        return

    heartbeat = Heartbeat(BridgeStatus(), never, host="hc-ping.com")
    heartbeat.sent_at = look.now - timedelta(minutes=6)
    heartbeat.failing_since, heartbeat.failure = look.now - timedelta(minutes=5), refusal(404)
    return escape(status_line(heartbeat, look.zone, look.now))


def status_facts(
    look: Look, problems: list[str], refusing: bool = False, refused_message: bool = False
) -> StatusFacts:
    chats = [ChatFacts("Ops room", "-1001", None, ChatQueue("-1001", pending=2), None)]
    if refusing:
        queue = ChatQueue("-1002", failed=3, last_error=KICKED)
        chats.append(ChatFacts("Night shift", "-1002", None, queue, None))
    if refused_message:
        queue = ChatQueue("-1003", failed=1, last_error="BadRequest: Message is too long")
        chats.append(ChatFacts("Day shift", "-1003", None, queue, None))
    return StatusFacts(
        now=look.now,
        zone=look.zone,
        problems=problems,
        last_sms=look.now - (SILENT if problems else timedelta(0)) - timedelta(minutes=3),
        last_poll_ok=look.now - (SILENT if problems else timedelta(seconds=12)),
        poll_error=str(TIMED_OUT) if problems else None,
        chats=chats,
        stored=12_345,
        started_at=look.now - timedelta(hours=5, minutes=3),
        oldest_sms=look.now - timedelta(days=30),
        retention_days=30,
        version="0.1.0",
    )


def render() -> str:
    out = [
        __doc__.split("\n\n")[0].strip('"'),
        "",
        "Generated by `tests/test_gallery.py` (`UPDATE_GALLERY=1`); times are Moscow's, at 03:10.",
        "",
    ]
    look = Look(MOSCOW, NOW)
    for language in LANGUAGES:
        with in_language(language):
            out.append(
                f"## {'English' if language == 'en' else 'Русский'} (UI_LANGUAGE={language})\n"
            )
            for what, messages in cases(look):
                out.append(f"### {what}\n")
                for message in messages:
                    out += ["```", parse_telegram_html(message), "```", ""]
    return "\n".join(out)


def test_the_gallery_shows_every_message_as_it_reads_now() -> None:
    rendered = render()
    if os.environ.get("UPDATE_GALLERY"):
        GALLERY.write_text(rendered, "utf-8")
    assert GALLERY.read_text("utf-8") == rendered, (
        "texts changed: UPDATE_GALLERY=1, then read the diff"
    )


def test_the_readmes_samples_of_a_relayed_sms_are_in_the_gallery() -> None:
    """The README shows a few relayed SMS; each must read as the bot writes it now."""
    readme = (GALLERY.parent.parent / "README.md").read_text("utf-8")
    section = readme.split("## What a relayed SMS looks like", 1)[1].split("\n## ", 1)[0]
    samples = section.split("```\n")[1::2]
    assert len(samples) >= 3
    gallery = GALLERY.read_text("utf-8")
    for sample in samples:
        assert "```\n" + sample + "```" in gallery, sample
