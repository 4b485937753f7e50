"""environment.yml must agree with pyproject.toml, so a conda user gets what pip users get."""
from __future__ import annotations

import pytest

import re
import tomllib

import yaml

from conftest import ROOT


def _name_spec(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(_name_spec(d) for d in env["dependencies"] if isinstance(d, str))
    assert conda.pop("python") == project["requires-python"]
    conda.pop("pip")
    pip = dict(_name_spec(d) for d in project["dependencies"])
    assert conda == pip
    pip_section = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert "-e ." in pip_section


def test_design_packages_are_runtime_dependencies():
    deps = {_name_spec(d)[0] for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    # seaborn lays out small multiples (FacetGrid: the largest services, each system of a service);
    # its import costs the sample's whole check about 4% of its wall time, measured.
    for name in ["jupyterlab", "pandas", "matplotlib", "seaborn", "ipywidgets", "papermill",
                 "nbconvert", "ipykernel", "pyyaml"]:
        assert name in deps


def test_console_command_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["studylib"] == "studylib.cli:main"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = "pip install -e '.[test]' && python -m pytest"
    assert command in readme
    assert command in (ROOT / ".ci" / "run").read_text()


@pytest.mark.slow
def test_wheel_carries_every_notebook_and_the_sample(tmp_path):
    """A wheel install (not editable) must run `studylib check` without the checkout."""
    import subprocess
    import sys
    import zipfile
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(ROOT), "-w", str(tmp_path)],
                   check=True)
    wheel = next(tmp_path.glob("studylib-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        assert f"studylib/_notebooks/{nb.name}" in names
    for f in (ROOT / "data" / "sample").iterdir():
        assert f"studylib/_sample/{f.name}" in names
    for f in (ROOT / "studylib" / "read" / "templates").rglob("*.*"):
        assert f"studylib/read/templates/{f.relative_to(ROOT / 'studylib' / 'read' / 'templates').as_posix()}" in names


def test_public_names_from_the_issues():
    import studylib
    for name in ("xmr", "runs_analysis", "classify_demand", "link_problems", "read_xes", "case_times",
                 "CaptureStore", "load_study"):
        assert name in studylib.__all__ and callable(getattr(studylib, name))


def test_layout_computation_apart_from_charts_and_words():
    """Computation modules import neither matplotlib nor IPython; prose modules draw nothing; no
    module is over 550 lines."""
    import ast
    package = ROOT / "studylib"
    drawing = {"matplotlib", "IPython", "seaborn", "ipywidgets"}
    # showing HTML in a notebook and its report, and the forms (capture, predictions, reflections)
    allowed = {"prose/show.py", "check/pages.py", "check/report.py", "capture/widgets.py", "teaching/widgets.py"}
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
        if not rel.startswith("charts/") and rel not in allowed:
            assert not imported & drawing, f"{rel} imports {imported & drawing}"
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 550, f"{rel} is over 550 lines"
