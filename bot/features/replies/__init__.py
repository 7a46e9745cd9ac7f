"""Answering an SMS from the chat: replies go out through SMSC, confirmed, paid once.

`compose` checks what a person asked to send and writes the preview and its later states
(pure); `flow` makes the preview and acts on the Send / Cancel / Send again buttons;
`commands` answers /sms, a reply to a relayed SMS, and routes those buttons' presses;
`tracking` follows each send with status.php until it is settled, and expires previews
nobody sent; `feature` is the running part SMS_REPLY_USER_IDS turns on. The SMSC calls
live in `bot.smsc.send_api`; the rows in `state.outgoing`. The money rule: a send whose
answer was lost is never repeated by the bridge, only by a person, after status.php said
SMSC never had it.
"""

from bot.chat.feature import FeatureKind
from bot.features.replies.commands import BUTTONS, COMMANDS, sms_reply
from bot.features.replies.feature import RepliesSettings, build

KIND: FeatureKind[RepliesSettings] = FeatureKind(
    "replies", build, commands=COMMANDS, buttons=BUTTONS, on_reply=sms_reply
)
