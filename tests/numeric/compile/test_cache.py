"""numeric.compile.cache heals a damaged cache instead of trusting it or failing on it.

Each test works in its own cache folder (``INFOGEOM_CACHE_DIR`` set to a temporary folder,
read on every call of ``cache_dir``) and forgets the imported module between "processes"
(``sys.modules``), so the next load goes through the disk as a new process would. Values are
checked against the symbolic Fisher metric of the Normal family, ``diag(1, 2) / sigma**2``,
evaluated by sympy at the same points.
"""
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from manifolds import Normal
from numeric.compile import cache, compile_kernels
from tests import support

POINTS = np.array([[0.3, 1.7], [-2.0, 0.4], [5.0, 3.0]])


@pytest.fixture(scope="module")
def normal():
    M = Normal()
    return M.coordinates, M.fisher_metric()


def symbolic_values(normal):
    coords, g = normal
    return np.array([[[float(g[i, j].subs(dict(zip(coords, x, strict=True)))) for j in range(2)] for i in range(2)]
                     for x in POINTS])


def forget_modules():
    """Forget the imported kernel modules, so the next load reads the disk as a new process."""
    for name in [n for n in sys.modules if n.startswith("infogeom_kernel_")]:
        del sys.modules[name]


def load(normal):
    """The Normal metric kernel, loaded from the cache folder as a fresh process would."""
    coords, g = normal
    forget_modules()
    return compile_kernels(coords, {"metric": g})["metric"]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("INFOGEOM_CACHE_DIR", str(tmp_path))
    return tmp_path


def intact(path):
    head, _, body = Path(path).read_bytes().partition(b"\n")
    return head.endswith(hashlib.sha256(body).hexdigest().encode())


def test_module_carries_the_hash_of_its_content(folder, normal):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an intact cache loads silently
        first = load(normal)
        second = load(normal)
    assert first.path == second.path and Path(first.path).parent == folder
    assert intact(first.path)
    np.testing.assert_allclose(second(POINTS), symbolic_values(normal), rtol=1e-15)


def _truncate(text):
    lines = text.splitlines(keepends=True)
    return "".join(lines[: len(lines) // 2])  # a writer killed at a line boundary


def _empty(text):
    return ""


def _edit(text):
    # still valid Python, different numbers: g_sigma_sigma scaled by 3/4
    edited, count = re.subn(r"(out\[1, 1\] = )(.*)", r"\g<1>0.75*(\g<2>)", text)
    assert count == 1
    compile(edited, "edited", "exec")
    return edited


@pytest.mark.parametrize("damage", [_truncate, _empty, _edit], ids=["truncated", "emptied", "edited"])
def test_damaged_module_is_regenerated_not_loaded(folder, normal, damage):
    path = Path(load(normal).path)
    path.write_text(damage(path.read_text()))
    with pytest.warns(RuntimeWarning, match="is damaged"):
        kernel = load(normal)
    assert kernel.path == str(path) and intact(path)
    np.testing.assert_allclose(kernel(POINTS), symbolic_values(normal), rtol=1e-15)


def test_edited_module_compiled_by_numba_is_not_reused(folder, normal):
    # the edit is run once (numba caches its code) before the next process finds it
    path = Path(load(normal).path)
    path.write_text(_edit(path.read_text()))
    forget_modules()
    spec = importlib.util.spec_from_file_location(path.stem, path)
    edited = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(edited)
    out = np.empty((1, 2, 2))
    edited.metric_batch(POINTS[:1], np.empty(0), out)
    assert out[0, 1, 1] == pytest.approx(0.75 * symbolic_values(normal)[0, 1, 1], rel=1e-15)
    assert any(folder.glob("__pycache__/*.nbc"))
    with pytest.warns(RuntimeWarning, match="is damaged"):
        kernel = load(normal)
    np.testing.assert_allclose(kernel(POINTS), symbolic_values(normal), rtol=1e-15)


def _numba_files(folder, suffix):
    files = sorted((folder / "__pycache__").glob(f"*.{suffix}"))
    assert files, f"numba wrote no *.{suffix} file"
    return files


@pytest.mark.parametrize("suffix, corrupt", [
    ("nbi", lambda data: b""),
    ("nbi", lambda data: data[: len(data) // 2]),
    ("nbc", lambda data: data[: len(data) // 2]),
], ids=["index-emptied", "index-truncated", "data-truncated"])
@pytest.mark.slow
def test_unreadable_numba_cache_is_discarded_and_rebuilt(folder, normal, suffix, corrupt):
    load(normal)(POINTS)  # compiles and writes numba's index and data files
    for f in _numba_files(folder, suffix):
        f.write_bytes(corrupt(f.read_bytes()))
    with pytest.warns(RuntimeWarning, match="could not be read") as record:
        kernel = load(normal)
        values = kernel(POINTS)
    assert any("metric_rows" in str(w.message) for w in record)
    np.testing.assert_allclose(values, symbolic_values(normal), rtol=1e-15)
    # rebuilt: the next process loads the compiled code silently, without compiling
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kernel = load(normal)
        np.testing.assert_allclose(kernel(POINTS), symbolic_values(normal), rtol=1e-15)
    assert sum(kernel.rows.stats.cache_hits.values()) >= 1
    assert sum(kernel.rows.stats.cache_misses.values()) == 0


# -- folders that cannot be written --------------------------------------------------------------
def _make_read_only(path):
    """Make the tree at ``path`` unwritable for this process; return how to undo it, or None.

    A superuser ignores permission bits, so for root the tree is made immutable instead.
    """
    if getattr(os, "geteuid", lambda: 1)() == 0:
        if shutil.which("chattr") is None:
            return None
        if subprocess.run(["chattr", "-R", "+i", str(path)], capture_output=True).returncode:
            return None

        def undo():
            subprocess.run(["chattr", "-R", "-i", str(path)], capture_output=True)
    else:
        modes = {p: p.stat().st_mode for p in [path, *path.rglob("*")]}
        for p, mode in modes.items():
            p.chmod(mode & ~0o222)

        def undo():
            for p, mode in modes.items():
                p.chmod(mode)
    try:
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return undo
    undo()
    return None


@pytest.fixture
def read_only():
    undos = []

    def make(path):
        undo = _make_read_only(path)
        if undo is None:
            pytest.skip("cannot make a folder read-only here (no chattr for root)")
        undos.append(undo)
        return path

    yield make
    for undo in undos:
        undo()


def _assert_one_fallback_warning(record, name):
    messages = [str(w.message) for w in record if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1, messages
    assert name in messages[0] and "temporary folder" in messages[0]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["read-only", "not creatable"])
def test_unwritable_cache_folder_falls_back_with_one_warning(tmp_path, monkeypatch, normal, read_only, kind):
    if kind == "read-only":
        requested = tmp_path / "kernels"
        requested.mkdir()
        read_only(requested)
    else:
        (tmp_path / "a-file").write_text("")
        requested = tmp_path / "a-file" / "kernels"
    monkeypatch.setenv("INFOGEOM_CACHE_DIR", str(requested))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        kernel = load(normal)
        values = kernel(POINTS)
        coords, g = normal
        other = compile_kernels(coords, {"inverse": g.inv()})["inverse"]  # a second module: no second warning
    _assert_one_fallback_warning(record, "INFOGEOM_CACHE_DIR")
    assert Path(kernel.path).parent == cache.cache_dir() != requested
    assert not requested.exists() or not any(requested.iterdir())
    np.testing.assert_allclose(values, symbolic_values(normal), rtol=1e-15)
    np.testing.assert_allclose(other(POINTS), np.linalg.inv(symbolic_values(normal)), rtol=1e-15)


_UNWRITABLE_HOME = textwrap.dedent("""
    import json, warnings
    warnings.simplefilter("always")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        import numba
        from manifolds import Normal
        values = Normal().numeric.metric([[0.3, 1.7], [-2.0, 0.4], [5.0, 3.0]]).tolist()
    print(json.dumps({"values": values, "numba_cache_dir": numba.config.CACHE_DIR,
                      "warnings": [str(w.message) for w in record
                                   if issubclass(w.category, RuntimeWarning)]}))
""")


@pytest.mark.slow
def test_unwritable_package_and_home_fall_back_with_one_warning(tmp_path, read_only, normal):
    # a copy of the packages where numba cannot write beside the code, and a read-only HOME:
    # numba's locators all fail, which without the fallback raises "no locator available"
    # when numeric.compile.special is imported
    code = tmp_path / "code"
    for package in ("symbolic", "numeric", "manifolds"):
        shutil.copytree(support.REPO / package, code / package, ignore=shutil.ignore_patterns("__pycache__"))
    home = tmp_path / "home"
    home.mkdir()
    read_only(code)
    read_only(home)
    env = {k: v for k, v in os.environ.items()
           if k not in ("INFOGEOM_CACHE_DIR", "NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "PYTHONPATH")}
    env.update(HOME=str(home), PYTHONPATH=str(code))
    done = subprocess.run([sys.executable, "-c", _UNWRITABLE_HOME], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    messages = result["warnings"]
    assert len(messages) == 1, messages
    assert "NUMBA_CACHE_DIR" in messages[0] and "INFOGEOM_CACHE_DIR" in messages[0]
    assert result["numba_cache_dir"] and not result["numba_cache_dir"].startswith(str(tmp_path))
    np.testing.assert_allclose(result["values"], symbolic_values(normal), rtol=1e-15)
    assert not any(home.rglob("*"))


def test_cache_dir_reads_the_environment_on_each_call(tmp_path, monkeypatch):
    monkeypatch.setenv("INFOGEOM_CACHE_DIR", str(tmp_path / "one"))
    first = cache.cache_dir()
    monkeypatch.setenv("INFOGEOM_CACHE_DIR", str(tmp_path / "two"))
    assert (first, cache.cache_dir()) == (tmp_path / "one", tmp_path / "two")
    assert first.is_dir()
