"""Real servers on 127.0.0.1 for the reminder tests: an SMTP server (aiosmtpd) and an SMS gateway
(an HTTP server), each started by the test, so that it can be down for the first tries."""
from __future__ import annotations

import email
import email.policy
import threading

from aiosmtpd.controller import Controller

from tests.http_stub import JsonStub, free_port  # noqa: F401  (free_port: for the tests)


class Mailbox:
    """An SMTP server keeping every message it accepts; `failing` first answers 451 to that many messages,
    and addresses in `refuse` get a 550."""

    def __init__(self, port: int):
        self.port, self.messages, self.failing, self.refuse = port, [], 0, set()
        self.lock = threading.Lock()
        self.controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            if self.failing:
                self.failing -= 1
                return "451 4.3.0 Try again later"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()

    def received(self) -> list[tuple[str, str, str, str]]:
        """(recipient, subject, plain text, html) of each message accepted."""
        out = []
        with self.lock:
            for rcpts, m in self.messages:
                text = m.get_body(("plain",)).get_content()
                html = m.get_body(("html",)).get_content()
                out.extend((r, str(m["Subject"]), text, html) for r in rcpts)
        return out


class Gateway(JsonStub):
    """An SMS gateway: keeps each JSON POST with the right token; answers 503 `failing` times first."""

    def __init__(self, port: int, token: str):
        super().__init__(port, self._answer)
        self.token, self.received, self.failing = token, [], 0

    def _answer(self, path, headers, body):
        if headers.get("Authorization") != f"Bearer {self.token}":
            status = 401
        elif self.failing:
            self.failing -= 1
            status = 503
        elif not str(body.get("to", "")).startswith("+"):
            status = 400
        else:
            self.received.append(body)
            status = 202
        return status, {"status": status}
