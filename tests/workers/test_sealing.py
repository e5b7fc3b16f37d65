"""Agencies' signing secrets sealed at rest: keys, rotation, the shared key file."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask

from workers import sealing
from workers.sealing import BadSecretKeys, SecretBox, SecretUnreadable

SECRET = "dukcapil-shared-secret-2026"
ROOT = Path(__file__).resolve().parents[2]


def _key() -> str:
    return Fernet.generate_key().decode()


def _app(tmp_path: Path, keys: tuple[str, ...] = ()) -> Flask:
    app = Flask("sealing_test", instance_path=str(tmp_path))
    app.config["AGENCY_SECRET_KEYS"] = keys
    return app


def test_a_sealed_secret_holds_nothing_of_it_and_opens_to_it():
    box = SecretBox([_key()], "test keys")

    sealed = box.seal(SECRET)

    assert sealed.startswith(sealing.SEALED_PREFIX)
    assert SECRET not in sealed
    assert box.seal(SECRET) != sealed  # a fresh nonce each time
    assert box.open(sealed) == SECRET


def test_a_secret_sealed_under_other_keys_is_reported_not_guessed():
    sealed = SecretBox([_key()], "old keys").seal(SECRET)

    with pytest.raises(SecretUnreadable, match="no key in new keys opens"):
        SecretBox([_key()], "new keys").open(sealed)


def test_a_secret_stored_unsealed_is_refused():
    with pytest.raises(SecretUnreadable, match="not sealed"):
        SecretBox([_key()], "test keys").open(SECRET)


def test_rotation_opens_with_the_old_key_until_resealed_under_the_new():
    old, new = _key(), _key()
    sealed = SecretBox([old], "before").seal(SECRET)
    rotating = SecretBox([new, old], "during")

    resealed = rotating.reseal(sealed)

    assert rotating.open(sealed) == SECRET
    assert SecretBox([new], "after").open(resealed) == SECRET
    with pytest.raises(SecretUnreadable):
        SecretBox([new], "after").open(sealed)


def test_a_value_that_is_not_a_key_is_named_by_its_place():
    with pytest.raises(BadSecretKeys, match="AGENCY_SECRET_KEYS: key 2 is not"):
        SecretBox([_key(), "not-a-key"], "AGENCY_SECRET_KEYS")
    with pytest.raises(BadSecretKeys, match="no key"):
        SecretBox([], "AGENCY_SECRET_KEYS")


def test_configured_keys_are_used_and_no_key_file_is_made(tmp_path):
    key = _key()

    sealed = sealing.box(_app(tmp_path, (key,))).seal(SECRET)

    assert SecretBox([key], "same key").open(sealed) == SECRET
    assert not (tmp_path / sealing.KEY_FILE).exists()


def test_without_configured_keys_one_host_shares_a_private_key_file(tmp_path):
    instance = tmp_path / "instance"  # not made yet

    sealed = sealing.box(_app(instance)).seal(SECRET)

    key_file = instance / sealing.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # Another process of the same instance (a fresh app) opens what this sealed.
    assert sealing.box(_app(instance)).open(sealed) == SECRET
    assert list(instance.iterdir()) == [key_file]  # no draft left behind


def test_processes_starting_together_agree_on_one_key(tmp_path):
    opens = (
        "import sys; from flask import Flask; from workers import sealing; "
        "app = Flask('racer', instance_path=sys.argv[1]); "
        "print(sealing.box(app).seal('x'))"
    )
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", opens, str(tmp_path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    sealed = [racer.communicate(timeout=60)[0].strip() for racer in racers]

    [key] = (tmp_path / sealing.KEY_FILE).read_text().split()
    assert all(SecretBox([key], "the key file").open(s) == "x" for s in sealed)
