"""The demo's night: what arrives in the simulated inbox, and when.

A few SMS are in the inbox before the bridge starts (its first start stores them as
history, so `/history` and `/search` find something), then the night plays in about a
minute: a word on what this is, a one-time code, an alarm from equipment, an SMS that
reached SMSC hours ago and the bridge only now (shown as late), a customer to reply to,
a burst from a monitoring modem that arrives as one digest, and the all-clear. It starts
at the bridge's first inbox poll, so none of it is taken for history; and whoever gets a
reply by SMS answers it a little later. The pace and the timers are passed in: a test
plays it in a blink, with no timer of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.demo.simulated_smsc import OutboxSms, SimulatedSmsc


@dataclass(frozen=True)
class DemoSms:
    phone: str  # the sender: a number, or a name as SMSC shows one
    en: str
    ru: str
    late_by: timedelta = timedelta(0)  # dated this long before it arrives

    def text(self, language: str) -> str:
        return self.ru if language == "ru" else self.en


@dataclass(frozen=True)
class Scene:
    at: float  # seconds after the first poll, at speed 1
    says: str  # what the console says when it happens
    sms: tuple[DemoSms, ...]


BOILER = "79161112233"  # the GSM modem of a boiler room
BANK = "MyBank"
COLD_STORE = "79169998877"  # a temperature monitor

# In the inbox before the start: (how long before the start it arrived, the SMS).
HISTORY: tuple[tuple[timedelta, DemoSms], ...] = (
    (
        timedelta(hours=6),
        DemoSms(
            BOILER,
            "Boiler room 2: daily self-test passed, pressure 2.1 bar.",
            "Котельная 2: ежедневная самопроверка пройдена, давление 2,1 бар.",
        ),
    ),
    (
        timedelta(hours=4),
        DemoSms(
            "900",
            "Balance: 1250.00 RUB. Top up in time to keep the number working.",
            "Баланс: 1250.00 руб. Пополните вовремя, чтобы номер работал.",
        ),
    ),
    (
        timedelta(hours=2),
        DemoSms(
            BANK,
            "Your login code: 3390. Do not tell it to anyone.",
            "Код для входа: 3390. Никому не сообщайте его.",
        ),
    ),
)


def _cold_store_burst() -> tuple[DemoSms, ...]:
    """Eight SMS within one poll: more than the demo's digest threshold, so one digest."""
    burst = [
        DemoSms(
            COLD_STORE,
            f"Cold store 3: {-12.4 + 0.9 * step:.1f} C (limit -18 C), door open {4 + step} min",
            f"Холодильник 3: {-12.4 + 0.9 * step:.1f} C (предел -18 C), дверь открыта "
            f"{4 + step} мин",
        )
        for step in range(7)
    ]
    burst.append(
        DemoSms(
            COLD_STORE,
            "Cold store 3: door closed, cooling down.",
            "Холодильник 3: дверь закрыта, охлаждение.",
        )
    )
    return tuple(burst)


NIGHT: tuple[Scene, ...] = (
    Scene(
        2,
        "a word on what this is",
        (
            DemoSms(
                "sms-bridge",
                "Demo: these SMS come from an SMSC simulated inside sms-bridge; nothing here "
                "is real, and no SMS leaves this computer. Press Take, reply to an SMS "
                "(you get a preview, then Send), try /last, /search code, /from 900, "
                "/open, /status.",
                "Демо: эти SMS приходят из SMSC, смоделированного внутри sms-bridge; всё "
                "ненастоящее, и ни одна SMS не уходит с этого компьютера. Нажмите «Беру», "
                "ответьте на SMS (сначала будет предпросмотр, потом «Отправить»), "
                "попробуйте /last, /search код, /from 900, /open, /status.",
            ),
        ),
    ),
    Scene(
        8,
        "a one-time code",
        (
            DemoSms(
                BANK,
                "Your login code: 4821. Do not tell it to anyone, not even the bank.",
                "Код для входа: 4821. Никому не сообщайте его, даже сотрудникам банка.",
            ),
        ),
    ),
    Scene(
        17,
        "an alarm from equipment",
        (
            DemoSms(
                BOILER,
                "ALARM Boiler room 2: pressure LOW 1.2 bar (min 1.5). Pump P2 stopped.",
                "АВАРИЯ Котельная 2: давление НИЗКОЕ 1,2 бар (мин. 1,5). Насос P2 остановлен.",
            ),
        ),
    ),
    Scene(
        26,
        "an SMS that reached SMSC three hours ago: shown as late",
        (
            DemoSms(
                "79035557788",
                "Evening shift: the back gate is locked, the keys are at the security desk.",
                "Вечерняя смена: задние ворота закрыты, ключи на посту охраны.",
                late_by=timedelta(hours=3, minutes=10),
            ),
        ),
    ),
    Scene(
        35,
        "a customer: reply to it to try a reply by SMS",
        (
            DemoSms(
                "79267654321",
                "Hello, the lift in building 4 is stuck between floors 3 and 4, two people "
                "inside. Please call back.",
                "Здравствуйте, в корпусе 4 застрял лифт между 3 и 4 этажом, внутри двое. "
                "Перезвоните, пожалуйста.",
            ),
        ),
    ),
    Scene(44, "a burst of eight SMS from a monitor: one digest", _cold_store_burst()),
    Scene(
        56,
        "the all-clear",
        (
            DemoSms(
                BOILER,
                "Boiler room 2: pressure back to normal, 2.0 bar. Pump P2 running.",
                "Котельная 2: давление в норме, 2,0 бар. Насос P2 работает.",
            ),
        ),
    ),
)


ANSWER_AFTER = 12.0  # seconds, at speed 1, from a reply sent to its answer
THANKS = {"en": "Thank you, got it. We are waiting.", "ru": "Спасибо, поняли. Ждём."}


def answer_replies(
    smsc: SimulatedSmsc,
    language: str,
    *,
    speed: float = 1.0,
    later: Callable[[float, Callable[[], object]], object] | None = None,
) -> None:
    """Whoever gets a reply by SMS answers it, ANSWER_AFTER seconds later."""
    thanks = THANKS.get(language, THANKS["en"])

    def answer(sent: OutboxSms) -> None:
        schedule = later or asyncio.get_running_loop().call_later
        schedule(ANSWER_AFTER / speed, lambda: smsc.receive(sent.phone, thanks))

    smsc.on_sent = answer


def fill_history(smsc: SimulatedSmsc, language: str) -> None:
    """Put the SMS of the evening before into the inbox, oldest first."""
    for ago, sms in HISTORY:
        smsc.receive(sms.phone, sms.text(language), late_by=ago)


async def play(
    smsc: SimulatedSmsc,
    language: str,
    say: Callable[[str], None],
    *,
    speed: float = 1.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """From the bridge's first poll on, each scene's SMS into the inbox at its time."""
    await smsc.polled.wait()
    played = 0.0
    for scene in NIGHT:
        await sleep((scene.at - played) / speed)
        played = scene.at
        for sms in scene.sms:
            smsc.receive(sms.phone, sms.text(language), late_by=sms.late_by)
        say(f"{len(scene.sms)} SMS in the simulated inbox: {scene.says}")
    say("the night is over; the bridge keeps running for you to try commands: Ctrl-C stops it")
