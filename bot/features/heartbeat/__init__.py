"""Heartbeat: a call to HEARTBEAT_URL after successful polls, so that a monitor outside
(a dead-man's switch) raises the alarm when the bridge, its host or its network is gone.

`beat` decides when to call and logs an outage once; `feature` is the running part
HEARTBEAT_URL turns on.
"""

from bot.chat.feature import FeatureKind
from bot.features.heartbeat.feature import HeartbeatSettings, build

KIND: FeatureKind[HeartbeatSettings] = FeatureKind("heartbeat", build)
