"""Heartbeat: after a successful poll, at most once a HEARTBEAT_INTERVAL, a GET to HEARTBEAT_URL.

An external dead-man's switch (a Healthchecks.io check, an Uptime Kuma push monitor)
raises the alarm when the GETs stop: when the bridge, its host or its network is gone,
nothing else can tell anyone. `beat` holds the rule (ping only after a poll that worked,
never while polling fails, never more often than the interval; a failing ping logged once
per outage) and the GET itself; `feature` is the running part HEARTBEAT_URL turns on, one
task beside the poller that the poller never waits for, and its /status line.
"""

from bot.chat.feature import FeatureKind
from bot.features.heartbeat.feature import HeartbeatSettings, build

KIND: FeatureKind[HeartbeatSettings] = FeatureKind("heartbeat", build)
