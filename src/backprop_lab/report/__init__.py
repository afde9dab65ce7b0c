"""The HTML report of a run and the comparison of several runs."""

from .html import write_report

__all__ = ["write_report"]
