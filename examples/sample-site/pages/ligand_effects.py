"""Default plots for the ligand effects page, pickled so the site starts without recomputing them.

Run as the reference runbook does: `PYTHONPATH=. python pages/ligand_effects.py`.
"""
from pages.figure_common import write_figure

if __name__ == "__main__":
    write_figure("ligand_effects")
