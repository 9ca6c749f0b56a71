"""A real SMTP server on loopback for the tests of `gen send` (aiosmtpd).

Usage: smtp_server.py OUT_DIR [--auth USER:PASSWORD]
Each message received is saved as OUT_DIR/N.eml, its envelope as N.json.
Prints "READY PORT" once listening; stops when stdin closes or after 120 s."""
import json
import logging
import os
import socket
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

logging.disable(logging.WARNING)
out_dir = sys.argv[1]
auth = None
if "--auth" in sys.argv:
    auth = sys.argv[sys.argv.index("--auth") + 1].split(":", 1)


class Saver:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(out_dir, str(self.count))
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, f)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and [data.login.decode(), data.password.decode()] == auth
    return AuthResult(success=ok, handled=False)


with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    free_port = probe.getsockname()[1]
kwargs = {"hostname": "127.0.0.1", "port": free_port}
if auth:
    kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=False)
controller = Controller(Saver(), **kwargs)
controller.start()
print(f"READY {free_port}", flush=True)
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
done.wait(120)
controller.stop()
