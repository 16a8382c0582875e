"""An SMTP sink on loopback (aiosmtpd) that records every message it ACCEPTS, and can be made
slow for a moment so that a Celery worker can be killed in the middle of sending.

Accepted means what it means for a real mail server: the message is recorded only when the
server is about to answer "250" on a live connection. If the client goes away while the sink is
still "thinking" (the slow moment), aiosmtpd cancels the handler and nothing is recorded: the
client never got its 250, so the message was not delivered (RFC 5321 4.1.1.4). Such messages
are counted in `dropped`, so the report can show that the kill really landed mid-send.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from bench.faults.services import free_port


@dataclass
class Received:
    at: float  # time.monotonic() when accepted
    message_id: str
    recipients: list[str]
    subject: str
    clash_id: int | None  # the X-Alliance-Clash header of clash notifications
    kind: str
    message: EmailMessage


def kind_of(message: EmailMessage) -> str:
    """'clash' (a clash notification), 'confirmation' (a petition signature) or 'other'."""
    if message.get("X-Alliance-Clash"):
        return "clash"
    if str(message.get("Subject", "")).startswith("Please confirm your signature"):
        return "confirmation"
    return "other"


@dataclass
class InFlight:
    """A message whose DATA has arrived while the sink is slow: the client waits for a 250."""

    peer: tuple[str, int]
    kind: str
    clash_id: int | None
    recipients: list[str]


@dataclass
class SmtpSink:
    port: int = 0
    slow_seconds: float = 0.0
    slow_kind: str | None = None  # only messages of this kind are slow (None: all)
    received: list[Received] = field(default_factory=list)
    dropped: int = 0  # clients that went away before the 250
    in_flight: list[InFlight] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- aiosmtpd handler ---------------------------------------------------------------------
    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        clash = message.get("X-Alliance-Clash")
        clash_id = int(clash) if clash and clash.isdigit() else None
        kind = kind_of(message)
        flight = None
        if self.slow_seconds and self.slow_kind in (None, kind):
            flight = InFlight(session.peer, kind, clash_id, list(envelope.rcpt_tos))
            with self.lock:
                self.in_flight.append(flight)
            try:
                await asyncio.sleep(self.slow_seconds)
            except asyncio.CancelledError:  # the client died waiting for our answer
                with self.lock:
                    self.dropped += 1
                    self.in_flight.remove(flight)
                raise
            with self.lock:
                self.in_flight.remove(flight)
        if server.transport is None or server.transport.is_closing():
            with self.lock:
                self.dropped += 1
            return "421 client gone"
        with self.lock:
            self.received.append(
                Received(
                    at=time.monotonic(),
                    message_id=(message.get("Message-ID") or "").strip(),
                    recipients=[r.lower() for r in envelope.rcpt_tos],
                    subject=str(message.get("Subject", "")),
                    clash_id=clash_id,
                    kind=kind,
                    message=message,
                )
            )
        return "250 OK"

    # --- runner side --------------------------------------------------------------------------
    def start(self) -> SmtpSink:
        # aiosmtpd's start() connects to the port to check it is up, so port=0 cannot be used.
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        controller = getattr(self, "controller", None)
        if controller is not None:
            controller.stop()

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def since(self, index: int) -> list[Received]:
        with self.lock:
            return self.received[index:]

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def in_flight_of(self, kind: str) -> InFlight | None:
        with self.lock:
            return next((f for f in self.in_flight if f.kind == kind), None)
