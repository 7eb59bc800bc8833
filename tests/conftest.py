"""Shared test configuration: hypothesis profiles and markers.

Profiles: ``ci`` (default; fixed seeds, no deadline) and ``long`` (random seeds, 20 times the
examples, and the log maps of every family in the fuzz suite: its 20,000-input run), chosen
with ``pytest --hypothesis-profile=long``. Markers: ``slow`` (seconds to minutes;
``pytest -m "not slow"`` is the quick loop) and ``gpu`` (CUDA kernels; under numba's
simulator on machines without a GPU, skipped when numba-cuda is absent).
"""
from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
               print_blob=True)
settings.register_profile("ci", derandomize=True, **_COMMON)
settings.register_profile("long", derandomize=False, max_examples=500, **_COMMON)
settings.load_profile("ci")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes seconds to minutes; deselect with -m 'not slow'")
    config.addinivalue_line("markers", "gpu: runs numba.cuda kernels (the simulator without a GPU)")
    config.addinivalue_line("markers", "fuzz: the bad-input fuzz suite (tests/fuzz); long run: --hypothesis-profile=long")
