"""A real SMTP server for the tests (aiosmtpd): every message it accepts is written to a
directory as `NNNN.json` — the envelope's recipients, and the message's From, To, Subject
and text as a mail reader decodes them (RFC 2047 headers, transfer encodings).

    python3 sink.py PORT DIR
"""
import email
import email.policy
import json
import os
import sys
import time

from aiosmtpd.controller import Controller


class Save:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        letter = {
            "rcpt": envelope.rcpt_tos,
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "subject": str(msg["subject"]),
            "content_type": msg.get_content_type(),
            "text": msg.get_content(),
        }
        path = os.path.join(self.directory, f"{self.count:04d}.json")
        with open(path + ".part", "w", encoding="utf-8") as f:
            json.dump(letter, f, ensure_ascii=False)
        os.rename(path + ".part", path)
        return "250 OK"


port, directory = int(sys.argv[1]), sys.argv[2]
controller = Controller(Save(directory), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
