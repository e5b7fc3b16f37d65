"""Configuration, read from the environment in this one place.

DATABASE_URL   SQLAlchemy URL. Default: a SQLite file in the instance folder.
REDIS_URL      Redis for the RQ queues. Default: unset, jobs run in-process.
SECRET_KEY     Signs console sessions. Default: a random key per process.
MAX_UPLOAD_MB  Largest request body, diagrams included. Default: 5.
TOKEN_CACHE_SECONDS
               How long a process trusts a bearer token it has checked, before
               asking the database again (see api.auth.TokenCache); 0 asks on
               every request. Default: 30.
AGENCY_SECRET_KEYS
               Fernet keys, separated by commas, that seal the secrets agency
               pushes are signed with (see workers.sealing); the first seals,
               all open. Default: a key file in the instance folder, which
               serves one host only.
AGENCY_ENDPOINT_ALLOWED_NETWORKS
               Networks, separated by commas (10.20.0.0/16), where agency
               systems may be pushed to although the address is loopback or
               link-local (see workers.destinations). Default: none.
SMS_GATEWAY_URL, SMS_GATEWAY_TOKEN
               Where residents' text messages are sent, and the bearer token
               for it (see workers.notifications). Default: unset, messages
               are only logged.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    max_upload_mb: int = 5
    token_cache_seconds: float = 30.0
    agency_secret_keys: tuple[str, ...] = ()
    agency_endpoint_allowed_networks: tuple[str, ...] = ()
    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = None

    @classmethod
    def from_environment(cls) -> Settings:
        return cls(
            database_url=os.environ.get("DATABASE_URL") or None,
            redis_url=os.environ.get("REDIS_URL") or None,
            secret_key=os.environ.get("SECRET_KEY") or secrets.token_hex(32),
            max_upload_mb=int(os.environ.get("MAX_UPLOAD_MB", "5")),
            token_cache_seconds=float(os.environ.get("TOKEN_CACHE_SECONDS", "30")),
            agency_secret_keys=_listed(os.environ.get("AGENCY_SECRET_KEYS", "")),
            agency_endpoint_allowed_networks=_listed(
                os.environ.get("AGENCY_ENDPOINT_ALLOWED_NETWORKS", "")
            ),
            sms_gateway_url=os.environ.get("SMS_GATEWAY_URL") or None,
            sms_gateway_token=os.environ.get("SMS_GATEWAY_TOKEN") or None,
        )

    def flask_config(self, instance_path: str) -> dict:
        database_url = self.database_url or f"sqlite:///{instance_path}/terpadu.sqlite"
        return {
            "SQLALCHEMY_DATABASE_URI": _with_driver(database_url),
            # Hidden parameters keep NIKs out of database errors and their logs.
            "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
            # Pooled connections idle longer than this are pinged before use
            # (see api.connections); busy ones are not.
            "DATABASE_PING_AFTER_IDLE_SECONDS": 5.0,
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": self.secret_key,
            "MAX_CONTENT_LENGTH": self.max_upload_mb * 1024 * 1024,
            "TOKEN_CACHE_SECONDS": self.token_cache_seconds,
            # Tokens a process remembers at once; the least recently used go.
            "TOKEN_CACHE_SIZE": 4096,
            "AGENCY_SECRET_KEYS": self.agency_secret_keys,
            "AGENCY_ENDPOINT_ALLOWED_NETWORKS": self.agency_endpoint_allowed_networks,
            "SMS_GATEWAY_URL": self.sms_gateway_url,
            "SMS_GATEWAY_TOKEN": self.sms_gateway_token,
            "JSON_SORT_KEYS": False,
        }


def _listed(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _with_driver(url: str) -> str:
    # Operators paste libpq-style URLs; the installed driver is psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
