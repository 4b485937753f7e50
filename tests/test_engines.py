"""DuckDB and Spark give the pandas results: on the six real logs, on the sample, and out of core."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from studylib import ParameterError, StudylibWarning
from studylib.measures.demand import classify_demand, weekly_demand
from studylib.read.eventlog import read_event_log
from studylib.measures.flow import case_times
from studylib.measures.paths import transitions, variants

from conftest import need_module, shared_file

ROOT_SAMPLE_EVENTS = Path(__file__).resolve().parents[1] / "data" / "sample" / "events.csv"
SIX_LOGS = ["receipt_wabo.csv", "bpic15_1.csv", "traffic_fines_10k.csv", "sepsis.csv", "hospital_billing.csv",
            "bpic14_incidents.csv"]


@pytest.fixture(scope="module")
def spark():
    need_module("pyspark")
    from pyspark.sql import SparkSession
    # The JIT's quick tier only, and one GC thread: a test run's short queries never repay the
    # optimising compiler, which took a third of the JVM's CPU here (the other test worker's core).
    session = (SparkSession.builder.master("local[2]").appName("studylib-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
               .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _same(ours: pd.DataFrame, theirs: pd.DataFrame):
    """Identical but for the last bits of a mean (a sum in another order)."""
    pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=1e-12, atol=0)
    assert ours.attrs == theirs.attrs


@pytest.mark.parametrize("name", SIX_LOGS)
def test_duckdb_gives_the_pandas_results_on_the_real_logs(name, tmp_path):
    need_module("duckdb")
    path = shared_file(f"eventlogs/{name}")
    events = read_event_log(path)
    times = case_times(events)
    # From the CSV where it lies, from Parquet, and from the DataFrame.
    parquet = tmp_path / "events.parquet"
    events.to_parquet(parquet)
    for source in (path, parquet, events):
        _same(case_times(source, engine="duckdb"), times)
    _same(transitions(path, engine="duckdb"), transitions(events))
    _same(variants(parquet, engine="duckdb", top=None), variants(events, top=None))
    _same(variants(events, times, engine="duckdb", top=None), variants(events, times, top=None))


@pytest.mark.slow
@pytest.mark.parametrize("name", SIX_LOGS)
def test_spark_gives_the_pandas_results_on_the_real_logs(name, spark, tmp_path):
    path = shared_file(f"eventlogs/{name}")
    events = read_event_log(path)
    times = case_times(events)
    frame = spark.createDataFrame(events.astype({"case_id": object, "activity": object}))
    _same(case_times(frame, engine="spark"), times)
    _same(case_times(path, engine="spark"), times)
    _same(transitions(frame, engine="spark"), transitions(events))
    _same(variants(path, engine="spark", top=None), variants(events, top=None))


@pytest.mark.slow
def test_ties_follow_the_order_column_in_every_engine(spark):
    """Shuffled rows with an order column: every engine puts tied events back in recorded order."""
    need_module("duckdb")
    events = read_event_log(shared_file("eventlogs/sepsis.csv"))
    logged = events.assign(order=np.arange(len(events)))
    shuffled = logged.sample(frac=1, random_state=3).reset_index(drop=True)
    expected = variants(events, top=None)
    assert expected.attrs["n_variants"] == 846
    for engine in ("duckdb", "spark"):
        source = shuffled if engine == "duckdb" else spark.createDataFrame(shuffled.astype({"case_id": object,
                                                                                             "activity": object}))
        _same(variants(source, engine=engine, top=None), expected)
        assert case_times(source, engine=engine).attrs["tie_order"] == "order column"


@pytest.mark.slow
def test_the_sample_with_its_codebook_services_and_hand_offs(sample_study, spark):
    need_module("duckdb")
    s = sample_study
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StudylibWarning)
        expected = case_times(s.events, codebook=s.flow_codebook, as_of="2025-04-01")
        assert expected.attrs["events_after_as_of"] > 0 and expected["handoffs"].sum() > 0
        events = s.events.drop(columns=["due", "row"])
        for engine, source in (("duckdb", events), ("spark", events)):
            _same(case_times(source, engine=engine, codebook=s.flow_codebook, as_of="2025-04-01"), expected)


@pytest.mark.slow
def test_weekly_demand_in_every_engine(sample_study, spark, tmp_path):
    need_module("duckdb")
    s = sample_study
    classified = classify_demand(s.demand, s.demand_codebook)[["received_at", "demand_type"]]
    parquet = tmp_path / "contacts.parquet"
    classified.to_parquet(parquet, coerce_timestamps="us")   # Spark reads microseconds, not nanoseconds
    for period in (None, (pd.Timestamp("2025-01-06", tz="Europe/London"), pd.Timestamp("2025-04-27", tz="Europe/London"))):
        expected = weekly_demand(classified, period=period)
        assert len(expected) > 50 and expected["contacts"].sum() > 1000
        for engine in ("duckdb", "spark"):
            _same(weekly_demand(parquet, engine=engine, period=period), expected)
            _same(weekly_demand(classified, engine=engine, period=period), expected)


@pytest.mark.slow
def test_duckdb_spills_to_disk_under_a_memory_limit(monkeypatch):
    """3,000,000 events under a 128 MB limit: the window functions spill instead of failing, and the
    spill files are seen on disk while it runs. (It needs about 50 MB more at 64 MB, and fails at
    48 MB on every run: 64 MB passed or failed by how the threads were scheduled.)"""
    from studylib.engines import queries

    need_module("duckdb")
    rng = np.random.default_rng(5)
    n_cases, per = 300_000, 10
    case = np.repeat(np.arange(n_cases), per)
    t = (rng.integers(0, 200 * 86400, n_cases)[case] + np.cumsum(rng.integers(0, 86400, n_cases * per).reshape(n_cases, per), axis=1).ravel())
    ids = np.array([f"case-{i:07d}" for i in range(n_cases)], dtype=object)     # each case's id, once
    events = pd.DataFrame({"case_id": pd.Series(ids[case], dtype="str"),
                           "activity": np.array([f"Step {i}" for i in range(12)], dtype=object)[rng.integers(0, 12, len(case))],
                           "timestamp": pd.to_datetime(t, unit="s", utc=True),
                           "resource": np.array(["A", "B", "C"], dtype=object)[rng.integers(0, 3, len(case))]})
    events = events.sample(frac=1, random_state=1).reset_index(drop=True)
    expected = case_times(events)
    # Watch the session's spill folder while DuckDB works: the largest its files grew.
    folders, largest, done = [], [0], threading.Event()
    opened = queries._DuckDB.__init__

    def init(self, *args, **kwargs):
        opened(self, *args, **kwargs)
        folders.append(self._spill.name)
    monkeypatch.setattr(queries._DuckDB, "__init__", init)

    def watch():
        while not done.wait(0.005):
            for folder in folders:
                with contextlib.suppress(OSError):
                    largest[0] = max(largest[0], sum(e.stat().st_size for e in os.scandir(folder)))
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        got = case_times(events, engine="duckdb", memory_limit="128MB")
    finally:
        done.set()
        watcher.join()
    _same(got, expected)
    assert largest[0] > 32 * 2**20, largest[0]        # it spilled (about 120 MB), rather than fitting


def test_engines_say_what_theyneed_module():
    with pytest.raises(ParameterError, match="engine must be one of"):
        case_times(pd.DataFrame(), engine="polars")
    with pytest.raises(ParameterError, match="does not exist"):
        case_times("/nonexistent/events.parquet", engine="duckdb")


def test_the_package_imports_and_runs_without_the_engines():
    """Neither DuckDB nor PySpark is needed to import studylib or run the pandas path."""
    code = """
import sys
import threading
import time
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('duckdb', 'pyspark', 'hyperscan'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
import pandas as pd
import studylib
from studylib.measures.flow import case_times
events = pd.DataFrame({'case_id': ['A', 'A'], 'activity': ['x', 'y'],
                       'timestamp': pd.to_datetime(['2025-01-01', '2025-01-02'], utc=True)})
assert case_times(events)['end_to_end_days'].tolist() == [1.0]
try:
    case_times(events, engine='duckdb')
except studylib.ParameterError as err:
    print(err)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "engine='duckdb' needs DuckDB: pip install 'studylib[duckdb]'" in out


@pytest.mark.slow
def test_a_stalled_spark_transfer_is_collected_again_without_arrow(spark):
    """PySpark's Arrow hand-shake once waited forever after its job had ended; the watch takes the plain path."""
    from studylib.engines import queries
    real = spark.createDataFrame(pd.DataFrame({"case_id": ["a", "b"], "days": [1.5, 2.0]}))
    never = threading.Event()

    class Stalls:   # the real frame, whose first Arrow transfer never answers
        columns = real.columns

        def toPandas(self):
            if spark.conf.get("spark.sql.execution.arrow.pyspark.enabled") == "true":
                never.wait(600)
            return real.toPandas()

    started = time.monotonic()
    out = queries._collect(Stalls(), spark, stall=1.0)
    assert time.monotonic() - started < 60
    assert out.to_dict("list") == {"case_id": ["a", "b"], "days": [1.5, 2.0]}
    assert spark.conf.get("spark.sql.execution.arrow.pyspark.enabled") == "true"   # put back
    never.set()


# -- an engine's failure is said in words, and it refuses what the pandas path refuses --------------

def _no_engine_words(message: str) -> None:
    for raw in ("CREATE VIEW", "SELECT", "Exception", "Traceback", "java.", "LINE 1"):
        assert raw not in message, message


def test_duckdb_failures_are_said_in_words(tmp_path, sample_study):
    need_module("duckdb")
    empty = tmp_path / "events.parquet"
    empty.write_bytes(b"")
    for source, kwargs, says in [
        (empty, {}, "events.parquet is empty (0 bytes): export it again"),
        (ROOT_SAMPLE_EVENTS, {"memory_limit": "lots"}, "memory_limit='lots' is not an amount of memory"),
        (ROOT_SAMPLE_EVENTS, {"memory_limit": "1MB"}, "duckdb ran out of the memory it may use (memory_limit='1MB')"),
    ]:
        with pytest.raises(ParameterError) as raised:
            case_times(source, engine="duckdb", **kwargs)
        assert says in str(raised.value)
        _no_engine_words(str(raised.value))


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("spark", marks=pytest.mark.slow)])
def test_text_timestamps_are_refused_by_every_engine_as_the_pandas_path_refuses_them(engine, tmp_path, request):
    need_module("duckdb" if engine == "duckdb" else "pyspark")
    if engine == "spark":
        request.getfixturevalue("spark")
    events = pd.read_csv(ROOT_SAMPLE_EVENTS).head(200)
    events["timestamp"] = pd.to_datetime(events["timestamp"]).dt.strftime("%d/%m/%Y %H:%M")
    path = tmp_path / "dayfirst.csv"
    events.to_csv(path, index=False)
    with pytest.raises(ParameterError, match="column 'timestamp' are text, not dates \\(e.g. '06/01/2025 13:43'\\)"):
        case_times(path, engine=engine)
    with pytest.raises(ParameterError, match="are text, not dates"):
        case_times(events, engine=engine, as_of=pd.Timestamp("2025-03-01", tz="Europe/London"))


def _check_figures(results):
    """What a check's reports are made of, per stage: the flow tables, weekly demand, and every word."""
    return {"times": results.flow["times"], "figures": results.flow["figures"], "weekly": results.demand["weekly"],
            "prose": results.prose, "verdicts": results.demand["verdicts"]}


def _same_check(ours, theirs):
    for key in ("times", "figures", "weekly", "verdicts"):
        _same(ours[key], theirs[key])
    assert ours["prose"] == theirs["prose"]


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("spark", marks=pytest.mark.slow)])
def test_the_check_computes_on_the_engine_its_settings_name(engine, sample_results, request, tmp_path):
    """The engine was a keyword of case_times and weekly_demand only: studylib check always computed in
    pandas. It is a setting now (check: {engine: duckdb} in study.yml, -p engine spark), and the sample's
    check gives the same tables and the same words on each engine."""
    import shutil

    import yaml

    from studylib import compute_check, load_study
    from studylib.check.results import resolve_settings
    if engine == "spark":
        request.getfixturevalue("spark")          # the module's local Spark session, active
    study = tmp_path / "study"
    shutil.copytree(ROOT_SAMPLE_EVENTS.parent, study)
    config = yaml.safe_load((study / "study.yml").read_text())
    config.setdefault("check", {})["engine"] = engine
    (study / "study.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    loaded = load_study(study)
    settings = resolve_settings(loaded.config)
    assert settings["engine"] == engine
    _same_check(_check_figures(compute_check(loaded, settings)), _check_figures(sample_results))
    with pytest.raises(ParameterError, match="'postgres' is not one of pandas, duckdb, spark"):
        resolve_settings(loaded.config, {"engine": "postgres"})
