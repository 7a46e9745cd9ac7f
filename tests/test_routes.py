"""Routes: the file read and checked, and the pure decision of where each SMS goes."""

from __future__ import annotations

import logging
import re
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.routing.routes import (
    ROUTE_TEXT_LIMIT,
    Route,
    RouteDecision,
    Router,
    RoutesFileError,
    RouteSpec,
    load_routes,
)
from bot.routing.targets import ChatTarget
from state import IncomingSms, Placement
from tests.fakes.bridge import clean_environment, sms_bridge_command

EVERYWHERE = [ChatTarget(-1001), ChatTarget(-1002)]
SUPPORT, BILLING, NIGHT = ChatTarget(-1009), ChatTarget(-1008, 5), ChatTarget(-1007)

EXAMPLE = """
[[route]]
name = "support line"
to = ["79031234567"]
chats = ["-1009"]
label = "Support"

[[route]]
from = ["900", "MegaFon"]
text = "(?i)balance|баланс"
drop = true
"""


def routes_file(tmp_path: Path, text: str, name: str = "routes.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def router(tmp_path: Path, text: str) -> Router:
    return Router(load_routes(routes_file(tmp_path, text)), EVERYWHERE)


def route(number: int, **fields: object) -> Route:
    spec = RouteSpec.model_validate({"chats": ["-1009"], **fields})
    assert spec.problem() is None, spec.problem()
    return Route.from_spec(number, spec)


# -- matching, one field at a time -------------------------------------------------------


def test_the_readme_example_routes_the_support_line_and_drops_balance_replies(
    tmp_path: Path,
) -> None:
    example = router(tmp_path, EXAMPLE)
    support = example.decide("79261234567", "79031234567", "The printer is on fire")
    assert (support.route, support.targets, support.label) == (
        "support line",
        (SUPPORT,),
        "Support",
    )
    balance = example.decide("MEGAFON", "79990000000", "Ваш БАЛАНС 12 руб")
    assert (balance.route, balance.targets, balance.drop) == ("route 2", (), True)
    other = example.decide("79261234567", "79990000000", "hello")
    assert (other.route, other.targets) == (None, tuple(EVERYWHERE))


def test_to_matches_the_receiving_number_in_any_written_form() -> None:
    line = Router([route(1, to=["+7 (903) 123-45-67"])], EVERYWHERE)
    assert line.decide("x", "79031234567", "").targets == (SUPPORT,)
    assert line.decide("x", "89031234567", "").targets == (SUPPORT,)
    assert line.decide("x", "79031234568", "").route is None


def test_from_matches_numbers_in_any_written_form_and_names_in_any_case() -> None:
    senders = Router([route(1, **{"from": ["8 926 111-22-33", "Sberbank"]})], EVERYWHERE)
    for sender in ("79261112233", "+79261112233", "SBERBANK", "sberbank"):
        assert senders.decide(sender, "79031234567", "").targets == (SUPPORT,), sender
    assert senders.decide("Sberbank24", "79031234567", "").route is None


def incoming(sender: str, recipient: str) -> IncomingSms:
    """An SMS as the poller stores it: numbers as SMSC writes them, bare international."""
    return IncomingSms(1, sender, recipient, "hi", datetime(2026, 11, 28, tzinfo=UTC))


UKRAINIAN_ROUTE = (
    '[[route]]\nfrom = ["067 123 45 67"]\nto = ["(044) 123-45-67"]\nchats = ["-1009"]\n'
)


def test_with_phone_region_ua_numbers_written_the_ukrainian_way_match(tmp_path: Path) -> None:
    path = routes_file(tmp_path, UKRAINIAN_ROUTE)
    ukraine = Router(load_routes(path, "UA"), EVERYWHERE, "UA")
    from_smsc = incoming("380671234567", "380441234567")
    assert ukraine.placement(from_smsc, relay=True).route == "route 1"
    assert ukraine.decide("+380 67 123 4567", "0441234567", "").targets == (SUPPORT,)
    assert ukraine.decide("0671234568", "0441234567", "").route is None
    russia = Router(load_routes(path, "RU"), EVERYWHERE, "RU")  # not a Russian way to write
    assert russia.placement(from_smsc, relay=True).route is None


def test_a_number_typed_with_8_is_the_regions_number_not_a_country_code() -> None:
    # `8 495 ...` is a Moscow line; SMSC's 84951234567 is a Vietnamese mobile (+84).
    moscow = Router([route(1, to=["8 495 123-45-67"])], EVERYWHERE)
    assert moscow.placement(incoming("x", "74951234567"), relay=True).route == "route 1"
    assert moscow.placement(incoming("x", "84951234567"), relay=True).route is None
    # The log names the route that took it, reading SMSC's numbers as the placement does.
    assert moscow.route(incoming("x", "84951234567"), relay=True)[0].route is None
    assert moscow.route(incoming("x", "74951234567"), relay=True)[0].route == "route 1"


def test_text_is_a_regular_expression_searched_anywhere_in_the_text() -> None:
    alarms = Router([route(1, text=r"(?i)boiler \d+")], EVERYWHERE)
    assert alarms.decide("x", "y", "ALARM: Boiler 3 pressure low").targets == (SUPPORT,)
    assert alarms.decide("x", "y", "boiler room door").route is None


def test_every_condition_given_must_match() -> None:
    both = Router([route(1, to=["79031234567"], text="door")], EVERYWHERE)
    assert both.decide("x", "79031234567", "door 2 opened").route == "route 1"
    assert both.decide("x", "79031234567", "window").route is None
    assert both.decide("x", "79990000000", "door 2 opened").route is None


def test_the_first_matching_route_decides() -> None:
    routes = [
        route(1, name="doors", text="door", chats=["-1009"]),
        route(2, name="everything", text="", chats=["-1007"]),
    ]
    decided = Router(routes, EVERYWHERE).decide("x", "y", "door 2 opened")
    assert (decided.route, decided.targets) == ("doors", (SUPPORT,))
    assert Router(routes, EVERYWHERE).decide("x", "y", "pump").targets == (NIGHT,)


def test_continue_adds_chats_and_goes_on_and_the_first_label_wins() -> None:
    routes = [
        route(
            1,
            to=["79031234567"],
            chats=["-1007"],
            label="Line 1",
            silent=True,
            **{"continue": True},
        ),
        route(2, text="invoice", chats=["-1008:5", "-1007"], label="Billing"),
        route(3, text="", chats=["-1009"]),
    ]
    decided = Router(routes, EVERYWHERE).decide("x", "79031234567", "your invoice")
    assert decided.targets == (NIGHT, BILLING) and decided.route == "route 2"
    assert decided.label == "Line 1"
    assert decided.silent == frozenset()  # route 2 named -1007 too, with a sound: it keeps it
    alone = Router(routes, EVERYWHERE).decide("x", "79031234567", "hello")
    assert alone.targets == (NIGHT, SUPPORT) and alone.silent == {NIGHT}
    only_continue = Router(routes[:1], EVERYWHERE).decide("x", "79031234567", "hello")
    assert only_continue.targets == (NIGHT,)  # a continue route that matched still counts


def test_a_dropping_route_relays_nothing_of_its_own_but_keeps_what_came_before() -> None:
    routes = [
        route(1, to=["79031234567"], chats=["-1007"], **{"continue": True}),
        route(2, text="balance", chats=None, drop=True),
    ]
    decided = Router(routes, EVERYWHERE).decide("x", "79031234567", "balance 5")
    assert decided.drop and decided.targets == (NIGHT,)
    dropped = Router(routes, EVERYWHERE).decide("x", "79990000000", "balance 5")
    assert dropped.drop and dropped.targets == ()
    assert dropped.placement(relay=True) == Placement((), (), "route 2", None)


def test_a_placement_queues_only_when_relaying_and_is_visible_to_each_chat_once() -> None:
    decision = RouteDecision(
        "r", (ChatTarget(-1008, 5), ChatTarget(-1008, 6), NIGHT), "L", frozenset({NIGHT})
    )
    assert decision.placement(relay=True) == Placement(
        (("-1008:5", False), ("-1008:6", False), ("-1007", True)), ("-1008", "-1007"), "r", "L"
    )
    assert decision.placement(relay=False) == Placement((), ("-1008", "-1007"), "r", "L")
    sms = IncomingSms(1, "79261234567", "79031234567", "hi", datetime(2026, 11, 28, tzinfo=UTC))
    assert Router((), EVERYWHERE).placement(sms, relay=True) == Placement(
        (("-1001", False), ("-1002", False)), ("-1001", "-1002")
    )


def test_what_a_decision_says_to_people() -> None:
    routes = [
        route(1, name="support line", to=["79031234567"], label="Support"),
        route(2, text="balance", chats=None, drop=True),
        route(3, text="night", chats=["-1007"], silent=True),
    ]
    rules = Router(routes, EVERYWHERE)
    said = rules.decide("x", "79031234567", "").describe()
    assert said == 'route 1 "support line" → -1009 (label Support)'
    assert rules.decide("x", "y", "balance").describe() == "route 2 → dropped: stored, not relayed"
    assert rules.decide("x", "y", "night").describe() == "route 3 → -1007 (silent)"
    assert (
        rules.decide("x", "y", "").describe()
        == "no route matches → TELEGRAM_CHAT_IDS: -1001, -1002"
    )


# -- properties ----------------------------------------------------------------------------

SENDERS = ["79261112233", "Sberbank", "900", "MegaFon", "79031234567"]


@given(
    sender=st.text(max_size=40),
    recipient=st.text(max_size=40),
    text=st.text(max_size=2000),
)
def test_any_sms_gets_a_decision_and_never_an_exception(
    sender: str, recipient: str, text: str
) -> None:
    routes = [
        route(1, to=["79031234567"], **{"continue": True}),
        route(2, **{"from": ["Sberbank", "+7 926 111 22 33"]}, text=r"(?i)код|code"),
        route(3, text=r"\d{4,8}", chats=["-1007"], silent=True),
        route(4, text="(?i)balance", chats=None, drop=True),
    ]
    decided = Router(routes, EVERYWHERE).decide(sender, recipient, text)
    assert decided.targets or decided.drop
    decided.placement(relay=True)
    decided.describe()


@given(
    st.lists(st.lists(st.sampled_from(SENDERS), min_size=1, max_size=3), min_size=1, max_size=6),
    st.sampled_from([*SENDERS, "Google"]),
)
def test_the_first_route_naming_the_sender_decides(listed: list[list[str]], sender: str) -> None:
    routes = [route(n, name=f"r{n}", **{"from": senders}) for n, senders in enumerate(listed, 1)]
    first = next((n for n, senders in enumerate(listed, 1) if sender in senders), None)
    decided = Router(routes, EVERYWHERE).decide(sender.upper(), "79031234567", "text")
    assert decided.route == (f"r{first}" if first else None)
    assert decided.targets == ((SUPPORT,) if first else tuple(EVERYWHERE))


# -- an SMS written to hurt: time limit, bounded text, any error --------------------------

NEVER_ENDS = "(a|aa)+$"  # Python's `re` takes hours on 50 a's and a b; `regex` as long
ENDLESS_TEXT = "a" * 50 + "b"


def reading(text: str, n: int = 1) -> IncomingSms:
    """An SMS from a subscriber to the account's number, reading `text`."""
    return IncomingSms(n, "79261234567", "79031234567", text, datetime(2026, 11, 28, tzinfo=UTC))


@pytest.mark.timeout(60)  # without the time limit the pattern runs for hours: a failure
def test_a_pattern_that_would_run_for_hours_is_stopped_and_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    routes = [route(1, name="as", text=NEVER_ENDS), route(2, text="door", chats=["-1007"])]
    rules = Router(routes, EVERYWHERE)
    for smsc_id in (1, 2, 3):
        decided, placement = rules.route(reading(ENDLESS_TEXT + " door", smsc_id), True)
        assert decided.failed and decided.targets == tuple(EVERYWHERE)  # where unmatched go
        assert placement.route is None and placement.deliveries == (
            ("-1001", False),
            ("-1002", False),
        )
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) == 1, warned  # once per pattern, not per SMS
    assert 'route 1 "as"' in warned[0].getMessage() and "SMS 1" in warned[0].getMessage()
    assert ENDLESS_TEXT not in caplog.text
    assert rules.route(reading("aaaa"), True)[0].route == "as"  # it still works when it can
    assert decided.describe().startswith("routing failed (see the log) → TELEGRAM_CHAT_IDS")


def test_a_pattern_matches_whole_not_as_a_prefix_at_the_texts_end() -> None:
    """`regex` also matches partially, a start of the pattern at the text's end: never here."""
    rules = Router([route(1, text="door 5 opened")], EVERYWHERE)
    assert rules.route(reading("alarm: door 5 open"), True)[0].route is None
    assert rules.route(reading("alarm: door 5 opened"), True)[0].route == "route 1"


def test_a_pattern_reads_the_first_2000_characters_of_the_text() -> None:
    rules = Router([route(1, text="alarm")], EVERYWHERE)
    assert ROUTE_TEXT_LIMIT == 2000
    assert rules.route(reading("x" * 1995 + "alarm"), True)[0].route == "route 1"
    assert rules.route(reading("x" * 1996 + "alarm"), True)[0].route is None


def test_any_other_error_while_routing_sends_that_sms_where_unmatched_sms_go(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rules = Router([route(1, text="alarm")], EVERYWHERE)
    broken = reading("alarm")._replace(text=None)  # what no parser hands over: a bug
    decided, _placement = rules.route(broken, relay=True)
    assert decided.failed and decided.targets == tuple(EVERYWHERE)
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert line == "routing SMS 1 failed (TypeError): it goes where unmatched SMS go"


RE_PATTERNS = [
    r"(?i)boiler \d+",
    r"\bOTP\b",
    r"^\d{4,6}$",
    r"(?P<code>\d{6})",
    r"(?s)a.b",
    r"[а-яё]+",
    r"(?i)баланс|balance",
    r"(?x) a  b  # a comment",
    r"[^\W\d_]+",
    r"(?<=code )\d+",
    r"(?<!\d)\d{4}(?!\d)",
    r"(a)(?(1)b|c)",
    r"a{,3}",
    r"(?>ab|a)c",
    r"(?m)^x$",
]
RE_TEXTS = ["Boiler 3", "your OTP code 1234", "123456", "a\nb", "Ваш баланс", "ab", "x\nx"]


@pytest.mark.parametrize("pattern", RE_PATTERNS)
def test_patterns_written_for_pythons_re_match_the_same(pattern: str) -> None:
    [checked] = load_routes_of(f"[[route]]\ntext = '{pattern}'\nchats = ['-1009']\n")
    assert checked.pattern is not None
    for text in [*RE_TEXTS, *(t.upper() for t in RE_TEXTS)]:
        expected = re.search(pattern, text)
        found = checked.pattern.search(text)
        assert (found and found.group()) == (expected and expected.group()), text


def load_routes_of(text: str) -> tuple[Route, ...]:
    with tempfile.TemporaryDirectory() as folder:
        return load_routes(routes_file(Path(folder), text))


# -- the file ------------------------------------------------------------------------------


def test_numbers_and_chat_ids_may_be_written_as_toml_numbers(tmp_path: Path) -> None:
    [only] = load_routes(
        routes_file(tmp_path, "[[route]]\nto = [79031234567]\nchats = [-1009, '-1008:5']\n")
    )
    assert only.receivers == {"79031234567"} and only.chats == (SUPPORT, BILLING)


ROUTE = "[[route]]\n"
BAD_FILES = {
    "bad TOML": ("[[route]\nto = 1", "not valid TOML: Expected ']]' at the end of an array"),
    "unknown key": (
        ROUTE + "name = 'a'\nto = ['1']\nchats = ['-1']\ncolour = 'red'",
        'route 1 ("a"): colour: unknown key (a route takes name, to, from, text, chats, label,',
    ),
    "unknown table": (
        "[[routes]]\nto = ['1']\nchats = ['-1']",
        "unknown key 'routes': write [[route]] tables",
    ),
    "bad regular expression": (
        ROUTE + "to = ['1']\nchats = ['-1']\n" + ROUTE + "name = 'support line'\ntext = '(ab'",
        'route 2 ("support line"): text: bad regular expression: missing ), unterminated '
        "subpattern at position 0",
    ),
    "bad chat ID": (
        ROUTE + "name = 'x'\ntext = 'a'\nchats = ['-1', 'abc']",
        "route 1 (\"x\"): chats: 'abc' is not CHAT_ID or CHAT_ID:TOPIC_ID",
    ),
    "matches on nothing": (
        ROUTE + "name = 'all'\nchats = ['-1']",
        'route 1 ("all"): to, from, text: none given, so it would match every SMS',
    ),
    "neither chats nor drop": (
        ROUTE + "to = ['1']\nchats = ['-1']\n" + ROUTE + "from = ['900']",
        "route 2: chats: missing: say which chats get these SMS, or drop = true",
    ),
    "drop with chats": (
        ROUTE + "text = 'x'\nchats = ['-1']\ndrop = true",
        "route 1: drop: a dropped SMS goes to no chat; remove chats or drop",
    ),
    "drop with continue": (
        ROUTE + "text = 'x'\ndrop = true\ncontinue = true",
        "route 1: continue: a dropping route ends the matching",
    ),
    "to not a number": (
        ROUTE + "to = ['support']\nchats = ['-1']",
        "route 1: to: 'support' is not a phone number",
    ),
    "an empty list": (ROUTE + "from = []\nchats = ['-1']", "route 1: from: is empty"),
    "a long label": (
        ROUTE + f"text = 'x'\nchats = ['-1']\nlabel = '{'x' * 65}'",
        "route 1: label: must be one line of 1 to 64 characters",
    ),
    "a chat not in a list": (
        ROUTE + "text = 'x'\nchats = '-1'",
        "route 1: chats: Input should be a valid list",
    ),
    "no route table": ("route = 5", "no [[route]] table in it"),
    "an empty file": ("", "no [[route]] table in it"),
}


@pytest.mark.parametrize(("text", "expected"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_is_one_line_naming_the_file_the_route_and_the_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = routes_file(tmp_path, text)
    with pytest.raises(RoutesFileError) as caught:
        load_routes(path)
    message = str(caught.value)
    assert message.startswith(f"ROUTES_FILE {path}: ") and "\n" not in message
    assert expected in message, message


def test_a_file_that_cannot_be_read_says_why(tmp_path: Path) -> None:
    with pytest.raises(RoutesFileError, match=r"routes\.toml: cannot read it: No such file"):
        load_routes(tmp_path / "routes.toml")
    with pytest.raises(RoutesFileError, match="cannot read it: Is a directory"):
        load_routes(tmp_path)
    (tmp_path / "latin1.toml").write_bytes(b"[[route]]\nname = '\xe9'\n")
    with pytest.raises(RoutesFileError, match=r"latin1\.toml: not UTF-8 text"):
        load_routes(tmp_path / "latin1.toml")


# -- sms-bridge route ------------------------------------------------------------------------


def route_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    settings = {
        "TELEGRAM_BOT_TOKEN": "1:abcdefgh",
        "TELEGRAM_CHAT_IDS": "-1001,-1002",
        "SMSC_API_KEY": "key-1234567",
        **env,
    }
    return subprocess.run(
        [*sms_bridge_command(), "route", *args],
        cwd=tmp_path,
        env=clean_environment(**settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_sms_bridge_route_says_which_route_takes_an_sms_without_running(tmp_path: Path) -> None:
    routes_file(tmp_path, EXAMPLE.replace('label = "Support"', 'label = "Support"\nsilent = true'))
    asked = {
        ("--to", "+7 903 123-45-67"): 'route 1 "support line" → -1009 (silent) (label Support)',
        ("--from", "MegaFon", "--text", "Баланс: 5 руб"): "route 2 → dropped: stored, not relayed",
        ("--from", "79261234567"): "no route matches → TELEGRAM_CHAT_IDS: -1001, -1002",
    }
    for args, answer in asked.items():
        result = route_cli(tmp_path, *args, ROUTES_FILE="routes.toml")
        assert (result.returncode, result.stdout, result.stderr) == (0, answer + "\n", ""), args
    unset = route_cli(tmp_path, "--text", "hello")
    assert unset.stdout == "no ROUTES_FILE: every SMS → TELEGRAM_CHAT_IDS: -1001, -1002\n"
    bad = route_cli(tmp_path, ROUTES_FILE="nowhere.toml")
    assert bad.returncode == 2 and bad.stderr.startswith("sms-bridge: ROUTES_FILE nowhere.toml")
