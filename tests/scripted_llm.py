"""A small OpenAI-compatible chat endpoint on 127.0.0.1 (a free port) that replies from scripts.

The request's `model` picks the script; a script maps the request body to a `Reply`: the text to
send (as one completion, or as server-sent events when the request streams), a delay before it,
a delay between the streamed pieces, an HTTP status, or a malformed body. Every request is kept
in `requests` so that tests can read the prompt the model was given.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    text: str = ""
    delay: float = 0.0          # seconds before the first byte
    stall_after: int = 0        # streaming: pieces sent before pausing `delay` seconds (0: pause first)
    status: int = 200
    malformed: bool = False     # truncated JSON, or an event whose data is not JSON
    piece: int = 6              # characters per streamed event


Script = Callable[[dict], Reply]


class ScriptedLLM:
    def __init__(self, scripts: dict[str, Script]):
        self.scripts = scripts
        self.requests: list[dict] = []
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> "ScriptedLLM":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()                 # wakes handlers that are sleeping out a delay
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):      # quiet test output
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                outer.requests.append(body)
                reply = outer.scripts[body.get("model", "")](body)
                try:
                    if body.get("stream"):
                        self._stream(body, reply)
                    else:
                        self._complete(body, reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass                          # the client gave up (its timeout): expected

            def _wait(self, seconds: float):
                if seconds:
                    outer._stop.wait(seconds)

            def _send(self, status: int, content_type: str, data: bytes | None = None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                if data is not None:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if data is not None:
                    self.wfile.write(data)

            def _complete(self, body: dict, reply: Reply):
                self._wait(reply.delay)
                if reply.status != 200:
                    self._send(reply.status, "application/json",
                               json.dumps({"error": {"message": "scripted failure"}}).encode())
                    return
                payload = json.dumps({
                    "id": "chatcmpl-scripted", "object": "chat.completion", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}, ensure_ascii=False)
                data = payload.encode()
                self._send(200, "application/json", data[: len(data) // 2] if reply.malformed else data)

            def _stream(self, body: dict, reply: Reply):
                if not reply.stall_after:
                    self._wait(reply.delay)
                self.send_response(reply.status)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = [reply.text[i:i + reply.piece] for i in range(0, len(reply.text), reply.piece)]
                for n, piece in enumerate(pieces):
                    if reply.stall_after and n == reply.stall_after:
                        self._wait(reply.delay)
                    chunk = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 0,
                             "model": body["model"],
                             "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                if reply.malformed:
                    self.wfile.write(b'data: {"id": "chatcmpl-scripted", "choices": [{"delta": \n\n')
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler
