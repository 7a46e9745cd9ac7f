"""Prometheus metrics of one bridge process, in a registry of its own.

Counters are bumped where things happen (poller, relay, presses, push endpoint); gauges
that describe the queue are refreshed from the store by the app's watch loop. Exposed at
/metrics when HEALTH_PORT is set.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        counter, gauge = self._counter, self._gauge
        self.sms_fetched = counter("sms_bridge_sms_fetched", "New SMS stored from the SMSC inbox")
        self.sms_damaged = counter(
            "sms_bridge_sms_damaged",
            "New SMS stored with unreadable characters (bad bytes, lone surrogates) replaced",
        )
        self.sms_kept_aside = counter(
            "sms_bridge_sms_kept_aside",
            "SMS the database refused, kept aside as read so that the others are stored",
        )
        self.deliveries = counter(
            "sms_bridge_deliveries",
            "Send attempts per chat by outcome: sent, retried, uncertain, failed",
            ["chat", "outcome"],
        )
        self.poll_errors = counter(
            "sms_bridge_poll_errors",
            "Failed polls, by SMSC error code (or 'transport' for timeouts, HTTP errors, garbage)",
            ["code"],
        )
        self.polls = counter(
            "sms_bridge_polls",
            "Polls of the SMSC inbox by what started them: timer, hint, follow-up",
            ["reason"],
        )
        self.push_hints = counter(
            "sms_bridge_push_hints",
            "Calls on PUSH_PATH, each a hint to poll now (coalesced and paced by the poller)",
        )
        self.presses = counter(
            "sms_bridge_presses",
            "Button presses by outcome: taken, released, refused, already_taken, unknown",
            ["outcome"],
        )
        self.queue_depth = gauge(
            "sms_bridge_queue_depth", "SMS waiting to be delivered, per chat", ["chat"]
        )
        self.failed_deliveries = gauge(
            "sms_bridge_failed_deliveries",
            "Deliveries Telegram refused for good, per chat",
            ["chat"],
        )
        self.last_poll_ok = gauge(
            "sms_bridge_last_successful_poll_timestamp_seconds",
            "Unix time of the last poll that succeeded",
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

    def _counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        return Counter(name, documentation, list(labels), registry=self.registry)

    def _gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        return Gauge(name, documentation, list(labels), registry=self.registry)
