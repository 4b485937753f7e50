"""Running the check: every stage notebook, in order, on one study folder, into HTML reports.

Parameters are checked against each notebook's ``parameters`` cell before any kernel starts.
A failing stage does not hide the others: the run goes on, the index marks the failed stage with
the failing cell and error, and :func:`run_check` reports it so that the command exits non-zero.
"""
from __future__ import annotations

import json
import os
import platform
import queue
import re
import shutil
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

import pandas as pd

from ..errors import ParameterError, StudylibError
from .kernels import KernelLane, give_back, kernel_environment, take_lane
from .report import index_page, render_report, sha256_of
from ..read.sample import bundled_sample
from ..text import escape, no_paths, redact
from ..writing import disk_words, said_in_words, write_whole

__all__ = ["run_check", "run_notebook", "stage_notebooks", "notebook_parameters", "check_parameters",
           "default_notebooks_dir", "default_study_dir"]

_PACKAGE = Path(__file__).resolve().parent.parent   # studylib/
_STAGE_FILE = re.compile(r"^\d\d[a-z]?_[A-Za-z0-9_]+\.ipynb$")


def _first_existing(*candidates: Path) -> Path:
    for c in candidates:
        if c.exists():
            return c
    return candidates[-1]


def default_notebooks_dir() -> Path:
    """The stage notebooks: inside an installed wheel, else the source checkout's notebooks/."""
    return _first_existing(_PACKAGE / "_notebooks", _PACKAGE.parent / "notebooks")


def default_study_dir() -> Path:
    """The bundled sample study."""
    return bundled_sample()


def stage_notebooks(notebooks_dir: str | Path | None = None) -> list[Path]:
    """The stage notebooks (``NN_name.ipynb``), in order.

    A notebook whose metadata says ``{"studylib": {"report": false}}`` (the interactive capture
    notebook) is for working in JupyterLab, not for a report, and is left out.
    """
    folder = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    found = sorted(p for p in folder.glob("*.ipynb") if _STAGE_FILE.match(p.name) and _is_report(p))
    if not found:
        raise StudylibError(f"no stage notebooks (NN_name.ipynb) in {folder}")
    return found


def _is_report(notebook: Path) -> bool:
    meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    return (meta.get("studylib") or {}).get("report", True) is not False


def notebook_parameters(notebook: str | Path) -> pd.DataFrame:
    """The parameters a notebook declares: ``name, type, default, help``.

    Read from the cell tagged ``parameters`` with papermill's Python translator, the same reading
    ``papermill --help-notebook`` gives (stage notebooks are Python whatever their kernelspec says).
    """
    import nbformat
    from papermill.translators import PythonTranslator
    nb = nbformat.read(str(notebook), as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    spec = PythonTranslator.inspect(cells[0]) if cells else []
    return pd.DataFrame([{"name": p.name, "type": p.inferred_type_name, "default": p.default,
                          "help": p.help} for p in spec],
                        columns=["name", "type", "default", "help"])


_TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}


def check_parameters(notebook: str | Path, parameters: dict) -> None:
    """Raise :class:`ParameterError` for a parameter the notebook does not declare or of the wrong type."""
    declared = notebook_parameters(notebook).set_index("name")
    name = Path(notebook).name
    accepted = ", ".join(f"{n} ({t})" for n, t in declared["type"].items()) or "none"
    for key, value in parameters.items():
        if key not in declared.index:
            raise ParameterError(f"{name} has no parameter {key!r}; it accepts: {accepted}")
        want = str(declared.at[key, "type"]).replace(" ", "")
        allowed = []
        for part in want.split("|"):
            if part == "None":
                allowed.append(type(None))
            allowed.extend(_TYPES.get(part, (object,)))
        if isinstance(value, bool) and bool not in allowed and object not in allowed:
            ok = False
        else:
            ok = isinstance(value, tuple(allowed))
        if not ok:
            raise ParameterError(f"{name} parameter {key!r} must be {want}, got {value!r} "
                                 f"({type(value).__name__}); it accepts: {accepted}")


def _title(notebook: Path) -> str:
    import nbformat
    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return notebook.stem.split("_", 1)[1].replace("_", " ").capitalize()


def _checksums(study: Path, config: dict | None = None, *, leave_out: Path | None = None) -> dict:
    """SHA-256 of every file in the study folder and of every input study.yml names elsewhere
    (``allow_outside: true``), keyed by the name study.yml gives it; not the ledger (``leave_out``),
    which the check itself writes."""
    from ..read.schema import named_files
    out = {}
    for p in sorted(study.iterdir()):
        if p.is_file() and p != leave_out:
            out[p.name] = sha256_of(p)
    for _, name in named_files(config or {}):
        file = study / name
        if name not in out and file.is_file():
            out[name] = sha256_of(file)
    return out


def _versions() -> dict:
    names = ["studylib", "pandas", "numpy", "matplotlib", "papermill", "nbconvert",
             "ipykernel", "pyyaml"]
    out = {"python": platform.python_version()}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = None
    return out


def _stage_of(notebook: Path) -> tuple[str, str | None]:
    """(title, needs) of a stage notebook from :data:`studylib.check.results.STAGES`, by its stem."""
    from .results import STAGES
    for stem, title, needs in STAGES:
        if notebook.stem == stem:
            return title, needs
    return _title(notebook), None


#: The stages that draw the most charts, first: the lanes take the long stages while the short
#: ones are left to even them out, so that the check ends soon after its longest stage. (On the
#: sample, flow and demand take about 5 s each, conditions under 1 s.) Other notebooks follow in
#: their own order.
LONGEST_FIRST = ("04_flow", "02_demand", "03_capability", "00_summary", "01_purpose", "05_system_conditions")


def _longest_first(notebook: Path) -> int:
    return LONGEST_FIRST.index(notebook.stem) if notebook.stem in LONGEST_FIRST else len(LONGEST_FIRST)


def run_check(study: str | Path | None = None, out: str | Path = "reports", *,
              notebooks_dir: str | Path | None = None, parameters: dict | None = None,
              progress: bool = True, kernel_name: str = "python3", jobs: int | None = None,
              ledger: str | Path | bool | None = None) -> pd.DataFrame:
    """Compute the check once, then run every stage notebook on its results and write HTML reports.

    Parameters
    ----------
    study : path, optional
        The study folder (default: the bundled sample study).
    out : path
        Where the reports go: ``index.html``, one HTML file per stage, the executed notebooks
        under ``notebooks/``, the results every stage read under ``.results/``, and
        ``run_manifest.json``.
    parameters : dict, optional
        Settings of the check (:data:`studylib.read.settings.SETTINGS`), overriding study.yml's
        ``check:`` section: ``{"radius_m": 80}``. They apply to every stage alike.
    jobs : int, optional
        Stages run at once (default: one per CPU core).
    ledger : path or False, optional
        The study's ledger of checks (:mod:`studylib.check.ledger`), to which the check adds its
        record: by default ``checks.jsonl`` in the study folder (none for the sample and examples
        bundled with studylib); False keeps none. Where it has records, the reports folder gets
        ``history.html`` and the front page links to it.

    Returns
    -------
    DataFrame, one row per stage: ``stage, notebook, status, seconds, report, error``; ``status``
    is "ok", "skipped" (``error`` then says what data is missing) or "failed". ``attrs["caveats"]``
    lists what a reader should bear in mind, in words.

    Raises
    ------
    ParameterError
        Before any kernel starts, for an unknown setting or a bad value.
    DataError, ConfigError
        Before any kernel starts, when the study's data or study.yml cannot be used.
    """
    from ..errors import collect_caveats
    from ..read.settings import resolve_settings
    from ..read.study import load_study

    study = Path(study or default_study_dir()).resolve()
    out = Path(out).resolve()
    from .ledger import default_ledger
    ledger = None if ledger is False else Path(ledger).resolve() if ledger not in (None, True) else default_ledger(study)
    if ledger is not None and (ledger == out or out in ledger.parents):
        raise ParameterError(f"--ledger {ledger.name} is inside the reports folder, which a check replaces whole: "
                             "keep the ledger beside it, or in the study folder")
    _check_out(out, study)         # before the study is read: a large study takes a while
    started_all = time.perf_counter()
    # A data or study.yml problem stops here, once, before any kernel.
    loaded, load_notes = collect_caveats(lambda: load_study(study))
    from .results import release_memory
    release_memory()           # what reading freed: a large study's text, parsed and thrown away
    read_in = time.perf_counter() - started_all
    settings = resolve_settings(loaded.config, parameters)
    from .results import check_as_of
    check_as_of(loaded, settings)
    # The results hold the study's raw data (customer words, references): they live in a private
    # folder for the run only, never in the reports folder that people send on.
    private = Path(tempfile.mkdtemp(prefix="studylib-results-"))
    results_file = private / "results.pkl"
    try:
        # Handed over, not kept here: once the results are saved the run lets go of the raw rows.
        handed = [loaded]
        del loaded
        # Written whole or not at all: into a hidden folder beside --out, swapped in when every page
        # and the manifest are written. A failure or Ctrl-C leaves the earlier reports as they were.
        with write_whole(out, what=f"the reports to {out}", replace=True, carried=teams_files) as staging:
            (staging / "notebooks").mkdir()
            return _run_stages(handed, load_notes, settings, study, staging, results_file,
                               notebooks_dir=notebooks_dir, progress=progress, kernel_name=kernel_name, jobs=jobs,
                               started_all=started_all, read_in=read_in, ledger=ledger)
    finally:
        shutil.rmtree(private, ignore_errors=True)


#: What a check writes into its reports folder (the board pack, made from it, goes with it).
_CHECKS_OWN = re.compile(r"^(index\.html|history\.html|run_manifest\.json|notebooks|check\.pdf|\d\d[a-z]?_[A-Za-z0-9_]+\.html)$")


def teams_files(folder: Path) -> list[str]:
    """The entries of a reports folder that a check did not write (a team's own notes): a new run
    carries them across."""
    return sorted(p.name for p in folder.iterdir() if not _CHECKS_OWN.match(p.name))


def _check_out(out: Path, study: Path) -> None:
    """Refuse a reports folder that would mix with the study's inputs, is a file, or cannot be written."""
    from ..errors import ParameterError
    if out == study or study in out.parents:
        here = Path.cwd().resolve()
        beside = f"../{study.name}-reports" if here == study or study in here.parents else f"{study.name}-reports"
        raise ParameterError(f"--out {out.name} is inside the study folder: the reports would sit among the "
                             "study's inputs (and be hashed as inputs next time). Write them beside it, e.g. "
                             f"--out {beside}")
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {out.name} is a file, not a folder: name a folder for the reports")
    if out.is_dir() and not (out / "run_manifest.json").exists():
        held = sorted(p.name for p in out.iterdir())
        if held:
            shown = ", ".join(held[:3]) + (f" and {len(held) - 3} more" if len(held) > 3 else "")
            raise ParameterError(f"--out {out.name} already holds files that are not a check's reports ({shown}): "
                                 "a check replaces its reports folder whole, so name a new or empty folder")
    # The reports are written beside --out and swapped in: the folder that holds it must take a new one.
    parent = next(p for p in out.parents if p.exists())
    with said_in_words(f"the reports to {out}", f"{out} is as it was" if out.exists() else "nothing was written"):
        Path(tempfile.mkdtemp(prefix=f".{out.name}.probe-", dir=parent)).rmdir()


def _run_stages(handed: list, load_notes: list[str], settings: dict, study: Path, out: Path, results_file: Path, *,
                notebooks_dir, progress: bool, kernel_name: str, jobs: int | None, started_all: float,
                read_in: float = 0.0, ledger: Path | None = None) -> pd.DataFrame:
    """Compute the results into ``results_file`` while lanes of kernels run the stage notebooks on them.
    ``handed`` holds the loaded study, taken from it so that nothing else keeps its raw rows."""
    from tqdm.auto import tqdm

    from .report import skipped_page
    from .results import NEEDS, compute_check, likely_stages, load_results, save_results

    run_at = pd.Timestamp.now(tz="UTC")
    loaded = handed.pop()

    notebooks = stage_notebooks(notebooks_dir)
    routed = {}
    for nb in notebooks:
        declared = set(notebook_parameters(nb)["name"])
        routed[nb] = {"study": str(study), **({"results": str(results_file)} if "results" in declared else {})}
        check_parameters(nb, routed[nb])

    titles = {nb: _title(nb) for nb in notebooks}
    from ..prose.counted import COUNTED_ID
    counted_link = (f"00_summary.html#{COUNTED_ID}" if any(nb.stem == "00_summary" for nb in notebooks) else "")
    nav = "<nav class=\"stage-nav\"><a href=\"index.html\">All stages</a></nav>"
    from ..read.settings import settings_as_text
    shown_settings = settings_as_text(settings)
    # Which stages have data to show is known once the results are computed; what can be told from
    # the study alone is enough to start their kernels while the results are computed.
    stages = likely_stages(loaded).set_index("notebook")["status"]

    def skipped(nb: Path, final) -> bool:
        _, needs = _stage_of(nb)
        return needs is not None and final.status(nb.stem) == "skipped"

    def skip_page(nb: Path) -> dict:
        _, needs = _stage_of(nb)
        reason, text, lines = NEEDS[needs]
        html_path = out / f"{nb.stem}.html"
        html_path.write_text(skipped_page(titles[nb], reason, text, lines, nav=nav), encoding="utf-8")
        return {"stage": titles[nb], "notebook": nb.name, "status": "skipped", "seconds": 0.0,
                "report": html_path.name, "error": reason}

    results_ready = [float("inf")]     # when the results file was written (a stage may wait for it)

    def one(nb: Path, lane: KernelLane | None, lane_error: str) -> dict:
        started = time.perf_counter()
        html_path = out / f"{nb.stem}.html"
        executed = out / "notebooks" / nb.name
        if lane is None:
            status, error = "failed", lane_error
        else:
            status, error = lane.run(nb, executed, routed[nb])
        ran = time.perf_counter()
        if executed.exists() and not stopping.is_set():      # a stopped run's pages are not wanted
            render_report(executed, html_path, title=titles[nb], nav=nav, parameters=settings,
                          counted_link=counted_link if nb.stem != "00_summary" else f"#{COUNTED_ID}")
        waited = max(0.0, min(results_ready[0], ran) - started)
        return {"stage": titles[nb], "notebook": nb.name, "status": status,
                "seconds": round(time.perf_counter() - started, 2),
                "report": html_path.name if html_path.exists() else "", "error": error,
                # where the time went: waiting for the results, the notebook itself, its HTML
                "waited_seconds": round(waited, 2), "notebook_seconds": round(ran - started - waited, 2),
                "html_seconds": round(time.perf_counter() - ran, 2)}

    # Lanes of kernels take stages from a queue; they start while the results are computed.
    workers = max(1, min(len(notebooks), jobs or os.cpu_count() or 1))
    bar = tqdm(total=len(notebooks), desc="check", unit="stage", disable=not progress)
    done: dict[Path, dict] = {}
    todo: queue.Queue = queue.Queue()

    live: list[KernelLane] = []        # the lanes running, to end at once if the check is stopped
    disk_full: list[OSError] = []
    stopping = threading.Event()

    def lane_worker() -> None:
        lane, lane_error, finished = None, "", False
        try:
            lane = take_lane(kernel_name, notebooks[0].parent)
            live.append(lane)
            if stopping.is_set():
                lane.stop()
        except Exception as exc:      # no kernel: every stage it takes fails, with the reason
            lane_error = f"the kernel did not start: {type(exc).__name__}: {exc}"
        try:
            while (nb := todo.get()) is not None and not stopping.is_set():
                try:
                    done[nb] = one(nb, lane, lane_error)
                except Exception as exc:   # a stage that cannot even run must not hide the others
                    if disk_words(exc):    # but a full disk or a read-only folder ends the run: said in words
                        disk_full.append(exc)
                        stopping.set()
                    done[nb] = {"stage": titles[nb], "notebook": nb.name, "status": "failed", "seconds": 0.0,
                                "report": "", "error": f"{type(exc).__name__}: {exc}"}
                bar.set_postfix_str(nb.stem)
                bar.update()
            finished = True
        finally:
            if lane is not None:
                give_back(lane, idle=finished)     # a lane stopped mid-stage is shut down, never kept

    queued = sorted((nb for nb in notebooks if stages.get(nb.stem, "ok") == "ok"), key=_longest_first)
    for nb in queued:
        todo.put(nb)
    threads = [threading.Thread(target=lane_worker, daemon=True) for _ in range(min(workers, max(len(queued), 1)))]

    def start_lanes() -> None:
        """The kernels start once demand and flow are computed, not beside them (a large study's
        parent is then at its largest); they still start while the rest is computed and saved."""
        for thread in threads:
            if thread.ident is None and not stopping.is_set():
                thread.start()
    computed_in = saved_in = 0.0

    def lanes_done(timeout: float | None = None) -> None:
        """No more stages: each lane finishes the one it runs, and is waited for."""
        start_lanes()
        for _ in threads:
            todo.put(None)
        for thread in (t for t in threads if t.ident is not None):     # a failed check starts none
            thread.join(timeout=timeout)
    try:
        t0 = time.perf_counter()
        try:
            results = compute_check(loaded, settings, load_caveats=load_notes, largest_done=start_lanes)
        except BaseException as exc:
            # The kernels waiting for the results are told, so that they stop at once.
            results_file.with_suffix(".failed").write_text(f"{type(exc).__name__}: {exc}", encoding="utf-8")
            raise
        computed_in = time.perf_counter() - t0
        with said_in_words(f"the check's working copy of its results to {results_file.parent.parent} (the "
                           "temporary folder)", "no reports were changed"):
            save_results(results, results_file)
        results_ready[0] = time.perf_counter()
        saved_in = results_ready[0] - t0 - computed_in
        # From here the run needs only words and small tables: it reads the results as a kernel
        # does and lets go of the raw rows while the kernels read theirs (a large study's 2 GB).
        del loaded
        results = load_results(results_file)
        _let_go()
        for nb in sorted(notebooks, key=_longest_first):
            if nb in queued:
                continue
            if skipped(nb, results):
                done[nb] = skip_page(nb)
                bar.update()
            else:
                todo.put(nb)
        lanes_done()
        if disk_full:
            raise disk_full[0]
    except BaseException:
        # Stopped (Ctrl-C) or failed: no stage is started, the kernels end now, not after their
        # stage, and the lanes are waited for, so that nothing writes once the run is given up.
        stopping.set()
        for lane in list(live):
            lane.stop()
        lanes_done(timeout=30)
        raise
    finally:
        bar.close()
    for nb in notebooks:
        if skipped(nb, results) and done.get(nb, {}).get("status") != "skipped":
            done[nb] = skip_page(nb)      # started early, but it has nothing to show after all
    records = [done[nb] for nb in notebooks]       # with where each stage's time went, for the manifest
    table = pd.DataFrame(records, columns=["stage", "notebook", "status", "seconds", "report", "error"])
    inputs = _checksums(study, results.study.config, leave_out=ledger)
    history = _keep_history(results, ledger, out, inputs=inputs, run_at=run_at)
    caveats = results.caveats.to_dict("records")
    table.attrs["caveats"] = [c["caveat"] for c in caveats]
    (out / "index.html").write_text(index_page(results, table, run_at=run_at, history=history), encoding="utf-8")
    on = bool(results.settings.get("redact", True))

    def hide(text):     # what the manifest says in words, redacted as the reports are
        return redact(text, on=on) if isinstance(text, str) else text
    caveats = [{**c, "caveat": hide(c["caveat"])} for c in caveats]
    manifest = {"study": hide(results.study.name), "study_folder": str(study), "settings": shown_settings,
                # the results file was the run's own and is gone: the study is what each stage was given
                "parameters": {nb.name: {"study": routed[nb]["study"]} for nb in notebooks},
                "inputs_sha256": inputs, "versions": _versions(), "caveats": caveats,
                "seconds": {"read": round(read_in, 2), "compute": round(computed_in, 2),
                            "parts": {k: round(v, 2) for k, v in results.seconds.items()},
                            "save results": round(saved_in, 2), "total": round(time.perf_counter() - started_all, 2)},
                "stages": [{**rec, "error": hide(rec["error"])} for rec in records],
                # every page as written, so that a board pack prints only these, whole (studylib pdf)
                "pages": {p.name: sha256_of(p) for p in sorted(out.glob("*.html"))}}
    (out / "run_manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    return table


def _keep_history(results, ledger: Path | None, out: Path, *, inputs: dict, run_at) -> str:
    """Add the check to the study's ledger and, from its second check on, write ``history.html``
    beside the reports; the front page's sentence about it (with its link), or "" with no ledger. A ledger that cannot be written or
    read in part is said among the caveats; the reports are written all the same."""
    if ledger is None:
        return ""
    from .history import HISTORY_PAGE, history_page, redesign_story
    from .ledger import add_check, check_record, read_ledger
    record = check_record(results, inputs=inputs, run_at=run_at, version=_versions().get("studylib"))
    notes = []
    try:
        add_check(ledger, record)
    except OSError as exc:
        why = disk_words(exc)
        notes.append(f"This check was not added to the study's ledger ({ledger.name}): "
                     f"{why[0] if why else exc.strerror or exc}. Keep one elsewhere with "
                     f"studylib check STUDY --ledger PATH.")
    kept = read_ledger(ledger)
    notes.extend(f"The study's ledger: {p}." for p in kept.problems)
    if notes:
        more = pd.DataFrame({"stage": "Data", "caveat": notes})
        results.caveats = pd.concat([results.caveats, more], ignore_index=True)
    if not any(r.get("key") == record["key"] for r in kept.records):
        kept.records.append(record)         # not written, but this check is still part of its story
    story = escape(redact(redesign_story(kept.records), on=bool(results.settings.get("redact", True))))
    n = len(kept.records)
    if n < 2:       # nothing to compare yet: no history page, one sentence
        return (f"{story} " if story else "") + (f"This is the first check in the study's ledger "
                                                 f"({escape(ledger.name)}): the next will say what changed.")
    (out / HISTORY_PAGE).write_text(history_page(kept, beside_check=True), encoding="utf-8")
    return (f"{story} " if story else "") + f"<a href=\"{HISTORY_PAGE}\">The study's history</a>: {n} checks in its ledger."


def _let_go() -> None:
    """Give back the memory of tables no longer held."""
    import gc

    from .results import release_memory
    gc.collect()
    release_memory()


def run_notebook(notebook: str | Path, executed: str | Path, html_path: str | Path, *,
                 parameters: dict, title: str | None = None, nav: str = "",
                 kernel_name: str = "python3", shown_parameters: dict | None = None) -> tuple[str, str]:
    """Execute one notebook with papermill and render its report; never raises for a failing cell.

    The kernel starts in the notebook's folder (so relative paths in its parameters work), with
    ``MPLBACKEND`` removed from its environment so that charts reach the report.

    Returns
    -------
    (status, error): ``("ok", "")`` or ``("failed", "cell N: Error: message")``.
    """
    import papermill as pm

    notebook, executed, html_path = Path(notebook), Path(executed), Path(html_path)
    executed.parent.mkdir(parents=True, exist_ok=True)
    status, error = "ok", ""
    try:
        with kernel_environment():
            pm.execute_notebook(str(notebook), str(executed), parameters=parameters,
                                kernel_name=kernel_name, language="python", cwd=str(notebook.parent),
                                progress_bar=False, log_output=False,
                                # the kernel's own log (TCP warnings, shutdown noise) is not for users;
                                # errors in cells reach the report and the index
                                extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    except pm.PapermillExecutionError as exc:
        status = "failed"
        error = no_paths(f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}")
    except Exception as exc:   # a kernel that dies must not hide the other stages
        status = "failed"
        error = f"{type(exc).__name__}: {exc}"
    if executed.exists():
        render_report(executed, html_path, title=title or _title(notebook), nav=nav,
                      parameters=shown_parameters if shown_parameters is not None else parameters)
    return status, error
