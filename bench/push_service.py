"""A push service on 127.0.0.1 for the tests and `bench_reminders`, and a phone's keys.

`PushService` answers each POST with the next status of its script (then its last one), records
what it received, and can stall before answering (while `stall` holds) to let a test kill the
sender mid-send. `Phone` is a subscriber: its keys make a subscription, and it decrypts what the
push service received (RFC 8291, with http_ece) as a browser would.
"""

from __future__ import annotations

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
    keep: bool = True  # False (the bench): count the messages, keep none
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
                    if service.keep:
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
