"""SMS as Telegram HTML: what a reader sees first, escaping, likely codes, splitting, packing."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.clock import FullMoments, zone_name
from bot.text.codes import code_spans, first_code
from bot.text.formatting import TEXT_LIMIT, pack_entries, split_atoms, text_atoms, visible_length
from bot.text.i18n import LANGUAGES, Language, in_language
from bot.text.sms_view import Look, entry_atoms, render_sms
from state import StoredSms
from tests.fakes.telegram import HtmlRefused, parse_telegram_html, relayed_text, utf16_length

MOSCOW = ZoneInfo("Europe/Moscow")
WHEN = datetime(2026, 11, 27, 13, 5, 3, tzinfo=UTC)  # 16:05 in Moscow
LOOK = Look(MOSCOW, WHEN + timedelta(seconds=20))


def sms(text: str, sender: str = "79261234567", received: datetime = WHEN) -> StoredSms:
    return StoredSms(1, sender, "79031234567", text, received, None, received)


def first_line(html: str) -> str:
    return parse_telegram_html(html).split("\n")[0]


def test_the_first_line_is_the_sender_and_the_start_of_the_text() -> None:
    [html] = render_sms(sms("Boiler 3: pressure low"), LOOK)
    assert first_line(html) == "📩 +7 926 123-45-67: Boiler 3: pressure low"
    assert "<b>+7 926 123-45-67</b>" in html
    assert parse_telegram_html(html).endswith("\n\n16:05 MSK")


def test_a_one_time_code_goes_in_front_tap_to_copy() -> None:
    [html] = render_sms(sms("Your code 123456. Do not tell it to anyone <3"), LOOK)
    assert first_line(html).startswith("🔑 123456 · +7 926 123-45-67: Your code 123456.")
    assert html.startswith("🔑 <code>123456</code> · ")


def test_with_hide_codes_every_code_is_a_spoiler_still_tap_to_copy() -> None:
    hidden = Look(MOSCOW, LOOK.now, hide_codes=True)
    [html] = render_sms(sms("Your code 123456, again: 123456"), hidden)
    spoiler = "<tg-spoiler><code>123456</code></tg-spoiler>"
    assert html.startswith(f"🔑 {spoiler} · ") and html.count(spoiler) == 3
    assert first_line(html) == "🔑 123456 · +7 926 123-45-67: Your code 123456, again: 123456"
    assert relayed_text(html) == "Your code 123456, again: 123456"
    entry = "".join(entry_atoms(sms("PIN 4321"), hidden))
    assert "<tg-spoiler><code>4321</code></tg-spoiler>" in entry
    [shown] = render_sms(sms("Your code 123456"), LOOK)  # off by default
    assert "tg-spoiler" not in shown


def test_telegram_refuses_a_code_holding_a_spoiler_but_takes_a_spoiler_holding_a_code() -> None:
    assert parse_telegram_html("<tg-spoiler><code>1234</code></tg-spoiler>") == "1234"
    with pytest.raises(HtmlRefused):
        parse_telegram_html("<code><tg-spoiler>1234</tg-spoiler></code>")


def test_metadata_is_short_the_date_only_when_not_today_the_number_only_when_several() -> None:
    yesterday = Look(MOSCOW, WHEN + timedelta(days=1), several_numbers=True)
    [html] = render_sms(sms("x", received=WHEN), yesterday)
    footer = parse_telegram_html(html).split("\n\n")[-1]
    assert footer == "to +7 903 123-45-67 · received 27.11 16:05 MSK"
    head, _body = entry_atoms(sms("x", received=WHEN), yesterday)
    assert parse_telegram_html(head) == "27.11 16:05 · +7 926 123-45-67 · to +7 903 123-45-67: "


def test_a_late_sms_says_how_old_it_is_on_its_first_line() -> None:
    """A notification shows the first line only: half awake, people type what it shows."""
    late = Look(MOSCOW, WHEN + timedelta(minutes=3))
    [html] = render_sms(sms("x"), late)
    assert first_line(html) == "⏳ 3 min old · +7 926 123-45-67: x"
    assert parse_telegram_html(html).endswith("received 16:05 MSK")
    outage = Look(MOSCOW, WHEN + timedelta(hours=3, minutes=10))
    [code] = render_sms(sms("Your code 4821"), outage)
    assert first_line(code).startswith("⏳ 3 h 10 min old · 🔑 4821 · +7 926 123-45-67: ")
    with in_language("ru"):
        [russian] = render_sms(sms("Ваш код 4821"), outage)
    assert first_line(russian).startswith("⏳ 3 ч 10 мин назад · 🔑 4821 · ")
    long = render_sms(sms("Your code 4821 " + "word " * 1500), outage)
    assert len(long) > 1 and all(
        first_line(part).startswith("⏳ 3 h 10 min old · ") for part in long
    )
    [prompt] = render_sms(sms("x"), Look(MOSCOW, WHEN + timedelta(minutes=1, seconds=59)))
    assert "⏳" not in prompt and first_line(prompt).startswith("📩 ")


def test_a_resend_after_an_uncertain_send_says_it_is_a_possible_duplicate() -> None:
    [html] = render_sms(sms("x"), LOOK, repeat=True)
    assert parse_telegram_html(html).endswith("16:05 MSK · ↻ possible duplicate")


def test_a_routes_label_leads_the_footer_and_ends_a_list_entrys_head_escaped() -> None:
    labelled = sms("Boiler 3: pressure low")._replace(label="<Line 2> & co")
    [html] = render_sms(labelled, LOOK)
    assert parse_telegram_html(html).endswith("\n\n🏷 <Line 2> & co · 16:05 MSK")
    assert first_line(html) == "📩 +7 926 123-45-67: Boiler 3: pressure low"
    head, *body = entry_atoms(labelled, LOOK)
    assert parse_telegram_html(head) == "16:05 · +7 926 123-45-67 · 🏷 <Line 2> & co: "
    assert relayed_text(head + "".join(body)) == "Boiler 3: pressure low"


def test_russian_readers_get_russian_words_around_the_text() -> None:
    with in_language("ru"):
        [html] = render_sms(sms("x"), Look(MOSCOW, WHEN + timedelta(hours=1)), repeat=True)
    assert parse_telegram_html(html).endswith("получено 16:05 МСК · ↻ возможно, дубль")
    assert first_line(html).startswith("⏳ 60 мин назад · ")


def test_markup_in_sms_arrives_as_typed() -> None:
    [html] = render_sms(sms("<b>&</code>"), LOOK)
    assert "&lt;b&gt;&amp;&lt;/code&gt;" in html
    assert relayed_text(html) == "<b>&</code>"


def test_sender_names_are_escaped_too() -> None:
    [html] = render_sms(sms("x", sender="<Bank&Co>"), LOOK)
    assert first_line(html) == "📩 <Bank&Co>: x"


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Your code 123456", ["123456"]),
        ("Код подтверждения: 4821. Никому не сообщайте", ["4821"]),
        ("PIN 1234, again 87654321", ["1234", "87654321"]),
        ("Пароль для входа 55123", ["55123"]),
        ("123 is short, 123456789 is long, code", []),
        ("phone 79261234567 code", []),
        ("code:4321.", ["4321"]),
        ("Payment of 1500 RUB on 27.11.2026, balance 2026", []),
        ("Alarm w0000 at site 2026", []),
        ("Your verification code is 12.50", []),
        ("Оплата 2500 RUB, код подтверждения 123456", ["123456"]),
        ("Покупка 1500р. Код: 4821", ["4821"]),
        ("Покупка 1500 р. Код: 4821", ["4821"]),
        ("Код 4821 действует до 2026 года", ["4821"]),
        ("Code 4821 valid until 2027", ["4821"]),
        ("Списано 3400 ₽, код 9911", ["9911"]),
        ("$1200 charged. Your code: 7788", ["7788"]),
        ("Код 5566, сумма 12000 тг", ["5566"]),
        ("Заказ №48213 оплачен, код 2468", ["2468"]),
        ("Код 2468. Баланс: 15000", ["2468"]),
        ("Scan the barcode 123456", []),
        ("Postcode 1234, house 5", []),
        ("Use 4821 as your code", ["4821"]),
        ("Ваш код: 2026", ["2026"]),
    ],
)
def test_only_likely_one_time_codes_are_tap_to_copy(text: str, codes: list[str]) -> None:
    html = "".join(text_atoms(text))
    assert re.findall(r"<code>(\d+)</code>", html) == codes
    assert [text[s.start : s.end] for s in code_spans(text)] == codes
    assert first_code(text) == (codes[0] if codes else None)


def test_the_code_in_front_is_the_one_right_after_the_code_word() -> None:
    assert first_code("Проверка 5555 и 6666, код 7777") == "7777"
    assert first_code("1111 — ваш код, а 2222 — номер карты") == "1111"
    assert first_code("Пароль 3333. Повторите: пароль 4444") == "3333"


CURRENCIES = ["р", "р.", "руб", "руб.", "рублей", "RUB", "₽", "$", "€", "USD", "EUR", "тг", "грн"]
digits = st.integers(1000, 99_999_999).map(str)


@settings(max_examples=200, deadline=None)
@given(
    code=digits,
    amount=digits,
    currency=st.sampled_from(CURRENCIES),
    space=st.sampled_from(["", " "]),
    word=st.sampled_from(["код", "Код подтверждения:", "code", "Пароль", "PIN", "OTP"]),
    amount_first=st.booleans(),
)
def test_an_amount_with_a_currency_is_never_the_code(
    code: str, amount: str, currency: str, space: str, word: str, amount_first: bool
) -> None:
    money = f"{amount}{space}{currency}"
    said = f"{word} {code}"
    text = f"Оплата {money}, {said}" if amount_first else f"{said}. Оплата {money}"
    assert first_code(text) == code
    assert [text[s.start : s.end] for s in code_spans(text)] == [code]


@settings(max_examples=100, deadline=None)
@given(
    code=digits,
    year=st.integers(1990, 2099).map(str),
    phrase=st.sampled_from(["до {} года", "до {} г.", "до {}", "until {}", "в {} году"]),
)
def test_a_year_said_as_a_year_is_never_the_code(code: str, year: str, phrase: str) -> None:
    text = f"Код {code} действует {phrase.format(year)}"
    assert first_code(text) == code
    assert [text[s.start : s.end] for s in code_spans(text)] == [code]


def test_long_sms_is_split_into_numbered_parts_with_nothing_cut() -> None:
    text = ("word & <tag> " * 900).strip()  # about 11,700 characters, 2 entities each
    parts = render_sms(sms(text), LOOK)
    assert len(parts) == 3  # counted by what Telegram shows, not by the HTML's length
    assert all(utf16_length(parse_telegram_html(p)) <= TEXT_LIMIT for p in parts)
    assert all(f"({n}/3): " in first_line(p) for n, p in enumerate(parts, 1))
    assert "".join(relayed_text(p) for p in parts) == text
    assert parse_telegram_html(parts[-1]).endswith("16:05 MSK")


def test_a_5400_character_sms_takes_two_messages() -> None:
    assert len(render_sms(sms("a&b " * 1350), LOOK)) == 2


def test_visible_length_counts_what_telegram_shows() -> None:
    assert visible_length("<b>a</b>&lt;&amp;😀") == 5


def test_split_prefers_whitespace() -> None:
    chunks = split_atoms(list("aaaa bbbb cccc"), limit=10)
    assert chunks == ["aaaa bbbb ", "cccc"]


def test_pack_keeps_order_and_never_splits_an_entry_that_fits() -> None:
    entries = [entry_atoms(sms(f"message {n} " + "x" * (n * 37 % 700)), LOOK) for n in range(60)]
    packed = pack_entries(entries)
    assert [i for message in packed for i in message.entries] == list(range(60))
    assert all(visible_length(m.html) <= TEXT_LIMIT for m in packed)
    assert len(packed) < 60 / 3


def test_pack_splits_only_an_entry_longer_than_a_message() -> None:
    entries = [entry_atoms(sms("short"), LOOK), entry_atoms(sms("y " * 5000), LOOK)]
    packed = pack_entries(entries)
    assert packed[0].entries == (0,)
    assert all(m.entries == (1,) for m in packed[1:]) and len(packed) >= 3


def test_a_long_entry_folds_into_an_expandable_quote_that_keeps_it_whole() -> None:
    atoms = entry_atoms(sms("z " * 400), LOOK, fold=True)
    html = "".join(atoms)
    assert "<blockquote expandable>" in html and relayed_text(html) == "z " * 400


sms_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=9000) | st.text(
    alphabet="<>&;/bcode 0123456789#x\n", max_size=9000
)


@settings(max_examples=150, deadline=None)
@given(sms_text)
def test_any_text_renders_to_valid_html_whose_text_is_the_sms(text: str) -> None:
    parts = render_sms(sms(text), LOOK)
    plains = [parse_telegram_html(part) for part in parts]  # raises if Telegram would refuse
    assert all(utf16_length(plain) <= TEXT_LIMIT for plain in plains)
    for part in parts:
        tags = set(re.findall(r"</?([a-z-]+)", part))
        assert tags <= {"b", "code", "i"}
    assert "".join(relayed_text(p) for p in parts) == text


@settings(max_examples=100, deadline=None)
@given(st.lists(sms_text, min_size=1, max_size=15), st.booleans())
def test_any_list_packs_into_valid_messages_in_order(texts: list[str], fold: bool) -> None:
    entries = [entry_atoms(sms(t), LOOK, fold=fold) for t in texts]
    packed = pack_entries(entries, reserve=100)
    assert all(visible_length(m.html) <= TEXT_LIMIT - 100 for m in packed)
    order = [i for m in packed for i in m.entries]
    assert sorted(set(order)) == list(range(len(texts))) and order == sorted(order)
    for message in packed:
        assert utf16_length(parse_telegram_html(message.html)) <= TEXT_LIMIT - 100


ZONES = [
    "Europe/Moscow",
    "Asia/Kolkata",
    "America/St_Johns",
    "Europe/Berlin",
    "Australia/Lord_Howe",  # half an hour of summer time
    "UTC",
]


def as_strftime_writes_it(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.strftime('%d.%m.%Y %H:%M:%S')} {zone_name(zone, moment)}"


@given(
    moment=st.datetimes(datetime(1971, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC)),
    zone=st.sampled_from(ZONES).map(ZoneInfo),
)
def test_a_moment_in_a_file_reads_as_strftime_writes_it(moment: datetime, zone: ZoneInfo) -> None:
    assert FullMoments(zone)(moment) == as_strftime_writes_it(moment, zone)


@given(
    start=st.datetimes(datetime(1971, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC)),
    steps=st.lists(st.integers(0, 4 * 3600), min_size=1, max_size=40),
    zone=st.sampled_from(ZONES).map(ZoneInfo),
    language=st.sampled_from(LANGUAGES),
)
def test_a_file_writes_each_of_its_moments_as_strftime_does(
    start: datetime, steps: list[int], zone: ZoneInfo, language: Language
) -> None:
    """One writer for a run of moments (as a file's entries), days and names remembered
    between them: the same text as each written alone, across changes of the offset."""
    moments = [start + timedelta(seconds=sum(steps[: i + 1])) for i in range(len(steps))]
    with in_language(language):
        write = FullMoments(zone)
        assert [write(m) for m in moments] == [as_strftime_writes_it(m, zone) for m in moments]


def test_a_zones_abbreviation_names_one_offset_in_every_zone() -> None:
    """FullMoments finds a zone's name by its abbreviation alone: a numeric one (`+05`)
    must be one offset wherever it is used (a lettered one is the name, whatever the
    offset). Every zone of the tz database, every 30 days from 1900 to 2050."""
    moments = [datetime(1900, 1, 1, tzinfo=UTC) + timedelta(days=30 * n) for n in range(1827)]
    for name in sorted(zoneinfo.available_timezones()):
        zone, offsets = ZoneInfo(name), dict[str, timedelta]()
        for moment in moments:
            local = moment.astimezone(zone)
            abbreviation, offset = local.tzname() or "", local.utcoffset()
            if not abbreviation.isalpha() and offset is not None:
                assert offsets.setdefault(abbreviation, offset) == offset, (name, abbreviation)


@pytest.mark.parametrize(
    ("zone", "around"),
    [
        ("Europe/Berlin", datetime(2026, 3, 29, 1, tzinfo=UTC)),  # clocks go forward
        ("Europe/Berlin", datetime(2026, 10, 25, 1, tzinfo=UTC)),  # and back
        ("Australia/Lord_Howe", datetime(2026, 4, 4, 15, tzinfo=UTC)),  # by half an hour
        ("Asia/Kolkata", datetime(2026, 11, 26, 12, tzinfo=UTC)),  # +5:30 all year
    ],
)
def test_a_file_writes_moments_across_a_change_of_offset_second_by_second(
    zone: str, around: datetime
) -> None:
    write = FullMoments(ZoneInfo(zone))
    moments = [around + timedelta(seconds=s) for s in range(-3600, 3600, 7)]
    moments.append(datetime(2026, 11, 26, 12, tzinfo=ZoneInfo("Asia/Tokyo")))  # not in UTC
    assert [write(m) for m in moments] == [
        as_strftime_writes_it(m, ZoneInfo(zone)) for m in moments
    ]
