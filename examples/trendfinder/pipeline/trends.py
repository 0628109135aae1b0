"""The TrendFinder weekly pipeline, in small: for each trend and plot of pipeline/trends.json it
writes $RUNBOOK_OUTPUT_DIR/<date>/<trend>/<plot>/df.csv (the plotted frame) and kwargs.json (the
plot's arguments), where <date> is the week's date (TRENDFINDER_DATE, or today in UTC).
Deterministic per date: a rerun of the same week writes the same bytes.
"""
import datetime
import json
import os
import random

out = os.environ.get("RUNBOOK_OUTPUT_DIR", "data/trends")
date = os.environ.get("TRENDFINDER_DATE") or datetime.datetime.now(datetime.timezone.utc).date().isoformat()
weeks = int(os.environ.get("TRENDFINDER_WEEKS", "12"))
with open(os.path.join(os.path.dirname(__file__), "trends.json")) as f:
    trends = json.load(f)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(f"{path}.tmp", "w") as f:
        f.write(text)
    os.replace(f"{path}.tmp", path)  # a half-written file never shows under its real name


end = datetime.date.fromisoformat(date)
plots = [(trend, plot) for trend, names in trends.items() for plot in names]
for i, (trend, plot) in enumerate(plots):
    rng = random.Random(f"{date}/{trend}/{plot}")
    rows = ["week,value,lower,upper"]
    for w in range(weeks, 0, -1):
        value = round(rng.uniform(5, 100), 2)
        rows.append(f"{(end - datetime.timedelta(weeks=w - 1)).isoformat()},{value},{round(value * 0.9, 2)},{round(value * 1.1, 2)}")
    base = os.path.join(out, date, trend, plot)
    write(os.path.join(base, "df.csv"), "\n".join(rows) + "\n")
    write(os.path.join(base, "kwargs.json"), json.dumps({"title": f"{trend} ({plot})", "x": "week", "y": "value", "band": ["lower", "upper"]}, indent=2) + "\n")
    print(f"progress {i + 1}/{len(plots)} {trend}/{plot}", flush=True)
