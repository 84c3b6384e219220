"""Project-level contracts: health check, layout rules, documented configuration."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_reports_database_and_broker(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == {"ok": True, "engine": "sqlite"}
    assert body["broker"]["mode"] == "eager" and body["status"] == "ok"


def test_monitoring_never_imports_reports():
    offenders = []
    for path in (ROOT / "monitoring").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n == "reports" or n.startswith("reports.")]
    assert offenders == []


def test_every_environment_variable_is_documented_in_the_readme():
    settings_text = (ROOT / "config" / "settings.py").read_text(encoding="utf-8")
    variables = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', settings_text))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert variables, "no env() reads found: the pattern is stale"
    assert sorted(v for v in variables if f"`{v}`" not in readme) == []


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```")[1]
    assert "make run" in first_block and "make test" in first_block
