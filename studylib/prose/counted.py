"""How each figure is counted: one definition per figure, in words, for every report that shows it.

A figure shown in two places is the same number in the same words. Where two measures are both
needed (repeat contacts and repeated steps; the days the organisation does not count and the part
of them before its clock starts), each has its own name here, and the reports use that name.
"""
from __future__ import annotations

__all__ = ["COUNTED_ID", "counted"]

#: The id of the definitions in the summary report, for links from the figures.
COUNTED_ID = "how-each-figure-is-counted"


def counted(settings: dict | None = None) -> list[tuple[str, str]]:
    """(figure, how it is counted) for every figure a manager reads, with this check's settings."""
    settings = settings or {}
    radius = settings.get("radius_m", 50)
    window = settings.get("window_days", 28)
    radius_words = f"{radius:g}" if isinstance(radius, (int, float)) else str(radius)
    window_words = f"{window:g}" if isinstance(window, (int, float)) else str(window)
    return [
        ("The system as it is now",
         "For a service a dated change split, the cases and contacts since its latest change; for "
         "every other service, the whole study period. A figure over the whole period says so in words."),
        ("Contacts", "Every contact read from the study (demand.csv and captured contacts) in the study period, "
                     "after the rows set aside are taken out."),
        ("Failure demand", "Failure contacts as a share of the contacts labelled value or failure; contacts with no "
                           "label are left out of the share, and the reports say how many."),
        ("Problems", f"Contacts about the same thing count once: the same problem reference, or the same demand "
                     f"type within {radius_words} metres and {window_words} days of each other. A contact with "
                     f"neither is a problem of its own. \"Problems with a labelled contact\" counts only "
                     f"problems that drew a contact labelled value or failure."),
        ("Customers", "Distinct customer references. \"Customers with a reference\" counts every contact that has "
                      "one; \"customers with a labelled contact\" only those with a contact labelled value or failure."),
        ("The customer's clock", "From the customer's first contact to the problem solved, in days; its mean is over "
                                 "finished cases."),
        ("The organisation's clock", "From the case's registration to its closure, in days; its mean is over "
                                     "finished cases, as the customer's clock's is."),
        ("Days the organisation does not count",
         "The customer's clock less the organisation's, averaged over finished cases; \"before its clock starts\" "
         "is the part of it from first contact to registration."),
        ("Cases arriving clean", "The share of all cases (open ones too) with no step the flow codebook calls "
                                "dirty: cases that arrived with what was needed to do the work."),
        ("Hand-offs per case", "How often a case passes from one person or team to another, on average over all "
                               "cases."),
        ("Cases through the same step twice", "The share of all cases that go through a step they had already "
                                              "been through: repeated work, counted by case."),
        ("Time on waste steps", "The share of case time spent in steps the flow codebook calls waste (rework, "
                                "chasing, waiting and the like), counted by time, not by case."),
        ("Range a case takes", "The natural process limits of an XmR chart (Wheeler) of finished cases in the order "
                               "they arrived, since the latest change; given only when the system is predictable."),
        ("Predictable", "A system (or a week's demand) is predictable when its points show no pattern beyond "
                        "chance: no run on one side of the median longer, and no fewer crossings of it, than chance "
                        "gives once in 100 for that many points (after Anhøj and Olesen, Run charts revisited, PLoS "
                        "ONE 2014); no change of level clearer than chance gives once in 100 (Pettitt's test); and no "
                        "seven points in a row sitting together higher or lower than chance puts them once in 100 (a "
                        "scan statistic). Neighbours a little alike are allowed for. With several cases "
                        "a day, the days are judged in turn. Coloured points (Making Data Count's rules) are cases "
                        "to look at, not the verdict."),
        ("Customers waiting", "Customers whose problem is not solved at the date the data runs to (as of), "
                              "whether or not the organisation's list still shows their case."),
    ]
