"""A real SMTP relay for the e-mail tests: Debian's aiosmtpd with STARTTLS required and AUTH
(PLAIN, LOGIN) required after it, saving each accepted message as <n>.eml in a folder.

Run with /usr/bin/python3 (Debian's python3-aiosmtpd; another python3 on PATH may not import
it): smtp_relay.py PORT CERT KEY USER PASSWORD OUTDIR [--implicit-tls] [--login-only].
--implicit-tls: TLS from the first byte (port 465 style) instead of STARTTLS; --login-only:
AUTH LOGIN alone is offered. Prints "ready" once it listens on 127.0.0.1:PORT and runs until
SIGTERM."""

import itertools
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    port, cert, key, user, password, outdir = sys.argv[1:7]
    options = sys.argv[7:]
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    counter = itertools.count(1)

    class Saver:
        async def handle_DATA(self, server, session, envelope):
            n = next(counter)
            path = os.path.join(outdir, "%d.eml" % n)
            with open(path + ".part", "wb") as f:
                f.write(("X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n"
                         % (envelope.mail_from, ",".join(envelope.rcpt_tos))).encode())
                f.write(envelope.original_content or envelope.content)
            os.rename(path + ".part", path)  # whole files only, for the test's reader
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        # handled=False: aiosmtpd answers 535 itself (handled=True would leave the client
        # waiting for a reply).
        return AuthResult(success=ok, handled=False)

    exclude = ["PLAIN"] if "--login-only" in options else []
    if "--implicit-tls" in options:
        security = dict(ssl_context=tls, auth_require_tls=False)
    else:
        security = dict(tls_context=tls, require_starttls=True)
    controller = Controller(Saver(), hostname="127.0.0.1", port=int(port),
                            server_hostname="relay.test", auth_required=True,
                            auth_exclude_mechanism=exclude, authenticator=authenticator,
                            **security)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    while not stop.wait(0.2):
        pass
    controller.stop()


if __name__ == "__main__":
    main()
