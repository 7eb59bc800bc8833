"""No string reaches Python's eval except through the safe parser (symbolic/parsing.py).

The rule, checked on the syntax tree of every module under ``symbolic/``, ``numeric/`` and
``manifolds/``:

1. no call of the builtins ``eval``, ``exec``, ``compile`` or ``__import__``;
2. no mention of sympy's string parsers: the names ``parse_expr``, ``parse_latex``,
   ``sympy_parser``, ``parse_mathematica``, and no import from ``sympy.parsing``;
3. every call of ``sympify`` (``sp.sympify``, ``sympy.sympify`` or a bare ``sympify``) passes
   ``strict=True`` as a literal keyword, which makes sympy refuse strings instead of
   evaluating them; and no call of ``S(...)`` (``sp.S(x)`` is ``sympify(x)``, non-strict);
   ``sp.S.Half`` and other attribute uses of ``S`` are fine.

``symbolic/parsing.py`` obeys the rule too (it builds sympy objects from the syntax tree and
calls ``sympify(..., strict=True)`` only on non-strings), so there is no exception: a new call
path that hands a string to sympy fails here. Strings must go through
``symbolic.parsing.parse_expression`` or ``symbolic.parsing.to_sympy``.
"""
import ast

import pytest

from tests.support import REPO

PACKAGES = ("symbolic", "numeric", "manifolds")
_BUILTINS = {"eval", "exec", "compile", "__import__"}
_PARSERS = {"parse_expr", "parse_latex", "sympy_parser", "parse_mathematica"}


def _name(func):
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def violations(source, filename="<string>"):
    """The places in ``source`` that break the rule, as ``file:line: reason`` strings."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if isinstance(node.func, ast.Name) and name in _BUILTINS:
                found.append(f"{where}: call of {name}()")
            if name == "sympify":
                strict = [k for k in node.keywords if k.arg == "strict"]
                if not (strict and isinstance(strict[0].value, ast.Constant) and strict[0].value.value is True):
                    found.append(f"{where}: sympify() without strict=True")
            if name == "S":
                found.append(f"{where}: S(...) is a non-strict sympify")
        if isinstance(node, (ast.Name, ast.Attribute)) and _name(node) in _PARSERS:
            found.append(f"{where}: sympy string parser {_name(node)}")
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sympy.parsing"):
            found.append(f"{where}: import from {node.module}")
        if isinstance(node, ast.Import) and any(a.name.startswith("sympy.parsing") for a in node.names):
            found.append(f"{where}: import of sympy.parsing")
        if isinstance(node, ast.alias) and node.name in _PARSERS:
            found.append(f"{where}: import of {node.name}")
    return found


def _modules():
    return sorted(p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py"))


def test_the_modules_are_found():
    names = {p.relative_to(REPO).as_posix() for p in _modules()}
    assert {"symbolic/parsing.py", "symbolic/verify.py", "numeric/compile/kernels.py",
            "manifolds/catalog.py"} <= names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_string_reaches_eval(path):
    found = violations(path.read_text(encoding="utf-8"), path.relative_to(REPO).as_posix())
    assert not found, "\n".join(found)


@pytest.mark.parametrize("source", [
    "import sympy as sp\nsp.sympify(x)",
    "import sympy\nsympy.sympify(x, strict=False)",
    "from sympy import sympify\nsympify(x, strict=flag)",
    "import sympy as sp\nsp.S('1/2')",
    "from sympy.parsing.sympy_parser import parse_expr",
    "import sympy.parsing.sympy_parser as p",
    "from sympy import parse_expr",
    "eval('1')",
    "exec('x = 1')",
    "compile('1', 'f', 'eval')",
    "__import__('os')",
])
def test_the_rule_catches(source):
    assert violations(source)


@pytest.mark.parametrize("source", [
    "import sympy as sp\nsp.sympify(x, strict=True)",
    "import sympy as sp\nhalf = sp.S.Half",
    "import re\nre.compile('x')",
    "import sympy as sp\nf = sp.lambdify(x, e)",
])
def test_the_rule_allows(source):
    assert not violations(source)
