"""What every figure script needs: the compiled data's summary, and an atomic pickle write.

Stdlib only (no pandas in the sample), so the tests and the demo need nothing but Python.
"""
import os
import pickle
import time
from pathlib import Path

COMPILED = Path(os.environ.get("SAMPLE_OUTPUT_DIR", "data/compiled"))


def summarize_compiled(compiled: Path) -> list:
    files = sorted(compiled.rglob("*.feather"))
    if not files:
        raise SystemExit(f"no compiled data under {compiled}: run the compile first")
    return [{"file": str(f.relative_to(compiled)), "bytes": f.stat().st_size} for f in files]


def write_figure(page: str) -> None:
    """Pickles the default figure of one page into data/compiled/<page>.pkl, never half-written."""
    output = COMPILED / f"{page}.pkl"
    summary = summarize_compiled(COMPILED)
    time.sleep(float(os.environ.get("SAMPLE_FIGURE_MS", "300")) / 1000)
    figure = {"page": page, "traces": summary, "layout": {"title": page}}
    tmp = output.with_suffix(".pkl.tmp")
    with open(tmp, "wb") as handle:
        pickle.dump(figure, handle)
    os.replace(tmp, output)
    print(f"wrote {output} ({output.stat().st_size} bytes)")
