"""Content-addressed on-disk cache of generated kernel modules.

numba's ``cache=True`` reloads a compiled function only when the module that defines it can
be imported again under the same name from the same file (its index is keyed on the file's
path, modification time and the function's qualified name). Generated source is therefore
written once to ``<cache folder>/<name>.py``, where ``<name>`` is a hash of everything the
source depends on, and imported by that stable name with the cache folder on ``sys.path``.
numba then stores its compiled code beside it, in ``<cache folder>/__pycache__``.

The cache folder is ``$INFOGEOM_CACHE_DIR`` if set, else ``~/.cache/infogeom/kernels``.
Deleting it is always safe.
"""
import functools
import hashlib
import importlib
import os
import sys
import tempfile
from pathlib import Path

import numba

__all__ = ["TOOLCHAIN", "cache_dir", "load_generated_module", "module_key"]

TOOLCHAIN = ("compile/special.py", "compile/printer.py", "compile/kernels.py", "compile/cache.py")
"""Files (relative to ``numeric/``) that every generated module depends on."""

_ENV_VAR = "INFOGEOM_CACHE_DIR"
_MODULE_PREFIX = "infogeom_kernel_"
# files named in depends_on are relative to the numeric package
_PACKAGE = Path(__file__).resolve().parent.parent


def cache_dir():
    """The folder that holds generated kernel modules (created if missing).

    Returns
    -------
    pathlib.Path
        ``$INFOGEOM_CACHE_DIR`` if that environment variable is set, else
        ``~/.cache/infogeom/kernels``.
    """
    folder = os.environ.get(_ENV_VAR) or os.path.join("~", ".cache", "infogeom", "kernels")
    path = Path(folder).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(
            f"cannot create the kernel cache folder {str(path)!r}; set {_ENV_VAR} to a "
            "writable folder"
        ) from exc
    return path


@functools.lru_cache(maxsize=None)
def _toolchain_fingerprint(files):
    # Generated modules call into numeric.compile.special (and may embed code from other numeric
    # modules); numba's cache does not notice when a callee changes, so their source is part
    # of the key. Versions too: numba's cache files are not portable across versions.
    digest = hashlib.sha256()
    digest.update(f"python {sys.version}\nnumba {numba.__version__}\n".encode())
    for name in files:
        digest.update(name.encode())
        digest.update((_PACKAGE / name).read_bytes())
    return digest.hexdigest()


def module_key(parts, depends_on=TOOLCHAIN):
    """Hash of ``parts`` (strings) and of the toolchain, as a module name.

    Parameters
    ----------
    parts : sequence of str
        Everything the generated source depends on (e.g. ``srepr`` of the expressions).
    depends_on : tuple of str
        Files of the ``numeric`` package (paths relative to it) whose content the generated code depends on.

    Returns
    -------
    str
        A valid, stable Python module name.
    """
    digest = hashlib.sha256(_toolchain_fingerprint(tuple(depends_on)).encode())
    for part in parts:
        digest.update(b"\x00")
        digest.update(part.encode())
    return _MODULE_PREFIX + digest.hexdigest()[:32]


def _write_once(path, text):
    """Create ``path`` with ``text`` atomically, never overwriting an existing file.

    Rewriting an existing file would change its modification time and so invalidate numba's
    cache index for every function in it; a concurrent writer (pytest-xdist, two notebooks)
    writes identical content, so whichever file lands first is kept.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".py")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a shared cache folder must be readable
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:
            # file systems without hard links: fall back to an atomic replace
            if not path.exists():
                os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_generated_module(name, make_source):
    """Import the generated module ``name``, writing it first if it is not cached yet.

    Parameters
    ----------
    name : str
        Module name from :func:`module_key`.
    make_source : callable
        Called with no argument, only when the module is not on disk yet; returns the
        module's source text.

    Returns
    -------
    module
        The imported module; ``module.__file__`` is its path in :func:`cache_dir`.
    """
    if name in sys.modules:
        return sys.modules[name]
    folder = cache_dir()
    if str(folder) not in sys.path:
        # appended, not prepended: generated names are unique, nothing may be shadowed
        sys.path.append(str(folder))
    path = folder / f"{name}.py"
    for attempt in range(2):
        if not path.exists():
            _write_once(path, make_source())
            importlib.invalidate_caches()  # the path finder caches directory listings
        try:
            return importlib.import_module(name)
        except SyntaxError:
            # a truncated file left by a killed process: regenerate once
            if attempt:
                raise
            sys.modules.pop(name, None)
            path.unlink(missing_ok=True)
    raise AssertionError("unreachable")  # pragma: no cover
