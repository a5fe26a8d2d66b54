"""The two channels: e-mail through SMTP (`LMS_SMTP_URL`) and SMS through an HTTP gateway
(`LMS_SMS_URL`, `LMS_SMS_TOKEN`). Each answers None when the message was accepted, else why not:
'retry: ...' when a later try may succeed (no answer, a busy server), 'refused: ...' when it never will
(a recipient the server refuses, a request the gateway rejects)."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from flask import current_app

from lms.remind.messages import Message

TIMEOUT = 15.0


def email_enabled() -> bool:
    """Whether e-mail is configured."""
    return bool(current_app.config.get("LMS_SMTP_URL"))


def sms_enabled() -> bool:
    """Whether the SMS gateway is configured."""
    return bool(current_app.config.get("LMS_SMS_URL"))


class Mailer:
    """One SMTP connection for a round of e-mails, opened on the first message; `close()` ends it.

    `LMS_SMTP_URL`: smtp://user:password@host:port, with `?starttls=1` for STARTTLS on a plain port,
    or smtps:// for TLS from the start."""

    def __init__(self):
        url = urlsplit(current_app.config["LMS_SMTP_URL"])
        self.url, self.options = url, parse_qs(url.query)
        self.sender = current_app.config.get("LMS_MAIL_FROM") or f"no-reply@{url.hostname or 'localhost'}"
        self.smtp: smtplib.SMTP | None = None
        self.broken: str | None = None

    def _connect(self) -> smtplib.SMTP:
        url = self.url
        if url.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(url.hostname or "", url.port or 465, timeout=TIMEOUT,
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(url.hostname or "", url.port or 25, timeout=TIMEOUT)
            if self.options.get("starttls", ["0"])[0] in ("1", "true", "yes"):
                smtp.starttls(context=ssl.create_default_context())
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        return smtp

    def send(self, to: str, name: str, message: Message) -> str | None:
        """Send one e-mail (plain text and HTML); None when the server accepted it."""
        if self.broken:  # the server did not answer for an earlier message of this round
            return self.broken
        mail = EmailMessage()
        mail["Subject"], mail["From"], mail["To"] = message.subject, self.sender, formataddr((name, to))
        mail["Message-ID"] = make_msgid(domain=self.url.hostname or None)
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        try:
            if self.smtp is None:
                self.smtp = self._connect()
            self.smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            return f"{'retry' if 400 <= code < 500 else 'refused'}: SMTP {code} {_text(text)}"
        except smtplib.SMTPResponseException as error:
            outcome = "retry" if 400 <= error.smtp_code < 500 else "refused"
            return f"{outcome}: SMTP {error.smtp_code} {_text(error.smtp_error)}"
        except (OSError, smtplib.SMTPException) as error:
            self.broken = f"retry: {type(error).__name__}: {str(error)[:300]}"
            self.close()
            return self.broken
        return None

    def close(self) -> None:
        """End the connection, if any."""
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.smtp = None


def _text(value: bytes | str) -> str:
    return (value.decode(errors="replace") if isinstance(value, bytes) else str(value))[:300]


def send_sms(to: str, text: str, reference: str) -> str | None:
    """POST one SMS to the gateway: {"to": "+7701...", "text": "...", "reference": "reminder-12"} with
    `Authorization: Bearer LMS_SMS_TOKEN`; None when it answered 2xx."""
    config = current_app.config
    headers = {"Authorization": f"Bearer {config.get('LMS_SMS_TOKEN', '')}"}
    try:
        answer = requests.post(config["LMS_SMS_URL"], json={"to": to, "text": text, "reference": reference},
                               headers=headers, timeout=TIMEOUT)
    except requests.RequestException as error:
        return f"retry: {type(error).__name__}: {str(error)[:300]}"
    if 200 <= answer.status_code < 300:
        return None
    detail = f"HTTP {answer.status_code} {answer.text[:300]}".strip()
    if answer.status_code in (408, 429) or answer.status_code >= 500:
        return f"retry: {detail}"
    return f"refused: {detail}"
