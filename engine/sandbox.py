"""Run the scripts and expressions of analysts' diagrams without trusting them.

Everything a diagram can execute (script tasks, gateway conditions, timer
expressions, pre- and post-scripts, DMN cells) goes through here. The code is
compiled by RestrictedPython's compiler, which refuses names and attributes
starting with an underscore and routes attribute access, item access and
iteration through guards. On top of it this module refuses imports, runs the
code with no modules and a short list of vetted builtins, bounds the size of
values that ``**``, ``*`` and ``<<`` can create, and stops code that runs past
a time limit.

Known limit: the time bound is checked between bytecode instructions, so a single
builtin call that is itself slow (``sorted`` of a huge list that the script
was given) runs to its end; the size guards keep scripts from building such
values themselves.
"""

from __future__ import annotations

import ast
import operator
import sys
import time
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)

from .errors import ScriptFailed, ScriptRefused

SCRIPT_FILENAME = "<diagram script>"
DEFAULT_TIME_LIMIT = 1.0
MAX_SEQUENCE_LENGTH = 100_000
MAX_INT_BITS = 65_536

_GUARDED_OPERATORS = {ast.Pow: "_pow_", ast.Mult: "_mul_", ast.LShift: "_lshift_"}


class _DiagramPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus no imports and size-guarded arithmetic."""

    def visit_Import(self, node):
        self.error(node, "imports are not allowed in diagram scripts")
        return node

    def visit_ImportFrom(self, node):
        return self.visit_Import(node)

    def visit_BinOp(self, node):
        node = self.node_contents_visit(node)
        guard = _GUARDED_OPERATORS.get(type(node.op))
        if guard is None:
            return node

        call = ast.Call(
            func=ast.Name(guard, ast.Load()), args=[node.left, node.right], keywords=[]
        )
        return ast.fix_missing_locations(ast.copy_location(call, node))


def _size_of(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else 0


def _guarded_pow(base, exponent):
    too_large = (
        isinstance(base, int)
        and isinstance(exponent, int)
        and exponent > 0
        and abs(base) > 1
        and exponent * abs(base).bit_length() > MAX_INT_BITS
    )
    if too_large:
        raise ScriptFailed("a power in the script would be too large")
    return base**exponent


def _guarded_mul(left, right):
    for sequence, count in ((left, right), (right, left)):
        if isinstance(count, int) and count * _size_of(sequence) > MAX_SEQUENCE_LENGTH:
            raise ScriptFailed("a repeated sequence in the script would be too long")
    return left * right


def _guarded_lshift(left, right):
    if isinstance(right, int) and right > MAX_INT_BITS:
        raise ScriptFailed("a shift in the script would be too large")
    return left << right


_INPLACE = {
    "+=": operator.add,
    "-=": operator.sub,
    "*=": _guarded_mul,
    "/=": operator.truediv,
    "//=": operator.floordiv,
    "%=": operator.mod,
    "**=": _guarded_pow,
    "<<=": _guarded_lshift,
    ">>=": operator.rshift,
    "&=": operator.and_,
    "|=": operator.or_,
    "^=": operator.xor,
}


def _inplacevar(op: str, left, right):
    return _INPLACE[op](left, right)


def _bounded_range(*args):
    values = range(*args)
    if len(values) > MAX_SEQUENCE_LENGTH:
        raise ScriptFailed(f"range() longer than {MAX_SEQUENCE_LENGTH} in a script")
    return values


def _getitem(container, key):
    return container[key]


_VETTED_BUILTINS = {
    name: getattr(__builtins__, name, None)
    if not isinstance(__builtins__, dict)
    else __builtins__[name]
    for name in (
        "abs",
        "all",
        "any",
        "bool",
        "dict",
        "divmod",
        "enumerate",
        "filter",
        "float",
        "int",
        "isinstance",
        "len",
        "list",
        "map",
        "max",
        "min",
        "reversed",
        "round",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
        "True",
        "False",
        "None",
    )
}
_VETTED_BUILTINS["range"] = _bounded_range

BASE_GLOBALS: dict[str, Any] = {
    "__builtins__": _VETTED_BUILTINS,
    "__name__": "diagram_script",
    "__metaclass__": type,
    "_getattr_": safer_getattr,
    "_getitem_": _getitem,
    "_getiter_": iter,
    "_write_": full_write_guard,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplacevar,
    "_pow_": _guarded_pow,
    "_mul_": _guarded_mul,
    "_lshift_": _guarded_lshift,
}


@lru_cache(maxsize=8192)
def compile_expression(source: str) -> CodeType:
    """Compile an expression, raising :class:`ScriptRefused` if it is not allowed."""
    return _compiled(
        compile_restricted_eval(source.strip(), SCRIPT_FILENAME, policy=_DiagramPolicy)
    )


@lru_cache(maxsize=8192)
def compile_script(source: str) -> CodeType:
    """Compile a script, raising :class:`ScriptRefused` if it is not allowed."""
    return _compiled(
        compile_restricted_exec(source, SCRIPT_FILENAME, policy=_DiagramPolicy)
    )


def _compiled(result) -> CodeType:
    if result.errors or result.code is None:
        message = "; ".join(result.errors) or "does not compile"
        raise ScriptRefused(message, _line_of(result.errors))

    return result.code


def _line_of(errors) -> int | None:
    for error in errors:
        # RestrictedPython reports "Line N: ..." for policy and syntax errors.
        if error.startswith("Line "):
            number = error[5:].split(":", 1)[0]
            if number.isdigit():
                return int(number)
    return None


class _TimeLimit:
    """A trace function that stops diagram code once its time is up."""

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds

    def __enter__(self):
        self.previous = sys.gettrace()
        sys.settrace(self.on_call)
        return self

    def __exit__(self, *exc_info):
        sys.settrace(self.previous)

    def on_call(self, frame, event, arg):
        if frame.f_code.co_filename != SCRIPT_FILENAME:
            return None

        # A one-line loop emits no line events, so watch every opcode.
        frame.f_trace_opcodes = True
        return self.on_event

    def on_event(self, frame, event, arg):
        if time.monotonic() > self.deadline:
            raise ScriptFailed("script ran past its time limit")
        return self.on_event


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluate over task data with vetted globals only, under a time limit."""

    def __init__(
        self, helpers: dict[str, Any] | None = None, time_limit=DEFAULT_TIME_LIMIT
    ):
        super().__init__(dict(helpers or {}))
        self.time_limit = time_limit

    def evaluate(self, expression, context, external_context=None):
        code = compile_expression(expression)
        scope = self._scope(context, external_context)
        with _TimeLimit(self.time_limit):
            return eval(code, scope)

    def execute(self, script, context, external_context=None):
        code = compile_script(script)
        scope = self._scope(context, external_context)
        with _TimeLimit(self.time_limit):
            exec(code, scope)  # noqa: S102 - RestrictedPython code, vetted scope

        self._write_back(scope, context, external_context)
        return True

    def call_service(self, context, **kwargs):
        # Service tasks wait for a worker instead of running inside a request.
        raise ScriptFailed("service tasks are completed by workers, not run inline")

    def _scope(self, context, external_context):
        scope = dict(BASE_GLOBALS)
        scope.update(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        return scope

    def _write_back(self, scope, context, external_context):
        hidden = set(BASE_GLOBALS) | set(self.globals) | set(external_context or {})
        for name in [name for name in context if name not in scope]:
            del context[name]
        for name, value in scope.items():
            if name in hidden or name.startswith("_") or callable(value):
                continue
            context[name] = value


class RestrictedScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine with every evaluation restricted."""

    def __init__(self, helpers: dict[str, Any] | None = None):
        super().__init__(environment=RestrictedEnvironment(helpers))

    def validate(self, expression):
        compile_expression(expression)
