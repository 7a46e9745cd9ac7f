"""/open and /oncall: what nobody took yet, and who is on duty in a group.

`/open [WINDOW]` (24 hours unless given) lists the SMS nobody took, oldest first: the
oldest is the one that has waited longest. `/oncall` shows who is on duty in the group
where it is asked, by name, not as mentions (asking must not notify them all);
`/oncall me` (`я`) puts the asker on duty there and `/oncall off` (`выкл`) takes them off. Duty is
stored, so it survives restarts, and reminders mention the people on duty.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat.answers import asked_in, reply, send_answer
from bot.chat.commands.history import parse_history_args
from bot.chat.commands.registry import ChatCommand, UsageError
from bot.chat.context import BridgeContext, bridge_of
from bot.features.oncall.call_feature import CallsFeature
from bot.features.oncall.duty import DutyNow, weekday_moment
from bot.features.oncall.feature import OnCall
from bot.relay.gateway import ChatGateway
from bot.text.formatting import escape, short_name
from bot.text.i18n import N_, _
from state import duty, oncall
from state.oncall import Person

OPEN_ROWS = 2000


async def open_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """SMS nobody took, oldest first, in a window (the last 24 hours when none is given)."""
    bridge = bridge_of(context)
    window = parse_history_args(list(context.args or []), datetime.now(UTC), bridge.zone)
    page = await bridge.store.call(
        oncall.untaken, window.start, window.end, OPEN_ROWS, visible_to=bridge.visible_to(update)
    )
    title = _("SMS nobody took")
    filename = "sms open.txt"
    await send_answer(update, context, title, window.label(), page, filename, oldest=True)


async def oncall_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Who is on duty in this group; `me` puts you on duty, `off` takes you off."""
    bridge = bridge_of(context)
    asked = asked_in(update)
    gateway = bridge.chats.configured(asked.chat_id)
    user = update.effective_user
    if gateway is None or asked.chat.type == "private" or user is None:
        await reply(update, context, _("/oncall works in the groups SMS are relayed to."))
        return
    chat = str(gateway.configured_id)
    person = Person(user.id, user.full_name or user.username or str(user.id))
    args = [arg.lower() for arg in context.args or []]
    feature = bridge.feature(OnCall)
    roster = feature.roster if feature is not None else None
    scheduled = roster.schedule_key(chat) if roster is not None else None
    now = datetime.now(UTC)
    # in a chat with a schedule, me and off hold until the next handover (`state.duty`)
    set_duty = oncall.set_on_duty if scheduled is None else duty.set_override
    if args in (["me"], ["я"]):
        await bridge.store.call(set_duty, chat, person, True, now)
        await reply(update, context, on_duty_text(person))
        return
    if args in (["off"], ["выкл"], ["всё"], ["все"]):
        await bridge.store.call(set_duty, chat, person, False, now)
        await reply(update, context, escape(_("You are off duty here.")))
        return
    if args:
        raise UsageError(_("“{text}” is neither me nor off").format(text=" ".join(args)))
    answer = None
    if roster is not None and scheduled is not None:
        now_on = await roster.duty_now(scheduled, now)
        if now_on is not None:
            answer = scheduled_text(now_on, roster.zone)
    if answer is None:
        answer = duty_text(await bridge.store.call(oncall.on_duty, chat))
    await reply(update, context, answer + await call_plan_text(bridge, gateway, user.id))


async def call_plan_text(bridge: BridgeContext, gateway: ChatGateway, user_id: int) -> str:
    """What /oncall adds when calls are on: whom an SMS nobody takes calls here, and when
    (`CallsFeature.plan_text`), after a blank line; nothing otherwise."""
    calls = bridge.feature(CallsFeature)
    if calls is None:
        return ""
    plan = await calls.plan_text(bridge.chats.keys_of(gateway), user_id, datetime.now(UTC))
    return "\n\n" + plan if plan else ""


def on_duty_text(person: Person) -> str:
    """The answer to `/oncall me`."""
    text = _("✅ {name}, you are on duty here: reminders will mention you.")
    return escape(text.format(name=short_name(person.name)))


def scheduled_text(now_on: DutyNow, zone: ZoneInfo) -> str:
    """Who is on duty by the schedule (and overrides), until when, and who is next."""
    if now_on.names:
        names = ", ".join(escape(short_name(name)) for name in now_on.names)
        lines = [escape(_("On duty here:")) + " " + names]
    else:
        lines = [escape(_("Nobody is on duty here now."))]
    coming = ", ".join(short_name(name) for name in now_on.next_names)
    until, start = now_on.until, now_on.next_from
    if until is not None and coming and start == until:
        text = _("Until {until}, then {names}.")
        lines.append(escape(text.format(until=weekday_moment(until, zone), names=coming)))
    else:
        if until is not None:
            lines.append(escape(_("Until {until}.").format(until=weekday_moment(until, zone))))
        if coming and start is not None:
            text = _("Next: {names}, from {start}.")
            lines.append(escape(text.format(names=coming, start=weekday_moment(start, zone))))
    lines.append(escape(_("/oncall me or /oncall off change it until the next handover.")))
    return "\n".join(lines)


def duty_text(duty: list[Person]) -> str:
    """Who is on duty, by plain names: asking who is on must not notify them all (reminders
    do); with nobody on duty, how to go on."""
    if not duty:
        return escape(_("Nobody is on duty here. To go on duty: /oncall me"))
    names = ", ".join(escape(short_name(person.name)) for person in duty)
    return escape(_("On duty here:")) + " " + names


COMMANDS = [
    ChatCommand(
        "open",
        N_("SMS nobody took, oldest first; the last 24 hours unless you say"),
        open_command,
        args=N_("[WINDOW]"),
        examples=(N_("/open"), N_("/open 7d")),
    ),
    ChatCommand(
        "oncall",
        N_("who is on duty here; /oncall me, /oncall off"),
        oncall_command,
        args=N_("[me|off]"),
        examples=(N_("/oncall me"), N_("/oncall off")),
    ),
]
