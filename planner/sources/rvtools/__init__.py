"""Read RVTools exports (xlsx workbook, folder of CSVs, zip) into the estate model. See docs/rvtools.md."""

from planner.sources.rvtools.load import load_rvtools

__all__ = ["load_rvtools"]
