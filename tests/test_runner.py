"""The check runs the way users run it: papermill with the real kernel, then HTML, then assertions."""
from __future__ import annotations

import json
import re
import shutil
import time

import nbformat
import pytest

from conftest import ROOT, SAMPLE
from studylib import ParameterError
from studylib.check.runner import check_parameters, notebook_parameters, run_check, stage_notebooks

NOTEBOOKS = ROOT / "notebooks"

def _on_screen(html: str) -> str:
    """A report as the screen shows it: without the copies of folded charts that only paper prints."""
    import lxml.html
    root = lxml.html.document_fromstring(html)
    for printed in root.xpath('//div[@class="print-only"]'):
        printed.drop_tree()
    return lxml.html.tostring(root, encoding="unicode")



def test_every_notebook_is_committed_clean_with_one_parameters_cell():
    # Stage notebooks, the interactive capture notebook (not a report) and the examples.
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted((ROOT / "examples").rglob("*.ipynb"))
    assert set(stage_notebooks(NOTEBOOKS)) < set(notebooks) and len(notebooks) >= 8
    for nb_path in notebooks:
        nb = nbformat.read(str(nb_path), as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, nb_path.name
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, nb_path.name
        params = notebook_parameters(nb_path)
        assert nb_path.parent != NOTEBOOKS or "study" in set(params["name"]), nb_path.name
        assert params["help"].str.len().min() > 0, "every parameter has a help comment"
        assert params["type"].notna().all()


def test_unknown_and_mistyped_parameters_are_refused_before_any_kernel(tmp_path):
    nb = NOTEBOOKS / "01_purpose.ipynb"
    with pytest.raises(ParameterError, match=r"01_purpose.ipynb has no parameter 'radius'; it accepts: study \(str\)"):
        check_parameters(nb, {"radius": 5})
    with pytest.raises(ParameterError, match=r"01_purpose.ipynb parameter 'study' must be str, got 3 \(int\)"):
        check_parameters(nb, {"study": 3})
    # Settings are for the whole check: an unknown one is refused with every setting and its meaning.
    with pytest.raises(ParameterError, match=r"-p has no setting 'radius'. The settings are:\n  period_start .*\n(.*\n)*  radius_m +contacts of one kind"):
        run_check(SAMPLE, tmp_path / "out", notebooks_dir=NOTEBOOKS, parameters={"radius": 5}, progress=False)
    with pytest.raises(ParameterError, match="settings apply to the whole check.*write radius_m without the stage"):
        run_check(SAMPLE, tmp_path / "out", notebooks_dir=NOTEBOOKS, parameters={"02_demand.radius_m": 5}, progress=False)
    with pytest.raises(ParameterError, match="-p as_of: 'soon' is not a date"):
        run_check(SAMPLE, tmp_path / "out", notebooks_dir=NOTEBOOKS, parameters={"as_of": "soon"}, progress=False)
    assert not (tmp_path / "out" / "index.html").exists()


@pytest.fixture(scope="module")
def sample_reports(checked):
    out, rc, table = checked("sample")
    assert rc == 0
    return out, table


def _visible_text(html: str) -> str:
    html = re.sub(r"<style.*?</style>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.slow
def test_check_on_sample_writes_reports_without_code(sample_reports, monkeypatch):
    out, table = sample_reports
    assert table["status"].tolist() == ["ok"] * len(table)
    assert (out / "index.html").exists()
    for nb in stage_notebooks(NOTEBOOKS):
        html = (out / f"{nb.stem}.html").read_text()
        assert "<script" not in html
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "external URL"
        assert "jp-InputArea" not in html and "input_area" not in html
        text = _visible_text(html)
        assert "load_study" not in text and "import studylib" not in text
        assert "injected" not in text.lower()
    purpose = (out / "01_purpose.html").read_text()
    # figures and the chart made it into the report
    assert "What matters was recorded for 2,1" in purpose
    assert _on_screen(purpose).count("<picture>") >= 1
    assert "rows read = rows kept + rows set aside" in purpose
    assert "case closed before it was opened" in purpose
    demand = (out / "02_demand.html").read_text()
    assert "49% of demand is failure demand" in demand
    assert "5,302 contacts were about 4,470 problems" in demand
    assert "Failure demand cost between £" in demand
    assert _on_screen(demand).count("<picture>") >= 10
    capability = (out / "03_capability.html").read_text()
    assert _on_screen(capability).count("<picture>") == 3   # one service with cases: each clock once, and the daily average
    assert "Since the change of 10 March 2025" in capability
    # The redesigned system is predictable (its generator draws each case from one process): a range
    # for one case, the exceptions named, and why the Making Data Count marks do not overturn it.
    assert ("99 in every 100 of its finished cases took between 0 and 9.6 days (its natural process limits, the "
            "range it can be expected to keep to); on average 4.4") in capability
    assert "3 cases (" in capability and "took longer than the limits allow (9.6 days)" in capability
    assert "1 case still open (HR-00673) is already older than that" in capability      # an exception too
    assert "Before it, between 0 and 57; on average 24.9." in capability
    assert "fire by chance on a long series" in capability and "not stable" not in capability
    assert "These are limits of a day's average, not of one case" in capability
    assert "17 open cases are not charted" in capability
    for part in ("What", "So what", "Now what", "Then what"):
        assert f">{part}</h3>" in capability
    summary = (out / "00_summary.html").read_text()
    assert _on_screen(summary).count("<picture>") == 4   # one chart per stage
    # Each folded chart is printed too: a copy for paper after its section (a page cannot unfold).
    assert summary.count('<div class="print-only">') == 4 and summary.count("<picture>") == 8
    for report in ("01_purpose.html", "02_demand.html", "03_capability.html", "04_flow.html", "05_system_conditions.html"):
        assert f'href="{report}"' in summary
    register = (out / "05_system_conditions.html").read_text()
    assert "67 cases closed in the 2 days before the 28-day target" in register
    assert "ended by the change of 10 March 2025" in register
    assert "What in the design of the system causes" in register
    flow = (out / "04_flow.html").read_text()
    # two clocks; the waiting list by age and week by week; where the time goes, hand-offs and the
    # target, the two systems side by side in one chart each; paths; map
    assert _on_screen(flow).count("<picture>") == 8
    assert "17 of 370 cases were still open" in flow
    assert "Since 10 March 2025 (Repairs redesign" in flow
    assert "Before 10 March 2025, work was closed to the 28-day target (67 cases in the 2 days before it" in flow
    for part in ("What", "So what", "Now what", "Then what"):
        assert f">{part}</h3>" in flow


@pytest.mark.slow
def test_index_is_the_front_page(sample_reports):
    out, table = sample_reports
    index = (out / "index.html").read_text()
    text = _visible_text(index)
    assert "<h1>Northbrook Borough Council, front-line services</h1>" in index
    assert "Study period 6 January 2025 to 11 May 2025" in " ".join(text.split())
    assert "Data as of 12 May 2025" in " ".join(text.split())
    assert re.search(r"Checked on \d{1,2} \w+ \d{4}, \d\d:\d\d UTC", " ".join(text.split()))
    assert "demand.csv: 5,307 rows read, 5,302 kept, 5 set aside" in index
    # One row per stage: its status and the finding that matters, which its report states too.
    rows = re.findall(r'<tr class="(\w+)"><th scope="row"><a href="([\w.]+)">[^<]+</a></th><td>([^<]+)</td>', index)
    assert [r[1] for r in rows] == table["report"].tolist() and {r[0] for r in rows} == {"ok"}
    for _, report, finding in rows[1:]:
        page = (out / report).read_text()
        figures = re.findall(r"\d[\d,.]*%?", finding)
        assert figures and all(f in page for f in figures), (report, finding)
    assert "49% of demand is failure demand;" in index
    assert "Since 10 March 2025, customers waited on average 4.4 days" in index
    assert "/work/" not in index and str(SAMPLE) not in index


@pytest.mark.slow
def test_manifest_records_the_run(sample_reports):
    out, _ = sample_reports
    # The results every stage read hold the raw data: they never stay in the reports folder.
    assert not [p for p in out.rglob("*") if p.suffix in (".pkl", ".failed")]
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert set(manifest["inputs_sha256"]) >= {"demand.csv", "events.csv", "study.yml"}
    assert manifest["versions"]["pandas"]
    # Every stage, in the notebooks' order (not the order the lanes ran them in), each with its time.
    assert [s["notebook"] for s in manifest["stages"]] == [nb.name for nb in stage_notebooks(NOTEBOOKS)]
    assert all(s["seconds"] > 0 for s in manifest["stages"])
    assert manifest["seconds"]["total"] >= max(s["seconds"] for s in manifest["stages"])
    # Where the time went, part by part, so that the next slow part is found by reading a table.
    seconds = manifest["seconds"]
    assert list(seconds["parts"]) == ["classify", "link", "demand tables", "flow", "capability and verdicts",
                                      "system conditions", "words", "exercises"]
    assert sum(seconds["parts"].values()) <= seconds["compute"] + 0.05
    assert seconds["read"] > 0 and seconds["save results"] > 0
    assert all(stage["status"] == "ok" for stage in manifest["stages"])
    for stage in manifest["stages"]:
        parts = stage["waited_seconds"] + stage["notebook_seconds"] + stage["html_seconds"]
        assert stage["notebook_seconds"] > 0 and abs(parts - stage["seconds"]) <= 0.05, stage


@pytest.mark.slow
def test_failing_stage_does_not_hide_the_others(tmp_path, monkeypatch):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    shutil.copy(NOTEBOOKS / "01_purpose.ipynb", nbs / "01_purpose.ipynb")
    bad = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell('study: str = "x"  # the study folder')
    p.metadata["tags"] = ["parameters"]
    bad.cells = [nbformat.v4.new_markdown_cell("# Broken stage"), p,
                 nbformat.v4.new_code_cell("raise ValueError('the codebook is wrong')")]
    nbformat.write(bad, str(nbs / "02_broken.ipynb"))
    shutil.copy(NOTEBOOKS / "01_purpose.ipynb", nbs / "03_after.ipynb")
    # MPLBACKEND=Agg in the parent must not reach the kernel: the chart must still be in the report
    monkeypatch.setenv("MPLBACKEND", "Agg")
    table = run_check(SAMPLE, tmp_path / "out", notebooks_dir=nbs, progress=False)
    assert table["status"].tolist() == ["ok", "failed", "ok"]
    assert "ValueError: the codebook is wrong" in table.loc[1, "error"]
    index = (tmp_path / "out" / "index.html").read_text()
    assert re.search(r"Broken stage</a></th><td>This stage failed: cell 2: ValueError", index)
    assert "ValueError: the codebook is wrong" in index
    assert "data:image/png;base64" in (tmp_path / "out" / "03_after.html").read_text()


def _notebook(path, title, source, params='study: str = "x"  # the study folder'):
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}"), p, nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, str(path))


@pytest.mark.slow
def test_stages_sharing_a_kernel_see_nothing_of_each_other(tmp_path):
    """One kernel runs several stages one after another: no variable, figure or privacy setting leaks."""
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "01_first.ipynb", "First", "import matplotlib.pyplot as plt\nleak = 1\nfig = plt.figure()\n"
              "from studylib.text import configure_privacy\nconfigure_privacy(redact=False)")
    _notebook(nbs / "02_second.ipynb", "Second",
              "import matplotlib.pyplot as plt\nassert 'leak' not in globals(), 'a variable leaked'\n"
              "assert plt.get_fignums() == [], 'a figure leaked'\nimport os\nprint('pid', os.getpid())")
    _notebook(nbs / "03_third.ipynb", "Third", "import os\nprint('pid', os.getpid())")
    table = run_check(SAMPLE, tmp_path / "out", notebooks_dir=nbs, progress=False, jobs=1)
    assert table["status"].tolist() == ["ok", "ok", "ok"], table["error"].tolist()
    pids = {re.search(r"pid (\d+)", (tmp_path / "out" / f"{n}.html").read_text()).group(1)
            for n in ("02_second", "03_third")}
    assert len(pids) == 1          # the same kernel ran both


@pytest.mark.slow
def test_kernels_kept_between_checks_start_every_stage_afresh(tmp_path, monkeypatch):
    """STUDYLIB_KEEP_KERNELS=1: the next check runs on the same kernel, and sees nothing of the one
    before (no variable, figure or working directory); a changed environment gets a new kernel."""
    from studylib.check import kernels

    kernels.close_kept_lanes()
    monkeypatch.setenv(kernels.KEEP_KERNELS, "1")
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    _notebook(first / "01_mess.ipynb", "Mess", "import os, matplotlib.pyplot as plt\nleak = 1\nfig = plt.figure()\n"
              "os.chdir('/')\nprint('pid', os.getpid())")
    _notebook(second / "01_clean.ipynb", "Clean",
              "import os, matplotlib.pyplot as plt\nassert 'leak' not in globals(), 'a variable leaked'\n"
              "assert plt.get_fignums() == [], 'a figure leaked'\n"
              "assert os.getcwd() == os.path.dirname(os.path.abspath('01_clean.ipynb')) and os.path.exists('01_clean.ipynb')\n"
              "print('pid', os.getpid())")

    def pid(out, name):
        return re.search(r"pid (\d+)", (out / f"{name}.html").read_text()).group(1)

    try:
        table = run_check(SAMPLE, tmp_path / "out1", notebooks_dir=first, progress=False, jobs=1)
        assert table["status"].tolist() == ["ok"], table["error"].tolist()
        assert len(kernels._kept) == 1
        table = run_check(SAMPLE, tmp_path / "out2", notebooks_dir=second, progress=False, jobs=1)
        assert table["status"].tolist() == ["ok"], table["error"].tolist()
        assert pid(tmp_path / "out2", "01_clean") == pid(tmp_path / "out1", "01_mess")      # the kept kernel
        monkeypatch.setenv("STUDYLIB_TEST_CHANGED", "1")
        table = run_check(SAMPLE, tmp_path / "out3", notebooks_dir=second, progress=False, jobs=1)
        assert table["status"].tolist() == ["ok"], table["error"].tolist()
        assert pid(tmp_path / "out3", "01_clean") != pid(tmp_path / "out1", "01_mess")      # a new one
    finally:
        kernels.close_kept_lanes()
    assert kernels._kept == []


@pytest.mark.slow
def test_kept_kernels_are_shut_down_when_the_process_exits(tmp_path):
    """A process that kept its kernels leaves none running behind it."""
    import os
    import subprocess
    import sys

    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "01_pid.ipynb", "Pid", "import os\nprint('pid', os.getpid())")
    code = ("from studylib.check.runner import run_check\n"
            f"run_check({str(SAMPLE)!r}, {str(tmp_path / 'out')!r}, notebooks_dir={str(nbs)!r}, progress=False, jobs=1)")
    subprocess.run([sys.executable, "-c", code], env={**os.environ, "STUDYLIB_KEEP_KERNELS": "1"}, check=True,
                   timeout=300)
    pid = int(re.search(r"pid (\d+)", (tmp_path / "out" / "01_pid.html").read_text()).group(1))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)         # gone, not left running (nor a zombie) once its process has exited


@pytest.mark.slow
def test_a_failure_computing_the_results_stops_the_waiting_kernels(tmp_path, monkeypatch):
    import studylib.check.results

    def broken(*args, **kwargs):
        raise RuntimeError("the computation broke")

    monkeypatch.setattr(studylib.check.results, "compute_check", broken)
    started = time.perf_counter()
    with pytest.raises(RuntimeError, match="the computation broke"):
        run_check(SAMPLE, tmp_path / "out", notebooks_dir=NOTEBOOKS, progress=False)
    assert time.perf_counter() - started < 120      # the kernels stopped; they wait up to 300 s otherwise


@pytest.mark.slow
def test_each_stage_reads_only_the_tables_its_cells_use(sample_results, tmp_path, monkeypatch):
    """The results a stage's kernel loads hold every large table as a file of its own, read when a
    cell asks for it: no stage reads the raw contacts or events. A report's cells read no table of
    contacts (the demand report's counts, examples and contacts needing review come drawn from them
    in the results); only the exercises that start from the classified contacts, which a student
    runs and a report leaves out, read those."""
    import matplotlib.pyplot as plt
    import pandas as pd
    from IPython.core.interactiveshell import InteractiveShell
    from studylib.check import stored as module        # the results saved for the kernels, and read by them
    from studylib.check.report import TEACH_TAG
    saved = module.save_results(sample_results, tmp_path / "results.pkl")
    assert len(list((tmp_path / "results.pkl.tables").iterdir())) == 4       # raw contacts and events, classified, problems
    assert sample_results.study.demand is not None and "_deferred" not in vars(sample_results.study)   # untouched
    read, real = [], module.DeferredTable.load
    monkeypatch.setattr(module.DeferredTable, "load", lambda table: read.append(table.name) or real(table))
    by_stage, by_exercises = {}, {}
    for notebook in stage_notebooks(NOTEBOOKS):
        read.clear()
        shell = InteractiveShell.instance()
        report_read = None
        try:
            shell.user_ns.update(study=str(ROOT / "data" / "sample"), results=str(saved))
            cells = [c for c in nbformat.read(notebook, as_version=4).cells
                     if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
            # the report's cells first (the teaching ones left out, as a report leaves them), then the rest
            for cell in sorted(cells, key=lambda c: TEACH_TAG in c.metadata.get("tags", [])):
                if report_read is None and TEACH_TAG in cell.metadata.get("tags", []):
                    report_read = sorted(set(read))
                source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
                outcome = shell.run_cell(source, silent=True)
                assert outcome.success, (notebook.name, cell.source)
        finally:
            InteractiveShell.clear_instance()
            plt.close("all")
        by_stage[notebook.stem] = report_read if report_read is not None else sorted(set(read))
        by_exercises[notebook.stem] = sorted(set(read) - set(by_stage[notebook.stem]))
    assert by_stage == {"00_summary": [], "01_purpose": [], "02_demand": ["demand.problems"], "03_capability": [],
                        "04_flow": [], "05_system_conditions": []}
    assert by_exercises == {"00_summary": [], "01_purpose": ["demand.classified"], "02_demand": ["demand.classified"],
                            "03_capability": [], "04_flow": [], "05_system_conditions": ["demand.classified"]}
    # and what a cell reads is the table itself
    back = module.load_results(saved)
    pd.testing.assert_frame_equal(back.study.events, sample_results.study.events)
    pd.testing.assert_frame_equal({**back.demand}["classified"], sample_results.demand["classified"])


@pytest.mark.slow
def test_a_study_five_times_larger_has_the_same_shares_and_means(sample_results, tmp_path):
    """benchmarks/bench_large.py's recipe at x5 (every contact and case five times under new ids,
    each copy's places apart): every share and mean of the check is the sample's, every count five
    times the sample's. (Verdicts are not compared: five copies of a case arrive together, so the
    larger series has runs the sample has not.)"""
    import importlib.util
    import numpy as np
    import pandas as pd
    from studylib import compute_check, load_study
    spec = importlib.util.spec_from_file_location("bench_large", ROOT / "benchmarks" / "bench_large.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    one, five = sample_results, compute_check(load_study(bench.make_study(5, tmp_path / "x5")))
    assert len(five.demand["classified"]) == 5 * len(one.demand["classified"]) == 26_510
    assert len(five.demand["problems"]) == 5 * len(one.demand["problems"])
    for name, key in (("overall", None), ("by_service", "service"), ("by_channel", "channel")):
        a, b = (r.demand[name] if key is None else r.demand[name].set_index(key) for r in (one, five))
        np.testing.assert_allclose(b["failure_share"], a["failure_share"], rtol=1e-12, err_msg=name)
        np.testing.assert_array_equal(b["contacts"], 5 * a["contacts"])
    a, b = (r.flow["figures"].set_index(["service", "system"]) for r in (one, five))
    shares_and_means = [c for c in a.columns if c.endswith(("_mean", "_share")) and a[c].dtype.kind == "f"]
    assert {"end_to_end_mean", "official_mean", "clean_share", "handoffs_mean", "waste_share"} <= set(shares_and_means)
    pd.testing.assert_frame_equal(b[shares_and_means], a[shares_and_means], rtol=1e-9)
    np.testing.assert_array_equal(b[["cases", "open", "finished"]], 5 * a[["cases", "open", "finished"]])
    for name in one.capability["limits"]:
        np.testing.assert_allclose(five.capability["limits"][name]["mean"], one.capability["limits"][name]["mean"],
                                   rtol=1e-9)


def test_a_table_set_apart_is_pickled_without_a_copy_of_every_column_at_once(tmp_path):
    """pandas pickles each column of Arrow text as a copy of its chunks joined; a pickler's memo would
    keep every such copy to the end (the whole table again, which a large study's parent then kept).
    Written without a memo, at most about one column's copy is held at a time. Arrow's pool counts
    its largest use, so the test runs in a fresh process; the table still reads back whole."""
    import subprocess
    import sys
    script = '''
import io, pickle, sys
import pandas as pd, pyarrow as pa
from studylib.check.stored import _dump_table
text = pd.Series([], dtype=str).dtype
chunks = [pa.array([f"contact text {i:09d}" for i in range(j, j + 100_000)]) for j in range(0, 500_000, 100_000)]
frame = pd.DataFrame({f"c{k}": pa.chunked_array(chunks).to_pandas(types_mapper={pa.string(): text}.get) for k in range(6)})
pool = pa.default_memory_pool()
before = pool.max_memory()
with open(sys.argv[2], "wb") as fh:
    (_dump_table if sys.argv[1] == "set apart" else lambda t, f: pickle.dump(t, f, protocol=5))(frame, fh)
with open(sys.argv[2], "rb") as fh:
    assert pickle.load(fh).equals(frame)
print((pool.max_memory() - before) / frame.memory_usage(deep=True).sum())
'''
    more = {how: float(subprocess.run([sys.executable, "-c", script, how, str(tmp_path / "t.pkl")], check=True,
                                      capture_output=True, text=True).stdout)
            for how in ("set apart", "with a memo")}
    assert more["with a memo"] > 0.9                  # the memo's way: every column copied at once
    assert more["set apart"] < 0.3                    # one column of six, and no more


@pytest.mark.slow
def test_the_kernels_start_once_demand_and_flow_are_computed(tmp_path, monkeypatch):
    """Idle kernels started beside the computation added a quarter of a gigabyte to a large study's
    largest use of memory; they start once demand and flow are computed, and every stage still runs."""
    import studylib.check.results
    import studylib.check.runner
    said = []

    def done_then_said(real, name):            # demand and flow: said once they have returned
        return lambda *a, **k: (lambda out: said.append(name) or out)(real(*a, **k))
    monkeypatch.setattr(studylib.check.results, "_demand", done_then_said(studylib.check.results._demand, "demand"))
    monkeypatch.setattr(studylib.check.results, "_flow", done_then_said(studylib.check.results._flow, "flow"))
    real_lane = studylib.check.runner.take_lane
    monkeypatch.setattr(studylib.check.runner, "take_lane", lambda *a, **k: said.append("kernel") or real_lane(*a, **k))
    table = run_check(SAMPLE, tmp_path / "out", notebooks_dir=NOTEBOOKS, progress=False, ledger=None, jobs=2)
    assert said == ["demand", "flow", "kernel", "kernel"], said
    assert set(table["status"]) == {"ok"}


@pytest.mark.slow
def test_a_kernel_that_dies_as_it_starts_is_started_again(tmp_path, monkeypatch):
    """A kernel can die as it starts (another program took a port it was given, as parallel test
    workers do): the lane sees it does not answer and starts a new one, and its stage runs."""
    import os
    import signal
    from studylib.check.kernels import KernelLane
    real, asked = KernelLane._ready, []

    def dies_the_first_time(lane):
        asked.append(1)
        if len(asked) == 1:
            os.killpg(lane.km.provisioner.pid, signal.SIGKILL)     # the first kernel dies before it answers
        return real(lane)
    monkeypatch.setattr(KernelLane, "_ready", dies_the_first_time)
    lane = KernelLane("python3", tmp_path)
    try:
        assert len(asked) == 2 and lane.alive()
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
        nbformat.write(nb, str(tmp_path / "n.ipynb"))
        assert lane.run(tmp_path / "n.ipynb", tmp_path / "out.ipynb", {}) == ("ok", "")
        assert "42" in (tmp_path / "out.ipynb").read_text()
    finally:
        lane.close()
