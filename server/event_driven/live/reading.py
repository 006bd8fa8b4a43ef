"""What every reader shares: the read error, the deadline, the name filter and the secret redaction.

A reader never changes broker state, calls nothing without a timeout, and reports a failure as a
:class:`BrokerReadError` that says which target, which call and what to check, with secrets and URL user information
removed from anything the client library said.
"""

from __future__ import annotations

import fnmatch
import logging
import re
import ssl
import time
from dataclasses import dataclass, field
from typing import Literal, NoReturn

from event_driven.errors import EventDrivenError
from event_driven.live.targets import Credentials, Target, TlsSettings, redact_url

log = logging.getLogger("event_driven.live")

ReadProblem = Literal["refused", "unauthorised", "forbidden", "timeout", "not_found", "tls", "protocol"]
_CHECK: dict[ReadProblem, str] = {
    "refused": "that the broker runs and the target's url (host and port) is right",
    "unauthorised": "the credentials in the target's username_env / password_env variables",
    "forbidden": "that the user may read this (RabbitMQ: the monitoring tag; SQS: sqs:GetQueueAttributes and "
                 "sqs:ListQueues; Kafka: DESCRIBE on topics and groups; Redis: the ACL allows XINFO/XPENDING/INFO)",
    "timeout": "the broker's load and network path, or raise the target's timeout_s / deadline_s",
    "not_found": "the target's url (the API path, virtual host or stream name)",
    "tls": "the target's tls settings (ca_file, cert_file, key_file) and the broker's certificate",
    "protocol": "that the url points at the right service for this broker type",
}


class BrokerReadError(EventDrivenError):
    """A read from a target failed: which target, which call, what went wrong and what to check."""

    def __init__(self, target: str, call: str, problem: ReadProblem, detail: str = ""):
        self.target, self.call, self.problem = target, call, problem
        self.check = _CHECK[problem]
        self.detail = detail
        super().__init__(f"target {target!r}: {call} failed ({problem}{': ' + detail if detail else ''}); "
                         f"check {self.check}")


class Redactor:
    """Removes secrets and URL user information from text that came from a client library."""

    def __init__(self, secrets: list[str]):
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def clean(self, text: str, limit: int = 300) -> str:
        for s in self._secrets:
            text = text.replace(s, "***")
        text = redact_url(text)
        return text if len(text) <= limit else text[:limit] + "..."


@dataclass
class ReadContext:
    """One inspection's target, credentials, filter and time budget."""

    target: Target
    credentials: Credentials
    pattern: str | None = None
    started: float = field(default_factory=time.monotonic)
    calls: int = 0

    def __post_init__(self) -> None:
        self.redactor = Redactor(self.credentials.secrets())

    @property
    def name(self) -> str:
        return self.target.name

    def remaining_s(self) -> float:
        return self.target.deadline_s - (time.monotonic() - self.started)

    def call_timeout(self, call: str) -> float:
        """The timeout for the next call: the per-call limit, cut to what is left of the whole inspection."""
        left = self.remaining_s()
        if left <= 0:
            self.fail(call, "timeout", f"the inspection's deadline of {self.target.deadline_s:g} s is used up")
        self.calls += 1
        return max(0.05, min(self.target.timeout_s, left))

    def matches(self, name: str) -> bool:
        return self.pattern is None or fnmatch.fnmatchcase(name, self.pattern)

    def fail(self, call: str, problem: ReadProblem, detail: str = "") -> NoReturn:
        clean = self.redactor.clean(detail)
        log.warning("inspect %s: %s failed (%s)", self.name, call, problem)
        raise BrokerReadError(self.name, call, problem, clean)

    def fail_from(self, call: str, exc: BaseException) -> NoReturn:
        """Classify an exception from a client library by its type and text."""
        self.fail(call, classify(exc), f"{type(exc).__name__}: {exc}")


def classify(exc: BaseException) -> ReadProblem:
    text = f"{type(exc).__name__} {exc}".lower()
    checks: tuple[tuple[ReadProblem, tuple[str, ...]], ...] = (
        ("timeout", ("timeout", "timed out")),
        ("tls", ("ssl", "certificate", "tls")),
        ("forbidden", ("forbidden", "noperm", "no permissions", "accessdenied", "access denied", "not authorized",
                       "authorization failed", "403")),
        ("unauthorised", ("auth", "password", "credential", "401", "invalidclienttokenid", "signature")),
        ("refused", ("refused", "connect", "unreachable", "no route", "name or service", "nodename")),
        ("not_found", ("not found", "nonexistent", "404", "does not exist")),
    )
    for problem, words in checks:
        if any(_says(text, w) for w in words):
            return problem
    return "protocol"


def _says(text: str, word: str) -> bool:
    """A status code counts only as a number of its own: port 40312 in a refused URL is not a 403."""
    if word.isdigit():
        return re.search(rf"(?<![\w:.]){word}(?!\w)", text) is not None
    return word in text


def shown(names: list[str], ctx: ReadContext) -> tuple[list[str], int, bool]:
    """Filter by the pattern, sort, and keep at most the target's limit: (kept, matched count, truncated)."""
    matched = sorted(n for n in names if ctx.matches(n))
    return matched[: ctx.target.limit], len(matched), len(matched) > ctx.target.limit


def now_ms() -> int:
    return int(time.time() * 1000)


def ssl_context(tls: TlsSettings | None) -> ssl.SSLContext | None:
    """An SSL context from the target's tls settings (None: the client's defaults)."""
    if tls is None:
        return None
    context = ssl.create_default_context(cafile=str(tls.ca_file) if tls.ca_file else None)
    if tls.cert_file:
        context.load_cert_chain(str(tls.cert_file), str(tls.key_file) if tls.key_file else None)
    if not tls.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
