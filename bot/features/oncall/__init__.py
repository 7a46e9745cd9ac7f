"""The on-call team's tool: take an SMS with one tap, and see who took what.

`buttons` says what a button carries and how a taken message reads (pure); `presses`
answers a press; `edits` brings every message showing a taken SMS up to date, paced with
the chat's other writes; `commands` answers /open and /oncall; `delivery` is the relay's
hook: room and a button on each relayed message, the message filed so a press can find
it, a press made while it was on its way caught up with; `feature` is the running part
ONCALL_BUTTONS turns on, which hands the relay that hook. `team` reads TEAM_FILE;
`schedules` says who a rotation or a calendar has on duty (pure), `calendars` keeps the
calendars read, and `duty` answers who is on duty now, whom to call, and says each
handover in its chat (`rosters` shares that one roster with the calls). Reminders are
their own feature (`bot.features.reminders`).
Calls when nobody takes an SMS are a feature of their own kind here (`CALLS`), on when the
team file gives a chat `call`: `call_plan` (pure), `calling` (the chain), `call_texts`,
`call_queue` (the relay's hook) and `call_feature`; they live in this package because
they build on its team file and duty roster.
Who took what lives in the database (`state.oncall`), never only in memory.
"""

from bot.chat.feature import FeatureKind
from bot.features.oncall import call_feature
from bot.features.oncall.commands import COMMANDS
from bot.features.oncall.feature import OnCallSettings, build
from bot.features.oncall.presses import BUTTONS

KIND: FeatureKind[OnCallSettings] = FeatureKind("oncall", build, commands=COMMANDS, buttons=BUTTONS)
CALLS: FeatureKind[call_feature.CallsSettings] = FeatureKind("calls", call_feature.build)
