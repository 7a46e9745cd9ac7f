"""Reminders: a chat is told again about an SMS nobody took within ESCALATE_AFTER.

`queue` is the relay's hook that queues each reminder as its SMS is booked sent;
`reminders` sends those that fell due; `feature` is the running part ESCALATE_AFTER turns
on, which hands the relay that hook. Who is on duty is the on-call feature's /oncall; the
reminders read it from the store (`state.oncall`), never from that feature.
"""

from bot.chat.feature import FeatureKind
from bot.features.reminders.feature import RemindersSettings, build

KIND: FeatureKind[RemindersSettings] = FeatureKind("reminders", build)
