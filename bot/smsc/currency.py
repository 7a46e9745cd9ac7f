"""Which currency an SMSC account pays in, from the site it belongs to. Pure.

SMSC answers prices and balances as bare numbers (`"1871.62"`) in the account's currency,
and an account lives on one national site: smsc.ru bills in roubles, smsc.kz in tenge,
smsc.ua in hryvnias. Any other address (smscentre.com, a test server) says nothing
certain, so amounts are then shown as numbers without a currency rather than a guess.
"""

from __future__ import annotations

from urllib.parse import urlsplit

_BY_SITE = {"smsc.ru": "RUB", "smsc.kz": "KZT", "smsc.ua": "UAH"}


def account_currency(base_url: str) -> str | None:
    """The ISO code of the currency SMSC_BASE_URL's site bills in, or None when unknown."""
    host = (urlsplit(base_url).hostname or "").lower()
    for site, currency in _BY_SITE.items():
        if host == site or host.endswith("." + site):
            return currency
    return None
