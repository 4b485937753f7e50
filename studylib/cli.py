"""The ``studylib`` command: parse the arguments, call the library, say what happened."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import StudylibError

__all__ = ["main"]


def _hide(text: str, args) -> str:
    """What the command prints, with e-mails, phone numbers, postcodes and card numbers hidden
    unless --no-redact (a value quoted in a message may be a customer's)."""
    from .text import redact
    return redact(text, on=not getattr(args, "no_redact", False))


def _say_caveats(caveats: list[str], args=None) -> None:
    if caveats:
        print("Bear in mind:")
        for text in dict.fromkeys(caveats):
            print(_hide(f"  - {text}", args))


def _check(args) -> int:
    from .check.runner import run_check
    from .read.settings import settings_help
    if args.list_settings:
        print("Settings of a check (study.yml check: section, or -p NAME VALUE):\n" + settings_help())
        return 0
    params = {name: value for name, value in (args.parameter or [])}
    if args.no_redact:
        params["redact"] = False
    out = Path(args.out).resolve()
    had_pack = (out / "check.pdf").is_file()
    table = run_check(args.study, args.out, notebooks_dir=args.notebooks, parameters=params,
                      progress=not args.quiet, jobs=args.jobs, ledger=False if args.no_ledger else args.ledger)
    _say_caveats(table.attrs.get("caveats", []), args)
    for rec in table[table["status"] == "skipped"].to_dict("records"):
        print(f"skipped {rec['notebook']}: {rec['error']}")
    print(f"Reports: {out / 'index.html'}")
    if (out / "history.html").exists():
        print(f"History: {out / 'history.html'}")
    if had_pack and not (out / "check.pdf").exists():
        print(f"The earlier board pack (check.pdf) was of the earlier reports and went with them: make a new one "
              f"with studylib pdf {args.out}")
    failed = table[table["status"] == "failed"]
    for rec in failed.to_dict("records"):
        print(_hide(f"FAILED {rec['notebook']}: {rec['error']}", args), file=sys.stderr)
    return 1 if len(failed) else 0


def _history(args) -> int:
    """The checks of a study's ledger as a table, what changed between two, and history.html."""
    import pandas as pd

    from .check.history import HISTORY_PAGE, history_page, history_table, redesign_story, what_changed
    from .check.ledger import LEDGER_FILE, read_ledger
    from .errors import ParameterError
    from .writing import atomic_text
    study = Path(args.study)
    path = Path(args.ledger) if args.ledger else study / LEDGER_FILE
    if not args.ledger and not study.is_dir():
        raise ParameterError(f"{args.study} is not a study folder")
    if not path.is_file():
        raise ParameterError(f"{path} does not exist: a study's ledger is written by studylib check (one record "
                             "a check); run a check first, or name the ledger with --ledger")
    ledger = read_ledger(path)
    _say_caveats([f"{p}." for p in ledger.problems], args)
    if not ledger.records:
        print(f"{path} holds no check that can be read.")
        return 1
    table = history_table(ledger)
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.max_colwidth", 40):
        print(_hide(table.to_string(index=False), args))
    if args.diff:
        a, b = args.diff
        for n in (a, b):
            if not 1 <= n <= len(ledger.records):
                raise ParameterError(f"--diff {n}: the ledger holds checks 1 to {len(ledger.records)}")
        pair = (ledger.records[a - 1], ledger.records[b - 1])
        heading = f"What changed from check {a} to check {b}:"
    else:
        pair = tuple(ledger.records[-2:]) if len(ledger.records) >= 2 else None
        n = len(ledger.records)
        heading = f"What changed from check {n - 1} to check {n}:"
    if pair:
        print("\n" + heading)
        for line in what_changed(*pair):
            print(_hide(f"  - {line}", args))
    story = redesign_story(ledger.records)
    if story:
        print("\n" + _hide(story, args))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        written = atomic_text(out / HISTORY_PAGE, history_page(ledger), what="the history page")
        print(f"History: {Path(written).resolve()}")
    return 0


def _validate(args) -> int:
    from .errors import collect_caveats
    from .read.study import load_study, quality_summary
    study, caveats = collect_caveats(lambda: load_study(args.study))
    print(_hide(repr(study), args))
    _say_caveats(caveats, args)
    if len(study.quality):
        print(_hide(study.quality.to_string(index=False), args))
    print(_hide(quality_summary(study), args))
    if study.has_events and study.cases is None:     # a case export's two events come in their known order
        from .read.ordering import ties_note
        note = ties_note(study.events)
        if note:
            print(_hide(f"Event log: {note}", args))
    if len(study.set_aside):
        print("\nRows set aside:")
        print(_hide(study.set_aside.to_string(index=False, max_rows=200, max_colwidth=200), args))
    return 0


def _new(args) -> int:
    from .read.scaffold import new_study
    where = Path(args.dir).resolve().as_posix()   # notebooks run in their own folder: a full path works there
    if args.export:
        from .read.mapping import map_export, summary_of
        from .errors import collect_caveats
        found, notes = collect_caveats(lambda: map_export(args.export, timezone=args.timezone, dates=args.dates))
        written = new_study(args.dir, export=found)        # after the export is read: nothing written before
        print(f"Created a study folder in {args.dir}: " + ", ".join(p.name for p in written))
        print(_hide(summary_of(found), args))
        _say_caveats(notes, args)
        print(f"Next: check study.yml, then studylib validate {args.dir} and studylib check {args.dir}")
        return 0
    written = new_study(args.dir)
    print(f"Created a study folder in {args.dir}: " + ", ".join(p.name for p in written))
    print("Next:\n"
          f"  - fill in study.yml (name, services, period, targets), then: studylib validate {args.dir}\n"
          "  - capture contacts while you listen: notebooks/02a_capture.ipynb in JupyterLab, with\n"
          f"    study = \"{where}\" (they go to capture.sqlite in the folder and into the check)\n"
          f"  - work through notebooks 01 to 05 with study = \"{where}\"; then: studylib check {args.dir}")
    return 0


def _sample(args) -> int:
    from .read.sample import SAMPLE_FILES, SAMPLE_SEED, generate_sample
    folder = Path(args.dir)
    backup = None
    if folder.exists() and not folder.is_dir():
        raise StudylibError(f"{folder} is a file, not a folder: name a folder for the sample study")
    # Any file the sample would write over is the team's until it says --force: not only study.yml.
    taken = sorted(name for name in SAMPLE_FILES if (folder / name).exists())
    if taken:
        if not args.force:
            held = "a study (study.yml)" if "study.yml" in taken else ", ".join(taken)
            raise StudylibError(f"{folder} already holds {held}: writing the sample there would overwrite its "
                                "files. Choose an empty folder, or add --force to overwrite it (its files are "
                                "kept in a backup folder first)")
    from .writing import write_whole
    # The backup and the sample land together or not at all.
    with write_whole(folder, what=f"the sample study to {folder}") as staging:
        if taken:
            import shutil
            import time
            backup = folder / f"backup-{time.strftime('%Y%m%d-%H%M%S')}"
            (staging / backup.name).mkdir()
            for item in folder.iterdir():
                if item.is_file():
                    shutil.copy2(item, staging / backup.name / item.name)
        written = generate_sample(staging, seed=args.seed if args.seed is not None else SAMPLE_SEED)
    print(f"Wrote the sample study to {args.dir}: " + ", ".join(sorted(written)))
    if backup is not None:
        print(f"The files that were there are kept in {backup}")
    return 0


def _solutions(args) -> int:
    import textwrap

    from .check.results import compute_check
    from .errors import collect_caveats
    from .read.study import load_study
    from .teaching.exercises import solutions
    table, caveats = collect_caveats(lambda: solutions(compute_check(load_study(args.study))))
    _say_caveats(caveats, args)
    print(f"Every exercise's answer for {args.study}, for whoever runs the workshop (the learners' notebooks "
          "show an answer only when asked: solution(\"key\", r)).\n")
    for row in table.to_dict("records"):
        print(_hide(f"Exercise {row['exercise']} ({row['key']}): {row['question']}", args))
        print(_hide(f"  Answer: {row['answer']}", args))
        if row["why"]:
            print(_hide(textwrap.fill(f"Why: {row['why']}", 100, initial_indent="  ", subsequent_indent="  "), args))
        print()
    return 0


def _pdf(args) -> int:
    from .check.pdf import board_pack
    from .errors import collect_caveats
    out, notes = collect_caveats(lambda: board_pack(args.reports, args.out))
    _say_caveats(notes, args)
    print(f"Board pack: {Path(out).resolve()}")
    return 0


def _report(args) -> int:
    """One notebook (an example's) run and written as a report the way a check writes its pages."""
    from .check.runner import run_notebook
    from .errors import ParameterError
    from .writing import write_whole
    notebook = Path(args.notebook)
    if not notebook.is_file() or notebook.suffix != ".ipynb":
        raise ParameterError(f"{args.notebook} is not a notebook (.ipynb file)")
    parameters = {name: value for name, value in (args.parameter or [])}
    with write_whole(args.out, what="the report") as staging:
        status, error = run_notebook(notebook, staging / "notebooks" / notebook.name, staging / f"{notebook.stem}.html",
                                     parameters=parameters, title=notebook.stem.replace("_", " "))
    if status != "ok":
        print(_hide(f"studylib report: {notebook.name} stopped ({error}); the report says where", args),
              file=sys.stderr)
    print(f"Report: {(Path(args.out) / f'{notebook.stem}.html').resolve()}")
    return 0 if status == "ok" else 1


def _version() -> str:
    from importlib import metadata
    try:
        return metadata.version("studylib")
    except metadata.PackageNotFoundError:     # run from a checkout that was never installed
        from . import __version__
        return __version__


def _positive(text: str) -> int:
    """A whole number of 1 or more (``-j 0`` would run no stage, ``-j -3`` means nothing)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} stages at once would run none: give 1 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="studylib", description="Study a service the systems-thinking way.")
    parser.add_argument("--version", action="version", version=f"studylib {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="run every stage on a study folder and write HTML reports")
    p.add_argument("study", nargs="?", default=None, help="the study folder (default: the sample study)")
    p.add_argument("--out", default="reports", help="where the reports go (default: reports/)")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="a setting of the check, for every stage alike (see --list-settings)")
    p.add_argument("--list-settings", action="store_true", help="list the settings a check takes, and stop")
    p.add_argument("--notebooks", default=None, help=argparse.SUPPRESS)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("-j", "--jobs", type=_positive, default=None, help="stages run at once (default: one per CPU core)")
    p.add_argument("--no-redact", action="store_true",
                   help="show e-mails, phone numbers, postcodes and card numbers (a team's internal copy only)")
    p.add_argument("--ledger", default=None, metavar="PATH",
                   help="the ledger of checks to add this one to (default: checks.jsonl in the study folder)")
    p.add_argument("--no-ledger", action="store_true", help="add this check to no ledger")
    p.set_defaults(func=_check)
    p = sub.add_parser("history", help="the checks of a study's ledger: a table, what changed, whether the "
                                       "redesign holds, and history.html")
    p.add_argument("study", help="the study folder (its ledger is checks.jsonl in it)")
    p.add_argument("--ledger", default=None, metavar="PATH", help="read this ledger instead")
    p.add_argument("--out", default=None, metavar="DIR", help="write history.html in this folder")
    p.add_argument("--diff", nargs=2, type=_positive, metavar=("A", "B"),
                   help="what changed from check A to check B (their numbers in the table)")
    p.add_argument("--no-redact", action="store_true", help="show personal data in what is printed")
    p.set_defaults(func=_history)
    p = sub.add_parser("validate", help="read a study folder and print its data-quality table")
    p.add_argument("study")
    p.add_argument("--no-redact", action="store_true", help="show personal data in what is printed")
    p.set_defaults(func=_validate)
    p = sub.add_parser("new", help="create an empty study folder with commented templates")
    p.add_argument("dir")
    p.add_argument("--from", dest="export", default=None, metavar="EXPORT",
                   help="write a study.yml that maps this export (CSV, Excel or Parquet) as it comes")
    p.add_argument("--timezone", default=None, help="the zone the export's local times are in (with --from)")
    p.add_argument("--dates", choices=["dayfirst", "monthfirst"], default=None,
                   help="how to read dates that read two ways, such as 03/04/2025 (with --from)")
    p.set_defaults(func=_new)
    p = sub.add_parser("solutions", help="every exercise's answer for a study, for whoever runs the workshop")
    p.add_argument("study")
    p.add_argument("--no-redact", action="store_true", help="show personal data in what is printed")
    p.set_defaults(func=_solutions)
    p = sub.add_parser("pdf", help="one A4 PDF of a check's reports, for a board (needs studylib[pdf])")
    p.add_argument("reports", help="the folder studylib check wrote (--out)")
    p.add_argument("--out", default=None, help="the PDF to write (default: check.pdf in that folder)")
    p.set_defaults(func=_pdf)
    p = sub.add_parser("report", help="run one notebook (an example's) and write it as a report: no code, "
                                      "offline, for a phone and for print")
    p.add_argument("notebook")
    p.add_argument("--out", default="reports", help="the folder the report goes in (default: reports/)")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="a parameter of the notebook")
    p.set_defaults(func=_report)
    p = sub.add_parser("sample", help="write the sample study (the same bytes every time)")
    p.add_argument("dir")
    p.add_argument("--seed", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--force", action="store_true",
                   help="write over a study already in the folder (its files are backed up first)")
    p.set_defaults(func=_sample)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    previous = _stop_on_terminate()
    if args.command == "check":      # said if the check is stopped, as it was before it began
        held = (Path(args.out) / "run_manifest.json").exists()
        args.stopped = f"the reports in {args.out} are as they were" if held else "no reports were written"
    try:
        return args.func(args)
    except StudylibError as exc:
        print(_hide(f"studylib {args.command}: {exc}", args), file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        # One line, no traceback: what was being written was written whole or not at all.
        terminated = isinstance(exc, _Terminated)
        print(f"\nstudylib {args.command}: stopped ({'terminated' if terminated else 'Ctrl-C'}); "
              f"{getattr(args, 'stopped', 'nothing was written')}", file=sys.stderr)
        return 143 if terminated else 130
    finally:
        if previous is not None:
            import signal
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class _Terminated(KeyboardInterrupt):
    """A terminate signal, taken the way out Ctrl-C takes."""


def _stop_on_terminate():
    """A terminate signal (a CI timeout, ``kill``, a machine shutting down) stops the command as
    Ctrl-C does: the same clean way out, nothing half-written, no kernel left.

    Neither is raised inside Python's import machinery: a stop raised there (in the clean-up of a
    module lock, between taking the import lock and the ``try`` that gives it back) is swallowed as
    "Exception ignored", leaves the import lock held, and every later import waits for ever. A
    signal that lands there is taken again 50 ms later, once the import is done. Returns the
    handlers it replaced, to put back."""
    import signal
    import threading
    if threading.current_thread() is not threading.main_thread():
        return None
    later: list[int] = []

    def stop(signum, frame):
        if _importing(frame) and hasattr(signal, "setitimer"):      # no timer signal on Windows
            later.append(signum)
            signal.setitimer(signal.ITIMER_REAL, 0.05)
            return
        raise _Terminated if signum == signal.SIGTERM else KeyboardInterrupt

    def again(_signum, frame):
        if later:
            stop(later.pop(), frame)
    handlers = [(signal.SIGINT, stop), (signal.SIGTERM, stop)]
    if hasattr(signal, "SIGALRM"):
        handlers.insert(0, (signal.SIGALRM, again))
    return {sig: signal.signal(sig, handler) for sig, handler in handlers}


def _importing(frame) -> bool:
    """Whether a frame runs inside Python's import machinery (importlib's bootstrap)."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib._bootstrap"):
            return True
        frame = frame.f_back
    return False
