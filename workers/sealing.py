"""Agencies' signing secrets at rest: sealed with Fernet, opened only to sign.

A push is signed with HMAC under the agency's secret, so Terpadu must read the
secret back: it is encrypted, not hashed. A copy of the database (a backup, a
replica, a dump handed to a contractor) then holds nothing that could sign a
forged push to an agency's system.

Keys come from AGENCY_SECRET_KEYS: Fernet keys separated by commas, the first
seals and every one opens. A key is rotated by putting a new one first, running
``flask --app wsgi workers reseal-secrets``, then dropping the old one. Without
the setting, the processes of one machine share a key file in the instance
folder, made at first need; a deployment on several hosts must set
AGENCY_SECRET_KEYS, the same on every API and worker host.

cryptography is imported only when a secret is sealed or opened: most
processes never do, and it would add about 11 MB to each API process.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

SEALED_PREFIX = "fernet:"
KEY_FILE = "agency-secret.keys"
EXTENSION = "terpadu.secret_box"

_building = threading.Lock()


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys opens."""


class BadSecretKeys(Exception):
    """AGENCY_SECRET_KEYS, or the key file, holds something that is not a key."""


class SecretBox:
    """Seals and opens secrets under an ordered list of Fernet keys."""

    def __init__(self, keys: list[str], source: str):
        from cryptography.fernet import Fernet, MultiFernet

        if not keys:
            raise BadSecretKeys(f"{source}: no key")

        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.strip()))
            except ValueError:
                raise BadSecretKeys(
                    f"{source}: key {position} is not a Fernet key "
                    "(32 bytes in URL-safe base64, as Fernet.generate_key() makes)"
                ) from None
        self._keys = MultiFernet(fernets)
        self.source = source

    def seal(self, secret: str) -> str:
        return SEALED_PREFIX + self._keys.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        with self._unreadable_reported():
            return self._keys.decrypt(_token(sealed)).decode()

    def reseal(self, sealed: str) -> str:
        """The same secret sealed under the first key, whichever key sealed it."""
        with self._unreadable_reported():
            return SEALED_PREFIX + self._keys.rotate(_token(sealed)).decode()

    @contextmanager
    def _unreadable_reported(self):
        from cryptography.fernet import InvalidToken

        try:
            yield
        except InvalidToken:
            raise SecretUnreadable(
                f"no key in {self.source} opens the stored secret"
            ) from None


def _token(sealed: str) -> bytes:
    if not sealed.startswith(SEALED_PREFIX):
        raise SecretUnreadable("the stored secret is not sealed")

    return sealed[len(SEALED_PREFIX) :].encode()


def box(app: Flask) -> SecretBox:
    """The app's box, built at first need from its configuration."""
    built = app.extensions.get(EXTENSION)
    if built is None:
        with _building:
            built = app.extensions.get(EXTENSION)
            if built is None:
                built = app.extensions[EXTENSION] = _box_from_config(app)
    return built


def _box_from_config(app: Flask) -> SecretBox:
    configured = app.config.get("AGENCY_SECRET_KEYS")
    if configured:
        return SecretBox(list(configured), "AGENCY_SECRET_KEYS")

    key_file = Path(app.instance_path) / KEY_FILE
    return SecretBox(_keys_in(key_file), str(key_file))


def _keys_in(key_file: Path) -> list[str]:
    """The keys in the instance's key file, made with one new key if absent."""
    from cryptography.fernet import Fernet

    if not key_file.exists():
        # Written aside, then linked into place, which fails if the file is
        # there: of two processes starting at once, both read the one key
        # that won, and neither reads a file half written.
        key_file.parent.mkdir(parents=True, exist_ok=True)
        draft = key_file.with_name(f"{key_file.name}.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as written:
            written.write(Fernet.generate_key().decode() + "\n")
        try:
            os.link(draft, key_file)
        except FileExistsError:
            pass
        finally:
            draft.unlink()

    return key_file.read_text().split()
