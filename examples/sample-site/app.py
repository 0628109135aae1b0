"""The sample site's web app: lists the compiled data files it finds on the mounted volume.

Stands in for the Flask/Dash app of the reference site; stdlib only, so the image stays small.
"""
import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

DATA_DIR = os.environ.get("DATA_DIR", "/app/data")
PORT = int(os.environ.get("PORT", "8050"))


def compiled_files():
    root = os.path.join(DATA_DIR, "compiled")
    found = []
    for base, _dirs, files in os.walk(root):
        for name in files:
            found.append(os.path.relpath(os.path.join(base, name), root))
    return sorted(found)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            body = b"ok"
            self.send_response(200)
            self.send_header("content-type", "text/plain")
        else:
            body = json.dumps({"site": "sample-site", "files": compiled_files()}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    HTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
