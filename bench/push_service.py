"""Push services on 127.0.0.1 for the tests and `bench_reminders`, and a phone's keys.

`PushService` (the tests) answers each POST with the next status of its script (then its last
one), records what it received, and can stall before answering (while `stall` holds) to let a
test kill the sender mid-send. `CountingPushService` (the bench) answers 201 to everything and
only counts. `Phone` is a subscriber: its keys make a subscription, and it decrypts what the push
service received (RFC 8291, with http_ece) as a browser would.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from requests.structures import CaseInsensitiveDict


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    status: int
    answered: bool = False  # False: the sender went away before the answer


@dataclass
class PushService:
    statuses: list[int] = field(default_factory=lambda: [201])
    stall_file: str | None = None  # while this file exists, requests wait before answering
    received: list[Received] = field(default_factory=list)
    count: int = 0

    def __post_init__(self) -> None:
        service = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real push services

            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with service._lock:
                    index = service.count
                    status = service.statuses[min(index, len(service.statuses) - 1)]
                    headers = CaseInsensitiveDict(self.headers.items())
                    entry = Received(self.path, headers, body, status)
                    service.count += 1
                    service.received.append(entry)
                if service.stall_file:
                    if os.path.exists(service.stall_file):
                        open(service.stall_file + ".stalled", "w").close()
                    while os.path.exists(service.stall_file):
                        time.sleep(0.05)
                    if self._sender_gone():
                        return  # killed mid-send: this message was never accepted
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    if status == 201:
                        self.send_header("Location", f"/message/{index}")
                    self.end_headers()
                    self.wfile.flush()
                    entry.answered = True
                except OSError:
                    pass

            def _sender_gone(self) -> bool:
                readable, _w, _x = select.select([self.connection], [], [], 0)
                if not readable:
                    return False
                try:
                    return self.connection.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    return True

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PushService:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def endpoint(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/push/{name}"


class Phone:
    """A browser's push subscription keys (P-256 key pair + 16-byte auth secret)."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def subscription(self, endpoint: str) -> dict:
        return {"endpoint": endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def read(self, received: Received) -> dict:
        """Decrypt a message as the phone would (aes128gcm, RFC 8188/8291)."""
        assert received.headers.get("Content-Encoding") == "aes128gcm"
        plain = http_ece.decrypt(
            received.body,
            private_key=self.private_key,
            auth_secret=self.auth_secret,
            version="aes128gcm",
        )
        return json.loads(plain)


class CountingPushService:
    """The bench's push service on 127.0.0.1: every POST answered 201, counted, not kept.

    A real push service runs on someone else's machine; this stand-in shares the bench's two
    cores with the worker it measures, so it is asyncio on one thread of the bench process
    (about a tenth of the CPU per message of `PushService`'s http.server, which the tests use
    for its script of statuses, its stall and what it keeps). HTTP/1.1 keep-alive, as the
    push services; a request is read whole (head, then `Content-Length` bytes) before its
    answer."""

    def __init__(self) -> None:
        self.count = 0
        self.connections = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CountingPushService:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the bench push service did not start")
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self._shut_down(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def endpoint(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/push/{name}"

    async def _shut_down(self) -> None:
        """No new connection, and the open ones (a sender's kept-alive pool) closed."""
        self._server.close()
        serving = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in serving:
            task.cancel()
        await asyncio.gather(*serving, return_exceptions=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _colon, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                self.count += 1
                writer.write(
                    b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n"
                    b"Location: /message/%d\r\n\r\n" % self.count
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the sender closed its connection
        finally:
            writer.close()
