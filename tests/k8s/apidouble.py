#!/usr/bin/python3
"""A local HTTPS Kubernetes API double for tests of the kubernetes router driver.

Debian ships no kube-apiserver, so driver tests talk to this instead. It
models a small, documented slice of the API (see README.md) and refuses what
the real API refuses within that slice. This file is the process: CLI, TLS,
and the per-request pipeline authn -> request info -> authz -> handler.
"""

import argparse
import json
import os
import signal
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import kaccess    # noqa: E402
import kapi       # noqa: E402
import kcontrol   # noqa: E402
import kcron      # noqa: E402
import kstatus    # noqa: E402
import kstore     # noqa: E402

MAX_BODY = 3 * 1024 * 1024   # the apiserver's request size limit
_log_lock = threading.Lock()


def log(line):
    with _log_lock:
        sys.stderr.write("apidouble: %s\n" % line)
        sys.stderr.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "apidouble"

    def setup(self):
        # The handshake runs here, in the request thread, so a stalled client cannot block accept().
        self.request.settimeout(30)
        self.request.do_handshake()
        super().setup()

    def log_message(self, fmt, *args):
        pass   # one line per request is written by _finish_request instead

    def do_GET(self):
        self._dispatch("GET")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _send(self, code, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else \
            (json.dumps(body, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.write(data)
        return code

    def _dispatch(self, method):
        app = self.server.app
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        ctype = self.headers.get("Content-Type", "")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            code = self._send(413, kstatus.status(413, "RequestEntityTooLarge",
                                                  "Request entity too large").body)
            log("- %s %s %d" % (method, url.path, code))
            return
        body = self.rfile.read(length) if length else b""
        if url.path == "/_double" or url.path.startswith("/_double/"):
            parts = [p for p in url.path.split("/")[2:] if p]
            code, out = app.control.handle(method, parts, query, self.headers, body)
            self._send(code, out)
            log("control %s %s %d" % (method, url.path, code))
            return
        user = None
        try:
            ident = app.access.authenticate(self.headers.get("Authorization"), self.request.getpeercert())
            if ident is None:
                raise kstatus.unauthorized()
            user, groups = ident
            code = self._serve(app, method, url.path, query, ctype, body, user, groups)
        except kstatus.ApiError as e:
            code = self._send(e.code, e.body)
        except Exception as e:   # never let a bug look like a hung server
            log("internal error: %r" % e)
            code = self._send(500, kstatus.internal(repr(e)).body)
        app.reqlog.add({"time": round(time.time(), 3), "method": method, "path": url.path,
                        "query": url.query, "contentType": ctype, "user": user, "status": code})
        log("%s %s %s%s %d %s" % (user or "-", method, url.path, "?" + url.query if url.query else "",
                                   code, ctype or "-"))

    def _serve(self, app, method, path, query, ctype, body, user, groups):
        info = kapi.request_info(method, path, query)
        if not info.resource_request:
            verb = method.lower()
            if not app.access.allowed_path(user, groups, verb, path):
                raise kstatus.forbidden_path(user, verb, path)
            if path == "/version" and method == "GET":
                return self._send(200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0-apidouble",
                                        "platform": "linux/amd64"})
            if path in ("/healthz", "/livez", "/readyz") and method == "GET":
                return self._send(200, b"ok", "text/plain; charset=utf-8")
            if path == "/api" or path.startswith("/api/") or path == "/apis" or path.startswith("/apis/"):
                raise kstatus.not_found_path()
            return self._send(404, b"404 page not found\n", "text/plain; charset=utf-8")
        label = info.resource + ("/" + info.subresource if info.subresource else "")
        if not app.access.allowed(user, groups, info.verb, info.group, label, info.namespace or None, info.name):
            res = kstore.BY_PATH.get((info.group, info.version, info.resource)) or \
                kstore.Resource(info.group, info.version, info.resource, "")
            raise kstatus.forbidden(res, label, info.name, user, info.verb, info.group, info.namespace)
        code, out = app.api.handle(method, info, query, ctype, body)
        return self._send(code, out)


class DoubleServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        log("connection from %s failed: %r" % (client_address[0], sys.exc_info()[1]))


class App:
    pass


def load_state(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith((".yaml", ".yml")):
        import yaml
        return yaml.safe_load(text) or {}
    return json.loads(text)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Kubernetes API double (tests only)")
    ap.add_argument("--state", required=True)
    ap.add_argument("--tls-cert", required=True)
    ap.add_argument("--tls-key", required=True)
    ap.add_argument("--client-ca", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--control-secret", default=os.environ.get("APIDOUBLE_CONTROL_SECRET"))
    ap.add_argument("--old-server", action="store_true",
                    help="answer a failed json-patch test op with 500, as pre-1.13 apiservers did")
    ap.add_argument("--tick", type=float, default=0.2, help="CronJob controller period in seconds")
    args = ap.parse_args(argv)

    state = load_state(args.state)
    app = App()
    app.store = kstore.Store()
    for obj in state.get("objects") or []:
        app.store.seed(obj)
    app.access = kaccess.Access(state.get("tokens"), state.get("rbac"))
    app.api = kapi.Api(app.store, old_server=args.old_server)
    app.controller = kcron.Controller(app.store, tick=args.tick, log=log)
    app.reqlog = kcontrol.RequestLog()
    app.control = kcontrol.Control(args.control_secret, app.store, app.access, app.controller, app.reqlog)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    ctx.load_verify_locations(cafile=args.client_ca)
    ctx.verify_mode = ssl.CERT_OPTIONAL

    if ":" in args.host:
        DoubleServer.address_family = __import__("socket").AF_INET6
    server = DoubleServer((args.host, args.port), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.app = app

    def stop(signum, frame):
        # shutdown() waits for serve_forever() to return, so it cannot run on this (the serving) thread
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    app.controller.start()
    port = server.server_address[1]
    tmp = "%s.tmp.%d" % (args.port_file, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, args.port_file)
    log("listening on https://%s:%d (old-server=%s, control=%s)"
        % (args.host, port, args.old_server, "on" if args.control_secret else "off"))
    server.serve_forever(poll_interval=0.5)
    app.controller.stop()
    server.server_close()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
