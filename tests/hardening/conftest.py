"""``world``: one small Terpadu per test module (see ``world.py``)."""

from __future__ import annotations

import pytest

from tests.hardening.world import World, build_world, tear_down


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    path = tmp_path_factory.mktemp("hardening") / "api.sqlite"
    built = build_world(f"sqlite:///{path}")
    yield built
    tear_down(built)
