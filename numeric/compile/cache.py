"""Content-addressed on-disk cache of generated kernel modules, which heals itself.

numba's ``cache=True`` reloads a compiled function only when the module that defines it can
be imported again under the same name from the same file (its index is keyed on the file's
content, the function's qualified name and line). Generated source is therefore written once
to ``<cache folder>/<name>.py``, where ``<name>`` is a hash of everything the source depends
on, and imported by that stable name with the cache folder on ``sys.path``. numba then stores
its compiled code beside it, in ``<cache folder>/__pycache__``.

The cache folder is ``$INFOGEOM_CACHE_DIR`` if set, else ``~/.cache/infogeom/kernels``.
Deleting it is always safe. A damaged cache is repaired rather than trusted or fatal:

- every generated module starts with a line holding the sha256 of the rest of the file and
  is checked against it before import: a module that was truncated, emptied or edited is
  discarded (with its bytecode and numba's files) and generated again, with a warning;
- a numba cache file (``*.nbi``, ``*.nbc``) of a kernel that cannot be read is deleted with
  a warning and the function compiled again (:func:`heal_numba_cache`);
- a cache folder that cannot be written (read-only, or not creatable) is replaced by a
  temporary folder of this process, with one warning naming ``INFOGEOM_CACHE_DIR``; and if
  numba finds no writable place for the compiled code of this package (the package folder
  and ``HOME`` both read-only), ``NUMBA_CACHE_DIR`` is pointed at that temporary folder
  when :mod:`numeric` is imported, with one warning naming ``NUMBA_CACHE_DIR``.

The header detects accidents (a killed writer, a full disk, a stray edit), not tampering: a
file edited together with its header line is trusted.
"""
import atexit
import functools
import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import numba
from numba.core.caching import CacheImpl, FunctionCache
from numba.core.dispatcher import Dispatcher

__all__ = ["TOOLCHAIN", "cache_dir", "heal_numba_cache", "load_generated_module", "module_key"]

TOOLCHAIN = ("compile/special.py", "compile/printer.py", "compile/kernels.py", "compile/cache.py")
"""Files (relative to ``numeric/``) that every generated module depends on."""

_ENV_VAR = "INFOGEOM_CACHE_DIR"
_NUMBA_ENV_VAR = "NUMBA_CACHE_DIR"
_MODULE_PREFIX = "infogeom_kernel_"
_HEADER = "# infogeom kernel module, sha256 of the lines below: "
# files named in depends_on are relative to the numeric package
_PACKAGE = Path(__file__).resolve().parent.parent
# subpackages whose modules define @njit(cache=True) functions of their own
_STATIC_NJIT_FOLDERS = ("compile", "nn")

# a cache folder that cannot be written -> the temporary folder used instead (warned once)
_FALLBACKS = {}
_WRITABLE = set()
_process_folder = None


def _temporary_folder():
    """A folder of this process, removed when it exits."""
    global _process_folder
    if _process_folder is None:
        try:
            _process_folder = Path(tempfile.mkdtemp(prefix="infogeom-cache-"))
        except OSError as exc:
            raise OSError(
                f"no writable folder for compiled kernels (not even a temporary one); set "
                f"{_ENV_VAR} and {_NUMBA_ENV_VAR} to a writable folder") from exc
        atexit.register(shutil.rmtree, _process_folder, True)
    return _process_folder


def _writable(path):
    """Whether ``path`` exists (created if need be) and a file can be created in it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        if path not in _WRITABLE:
            tempfile.TemporaryFile(dir=path).close()
            _WRITABLE.add(path)
    except OSError:
        return False
    return True


def _requested_dir():
    folder = os.environ.get(_ENV_VAR) or os.path.join("~", ".cache", "infogeom", "kernels")
    return Path(folder).expanduser().resolve()


def _fallback_for(requested):
    """The temporary folder replacing ``requested``, or None if ``requested`` is writable."""
    if requested in _FALLBACKS:
        return _FALLBACKS[requested]
    if _writable(requested):
        return None
    fallback = _temporary_folder() / "kernels"
    fallback.mkdir(exist_ok=True)
    _FALLBACKS[requested] = fallback
    return fallback


def _warn(message):
    warnings.warn(message, RuntimeWarning, stacklevel=3)


def cache_dir():
    """The folder that holds generated kernel modules (created if missing).

    Returns
    -------
    pathlib.Path
        ``$INFOGEOM_CACHE_DIR`` if that environment variable is set, else
        ``~/.cache/infogeom/kernels``. If that folder cannot be created or written, a
        temporary folder of this process instead, with one ``RuntimeWarning`` per folder
        (kernels compiled there are not reused by later processes).

    Examples
    --------
    >>> import os
    >>> os.access(cache_dir(), os.W_OK)
    True
    """
    requested = _requested_dir()
    known = requested in _FALLBACKS
    fallback = _fallback_for(requested)
    if fallback is None:
        return requested
    if not known:
        _warn(f"the kernel cache folder {str(requested)!r} cannot be written; compiled kernels "
              f"go to the temporary folder {str(fallback)!r} for this process and are not reused "
              f"by the next one. Set {_ENV_VAR} to a writable folder.")
    return fallback


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

    Examples
    --------
    >>> module_key(["x**2"]) == module_key(["x**2"]) != module_key(["x**3"])
    True
    """
    digest = hashlib.sha256(_toolchain_fingerprint(tuple(depends_on)).encode())
    for part in parts:
        digest.update(b"\x00")
        digest.update(part.encode())
    return _MODULE_PREFIX + digest.hexdigest()[:32]


def _with_header(text):
    body = text.encode("utf-8")
    return (_HEADER + hashlib.sha256(body).hexdigest() + "\n").encode("ascii") + body


def _damage(path):
    """Why the module file at ``path`` must not be imported: None if it is intact,
    ``"missing"``, or what is wrong with it.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "missing"
    head, _, body = data.partition(b"\n")
    prefix = _HEADER.encode("ascii")
    if not head.startswith(prefix):
        return "it lacks its hash line (emptied or overwritten)"
    if head[len(prefix):] != hashlib.sha256(body).hexdigest().encode("ascii"):
        return "its content does not match its hash (truncated or edited)"
    return None


def _discard(path):
    """Delete a generated module with its bytecode and numba's files (all named after it)."""
    path.unlink(missing_ok=True)
    for stale in (path.parent / "__pycache__").glob(f"{path.stem}.*"):
        stale.unlink(missing_ok=True)


def _write_once(path, text):
    """Create ``path`` with ``text`` (and its hash line) atomically, never overwriting an
    existing file.

    Rewriting an existing file would invalidate numba's cache index for every function in it
    (the index is keyed on the file's content hash, and Python's bytecode on its modification
    time); a concurrent writer (pytest-xdist, two notebooks) writes identical content, so
    whichever file lands first is kept.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".py")
    try:
        # bytes, so the hash covers exactly what is on disk (no newline translation)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_with_header(text))
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

    A cached file that fails its hash check, or that fails to import, is discarded with a
    ``RuntimeWarning`` and generated again; it is never imported.

    Parameters
    ----------
    name : str
        Module name from :func:`module_key`.
    make_source : callable
        Called with no argument, only when the module is not on disk yet (or was damaged);
        returns the module's source text.

    Returns
    -------
    module
        The imported module; ``module.__file__`` is its path in :func:`cache_dir`. Its numba
        functions discard unreadable cache files (:func:`heal_numba_cache`).
    """
    if name in sys.modules:
        return sys.modules[name]
    folder = cache_dir()
    if str(folder) not in sys.path:
        # importable by name too (numba's cache may refer to the module by name); appended,
        # not prepended: generated names are unique, nothing may be shadowed
        sys.path.append(str(folder))
    path = folder / f"{name}.py"
    for attempt in range(2):
        damage = _damage(path)
        if damage is not None:
            if damage != "missing":
                _warn(f"the cached kernel module {str(path)!r} is damaged ({damage}); generating "
                      f"it again")
                _discard(path)
            _write_once(path, make_source())
        # imported from this very file: an import by name could find a copy in another cache
        # folder on sys.path (INFOGEOM_CACHE_DIR changed in this process) that was not verified
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            # intact source that does not import: stale or corrupt bytecode beside it
            sys.modules.pop(name, None)
            if attempt:
                raise
            _warn(f"the cached kernel module {str(path)!r} failed to import "
                  f"({type(exc).__name__}: {exc}); generating it again")
            _discard(path)
            continue
        heal_numba_cache(module)
        return module
    raise AssertionError("unreachable")  # pragma: no cover


# -- numba's cache files ---------------------------------------------------------------------
class _HealingFunctionCache(FunctionCache):
    """numba's per-function cache, except that cache files it cannot read are deleted (with a
    warning) and count as a miss, so the function is compiled and cached again. numba itself
    raises the unpickling error on every call of every later process.
    """

    def _load_overload(self, sig, target_context):
        try:
            return super()._load_overload(sig, target_context)
        except Exception as exc:
            stem = self._impl.filename_base
            folder = Path(self._cache_path)
            for stale in [folder / f"{stem}.nbi", *folder.glob(f"{stem}.*.nbc")]:
                try:
                    stale.unlink(missing_ok=True)
                except OSError:
                    pass  # a read-only cache: numba's save will fail on it the same way
            _warn(f"numba's cache of {self._py_func.__qualname__} in {str(folder)!r} could not be "
                  f"read ({type(exc).__name__}: {exc}); deleted it, compiling again")
            return None


def heal_numba_cache(module):
    """Make the numba functions of ``module`` discard cache files they cannot read.

    numba loads a function's cache index and code lazily, at its first call for a signature;
    a truncated or overwritten ``*.nbi`` or ``*.nbc`` file there raises ``UnpicklingError``
    or ``EOFError``, in this and every later process. After this call such a file is
    deleted, with a ``RuntimeWarning``, and the function compiled and cached again.

    Parameters
    ----------
    module : module
        Every ``@njit(cache=True)`` function in its namespace (its own and the ones it
        imported, e.g. the special functions a kernel calls) is covered.

    Returns
    -------
    int
        How many functions were covered.

    Examples
    --------
    >>> from numeric.compile import special
    >>> heal_numba_cache(special) > 0
    True
    """
    count = 0
    for value in vars(module).values():
        cache = getattr(value, "_cache", None) if isinstance(value, Dispatcher) else None
        if isinstance(cache, FunctionCache):
            if type(cache) is FunctionCache:
                cache.__class__ = _HealingFunctionCache
            count += 1
    return count


def _probe():
    """Stands in for a function of this package when numba's cache locators are asked."""


def _numba_can_cache(folder):
    """Whether one of numba's cache locators takes a function defined in ``folder``."""
    source = str(folder / "__init__.py")
    return any(locator.from_function(_probe, source) is not None
               for locator in CacheImpl._locator_classes)


def _ensure_numba_can_cache():
    """Point ``NUMBA_CACHE_DIR`` at a temporary folder if numba cannot cache this package.

    numba picks a folder for a ``cache=True`` function when it is decorated: beside its module
    (``__pycache__``), else under ``~/.cache/numba``; when neither can be written the
    decoration raises "no locator available" at import. Called when this module is imported,
    before :mod:`numeric.compile.special` is.
    """
    if numba.config.CACHE_LOCATOR_CLASSES:
        return  # the user chose the locators; numba's own error is the right message
    if all(_numba_can_cache(_PACKAGE / sub) for sub in _STATIC_NJIT_FOLDERS):
        return
    fallback = _temporary_folder() / "numba"
    fallback.mkdir(exist_ok=True)
    # the environment too: numba re-reads it before compiling and would undo a config change
    os.environ[_NUMBA_ENV_VAR] = str(fallback)
    numba.config.CACHE_DIR = str(fallback)
    message = (f"numba cannot cache compiled code beside the package ({str(_PACKAGE)!r}) or in the "
               f"home folder; using the temporary folder {str(fallback)!r} for this process (set "
               f"{_NUMBA_ENV_VAR} to a writable folder so later processes reuse it)")
    requested = _requested_dir()
    kernels = _fallback_for(requested)  # the same cause usually blocks the kernel folder: one warning
    if kernels is not None:
        message += (f"; the kernel cache folder {str(requested)!r} cannot be written either, kernels "
                    f"go to {str(kernels)!r} (set {_ENV_VAR} to a writable folder)")
    warnings.warn(message + ".", RuntimeWarning, stacklevel=2)


_ensure_numba_can_cache()
