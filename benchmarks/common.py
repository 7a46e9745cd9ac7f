"""Shared pieces of the benchmarks: realistic SMS, percentiles, result rows."""

from __future__ import annotations

import json
import random
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

MOSCOW = ZoneInfo("Europe/Moscow")
CHATS = ["-1001", "-1002", "-1003:42"]

_OTP = [
    "Ваш код подтверждения: {code}. Никому не сообщайте его.",
    "Your verification code is {code}",
    "{code} - код для входа в личный кабинет. Не сообщайте код никому!",
    "Код: {code}. Оплата 1 250,00 RUB в магазине OZON.",
]
_ALERT = [
    "ALARM {site}: boiler {n} pressure {p:.1f} bar (limit 2.5) at {hh:02d}:{mm:02d}",
    "Датчик {n} на объекте {site}: температура {t} C, превышен порог",
    "UPS {site}-{n}: on battery, {p:.0f}% left, est. runtime {n}0 min",
    "{site}: door {n} opened <alarm armed> & no code entered",
]
_REPLY = (
    "Добрый день! Подтверждаю заказ, доставку лучше после обеда. Спасибо. "
    "Hello, please call me back tomorrow morning about the contract and invoice. "
    "Не приходит счёт на почту, проверьте пожалуйста адрес. "
)
SITES = ["MSK-1", "SPB-2", "EKB-3", "NSK-4", "KZN-5"]


def sms_text(rng: random.Random) -> str:
    """An SMS as companies receive them: codes, equipment alerts, customer replies."""
    kind = rng.random()
    if kind < 0.45:
        return rng.choice(_OTP).format(code=rng.randint(1000, 99999999))
    if kind < 0.85:
        return rng.choice(_ALERT).format(
            site=rng.choice(SITES),
            n=rng.randint(1, 9),
            p=rng.uniform(0.5, 99),
            t=rng.randint(40, 95),
            hh=rng.randint(0, 23),
            mm=rng.randint(0, 59),
        )
    if kind < 0.98:
        start = rng.randint(0, len(_REPLY) - 60)
        return _REPLY[start : start + rng.randint(40, 200)].strip()
    return (_REPLY * 4)[: rng.randint(300, 700)]  # the occasional long one


def phone(rng: random.Random, senders: int = 5000) -> str:
    return f"79{rng.randint(0, senders - 1):09d}"


def inbox_records(
    count: int,
    rng: random.Random,
    start_id: int = 1,
    end: datetime | None = None,
    span_days: float = 1,
) -> list[dict[str, Any]]:
    """SMSC inbox records, IDs ascending, spread evenly over `span_days` before `end`."""
    end = end or datetime.now(UTC)
    step = timedelta(days=span_days) / max(count, 1)
    first = end - timedelta(days=span_days)
    records = []
    for n in range(count):
        local = (first + step * n).astimezone(MOSCOW)
        records.append(
            {
                "id": start_id + n,
                "received": local.strftime("%d.%m.%Y %H:%M:%S"),
                "phone": phone(rng),
                "message": sms_text(rng),
                "to_phone": "79031234567",
                "sent": (local - timedelta(seconds=2)).strftime("%d.%m.%Y %H:%M:%S"),
            }
        )
    return records


def pages(records: list[dict[str, Any]], size: int = 1000) -> list[bytes]:
    """The records as SMSC sends them: JSON pages of `size`."""
    return [
        json.dumps(records[i : i + size], ensure_ascii=False).encode("utf-8")
        for i in range(0, len(records), size)
    ]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(fraction * 100) - 1]


@dataclass
class Result:
    """One figure: what, how much, against which target, and how it was measured."""

    benchmark: str
    metric: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None
    how: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    higher_is_better: bool | None = None  # which way it improves, where `better` cannot tell

    def row(self) -> list[str]:
        verdict = {True: "yes", False: "NO", None: ""}[self.met]
        return [self.benchmark, self.metric, f"{self.value:,.2f} {self.unit}", self.target, verdict]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def better(self) -> str | None:
        """Which way this figure improves ("higher" or "lower"): as `higher_is_better` says,
        else read from its target (`>=` or `<`) or its unit (a rate; a time or a size); None
        for a plain count."""
        if self.higher_is_better is not None:
            return "higher" if self.higher_is_better else "lower"
        if self.target.startswith(">"):
            return "higher"
        if self.target.startswith("<"):
            return "lower"
        if self.unit.endswith("/s"):
            return "higher"
        if self.unit in ("s", "ms", "MB", "requests"):
            return "lower"
        return None


def table(results: list[Result], versus: list[str] | None = None) -> str:
    """The results as a text table; `versus`, one cell per result, adds a column."""
    rows = [["benchmark", "figure", "value", "target", "met"]] + [r.row() for r in results]
    if versus is not None:
        rows = [[*rows[0], "vs baseline"]] + [
            [*row, cell] for row, cell in zip(rows[1:], versus, strict=True)
        ]
    columns = len(rows[0])
    widths = [max(len(row[i]) for row in rows) for i in range(columns)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
