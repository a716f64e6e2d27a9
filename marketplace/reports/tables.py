"""The report as rows: one shape for the CSV, the XLSX and the command line."""

from __future__ import annotations


def report_table(report) -> list[list]:
    """The report as rows: the same numbers in the CSV, the XLSX and the command line."""
    header = [
        "section",
        "key",
        "days",
        "missions",
        "projects",
        "jobs_created",
        "jobs_preserved",
        "average_rating",
    ]
    rows = [header]

    def add(section, key, figures):
        rows.append(
            [
                section,
                key,
                figures.days,
                figures.missions,
                figures.projects,
                figures.jobs_created,
                figures.jobs_preserved,
                "" if figures.average_rating is None else figures.average_rating,
            ]
        )

    add("total", "", report.totals)
    for name, figures in report.by_group:
        add("group", name, figures)
    for code, figures in report.by_category:
        add("category", code, figures)
    for month, figures in report.by_month:
        add("month", month, figures)
    return rows
