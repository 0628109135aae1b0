"""The TrendFinder web app, in the shape Beanstalk's Python platform runs (gunicorn on
application:application). It reads the newest week's date/trend/plot/{df.csv,kwargs.json} tree
from S3 once, at start: the weekly pipeline restarts the app servers after each upload
(`aws elasticbeanstalk restart-app-server`, a data-only release in the runbook) so it reloads.
"""
import csv
import io
import json
import os

from flask import Flask, jsonify

application = Flask(__name__)

BUCKET = os.environ.get("TRENDFINDER_BUCKET", "trendfinder-data")
PREFIX = os.environ.get("TRENDFINDER_PREFIX", "trends")


def load_latest():
    """{trend: {plot: {"rows": [...], "kwargs": {...}}}} of the newest date under the prefix."""
    import boto3

    s3 = boto3.client("s3")
    dates = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/", Delimiter="/").get("CommonPrefixes", [])
    if not dates:
        return None, {}
    latest = sorted(d["Prefix"] for d in dates)[-1]
    plots = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=latest):
        for obj in page.get("Contents", []):
            trend, plot, name = obj["Key"][len(latest) :].split("/")
            body = s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read().decode()
            entry = plots.setdefault(trend, {}).setdefault(plot, {})
            entry["rows" if name == "df.csv" else "kwargs"] = list(csv.DictReader(io.StringIO(body))) if name == "df.csv" else json.loads(body)
    return latest[len(PREFIX) + 1 : -1], plots


DATE, TRENDS = load_latest() if os.environ.get("TRENDFINDER_OFFLINE") is None else (None, {})


@application.route("/health")
def health():
    return "ok"


@application.route("/")
def index():
    return jsonify({"site": "trendfinder", "week": DATE, "trends": {t: sorted(p) for t, p in TRENDS.items()}})
