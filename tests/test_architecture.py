"""The package's layout is its architecture: imports run one way, private names stay private.

Walks every module of ``studylib/`` with :mod:`ast` (imports inside functions included) and fails on
an import circle, between modules or between the package's folders, on a module that takes another
module's ``_private`` name, on more than 16 entries in ``studylib/``, and on a module over 550 lines
or with a run of blank lines.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "studylib"
MAX_ENTRIES = 16
MAX_LINES = 550


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_package else parts), is_package


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name, is_package = _module_name(path)
        found[name] = (path, is_package)
    return found


MODULES = _modules()


def _target(module: str, is_package: bool, node: ast.ImportFrom) -> str | None:
    if node.level == 0:
        return node.module
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str) -> list[tuple[str, str | None, int]]:
    """(imported module, name taken from it or None, line) for every studylib import of a module."""
    path, is_package = MODULES[module]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            target = _target(module, is_package, node)
            if not target or target.split(".")[0] != "studylib":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:
                    out.append((sub, None, node.lineno))
                else:
                    out.append((target, alias.name, node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == "studylib"]
    return out


def _graph(key) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        for target, _, _ in imports(module):
            a, b = key(module), key(target)
            if a != b and b in {key(m) for m in MODULES}:
                graph.setdefault(a, set()).add(b)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one node (Tarjan), each sorted."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def _folder(module: str) -> str:
    """A module's room: its folder under studylib (studylib.read.study -> studylib.read); the
    package's own top-level modules are each a room of their own."""
    parts = module.split(".")
    return ".".join(parts[:2])


def test_no_import_circle_between_modules():
    # Every import counts, at the top of a module or inside a function: both run.
    assert circles(_graph(lambda m: m)) == []


def test_no_import_circle_between_folders():
    # studylib.read never imports studylib.measures and back: the folders are layers.
    graph = _graph(_folder)
    graph.pop("studylib", None)          # studylib/__init__ is the public face over every layer
    for targets in graph.values():
        targets.discard("studylib")
    assert circles(graph) == []


def test_no_module_takes_another_modules_private_name():
    taken = [f"{MODULES[m][0].relative_to(PACKAGE.parent)}:{line} takes {target}.{name}"
             for m in MODULES for target, name, line in imports(m)
             if name and name.startswith("_") and not name.startswith("__") and target != m]
    taken += [f"{MODULES[m][0].relative_to(PACKAGE.parent)}:{line} imports the private module {target}"
              for m in MODULES for target, _, line in imports(m)
              if any(p.startswith("_") and not p.startswith("__") for p in target.split("."))]
    assert taken == []


def test_every_import_names_what_exists():
    # An import of a module that moved away fails only when its function runs: find it here.
    missing = [f"{MODULES[m][0].relative_to(PACKAGE.parent)}:{line} imports {target}" + (f".{name}" if name else "")
               for m in MODULES for target, name, line in imports(m)
               if target not in MODULES or (name and name != "*" and name not in _names(target))]
    assert missing == []


def _names(module: str) -> set[str]:
    """What a module defines or imports at its top level."""
    tree = ast.parse(MODULES[module][0].read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def test_one_listing_tells_the_architecture():
    entries = sorted(p.name for p in PACKAGE.iterdir() if p.name != "__pycache__")
    assert len(entries) <= MAX_ENTRIES, entries


def test_no_module_too_long_and_no_blank_runs():
    long = {str(p.relative_to(PACKAGE.parent)): n for p, _ in MODULES.values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
    runs = []
    for path, _ in MODULES.values():
        blank = 0
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            blank = blank + 1 if not line.strip() else 0
            if blank == 3:          # two blank lines separate definitions; three are a stray run
                runs.append(f"{path.relative_to(PACKAGE.parent)}:{number}")
    assert runs == []


def test_the_checks_can_fail():
    # The circle finder finds a circle, and the private-name walk sees a planted one.
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []
    assert _folder("studylib.read.study") == "studylib.read"


@pytest.mark.parametrize("public", ["studylib.read", "studylib.measures", "studylib.engines", "studylib.check",
                                    "studylib.teaching", "studylib.capture", "studylib.prose", "studylib.charts"])
def test_each_folder_has_a_public_face(public):
    path, is_package = MODULES[public]
    assert is_package and path.read_text(encoding="utf-8").startswith('"""')
