"""Retention: SMS, replies and records kept aside are deleted after RETENTION_DAYS.

`purging` runs the purge in small batches; `feature` is the running part RETENTION_DAYS
turns on. What /status says of it (the oldest SMS kept) is the chat's: it is shown with
RETENTION_DAYS=0 too.
"""

from bot.chat.feature import FeatureKind
from bot.features.retention.feature import RetentionSettings, build

KIND: FeatureKind[RetentionSettings] = FeatureKind("retention", build)
