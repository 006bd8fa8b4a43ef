"""The operator's targets file: which brokers inspect_broker may read, named by the operator, never by the model.

```yaml
targets:
  - name: local-rabbit
    broker: rabbitmq                     # rabbitmq | nats | redis | sqs | kafka
    url: http://127.0.0.1:15672          # RabbitMQ: the management API; Kafka: host:port[,host:port]
    username_env: RABBIT_USER            # credentials by environment variable name only
    password_env: RABBIT_PASS
    tls: {ca_file: /etc/ssl/ca.pem}      # optional: ca_file, cert_file, key_file, verify
    sampling: {window_s: 2, samples: 3}  # optional: snapshots over a short window
    expect: {processing_time_ms: 45000}  # optional: what the broker cannot report
```

Credentials are read from the named variables when a reader connects, never stored in the model's text forms,
and every URL shown anywhere has its user information replaced (:func:`redact_url`).
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from event_driven.core.inspection.models import Expectations
from event_driven.errors import FieldError, InputError, echo, field_error, from_validation_error
from event_driven.kb.common import require_unique
from event_driven.vocab import BrokerId

TARGETS_ENV = "EVENT_DRIVEN_TARGETS"
TargetBroker = Literal["rabbitmq", "nats", "redis", "sqs", "kafka"]
BROKER_IDS: dict[str, BrokerId] = {"rabbitmq": "rabbitmq", "nats": "nats_jetstream", "redis": "redis_streams",
                                   "sqs": "sqs", "kafka": "kafka"}
_SCHEMES: dict[str, tuple[str, ...]] = {"rabbitmq": ("http", "https"), "nats": ("nats", "tls"),
                                        "redis": ("redis", "rediss"), "sqs": ("http", "https"), "kafka": ()}
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)
# A targets file is the operator's, but it is still read at a boundary: keep it small.
MAX_FILE_BYTES = 1_000_000
MAX_TARGETS = 200


def redact_url(text: str) -> str:
    """Replace the user information of every URL in ``text`` (``scheme://user:pass@host`` -> ``scheme://***@host``)."""
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)


class TargetModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TlsSettings(TargetModel):
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    verify: bool = True


class SamplingWindow(TargetModel):
    window_s: float = Field(default=2.0, ge=0, le=30, description="Time between the first and the last snapshot.")
    samples: int = Field(default=3, ge=1, le=10, description="Snapshots taken over the window (1: a single snapshot).")


class Credentials(TargetModel):
    username: str | None = None
    password: SecretStr | None = None

    def secrets(self) -> list[str]:
        return [self.password.get_secret_value()] if self.password else []


class Target(TargetModel):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    broker: TargetBroker
    url: str = Field(min_length=1, max_length=2000, repr=False)
    username_env: str | None = Field(default=None, pattern=_ENV_NAME)
    password_env: str | None = Field(default=None, pattern=_ENV_NAME)
    tls: TlsSettings | None = None
    sampling: SamplingWindow = Field(default_factory=lambda: SamplingWindow())
    expect: Expectations = Field(default_factory=lambda: Expectations())
    timeout_s: float = Field(default=5.0, gt=0, le=60, description="Limit on each call to the broker.")
    deadline_s: float = Field(default=30.0, gt=0, le=120, description="Limit on the whole inspection.")
    limit: int = Field(default=100, ge=1, le=1000, description="Channels read in detail; the rest are counted.")
    vhost: str | None = Field(default=None, description="RabbitMQ: only this virtual host.")
    region: str = Field(default="us-east-1", pattern=r"^[a-z0-9-]{1,32}$", description="SQS: the AWS region.")
    sasl_mechanism: str | None = Field(default=None, description="Kafka: SASL mechanism when credentials are given.")

    @field_validator("url")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if any(c in value for c in "\r\n\t "):
            raise ValueError("the URL must be one token without spaces or line breaks")
        return value

    @field_serializer("url")
    def _shown_url(self, _url: str) -> str:
        # A dumped target (logs, debugging) shows the URL as display_url does, never its password.
        return self.display_url

    @model_validator(mode="after")
    def _scheme_fits_broker(self) -> Target:
        allowed = _SCHEMES[self.broker]
        if not allowed:
            return self
        scheme = urlsplit(self.url).scheme
        if scheme not in allowed:
            raise ValueError(f"a {self.broker} target's url starts with {' or '.join(s + '://' for s in allowed)} "
                             f"(got {echo(redact_url(self.url))})")
        return self

    @property
    def broker_id(self) -> BrokerId:
        return BROKER_IDS[self.broker]

    def _without_userinfo(self, mark: str) -> str:
        parts = urlsplit(self.url)
        if not _SCHEMES[self.broker] or "@" not in parts.netloc:
            return self.url
        return urlunsplit(parts._replace(netloc=mark + parts.netloc.rsplit("@", 1)[1]))

    @property
    def display_url(self) -> str:
        """The URL with any user information replaced: the only form of it that may be shown or logged."""
        return self._without_userinfo("***@")

    @property
    def bare_url(self) -> str:
        """The URL without user information, for the client library (credentials go in separately: some clients
        log the URL they were given)."""
        return self._without_userinfo("")

    def credentials(self) -> Credentials:
        """Read the named environment variables now (never cached), plus any user information in the URL."""
        parts = urlsplit(self.url) if _SCHEMES[self.broker] else None
        user = os.environ.get(self.username_env) if self.username_env else None
        password = os.environ.get(self.password_env) if self.password_env else None
        if parts is not None and user is None and parts.username:
            user = parts.username
        if parts is not None and password is None and parts.password:
            password = parts.password
        return Credentials(username=user, password=SecretStr(password) if password is not None else None)


class TargetsFile(TargetModel):
    targets: list[Target] = Field(min_length=1, max_length=MAX_TARGETS)

    @model_validator(mode="after")
    def _unique_names(self) -> TargetsFile:
        require_unique((t.name for t in self.targets), "target names used more than once")
        return self

    def get(self, name: str) -> Target:
        for t in self.targets:
            if t.name == name:
                return t
        names = [t.name for t in self.targets]
        close = difflib.get_close_matches(name, names, n=1)
        raise InputError(field_error("$.target", "unknown_target", f"no target named {echo(name)} in the targets "
                                     "file", allowed=", ".join(names), suggestion=close[0] if close else None))


def _file_error(path: str, message: str, code: FieldError | None = None) -> InputError:
    return InputError(code or field_error("$", "parse_error", f"targets file {path}: {message}",
                                          allowed=f"a YAML file given by --targets FILE or {TARGETS_ENV}"))


def targets_path(path: str | Path | None = None) -> Path | None:
    """The file the adapters were given (``--targets FILE``), else ``EVENT_DRIVEN_TARGETS``, else none."""
    if path:
        return Path(path)
    env = os.environ.get(TARGETS_ENV, "").strip()
    return Path(env) if env else None


def load_targets(path: str | Path | None = None) -> TargetsFile | None:
    """The validated targets file, or None when none is configured. Problems are :class:`InputError`s."""
    where = targets_path(path)
    if where is None:
        return None
    try:
        raw = where.read_bytes()
    except OSError as exc:
        raise _file_error(str(where), f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _file_error(str(where), f"is {len(raw):,} bytes; at most {MAX_FILE_BYTES:,}")
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _file_error(str(where), f"is not valid YAML ({getattr(exc, 'problem', None) or type(exc).__name__})"
                          ) from None
    try:
        return TargetsFile.model_validate(data)
    except ValidationError as exc:
        # The echoed values pass through redact_url: a URL with a password must not come back in an error.
        errors = [e.model_copy(update={"message": redact_url(e.message)}) for e in from_validation_error(exc)]
        raise InputError(errors) from None
