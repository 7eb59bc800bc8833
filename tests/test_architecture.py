"""The import rules of docs/architecture.md, read off the source with ``ast``.

* ``symbolic`` imports neither ``numeric`` nor ``manifolds``;
* ``numeric`` does not import ``manifolds``;
* no module imports a private name (``_x``, or a name from a private module) of another
  top-level package;
* within ``numeric``, the subpackages follow the pipeline: ``compile`` imports no other
  subpackage, ``geodesics`` only ``compile``, ``optim`` neither ``geodesics`` nor ``nn``.
"""
import ast

import pytest

from tests.support import REPO

PACKAGES = ("symbolic", "numeric", "manifolds")
FORBIDDEN = {
    "symbolic": {"numeric", "manifolds"},
    "numeric": {"manifolds"},
    "manifolds": set(),
}
NUMERIC_LAYERS = {
    "numeric.compile": {"numeric.geodesics", "numeric.optim", "numeric.nn"},
    "numeric.geodesics": {"numeric.optim", "numeric.nn"},
    "numeric.optim": {"numeric.geodesics", "numeric.nn"},
}


def _modules():
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            yield ".".join(parts), path, is_package


def _imports(module, path, is_package):
    """(imported module, imported names) for every import statement of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            yield target, tuple(a.name for a in node.names)


MODULES = list(_modules())


def test_the_packages_have_modules():
    assert {m.split(".")[0] for m, _, _ in MODULES} == set(PACKAGES)
    assert len(MODULES) > 30


@pytest.mark.parametrize("module,path,is_package", MODULES, ids=[m for m, _, _ in MODULES])
def test_imports_go_one_way(module, path, is_package):
    top = module.split(".")[0]
    for target, _names in _imports(module, path, is_package):
        target_top = target.split(".")[0]
        assert target_top not in FORBIDDEN[top], f"{module} imports {target}"
        for layer, banned in NUMERIC_LAYERS.items():
            if module == layer or module.startswith(layer + "."):
                for b in banned:
                    assert not (target == b or target.startswith(b + ".")), f"{module} imports {target}"


@pytest.mark.parametrize("module,path,is_package", MODULES, ids=[m for m, _, _ in MODULES])
def test_no_private_names_across_packages(module, path, is_package):
    top = module.split(".")[0]
    for target, names in _imports(module, path, is_package):
        target_top = target.split(".")[0]
        if target_top not in PACKAGES or target_top == top:
            continue
        private_module = [p for p in target.split(".") if p.startswith("_")]
        assert not private_module, f"{module} imports the private module {target}"
        private = [n for n in names if n.startswith("_") and n != "__version__"]
        assert not private, f"{module} imports private names {private} from {target}"


def test_no_private_attribute_reached_across_modules():
    """``obj._name`` where ``obj`` is a module imported from another package."""
    for module, path, _is_package in MODULES:
        top = module.split(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                if node.module.split(".")[0] in PACKAGES and node.module.split(".")[0] != top:
                    for a in node.names:
                        aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] in PACKAGES and a.name.split(".")[0] != top:
                        aliases[a.asname or a.name.split(".")[0]] = a.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                raise AssertionError(f"{module} uses {aliases[node.value.id]}.{node.attr}")


def test_every_package_declares_all():
    import importlib

    for module, _path, is_package in MODULES:
        if not is_package:
            continue
        mod = importlib.import_module(module)
        assert hasattr(mod, "__all__"), module
        for name in mod.__all__:
            assert getattr(mod, name, None) is not None, f"{module}.__all__ names {name}, which is missing"


# Names that several modules export for different objects on purpose: the exact (sympy)
# and the numeric form of one quantity, or one operation on two backends. Any other name
# bound to two different objects is two meanings under one name.
COUNTERPARTS = {
    "activation": {"symbolic.neuron", "numeric.nn.activations"},            # exact / numba core
    "neuron_nu": {"symbolic.neuron", "numeric.nn.blocks"},                  # exact / numeric
    "layer_rfim": {"symbolic.neuron", "numeric.nn.blocks"},
    "softmax_rfim": {"symbolic.neuron", "numeric.nn.blocks"},
    "polygamma_difference": {"numeric.compile.printer", "numeric.compile.special"},  # sympy / numba
    "trigamma_excess": {"numeric.compile.printer", "numeric.compile.special"},
    "trigamma_excess_difference": {"numeric.compile.printer", "numeric.compile.special"},
    "bessel_i1_over_i0": {"numeric.compile.printer", "numeric.compile.special"},
    "bessel_i1_over_i0_d1": {"numeric.compile.printer", "numeric.compile.special"},
    "bessel_i1_over_i0_d2": {"numeric.compile.printer", "numeric.compile.special"},
    "log1p_square_ratio": {"numeric.compile.printer", "numeric.compile.special"},
    "cholesky_blocks": {"numeric.nn.blocks", "numeric.nn.cuda"},            # any backend / CUDA
    "cholesky_solve_blocks": {"numeric.nn.blocks", "numeric.nn.cuda"},
    "weighted_grams": {"numeric.nn.blocks", "numeric.nn.cuda"},
    "optim": {"numeric", "manifolds"},  # optimisers on callables / on a manifold
}


def test_no_public_name_means_two_things():
    import collections
    import importlib

    owners = collections.defaultdict(dict)
    for module, _path, _is_package in MODULES:
        if module.endswith("._kernels"):
            continue  # CUDA kernels: imported only with a CUDA target
        mod = importlib.import_module(module)
        for name in getattr(mod, "__all__", ()):
            owners[name][module] = getattr(mod, name)
    clashes = {}
    for name, where in owners.items():
        distinct = {id(obj) for obj in where.values()}
        if len(distinct) > 1 and set(where) != COUNTERPARTS.get(name):
            clashes[name] = sorted(where)
    assert not clashes, f"one public name, several objects: {clashes}"
    assert owners["natural_gradient_descent"], "the optimisers are public"
