"""A real SMTP server for the e-mail channel's tests (aiosmtpd), on 127.0.0.1.

Prints the port it listens on as its first line, then serves until killed. Each accepted
message is parsed with Python's own e-mail package (an implementation independent of lettre)
and written to OUT/NNNN.json: envelope, From, To, Subject, the decoded body, whether the
session was encrypted and who logged in.

    python3 smtp_server.py --out DIR [--tls starttls|implicit|none] [--cert PEM --key PEM]
        [--user NAME --password SECRET] [--refuse ADDRESS] [--busy]

--refuse answers RCPT for that address with a permanent 550; --busy answers every RCPT with a
transient 451.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import ssl
import sys

try:
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError:
    sys.stderr.write("aiosmtpd is missing: pip install -r tests/requirements.txt\n")
    sys.exit(3)


class Recorder:
    def __init__(self, out, refuse, busy):
        self.out = out
        self.refuse = {address.lower() for address in refuse}
        self.busy = busy
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.busy:
            return "451 4.3.2 System busy, try again later"
        if address.lower() in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(parsed["From"]),
            "to": str(parsed["To"]),
            "subject": str(parsed["Subject"]),
            "date": str(parsed["Date"]),
            "message_id": str(parsed["Message-ID"]),
            "content_type": parsed.get_content_type(),
            "body": parsed.get_content(),
            "encrypted": session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None,
            "login": login(session.auth_data),
        }
        self.count += 1
        path = os.path.join(self.out, f"{self.count:04}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as file:
            json.dump(record, file)
        os.replace(path + ".tmp", path)
        return "250 Message accepted for delivery"


def login(auth_data):
    if isinstance(auth_data, bytes):
        return auth_data.decode()
    return auth_data


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        # handled=False: aiosmtpd itself answers a failure, with 535.
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

    return check


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--tls", choices=["starttls", "implicit", "none"], default="none")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--refuse", action="append", default=[])
    parser.add_argument("--busy", action="store_true")
    args = parser.parse_args()

    context = None
    if args.tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)

    handler = Recorder(args.out, args.refuse, args.busy)
    options = {"hostname": "relay.test", "ident": "aiosmtpd test relay"}
    if args.user:
        options["authenticator"] = authenticator(args.user, args.password)
        options["auth_required"] = True
        # Implicit TLS is encrypted from the first byte; aiosmtpd only counts STARTTLS.
        options["auth_require_tls"] = args.tls == "starttls"
    if args.tls == "starttls":
        options["tls_context"] = context
        options["require_starttls"] = True

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, **options),
        host="127.0.0.1",
        port=0,
        ssl=context if args.tls == "implicit" else None,
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
