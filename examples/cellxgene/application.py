"""The cellxgene site's web app, in the shape Beanstalk's Python platform runs (gunicorn on
application:application). The real site runs cellxgene-gateway over the datasets under
CXG_DATAROOT; this sample lists them, so a deploy has something to show.
"""
import os

from flask import Flask, jsonify

application = Flask(__name__)
# From Secrets Manager through a Beanstalk environment secret: never in the bundle or the config.
application.secret_key = os.environ.get("FLASK_SECRET_KEY", "")

DATAROOT = os.environ.get("CXG_DATAROOT", "s3://cellxgene-site-data/cxg")
CONFIG_FILE = os.environ.get("CXG_CONFIG_FILE", f"{DATAROOT}/config.yaml")


def datasets():
    """The dataset directories under CXG_DATAROOT (an S3 prefix on Beanstalk, a path locally)."""
    if DATAROOT.startswith("s3://"):
        import boto3

        bucket, _, prefix = DATAROOT[5:].partition("/")
        pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/", Delimiter="/")
        return sorted(p["Prefix"][len(prefix) + 1 :].rstrip("/") for page in pages for p in page.get("CommonPrefixes", []))
    root = os.path.join(DATAROOT, "datasets")
    return sorted(os.listdir(root)) if os.path.isdir(root) else []


@application.route("/health")
def health():
    return "ok"


@application.route("/")
def index():
    return jsonify({"site": "cellxgene", "dataroot": DATAROOT, "config": CONFIG_FILE, "datasets": datasets()})


if __name__ == "__main__":
    application.run(port=int(os.environ.get("PORT", "8000")))
