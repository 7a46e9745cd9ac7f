"""Prometheus metrics of one bridge process, in a registry of its own.

Counters are bumped where things happen (poller, relay, push endpoint); gauges that
describe the queue are refreshed from the store by the app's watch loop. Exposed at
/metrics when HEALTH_PORT is set.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.sms_fetched = Counter(
            "sms_bridge_sms_fetched", "New SMS stored from the SMSC inbox", registry=self.registry
        )
        self.deliveries = Counter(
            "sms_bridge_deliveries",
            "Send attempts per chat by outcome: sent, retried, uncertain, failed",
            ["chat", "outcome"],
            registry=self.registry,
        )
        self.poll_errors = Counter(
            "sms_bridge_poll_errors",
            "Failed polls, by SMSC error code (or 'transport' for timeouts, HTTP errors, garbage)",
            ["code"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "sms_bridge_queue_depth",
            "SMS waiting to be delivered, per chat",
            ["chat"],
            registry=self.registry,
        )
        self.failed_deliveries = Gauge(
            "sms_bridge_failed_deliveries",
            "Deliveries Telegram refused for good, per chat",
            ["chat"],
            registry=self.registry,
        )
        self.delivery_delay = Histogram(
            "sms_bridge_delivery_delay_seconds",
            "From the poll that fetched an SMS to Telegram accepting it",
            buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 21600),
            registry=self.registry,
        )
        self.press_to_edit = Histogram(
            "sms_bridge_press_to_edit_seconds",
            "From a take or release press to the edit of a message that shows it",
            buckets=(0.25, 0.5, 1, 2, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.presses = Counter(
            "sms_bridge_presses",
            "Button presses by outcome: taken, released, refused, already_taken, unknown",
            ["outcome"],
            registry=self.registry,
        )
        self.polls = Counter(
            "sms_bridge_polls",
            "Polls of the SMSC inbox by what started them: timer, hint, follow-up",
            ["reason"],
            registry=self.registry,
        )
        self.push_hints = Counter(
            "sms_bridge_push_hints",
            "Calls on PUSH_PATH, each a hint to poll now (coalesced and paced by the poller)",
            registry=self.registry,
        )
        self.last_poll_ok = Gauge(
            "sms_bridge_last_successful_poll_timestamp_seconds",
            "Unix time of the last poll that succeeded",
            registry=self.registry,
        )
