"""Answering an SMS from the chat: replies go out through SMSC, confirmed, paid once.

`compose` checks what a person asked to send and writes the preview and its later states
(pure); `flow` handles /sms, a reply to a relayed SMS, and the Send / Cancel / Send again
buttons; `tracking` follows each send with status.php until it is settled, and expires
previews nobody sent. The SMSC calls live in `bot.smsc.send_api`; the rows in
`state.outgoing`. The money rule: a send whose answer was lost is never repeated by the
bridge, only by a person, after status.php said SMSC never had it.
"""
