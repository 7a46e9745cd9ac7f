"""What the chat reads about calls (HTML, in the UI language): each a reply to the SMS's
message, by plain names (a line about a call must not notify anyone), never a number."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.features.oncall.call_plan import Policy, masked_phone, schedule
from bot.smsc.send_api import CallOutcome, call_outcome, smsc_reason, status_of
from bot.text.clock import short_moment
from bot.text.durations import minutes_in_words
from bot.text.formatting import escape, short_name
from bot.text.i18n import _
from state.calls import Call, CallState


def _name(call: Call) -> str:
    return short_name(call.callee.name)


def said_by_smsc(code: int) -> str:
    """A status code with SMSC's own words for it (UNCONFIRMED for calls: shown as is)."""
    if call_outcome(code) is CallOutcome.UNKNOWN:
        return _("SMSC status {code}").format(code=code)
    return _("SMSC status {code}: {words}").format(code=code, words=_(status_of(code).meaning))


def placing(call: Call, before: Call | None) -> str:
    """The line for a call just asked of SMSC (and what became of the one before it)."""
    name = _name(call)
    if call.state is CallState.REFUSED:
        why = str(smsc_reason(call.reason or "", call.status_code))
        line = _("📵 Could not call {name}: {why}").format(name=name, why=why)
    elif call.state is CallState.NOT_MADE:
        line = _("📵 Could not call {name}: the bridge could not reach SMSC.").format(name=name)
    elif call.state is CallState.UNKNOWN:
        line = _(
            "📞 Calling {name}… (SMSC's answer was lost: status.php will tell whether the "
            "call went out; the bridge never calls again on its own)"
        ).format(name=name)
    elif before is None:
        line = _("📞 Calling {name}…").format(name=name)
    elif before.status_code is not None and before.state is CallState.NOT_ANSWERED:
        line = _("{before} did not answer ({why}), calling {name}…").format(
            before=_name(before), why=said_by_smsc(before.status_code), name=name
        )
    else:
        line = _("{before} did not answer, calling {name}…").format(before=_name(before), name=name)
    return escape(line)


def answered(call: Call) -> str:
    return escape(_("✅ {name} answered the call").format(name=_name(call)))


def nobody_answered(call: Call, code: int) -> str:
    """The last call of a chain rang out: nobody else is called for this SMS."""
    return escape(
        _("{name} did not answer ({why}): nobody else is called for this SMS.").format(
            name=_name(call), why=said_by_smsc(code)
        )
    )


def never_went_out(call: Call) -> str:
    return escape(
        _(
            "The call to {name} never went out (SMSC has no such call). The bridge does "
            "not call again on its own."
        ).format(name=_name(call))
    )


def capped(limit: int) -> str:
    return escape(
        _(
            "📵 Calls stopped for today: the bridge placed its {limit} calls "
            "(CALL_DAILY_LIMIT). Take the SMS here."
        ).format(limit=limit)
    )


def made_today(made: int, limit: int) -> str:
    return escape(_("📞 Calls today: {made} of {limit}").format(made=made, limit=limit))


def unsettled(call: Call, zone: ZoneInfo, now: datetime) -> str:
    when = short_moment(call.created_at, zone, now)
    return escape(
        _(
            "⚠️ The call to {name} at {when}: its answer was lost and SMSC has not said "
            "whether it went out. Look in SMSC's account before calling by hand."
        ).format(name=_name(call), when=when)
    )


class Named(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def phone(self) -> str: ...
    @property
    def telegram_id(self) -> int: ...


def call_plan(policy: Policy, order: Sequence[Named], asker_id: int | None) -> str:
    """/oncall's call plan for a chat: whom an SMS nobody takes calls, and when; the
    asker's own number masked when they are among them, nobody else's, never in full."""
    if not order:
        return escape(
            _("📞 Calls: nobody on duty here is in the team file, so nobody would be called.")
        )
    steps = [
        _("after {minutes} {name}").format(
            minutes=minutes_in_words(after.total_seconds()), name=short_name(order[index].name)
        )
        for after, index in schedule(policy, len(order))
    ]
    lines = [_("📞 Call plan for an SMS nobody takes: {steps}").format(steps=", ".join(steps))]
    mine = next((person for person in order if person.telegram_id == asker_id), None)
    if mine is not None:
        lines.append(_("Your number: {phone}").format(phone=masked_phone(mine.phone)))
    return escape("\n".join(lines))
