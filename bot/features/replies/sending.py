"""The one send.php request of an SMS a person confirmed, and what its answer means.

Whatever happens is recorded, and nothing is ever asked again: a refusal (SMSC's error
code) or no connection at all means nothing was sent; an answer that never came means
it may have been, and status.php (`bot.features.replies.tracking`) settles it, starting after
UNKNOWN_CHECK_AFTER so that SMSC has taken it in. The log names the SMS by its IDs; the
number it goes to only at DEBUG (the journal outlives RETENTION_DAYS).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from bot.core.database import AsyncStore
from bot.smsc.send_api import SendNotMade, SendRefused, SendUnknown, SmscOutbox
from bot.text.i18n import N_, in_language
from state import outgoing
from state.outgoing import Outgoing, OutgoingState

log = logging.getLogger("bot.features.replies.flow")

FIRST_CHECK_AFTER = 10.0  # seconds from a send to its first status.php question
UNKNOWN_CHECK_AFTER = 30.0  # seconds from a lost answer to its first status.php question
NOT_MADE = N_("the bridge could not reach SMSC: nothing left it.")


async def send_once(store: AsyncStore, outbox: SmscOutbox, out: Outgoing) -> str | None:
    """Send a claimed SMS with one request and record the outcome; the balance SMSC gave.

    Anything unforeseen (a bug, a database error) leaves it `unknown`, not `sending`: it
    may have gone out, and status.php decides, as for a lost answer."""
    try:
        return await _send_and_record(store, outbox, out)
    except Exception as error:
        log.error("SMS %d: the send failed unexpectedly; asking status.php", out.id, exc_info=error)
        await _mark_unknown(store, out)
        return None


async def _mark_unknown(store: AsyncStore, out: Outgoing) -> None:
    check_at = datetime.now(UTC) + timedelta(seconds=UNKNOWN_CHECK_AFTER)
    await store.call(outgoing.settle, out.id, OutgoingState.UNKNOWN, next_check_at=check_at)


async def _send_and_record(store: AsyncStore, outbox: SmscOutbox, out: Outgoing) -> str | None:
    log.debug("SMS %d (our id %s) goes to %s", out.id, out.send_id, out.phone)
    try:
        sent = await outbox.send(out.phone, out.text, out.sender_name, out.send_id)
    except SendRefused as refused:
        with in_language("en"):  # the log is English whatever UI_LANGUAGE says
            why = str(refused.said)
        log.warning("SMS %d refused by SMSC (error %d): %s", out.id, refused.code, why)
        await store.call(
            outgoing.settle,
            out.id,
            OutgoingState.FAILED,
            reason=refused.sentence,
            status_code=refused.code,
        )
        return None
    except SendNotMade as error:
        log.warning("SMS %d not sent: SMSC not reachable (%s)", out.id, error)
        await store.call(outgoing.settle, out.id, OutgoingState.FAILED, reason=NOT_MADE)
        return None
    except SendUnknown as error:
        log.warning("SMS %d: %s; it may have been sent, asking status.php", out.id, error)
        await _mark_unknown(store, out)
        return None
    log.info(
        "SMS %d sent by user %d (our id %s, SMSC's id %s, cost %s)",
        out.id,
        out.author.user_id,
        out.send_id,
        sent.smsc_id,
        sent.cost,
    )
    check_at = datetime.now(UTC) + timedelta(seconds=FIRST_CHECK_AFTER)
    await store.call(
        outgoing.settle,
        out.id,
        OutgoingState.SENT,
        smsc_id=sent.smsc_id,
        cost=sent.cost,
        balance=sent.balance,
        next_check_at=check_at,
    )
    return sent.balance
