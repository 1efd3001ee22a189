"""Who may reach the web app and change the knowledge base (app/web_security.py).

The real app is started on a free 127.0.0.1 port (app.web.start, as `kb serve` does) over a
knowledge base in a temp dir, and attacked as the probe of issue 13 did: forged Host and
Origin headers, a TCP forwarder on another port, a cross-origin preflight, 200 wrong
passwords, many uploads, a 150 MB body. Nothing listens or connects beyond 127.0.0.1.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from gradio.utils import get_upload_folder
from gradio_client import Client, handle_file
from starlette.requests import Request

from app import web
from app.web_security import (UNLOCK_COOKIE, UNLOCK_PATH, PasswordAttempts, UploadQuota,
                              WebGuard)
from kb.api import KnowledgeBase
from kb.config import REPO_ROOT
from tests.conftest import NOTICE

PASSWORD = "s3cret-口令"
SMALL_FILE = 256 * 1024          # the password server's file limit: quotas are reached fast
UPLOAD_API = "/gradio_api/upload"
ATTACK_DOC = "# 越权导入测试文件\n\n## 一、内容\n\n越权导入测试县每年培训教师999人。\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def kb(tmp_path_factory) -> KnowledgeBase:
    src = tmp_path_factory.mktemp("notice-src")
    (src / "蓝莓通知.txt").write_text(NOTICE, encoding="utf-8")
    kb = KnowledgeBase.open(tmp_path_factory.mktemp("web-security-kb"))
    kb.ingest([src])
    return kb


class Clock:
    """The password server's time: frozen, moved on by the tests."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _start(kb: KnowledgeBase, clock=None, **overrides):
    settings = dataclasses.replace(kb.settings, host="127.0.0.1", port=free_port(), **overrides)
    return web.start(kb, settings, WebGuard(settings, clock) if clock else None)


@pytest.fixture(scope="module")
def open_server(kb):
    """No admin password: writes only for this machine's own page."""
    running = _start(kb, admin_password="")
    yield running
    running.close()


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def password_server(kb, clock):
    running = _start(kb, clock, admin_password=PASSWORD, max_file_bytes=SMALL_FILE)
    yield running
    running.close()


@pytest.fixture(scope="module")
def attack_doc(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("attack") / "越权导入测试文件.md"
    path.write_text(ATTACK_DOC, encoding="utf-8")
    return path


def doc_ids(kb: KnowledgeBase) -> set[str]:
    return {d.doc_id for d in kb.documents()}


def try_write(url: str, api: str, *args, headers: dict | None = None) -> str:
    """Call a write endpoint through Gradio's own client, as the page would (the library
    tab loaded first: the remove picker only takes listed documents); its message, or why
    it failed."""
    try:
        client = Client(url, headers=headers or {}, verbose=False)
        client.predict(api_name="/library_data")
        return str(client.predict(*args, api_name=api))
    except Exception as e:   # noqa: BLE001 - a refusal may come as any client error
        return f"refused: {type(e).__name__}: {e}"


class Forwarder:
    """A plain TCP forwarder (as socat would be) from a free loopback port to `port`."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                inbound, _ = self.listener.accept()
            except OSError:
                return
            outbound = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((inbound, outbound), (outbound, inbound)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()


# -- item 5: no password means writes only from this machine's own page ------------------

def test_this_machines_own_page_may_write_without_a_password(open_server, kb, attack_doc):
    """The control for the attacks below: the same calls, made directly, do write."""
    before = doc_ids(kb)
    msg = try_write(open_server.url, "/upload", handle_file(str(attack_doc)), "",
                    headers={"Origin": open_server.url.rstrip("/")})
    assert "已导入" in msg, msg
    added = doc_ids(kb) - before
    assert len(added) == 1
    msg = try_write(open_server.url, "/remove", added.pop(), "")
    assert "已删除" in msg, msg
    assert doc_ids(kb) == before


@pytest.mark.parametrize("attack", ["dns-rebinding Host", "Host of another port", "Host without port",
                                    "other local page", "null Origin", "through a proxy"])
def test_forged_requests_cannot_write_without_a_password(open_server, kb, attack_doc, attack):
    port = int(open_server.url.rstrip("/").rsplit(":", 1)[1])
    headers = {"dns-rebinding Host": {"Host": f"kb.evil.example:{port}"},
               "Host of another port": {"Host": "127.0.0.1:1"},
               "Host without port": {"Host": "localhost"},
               "other local page": {"Origin": "http://localhost:9999"},
               "null Origin": {"Origin": "null"},
               "through a proxy": {"X-Forwarded-For": "203.0.113.9"}}[attack]
    before = doc_ids(kb)
    victim = next(iter(before))
    msg = try_write(open_server.url, "/upload", handle_file(str(attack_doc)), "", headers=headers)
    assert "已导入" not in msg
    msg = try_write(open_server.url, "/remove", victim, "", headers=headers)
    assert "已删除" not in msg
    assert doc_ids(kb) == before


def test_foreign_host_gets_nothing(open_server):
    """DNS rebinding: a page on kb.evil.example resolved to 127.0.0.1 cannot even read."""
    port = open_server.url.rstrip("/").rsplit(":", 1)[1]
    for host in (f"kb.evil.example:{port}", f"127.0.0.1.evil.example:{port}", "[::2]"):
        r = httpx.get(open_server.url + "config", headers={"Host": host})
        assert r.status_code == 400, host
        assert "Host" in r.text
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        assert httpx.get(open_server.url + "config", headers={"Host": host}).status_code == 200


def test_a_forwarder_on_another_port_may_read_but_not_write(open_server, kb, attack_doc):
    port = int(open_server.url.rstrip("/").rsplit(":", 1)[1])
    forwarder = Forwarder(port)
    try:
        url = f"http://127.0.0.1:{forwarder.port}/"
        chat = Client(url, verbose=False).predict("州财政局负责哪些任务？", [], api_name="/ask")[1]
        assert "加强经费保障" in str(chat[-1])     # reading through an ssh-style tunnel works
        before = doc_ids(kb)
        msg = try_write(url, "/upload", handle_file(str(attack_doc)), "")
        assert "已导入" not in msg
        refused = _upload(httpx.Client(), url, "forwarded.txt", 100)
        assert refused.status_code == 403 and "本机" in refused.text
        msg = try_write(url, "/remove", next(iter(before)), "")
        assert "已删除" not in msg
        assert doc_ids(kb) == before
    finally:
        forwarder.close()


def test_cors_allows_no_other_origin(open_server):
    url = open_server.url
    own = url.rstrip("/")
    for origin in ("http://localhost:9999", "http://127.0.0.1:1", "null", "https://evil.example"):
        pre = httpx.options(url + "gradio_api/queue/join",
                            headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                     "Access-Control-Request-Headers": "content-type"})
        assert "access-control-allow-origin" not in pre.headers, origin
        r = httpx.get(url + "config", headers={"Origin": origin})
        assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
    assert httpx.get(url + "config", headers={"Origin": own}).status_code == 200


# -- item 6: password attempts are slowed down and locked out per client, and logged -----

def test_200_wrong_passwords_are_slowed_down_locked_out_and_logged(password_server, kb, clock, caplog):
    url = password_server.url
    unlock = url + UNLOCK_PATH.lstrip("/")
    attacker = {"X-Forwarded-For": "198.51.100.7"}   # a client of its own (trusted from loopback)
    caplog.set_level(logging.INFO, logger="app.web_security")
    client = Client(url, headers=attacker, verbose=False)
    # 200 wrong passwords at once, as the probe sent them: 20 through the app's /remove, the
    # rest to the upload unlock; only the first few are even compared.
    answers = [client.predict(None, f"guess-{i}", api_name="/remove") for i in range(20)]
    with httpx.Client(headers=attacker) as http:
        answers += [http.post(unlock, json={"password": f"guess-{i}"}).text for i in range(20, 200)]
        assert sum("口令不正确" in a for a in answers) == PasswordAttempts.FREE
        assert sum("秒后再试" in a for a in answers) == 200 - PasswordAttempts.FREE
        assert http.post(unlock, json={"password": PASSWORD}).status_code == 403   # too soon
        # Waiting out each back-off buys one more guess, until the lockout.
        for extra in range(PasswordAttempts.LOCK_AFTER - PasswordAttempts.FREE):
            clock.now += 2 ** extra                  # 1, 2, 4 … seconds
            assert "口令不正确" in http.post(unlock, json={"password": "guess"}).text
        clock.now += 60
        right = http.post(unlock, json={"password": PASSWORD})
        assert right.status_code == 403 and "已锁定" in right.text and UNLOCK_COOKIE not in right.cookies
    before = doc_ids(kb)
    assert "已锁定" in try_write(url, "/remove", next(iter(before)), PASSWORD, headers=attacker)
    assert doc_ids(kb) == before
    logged = [r.getMessage() for r in caplog.records]
    assert sum("wrong admin password from 198.51.100.7" in m for m in logged) == PasswordAttempts.LOCK_AFTER
    assert any("client 198.51.100.7 locked out" in m for m in logged)
    # Another client is not held back; the attacker's lockout ends.
    other = httpx.post(unlock, json={"password": PASSWORD}, headers={"X-Forwarded-For": "198.51.100.8"})
    assert other.status_code == 204 and other.cookies.get(UNLOCK_COOKIE)
    clock.now += PasswordAttempts.LOCK_SECONDS
    assert httpx.post(unlock, json={"password": PASSWORD}, headers=attacker).status_code == 204


def test_password_attempts_back_off_then_lock_out_per_client():
    now = [0.0]
    attempts = PasswordAttempts(clock=lambda: now[0])
    wrong = (False, "管理员口令不正确，未执行写入操作。")
    for _ in range(PasswordAttempts.FREE):
        assert attempts.check("a", "wrong", "right") == wrong
    ok, why = attempts.check("a", "right", "right")          # too soon: not even compared
    assert not ok and "1 秒后再试" in why
    assert attempts.check("b", "right", "right") == (True, "")   # another client
    waits = []
    for _ in range(PasswordAttempts.LOCK_AFTER - PasswordAttempts.FREE):
        waits.append(int(re.search(r"(\d+) 秒后再试", attempts.check("a", "x", "right")[1]).group(1)))
        now[0] += waits[-1]
        assert attempts.check("a", "wrong", "right") == wrong
    assert waits == [1, 2, 4, 8, 16]
    now[0] += 60
    ok, why = attempts.check("a", "right", "right")
    assert not ok and "已锁定" in why
    now[0] += PasswordAttempts.LOCK_SECONDS
    assert attempts.check("a", "right", "right") == (True, "")
    assert attempts.check("a", "wrong", "right") == wrong         # a success starts afresh


def test_all_clients_together_have_a_ceiling():
    now = [0.0]
    attempts = PasswordAttempts(clock=lambda: now[0])
    for i in range(PasswordAttempts.GLOBAL_LOCK_AFTER):
        assert attempts.check(f"forged-{i}", "wrong", "right")[0] is False
    ok, why = attempts.check("fresh", "right", "right")
    assert not ok and "暂停" in why
    now[0] += PasswordAttempts.WINDOW + 1
    assert attempts.check("fresh", "right", "right")[0]


# -- item 7: uploads need write permission and fit a quota --------------------------------

def _upload(http: httpx.Client, url: str, name: str, size: int) -> httpx.Response:
    return http.post(url + UPLOAD_API.lstrip("/"), files={"files": (name, b"x" * size, "text/plain")})


def stored(name: str) -> list[Path]:
    return list(Path(get_upload_folder()).rglob(name))


def test_uploads_without_the_password_are_refused_and_not_stored(password_server):
    name = f"no-password-{uuid.uuid4().hex}.txt"
    with httpx.Client() as http:
        codes = [_upload(http, password_server.url, name, 200 * 1024).status_code for _ in range(20)]
        assert codes == [403] * 20
        assert "管理员口令" in _upload(http, password_server.url, name, 10).text
    assert stored(name) == []


def test_uploads_fit_a_quota_per_client(password_server):
    url = password_server.url
    with httpx.Client(headers={"X-Forwarded-For": "192.0.2.10"}) as http:
        assert http.post(url + UNLOCK_PATH.lstrip("/"), json={"password": PASSWORD}).status_code == 204
        big = f"quota-{uuid.uuid4().hex}.txt"
        answers = [_upload(http, url, big, 200 * 1024) for _ in range(8)]
        assert [r.status_code for r in answers] == [200] * 6 + [429] * 2   # 5 × the file limit
        assert "上传过于频繁" in answers[-1].text and "1.25 MB" in answers[-1].text
        assert _upload(http, url, big, SMALL_FILE * 2).status_code == 413
    assert all(Path(p).is_file() for r in answers[:6] for p in r.json())
    with httpx.Client(headers={"X-Forwarded-For": "192.0.2.11"}) as http:
        http.post(url + UNLOCK_PATH.lstrip("/"), json={"password": PASSWORD})
        small = f"count-{uuid.uuid4().hex}.txt"
        codes = [_upload(http, url, small, 100).status_code for _ in range(UploadQuota.COUNT + 2)]
        assert codes == [200] * UploadQuota.COUNT + [429] * 2


def test_upload_quota_is_per_time_window():
    now = [0.0]
    quota = UploadQuota(total_bytes=1000, clock=lambda: now[0])
    assert quota.take("a", 900) == ""
    assert quota.take("a", 200) != ""
    assert quota.take("b", 200) == ""
    now[0] += UploadQuota.WINDOW + 1
    assert quota.take("a", 900) == ""


def test_uploads_from_other_pages_are_refused_without_a_password(open_server):
    name = f"csrf-{uuid.uuid4().hex}.txt"
    with httpx.Client(headers={"Origin": "http://localhost:9999"}) as http:
        assert _upload(http, open_server.url, name, 100).status_code == 403
    with httpx.Client(headers={"X-Forwarded-For": "203.0.113.9"}) as http:
        assert _upload(http, open_server.url, name, 100).status_code == 403
    assert stored(name) == []
    with httpx.Client(headers={"Origin": open_server.url.rstrip("/")}) as http:
        assert _upload(http, open_server.url, name, 100).status_code == 200


# -- item 14: bodies are limited before they are read --------------------------------------

def _raw_post(url: str, path: str, head: dict, body_chunks, timeout: float = 20) -> tuple[str, int]:
    """(status line, bytes sent) of a hand-made POST whose body is sent chunk by chunk
    while the server has not answered."""
    host, port = url.rstrip("/").rsplit("//", 1)[1].rsplit(":", 1)
    sent = 0
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}"] + [f"{k}: {v}" for k, v in head.items()]
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        for chunk in body_chunks:
            if select.select([s], [], [], 0)[0]:
                break                                   # the server has answered
            try:
                s.sendall(chunk)
            except OSError:
                break
            sent += len(chunk)
        s.settimeout(timeout)
        return s.recv(4096).decode("latin-1").split("\r\n", 1)[0], sent


def test_a_150_mb_question_is_refused_before_it_is_read(open_server):
    status, _ = _raw_post(open_server.url, "/gradio_api/queue/join",
                          {"Content-Type": "application/json", "Content-Length": str(150 * 2**20)},
                          [b'{"data": ["' + b"x" * 65536])
    assert " 413 " in status


def test_a_chunked_body_is_cut_off_at_the_limit(open_server):
    chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
    status, sent = _raw_post(open_server.url, "/gradio_api/queue/join",
                             {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                             (chunk for _ in range(16 * 150)))     # up to 150 MB
    assert " 413 " in status and sent < 16 * 2**20


# -- item 14: what a chat bubble shows -------------------------------------------------------

def test_chat_does_not_echo_control_or_bidi_characters(open_server):
    question = "州财政局\u202e负责\x1b[31m哪些\x00任务\u2066？\u200f"
    chat = Client(open_server.url, verbose=False).predict(question, [], api_name="/ask")[1]
    shown = "".join(part["text"] for m in chat for part in m["content"])
    for ch in "\u202e\x1b\x00\u2066\u200f":
        assert ch not in shown
    assert "州财政局负责" in shown


# -- the write policy, request by request ------------------------------------------------

def _request(host: str, client: str = "127.0.0.1", **headers: str) -> Request:
    raw = [(b"host", host.encode())] + [(k.replace("_", "-").lower().encode(), v.encode())
                                        for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": raw,
                    "client": (client, 50000), "query_string": b""})


def test_write_permission(kb):
    local = WebGuard(dataclasses.replace(kb.settings, host="127.0.0.1", port=7860, admin_password=""))
    assert local.write_permission("", _request("127.0.0.1:7860"))[0]
    assert local.write_permission("", _request("localhost:7860", origin="http://localhost:7860"))[0]
    refused = [_request("127.0.0.1:7861"),                                   # forwarder's port
               _request("127.0.0.1:7860", client="192.0.2.1"),               # not loopback
               _request("127.0.0.1:7860", x_forwarded_for="192.0.2.1"),     # via a proxy
               _request("127.0.0.1:7860", origin="http://localhost:9999"),  # another local page
               _request("evil.example:7860")]                               # rebinding
    for request in refused:
        allowed, why = local.write_permission("", request)
        assert not allowed and "本机" in why
    public = WebGuard(dataclasses.replace(kb.settings, host="0.0.0.0", admin_password=""))
    allowed, why = public.write_permission("anything", _request("127.0.0.1:7860"))
    assert not allowed and "KB_ADMIN_PASSWORD" in why
    guarded = WebGuard(dataclasses.replace(kb.settings, host="0.0.0.0", admin_password="s3cret"))
    assert guarded.write_permission("s3cret", _request("kb.example:80", client="192.0.2.1"))[0]
    allowed, why = guarded.write_permission("wrong", _request("kb.example:80", client="192.0.2.1"))
    assert not allowed and "s3cret" not in why
    assert not guarded.write_permission(None, _request("kb.example:80"))[0]


def test_allowed_host_names(kb):
    behind_proxy = WebGuard(dataclasses.replace(kb.settings, host="127.0.0.1",
                                                allowed_hosts=("kb.example.org",)))
    assert behind_proxy.host_allowed("kb.example.org")
    assert behind_proxy.host_allowed("localhost:7860")
    assert not behind_proxy.host_allowed("kb.evil.example")
    assert not behind_proxy.host_allowed("localhost:notaport")
    anywhere = WebGuard(dataclasses.replace(kb.settings, host="0.0.0.0"))
    assert anywhere.host_allowed("192.168.1.5:7860")
    # A proxy's X-Forwarded-Host is the page's origin (custom headers need a preflight).
    assert WebGuard.same_origin("https://kb.example.org",
                                _request("127.0.0.1:7860", x_forwarded_host="kb.example.org"))
    assert not WebGuard.same_origin("https://kb.example.org", _request("127.0.0.1:7860"))


# -- item 14: SIGTERM ends `kb serve` cleanly ------------------------------------------------

def test_sigterm_leaves_no_export_folder_behind(tmp_path):
    port = free_port()
    env = {**os.environ, "KB_PORT": str(port), "KB_HOST": "127.0.0.1", "TMPDIR": str(tmp_path),
           "GRADIO_TEMP_DIR": str(tmp_path / "gradio"), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("KB_ADMIN_PASSWORD", None)
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "--data-dir", str(tmp_path / "data"), "serve"],
                            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(url, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        assert list(tmp_path.glob("kb-web-*")), (tmp_path / "serve.log").read_text()
        # `kb serve` itself runs behind the checks.
        assert httpx.get(url, headers={"Host": f"kb.evil.example:{port}"}).status_code == 400
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    assert not list(tmp_path.glob("kb-web-*")), (tmp_path / "serve.log").read_text()
