"""Reminders: a chat is told again about an SMS nobody took within ESCALATE_AFTER.

`reminders` finds what fell due and writes the reminder (the text is pure); `feature` is
the running part ESCALATE_AFTER turns on. Who is on duty is the on-call feature's /oncall;
the reminders read it from the store (`state.oncall`), never from that feature.
"""

from bot.chat.feature import FeatureKind
from bot.features.reminders.feature import RemindersSettings, build

KIND: FeatureKind[RemindersSettings] = FeatureKind("reminders", build)
