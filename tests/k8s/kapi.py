"""Resource requests: path parsing into request attributes, then get / list / patch.

Parsing mirrors the apiserver's RequestInfoFactory so that authorization can
run before routing, as it does for real: a user without rights gets 403 even
for a resource the server does not have.
"""

import json
from urllib.parse import parse_qs

import kpatch
import kstatus
import kstore
import kvalidate

MERGE = "application/merge-patch+json"
JSONPATCH = "application/json-patch+json"
ACCEPTED = [JSONPATCH, MERGE]


class RequestInfo:
    resource_request = False
    group = version = resource = namespace = name = subresource = ""
    verb = ""


def request_info(method, path, query):
    info = RequestInfo()
    parts = [p for p in path.split("/") if p]
    info.verb = {"GET": "get", "HEAD": "get", "POST": "post", "PUT": "put",
                 "PATCH": "patch", "DELETE": "delete"}.get(method, method.lower())
    if not parts or parts[0] not in ("api", "apis"):
        return info
    if parts[0] == "api" and len(parts) >= 3:
        info.group, info.version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 4:
        info.group, info.version, rest = parts[1], parts[2], parts[3:]
    else:
        return info
    info.resource_request = True
    if rest[0] == "namespaces" and len(rest) >= 3:
        info.namespace, rest = rest[1], rest[2:]
    elif rest[0] == "namespaces" and len(rest) == 2:
        info.namespace = rest[1]  # the namespace object itself
    info.resource = rest[0]
    info.name = rest[1] if len(rest) > 1 else ""
    info.subresource = "/".join(rest[2:])
    watch = query.get("watch", [""])[0] in ("1", "true")
    if method in ("GET", "HEAD") and not info.name:
        info.verb = "watch" if watch else "list"
    elif method == "POST":
        info.verb = "create"
    elif method == "PUT":
        info.verb = "update"
    elif method == "DELETE":
        info.verb = "delete" if info.name else "deletecollection"
    return info


class Api:
    def __init__(self, store, old_server=False):
        self.store = store
        self.old_server = old_server

    def handle(self, method, info, query, content_type, body):
        """Returns (code, json body). Raises kstatus.ApiError."""
        res = kstore.BY_PATH.get((info.group, info.version, info.resource))
        if res is None or (info.subresource and info.subresource not in res.subresources):
            raise kstatus.not_found_path()
        if info.verb == "get":
            return 200, self.get(res, info)
        if info.verb == "list":
            return 200, self.list(res, info, query)
        if info.verb == "patch" and info.name:
            return 200, self.patch(res, info, content_type, body)
        raise kstatus.method_not_allowed()

    def get(self, res, info):
        obj = self.store.get(res, info.namespace, info.name)
        if obj is None:
            raise kstatus.not_found(res, info.name)
        return obj

    def list(self, res, info, query):
        try:
            labels = kstore.parse_selector(query.get("labelSelector", [""])[0])
            fields = kstore.parse_field_selector(query.get("fieldSelector", [""])[0])
        except kstore.SelectorError as e:
            raise kstatus.bad_request(str(e))
        items, rv = self.store.list(res, info.namespace or None, labels, fields)
        if res.builtin:
            for o in items:   # built-in list items are served without kind/apiVersion
                o.pop("kind", None)
                o.pop("apiVersion", None)
        return {"kind": res.kind + "List", "apiVersion": res.api_version,
                "metadata": {"resourceVersion": rv}, "items": items}

    def patch(self, res, info, content_type, body):
        ctype = (content_type or "").split(";")[0].strip().lower()
        if ctype not in ACCEPTED:
            raise kstatus.unsupported_media(ACCEPTED)
        try:
            doc = json.loads(body.decode("utf-8") if body else "")
        except (ValueError, UnicodeDecodeError) as e:
            raise kstatus.bad_request("error decoding patch: %s" % e)
        with self.store.lock:
            self.store.consume_conflict(res, info.namespace, info.name)
            cur = self.store.get(res, info.namespace, info.name)
            if cur is None:
                raise kstatus.not_found(res, info.name)
            new = self._apply(ctype, cur, doc)
            if not isinstance(new, dict):
                raise kstatus.bad_request("patched object is not a JSON object")
            # The precondition is the patched object's resourceVersion, read
            # before the status endpoint resets everything but status.
            md0 = new.get("metadata") if isinstance(new.get("metadata"), dict) else None
            patched_rv = md0.get("resourceVersion") if md0 else None
            if info.subresource == "status":
                # the status endpoint writes status only; everything else is reset
                status = new.get("status")
                new = json.loads(json.dumps(cur))
                new["status"] = status
                if status is None:
                    new.pop("status")
            elif "status" in res.subresources:
                # the main endpoint ignores status changes when a status subresource exists
                new["status"] = cur.get("status")
                if new["status"] is None:
                    new.pop("status")
            kvalidate.decode(res, new)
            want_rv = patched_rv
            if want_rv and want_rv != cur["metadata"]["resourceVersion"]:
                raise kstatus.conflict(res, info.name)
            kvalidate.validate(res, cur, new)
            # server-managed fields: whatever the patch said, they come from the stored object
            new["apiVersion"], new["kind"] = res.api_version, res.kind
            for f in ("creationTimestamp", "generation", "resourceVersion"):
                if f in cur["metadata"]:
                    new["metadata"][f] = cur["metadata"][f]
                else:
                    new["metadata"].pop(f, None)
            if kpatch.json_equal(new, cur):
                return cur          # a no-op patch does not write, so resourceVersion stays
            if res.generation and not kpatch.json_equal(new.get("spec"), cur.get("spec")):
                new["metadata"]["generation"] = cur["metadata"].get("generation", 1) + 1
            return self.store.put(res, new)

    def _apply(self, ctype, cur, doc):
        if ctype == MERGE:
            if not isinstance(doc, dict):
                raise kstatus.bad_request("error decoding patch: merge patch must be a JSON object")
            return kpatch.merge_patch(cur, doc)
        try:
            return kpatch.json_patch(cur, doc)
        except kpatch.PatchDecodeError as e:
            raise kstatus.bad_request(str(e))
        except kpatch.PatchApplyError as e:
            if self.old_server:
                # pre-1.13 apiservers passed json-patch errors through as a 500 (kubernetes#68202)
                msg = "Testing value %s failed" % e.path if e.test_failed else str(e)
                raise kstatus.ApiError(500, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                             "status": "Failure", "message": msg, "code": 500})
            raise kstatus.unprocessable(str(e))


def parse_query(qs):
    return parse_qs(qs, keep_blank_values=True)
