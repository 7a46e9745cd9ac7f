"""The push endpoint: SMSC's incoming-SMS callback, taken as a hint to poll now.

SMSC can call a URL of ours when an SMS arrives; what the call holds, and whether it is
signed, is not confirmed (see smsc-api.md). So nothing in a call is read or trusted: a
GET or POST on PUSH_PATH answers 200 with an empty body at once and sets the poller's hint,
and the poller fetches through `get_answers` exactly as on its timer. However many calls
come, they set one flag; the poller paces its polls (`bot.intake.poll_pacing`), so calls,
forged or flooding, can make the bridge poll sooner and nothing else: never break SMSC's
rule, never delay the timer. Polling stays the truth for any call that never comes.

The path is the endpoint's only secret: any other path is 404 and wakes nothing, and the
path never appears in a log line (aiohttp's access log is off, and `Settings.secrets`
blanks it out of every line). A body is read, so the connection stays usable, up to
MAX_BODY bytes: a larger one is refused with 413, and one slower than BODY_TIMEOUT with
408; neither wakes the poller.

Served by aiohttp on the bridge's own event loop; `bot.app.lifecycle` binds it before the database
opens, so a busy port ends the start with one line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web

log = logging.getLogger(__name__)

MAX_BODY = 8 * 1024  # bytes: a 1,000-character Cyrillic SMS, URL-encoded, still fits
BODY_TIMEOUT = 10.0  # seconds for a body to arrive
SHUTDOWN_GRACE = 1.0  # seconds for open connections at shutdown


class PushEndpoint:
    """Answers calls on the secret path with 200 and a hint; everything else with 404."""

    def __init__(self, host: str, port: int, path: str, on_hint: Callable[[], None]) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        for method in ("GET", "POST"):
            app.router.add_route(method, path, self._hint)
        self._on_hint = on_hint
        self._host, self._port = host, port
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_GRACE)
        self._listening = False

    async def start(self) -> None:
        """Listen; raises OSError when the address cannot be bound (a busy port)."""
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self._host, self._port).start()
        except BaseException:
            await self._runner.cleanup()
            raise
        self._listening = True

    @property
    def port(self) -> int:
        """The port listened on (the one asked for, or the one given for port 0)."""
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._listening:
            self._listening = False
            await self._runner.cleanup()

    async def _hint(self, request: web.Request) -> web.Response:
        """A call on the secret path: read nothing from it, wake the poller, answer at once."""
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise web.HTTPRequestEntityTooLarge(MAX_BODY, request.content_length)
        try:
            async with asyncio.timeout(BODY_TIMEOUT):
                body = await request.read()  # beyond client_max_size: 413
        except TimeoutError:
            raise web.HTTPRequestTimeout() from None
        self._on_hint()
        log.debug("push hint: a %s call with %d bytes, left unread", request.method, len(body))
        return web.Response()
