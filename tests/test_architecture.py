"""The shape of the package, checked from its source: subpackages without import cycles, the plan context free of
cerberus, our own modules imported at the top of files, and none of the machinery that was removed on purpose."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "xlsx_tools"
# The thin shells (the command line and the ribbon's bridge) import each command's implementation when the command
# runs, so `tipwp --help` and a click on Help answer without loading every writer: the one place our own modules
# (and anything else) are imported lazily. Everywhere else, only these heavy or optional third-party libraries may
# be imported inside a function (a dry run and a validation never load the writers' openpyxl or the matrix's pandas;
# pyopenvba and xlwings are the optional `excel` extra).
SHELLS = {"cli.py", "addin/bridge.py", "addin/cli.py"}
# fcntl and msvcrt: the lock's system lock, each imported only on the platform that has it
LAZY_ALLOWED = {"openpyxl", "pandas", "xlwings", "pyopenvba", "msoffcrypto", "rich", "fcntl", "msvcrt"}


def _modules() -> dict[str, ast.Module]:
    return {str(p.relative_to(PACKAGE)): ast.parse(p.read_text(encoding="utf-8")) for p in PACKAGE.rglob("*.py")}


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def _unit(module: str) -> str:
    """The part of the package a module belongs to: its subpackage, or the top-level module itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def import_graph(modules: dict[str, ast.Module]) -> dict[str, set[str]]:
    """Subpackage → the subpackages it imports (at any depth of a file: a lazy import is an import too)."""
    graph: dict[str, set[str]] = {}
    for relative, tree in modules.items():
        source = _unit("xlsx_tools." + relative.removesuffix(".py").replace("/", "."))
        for node in ast.walk(tree):
            for name in _imported(node):
                if name.startswith("xlsx_tools."):
                    target = _unit(name)
                    if target != source:
                        graph.setdefault(source, set()).add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle's nodes, found by a depth-first search from each node (the graph is small)."""
    found: list[list[str]] = []
    for start in sorted(graph):
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph.get(node, ())):
                if nxt == start:
                    found.append(path)
                elif nxt not in path and nxt > start:  # each cycle once, from its smallest node
                    stack.append((nxt, [*path, nxt]))
    return found


def test_no_import_cycle_among_subpackages() -> None:
    graph = import_graph(_modules())
    assert {"plan", "layout", "validate", "workbook", "merge"} <= graph.keys()
    assert cycles(graph) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    """The check itself: a layout module importing validate again (as it did) is a cycle."""
    modules = _modules()
    modules["layout/extra.py"] = ast.parse("from xlsx_tools.validate.rules import schema_for\n")
    assert ["layout", "validate"] in cycles(import_graph(modules))


def test_the_plan_context_depends_on_plan_and_layout_only() -> None:
    tree = _modules()["plan/context.py"]
    units = {_unit(n) for node in ast.walk(tree) for n in _imported(node) if n.startswith("xlsx_tools.")}
    assert units <= {"plan", "layout"}


def test_own_modules_are_imported_at_the_top() -> None:
    late = []
    for relative, tree in _modules().items():
        top = set(tree.body)
        for node in ast.walk(tree):
            if node in top or not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for name in _imported(node):
                root = name.split(".")[0]
                own = root == "xlsx_tools"
                if relative not in SHELLS and (own or root not in LAZY_ALLOWED):
                    late.append(f"{relative}:{node.lineno} {name}")
    assert late == []


def test_writing_a_master_imports_no_cerberus(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from xlsx_tools.workbook.master import build_master\n"
        f"build_master(Path({str(tmp_path / 'master.xlsx')!r}), plan_id='bwp2', period='2026-H2')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'cerberus'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "master.xlsx").stat().st_size > 0


def test_no_fork_and_no_libdeflate() -> None:
    """Reading runs in one process, with zipfile: nothing the Windows and macOS users of the ribbon lack."""
    for relative, tree in _modules().items():
        for node in ast.walk(tree):
            assert not (isinstance(node, ast.Attribute) and node.attr == "fork"), relative
            assert "deflate" not in _imported(node), relative
