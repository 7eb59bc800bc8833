"""A worker process for the string area: each payload runs there, under a memory limit and
a wall-clock timeout enforced by the parent, in a scratch working directory.

A resource bomb (``9**9**9**9``) or a hang kills only the worker (the parent restarts it);
a payload that executes code is caught by a marker file appearing. Protocol: pickled
``(entry, payload)`` requests on stdin, pickled ``(kind, detail, seconds)`` on stdout.
"""
from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEMORY_LIMIT = 4 * 2**30


def _overflow_as_max(value):
    import numpy as np

    return np.where(np.isinf(value), np.sign(value) * np.finfo(float).max, value)


def _entries():
    from manifolds import (
        Binomial,
        Dirichlet,
        Laplace,
        MultivariateNormal,
        Neuron,
        Normal,
        NormalMean,
        Poisson,
        StudentT,
    )

    normal, poisson = Normal(), Poisson()

    def ngd(s):
        from manifolds.optim import natural_gradient_descent
        return natural_gradient_descent(normal, s, [0.0, 1.0], lr=0.1, steps=2)

    def mirror(s):
        from manifolds.optim import mirror_descent
        return mirror_descent(poisson, s, [1.0], lr=0.1, steps=2)

    return {
        # entry: (callable of the string, words one of which a refusal must name)
        "check_answer": (lambda s: normal.check("fisher_metric", s), ("answer",)),
        "check_scalar": (lambda s: poisson.check("fisher_metric", s), ("answer",)),
        "check_quantity": (lambda s: normal.check(s, "1"), ("quantity",)),
        "latex_quantity": (lambda s: normal.latex(s), ("quantity",)),
        "alpha": (lambda s: normal.christoffel(kind=1, alpha=s), ("alpha",)),
        # +-inf is the documented float64 rounding of a value beyond its range (alpha = 1e308
        # gives Gamma = -(1 + 2 alpha) / sigma, see NumericManifold's notes); NaN stays a failure
        "numeric_alpha": (lambda s: _overflow_as_max(normal.numeric.christoffel([0.0, 1.0], alpha=s)), ("alpha",)),
        "Binomial(n=)": (lambda s: Binomial(n=s).fisher_metric(), ("n",)),
        "NormalMean(sigma=)": (lambda s: NormalMean(sigma=s).fisher_metric(), ("sigma",)),
        "StudentT(nu=)": (lambda s: StudentT(nu=s).fisher_metric(), ("nu",)),
        "Laplace(b=)": (lambda s: Laplace(b=s).fisher_metric(), ("b",)),
        "Dirichlet(k=)": (lambda s: Dirichlet(k=s).dim, ("k",)),
        "MultivariateNormal(d=)": (lambda s: MultivariateNormal(d=s).dim, ("d",)),
        "Neuron(activation=)": (lambda s: Neuron(s, "gaussian", d=1, sigma=1).fisher_metric(), ("activation",)),
        "Neuron(noise=)": (lambda s: Neuron("tanh", s, d=1).fisher_metric(), ("noise",)),
        "Neuron(sigma=)": (lambda s: Neuron("tanh", "gaussian", d=1, sigma=s).fisher_metric(), ("sigma",)),
        "Neuron(x=)": (lambda s: Neuron("tanh", "symmetric", d=1, x=[s]).fisher_metric(), ("x", "x[0]")),
        "Neuron(slope=)": (lambda s: Neuron("prelu", "gaussian", d=1, sigma=1, slope=s).fisher_metric(), ("slope",)),
        "Neuron(alpha=)": (lambda s: Neuron("elu", "gaussian", d=1, sigma=1, alpha=s).fisher_metric(), ("alpha",)),
        "loss:natural_gradient_descent": (ngd, ("loss",)),
        "loss:mirror_descent": (mirror, ("loss",)),
    }


def _serve():
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    sys.setrecursionlimit(10_000)
    sys.path.insert(0, os.environ["INFOGEOM_REPO"])
    from tests.fuzz.harness import classify_exception, classify_result

    entries = _entries()
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the protocol
    while True:
        head = inp.read(4)
        if len(head) < 4:
            return
        entry, payload = pickle.loads(inp.read(struct.unpack("<I", head)[0]))
        fn, names = entries[entry]
        start = time.perf_counter()
        try:
            value = fn(payload)
            kind, detail = classify_result(value)
        except RecursionError as exc:
            kind, detail = "FAIL", f"RecursionError: {str(exc)[:100]}"
        except MemoryError:
            kind, detail = "FAIL", "MemoryError: a resource bomb was evaluated"
        except Exception as exc:  # the classification is the point
            kind, detail = classify_exception(exc, names)
        data = pickle.dumps((kind, detail, time.perf_counter() - start))
        out.write(struct.pack("<I", len(data)) + data)
        out.flush()


class Sandbox:
    """The parent side: start the worker, send a payload, enforce the timeout."""

    def __init__(self, repo):
        self.repo = str(repo)
        self.scratch = Path(tempfile.mkdtemp(prefix="infogeom-fuzz-"))
        self.proc = None

    def _start(self):
        env = dict(os.environ, INFOGEOM_REPO=self.repo, PYTHONPATH=self.repo)
        self.proc = subprocess.Popen([sys.executable, "-c", "from tests.fuzz.sandbox import _serve; _serve()"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     cwd=self.scratch, env=env)

    def alive(self):
        """Whether a worker is running (it is started on the next :meth:`run` otherwise)."""
        return self.proc is not None and self.proc.poll() is None

    def close(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def run(self, entry, payload, timeout):
        """``(kind, detail, seconds)``; a timeout or a dead worker is a FAIL (worker restarted)."""
        import selectors

        if self.proc is None or self.proc.poll() is not None:
            self._start()
        data = pickle.dumps((entry, payload))
        start = time.perf_counter()
        try:
            self.proc.stdin.write(struct.pack("<I", len(data)) + data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            self.close()
            return "FAIL", "the worker died before reading the payload", 0.0
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout)
        sel.close()
        if not ready:
            self.close()
            return "FAIL", f"hang: no answer within {timeout:g} s (worker killed)", time.perf_counter() - start
        head = self.proc.stdout.read(4)
        if len(head) < 4:
            code = self.proc.wait()
            self.close()
            return "FAIL", f"the interpreter died (exit code {code}; memory limit or crash)", time.perf_counter() - start
        return pickle.loads(self.proc.stdout.read(struct.unpack("<I", head)[0]))

    def created_files(self):
        return sorted(p.name for p in self.scratch.iterdir())
