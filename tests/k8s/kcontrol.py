"""The test-only control API under /_double/, guarded by X-Double-Control.

It is deliberately not Kubernetes-shaped (plain JSON, no Status kind) so a
driver under test can never mistake it for the API it is being tested against.
"""

import hmac
import json
import threading
import time

import kstore


class RequestLog:
    def __init__(self):
        self.lock = threading.Lock()
        self.rows = []

    def add(self, row):
        with self.lock:
            self.rows.append(row)

    def clear(self):
        with self.lock:
            self.rows = []

    def report(self):
        with self.lock:
            rows = list(self.rows)
        counters = {"requests": len(rows), "byStatus": {}, "byMethod": {}, "byUser": {}}
        for r in rows:
            for name, key in (("byStatus", str(r["status"])), ("byMethod", r["method"]), ("byUser", r["user"] or "-")):
                counters[name][key] = counters[name].get(key, 0) + 1
        return {"requests": rows, "counters": counters}


class Control:
    def __init__(self, secret, store, access, controller, reqlog):
        self.secret, self.store, self.access = secret, store, access
        self.controller, self.reqlog = controller, reqlog

    def handle(self, method, parts, query, headers, body):
        """parts: path split after /_double/. Returns (code, json body)."""
        if not self.secret:
            return 404, {"error": "control API disabled: start with --control-secret"}
        if not hmac.compare_digest((headers.get("X-Double-Control") or "").encode(), self.secret.encode()):
            return 403, {"error": "missing or wrong X-Double-Control"}
        try:
            data = json.loads(body) if body else {}
        except ValueError as e:
            return 400, {"error": "bad JSON: %s" % e}
        route = (method, parts[0] if parts else "")
        if route == ("GET", "log"):
            return 200, self.reqlog.report()
        if route == ("DELETE", "log"):
            self.reqlog.clear()
            return 200, {}
        if route == ("GET", "ledger"):
            def num(k):
                return float(query[k][0]) if k in query else None
            return 200, self.controller.ledger(num("since"), num("until"))
        if route == ("GET", "events"):
            with self.store.lock:
                return 200, {"events": [dict(e) for e in self.controller.events]}
        if route == ("POST", "conflicts"):
            res = kstore.BY_NAME.get(data.get("resource"))
            if res is None or not data.get("namespace") or not data.get("name"):
                return 400, {"error": "need resource, namespace, name"}
            self.store.inject_conflicts(res, data["namespace"], data["name"], int(data.get("count", 1)))
            return 200, {"pending": self.store.conflicts[(res.name, data["namespace"], data["name"])]}
        if parts[:1] == ["tokens"] and len(parts) >= 2:
            return self._token(method, parts, data)
        if route == ("PUT", "rbac"):
            self.access.set_rbac(data)
            return 200, {}
        if parts[:1] == ["objects"] and len(parts) == 4:
            return self._object(method, parts[1:], data)
        return 404, {"error": "no such control endpoint"}

    def _token(self, method, parts, data):
        token = parts[1]
        if method == "POST" and parts[2:] == ["expire"]:
            if token not in self.access.tokens:
                return 404, {"error": "no such token"}
            return 200, self.access.set_token(token, {"expires": time.time()})
        if method == "PUT" and len(parts) == 2:
            fields = {k: data[k] for k in ("user", "groups", "expires") if k in data}
            return 200, self.access.set_token(token, fields)
        return 404, {"error": "no such control endpoint"}

    def _object(self, method, parts, data):
        res = kstore.BY_NAME.get(parts[0])
        if res is None:
            return 404, {"error": "unmodeled resource %s" % parts[0]}
        ns, name = parts[1], parts[2]
        with self.store.lock:
            cur = self.store.get(res, ns, name)
            if method == "GET":
                return (200, cur) if cur is not None else (404, {"error": "not found"})
            if method == "DELETE":
                return (200, self.store.delete(res, ns, name)) if cur is not None else (404, {"error": "not found"})
            if method != "PUT":
                return 405, {"error": "GET, PUT or DELETE"}
            md = data.setdefault("metadata", {})
            md["name"], md["namespace"] = name, ns
            if cur is None:
                return 201, self.store.create(res, data)
            for f in ("uid", "creationTimestamp"):
                md.setdefault(f, cur["metadata"].get(f))
            data["apiVersion"], data["kind"] = res.api_version, res.kind
            return 200, self.store.put(res, data)
