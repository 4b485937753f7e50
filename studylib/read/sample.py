"""A believable sample study, made the same way every time.

``Northbrook Borough Council`` is fictional; its demand is not. Over 18 weeks, five services take
contacts through seven channels. Pot-holes, dead street lights, fly-tipping and graffiti are each
reported by several people, through different channels, at nearly the same place over days.
Housing repairs are followed end to end: the organisation's clock starts when a case is
"registered", days after the tenant first rang; jobs go through inspection and hand-offs to a
contractor, need several visits, and many are closed on paper just before the 28-day target while
the tenant still waits. A redesign on 10 March 2025 (book on the tenant's chosen day, no
pre-inspection, one team) shifts capability. Some cases are still open at the as-of date, and a
few deliberately dirty rows test that nothing is lost silently.

``generate_sample(DIR)`` writes the study folder byte for byte the same for the same seed;
``data/sample/`` is its output and a test proves it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import sample_text as txt

__all__ = ["generate_sample", "SAMPLE_SEED", "SAMPLE_FILES", "bundled_sample"]

#: The files the sample study is written as.
SAMPLE_FILES = ("study.yml", "demand.csv", "events.csv", "demand_codebook.yml", "flow_codebook.yml", "findings.yml")

SAMPLE_SEED = 20250106
_SAMPLE_TEMPLATES = Path(__file__).resolve().parent / "templates" / "sample"
_PACKAGE = Path(__file__).resolve().parent.parent


def bundled_sample() -> Path:
    """The sample study bundled with studylib: inside an installed wheel, else the checkout's data/sample."""
    inside = _PACKAGE / "_sample"
    return inside if inside.exists() else _PACKAGE.parent / "data" / "sample"

START = pd.Timestamp("2025-01-06")          # a Monday
WEEKS = 18
END = START + pd.Timedelta(weeks=WEEKS)     # exclusive: Monday 2025-05-12
AS_OF = END
REDESIGN = pd.Timestamp("2025-03-10")
BILLS_SENT = pd.Timestamp("2025-03-10")     # annual council tax bills land the same week
CENTRE = (52.9530, -1.1500)                 # somewhere in the English Midlands

CHANNELS = ["phone", "web", "email", "face_to_face", "app", "social", "letter"]
# How each channel is spelled by the systems the team exported from: real data is never tidy.
SPELLINGS = {"phone": ["Phone", "phone", "Telephone", "Call"], "web": ["Web form", "web", "Online"],
             "email": ["Email", "E-mail"], "face_to_face": ["Face to face", "Walk-in"],
             "app": ["App", "Mobile app"], "social": ["Twitter", "Facebook"], "letter": ["Letter"]}

#               type: service, value/failure, sub-type, weekly rate, P(resolved at first contact)
TYPES = {
    "Report a pot-hole": ("Highways", "value", None, 0, 0.0),
    "Street light not working": ("Highways", "value", None, 0, 0.0),
    "Report fly-tipping": ("Environment", "value", None, 0, 0.0),
    "Report graffiti": ("Environment", "value", None, 0, 0.0),
    "Book a bulky waste collection": ("Waste and recycling", "value", None, 20, 0.85),
    "Order a new bin": ("Waste and recycling", "value", None, 10, 0.9),
    "Report a repair": ("Housing repairs", "value", None, 0, 0.05),
    "Set up a direct debit": ("Council tax", "value", None, 14, 0.9),
    "Tell us I'm moving": ("Council tax", "value", None, 11, 0.7),
    "Apply for single person discount": ("Council tax", "value", None, 7, 0.6),
    "Chasing a reported problem": (None, "failure", "progress chasing", 0, 0.1),
    "Chasing a repair": ("Housing repairs", "failure", "progress chasing", 0, 0.1),
    "Bin not collected": ("Waste and recycling", "failure", "not done", 30, 0.3),
    "Operative didn't turn up": ("Housing repairs", "failure", "not done", 0, 0.2),
    "Repair not done right": ("Housing repairs", "failure", "not done right", 0, 0.1),
    "Payment not recorded": ("Council tax", "failure", "not done right", 6, 0.5),
    "Don't understand my bill": ("Council tax", "failure", "clarification", 14, 0.75),
    "When is my bin day": ("Waste and recycling", "failure", "clarification", 8, 0.95),
    "Sent to the wrong place": (None, "failure", "wrong place", 7, 0.4),
    "Already gave these details": ("Council tax", "failure", "repeat information", 6, 0.5),
}
# Problems at a place: type -> (new problems a week, mean extra contacts per problem)
PLACES = {"Report a pot-hole": (13, 1.6), "Street light not working": (5, 1.0),
          "Report fly-tipping": (8, 1.2), "Report graffiti": (3, 0.8)}
PLACE_SERVICE = {"Report a pot-hole": "Highways", "Street light not working": "Highways",
                 "Report fly-tipping": "Environment", "Report graffiti": "Environment"}
REF_PREFIX = {"Highways": "HW", "Environment": "EN"}

CHANNEL_MIX = {  # P(channel) by kind of demand
    "place": [0.38, 0.22, 0.08, 0.04, 0.20, 0.07, 0.01],
    "repair": [0.70, 0.10, 0.08, 0.08, 0.02, 0.01, 0.01],
    "tax": [0.50, 0.18, 0.16, 0.10, 0.00, 0.01, 0.05],
    "bins": [0.48, 0.30, 0.08, 0.03, 0.06, 0.05, 0.00],
}
WEEKDAY = np.array([1.35, 1.1, 1.0, 0.95, 0.9, 0.2, 0.1])   # Mon..Sun
WEEKDAY = WEEKDAY / WEEKDAY.sum()


class _Gen:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.contacts: list[dict] = []
        self.events: list[dict] = []
        self.n_customers = 0

    # -- small helpers ---------------------------------------------------------------------------
    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def spelling(self, channel: str) -> str:
        """Mostly the system's own spelling; now and then another system's."""
        options = SPELLINGS[channel]
        return options[0] if self.rng.random() < 0.85 else self.pick(options)

    def customer(self) -> str:
        self.n_customers += 1
        return f"P{self.n_customers:05d}"

    def when(self, day: pd.Timestamp, channel: str) -> pd.Timestamp:
        """A believable time of day for a contact in a channel on a day."""
        if channel in ("phone", "face_to_face"):
            minutes = self.rng.normal(12.5 * 60, 150)
            minutes = float(np.clip(minutes, 8 * 60 + 1, 17 * 60 + 59))
        else:
            minutes = float(np.clip(self.rng.normal(15 * 60, 240), 7 * 60, 23 * 60 + 30))
        return day.normalize() + pd.Timedelta(minutes=round(minutes))

    def working_day(self, ts: pd.Timestamp) -> pd.Timestamp:
        while ts.day_of_week >= 5:
            ts = ts + pd.Timedelta(days=1)
        return ts

    def channel(self, kind: str) -> str:
        return CHANNELS[int(self.rng.choice(len(CHANNELS), p=CHANNEL_MIX[kind]))]

    def place(self, radius_m: float = 4000):
        r = radius_m * np.sqrt(self.rng.random())
        theta = 2 * np.pi * self.rng.random()
        return (CENTRE[0] + r * np.sin(theta) / 111_320,
                CENTRE[1] + r * np.cos(theta) / (111_320 * np.cos(np.radians(CENTRE[0]))))

    def jitter(self, lat: float, lon: float, metres: float = 12):
        d = self.rng.normal(0, metres / 2, 2)
        return (lat + d[0] / 111_320, lon + d[1] / (111_320 * np.cos(np.radians(lat))))

    def say(self, demand_type: str, channel: str, **slots) -> str:
        phrases = txt.PHRASES.get(demand_type) or txt.FAILURE_PHRASES[demand_type]
        core = self.pick(phrases)
        fill = {"street": self.pick(txt.STREETS), "n": int(self.rng.integers(1, 140)),
                "weeks": int(self.rng.integers(2, 7)), "days": int(self.rng.integers(3, 15)),
                "item": self.pick(txt.ITEMS), "ref": "", "day": f"{int(self.rng.integers(1, 28))}th",
                "amount": int(self.rng.integers(40, 260)), "thing": "problem",
                "repair": self.pick(txt.REPAIRS), "repair_need": self.pick(txt.REPAIR_NEEDS)}
        fill.update({k: v for k, v in slots.items() if v is not None})
        text = core.format(**fill)
        text = self.pick(txt.OPENERS[channel]) + text
        text = text[0].upper() + text[1:]
        closer = self.pick(txt.CLOSERS) if channel not in ("social", "app") else ""
        if not text.endswith(("?", ".", "!")) and (closer or self.rng.random() < 0.6):
            text += self.pick([".", ".", ".", "!"])
        text += closer
        extra = self.rng.random()
        if channel in ("email", "web") and extra < 0.04:
            text += f" You can reach me on 07700 900{int(self.rng.integers(100, 999))}."
        elif channel in ("email", "letter") and extra < 0.08:
            text += f" My postcode is NB{int(self.rng.integers(1, 9))} {int(self.rng.integers(1, 9))}" \
                    f"{self.pick('ABDEFGHJLNPQRSTUWXYZ')}{self.pick('ABDEFGHJLNPQRSTUWXYZ')}."
        elif channel == "email" and extra < 0.12:
            text += f" Reply to resident{int(self.rng.integers(10, 999))}@example.org please."
        if channel in ("social", "app") and self.rng.random() < 0.3:
            text = text.lower()
        return text

    def contact(self, at, channel, demand_type, *, service=None, problem_ref=None, customer=None,
                location=None, address=None, **slots):
        svc, vof, sub, _, p_rfc = TYPES[demand_type]
        listened = channel in ("phone", "face_to_face")
        self.contacts.append({
            "received_at": at, "channel": self.spelling(channel),
            "service": service or svc, "verbatim": self.say(demand_type, channel, **slots),
            "demand_type": demand_type, "value_or_failure": vof, "failure_subtype": sub or "",
            "resolved_first_contact": ("yes" if self.rng.random() < p_rfc else "no") if listened or self.rng.random() < 0.5 else "",
            "what_matters": self.pick(txt.WHAT_MATTERS[demand_type]) if listened and self.rng.random() < 0.7 else "",
            "problem_ref": problem_ref or "", "customer_ref": customer or self.customer(),
            "latitude": location[0] if location else None, "longitude": location[1] if location else None,
            "address": address or "", "handled_by": self.pick(["Contact centre", "Contact centre",
                                                                "Customer services", "One Stop Shop"])
            if listened else self.pick(["Back office", "Digital team"]),
        })

    # -- streams of demand -----------------------------------------------------------------------
    def days(self):
        return pd.date_range(START, END - pd.Timedelta(days=1), freq="D")

    def independent_demand(self):
        kinds = {"Council tax": "tax", "Waste and recycling": "bins", None: "tax"}
        for day in self.days():
            w = WEEKDAY[day.day_of_week]
            for demand_type, (service, _, _, rate, _) in TYPES.items():
                if not rate:
                    continue
                lam = rate * w
                if demand_type == "Don't understand my bill" and BILLS_SENT <= day < BILLS_SENT + pd.Timedelta(days=21):
                    lam *= 3.2   # the annual bills: a letter nobody can understand
                for _ in range(int(self.rng.poisson(lam))):
                    ch = self.channel(kinds.get(service, "tax"))
                    svc = service or self.pick(["Council tax", "Housing repairs", "Waste and recycling"])
                    self.contact(self.when(day, ch), ch, demand_type, service=svc)

    def place_problems(self):
        n_problem = 0
        for demand_type, (per_week, extra) in PLACES.items():
            service = PLACE_SERVICE[demand_type]
            thing = txt.THINGS[demand_type]
            for day in self.days():
                for _ in range(int(self.rng.poisson(per_week * WEEKDAY[day.day_of_week] * 1.0))):
                    n_problem += 1
                    ref = f"{REF_PREFIX[service]}-{n_problem:05d}"
                    lat, lon = self.place()
                    street = self.pick(txt.STREETS)
                    number = int(self.rng.integers(1, 140))
                    address = f"{number} {street}, Northbrook"
                    ch = self.channel("place")
                    first = self.when(day, ch)
                    reporter = self.customer()
                    self.contact(first, ch, demand_type, location=self.jitter(lat, lon),
                                 address=address, street=street, n=number, customer=reporter)
                    # The same problem draws others: new people reporting it, and chasers.
                    fixed_after = float(self.rng.gamma(2.0, 6.0))
                    for _ in range(int(self.rng.poisson(extra))):
                        later = first + pd.Timedelta(days=float(self.rng.uniform(0.2, min(fixed_after, 25) + 1)))
                        ch2 = self.channel("place")
                        if self.rng.random() < 0.45:   # chasing: often the first reporter, quoting the ref
                            self.contact(self.when(later, ch2), ch2, "Chasing a reported problem",
                                         service=service, thing=thing, street=street,
                                         problem_ref=ref if self.rng.random() < 0.55 else None,
                                         ref=ref, customer=reporter if self.rng.random() < 0.6 else None,
                                         location=self.jitter(lat, lon) if self.rng.random() < 0.5 else None,
                                         address=address)
                        else:
                            self.contact(self.when(later, ch2), ch2, demand_type,
                                         location=self.jitter(lat, lon), address=address,
                                         street=street, n=number + int(self.rng.integers(-3, 4)))

    def repairs(self):
        n_case = 0
        for day in self.days():
            for _ in range(int(self.rng.poisson(38 * WEEKDAY[day.day_of_week]))):
                n_case += 1
                self.repair_case(day, f"HR-{n_case:05d}")

    def repair_case(self, day: pd.Timestamp, case: str):
        rng = self.rng
        ch = self.channel("repair")
        t0 = self.when(day, ch)
        tenant = self.customer()
        repair = self.pick(txt.REPAIRS)
        address = f"Flat {int(rng.integers(1, 40))}, {self.pick(txt.STREETS)}, Northbrook"
        self.contact(t0, ch, "Report a repair", customer=tenant, address=address, problem_ref=case)
        ev = []

        def add(at, activity, resource):
            ev.append((at, activity, resource))

        add(t0, "Repair reported", "Contact centre")
        redesigned = t0 >= REDESIGN
        if not redesigned:
            registered = self.working_day(t0 + pd.Timedelta(days=float(rng.gamma(1.6, 2.8))))
            add(registered, "Case registered", "Repairs admin")
            t = registered
            if rng.random() < 0.55:   # arrived dirty: details missing
                t = t + pd.Timedelta(days=float(rng.gamma(1.5, 1.5)))
                add(t, "Further information requested", "Repairs admin")
            if rng.random() < 0.7:
                t = self.working_day(t + pd.Timedelta(days=float(rng.gamma(2.0, 2.2))))
                add(t + pd.Timedelta(hours=10), "Inspection visit", "Surveyor")
            t = t + pd.Timedelta(days=float(rng.gamma(1.2, 1.2)))
            add(t, "Job passed to contractor", "Repairs admin")
            visits = 1 + int(rng.choice([0, 1, 2, 3, 4], p=[0.36, 0.30, 0.19, 0.10, 0.05]))
            for v in range(visits):
                t = self.working_day(t + pd.Timedelta(days=float(rng.gamma(2.0, 2.3))))
                if rng.random() < 0.12:
                    add(t + pd.Timedelta(hours=9), "No access", "Contractor")
                    self.contact(self.when(t, "phone"), "phone", "Operative didn't turn up",
                                 customer=tenant, problem_ref=case if rng.random() < 0.5 else None,
                                 ref=case)
                    t = self.working_day(t + pd.Timedelta(days=float(rng.gamma(2.0, 2.0))))
                add(t + pd.Timedelta(hours=11), "Repair visit" if v == 0 else "Follow-on visit", "Contractor")
                if v < visits - 1:
                    if rng.random() < 0.5:
                        t = t + pd.Timedelta(days=float(rng.gamma(2.0, 2.0)))
                        add(t, "Parts ordered", "Contractor")
                    if rng.random() < 0.35:
                        self.contact(self.when(t + pd.Timedelta(days=1), "phone"), "phone",
                                     "Repair not done right", customer=tenant, repair=repair,
                                     problem_ref=case if rng.random() < 0.4 else None)
            done = t + pd.Timedelta(hours=11, minutes=45)
            add(done, "Repair completed", "Contractor")
            end = done + pd.Timedelta(days=float(rng.gamma(1.3, 1.5)))
            official = (end - registered) / pd.Timedelta(days=1)
            closed_at = end
            if official > 28 and rng.random() < 0.7:
                # Closed on paper just before the target, while the tenant still waits.
                closed_at = registered + pd.Timedelta(days=float(rng.uniform(25.5, 27.95)))
            add(closed_at, "Job closed", "Repairs admin")
        else:
            add(t0 + pd.Timedelta(minutes=int(rng.integers(3, 12))), "Case registered", "Repairs team")
            booked = t0 + pd.Timedelta(minutes=int(rng.integers(5, 15)))
            add(booked, "Visit booked on tenant's chosen day", "Repairs team")
            t = self.working_day(t0 + pd.Timedelta(days=float(rng.choice([1, 2, 3, 4, 5, 6, 7],
                                                                        p=[.2, .2, .2, .15, .1, .08, .07]))))
            visits = 1 + int(rng.choice([0, 1], p=[0.92, 0.08]))
            for v in range(visits):
                add(t + pd.Timedelta(hours=10), "Repair visit" if v == 0 else "Follow-on visit", "Repairs team")
                if v < visits - 1:
                    t = self.working_day(t + pd.Timedelta(days=float(rng.integers(1, 4))))
            done = t + pd.Timedelta(hours=11)
            add(done, "Repair completed", "Repairs team")
            add(done + pd.Timedelta(minutes=30), "Job closed", "Repairs team")

        # Tenants chase while they wait: each chase is a contact and an event.
        events = sorted(ev)
        solved = next(at for at, a, _ in events if a == "Repair completed")
        wait_days = (solved - t0) / pd.Timedelta(days=1)
        n_chase = int(rng.poisson(max(wait_days - 7, 0) / 9.0))
        for _ in range(n_chase):
            at = t0 + pd.Timedelta(days=float(rng.uniform(5, max(wait_days, 5.5))))
            ch = self.channel("repair")
            at = self.when(at, ch)
            self.contact(at, ch, "Chasing a repair", customer=tenant, repair=repair,
                         problem_ref=case if rng.random() < 0.5 else None, ref=case)
            events.append((at, "Tenant chased", "Contact centre"))
        for at, activity, resource in sorted(events):
            self.events.append({"case_id": case, "activity": activity, "timestamp": at,
                                "resource": resource})


def _fmt_time(ts) -> str:
    return "" if ts is None or pd.isna(ts) else ts.strftime("%Y-%m-%d %H:%M")


def _patrollers(demand: pd.DataFrame, rng: np.random.Generator, *, people: int = 10, reports: int = 70) -> None:
    """A few residents who report many different street problems (patrollers): some first reports
    of pot-holes, lights, fly-tipping and graffiti become theirs. A random stream of its own, so
    that nothing else in the sample moves."""
    street = demand.index[demand["demand_type"].isin(list(PLACES)) & demand["latitude"].notna()
                          & ~demand.duplicated(["latitude", "longitude"])]
    chosen = np.sort(rng.choice(street, size=min(reports, len(street)), replace=False))
    for k, index in enumerate(chosen):
        demand.at[index, "customer_ref"] = f"P{90001 + k % people:05d}"


def generate_sample(out_dir: str | Path, *, seed: int = SAMPLE_SEED) -> dict[str, Path]:
    """Write the sample study folder: study.yml, demand.csv, events.csv, codebooks, findings.

    The output depends only on ``seed``: the same seed writes the same bytes.

    Returns
    -------
    dict of file name -> path written

    Examples
    --------
    >>> generate_sample("/tmp/sample")          # doctest: +SKIP
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    gen = _Gen(seed)
    gen.independent_demand()
    gen.place_problems()
    gen.repairs()

    demand = pd.DataFrame(gen.contacts)
    demand = demand[(demand["received_at"] >= START) & (demand["received_at"] < END)]
    demand = demand.sort_values("received_at", kind="stable").reset_index(drop=True)
    demand.insert(0, "contact_id", [f"C{i:06d}" for i in range(1, len(demand) + 1)])
    _patrollers(demand, np.random.default_rng(seed + 7))
    # Not every contact was classified by hand: letters and e-mails in the backlog were not.
    rng = gen.rng
    unlabelled = demand["channel"].isin(["Letter", "Email", "E-mail"]) & (rng.random(len(demand)) < 0.6)
    demand.loc[unlabelled, ["demand_type", "value_or_failure", "failure_subtype"]] = ""
    demand["received_at"] = demand["received_at"].map(_fmt_time)

    events = pd.DataFrame(gen.events)
    events = events[events["timestamp"] < AS_OF].reset_index(drop=True)
    events["timestamp"] = events["timestamp"].map(_fmt_time)

    demand, events = _dirty(demand, events, rng)
    files = {
        "demand.csv": demand.to_csv(index=False, lineterminator="\n", float_format="%.6f"),
        "events.csv": events.to_csv(index=False, lineterminator="\n"),
        # The YAML files are kept as they are written, comments and all, beside the templates.
        **{name: (_SAMPLE_TEMPLATES / name).read_text(encoding="utf-8")
           for name in ("study.yml", "demand_codebook.yml", "flow_codebook.yml", "findings.yml")},
    }
    written = {}
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8", newline="\n")
        written[name] = out / name
    return written


def _dirty(demand: pd.DataFrame, events: pd.DataFrame, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A few rows as real exports have them, each of which loading must set aside with a reason."""
    demand = demand.copy()
    # Web forms submitted with nothing in them.
    web = demand.index[demand["channel"].isin(["Web form", "web", "Online"])]
    for i in rng.choice(web, 3, replace=False):
        demand.at[i, "verbatim"] = ""
        demand.loc[i, ["demand_type", "value_or_failure", "failure_subtype", "what_matters"]] = ""
    # The same contact exported twice.
    dups = demand.loc[sorted(rng.choice(demand.index, 2, replace=False))]
    demand = pd.concat([demand, dups]).sort_values("received_at", kind="stable").reset_index(drop=True)
    # A case whose completion was keyed with last year's date.
    events = events.copy()
    case = events["case_id"].iloc[len(events) // 3]
    done = events.index[(events["case_id"] == case) & (events["activity"] == "Repair completed")][0]
    events.at[done, "timestamp"] = "2024" + events.at[done, "timestamp"][4:]
    # An event with no timestamp, and an event exported twice.
    events.at[int(rng.integers(len(events))), "timestamp"] = ""
    dup = events.iloc[[int(rng.integers(len(events)))]]
    events = pd.concat([events, dup]).sort_index(kind="stable").reset_index(drop=True)
    return demand, events
