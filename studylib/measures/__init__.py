"""The measures of a check, one module a stage or a figure: each takes the tables that reading
gives and returns tidy tables, and imports neither matplotlib nor IPython.

- demand: value and failure demand, weekly demand, its cost; problems: contacts linked to the
  problem they are about; customers: who contacts us; purpose: what matters;
- capability and xmr: process behaviour charts, their limits and signals; predictability: the
  verdict on a system at any length; holds: a redesigned system against limits frozen on its first
  cases; nhs: the A&E four hours;
- flow: end-to-end times on both clocks; paths: variants and hand-offs; survival: open cases;
  waiting: the waiting list; systems: dated changes that split every figure;
- conditions: the waste found and the system conditions that cause it; suggest: demand types
  suggested from labelled contacts.
"""
from __future__ import annotations

from .capability import capability_limits, limits_by_system
from .demand import classify_demand, failure_share, weekly_demand
from .flow import case_times, flow_by_system
from .holds import redesign_holds
from .paths import transitions, variants
from .predictability import predictability
from .problems import link_problems
from .xmr import runs_analysis, xmr, xmr_summary

__all__ = ["classify_demand", "failure_share", "weekly_demand", "link_problems", "case_times", "flow_by_system",
           "variants", "transitions", "xmr", "xmr_summary", "runs_analysis", "capability_limits", "limits_by_system",
           "predictability", "redesign_holds"]
