#!/usr/bin/env python3
"""A proxy in front of an S3 server that answers every Nth ranged GET (or, with WHAT "parts",
every Nth UploadPart) with 503 SlowDown itself and passes everything else through unchanged (the
Host header too, so signatures still match). With WHAT "sigv4" it injects no fault but checks
every request's AWS Signature V4 against s3rver's secret (s3_sigv4.py; s3rver itself does not)
and answers a wrong one with 403 SignatureDoesNotMatch, as S3 does; it logs every request's
method, Host and path to standard error, and whether it carries a signed session token.
It writes how many answers it failed to a file, so a test can compare that with the retries a
run reports.

usage: s3_flaky_proxy.py UPSTREAM_PORT EVERY PORT_FILE COUNT_FILE [WHAT (gets)]
It listens on a free port of 127.0.0.1 and writes that port to PORT_FILE once it listens."""
import http.client
import http.server
import sys
import threading

from s3_sigv4 import signature_problem

UPSTREAM_PORT, EVERY = int(sys.argv[1]), int(sys.argv[2])
PORT_FILE, COUNT_FILE = sys.argv[3], sys.argv[4]
WHAT = sys.argv[5] if len(sys.argv) > 5 else "gets"
lock = threading.Lock()
ranged_gets = 0
failed = 0

SLOW_DOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
             b'<Message>Please reduce your request rate.</Message></Error>')
BAD_SIGNATURE = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch'
                 b'</Code><Message>The request signature we calculated does not match the '
                 b'signature you provided. Check your key and signing method.</Message></Error>')
S3RVER_SECRET = "S3RVER"


def count_failure():
    global failed
    with lock:
        failed += 1
        with open(COUNT_FILE, "w") as f:
            f.write(f"{failed}\n")


def token_note(headers):
    """' security-token signed' when the request carries x-amz-security-token among its signed
    headers (its value is never logged), ' security-token unsigned' when it carries it outside
    them, else nothing."""
    if not headers.get("x-amz-security-token"):
        return ""
    signed = headers.get("Authorization", "").partition("SignedHeaders=")[2].split(",")[0]
    return " security-token " + ("signed" if "x-amz-security-token" in signed.split(";")
                                 else "unsigned")


def is_target(method, path, headers):
    if WHAT == "parts":
        return method == "PUT" and "partNumber=" in path
    return method == "GET" and "Range" in headers


def should_fail(method, path, headers):
    global ranged_gets
    if not is_target(method, path, headers):
        return False
    with lock:
        ranged_gets += 1
        if ranged_gets % EVERY:
            return False
    count_failure()
    return True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def log_error(self, *args):
        sys.stderr.write((args[0] % args[1:]) + "\n")

    def answer_error(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if WHAT == "sigv4":
            self.log_error("request %s %s %s%s", self.command, self.headers.get("Host"), self.path,
                           token_note(self.headers))
            problem = signature_problem(self.command, self.path, self.headers, S3RVER_SECRET)
            if problem:
                count_failure()
                self.log_error("refused %s %s: %s", self.command, self.path, problem)
                return self.answer_error(403, BAD_SIGNATURE)
        elif should_fail(self.command, self.path, self.headers):
            return self.answer_error(503, SLOW_DOWN)
        upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM_PORT)
        upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            upstream.putheader(name, value)
        upstream.endheaders(body)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status, answer.reason)
        # A HEAD's Content-Length is the object's size; any other body is sent whole here.
        dropped = ("transfer-encoding", "connection") if self.command == "HEAD" else (
            "transfer-encoding", "connection", "content-length")
        for name, value in answer.getheaders():
            if name.lower() not in dropped:
                self.send_header(name, value)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        upstream.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(COUNT_FILE, "w") as f:
    f.write("0\n")
with open(PORT_FILE, "w") as f:
    f.write(f"{server.server_address[1]}\n")
server.serve_forever()
