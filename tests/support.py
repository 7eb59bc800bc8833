"""Helpers shared by the tests: the repository's paths, loading examples, hypothesis sizes."""
import contextlib
import importlib.util
import os
import sys
from pathlib import Path

from hypothesis import settings

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
BENCHMARKS = REPO / "benchmarks"

# The "long" hypothesis profile (pytest --hypothesis-profile=long) multiplies every test's
# example count; the "ci" profile (the default) keeps the counts written in the tests.
_FACTOR = {"ci": 1, "long": 20}


def profile():
    """The name of the active hypothesis profile (``"ci"`` or ``"long"``)."""
    return settings._current_profile


def examples(n, **kwargs):
    """``hypothesis.settings`` with ``n`` examples, scaled by the active profile."""
    factor = _FACTOR.get(profile(), 1)
    return settings(max_examples=n * factor, **kwargs)


def load_example(name):
    """Import ``examples/<name>.py`` as a module (with ``examples/`` importable meanwhile)."""
    path = EXAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(EXAMPLES))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(EXAMPLES))
    return module


@contextlib.contextmanager
def chdir(path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def cuda_available():
    """Whether numba's CUDA target can run here (a GPU, or numba-cuda's simulator)."""
    from numeric.geodesics.integrate import cuda_target

    try:
        cuda_target()
        return True
    except RuntimeError:
        return False
