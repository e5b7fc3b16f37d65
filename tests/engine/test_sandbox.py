"""The restricted environment on its own: what compiles, what runs, what stops."""

from __future__ import annotations

import time

import pytest

from engine.errors import ScriptFailed, ScriptRefused
from engine.sandbox import (
    RestrictedEnvironment,
    compile_expression,
    compile_script,
)


@pytest.fixture
def environment():
    return RestrictedEnvironment(time_limit=0.3)


@pytest.mark.parametrize(
    "source",
    [
        "import os",
        "from os import path",
        "__import__('os')",
        "().__class__.__base__.__subclasses__()",
        "random._os",
        "x = getattr(obj, '__dict__')\ny = x._secret",
    ],
)
def test_static_escapes_are_refused_when_compiled(source):
    with pytest.raises(ScriptRefused):
        compile_script(source)


def test_refusal_names_the_line_inside_the_script():
    with pytest.raises(ScriptRefused) as refused:
        compile_script("a = 1\nb = 2\nimport os\n")

    assert refused.value.line == 3


def test_expressions_over_task_data_evaluate(environment):
    context = {"area": 30, "owners": ["a", "b"]}

    assert environment.evaluate("area < 50 and len(owners) == 2", context) is True
    assert environment.evaluate("sorted(owners, reverse=True)[0]", context) == "b"


def test_scripts_write_back_plain_data_only(environment):
    context = {"area": 60}

    environment.execute("fee = 100 if area < 50 else 250\nhelper = lambda: 1", context)

    assert context == {"area": 60, "fee": 250}


@pytest.mark.parametrize(
    "source",
    [
        "open('/etc/passwd')",
        "compile('1', 'f', 'eval')",
        "globals()",
        "vars()",
        "getattr(1, 'real')",
    ],
)
def test_dangerous_builtins_do_not_exist(environment, source):
    with pytest.raises(NameError):
        environment.evaluate(source, {})


@pytest.mark.parametrize("source", ["eval('1')", "exec('x = 1')"])
def test_eval_and_exec_are_refused_when_compiled(source):
    with pytest.raises(ScriptRefused):
        compile_expression(source)


def test_endless_loop_is_stopped(environment):
    started = time.monotonic()

    with pytest.raises(ScriptFailed, match="time limit"):
        environment.execute("while True:\n    pass", {})

    assert time.monotonic() - started < 2


def test_one_line_loop_is_stopped(environment):
    with pytest.raises(ScriptFailed, match="time limit"):
        environment.execute("while True: pass", {})


@pytest.mark.parametrize(
    "source",
    [
        "10**10**8",
        "'x' * 10**9",
        "[0] * 10**9",
        "1 << 10**9",
        "list(range(10**9))",
    ],
)
def test_values_too_large_to_build_are_refused(environment, source):
    with pytest.raises(ScriptFailed):
        environment.evaluate(source, {})


def test_in_place_operators_are_guarded_too(environment):
    with pytest.raises(ScriptFailed):
        environment.execute("n = 10\nn **= 10**8", {})


def test_time_limit_leaves_the_tracer_as_it_was(environment):
    import sys

    before = sys.gettrace()
    with pytest.raises(ScriptFailed):
        environment.execute("while True: pass", {})

    assert sys.gettrace() is before


def test_compiled_code_is_cached():
    assert compile_expression("a + 1") is compile_expression("a + 1")
