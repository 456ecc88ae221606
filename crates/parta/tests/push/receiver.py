"""A push service with its browsers, for the tests: what Chrome's or Firefox's push
service and the browser behind it do with a Web Push, done by independent code —
`http_ece` (Mozilla's reference implementation of RFC 8188/8291) decrypts the payload
with the browser's private key, and `cryptography` verifies the VAPID token (RFC 8292)
against the key the push names.

    python3 receiver.py PORT

GET  /subscription/NAME  a new browser NAME's PushSubscription JSON (endpoint and keys)
POST /push/NAME          a push to NAME: checked, decrypted, kept; 201
                         (410 once NAME was told to be gone, 500 while it is told to fail)
POST /gone/NAME, /fail/NAME, /ok/NAME   how NAME's endpoint answers from now on
GET  /received           what arrived, in order: NAME, the payload (JSON), headers
"""
import base64
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


PORT = int(sys.argv[1])
ORIGIN = f"http://127.0.0.1:{PORT}"
browsers = {}  # name -> (private key, auth secret)
modes = {}  # name -> "ok" | "gone" | "fail"
received = []


def verify_vapid(header):
    """The token's signature by the key in k=, its audience and expiry; the claims."""
    if not header or not header.startswith("vapid "):
        raise ValueError("no vapid authorization")
    parts = dict(p.strip().split("=", 1) for p in header[6:].split(","))
    token, key = parts["t"], parts["k"]
    head, body, sig = token.split(".")
    if json.loads(b64d(head))["alg"] != "ES256":
        raise ValueError("not ES256")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(key))
    raw = b64d(sig)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(b64d(body))
    if claims["aud"] != ORIGIN:
        raise ValueError(f"aud {claims['aud']}")
    now = time.time()
    if not (now < claims["exp"] <= now + 24 * 3600):
        raise ValueError("exp")
    if not claims.get("sub", "").startswith(("mailto:", "https:")):
        raise ValueError("sub")
    return claims, key


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body=None):
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.startswith("/subscription/"):
            name = self.path.rsplit("/", 1)[1]
            private = ec.generate_private_key(ec.SECP256R1())
            auth = os.urandom(16)
            browsers[name] = (private, auth)
            modes[name] = "ok"
            public = private.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
            self.answer(200, {
                "endpoint": f"{ORIGIN}/push/{name}",
                "expirationTime": None,
                "keys": {"p256dh": b64e(public), "auth": b64e(auth)},
            })
        elif self.path == "/received":
            self.answer(200, received)
        else:
            self.answer(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        path = self.path
        for mode in ("gone", "fail", "ok"):
            if path.startswith(f"/{mode}/"):
                modes[path.rsplit("/", 1)[1]] = mode
                return self.answer(200, {})
        if not path.startswith("/push/"):
            return self.answer(404)
        name = path.rsplit("/", 1)[1]
        if name not in browsers:
            return self.answer(404)
        if modes[name] == "gone":
            return self.answer(410)
        if modes[name] == "fail":
            return self.answer(500)
        try:
            claims, key = verify_vapid(self.headers.get("Authorization"))
            if self.headers.get("Content-Encoding") != "aes128gcm":
                raise ValueError("content encoding")
            if int(self.headers.get("TTL", "-1")) < 0:
                raise ValueError("TTL")
            if len(body) > 4096:
                raise ValueError("too large")
            private, auth = browsers[name]
            plain = http_ece.decrypt(body, private_key=private, auth_secret=auth, version="aes128gcm")
            payload = json.loads(plain)
        except (ValueError, KeyError, InvalidSignature, http_ece.ECEException) as e:
            return self.answer(400, {"error": repr(e)})
        received.append({
            "browser": name,
            "payload": payload,
            "urgency": self.headers.get("Urgency"),
            "ttl": int(self.headers.get("TTL")),
            "sub": claims["sub"],
            "k": key,
        })
        self.answer(201, {})


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print("ready", flush=True)
server.serve_forever()
