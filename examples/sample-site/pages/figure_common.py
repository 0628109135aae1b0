"""What every figure script needs from the compiled data (stdlib only: no pandas in the sample)."""
from pathlib import Path


def summarize_compiled(compiled: Path) -> list:
    files = sorted(compiled.rglob("*.feather"))
    if not files:
        raise SystemExit(f"no compiled data under {compiled}: run the compile first")
    return [{"file": str(f.relative_to(compiled)), "bytes": f.stat().st_size} for f in files]
