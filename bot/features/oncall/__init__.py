"""The on-call team's tool: take an SMS with one tap, and see who took what.

`buttons` says what a button carries and how a taken message reads (pure); `presses`
answers a press; `edits` brings every message showing a taken SMS up to date, paced with
the chat's other writes; `commands` answers /open and /oncall; `delivery` is the relay's
hook: room and a button on each relayed message, the message filed so a press can find
it, a press made while it was on its way caught up with. Reminders are their own feature
(`bot.features.reminders`).
Who took what lives in the database (`state.oncall`), never only in memory.
"""
