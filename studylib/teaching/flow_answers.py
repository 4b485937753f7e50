"""The answers to the flow and system conditions exercises (the later stages, which read cases
and the conditions behind them), computed from a study's results, as :mod:`.answers` does for
the earlier ones: the answer, why it is right, and the slips a learner makes.
"""
from __future__ import annotations

import pandas as pd

from .answers import labelled

WEEK = 7.0


# -- flow ---------------------------------------------------------------------------------------

def flow_figures(results, current: bool):
    if not results.flow:
        return None
    f = results.flow["figures"]
    rows = f[f["current"]] if current else f[f["era"] == f["era"].min()]
    return rows if len(rows) else None


def weighted_mean(rows: pd.DataFrame | None, column: str, weight: str) -> float | None:
    """The mean of ``column`` over the rows that have it, each weighted by ``weight`` (None: none)."""
    if rows is None:
        return None
    rows = rows.dropna(subset=[column])
    total = rows[weight].sum()
    return None if rows.empty or total == 0 or pd.isna(total) else float((rows[column] * rows[weight]).sum() / total)


def clean_share(results):
    return weighted_mean(flow_figures(results, True), "clean_share", "cases")


def clean_share_why(results):
    rows = flow_figures(results, True).dropna(subset=["clean_share"])
    clean = int(round((rows["clean_share"] * rows["cases"]).sum()))
    return f"{clean:,} of the {int(rows['cases'].sum()):,} cases of the system as it is now arrived clean: no step the flow codebook calls dirty (a case can arrive clean and still wait, or be inspected: that is waste, counted apart)."


def top_waste(results):
    rows = flow_figures(results, False)
    if rows is None or rows["top_waste"].isna().all():
        return None
    return str(rows.sort_values("top_waste_share", ascending=False)["top_waste"].iloc[0])


def top_waste_why(results):
    row = flow_figures(results, False).sort_values("top_waste_share", ascending=False).iloc[0]
    return f"{row['top_waste']} took {row['top_waste_share']:.0%} of case time in {row['service']}, {row['system']}."


def hidden(results):
    return weighted_mean(flow_figures(results, False), "hidden_mean", "finished")


def hidden_why(results):
    rows = flow_figures(results, False).dropna(subset=["hidden_mean"])
    customer = weighted_mean(rows, "end_to_end_mean", "finished")
    official = weighted_mean(rows, "official_mean", "finished")
    return (f"customers waited {customer:.1f} days on average from first contact; the organisation's clock counted "
            f"{official:.1f}. The difference is a wait nobody in the organisation sees.")


def _finished_earliest(results):
    """The finished cases of the earliest system in the data, with both clocks."""
    if not results.flow:
        return None
    t = results.flow["times"]
    t = t[(t["era"] == t["era"].min()) & ~t["is_open"].astype(bool)].dropna(subset=["end_to_end_days", "hidden_days"])
    return t if len(t) and t["end_to_end_days"].sum() > 0 else None


def hidden_share(results):
    t = _finished_earliest(results)
    return None if t is None else float(t["hidden_days"].sum() / t["end_to_end_days"].sum())


def hidden_share_why(results):
    t = _finished_earliest(results)
    return (f"the {len(t):,} finished cases of the earliest system waited {t['end_to_end_days'].sum():,.0f} days in "
            f"all on the customer's clock, and {t['hidden_days'].sum():,.0f} of them before the organisation's clock "
            "started or after it stopped.")


def hidden_share_slips(results):
    t = _finished_earliest(results)
    ratio = (t["hidden_days"] / t["end_to_end_days"]).replace([float("inf")], float("nan"))
    slips = [(float(ratio.mean()), "you took the mean of each case's share: add up the days first, then divide "
                                   "(a long case holds more of the wait)")]
    if t["official_days"].notna().any():
        slips.append((float(t["hidden_days"].sum() / t["official_days"].sum()),
                      "you divided by the organisation's days: divide by the customer's (end_to_end_days)"))
    return slips


def _finished_now(results, *, every_system=False, with_open=False):
    if not results.flow:
        return None
    times = results.flow["times"]
    if not every_system:
        now = flow_figures(results, True)
        if now is None:
            return None
        keys = set(zip(now["service"], now["era"]))
        times = times[[k in keys for k in zip(times["service"], times["era"])]]
    return times if with_open else times[~times["is_open"].astype(bool)]


def over_a_week(results):
    t = _finished_now(results)
    return None if t is None or t.empty else int((t["end_to_end_days"] > WEEK).sum())


def over_a_week_why(results):
    t = _finished_now(results)
    return (f"{over_a_week(results):,} of the {len(t):,} finished cases of the system as it is now took more than a "
            "week from the customer's first contact to the problem solved.")


def over_a_week_slips(results):
    t = _finished_now(results)
    slips = [(int((_finished_now(results, with_open=True)["end_to_end_days"] > WEEK).sum()),
              "you counted cases still open: count the finished ones"),
             (int((_finished_now(results, every_system=True)["end_to_end_days"] > WEEK).sum()),
              "you counted the earlier system too: keep the system as it is now"),
             (int((t["end_to_end_days"] >= WEEK).sum()), "more than 7 days, not 7 or more")]
    if t["official_days"].notna().any():
        slips.append((int((t["official_days"] > WEEK).sum()),
                      "that is the organisation's clock (official_days): the customer's is end_to_end_days"))
    return slips


# -- system conditions --------------------------------------------------------------------------

def ended(results):
    register = (results.conditions or {}).get("register")
    if register is None or register.empty:
        return None
    gone = register.loc[register["status"] != "stands", "condition"].drop_duplicates().tolist()
    return gone or ["none"]


def ended_why(results):
    gone = ended(results)
    if gone == ["none"]:
        return "no dated change in study.yml ended a recorded condition."
    return "a dated change ended " + "; ".join(gone) + ": its status in the register is no longer 'stands'."


def open_questions(results):
    questions = (results.conditions or {}).get("questions")
    return None if questions is None else len(questions)


def open_questions_why(results):
    q = results.conditions["questions"]
    if q.empty:
        return "every kind of waste has a recorded cause."
    return f"no condition in the register explains {', '.join(q['waste'].astype(str))}."


CHASING = "progress chasing"


def _since_latest_change(frame: pd.DataFrame) -> pd.DataFrame:
    """Each service's rows of its latest era: the system as it is now."""
    if "era" not in frame:
        return frame
    return frame[frame["era"] == frame.groupby("service")["era"].transform("max")]


def _chasing(frame: pd.DataFrame) -> pd.Series:
    return frame["failure_subtype"].astype(str).str.lower().eq(CHASING)


def _failure(results, system: str = "now"):
    """The labelled failure contacts of ``system``: "now" (each service since its latest change),
    "earliest" (the earliest era of the data) or "every"; None where chasing cannot be told."""
    c = labelled(results)
    if c is None or "failure_subtype" not in c or (system == "earliest" and "era" not in c):
        return None
    c = c[c["value_or_failure"] == "failure"]
    if system == "now":
        c = _since_latest_change(c)
    elif system == "earliest":
        c = c[c["era"] == c["era"].min()]
    return c if len(c) and _chasing(c).any() else None


def chasing_now(results):
    c = _failure(results)
    return None if c is None else float(_chasing(c).mean())


def chasing_now_why(results):
    c = _failure(results)
    return (f"{int(_chasing(c).sum()):,} of the {len(c):,} failure contacts in the system as it is now (each service "
            "since its latest change) were customers chasing progress.")


def chasing_before(results):
    c = _failure(results, "earliest")
    return None if c is None else float(_chasing(c).mean())


def chasing_before_why(results):
    c = _failure(results, "earliest")
    now = chasing_now(results)
    said = f"; in the system as it is now it is {now:.0%}" if now is not None else ""
    return (f"{int(_chasing(c).sum()):,} of the {len(c):,} failure contacts before any dated change were customers "
            f"chasing progress{said}. Chasing is caused by the system (nobody told the customer when), so it is "
            "a condition the redesign should end.")


def chasing_before_slips(results):
    c = _failure(results, "earliest")
    every = labelled(results)
    every = every[every["era"] == every["era"].min()]
    return [(float(_chasing(c).sum() / len(every)), "you divided by all contacts: divide by the failure contacts")]


def chasing_now_slips(results):
    now = _failure(results)
    return [(float(_chasing(_failure(results, "every")).mean()),
             "that is over the whole period, before the change included: keep each service's contacts since its "
             "latest change"),
            (float(_chasing(now).sum() / len(_since_latest_change(labelled(results)))),
             "you divided by all contacts: divide by the failure contacts")]
