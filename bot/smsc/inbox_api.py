"""The SMSC inbox over HTTP: one request, one parsed reply, errors as `SmscError`s.

`SmscClient` is the bridge's `bot.core.inbox.Inbox`: `fetch_after` gives the poller a page,
`fetch_inbox` gives `check` the raw reply. Credentials go in the POST body, never in the
URL: httpx logs request URLs, and a URL is what proxies and error messages repeat. Nor
do they ever go anywhere but SMSC_BASE_URL: a redirect is not followed (`SmscRedirected`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx

from bot import __version__
from bot.core.inbox import InboxPage
from bot.smsc.credentials import SmscCredentials
from bot.smsc.errors import (
    TIMED_OUT,
    SmscRedirected,
    SmscUnavailable,
    not_its_api,
    redirect_target,
)
from bot.smsc.responses import InboxReply, parse_inbox_reply, preview

INBOX_PATH = "/sys/get.php"
MAX_PAGE_SIZE = 10000  # the most SMSC gives in one reply
# A catch-up asks for pages of 5,000. Each page is stored in one transaction, and the
# messages' index by sender takes its rows all over the index: a larger page writes each
# of those index pages once for more SMS. Raw storing of 200,000 SMS took 13.8 s in pages
# of 1,000, 10.3 s in pages of 5,000 and 9.4 s in pages of 10,000; a page of 5,000 costs
# the bridge about 10 MB more at its peak, one of 10,000 about 22 MB (docs/benchmarks.md).
PAGE_SIZE = 5000
REQUEST_TIMEOUT = httpx.Timeout(20.0, connect=10.0)


class SmscClient:
    """Reads the inbox of one SMSC account (a `bot.core.inbox.Inbox`)."""

    def __init__(
        self,
        base_url: str,
        credentials: SmscCredentials,
        zone: ZoneInfo,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._auth = credentials.form()
        self._zone = zone
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=REQUEST_TIMEOUT,
            headers={"User-Agent": f"sms-bridge/{__version__}"},
            transport=transport,
            follow_redirects=False,  # a redirect would post the credentials elsewhere
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def fetch_after(self, cursor: int | None, *, hours: int) -> InboxPage:
        """A page of SMS after `cursor`; a full page means another may follow."""
        reply = await self.fetch_inbox(after_id=cursor, hours=hours, count=PAGE_SIZE)
        return InboxPage(
            records=reply.records,
            problems=reply.problems,
            next_cursor=reply.max_id,
            more=reply.item_count >= PAGE_SIZE,
        )

    async def fetch_inbox(
        self, *, after_id: int | None = None, hours: int | None = None, count: int = PAGE_SIZE
    ) -> InboxReply:
        """One page of incoming SMS: IDs above `after_id`, received within `hours`."""
        form = {
            "get_answers": "1",
            "fmt": "3",
            "charset": "utf-8",
            "cnt": str(min(count, MAX_PAGE_SIZE)),
            **self._auth,
        }
        if after_id is not None:
            form["after_id"] = str(after_id)
        if hours is not None:
            form["hour"] = str(hours)
        try:
            response = await self._http.post(INBOX_PATH, data=form)
        except httpx.TimeoutException as exc:
            raise SmscUnavailable(f"timed out ({type(exc).__name__})", TIMED_OUT) from None
        except httpx.HTTPError as exc:
            raise SmscUnavailable(f"request failed ({type(exc).__name__})") from None
        if response.is_redirect:
            where = redirect_target(str(response.request.url), response.headers.get("location"))
            raise SmscRedirected(response.status_code, where)
        if response.status_code != 200:
            status = response.status_code
            raise SmscUnavailable(
                f"HTTP {status}", not_its_api(status), detail=preview(response.content)
            )
        # Reading a full page takes a CPU-bound 0.1-0.2 s: in a thread, so chat commands
        # and the relay go on answering during a catch-up.
        return await asyncio.to_thread(
            parse_inbox_reply, response.content, self._zone, datetime.now(UTC)
        )
