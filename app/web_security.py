"""Who may reach the web app, and who may change the knowledge base through it.

The Gradio app is mounted in a FastAPI app of ours (`gr.mount_gradio_app`), so that these
checks run before Gradio sees a request:

- Host must name this server: a DNS-rebinding page (evil.example resolving to 127.0.0.1)
  gets nothing. Which names: the loopback names when the app listens on loopback, the
  listening address otherwise, plus `KB_ALLOWED_HOSTS` (the names a reverse proxy passes on).
- Origin, when a browser sends one, must be the page's own: another site or another local
  web page can neither read nor write. CORS allows no other origin (Starlette's
  CORSMiddleware with an empty list; Gradio then leaves out its own localhost-wide CORS).
- Request bodies are limited before they are read: a file upload to the file size limit (by
  its Content-Length), everything else to BODY_LIMIT (Starlette's RequestBodyLimitMiddleware).
- Uploads (Gradio's /gradio_api/upload) need write permission and fit a per-client quota.
- Writes: with `KB_ADMIN_PASSWORD` set, the password (attempts slowed down and locked out per
  client, and logged); without it, only a request that truly comes from this machine, with
  this server's own Host and Origin, and not through a proxy. A forwarder on another port, a
  proxy that says so, another local page: all refused.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import math
import secrets
import signal
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import gradio as gr
from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from gradio import http_server
from gradio.route_utils import API_PREFIX
from starlette.middleware import Middleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocketClose

from kb.config import Settings

log = logging.getLogger(__name__)

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
DEFAULT_PORTS = {"http": 80, "https": 443}
# Set by a reverse proxy: such a request is not from this machine, whatever its address says.
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")

BODY_LIMIT = 2 * 1024 * 1024          # any request but a file upload (a question is 500 chars)
MULTIPART_OVERHEAD = 64 * 1024        # an upload's form fields and boundaries
UPLOAD_PATHS = frozenset({f"{API_PREFIX}/upload", f"{API_PREFIX}/process_recording"})
UNLOCK_PATH = "/kb/unlock"            # admin password -> upload cookie
UNLOCK_COOKIE = "kb_writer"
UNLOCK_SECONDS = 8 * 3600


def is_loopback(host: str) -> bool:
    host = (host or "").strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_port(value: str, default_port: int = 80) -> tuple[str, int] | None:
    """('name', port) of a Host header value, None when it is not one."""
    try:
        parts = urlsplit("//" + (value or "").strip())
        name, port = parts.hostname, parts.port
    except ValueError:
        return None
    return (name, port or default_port) if name else None


# -- password attempts ------------------------------------------------------------------

class PasswordAttempts:
    """Wrong admin passwords, per client. The first FREE failures cost nothing; after that
    each further attempt is heard only after a wait that doubles (1 s, 2 s, 4 s …); LOCK_AFTER
    failures within WINDOW lock the client out for LOCK_SECONDS. All clients together may
    fail GLOBAL_LOCK_AFTER times per WINDOW (client addresses can be forged behind a proxy)."""

    FREE = 5
    MAX_WAIT = 300.0
    LOCK_AFTER = 10
    LOCK_SECONDS = 15 * 60.0
    WINDOW = 15 * 60.0
    GLOBAL_LOCK_AFTER = 50

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.failures: dict[str, deque[float]] = defaultdict(deque)
        self.all_failures: deque[float] = deque()
        self.locked_until: dict[str, float] = {}
        self.lock = threading.Lock()

    def check(self, client: str, given: str, expected: str) -> tuple[bool, str]:
        """(accepted, reason). A refused attempt during a wait or a lockout is not compared."""
        with self.lock:
            now = self.clock()
            self._forget(now)
            fails = self.failures[client]
            if len(self.all_failures) >= self.GLOBAL_LOCK_AFTER:
                wait = self.all_failures[0] + self.WINDOW - now
                log.info("admin password from %s refused: all clients locked out", client)
                return False, f"管理员口令错误次数过多，写入已暂停，请 {_minutes(wait)} 分钟后再试。"
            if self.locked_until.get(client, 0.0) > now:
                wait = self.locked_until[client] - now
                log.info("admin password from %s refused: client locked out", client)
                return False, f"管理员口令连续错误次数过多，已锁定，请 {_minutes(wait)} 分钟后再试。"
            if len(fails) >= self.FREE:
                wait = fails[-1] + min(2.0 ** (len(fails) - self.FREE), self.MAX_WAIT) - now
                if wait > 0:
                    log.info("admin password from %s refused: too soon after a failure", client)
                    return False, f"口令尝试过于频繁，请 {math.ceil(wait)} 秒后再试。"
            if hmac.compare_digest(given.encode(), expected.encode()):
                fails.clear()
                return True, ""
            fails.append(now)
            self.all_failures.append(now)
            log.warning("wrong admin password from %s (%d in %d min)", client, len(fails),
                        int(self.WINDOW // 60))
            if len(self.all_failures) == self.GLOBAL_LOCK_AFTER:
                log.warning("all clients locked out: %d wrong admin passwords in %d min",
                            self.GLOBAL_LOCK_AFTER, int(self.WINDOW // 60))
            if len(fails) >= self.LOCK_AFTER:
                self.locked_until[client] = now + self.LOCK_SECONDS
                log.warning("client %s locked out for %d min after %d wrong admin passwords",
                            client, int(self.LOCK_SECONDS // 60), len(fails))
            return False, "管理员口令不正确，未执行写入操作。"

    def _forget(self, now: float) -> None:
        for times in [*self.failures.values(), self.all_failures]:
            while times and times[0] <= now - self.WINDOW:
                times.popleft()
        for client in [c for c, t in self.failures.items() if not t]:
            del self.failures[client]
        for client in [c for c, t in self.locked_until.items() if t <= now]:
            del self.locked_until[client]


def _minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


# -- uploads ------------------------------------------------------------------------------

class UploadQuota:
    """Per client within WINDOW: at most COUNT uploads and `total_bytes` bytes; all clients
    together GLOBAL_FACTOR times that. Sizes are counted as announced (Content-Length)."""

    WINDOW = 10 * 60.0
    COUNT = 20
    GLOBAL_FACTOR = 4

    def __init__(self, total_bytes: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.total_bytes = total_bytes
        self.clock = clock
        self.taken: dict[str, deque[tuple[float, int]]] = defaultdict(deque)
        self.lock = threading.Lock()

    def take(self, client: str, size: int) -> str:
        """"" when the upload fits (and is counted), else the reason it does not."""
        with self.lock:
            now = self.clock()
            for times in self.taken.values():
                while times and times[0][0] <= now - self.WINDOW:
                    times.popleft()
            mine, everyone = self.taken[client], self.taken["*"]
            limits = ((mine, self.COUNT, self.total_bytes),
                      (everyone, self.COUNT * self.GLOBAL_FACTOR, self.total_bytes * self.GLOBAL_FACTOR))
            for taken, count, total in limits:
                if len(taken) + 1 > count or sum(s for _, s in taken) + size > total:
                    log.warning("upload of %d bytes from %s refused: quota of %d files / %.4g MB per "
                                "%d min used", size, client, count, total / 2**20, self.WINDOW // 60)
                    return (f"上传过于频繁：每 {int(self.WINDOW // 60)} 分钟最多上传 {count} 个文件、"
                            f"共 {total / 2**20:.4g} MB，请稍后再试。")
            mine.append((now, size))
            everyone.append((now, size))
            return ""


# -- the guard ----------------------------------------------------------------------------

class WebGuard:
    """The checks above for one server (its settings), with their state: password attempts,
    upload quota, the upload cookies handed out."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self.attempts = PasswordAttempts(clock)
        self.uploads = UploadQuota(5 * settings.max_file_bytes, clock)
        self.upload_body_limit = settings.max_file_bytes + MULTIPART_OVERHEAD
        self.unlocked: dict[str, float] = {}     # upload cookie -> expiry
        self.lock = threading.Lock()

    # ---------------------------------------------------------------- who is asking
    def host_names(self) -> frozenset[str] | None:
        """The names this server answers to; None = any (wildcard address, none configured)."""
        names = {h.lower() for h in self.settings.allowed_hosts}
        bound = self.settings.host.strip("[]").lower()
        if is_loopback(bound):
            return frozenset(names | LOOPBACK_NAMES)
        if bound in WILDCARD_HOSTS:
            return frozenset(names | LOOPBACK_NAMES) if names else None
        return frozenset(names | {bound})

    def host_allowed(self, host_header: str) -> bool:
        names = self.host_names()
        parsed = _host_port(host_header)
        return parsed is not None and (names is None or parsed[0] in names)

    @staticmethod
    def same_origin(origin: str, conn: HTTPConnection) -> bool:
        """The browser's Origin is the host the request was sent to (Host, or the
        X-Forwarded-Host a proxy passes on: a page elsewhere cannot set that header, as
        custom headers need a CORS preflight, which is refused)."""
        parts = urlsplit(origin or "")
        if parts.scheme not in DEFAULT_PORTS:
            return False
        try:
            wanted = (parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme])
        except ValueError:
            return False
        sent_to = [conn.headers.get("host", ""), conn.headers.get("x-forwarded-host", "").split(",")[0]]
        return any(_host_port(h, DEFAULT_PORTS[parts.scheme]) == wanted for h in sent_to if h)

    def is_local(self, conn: HTTPConnection) -> bool:
        """From this machine, straight to this server's own address and port, not through a
        proxy, and (from a browser) from this server's own page."""
        if not is_loopback(self.settings.host):
            return False
        if not conn.client or not is_loopback(conn.client.host):
            return False
        if any(h in conn.headers for h in PROXY_HEADERS):
            return False
        parsed = _host_port(conn.headers.get("host", ""))
        if parsed is None or parsed[0] not in LOOPBACK_NAMES or parsed[1] != self.settings.port:
            return False
        origin = conn.headers.get("origin")
        return origin is None or self.same_origin(origin, conn)

    @staticmethod
    def client_of(conn: HTTPConnection | None) -> str:
        return conn.client.host if conn is not None and conn.client else "unknown"

    # ---------------------------------------------------------------- writes
    def write_permission(self, password: str | None, conn: HTTPConnection | None) -> tuple[bool, str]:
        """(allowed, reason) for an import or a removal. `conn`: the request (gr.Request)."""
        if self.settings.admin_password:
            if not password:
                return False, "请先输入管理员口令，未执行写入操作。"
            return self.attempts.check(self.client_of(conn), password, self.settings.admin_password)
        if not is_loopback(self.settings.host):
            return False, ("未设置管理员口令（KB_ADMIN_PASSWORD），而服务对外开放："
                           "为安全起见，上传和删除已禁用。")
        if conn is not None and self.is_local(conn):
            return True, ""
        headers = conn.headers if conn is not None else {}
        log.warning("write without a password refused: %s is not a direct local request "
                    "(Host %r, Origin %r)", self.client_of(conn), headers.get("host"), headers.get("origin"))
        return False, ("未设置管理员口令（KB_ADMIN_PASSWORD）：只接受在本机直接打开本服务时的上传和删除，"
                       "经转发、代理或其他网页发来的写入请求已拒绝。")

    def upload_permission(self, conn: HTTPConnection) -> str:
        """"" when `conn` may upload a file, else the reason it may not."""
        if self.settings.admin_password:
            with self.lock:
                expiry = self.unlocked.get(conn.cookies.get(UNLOCK_COOKIE, ""), 0.0)
            if expiry > self.clock():
                return ""
            return ("上传文件需要管理员口令：请先在“管理员口令”框中输入正确的口令"
                    "（输入后按回车或点击别处），再选择文件。")
        ok, why = self.write_permission(None, conn)
        return "" if ok else why

    async def unlock(self, request: Request, password: str = Body("", embed=True)) -> Response:
        """POST {"password": …}: the right password gets an upload cookie (HttpOnly, this site only)."""
        if not self.settings.admin_password:
            return JSONResponse({"detail": "未设置管理员口令。"}, status_code=404)
        ok, why = self.write_permission(password, request)
        if not ok:
            return JSONResponse({"detail": why}, status_code=403)
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.lock:
            self.unlocked = {t: e for t, e in self.unlocked.items() if e > now}
            self.unlocked[token] = now + UNLOCK_SECONDS
        response = Response(status_code=204)
        response.set_cookie(UNLOCK_COOKIE, token, max_age=UNLOCK_SECONDS, httponly=True,
                            samesite="strict", path="/")
        return response

    def unlock_uploads_with(self, password_box: gr.Textbox) -> None:
        """In the page: when the admin password is entered (Enter, or leaving the box), ask
        for the upload cookie, so that the file picked next may be uploaded."""
        js = (f"async (password) => {{ if (password) await fetch('{UNLOCK_PATH.lstrip('/')}', "
              "{method: 'POST', headers: {'Content-Type': 'application/json'}, "
              "body: JSON.stringify({password}), credentials: 'same-origin'}); }")
        for event in (password_box.submit, password_box.blur):
            event(None, password_box, None, js=js, api_visibility="private")

    # ---------------------------------------------------------------- every request
    def refusal(self, conn: HTTPConnection) -> tuple[int, str] | None:
        """(status, message) when the request is refused before Gradio sees it."""
        host = conn.headers.get("host", "")
        if not self.host_allowed(host):
            log.warning("request from %s refused: foreign Host %r", self.client_of(conn), host)
            return 400, "拒绝访问：请求的主机名（Host）不是本服务的地址。"
        origin = conn.headers.get("origin")
        if origin is not None and not self.same_origin(origin, conn):
            log.warning("request from %s refused: foreign Origin %r", self.client_of(conn), origin)
            return 403, "拒绝访问：来自其他网页的请求（Origin 与本服务不符）。"
        if conn.scope["type"] == "http" and conn.scope["method"] == "POST" and self.is_upload(conn):
            why = self.upload_permission(conn)
            if why:
                return 403, why
            length = conn.headers.get("content-length", "")
            if not length.isdigit():
                return 411, "上传请求须注明大小（Content-Length）。"
            if int(length) > self.upload_body_limit:
                return 413, f"上传的文件超过 {self.settings.max_file_bytes // 2**20} MB 的上限。"
            why = self.uploads.take(self.client_of(conn), int(length))
            if why:
                return 429, why
        return None

    @staticmethod
    def is_upload(conn: HTTPConnection) -> bool:
        return conn.url.path.rstrip("/") in UPLOAD_PATHS

    # ---------------------------------------------------------------- serving
    def app(self, demo: gr.Blocks, **options: Any) -> FastAPI:
        """The Gradio app `demo` mounted behind the checks; `options`: as for demo.launch()."""
        app = FastAPI(middleware=[Middleware(_Gate, guard=self),
                                  Middleware(CORSMiddleware, allow_origins=[])],
                      docs_url=None, redoc_url=None, openapi_url=None)
        app.add_api_route(UNLOCK_PATH, self.unlock, methods=["POST"])
        return gr.mount_gradio_app(app, demo, path="/", server_name=self.settings.host,
                                   server_port=self.settings.port, ssr_mode=False, **options)

    def start(self, demo: gr.Blocks, **options: Any) -> RunningServer:
        """Serve `demo` behind the checks, in a background thread (Gradio's own server)."""
        _, _, url, server = http_server.start_server(self.app(demo, **options),
                                                     server_name=self.settings.host,
                                                     server_port=self.settings.port)
        return RunningServer(url=url, server=server)


class _Gate:
    """ASGI middleware: WebGuard.refusal() for every request, then the body limit (an
    upload's own limit is checked on its Content-Length, which the server holds it to)."""

    def __init__(self, app, guard: WebGuard) -> None:
        self.app = app
        self.guard = guard
        self.limited = RequestBodyLimitMiddleware(app, BODY_LIMIT)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        refused = self.guard.refusal(conn)
        if refused and scope["type"] == "websocket":
            await WebSocketClose(code=1008, reason=refused[1])(scope, receive, send)
        elif refused:
            await PlainTextResponse(refused[1], status_code=refused[0])(scope, receive, send)
        elif scope["type"] == "http" and self.guard.is_upload(conn):
            await self.app(scope, receive, send)
        else:
            await self.limited(scope, receive, send)


@dataclass
class RunningServer:
    url: str
    server: http_server.Server

    def close(self) -> None:
        self.server.close()


def run_until_stopped(start: Callable[[], RunningServer]) -> None:
    """Start the server and serve until Ctrl-C or SIGTERM. Both end the process normally,
    so its cleanups (atexit: the export folder) run."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    running = None
    try:
        running = start()
        print(f"网页应用已启动：{running.url}（按 Ctrl+C 停止）", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("网页应用已停止。", flush=True)
    finally:
        if running is not None:
            running.close()
