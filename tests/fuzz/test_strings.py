"""Area "strings": every entry that reads a string (answers of ``check``, quantity names,
``alpha=``, constructor arguments, ``Neuron`` arguments, string losses) under adversarial
payloads: code execution (``__import__``, attribute walks to ``__subclasses__``, lambdas,
comprehensions, f-strings, walrus, ``exec``/``eval``), resource bombs (``9**9**9**9``,
``10**(10**8)``, ``factorial(10**7)``, huge matrices, very long strings, deep nesting) and
random token soup.

Each payload runs in a worker process (``tests/fuzz/sandbox.py``) with a 4 GiB memory limit
and a timeout; a payload that executes code would create a marker file in the worker's
scratch directory, which is checked after every call. The property: a result, or a
documented refusal (``AnswerError``/``ValueError``/``TypeError``/``DomainError``) naming the
argument, within the budget, and no file created.
"""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import REPO, examples

from .harness import Outcome, record
from .sandbox import Sandbox

AREA = "strings"
BUDGET_S = 3.0

ENTRIES = [
    "check_answer", "check_scalar", "check_quantity", "latex_quantity", "alpha", "numeric_alpha",
    "Binomial(n=)", "NormalMean(sigma=)", "StudentT(nu=)", "Laplace(b=)", "Dirichlet(k=)",
    "MultivariateNormal(d=)", "Neuron(activation=)", "Neuron(noise=)", "Neuron(sigma=)", "Neuron(x=)",
    "Neuron(slope=)", "Neuron(alpha=)", "loss:natural_gradient_descent", "loss:mirror_descent",
]

# MARK is replaced by the path of a marker file in the worker's scratch directory.
CODE = [
    "__import__('os').system('touch MARK')",
    "__import__('pathlib').Path('MARK').touch()",
    "open('MARK', 'w').write('x')",
    "(lambda: open('MARK', 'w'))()",
    "[open('MARK', 'w') for _ in (1,)]",
    "{k: open('MARK', 'w') for k in (1,)}",
    "(y := open('MARK', 'w'))",
    "f\"{open('MARK', 'w')}\"",
    "exec(\"open('MARK', 'w')\")",
    "eval(\"open('MARK', 'w')\")",
    "().__class__.__base__.__subclasses__()",
    "().__class__.__mro__[1].__subclasses__()[0]",
    "sigma.__class__.__init__.__globals__['__builtins__']['open']('MARK', 'w')",
    "Matrix.__init__.__globals__['sys'].modules['os'].system('touch MARK')",
    "getattr(getattr(sigma, '__class__'), '__subclasses__')()",
    "sqrt.__globals__",
    "Symbol('x').__reduce__()",
    "__builtins__",
    "globals()",
    "lambda x: x",
    "import os",
    "1; open('MARK', 'w')",
    "sigma if open('MARK', 'w') else 1",
]
BOMBS = [
    "9**9**9**9",
    "10**(10**8)",
    "factorial(10**7)",
    "2**(2**(2**(2**(2**5))))",
    "Matrix(10**5, 10**5, lambda i, j: 1)",
    "ones(10**5, 10**5)",
    "Integer(10)**10**10",
    "gamma(10**100)",
    "binomial(10**12, 10**6)",
    "(" * 5000 + "1" + ")" * 5000,
    "-" * 100_000 + "1",
    "sigma+" * 50_000 + "1",
    "[" * 3000 + "]" * 3000,
    "1" * 1_000_000,
    "1e999999",
    "nan", "inf", "-oo", "zoo", "",
    " ", "\x00", "sigma\n" * 3, "σ", "1/0", "0/0", "I", "sqrt(-1)",
]
PAYLOADS = CODE + BOMBS

TOKENS = ["sigma", "mu", "lam", "x", "1", "2", "0", "-", "+", "*", "**", "/", "(", ")", "[", "]", ",",
          ".", "__class__", "__import__", "__globals__", "lambda", ":", "for", "in", "if", "=", ":=",
          "'", "f'", "{", "}", "Matrix", "exp", "log", "factorial", "9**9", "os", "open", "\\", "#",
          "eval", "exec", "1e308", "nan", "oo", "Symbol", "getattr", " "]
soup = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25).map("".join)


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(REPO)
    yield box
    box.close()


def _send(box, entry, payload):
    mark = str(box.scratch / "MARK")
    text = payload.replace("MARK", mark)
    if not box.alive():
        # a worker killed by the last payload is replaced by a cold one: its imports, kernel
        # loads and derivations are warm-up, not the next payload's time (under load they
        # alone outran the budget and every later payload was killed in turn)
        box.run(entry, _benign(entry), 300)
    kind, detail, seconds = box.run(entry, text, BUDGET_S)
    if kind != "FAIL" and seconds > BUDGET_S:
        kind, detail = "FAIL", f"took {seconds:.2f} s, over its budget of {BUDGET_S:g} s"
    created = box.created_files()
    if created:
        kind, detail = "FAIL", f"CODE EXECUTED: created {created}"
        for name in created:
            (box.scratch / name).unlink()
    shown = text if len(text) <= 80 else text[:60] + f"...<{len(text)} chars>"
    record(AREA, f"{entry} <- {shown!r}", Outcome(kind, detail, seconds))


@pytest.mark.parametrize("entry", ENTRIES)
def test_payloads(entry, sandbox, fuzz_log):
    # warm-up (derivations, compilation) outside the budget
    sandbox.run(entry, _benign(entry), 300)
    for payload in PAYLOADS:
        _send(sandbox, entry, payload)

    @examples(8)
    @given(text=soup)
    def run(text):
        _send(sandbox, entry, text)

    run()
    fuzz_log.assert_clean()


_BENIGN = {"check_answer": "Matrix([[1/sigma**2, 0], [0, 2/sigma**2]])", "check_scalar": "1/lam",
           "check_quantity": "scalar_curvature", "latex_quantity": "metric", "alpha": "1/2",
           "numeric_alpha": "0.5", "Binomial(n=)": "5", "NormalMean(sigma=)": "2", "StudentT(nu=)": "3",
           "Laplace(b=)": "1", "Dirichlet(k=)": "3", "MultivariateNormal(d=)": "2",
           "Neuron(activation=)": "tanh", "Neuron(noise=)": "symmetric", "Neuron(sigma=)": "2",
           "Neuron(x=)": "2", "Neuron(slope=)": "1/4", "Neuron(alpha=)": "1",
           "loss:natural_gradient_descent": "mu**2 + (sigma - 2)**2", "loss:mirror_descent": "(eta1 - 3)**2"}


def _benign(entry):
    return _BENIGN[entry]


def test_benign_strings_work(sandbox, fuzz_log):
    """The refusals above are not a parser that refuses everything: well-formed strings that
    the documentation promises to read give a result.
    """
    for entry in ("check_answer", "check_scalar", "check_quantity", "Binomial(n=)", "Neuron(activation=)",
                  "Neuron(noise=)"):
        kind, detail, seconds = sandbox.run(entry, _benign(entry), 300)
        record(AREA, f"{entry} <- {_benign(entry)!r}", Outcome(kind, detail, seconds))
        assert kind == "ok", (entry, detail)
    fuzz_log.assert_clean()
