"""Default plots for the circos page, pickled so the site starts without recomputing them.

Run as the reference runbook does: `PYTHONPATH=. python pages/circos.py`.
"""
from pages.figure_common import write_figure

if __name__ == "__main__":
    write_figure("circos")
