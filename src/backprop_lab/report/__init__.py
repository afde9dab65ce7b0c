"""The HTML pages: a run's report, the comparison of several runs (compare), a sweep's page
(sweep_page)."""

from .html import write_report

__all__ = ["write_report"]
