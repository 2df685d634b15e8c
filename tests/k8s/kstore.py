"""The object store: modeled resources, one global resourceVersion, label selectors.

One lock guards everything (objects, counter, injected conflicts) because the
real guarantee tests lean on is linearizable writes per object, and a single
lock is the simplest thing that cannot get that wrong.
"""

import copy
import re
import threading
import time
import uuid


class Resource:
    def __init__(self, group, version, name, kind, subresources=(), generation=False, builtin=True):
        self.group, self.version, self.name, self.kind = group, version, name, kind
        self.subresources = subresources
        self.generation = generation   # strategy bumps metadata.generation on spec change
        self.builtin = builtin         # CRDs keep kind/apiVersion on list items; built-ins do not

    @property
    def api_version(self):
        return self.version if not self.group else "%s/%s" % (self.group, self.version)


RESOURCES = [
    Resource("", "v1", "services", "Service", ("status",)),
    Resource("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", (), generation=True),
    Resource("gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute", ("status",),
             generation=True, builtin=False),
    Resource("networking.k8s.io", "v1", "ingresses", "Ingress", ("status",), generation=True),
    Resource("batch", "v1", "cronjobs", "CronJob", ("status",), generation=True),
    Resource("batch", "v1", "jobs", "Job", ("status",), generation=True),
]
BY_PATH = {(r.group, r.version, r.name): r for r in RESOURCES}
BY_KIND = {(r.api_version, r.kind): r for r in RESOURCES}
BY_NAME = {r.name: r for r in RESOURCES}


def rfc3339(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))


def parse_rfc3339(s):
    import datetime
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


# --- label selectors (the string form accepted by ?labelSelector=) ---

_REQ = re.compile(r"\s*(!?)\s*([A-Za-z0-9./_-]+)\s*(?:(==|=|!=)\s*([A-Za-z0-9._-]*)"
                  r"|\s+(in|notin)\s*\(([^)]*)\)|)\s*(?:,|$)")


class SelectorError(Exception):
    pass


def parse_selector(text):
    reqs, pos = [], 0
    text = text or ""
    while pos < len(text):
        m = _REQ.match(text, pos)
        if not m or m.end() == pos:
            raise SelectorError('unable to parse requirement: found "%s"' % text[pos:])
        neg, key, op, val, setop, setvals = m.groups()
        if neg and (op or setop):
            raise SelectorError("invalid selector: %s" % text)
        if neg:
            reqs.append(("!", key, None))
        elif op:
            reqs.append(("!=" if op == "!=" else "=", key, val))
        elif setop:
            reqs.append((setop, key, {v.strip() for v in setvals.split(",")}))
        else:
            reqs.append(("exists", key, None))
        pos = m.end()
    return reqs


def selector_matches(reqs, labels):
    labels = labels or {}
    for op, key, val in reqs:
        have = key in labels
        if op == "=" and labels.get(key) != val:
            return False
        if op == "!=" and have and labels[key] == val:
            return False
        if op == "in" and (not have or labels[key] not in val):
            return False
        if op == "notin" and have and labels[key] in val:
            return False
        if op == "exists" and not have:
            return False
        if op == "!" and have:
            return False
    return True


def parse_field_selector(text):
    out = []
    for part in filter(None, (text or "").split(",")):
        m = re.match(r"^([^=!]+)(==|=|!=)(.*)$", part)
        if not m:
            raise SelectorError("invalid field selector: %s" % part)
        key, op, val = m.groups()
        if key not in ("metadata.name", "metadata.namespace"):
            raise SelectorError('field label not supported: %s' % key)
        out.append((key, op != "!=", val))
    return out


def field_matches(reqs, obj):
    md = obj.get("metadata", {})
    for key, eq, val in reqs:
        have = md.get(key.split(".")[1], "")
        if (have == val) != eq:
            return False
    return True


class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.rv = 0
        self.objects = {}          # (resource name, namespace, name) -> object
        self.conflicts = {}        # same key -> injected concurrent writes still pending

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def seed(self, obj):
        """Objects in the state file are existing cluster state: kept timestamps and status are honoured."""
        res = BY_KIND.get((obj.get("apiVersion"), obj.get("kind")))
        if res is None:
            raise ValueError("state object of unmodeled type %s %s" % (obj.get("apiVersion"), obj.get("kind")))
        md = obj.setdefault("metadata", {})
        if not md.get("name") or not md.get("namespace"):
            raise ValueError("state object needs metadata.name and metadata.namespace")
        self.create(res, obj)

    def create(self, res, obj, now=None):
        with self.lock:
            obj = copy.deepcopy(obj)
            md = obj.setdefault("metadata", {})
            md.setdefault("uid", str(uuid.uuid4()))
            md.setdefault("creationTimestamp", rfc3339(now if now is not None else time.time()))
            if res.generation:
                md.setdefault("generation", 1)
            obj["apiVersion"], obj["kind"] = res.api_version, res.kind
            md["resourceVersion"] = self.next_rv()
            self.objects[(res.name, md["namespace"], md["name"])] = obj
            return copy.deepcopy(obj)

    def get(self, res, ns, name):
        with self.lock:
            obj = self.objects.get((res.name, ns, name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, res, ns=None, labels=None, fields=None):
        with self.lock:
            items = [copy.deepcopy(o) for (r, n, _), o in self.objects.items()
                     if r == res.name and (ns is None or n == ns)
                     and selector_matches(labels or [], o.get("metadata", {}).get("labels"))
                     and field_matches(fields or [], o)]
            items.sort(key=lambda o: (o["metadata"]["namespace"], o["metadata"]["name"]))
            return items, str(self.rv)

    def put(self, res, obj):
        """Store a new version: the caller has checked preconditions under self.lock."""
        with self.lock:
            obj = copy.deepcopy(obj)
            obj["metadata"]["resourceVersion"] = self.next_rv()
            md = obj["metadata"]
            self.objects[(res.name, md["namespace"], md["name"])] = obj
            return copy.deepcopy(obj)

    def delete(self, res, ns, name):
        with self.lock:
            self.rv += 1
            self.conflicts.pop((res.name, ns, name), None)
            return self.objects.pop((res.name, ns, name), None)

    def inject_conflicts(self, res, ns, name, count):
        with self.lock:
            self.conflicts[(res.name, ns, name)] = self.conflicts.get((res.name, ns, name), 0) + count

    def consume_conflict(self, res, ns, name):
        """A pending injected conflict acts as a concurrent writer landing just before this write."""
        with self.lock:
            key = (res.name, ns, name)
            if self.conflicts.get(key, 0) <= 0 or key not in self.objects:
                return False
            self.conflicts[key] -= 1
            self.objects[key]["metadata"]["resourceVersion"] = self.next_rv()
            return True
