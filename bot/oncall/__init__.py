"""The on-call team's tool: take an SMS with one tap, reminders for what nobody took.

`buttons` says what a button carries and how a taken message reads (pure); `presses`
answers a press; `edits` brings every message showing a taken SMS up to date, paced with
the chat's other writes; `reminders` escalates what nobody took within ESCALATE_AFTER.
Who took what lives in the database (`state.oncall`), never only in memory.
"""
