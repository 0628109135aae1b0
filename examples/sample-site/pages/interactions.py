"""Default plots for the interactions page, pickled so the site starts without recomputing them.

Run as the reference runbook does: `PYTHONPATH=. python pages/interactions.py`.
"""
import os
import pickle
import time
from pathlib import Path

from pages.figure_common import summarize_compiled

OUTPUT = Path(os.environ.get("SAMPLE_OUTPUT_DIR", "data/compiled")) / "interactions.pkl"


def main() -> None:
    summary = summarize_compiled(OUTPUT.parent)
    time.sleep(float(os.environ.get("SAMPLE_FIGURE_MS", "300")) / 1000)
    figure = {"page": "interactions", "traces": summary, "layout": {"title": "interactions"}}
    tmp = OUTPUT.with_suffix(".pkl.tmp")
    with open(tmp, "wb") as handle:
        pickle.dump(figure, handle)
    os.replace(tmp, OUTPUT)
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
