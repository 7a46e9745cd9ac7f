"""Routes: which chats an SMS goes to, decided once, as it is stored.

Without ROUTES_FILE every SMS goes to every chat of TELEGRAM_CHAT_IDS. With it, the
file's `[[route]]` tables are tried top to bottom and the first that matches decides,
unless it says `continue = true`: then its chats are added and matching goes on. A route
matches when every condition it gives holds: `to` (the receiving number), `from` (the
sender: a number in any written form, a name in any case, as `/from` matches them), and
`text` (a regular expression searched in the text). A route may relay its SMS without a
sound, always (`silent`) or in some hours (`quiet`, read by `bot.routing.quiet` and kept
with each delivery: the relay decides by the hour it sends), and fold repeats of one SMS
into the message already shown (`collapse`, `bot.routing.collapse`, kept the same way).
An SMS that no route takes goes to TELEGRAM_CHAT_IDS, so a case the file forgot is
relayed, never lost. Numbers become keys in `state.phones`, in PHONE_REGION: those of the
file and of `sms-bridge route` as people type them, an SMS's as SMSC writes them.

The file is input like any setting: read and checked once, at start. A file that cannot
be read, bad TOML, an unknown key, a bad regular expression, chat ID, quiet hours or
collapse window, a route that matches on nothing or sends nowhere: each stops the program
with one line naming the file, the route and the field (`RoutesFileError`, exit 2).
Regular expressions are written in the syntax of Python's `re` (checked by it) and
compiled once by the `regex` library, which runs the same patterns with a time limit.

An SMS is input too, and so is what it does to a pattern: a pattern reads the first
ROUTE_TEXT_LIMIT characters of the text, and gives up after ROUTE_TIME_LIMIT seconds (a
pattern such as `(a|aa)+$` on a long text would run for minutes). An SMS whose routing
fails (a pattern out of time, any error) goes where unmatched SMS go, TELEGRAM_CHAT_IDS,
with a line in the log (once per pattern for a timeout): relayed, never lost nor stuck.
The poller routes each new SMS before the write transaction that stores it, off the
store's thread, and `sms-bridge route` shows the same answer without running the bridge.
The decision is stored with the SMS (its deliveries, the chats whose history shows it,
the route's name and label), so editing the file later never moves SMS already queued.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.routing.collapse import parse_collapse, window_text
from bot.routing.prefilter import literal_prefilter, prefilter_decides
from bot.routing.quiet import QuietHours, joined, parse_quiet
from bot.routing.targets import ChatTarget
from state import IncomingSms, Placement
from state.phones import DEFAULT_REGION, looks_like_phone, sender_key, typed_key

log = logging.getLogger(__name__)

ROUTE_TEXT_LIMIT = 2000  # characters of an SMS's text that a route's pattern reads
ROUTE_TIME_LIMIT = 0.25  # seconds a pattern may take on one SMS (a sane one takes µs)
ROUTE_KEYS = (
    "name",
    "to",
    "from",
    "text",
    "chats",
    "label",
    "silent",
    "quiet",
    "collapse",
    "drop",
    "continue",
)
MAX_LABEL = 64  # a label is a word or two in a message's footer, not a paragraph
MAX_REMEMBERED = 4096  # decisions kept for reuse, at most (a bounded cache)


class RoutesFileError(ValueError):
    """ROUTES_FILE cannot be used; the message is one line naming the file, route and field."""


class RouteSpec(BaseModel):
    """One `[[route]]` table as written in the file, each field checked on its own."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)

    name: str | None = None
    to: list[str] | None = None
    senders: list[str] | None = Field(default=None, alias="from")
    text: str | None = None
    chats: list[ChatTarget] | None = None
    label: str | None = None
    silent: bool = False
    quiet: str | None = None
    collapse: str | None = None
    drop: bool = False
    goes_on: bool = Field(default=False, alias="continue")

    @field_validator("quiet", mode="after")
    @classmethod
    def _quiet_hours(cls, value: str | None) -> str | None:
        if value is not None:
            parse_quiet(value)  # QuietError is a ValueError: its line names the problem
        return value

    @field_validator("collapse", mode="after")
    @classmethod
    def _collapse_window(cls, value: str | None) -> str | None:
        if value is not None:
            parse_collapse(value)  # CollapseError is a ValueError too
        return value

    @field_validator("to", "senders", mode="after")
    @classmethod
    def _listed(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not [item for item in value if item.strip()]:
            raise ValueError("is empty: leave it out to match any")
        return value

    @field_validator("to", mode="after")
    @classmethod
    def _numbers(cls, value: list[str] | None) -> list[str] | None:
        for number in value or []:
            if not looks_like_phone(number):
                raise ValueError(f"{number!r} is not a phone number")
        return value

    @field_validator("text", mode="after")
    @classmethod
    def _regular_expression(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)  # the syntax people write: Python's `re`, its messages
                regex.compile(value)  # what runs it, with a time limit
            except (re.error, regex.error) as error:
                raise ValueError(f"bad regular expression: {error}") from None
        return value

    @field_validator("chats", mode="before")
    @classmethod
    def _chat_targets(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [v if isinstance(v, ChatTarget) else ChatTarget.parse(str(v)) for v in value]
        return value

    @field_validator("label", "name", mode="after")
    @classmethod
    def _one_short_line(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value or "\n" in value or len(value) > MAX_LABEL:
            raise ValueError(f"must be one line of 1 to {MAX_LABEL} characters")
        return value

    def problem(self) -> str | None:
        """What is wrong with the route as a whole, as `field: why`; None if nothing."""
        if self.to is None and self.senders is None and self.text is None:
            return "to, from, text: none given, so it would match every SMS; give at least one"
        if self.drop and self.chats:
            return "drop: a dropped SMS goes to no chat; remove chats or drop"
        if self.quiet is not None and (self.drop or self.silent):
            return "quiet: a dropped or silent route's SMS never sound; remove quiet"
        if self.collapse is not None and self.drop:
            return "collapse: a dropped route's SMS make no message to fold into; remove collapse"
        if self.drop and self.goes_on:
            return "continue: a dropping route ends the matching; remove continue or drop"
        if not self.drop and not self.chats:
            return "chats: missing: say which chats get these SMS, or drop = true"
        return None


@dataclass(frozen=True)
class Route:
    """One route, ready to match: numbers and senders as keys, the expression compiled."""

    number: int  # its place in the file, from 1
    name: str | None
    receivers: frozenset[str] | None  # `to`, as state.phones.typed_key writes numbers
    senders: frozenset[str] | None  # `from`, the same way
    pattern: regex.Pattern[str] | None
    chats: tuple[ChatTarget, ...]
    label: str | None = None
    silent: bool = False
    quiet: QuietHours | None = None  # relayed without a sound in these hours
    collapse: int | None = None  # seconds a repeat folds into the message shown
    drop: bool = False
    goes_on: bool = False  # `continue = true`
    prefilter: regex.Pattern[str] | None = None  # bot.routing.prefilter, for `pattern`
    prefilter_decides: bool = False  # its answer is the pattern's: no timed search follows

    @classmethod
    def from_spec(cls, number: int, spec: RouteSpec, region: str = DEFAULT_REGION) -> Route:
        """The route of a checked spec, its numbers read as typed in `region`."""

        def keys(values: list[str] | None) -> frozenset[str] | None:
            return None if values is None else frozenset(typed_key(v, region) for v in values)

        return cls(
            number=number,
            name=spec.name,
            receivers=keys(spec.to),
            senders=keys(spec.senders),
            pattern=None if spec.text is None else regex.compile(spec.text),
            chats=tuple(dict.fromkeys(spec.chats or [])),
            label=spec.label,
            silent=spec.silent,
            quiet=None if spec.quiet is None else parse_quiet(spec.quiet),
            collapse=None if spec.collapse is None else parse_collapse(spec.collapse),
            drop=spec.drop,
            goes_on=spec.goes_on,
            prefilter=None if spec.text is None else literal_prefilter(spec.text),
            prefilter_decides=spec.text is not None and prefilter_decides(spec.text),
        )

    @property
    def title(self) -> str:
        """How the CLI and the log name it: `route 2 "support line"`, or `route 2`."""
        return f'route {self.number} "{self.name}"' if self.name else f"route {self.number}"

    @property
    def stored_name(self) -> str:
        """How the database names it: its name, or `route N` when it has none."""
        return self.name or f"route {self.number}"


class RouteCheck(NamedTuple):
    """A route as `matching_routes` reads it: its conditions, its searches bound once."""

    receivers: frozenset[str] | None
    senders: frozenset[str] | None
    prefilter: Callable[[str], object] | None  # the prefilter's `search`
    prefilter_decides: bool
    search: Callable[..., object] | None  # the pattern's `search`
    goes_on: bool
    route: Route

    @classmethod
    def of(cls, route: Route) -> RouteCheck:
        prefilter = None if route.prefilter is None else route.prefilter.search
        search = None if route.pattern is None else route.pattern.search
        decides = route.prefilter_decides and prefilter is not None
        return cls(route.receivers, route.senders, prefilter, decides, search, route.goes_on, route)


def matching_routes(
    checks: Sequence[RouteCheck], sender: str, recipient: str, text: str
) -> tuple[int, ...]:
    """The indexes of the routes whose every condition holds, in order, up to the first
    that ends the matching (no `continue`); `sender` and `recipient` as keys.

    A pattern reads the first ROUTE_TEXT_LIMIT characters, and gives up after
    ROUTE_TIME_LIMIT seconds (RouteTimedOut). It releases the GIL while it runs
    (`concurrent`), so that a slow one never holds up the event loop. The arguments go
    by position (`string, pos, endpos, concurrent, partial, timeout`, as `regex` takes
    them): by keyword, reading them cost a microsecond a search, a tenth of routing a
    catch-up; tests/test_routes.py holds both the time limit and `partial` to it. A text
    without any of the words the pattern needs is ruled out first, untimed (`prefilter`:
    the timer alone cost most of a search), and one with them is decided there when the
    pattern is those words alone (`prefilter_decides`). This is one loop over every route,
    with no call a route: routing is a fifth of a catch-up's work, and a call a route
    cost a tenth of it.
    """
    matched: list[int] = []
    head = text[:ROUTE_TEXT_LIMIT]
    for index, check in enumerate(checks):
        receivers, senders, prefilter, decides, search, goes_on, route = check
        if receivers is not None and recipient not in receivers:
            continue
        if senders is not None and sender not in senders:
            continue
        if search is not None:
            if prefilter is not None and prefilter(head) is None:
                continue
            if not decides:
                try:
                    if search(head, None, None, True, False, ROUTE_TIME_LIMIT) is None:
                        continue
                except TimeoutError:
                    raise RouteTimedOut(route) from None
        matched.append(index)
        if not goes_on:
            break
    return tuple(matched)


class RouteTimedOut(Exception):
    """A route's pattern ran out of time on an SMS."""

    def __init__(self, route: Route) -> None:
        super().__init__(f"{route.title}: its text pattern ran over {ROUTE_TIME_LIMIT} s")
        self.route = route


UNDECIDED: tuple[int, ...] = (-1,)  # the routes "matched" by an SMS whose routing failed


@dataclass(frozen=True)
class RouteDecision:
    """Where one SMS goes: the targets (each maybe silent), its label, who decided."""

    route: str | None  # the deciding route's stored name; None: no route took it
    targets: tuple[ChatTarget, ...]
    label: str | None = None
    silent: frozenset[ChatTarget] = frozenset()  # targets that get it without a sound
    # targets that get it without a sound in some hours (`bot.routing.quiet`, as stored)
    quiet: tuple[tuple[ChatTarget, str], ...] = ()
    # targets where a repeat of it folds into the message shown: seconds (`collapse`)
    collapse: tuple[tuple[ChatTarget, int], ...] = ()
    drop: bool = False  # the deciding route drops it: no chat beyond `targets` gets it
    matched: tuple[Route, ...] = ()
    failed: bool = False  # routing failed (a pattern out of time, an error): unmatched

    def placement(self, relay: bool) -> Placement:
        """The decision as the store keeps it; `relay` False: history only, no delivery."""
        deliveries = tuple((t.key, t in self.silent) for t in self.targets) if relay else ()
        visible = tuple(dict.fromkeys(str(t.chat_id) for t in self.targets))
        quiet = tuple((t.key, hours) for t, hours in self.quiet) if relay else ()
        collapse = tuple((t.key, seconds) for t, seconds in self.collapse) if relay else ()
        return Placement(deliveries, visible, self.route, self.label, quiet, collapse)

    def describe(self) -> str:
        """One line for people: which route takes the SMS and where it goes."""
        quiet = dict(self.quiet)
        collapse = dict(self.collapse)

        def sound(target: ChatTarget) -> str:
            if target in self.silent:
                return " (silent)"
            return f" (quiet {quiet[target]})" if target in quiet else ""

        def repeats(target: ChatTarget) -> str:
            return f" (collapse {window_text(collapse[target])})" if target in collapse else ""

        chats = ", ".join(t.key + sound(t) + repeats(t) for t in self.targets)
        if self.failed:
            return f"routing failed (see the log) → TELEGRAM_CHAT_IDS: {chats}"
        if not self.matched:
            return f"no route matches → TELEGRAM_CHAT_IDS: {chats}"
        routes = ", ".join(route.title for route in self.matched)
        if self.drop and not chats:
            where = "dropped: stored, not relayed"
        elif self.drop:
            where = f"{chats}, dropped for any other chat"
        else:
            where = chats
        label = f" (label {self.label})" if self.label else ""
        return f"{routes} → {where}{label}"


def combine(matched: Sequence[Route]) -> RouteDecision:
    """The decision of the routes that matched, in file order (only the last may end it).

    Chats add up in order; a chat that two routes name is silent only if both say so (a
    route that asked for a sound gets it), and quiet in the hours when every route naming
    it is silent or quiet. Repeats collapse in a chat only if every route naming it says
    so, over the shortest window given (a route that wants each SMS seen gets that). The
    label is the first one given.
    """
    naming: dict[ChatTarget, list[Route]] = {}
    for route in matched:
        for target in route.chats:
            naming.setdefault(target, []).append(route)
    silent_by_target = {t: all(r.silent for r in routes) for t, routes in naming.items()}
    quiet: list[tuple[ChatTarget, str]] = []
    for target, routes in naming.items():
        windows = [r.quiet for r in routes if not r.silent]
        if not silent_by_target[target] and all(w is not None for w in windows):
            quiet.append((target, joined([w for w in windows if w is not None])))
    collapse: list[tuple[ChatTarget, int]] = []
    for target, routes in naming.items():
        spans = [r.collapse for r in routes]
        if all(span is not None for span in spans):
            collapse.append((target, min(span for span in spans if span is not None)))
    last = matched[-1]
    return RouteDecision(
        route=last.stored_name,
        targets=tuple(silent_by_target),
        label=next((route.label for route in matched if route.label), None),
        silent=frozenset(t for t, silent in silent_by_target.items() if silent),
        quiet=tuple(quiet),
        collapse=tuple(collapse),
        drop=last.drop,
        matched=tuple(matched),
    )


class Router:
    """Decides where each SMS goes, from the routes and the chats of TELEGRAM_CHAT_IDS.

    Deciding is on the ingest path, run for every new SMS before it is stored, so it does
    little per SMS: a sender or number is turned into its key once (keys of recent ones
    are remembered by `state.phones`), and the decision and placement of each
    combination of matching routes are built once and reused (they depend on nothing
    else). `region` must be the one the routes were read in (PHONE_REGION). Routing an
    SMS never raises: see `route`.
    """

    def __init__(
        self,
        routes: Sequence[Route],
        everywhere: Sequence[ChatTarget],
        region: str = DEFAULT_REGION,
    ) -> None:
        self.routes = tuple(routes)
        self._checks = tuple(RouteCheck.of(route) for route in self.routes)
        self.region = region
        self._everywhere = RouteDecision(None, tuple(everywhere))
        undecided = RouteDecision(None, tuple(everywhere), failed=True)
        self._decisions: dict[tuple[int, ...], RouteDecision] = {
            (): self._everywhere,
            UNDECIDED: undecided,
        }
        self._placements: dict[tuple[tuple[int, ...], bool], Placement] = {}
        self._timed_out: set[int] = set()  # routes whose timeout was logged already

    @property
    def chats(self) -> list[ChatTarget]:
        """Every target the routes name, in file order, once each."""
        return list(dict.fromkeys(t for route in self.routes for t in route.chats))

    def decide(self, sender: str, recipient: str, text: str) -> RouteDecision:
        """Where an SMS from `sender` to `recipient` reading `text` goes, the numbers as a
        person types them (`sms-bridge route`)."""
        if not self.routes:
            return self._everywhere
        try:
            keys = typed_key(sender, self.region), typed_key(recipient, self.region)
            matched = self._matching(*keys, text)
        except Exception as error:
            matched = self._failed(error, None)
        return self._decision(matched)

    def placement(self, sms: IncomingSms, relay: bool) -> Placement:
        """Where a new SMS goes, as the store keeps it (see `route`)."""
        return self.route(sms, relay)[1]

    def route(self, sms: IncomingSms, relay: bool) -> tuple[RouteDecision, Placement]:
        """Where a new SMS goes, its numbers read as SMSC wrote them: the decision (for the
        log) and the placement the store keeps; `relay` False: history only.

        Never raises: an SMS whose routing fails goes where unmatched SMS go, with an
        error line in the log (for a pattern out of time, a warning once per route).
        """
        try:
            matched = self._matching_sms(sms)
        except Exception as error:
            matched = self._failed(error, sms.smsc_id)
        placement = self._placements.get((matched, relay))
        if placement is None:
            placement = self._decision(matched).placement(relay)
            if len(self._placements) < MAX_REMEMBERED:
                self._placements[(matched, relay)] = placement
        return self._decision(matched), placement

    def _failed(self, error: Exception, smsc_id: int | None) -> tuple[int, ...]:
        """Log a routing failure (a timeout once per route); the key of "undecided"."""
        sms = "an SMS" if smsc_id is None else f"SMS {smsc_id}"
        if isinstance(error, RouteTimedOut):
            number = error.route.number
            if number not in self._timed_out:
                self._timed_out.add(number)
                log.warning(
                    "%s, stopped, on %s: it goes where unmatched SMS go, and so will every "
                    "SMS this pattern cannot finish on in time (said once); simplify it",
                    error,
                    sms,
                )
            else:
                log.debug("%s, on %s: where unmatched SMS go", error, sms)
        else:
            log.error(
                "routing %s failed (%s): it goes where unmatched SMS go",
                sms,
                type(error).__name__,
            )
            log.debug("the routing failure's traceback", exc_info=error)
        return UNDECIDED

    def _matching_sms(self, sms: IncomingSms) -> tuple[int, ...]:
        """The routes an SMS matches, its numbers as SMSC wrote them."""
        if not self.routes:
            return ()
        sender = sender_key(sms.sender, self.region)
        return self._matching(sender, sender_key(sms.recipient, self.region), sms.text)

    def _matching(self, sender: str, recipient: str, text: str) -> tuple[int, ...]:
        """The indexes of the routes that match (numbers as keys), up to the first that ends
        it; RouteTimedOut when a pattern runs out of time."""
        return matching_routes(self._checks, sender, recipient, text)

    def _decision(self, matched: tuple[int, ...]) -> RouteDecision:
        decision = self._decisions.get(matched)
        if decision is None:
            decision = combine([self.routes[index] for index in matched])
            if len(self._decisions) < MAX_REMEMBERED:
                self._decisions[matched] = decision
        return decision


def _problem(error: dict[str, Any]) -> str:
    """A pydantic error about one field as `field: why`."""
    field = next((str(part) for part in error.get("loc", ()) if isinstance(part, str)), "?")
    if error.get("type") == "extra_forbidden":
        return f"{field}: unknown key (a route takes {', '.join(ROUTE_KEYS)})"
    return f"{field}: {str(error.get('msg', 'invalid')).removeprefix('Value error, ')}"


def _route(where: str, number: int, table: Any, region: str) -> Route:
    if not isinstance(table, dict):
        raise RoutesFileError(f"{where}: route {number}: not a table; write [[route]] tables")
    name = table.get("name")
    head = f'{where}: route {number} ("{name}")' if isinstance(name, str) else None
    head = head or f"{where}: route {number}"
    try:
        spec = RouteSpec.model_validate(table)
    except ValidationError as invalid:
        raise RoutesFileError(f"{head}: {_problem(dict(invalid.errors()[0]))}") from None
    problem = spec.problem()
    if problem is not None:
        raise RoutesFileError(f"{head}: {problem}")
    return Route.from_spec(number, spec, region)


def load_routes(path: Path, region: str = DEFAULT_REGION) -> tuple[Route, ...]:
    """The routes of a ROUTES_FILE, checked, numbers read in `region`; or RoutesFileError."""
    where = f"ROUTES_FILE {path}"
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as error:
        raise RoutesFileError(f"{where}: cannot read it: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise RoutesFileError(f"{where}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise RoutesFileError(f"{where}: not valid TOML: {error}") from None
    unknown = [key for key in data if key != "route"]
    if unknown:
        raise RoutesFileError(f"{where}: unknown key {unknown[0]!r}: write [[route]] tables")
    tables = data.get("route")
    if not isinstance(tables, list) or not tables:
        raise RoutesFileError(f"{where}: no [[route]] table in it")
    routes = enumerate(tables, start=1)
    return tuple(_route(where, number, table, region) for number, table in routes)
