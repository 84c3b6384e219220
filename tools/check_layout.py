"""House rules that neither ruff nor the import contract states (`make lint`):

- no module of the apps or of `config` is over MAX_LINES lines (migrations
  aside): a module that big holds more than one room; split it by
  responsibility;
- no import cycle among the project's modules, counting imports inside
  functions. The contract's `acyclic_siblings` judges packages; this judges
  every module, top-level packages and package `__init__` modules included.

Exits 1 and names each offender. Run from the project root:
`python tools/check_layout.py`.
"""

import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
SIZED = ("config", "monitoring", "roster", "reports", "checklists", "command", "alerts", "messaging", "sms")
PACKAGES = ("config", "monitoring", "roster", "reports", "checklists", "command", "alerts", "messaging", "sms", "tools", "testkit", "tests", "bench")
MAX_LINES = 500


def oversized_modules(root: Path = ROOT) -> list[str]:
    found = []
    for package in SIZED:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.relative_to(root).parts:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                found.append(f"{path.relative_to(root)}: {lines} lines (at most {MAX_LINES})")
    return found


def import_cycles(graph: grimp.ImportGraph) -> list[str]:
    """One line per import that closes a cycle: `a -> b`, then the way back from b to a."""
    found, seen = [], set()
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is None:
                continue
            cycle = frozenset(back)
            if cycle in seen:
                continue
            seen.add(cycle)
            found.append(f"{importer} -> {' -> '.join(back)}")
    return found


def main() -> int:
    sys.path.insert(0, str(ROOT))
    problems = oversized_modules()
    problems += [f"import cycle: {cycle}" for cycle in import_cycles(grimp.build_graph(*PACKAGES))]
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} layout problem(s)")
        return 1
    print("layout: modules within size, no import cycles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
