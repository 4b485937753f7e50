from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
SAMPLE = ROOT / "data" / "sample"

# The suite runs about forty checks in each process: their kernels are kept from one check to the
# next (studylib.check.kernels), instead of two started, and their imports paid, for each.
os.environ.setdefault("STUDYLIB_KEEP_KERNELS", "1")


#: The test files that take longest (about 170 s down to 23 s on two cores), in that order. They
#: run first and the quick ones fill in after them, so that neither worker ends long before the
#: other (longest processing time first; pyproject.toml turns off xdist's own order, by test count).
LONGEST_FIRST = ["test_reports_read.py", "test_capture.py", "test_engines.py", "test_teaching.py",
                 "test_bad_input.py", "test_any_study.py", "test_capture_browser.py", "test_flow.py",
                 "test_runner.py", "test_ledger.py", "test_report_safety.py"]


def pytest_collection_modifyitems(config, items):
    gone = [name for name in LONGEST_FIRST if not (ROOT / "tests" / name).exists()]
    assert not gone, f"LONGEST_FIRST names test files that are not there: {gone}"
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))     # stable: a file keeps its order


def shared_file(relative: str) -> Path:
    """A file in ../shared/data. Missing: skip on a developer's machine, fail under CI."""
    path = SHARED / relative
    if not path.exists():
        message = f"real data {path} is missing"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must have ../shared beside the checkout)")
        pytest.skip(message)
    return path


def need_module(name: str):
    """An optional package the test extra brings: fail under CI if it is missing, else skip."""
    try:
        return __import__(name)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: it is in the test extra")
        pytest.skip(f"{name} is not installed")


def assert_frames_identical(left, right):
    """``pd.testing.assert_frame_equal``, exact, with each categorical column compared by its
    categories (in order), its ordered flag and its codes, which is the same test: pandas compares
    categoricals value by value as Python objects, about 2 s a column on BPIC12's 262,200 events."""
    import pandas as pd
    categorical = [c for c in left.columns if isinstance(left[c].dtype, pd.CategoricalDtype)]
    for column in categorical:
        assert column in right.columns, f"{column!r} is missing on the right"
        assert isinstance(right[column].dtype, pd.CategoricalDtype), f"{column!r}: {right[column].dtype} on the right"
        assert left[column].cat.ordered == right[column].cat.ordered, f"{column!r}: ordered differs"
        pd.testing.assert_index_equal(left[column].cat.categories, right[column].cat.categories, obj=f"{column!r} categories")

    def codes(frame):
        return frame.assign(**{column: frame[column].cat.codes for column in categorical})
    pd.testing.assert_frame_equal(codes(left), codes(right))


CHROMIUM = Path("/usr/bin/chromium")


def slower_from_mid_april(folder: Path) -> Path:
    """A copy of the sample in ``folder`` whose repairs cases that enter from 14 April 2025 take a
    week longer: a real deterioration of the redesigned system."""
    import shutil

    import pandas as pd
    shutil.copytree(SAMPLE, folder)
    events = pd.read_csv(folder / "events.csv", dtype=str, keep_default_na=False)
    t = pd.to_datetime(events["timestamp"], errors="coerce")
    first = t.groupby(events["case_id"]).transform("min")
    later = (first >= pd.Timestamp("2025-04-14")) & (t > first)
    events.loc[later, "timestamp"] = (t[later] + pd.Timedelta(days=7)).dt.strftime("%Y-%m-%d %H:%M")
    events.to_csv(folder / "events.csv", index=False)
    return folder


def need_browser():
    """Playwright's sync API and Debian's chromium; fail under CI if either is missing, else skip."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing: .ci/run must apt-get install chromium")
        pytest.skip("no /usr/bin/chromium on this machine")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is missing: it is in the test extra")
        pytest.skip("playwright is not installed")
    return sync_playwright


def launch_chromium(playwright):
    """Debian's Chromium, headless, started the way every browser test here starts it."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])


@pytest.fixture(scope="session")
def sample_study():
    from studylib import load_study
    return load_study(SAMPLE)


@pytest.fixture(scope="session")
def sample_results(sample_study):
    """The sample's results, computed once a session (read, never changed, by the tests)."""
    from studylib import compute_check
    return compute_check(sample_study)


#: The real data each example study reads from ../shared/data.
EXAMPLE_DATA = {"la311": "311/la_311_2017_subset.csv", "receipt": "eventlogs/receipt_wabo.csv",
                "boston": "311/boston_311_2025_open.csv"}


@pytest.fixture(scope="session")
def checked(tmp_path_factory):
    """The whole check of the sample or an example, run once a session by the one command a user
    types (``studylib check STUDY --out DIR -q``) and shared by the tests that read its reports,
    which never change them. ``checked("la311")`` -> (reports folder, exit code, the run's stages
    as a table: stage, notebook, status, seconds, report, error).

    Under pytest-xdist the workers share one run of each: the first to ask runs it under a lock in
    the session's common folder, and the others wait for it and read the same reports."""
    import fcntl
    import json
    import shutil

    import pandas as pd

    from studylib.cli import main
    # The session's own folder, or under xdist the folder all its workers share (never an
    # earlier session's: each session has a new one).
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    done = {}

    def check(name: str):
        if name not in done:
            if name != "sample":
                shared_file(EXAMPLE_DATA[name])     # the example's real data: fail under CI if it is missing
            study = SAMPLE if name == "sample" else ROOT / "examples" / name
            out, finished = root / f"checked-{name}", root / f"checked-{name}.rc"
            with open(root / f"checked-{name}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)     # released when the block ends, or the worker dies
                if not finished.exists():
                    shutil.rmtree(out, ignore_errors=True)      # a run a dead worker left half done
                    finished.write_text(str(main(["check", str(study), "--out", str(out), "-q"])), encoding="utf-8")
                rc = int(finished.read_text(encoding="utf-8"))
            manifest = json.loads((out / "run_manifest.json").read_text(encoding="utf-8"))
            done[name] = (out, rc, pd.DataFrame(manifest["stages"]))
        return done[name]
    return check


# -- a throwaway PostgreSQL server, for the shared capture store --------------------------------------

def _postgres_bin():
    import glob
    import shutil
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if found:
        return Path(found[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder: initdb, pg_ctl start, one database per test."""

    def __init__(self, bin_dir: Path, root: Path):
        import socket
        self.bin, self.root = bin_dir, root
        self.data = root / "db"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._as_postgres = os.geteuid() == 0          # initdb refuses to run as root
        if self._as_postgres:
            import shutil
            shutil.chown(root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        self.start()
        self._n = 0

    def _run(self, tool: str, *args: str):
        import subprocess
        cmd = [str(self.bin / tool), *args]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return subprocess.run(cmd, check=True, capture_output=True, text=True)

    def start(self):
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self, mode: str = "fast"):
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def require_password(self, user: str, password: str) -> None:
        """A login role whose connections over TCP must give its password (the others stay trusted)."""
        import psycopg
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"DROP ROLE IF EXISTS {user}")
            conn.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
        hba = self.data / "pg_hba.conf"
        line = f"host all {user} 127.0.0.1/32 scram-sha-256\n"
        if line not in hba.read_text():
            hba.write_text(line + hba.read_text())
        self._run("pg_ctl", "-D", str(self.data), "reload")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg
        self._n += 1
        name = f"capture_{os.getpid()}_{self._n}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the session. Missing binaries or psycopg: skip on a developer's
    machine, fail under CI (.ci/run installs both)."""
    import shutil
    import tempfile
    bin_dir = _postgres_bin()
    try:
        import psycopg  # noqa: F401
    except ImportError:
        bin_dir = None
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL (initdb) or psycopg is missing: .ci/run installs postgresql and the test extra")
        pytest.skip("no PostgreSQL binaries or no psycopg on this machine")
    root = Path(tempfile.mkdtemp(prefix="studylib-pg-"))
    server = PostgresServer(bin_dir, root)
    yield server
    try:
        server.stop("immediate")
    finally:
        shutil.rmtree(root, ignore_errors=True)
