"""A small HTTP client for the drills (stdlib only): one request, one connection."""

import http.client
import json


def request(port, method, path, body=None, headers=None, timeout=30):
    """Returns (status, Set-Cookie header, body bytes); raises OSError when nobody listens."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        h = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        return r.status, r.getheader("Set-Cookie") or "", r.read()
    finally:
        c.close()
