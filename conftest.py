"""Test-session setup shared by tests, doctests and examples.

numba reads ``NUMBA_ENABLE_CUDASIM`` once, when it is first imported, so the CUDA simulator
is chosen here, before any test module imports numba: machines without a GPU (CI) run the
``numba.cuda`` kernels in the simulator.
"""
import os
import shutil

if shutil.which("nvidia-smi") is None:
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

# Figures written by examples and the tour never need a screen.
os.environ.setdefault("MPLBACKEND", "Agg")

# Tests check results, not speed (benchmarks/symbolic_budget.py reports the times): derivations
# get ten minutes each instead of the interactive default, so a loaded CI machine cannot turn a
# slow derivation into a failure. Tests of the budget pass their own timeout.
os.environ.setdefault("INFOGEOM_SYMBOLIC_BUDGET", "600")


# Doctests that compile a geodesic integrator or derive a whole table (seconds each): marked
# slow so that ``pytest -m "not slow"`` stays a quick loop. Test functions carry the marker
# themselves; doctests cannot.
_SLOW_DOCTESTS = (
    "numeric.geodesics.integrate.compile_geodesic",
    "numeric.geodesics.shooting.shoot",
    "symbolic.neuron.neuron_model",
    "symbolic.neuron.rfim_table",
    "neuron.md",
)


def pytest_collection_modifyitems(config, items):
    import pytest

    for item in items:
        if item.name in _SLOW_DOCTESTS and type(item).__name__ == "DoctestItem":
            item.add_marker(pytest.mark.slow)

# The Sphinx configuration is not a test module, and the built site is not a source.
collect_ignore = ["docs/conf.py"]
collect_ignore_glob = ["docs/_build/*", "docs/api/generated/*"]
