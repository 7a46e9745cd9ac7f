"""A fake Telegram Bot API on 127.0.0.1 for the real python-telegram-bot to talk to.

It serves what the bridge uses (getMe, deleteWebhook, getUpdates with long polling,
sendMessage, sendDocument, setMyCommands, getChat, and getChatAdministrators for the
demo) and checks what Telegram checks: HTML that Telegram would refuse is refused with
400, texts over 4096 characters too, and a request to a chat still under a 429 ban is
recorded as a violation. Tests queue faults (429 with retry_after, 5xx, 403, chat
migration, an answer lost after the message was posted), inject chat commands from users,
and read back every message per chat.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import html
import json
import re
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TOKEN = "123456:FAKE-bot-token-abcdefghijklmnop"
CAPTION_LIMIT = 1024  # characters of a caption, after entity parsing
# Telegram's own words for an edit (text or buttons) to what the message shows already.
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
PHOTO_LIMIT = 10 * 1024 * 1024
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "SMS Bridge",
    "username": "sms_bridge_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "code", "pre", "blockquote", "tg-emoji",
}  # fmt: skip
# Telegram: pre and code contain no other entity (but `<pre><code class=...>`); a spoiler,
# like bold or italic, may contain a code.
_CONTAIN_NOTHING = {"code", "pre"}
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)((?:\s+[^<>]*)?)>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")


class HtmlRefused(ValueError):
    pass


def parse_telegram_html(text: str) -> str:
    """The plain text Telegram would show, or HtmlRefused as Telegram would answer 400."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            match = _TAG.match(text, i)
            if not match:
                raise HtmlRefused(f"can't parse entities: unexpected '<' at offset {i}")
            closing, name = match.group(1), match.group(2).lower()
            if name not in ALLOWED_TAGS:
                raise HtmlRefused(f'can\'t parse entities: Unsupported start tag "{name}"')
            if closing:
                if not stack or stack[-1] != name:
                    raise HtmlRefused(f"can't parse entities: unmatched end tag {name}")
                stack.pop()
            else:
                inside = stack[-1] if stack else None
                if inside in _CONTAIN_NOTHING and (inside, name) != ("pre", "code"):
                    raise HtmlRefused(f"can't parse entities: {name} inside {inside}")
                stack.append(name)
            i = match.end()
        elif ch == ">":
            raise HtmlRefused(f"can't parse entities: unexpected '>' at offset {i}")
        elif ch == "&":
            match = _ENTITY.match(text, i)
            if not match:
                raise HtmlRefused(f"can't parse entities: bare '&' at offset {i}")
            out.append(html.unescape(match.group()))
            i = match.end()
        else:
            out.append(ch)
            i += 1
    if stack:
        raise HtmlRefused(f"can't parse entities: unclosed tag {stack[-1]}")
    return "".join(out)


# A relayed SMS: the code in front if any, the sender in bold, the part number, ": ".
_RELAYED_HEAD = re.compile(  # a late SMS starts with its age: `⏳ 3 h 10 min old · `
    r"^(?:📩 |(?:⏳ [^<·]*? · )?🔑 (?:<tg-spoiler>)?<code>[^<]*</code>(?:</tg-spoiler>)? · "
    r"|⏳ [^<·]*? · )"
    r"<b>.*?</b>(?: \((\d+)/\d+\))?: "
)
# A list entry (digests, answers): the time and sender in bold, a note, ": ".
_ENTRY_HEAD = re.compile(r"^<b>.*?</b>[^:<]*: \n?")


def _json_param(value: Any) -> Any:
    """A structured parameter, sent as JSON text in a form or as JSON itself."""
    return json.loads(value) if isinstance(value, str) else value


def is_relayed_sms(plain: str) -> bool:
    return plain.startswith(("📩 ", "🔑 ", "⏳ "))


def relayed_text(html_text: str) -> str:
    """The SMS text inside a relayed message or a list entry, as the reader sees it."""
    head = _RELAYED_HEAD.match(html_text) or _ENTRY_HEAD.match(html_text)
    assert head is not None, html_text
    body = html_text[head.end() :]
    footer = body.rfind("\n\n<i>")
    if footer != -1 and body.endswith("</i>"):
        body = body[:footer]
    return parse_telegram_html(body)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class TgFault:
    """What the next sendMessage (to a chat, or to any chat) gets instead of success."""

    kind: str  # retry_after | status | forbidden | bad_request | migrate | lost_answer | delay
    value: Any = None


@dataclass
class SentMessage:
    chat_id: int
    message_id: int
    text: str  # as sent (HTML)
    plain: str  # as Telegram would show it
    parse_mode: str | None
    thread_id: int | None
    at: float  # time.monotonic()
    document: bytes | None = None
    reply_to: int | None = None  # the message it quotes (reply_parameters.message_id)
    markup: dict[str, Any] | None = None  # reply_markup as sent
    silent: bool = False  # disable_notification: shown without a notification sound
    kind: str = "text"  # text | document | photo (a photo's bytes are in `document`)
    filename: str | None = None  # a document's or photo's file name


@dataclass(frozen=True)
class Edit:
    chat_id: int
    message_id: int
    plain: str  # the message as it reads after the edit
    markup: dict[str, Any] | None
    at: float


@dataclass(frozen=True)
class Answer:
    """An answerCallbackQuery: the pop-up text, and how long after the press it came."""

    query_id: str
    text: str
    alert: bool
    after: float | None


@dataclass
class ApiRequest:
    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() when its whole body had arrived, before the fake read it


@dataclass
class FakeTelegram:
    token: str = TOKEN
    lock: threading.Condition = field(default_factory=threading.Condition)
    sent: list[SentMessage] = field(default_factory=list)
    requests: list[ApiRequest] = field(default_factory=list)
    faults: dict[int | None, deque[TgFault]] = field(default_factory=lambda: defaultdict(deque))
    banned_until: dict[int, float] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    chat_types: dict[int, str] = field(default_factory=dict)
    next_message_id: int = 1
    next_update_id: int = 1
    missing: set[str] = field(default_factory=set)  # methods answered 404, as partial servers do
    menus: dict[str, Any] = field(default_factory=dict)  # setMyCommands, by language_code
    edits: list[Edit] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)  # answerCallbackQuery
    presses: dict[str, float] = field(default_factory=dict)  # callback query ID -> when
    confirmed: int = 0  # updates below this ID were confirmed by a getUpdates offset
    # (messages, seconds): Telegram's group limit, enforced per group chat with a 429
    group_limit: tuple[int, float] | None = None
    group_sends: dict[int, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    administrators: dict[int, list[int]] = field(default_factory=dict)  # chat -> user IDs

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._port = 0
        self._connections: set[socket.socket] = set()

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> FakeTelegram:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # As a real server: an answer's headers and body are two writes, and with
                # Nagle's rule the body would wait for the client's delayed ACK (40 ms on
                # Linux), a delay of the fake that no bridge figure should carry.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with fake.lock:
                    fake._connections.add(self.connection)

            def finish(self) -> None:
                with fake.lock:
                    fake._connections.discard(self.connection)
                super().finish()

            def do_POST(self) -> None:
                fake._handle(self)

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening and cut open connections: "connection refused" until start()."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self.lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/bot"

    # -- test controls ------------------------------------------------------------------

    def fail_next(self, *faults: TgFault, chat_id: int | None = None) -> None:
        with self.lock:
            self.faults[chat_id].extend(faults)

    def messages(self, chat_id: int) -> list[SentMessage]:
        with self.lock:
            return [m for m in self.sent if m.chat_id == chat_id]

    def texts(self, chat_id: int) -> list[str]:
        return [m.plain for m in self.messages(chat_id)]

    def sms_texts(self, chat_id: int) -> list[str]:
        """The SMS texts relayed to a chat, in order, from single messages and digests.

        Parts of a long SMS are joined back; tests keep "\n\n" out of their SMS texts. A
        message sent as plain text (the bridge's last resort) is left out: read `texts`.
        """
        texts: list[str] = []
        for message in self.messages(chat_id):
            if message.parse_mode != "HTML":
                continue
            if message.plain.startswith("📦"):
                texts += [relayed_text(entry) for entry in message.text.split("\n\n")[1:]]
            elif is_relayed_sms(message.plain):
                part = _RELAYED_HEAD.match(message.text)
                assert part is not None
                if part.group(1) not in (None, "1") and texts:
                    texts[-1] += relayed_text(message.text)
                else:
                    texts.append(relayed_text(message.text))
        return texts

    def user_sends(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int = 777,
        chat_type: str | None = None,
        reply_to: SentMessage | None = None,
        name: str = "Operator",
    ) -> int:
        """A user writes `text` in a chat (replying to a bot message, if given): an update."""
        kind = chat_type or ("private" if chat_id > 0 else "supergroup")
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        if kind == "private":
            chat["first_name"] = "Operator"
        else:
            chat["title"] = f"Chat {chat_id}"
        message: dict[str, Any] = {
            "message_id": 0,
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": name},
            "text": text,
        }
        command = text.split()[0] if text.startswith("/") else None
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to is not None:
            message["reply_to_message"] = {
                "message_id": reply_to.message_id,
                "date": int(time.time()),
                "chat": chat,
                "from": BOT_USER,
                "text": reply_to.plain,
            }
        with self.lock:
            message["message_id"] = self._new_message_id()
            self.updates.append({"update_id": self.next_update_id, "message": message})
            self.next_update_id += 1
            self.lock.notify_all()
            return int(message["message_id"])

    def user_presses(
        self,
        message: SentMessage,
        *,
        user_id: int = 777,
        name: str = "Operator",
        data: str | None = None,
    ) -> str:
        """A user presses the (first) button of a message; returns the callback query ID."""
        if data is None:
            assert message.markup, "the message has no button"
            data = message.markup["inline_keyboard"][0][0]["callback_data"]
        kind = "private" if message.chat_id > 0 else "supergroup"
        with self.lock:
            query_id = f"q{self.next_update_id}"
            self.presses[query_id] = time.monotonic()
            self.updates.append(
                {
                    "update_id": self.next_update_id,
                    "callback_query": {
                        "id": query_id,
                        "from": {"id": user_id, "is_bot": False, "first_name": name},
                        "chat_instance": "fake",
                        "data": data,
                        "message": {
                            "message_id": message.message_id,
                            "date": int(time.time()),
                            "chat": {"id": message.chat_id, "type": kind, "title": "Chat"},
                            "from": BOT_USER,
                            "text": message.plain,
                        },
                    },
                }
            )
            self.next_update_id += 1
            self.lock.notify_all()
        return query_id

    def answer_to(self, query_id: str) -> Answer | None:
        with self.lock:
            return next((a for a in self.answers if a.query_id == query_id), None)

    def wait_for(self, predicate: Any, timeout: float = 20.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
                self.lock.wait(min(left, 0.1))

    # -- serving ------------------------------------------------------------------------

    def _new_message_id(self) -> int:
        self.next_message_id += 1
        return self.next_message_id

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = urlsplit(handler.path).path
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            self._answer(handler, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        method = path[len(prefix) :]
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        # Stamped before the body is parsed: decoding a file upload's form takes the fake
        # several milliseconds that no bridge figure should carry.
        arrived = time.monotonic()
        params, files = self._params(handler, body)
        with self.lock:
            self.requests.append(ApiRequest(method, params, arrived))
        endpoint = None if method in self.missing else getattr(self, f"_api_{method}", None)
        if endpoint is None:
            self._answer(handler, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        endpoint(handler, params, files)

    @staticmethod
    def _params(
        handler: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[dict[str, Any], dict[str, bytes]]:
        kind = handler.headers.get("Content-Type", "")
        params: dict[str, Any] = dict(parse_qsl(urlsplit(handler.path).query))
        files: dict[str, bytes] = {}
        if kind.startswith("application/json") and body:
            params.update(json.loads(body))
        elif kind.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + kind.encode() + b"\r\n\r\n" + body
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                decoded = part.get_payload(decode=True)  # bytes for a part that is not multipart
                payload = decoded if isinstance(decoded, bytes) else b""
                if part.get_filename():
                    files[str(name)] = payload
                    params[f"{name}.filename"] = part.get_filename()
                else:
                    params[str(name)] = payload.decode("utf-8")
        elif body:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        return params, files

    def _answer(self, handler: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode("utf-8")
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _ok(self, handler: BaseHTTPRequestHandler, result: Any) -> None:
        self._answer(handler, 200, {"ok": True, "result": result})

    def _error(
        self, handler: BaseHTTPRequestHandler, status: int, text: str, **params: Any
    ) -> None:
        payload: dict[str, Any] = {"ok": False, "error_code": status, "description": text}
        if params:
            payload["parameters"] = params
        self._answer(handler, status, payload)

    def _api_getMe(
        self, handler: BaseHTTPRequestHandler, params: dict[str, Any], files: Any
    ) -> None:
        self._ok(handler, BOT_USER)

    def _api_deleteWebhook(self, handler: BaseHTTPRequestHandler, params: Any, files: Any) -> None:
        self._ok(handler, True)

    def _api_setMyCommands(
        self, handler: BaseHTTPRequestHandler, params: dict[str, Any], files: Any
    ) -> None:
        commands = _json_param(params.get("commands"))
        with self.lock:
            self.menus[str(params.get("language_code") or "")] = commands
        self._ok(handler, True)

    def _api_getChat(
        self, handler: BaseHTTPRequestHandler, params: dict[str, Any], files: Any
    ) -> None:
        chat_id = int(params["chat_id"])
        self._ok(
            handler,
            {
                "id": chat_id,
                "type": "supergroup" if chat_id < 0 else "private",
                "title": f"Chat {chat_id}",
                "accent_color_id": 0,
                "max_reaction_count": 11,
            },
        )

    def _api_getChatAdministrators(
        self, handler: BaseHTTPRequestHandler, params: dict[str, Any], files: Any
    ) -> None:
        with self.lock:
            users = list(self.administrators.get(int(params["chat_id"]), []))
        owner = [
            {
                "status": "creator",
                "is_anonymous": False,
                "user": {"id": user, "is_bot": False, "first_name": f"Admin {user}"},
            }
            for user in users
        ]
        self._ok(handler, owner)

    def _api_getUpdates(
        self, handler: BaseHTTPRequestHandler, params: dict[str, Any], files: Any
    ) -> None:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 2.0)  # short polls keep tests snappy
        deadline = time.monotonic() + timeout
        with self.lock:
            # As Telegram: an offset confirms every update below it, for good, so a restarted
            # bot gets only what the last one had not confirmed.
            self.confirmed = max(self.confirmed, offset)
            offset = self.confirmed
            while True:
                ready = [u for u in self.updates if u["update_id"] >= offset]
                left = deadline - time.monotonic()
                if ready or left <= 0:
                    break
                self.lock.wait(left)
        self._ok(handler, ready)

    def _api_sendMessage(
        self, handler: BaseHTTPRequestHandler, params: dict[str, Any], files: Any
    ) -> None:
        self._post(handler, params, None)

    def _api_sendDocument(
        self, handler: BaseHTTPRequestHandler, params: dict[str, Any], files: dict[str, bytes]
    ) -> None:
        self._post(handler, params, files.get("document", b""), "document")

    def _api_sendPhoto(
        self, handler: BaseHTTPRequestHandler, params: dict[str, Any], files: dict[str, bytes]
    ) -> None:
        """Telegram takes a JPEG, PNG or WebP of at most 10 MB as a photo."""
        photo = files.get("photo", b"")
        if not photo.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8", b"RIFF")):
            self._error(handler, 400, "Bad Request: IMAGE_PROCESS_FAILED")
            return
        if len(photo) > PHOTO_LIMIT:
            self._error(handler, 400, "Bad Request: PHOTO_SAVE_FILE_INVALID")
            return
        self._post(handler, params, photo, "photo")

    def _post(
        self,
        handler: BaseHTTPRequestHandler,
        params: dict[str, Any],
        document: bytes | None,
        kind: str = "text",
    ) -> None:
        chat_id = int(params["chat_id"])
        thread = int(params["message_thread_id"]) if params.get("message_thread_id") else None
        text = str(params.get("text") if document is None else params.get("caption", ""))
        now = time.monotonic()
        fault = self._next_fault(chat_id, now)
        if fault is not None and fault.kind not in ("lost_answer", "delay"):
            self._apply(handler, fault, chat_id)
            return
        parse_mode = params.get("parse_mode")
        try:
            plain = parse_telegram_html(text) if parse_mode == "HTML" else text
        except HtmlRefused as refusal:
            with self.lock:
                self.refused.append(str(refusal))
            self._error(handler, 400, f"Bad Request: {refusal}")
            return
        if document is None and not plain.strip():
            self._error(handler, 400, "Bad Request: message text is empty")
            return
        if document is not None and utf16_length(plain) > CAPTION_LIMIT:
            with self.lock:
                self.refused.append("message caption is too long")
            self._error(handler, 400, "Bad Request: message caption is too long")
            return
        if document is None and utf16_length(plain) > 4096:
            with self.lock:
                self.refused.append("message is too long")
            self._error(handler, 400, "Bad Request: message is too long")
            return
        quoted = _json_param(params.get("reply_parameters"))
        with self.lock:
            message = SentMessage(
                chat_id,
                self._new_message_id(),
                text,
                plain,
                parse_mode,
                thread,
                now,
                document,
                reply_to=int(quoted["message_id"]) if quoted else None,
                markup=_json_param(params.get("reply_markup")),
                silent=_json_param(params.get("disable_notification", False)) is True,
                kind=kind,
                filename=params.get(f"{kind}.filename"),
            )
            self.sent.append(message)
            self.lock.notify_all()
        if fault is not None and fault.kind == "lost_answer":
            handler.close_connection = True
            handler.connection.shutdown(2)  # posted, but the answer never arrives
            return
        if fault is not None and fault.kind == "delay":
            time.sleep(float(fault.value))
        result: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "supergroup" if chat_id < 0 else "private"},
            "from": BOT_USER,
            "text": plain,
        }
        if thread is not None:
            result["message_thread_id"] = thread
            result["is_topic_message"] = True
        self._ok(handler, result)

    def _next_fault(self, chat_id: int, now: float) -> TgFault | None:
        """Record a request made during a ban; the fault this request gets, if any."""
        with self.lock:
            until = self.banned_until.get(chat_id)
            if until is not None and now < until:
                self.violations.append(
                    f"chat {chat_id}: request {until - now:.3f} s before retry_after"
                )
            queue = self.faults.get(chat_id) or self.faults.get(None)
            fault = queue.popleft() if queue else None
            if fault is None and chat_id < 0 and self.group_limit is not None:
                fault = self._group_limit_fault(chat_id, now)
        return fault

    def _api_editMessageText(
        self, handler: BaseHTTPRequestHandler, params: dict[str, Any], files: Any
    ) -> None:
        """Edits count against a chat's limits like sends, and must change something."""
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        now = time.monotonic()
        fault = self._next_fault(chat_id, now)
        if fault is not None and fault.kind not in ("lost_answer", "delay"):
            self._apply(handler, fault, chat_id)
            return
        text = str(params.get("text", ""))
        try:
            plain = parse_telegram_html(text) if params.get("parse_mode") == "HTML" else text
        except HtmlRefused as refusal:
            with self.lock:
                self.refused.append(str(refusal))
            self._error(handler, 400, f"Bad Request: {refusal}")
            return
        markup = _json_param(params.get("reply_markup"))
        with self.lock:
            found = [m for m in self.sent if m.chat_id == chat_id and m.message_id == message_id]
            if not found:
                self._error(handler, 400, "Bad Request: message to edit not found")
                return
            message = found[0]
            if (message.text, message.markup) == (text, markup):
                self._error(handler, 400, NOT_MODIFIED)
                return
            if utf16_length(plain) > 4096:
                self.refused.append("edited message is too long")
                self._error(handler, 400, "Bad Request: MESSAGE_TOO_LONG")
                return
            message.text, message.plain, message.markup = text, plain, markup
            self.edits.append(Edit(chat_id, message_id, plain, markup, now))
            self.lock.notify_all()
        self._ok(
            handler,
            {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "supergroup"},
                "text": plain,
            },
        )

    def _api_answerCallbackQuery(
        self, handler: BaseHTTPRequestHandler, params: dict[str, Any], files: Any
    ) -> None:
        with self.lock:
            query = str(params["callback_query_id"])
            pressed = self.presses.get(query)
            self.answers.append(
                Answer(
                    query,
                    str(params.get("text") or ""),
                    str(params.get("show_alert")).lower() == "true",
                    time.monotonic() - pressed if pressed is not None else None,
                )
            )
            self.lock.notify_all()
        self._ok(handler, True)

    def _group_limit_fault(self, chat_id: int, now: float) -> TgFault | None:
        """A 429 when this group already had its fill within the window (lock held)."""
        assert self.group_limit is not None
        most, period = self.group_limit
        sends = self.group_sends[chat_id]
        while sends and now - sends[0] >= period:
            sends.popleft()
        if len(sends) >= most:
            return TgFault("retry_after", round(sends[0] + period - now + 0.005, 2))
        sends.append(now)
        return None

    def _apply(self, handler: BaseHTTPRequestHandler, fault: TgFault, chat_id: int) -> None:
        if fault.kind == "retry_after":
            with self.lock:
                self.banned_until[chat_id] = time.monotonic() + float(fault.value)
            self._error(
                handler,
                429,
                f"Too Many Requests: retry after {fault.value}",
                retry_after=fault.value,
            )
        elif fault.kind == "status":
            self._error(handler, int(fault.value), "Bad Gateway")
        elif fault.kind == "forbidden":
            self._error(handler, 403, "Forbidden: bot was kicked from the supergroup chat")
        elif fault.kind == "bad_request":
            self._error(handler, 400, f"Bad Request: {fault.value}")
        elif fault.kind == "migrate":
            self._error(
                handler,
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=int(fault.value),
            )
        else:
            raise ValueError(fault.kind)
