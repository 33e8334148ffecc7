"""The layering of docs/ARCHITECTURE.md, checked on the source: every import (module level or inside a
function) parsed with ``ast``; no package imports a higher layer or a sibling of its own layer; no
import cycle between modules; modules and functions within the size limits."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "expfam_nash"

#: the layers of docs/ARCHITECTURE.md, bottom-up; reserved packages are listed before they exist
LAYERS = (("core",), ("kernels", "plot"), ("families",), ("environment",), ("stats",), ("game", "neural"),
          ("symbolic", "models"), ("certify",), ("dynamics",), ("verification",), ("collapse", "introvae"),
          ("experiments",), ("tasks",), ("cli", "sweep"))
RESERVED = {"certify", "collapse", "introvae", "sweep"}
#: top-level modules outside the table: the facade and __main__ may import anything; shims are core
OUTSIDE = {"__init__", "__main__"}
SHIMS = {"_validation": "core", "_jsonable": "core"}
#: modules allowed above the size limit: one job each (Numba kernels with their NumPy references)
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 60
LONG_MODULES_ONE_JOB = {"expfam_nash/neural/kernels.py"}


def layer_of(package: str) -> int:
    for i, names in enumerate(LAYERS):
        if package in names:
            return i
    raise AssertionError(f"package {package!r} is not in the layer table (docs/ARCHITECTURE.md, LAYERS)")


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {_module_name(p, package.parent): p for p in sorted(package.rglob("*.py"))}


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the package modules it imports (a ``from X import name`` naming a submodule counts as
    importing that submodule)."""
    out = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, path.name == "__init__.py", node)
                subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
                targets.update(subs or [base])
        out[name] = {t for t in targets if t in modules and t != name}
    return out


def package_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    return SHIMS.get(parts[1], parts[1])


def layering_violations(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for src, targets in graph.items():
        ps = package_of(src)
        if ps in OUTSIDE:
            continue
        for dst in targets:
            pd = package_of(dst)
            if pd == ps:
                continue
            if pd in OUTSIDE:
                bad.append(f"{src} imports the package facade {dst}")
            elif layer_of(pd) >= layer_of(ps):
                bad.append(f"{src} (layer {layer_of(ps)}, {ps}) imports {dst} (layer {layer_of(pd)}, {pd})")
    return bad


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_every_package_is_in_the_layer_table_and_the_reserved_ones_are_known():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    for name in packages:
        layer_of(name)
    for name in RESERVED:
        layer_of(name)
    assert layer_of("certify") > layer_of("game") and layer_of("certify") < layer_of("dynamics")
    assert layer_of("collapse") > max(layer_of("game"), layer_of("symbolic"))
    assert layer_of("introvae") > layer_of("neural")
    assert layer_of("sweep") == layer_of("cli") == len(LAYERS) - 1


def test_no_package_imports_a_higher_layer_or_a_sibling():
    assert layering_violations(imports(_modules())) == []


def test_no_import_cycle():
    assert cycles(imports(_modules())) == []


def test_the_checks_catch_an_upward_import_and_a_cycle(tmp_path):
    """The checker itself: a planted upward import and a planted cycle are found."""
    pkg = tmp_path / "expfam_nash"
    for rel, text in {"__init__.py": "", "core/__init__.py": "from ..game import engine\n",
                      "game/__init__.py": "", "game/engine.py": "from . import players\n",
                      "game/players.py": "from .engine import x\n"}.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    graph = imports(_modules(pkg))
    assert any("core" in v and "game" in v for v in layering_violations(graph))
    assert cycles(graph) == [["expfam_nash.game.engine", "expfam_nash.game.players"]]


def _function_lengths(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            numba = any("njit" in ast.unparse(d) or "intrinsic" in ast.unparse(d) or "overload" in ast.unparse(d)
                        for d in node.decorator_list)
            if not numba:
                yield node.name, node.lineno, node.end_lineno - node.lineno + 1


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_and_function_sizes(path):
    rel = str(path.relative_to(ROOT))
    if rel not in LONG_MODULES_ONE_JOB:
        assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES, rel
    long = [(n, line, size) for n, line, size in _function_lengths(path) if size > MAX_FUNCTION_LINES]
    assert long == [], f"{rel}: functions over {MAX_FUNCTION_LINES} lines: {long}"
