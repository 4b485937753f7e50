"""Flow and demand figures computed in DuckDB or Spark, for logs too big for pandas on one machine.

studylib does not carry an engine of its own: the per-event work of :func:`~studylib.measures.flow.case_times`,
:func:`~studylib.measures.paths.transitions`, :func:`~studylib.measures.paths.variants` and
:func:`~studylib.measures.demand.weekly_demand` is written once, as SQL with window functions, and runs on

- **DuckDB** (``engine="duckdb"``; ``pip install 'studylib[duckdb]'``): embedded, reads Parquet and
  CSV where they lie, and with a ``memory_limit`` spills to disk instead of failing;
- **Spark** (``engine="spark"``; ``pip install 'studylib[spark]'``): the active Spark session, a
  laptop's ``local[*]`` or a cluster, on a Spark DataFrame or a path.

Only the per-case or per-edge figures come back to pandas, where the same code as the pandas path
turns them into the same table. Events of a case that share a timestamp are ordered by the
``order`` column when there is one, then by their place in the log (the row of a DataFrame or a
Parquet file, the line of a CSV, ``monotonically_increasing_id`` in Spark): an engine's sort is not
stable unless told. Times are kept to the microsecond, the resolution both engines store.
"""
from __future__ import annotations

import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ParameterError

__all__ = ["ENGINES", "check_engine", "read_events", "case_aggregates", "transition_edges", "variant_paths", "weekly_counts"]

ENGINES = ("pandas", "duckdb", "spark")
_MEMORY = re.compile(r"(?i)\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib|%)")
_NEVER = np.iinfo(np.int64).max
_ORDER = "t, ord, pos"


class _Engine:
    """One SQL dialect: where the events live, and how to run a query into pandas."""

    name = ""
    text = "VARCHAR"          # the SQL type of text

    def epoch(self, expr: str) -> str:
        """Microseconds since 1970 of a timestamp column (a naive one read as a UTC wall time)."""
        raise NotImplementedError

    def sql(self, text: str) -> pd.DataFrame:
        raise NotImplementedError

    def execute(self, text: str) -> None:
        raise NotImplementedError

    def quote(self, column: str) -> str:
        return '"' + column.replace('"', '""') + '"'

    def stage(self, name: str, query: str, *, view: bool = False) -> None:
        """A named intermediate result: a table DuckDB fills (spilling if it must), a view in Spark."""
        raise NotImplementedError

    def literal(self, text: str) -> str:
        return "'" + text.replace("'", "''") + "'"


class _DuckDB(_Engine):
    name = "duckdb"

    def epoch(self, expr: str) -> str:
        return f"epoch_us(CAST({expr} AS TIMESTAMPTZ))"      # any unit; the session's zone is UTC

    def __init__(self, memory_limit: str | None = None):
        try:
            import duckdb
        except ImportError as err:
            raise ParameterError("engine='duckdb' needs DuckDB: pip install 'studylib[duckdb]'") from err
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self._spill = tempfile.TemporaryDirectory(prefix="studylib-duckdb-")
        self.con.execute(f"SET temp_directory = {self.literal(self._spill.name)}")
        if memory_limit:
            if not _MEMORY.fullmatch(str(memory_limit).strip()):
                raise ParameterError(f"memory_limit={memory_limit!r} is not an amount of memory: write it like '2GB', "
                                     "'512MB' or '80%'")
            self.con.execute(f"SET memory_limit = {self.literal(str(memory_limit))}")
            self.con.execute("SET preserve_insertion_order = false")

    def sql(self, text: str) -> pd.DataFrame:
        # Streamed out in Arrow batches: a result held inside DuckDB would count against its
        # memory limit (ten million cases are a gigabyte).
        return self.con.sql(text).to_arrow_reader(1_000_000).read_all().to_pandas()

    def execute(self, text: str) -> None:
        self.con.execute(text)

    def stage(self, name: str, query: str, *, view: bool = False) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP {'VIEW' if view else 'TABLE'} {name} AS {query}")

    def source_columns(self) -> set[str]:
        return {d[0] for d in self.con.execute("SELECT * FROM src LIMIT 0").description}

    def text_example(self, column: str):
        """A value of ``column`` when it holds text rather than timestamps, else None."""
        kind = self.con.execute(f"SELECT typeof({self.quote(column)}), {self.quote(column)} FROM src "
                                f"WHERE {self.quote(column)} IS NOT NULL LIMIT 1").fetchall()
        return kind[0][1] if kind and kind[0][0] == "VARCHAR" else None

    def naive(self, column: str) -> bool:
        kind = self.con.execute(f"SELECT typeof({self.quote(column)}) FROM src LIMIT 1").fetchall()
        return bool(kind) and kind[0][0] in ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S")

    def events(self, source, columns: dict[str, str]) -> str | None:
        """Make the view ``src`` of the raw events; the zone of their timestamps, where known."""
        if isinstance(source, pd.DataFrame):
            frame = source.assign(_pos=np.arange(len(source), dtype=np.int64))
            self.con.register("src_frame", frame)
            self.con.execute("CREATE VIEW src AS SELECT * FROM src_frame")
            return _frame_zone(source, columns["timestamp"])
        path = _existing(source)
        name = path.name.lower()
        if name.endswith(".parquet") or path.is_dir():
            target = f"{path.as_posix()}/**/*.parquet" if path.is_dir() else path.as_posix()
            self.con.execute(f"CREATE VIEW src AS SELECT *, file_row_number AS _pos FROM "
                             f"read_parquet({self.literal(target)}, file_row_number = true)")
            return _parquet_zone(path, columns["timestamp"])
        if name.endswith((".csv", ".csv.gz", ".tsv")):
            source = self.literal(path.as_posix())
            header = {d[0] for d in self.con.execute(f"SELECT * FROM read_csv({source}, header = true) LIMIT 0").description}
            # Ids and names stay text (an id "0123" is not the number 123); times are detected.
            text_types = ", ".join(f"{self.literal(source)}: 'VARCHAR'" for name, source in columns.items()
                                   if name not in ("timestamp", "order") and source in header)
            # A table keeps the file's line order in rowid; a CSV scan has no row number of its own.
            self.con.execute(f"CREATE TEMP TABLE src_table AS SELECT * FROM read_csv({source}, "
                             f"header = true, types = {{{text_types}}})")
            self.con.execute("CREATE VIEW src AS SELECT *, rowid AS _pos FROM src_table")
            return None if self.naive(columns["timestamp"]) else "UTC"
        raise ParameterError(f"engine='duckdb' reads Parquet and CSV files; {path.name} is neither")

    def close(self):
        self.con.close()
        self._spill.cleanup()


class _Spark(_Engine):
    name = "spark"
    text = "STRING"

    def epoch(self, expr: str) -> str:
        return f"unix_micros({expr})"

    def __init__(self, source):
        try:
            from pyspark.sql import SparkSession
        except ImportError as err:
            raise ParameterError("engine='spark' needs PySpark: pip install 'studylib[spark]'") from err
        session = getattr(source, "sparkSession", None) or SparkSession.getActiveSession()
        if session is None:
            session = (SparkSession.builder.master("local[*]").appName("studylib")
                       .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
        self.spark = session
        self.views: list[str] = []

    def literal(self, text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def sql(self, text: str) -> pd.DataFrame:
        return _collect(self.spark.sql(text), self.spark)

    def execute(self, text: str) -> None:
        self.spark.sql(text)

    def stage(self, name: str, query: str, *, view: bool = False) -> None:
        self.spark.sql(f"CREATE OR REPLACE TEMP VIEW {name} AS {query}")   # Spark plans the whole
        self.views.append(name)

    def quote(self, column: str) -> str:
        return "`" + column.replace("`", "``") + "`"

    def source_columns(self) -> set[str]:
        return set(self.spark.table("src").columns)

    def text_example(self, column: str):
        """A value of ``column`` when it holds text rather than timestamps, else None."""
        if dict(self.spark.table("src").dtypes).get(column) != "string":
            return None
        row = self.spark.sql(f"SELECT {self.quote(column)} AS v FROM src WHERE {self.quote(column)} IS NOT NULL "
                             "LIMIT 1").collect()
        return row[0]["v"] if row else ""

    def naive(self, column: str) -> bool:
        return False          # frames are handed over in UTC; files are read as instants

    def events(self, source, columns: dict[str, str]) -> str | None:
        from pyspark.sql import functions as F
        zone = None
        if isinstance(source, pd.DataFrame):
            zone = _frame_zone(source, columns["timestamp"])
            frame = source.assign(**{c: source[c].astype(object).where(source[c].notna(), None)
                                     for c in source.columns if isinstance(source[c].dtype, pd.CategoricalDtype)
                                     or pd.api.types.is_string_dtype(source[c].dtype)})
            frame[columns["timestamp"]] = _utc(source[columns["timestamp"]])
            source = self.spark.createDataFrame(frame)
        elif hasattr(source, "sparkSession"):
            zone = "UTC"            # Spark's timestamps are instants; the table shows them in UTC
        else:
            path = _existing(source)
            if path.name.lower().endswith(".parquet") or path.is_dir():
                source = self.spark.read.parquet(path.as_posix())
                zone = _parquet_zone(path, columns["timestamp"]) or "UTC"
            else:
                source = self.spark.read.option("header", True).csv(path.as_posix())
                ts = columns["timestamp"]
                if ts in source.columns:
                    # Text that is no ISO time is refused, as the pandas path refuses it, before any
                    # conversion could fail in Java (or quietly give nulls).
                    bad = source.where(F.col(ts).isNotNull() & F.try_to_timestamp(F.col(ts)).isNull()).limit(1).collect()
                    if bad:
                        raise _text_timestamps(ts, bad[0][ts])
                    source = source.withColumn(ts, F.to_timestamp(ts))
                zone = "UTC"
        # Increasing with the partition and the row within it: the log's own order for one file.
        source.withColumn("_pos", F.monotonically_increasing_id()).createOrReplaceTempView("src")
        self.views.append("src")
        return zone

    def close(self):
        for view in self.views:
            self.spark.catalog.dropTempView(view)


#: Seconds a Spark collection may sit with no job running before it is taken as stalled.
SPARK_STALL_SECONDS = 30.0


def _collect(frame, spark, *, stall: float | None = None) -> pd.DataFrame:
    """``frame.toPandas()`` through Arrow, watched: a stalled transfer is collected again without Arrow.

    PySpark's Arrow transfer can, rarely, wait forever for the JVM's answer after the job has ended
    (seen once in seven runs: no task running, neither process busy). The transfer runs in a
    thread; while a Spark job runs it may take as long as it needs, but once no job has run for
    ``stall`` seconds and no result has come, the rows are collected again through the plain
    row-by-row path, which does not use that hand-shake.
    """
    import threading
    import time
    stall = SPARK_STALL_SECONDS if stall is None else stall
    out: dict = {}

    def run():
        try:
            out["frame"] = frame.toPandas()
        except BaseException as exc:   # handed to the caller below
            out["error"] = exc

    worker = threading.Thread(target=run, name="studylib-spark-collect", daemon=True)
    worker.start()
    idle_since = time.monotonic()
    tracker = spark.sparkContext.statusTracker()
    while worker.is_alive():
        worker.join(0.5)
        if tracker.getActiveJobsIds():
            idle_since = time.monotonic()
        elif worker.is_alive() and time.monotonic() - idle_since > stall:
            return _without_arrow(frame, spark)
    if "error" in out:
        raise out["error"]
    return out["frame"]


def _without_arrow(frame, spark) -> pd.DataFrame:
    key = "spark.sql.execution.arrow.pyspark.enabled"
    before = spark.conf.get(key, "false")
    spark.conf.set(key, "false")
    try:
        return frame.toPandas()
    finally:
        spark.conf.set(key, before)


def _existing(source) -> Path:
    path = Path(source)
    if not path.exists():
        raise ParameterError(f"{path.name} does not exist")
    if path.is_file() and path.stat().st_size == 0:
        raise ParameterError(f"{path.name} is empty (0 bytes): export it again")
    return path


def _text_timestamps(column: str, example) -> ParameterError:
    """What every path says of timestamps that are text: the pandas path refuses them too."""
    return ParameterError(f"the timestamps in column '{column}' are text, not dates (e.g. {str(example)!r}): read the "
                          "log with load_study or read_event_log, which take timestamp_formats (e.g. "
                          "'%d/%m/%Y %H:%M'), or write them as 2025-01-13 10:00")


def _in_words(engine: str, exc: Exception, memory_limit) -> ParameterError:
    """An engine's own failure, said without its SQL or its Java: what happened and what to do."""
    kind = type(exc).__name__
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), kind)
    first = first.split(" LINE ")[0].split("\n")[0][:200]
    if "OutOfMemory" in kind or "out of memory" in first.lower():
        # The engine's own line says how far over it was: "could not allocate ... (45.5 MiB/45.7 MiB used)".
        return ParameterError(f"{engine} ran out of the memory it may use (memory_limit={memory_limit!r}), even "
                              f"spilling to disk ({first}): give it more, e.g. memory_limit='2GB'")
    if "Conversion" in kind or "DateTime" in kind or "CAST_INVALID_INPUT" in first:
        return ParameterError(f"{engine} could not read a value as its type ({first}): timestamps must be dates, "
                              "or text in ISO 8601 (2025-01-13 10:00)")
    if "IO" in kind or "Parquet" in first or "parquet" in first:
        return ParameterError(f"{engine} could not read the file ({first}): export it again")
    return ParameterError(f"{engine} could not compute this ({kind}: {first})")


def _utc(ts: pd.Series) -> pd.Series:
    """Instants in UTC; naive times are taken as UTC wall times, as the pandas path does."""
    return ts.dt.tz_convert("UTC") if ts.dt.tz is not None else ts.dt.tz_localize("UTC")


def _frame_zone(frame: pd.DataFrame, column: str):
    if column not in frame.columns:
        return None
    return getattr(frame[column].dtype, "tz", None)


def _parquet_zone(path: Path, column: str):
    import pyarrow.parquet as pq
    files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    if not files:
        raise ParameterError(f"{path} holds no Parquet file")
    field = pq.read_schema(files[0]).field(column) if column in pq.read_schema(files[0]).names else None
    return getattr(field.type, "tz", None) if field is not None else None


def read_events(source) -> pd.DataFrame:
    """A DataFrame as it is; a Parquet file, or a CSV or XES log (:func:`read_event_log`), read into pandas."""
    if isinstance(source, pd.DataFrame):
        return source
    if hasattr(source, "sparkSession"):
        raise ParameterError("a Spark DataFrame needs engine='spark'")
    path = _existing(source)
    if path.name.lower().endswith(".parquet") or path.is_dir():
        return pd.read_parquet(path)
    from ..read.eventlog import read_event_log
    return read_event_log(path)


def check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ParameterError(f"engine must be one of {ENGINES}, not {engine!r}")


@contextmanager
def _session(engine: str, source, memory_limit: str | None, columns: dict[str, str], needed: tuple[str, ...]):
    """The engine with the raw rows as the view ``src``, their timestamps' zone and their columns;
    closed (its temporary views and spill files gone) when the block ends."""
    check_engine(engine)
    if engine == "pandas":
        raise ParameterError("engine='pandas' computes in pandas, not in SQL")
    if isinstance(source, pd.DataFrame) and columns["timestamp"] in source \
            and not pd.api.types.is_datetime64_any_dtype(source[columns["timestamp"]]):
        values = source[columns["timestamp"]].dropna()
        raise _text_timestamps(columns["timestamp"], values.iloc[0] if len(values) else "")
    db = _DuckDB(memory_limit) if engine == "duckdb" else _Spark(source)
    try:
        zone = db.events(source, columns)
        have = db.source_columns()
        missing = [columns[c] for c in needed if columns[c] not in have]
        if missing:
            raise ParameterError(f"the rows need the columns {[columns[c] for c in needed]}; missing {missing} "
                                 f"(columns: {sorted(have - {'_pos'})})")
        example = db.text_example(columns["timestamp"])
        if example is not None:
            raise _text_timestamps(columns["timestamp"], example)
        yield db, zone, have
    except ParameterError:
        raise
    except Exception as exc:          # the engine's own error, with its SQL or its Java: said in words
        if type(exc).__module__.lstrip("_").split(".")[0] in ("duckdb", "pyspark", "py4j", "pyarrow"):
            raise _in_words(engine, exc, memory_limit) from None
        raise
    finally:
        db.close()


@contextmanager
def _event_log(engine: str, events, memory_limit: str | None, columns: dict | None):
    """A session whose view ``ev`` holds the events: case_id, activity, t, resource, service, ord, pos."""
    columns = _columns(columns)
    with _session(engine, events, memory_limit, columns, ("case_id", "activity", "timestamp")) as (db, zone, have):
        _event_view(db, have, columns)
        yield db, zone, columns["order"] in have


def _event_view(db: _Engine, have: set, columns: dict[str, str]) -> None:
    """The view ``ev``: case_id, activity, t (epoch microseconds), resource, service, ord, pos."""
    def col(name: str) -> str:
        source = columns.get(name, name)
        return f"CAST({db.quote(source)} AS {db.text})" if source in have else f"CAST(NULL AS {db.text})"

    order = columns["order"]
    ord_expr = f"CAST({db.quote(order)} AS DOUBLE)" if order in have else "CAST(0 AS DOUBLE)"
    db.execute(f"""CREATE OR REPLACE TEMP VIEW ev AS
        SELECT {col('case_id')} AS case_id, {col('activity')} AS activity,
               {db.epoch(db.quote(columns['timestamp']))} AS t, {col('resource')} AS resource,
               {col('service')} AS service, {ord_expr} AS ord, _pos AS pos
        FROM src""")
    if db.name == "spark":
        db.views.append("ev")


def _columns(columns: dict | None) -> dict[str, str]:
    out = {c: c for c in ("case_id", "activity", "timestamp", "resource", "service", "order")}
    out.update(columns or {})
    return out


def case_aggregates(events, *, engine: str, codebook=None, as_of=None, memory_limit: str | None = None,
                    columns: dict | None = None) -> tuple[dict, dict]:
    """Per-case figures (:data:`studylib.measures.flow.CASE_AGGREGATES`) and facts of the log, from SQL."""
    from ..read.codebooks import activity_flags
    from ..read.ordering import epoch_ns
    with _event_log(engine, events, memory_limit, columns) as (db, zone, by_column):
        # One pass over the events for the facts of the whole log (each pass reads a file again).
        given_us = epoch_ns(as_of, zone) // 1000 if as_of is not None else None
        after = f"SUM(CASE WHEN t > {given_us} THEN 1 ELSE 0 END)" if given_us is not None else "0"
        facts = db.sql(f"SELECT SUM(CASE WHEN case_id IS NULL OR activity IS NULL OR t IS NULL THEN 1 ELSE 0 END) "
                       f"AS nulls, MAX(t) AS latest, {after} AS after FROM ev").iloc[0]
        if not pd.isna(facts["nulls"]) and facts["nulls"]:
            raise ParameterError(f"{int(facts['nulls'])} events have no case_id, activity or timestamp")
        as_of_us = given_us if given_us is not None else 0 if pd.isna(facts["latest"]) else int(facts["latest"])
        n_after = 0 if pd.isna(facts["after"]) else int(facts["after"])
        db.stage("k", f"SELECT * FROM ev WHERE t <= {as_of_us}", view=True)     # the log as it stood at as_of
        flag_cols, unknown = "", []
        if codebook is not None:
            names = pd.Index(sorted(db.sql("SELECT DISTINCT activity FROM k")["activity"]))
            flags = activity_flags(names, codebook)
            unknown = [str(a) for a, k in zip(names, flags["known"]) if not k]
            pick = {key: [a for a, hit in zip(names, flags[key]) if hit]
                    for key in ("official_start", "solved", "official_end", "value", "waste", "dirty")}

            def among(key):
                return f"activity IN ({', '.join(db.literal(a) for a in pick[key])})" if pick[key] else "FALSE"

            flag_cols = "".join([
                f", MIN(CASE WHEN {among('official_start')} THEN t END) AS official_start_at",
                f", MIN(CASE WHEN {among('solved')} THEN t END) AS solved_at",
                f", MIN(CASE WHEN {among('official_end')} THEN t END) AS official_end_at",
                f", SUM(CASE WHEN {among('value')} THEN 1 ELSE 0 END) AS value_steps",
                f", SUM(CASE WHEN {among('waste')} THEN 1 ELSE 0 END) AS waste_steps",
                f", SUM(CASE WHEN {among('dirty')} THEN 1 ELSE 0 END) AS dirty"])
        # One per-case table at a time: DuckDB holds (or spills) one query's state, not four.
        db.stage("agg", f"SELECT case_id, MIN(t) AS first, MAX(t) AS last, COUNT(*) AS n_events {flag_cols} "
                        "FROM k GROUP BY case_id")
        # Repeats of an activity in two steps: a distinct count cannot spill to disk.
        db.stage("repeats", "SELECT case_id, SUM(n - 1) AS rework FROM "
                            "(SELECT case_id, COUNT(*) AS n FROM k GROUP BY case_id, activity) a GROUP BY case_id")
        db.stage("hand", f"""SELECT case_id, SUM(CASE WHEN prev IS NOT NULL AND prev <> resource THEN 1 ELSE 0 END) AS handoffs
                     FROM (SELECT case_id, resource, LAG(resource) OVER (PARTITION BY case_id ORDER BY {_ORDER}) AS prev
                           FROM k WHERE resource IS NOT NULL) x GROUP BY case_id""")
        db.stage("svc", f"""SELECT case_id, service FROM
                     (SELECT case_id, service, ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY {_ORDER}) AS rn
                      FROM k WHERE service IS NOT NULL) y WHERE rn = 1""")
        # Ties per case: a filled DuckDB table summed now, a Spark view (a plan) in the case table's query.
        db.stage("ties", "SELECT case_id, SUM(n) AS tied FROM (SELECT case_id, COUNT(*) AS n FROM k "
                         "GROUP BY case_id, t HAVING COUNT(*) > 1) z GROUP BY case_id")
        lazy = db.name == "spark"
        table = db.sql(f"""SELECT agg.*, repeats.rework, COALESCE(hand.handoffs, 0) AS handoffs, svc.service
                   {', COALESCE(ties.tied, 0) AS tied' if lazy else ''}
            FROM agg JOIN repeats ON agg.case_id = repeats.case_id
                 LEFT JOIN hand ON agg.case_id = hand.case_id LEFT JOIN svc ON agg.case_id = svc.case_id
                 {'LEFT JOIN ties ON agg.case_id = ties.case_id' if lazy else ''}""")
        tied = table.pop("tied").sum() if lazy else db.sql("SELECT SUM(tied) AS tied FROM ties")["tied"].fillna(0).sum()
    table = table.sort_values("case_id", kind="stable", ignore_index=True)
    raw = {"case_id": table["case_id"].astype(object).to_numpy()}
    for name in ("first", "last", "official_start_at", "solved_at", "official_end_at"):
        if name in table:
            micros = table[name].astype("Int64")
            raw[name] = np.where(micros.isna().to_numpy(), _NEVER, micros.to_numpy(dtype=np.int64, na_value=0) * 1000)
    for name in ("n_events", "rework", "handoffs", "value_steps", "waste_steps", "dirty"):
        if name in table:
            raw[name] = table[name].fillna(0).to_numpy(dtype=np.int64)
    raw["service"] = table["service"].astype(object).where(table["service"].notna(), None).to_numpy()
    facts = {"as_of_ns": int(as_of_us) * 1000, "tz": zone, "events_after_as_of": n_after,
             "tied_events": int(tied or 0),
             "tie_order": "order column" if by_column else "recorded order",
             "unknown_activities": unknown}
    return raw, facts


def transition_edges(events, *, engine: str, memory_limit: str | None = None, columns: dict | None = None) -> pd.DataFrame:
    """:func:`studylib.measures.paths.transitions`' rows, unsorted, from SQL."""
    with _event_log(engine, events, memory_limit, columns) as (db, _, _):
        return db.sql(f"""
            WITH o AS (SELECT case_id, activity, t,
                              LEAD(activity) OVER w AS nxt, LEAD(t) OVER w AS nxt_t,
                              ROW_NUMBER() OVER w AS rn, COUNT(*) OVER (PARTITION BY case_id) AS n
                       FROM ev WINDOW w AS (PARTITION BY case_id ORDER BY {_ORDER})),
            edges AS (SELECT case_id, '(start)' AS from_activity, activity AS to_activity, CAST(0 AS DOUBLE) AS wait_days FROM o WHERE rn = 1
                      UNION ALL
                      SELECT case_id, activity, nxt, CAST(nxt_t - t AS DOUBLE) / 86400000000.0 FROM o WHERE nxt IS NOT NULL
                      UNION ALL
                      SELECT case_id, activity, '(end)', CAST(0 AS DOUBLE) FROM o WHERE rn = n)
            SELECT from_activity, to_activity, COUNT(DISTINCT case_id) AS cases, COUNT(*) AS count,
                   MEDIAN(wait_days) AS median_wait_days, AVG(wait_days) AS mean_wait_days
            FROM edges GROUP BY from_activity, to_activity""")


def variant_paths(events, *, engine: str, separator: str, per_case: bool, memory_limit: str | None = None,
                  columns: dict | None = None) -> pd.DataFrame:
    """Each case's path (``case_id, variant, n_steps``), or each path's ``cases`` when not ``per_case``."""
    with _event_log(engine, events, memory_limit, columns) as (db, _, _):
        sep = db.literal(separator)
        path = (f"STRING_AGG(activity, {sep} ORDER BY {_ORDER})" if db.name == "duckdb" else
                f"CONCAT_WS({sep}, TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(t, ord, pos, activity))), x -> x.activity))")
        cases = f"SELECT case_id, {path} AS variant, COUNT(*) AS n_steps FROM ev GROUP BY case_id"
        if per_case:
            return db.sql(cases)
        return db.sql(f"SELECT variant, MIN(n_steps) AS n_steps, COUNT(*) AS cases FROM ({cases}) c GROUP BY variant")


def weekly_counts(contacts, *, engine: str, timezone: str | None = None, memory_limit: str | None = None,
                  columns: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Contacts per (Monday) week and demand type, and per week of any kind, from SQL.

    Weeks run on the local calendar: ``timezone`` (default: the zone the timestamps carry, else
    UTC) turns each instant into its local date first.
    """
    columns = {"timestamp": (columns or {}).get("received_at", "received_at"),
               "demand_type": (columns or {}).get("demand_type", "demand_type")}
    with _session(engine, contacts, memory_limit, columns, ("timestamp", "demand_type")) as (db, zone, _):
        ts = db.quote(columns["timestamp"])
        if db.naive(columns["timestamp"]):
            local = db.epoch(ts)                 # already the local wall time
        else:
            zone = db.literal(str(timezone or zone or "UTC"))
            local = (f"unix_micros(from_utc_timestamp({ts}, {zone}))" if db.name == "spark"
                     else f"epoch_us(timezone({zone}, CAST({ts} AS TIMESTAMPTZ)))")
        day = f"CAST(FLOOR(CAST({local} AS DOUBLE) / 86400000000.0) AS BIGINT)"
        # 1 January 1970 was a Thursday: day d's Monday is d - ((d + 3) mod 7).
        monday = f"({day} - ((({day} + 3) % 7) + 7) % 7)"
        typed = f"CAST({db.quote(columns['demand_type'])} AS {db.text})"
        by_type = db.sql(f"SELECT {monday} AS week_day, {typed} AS demand_type, COUNT(*) AS contacts FROM src "
                         f"WHERE {ts} IS NOT NULL AND {typed} IS NOT NULL GROUP BY 1, 2")
        every = db.sql(f"SELECT {monday} AS week_day, COUNT(*) AS contacts FROM src WHERE {ts} IS NOT NULL GROUP BY 1")
        span = db.sql(f"SELECT MIN({local}) AS first, MAX({local}) AS last FROM src WHERE {ts} IS NOT NULL AND {typed} IS NOT NULL")
    for table in (by_type, every):
        days = table.pop("week_day").to_numpy(dtype=np.int64)
        table.insert(0, "week", pd.DatetimeIndex(days.astype("datetime64[D]").astype("datetime64[ns]")))
        table["contacts"] = table["contacts"].astype(np.int64)
    by_type.attrs.update({k: pd.NaT if pd.isna(span.loc[0, k]) else pd.Timestamp(int(span.loc[0, k]), unit="us").as_unit("ns")
                          for k in ("first", "last")})
    return by_type, every
