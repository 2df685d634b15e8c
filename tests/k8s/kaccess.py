"""Authentication (client certificate, then bearer token) and RBAC-shaped authorization.

Order follows kube-apiserver's union authenticator: x509 is tried before
tokens, and the first success wins. Anonymous access is off (the
--anonymous-auth=false configuration), so no credentials means 401.
"""

import threading
import time

# Paths the default system:discovery / system:public-info-viewer roles open to everyone authenticated.
DISCOVERY_PATHS = ("/api", "/apis", "/version", "/healthz", "/livez", "/readyz", "/openapi")


class Access:
    def __init__(self, tokens, rbac):
        self.lock = threading.Lock()
        self.tokens = dict(tokens or {})
        self.rbac = dict(rbac or {})

    def authenticate(self, authorization, peercert, now=None):
        """Returns (user, groups) or None."""
        if peercert and peercert.get("subject"):
            cn, orgs = None, []
            for rdn in peercert["subject"]:
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
                    elif k == "organizationName":
                        orgs.append(v)
            if cn:
                return cn, orgs + ["system:authenticated"]
        if authorization and authorization.startswith("Bearer "):
            token = authorization[len("Bearer "):].strip()
            with self.lock:
                entry = self.tokens.get(token)
            if entry is None:
                return None
            expires = entry.get("expires")
            if expires is not None and (now if now is not None else time.time()) >= expires:
                return None
            return entry.get("user"), list(entry.get("groups") or []) + ["system:authenticated"]
        return None

    def set_token(self, token, fields):
        with self.lock:
            entry = dict(self.tokens.get(token) or {})
            entry.update(fields)
            self.tokens[token] = entry
            return entry

    def set_rbac(self, rbac):
        with self.lock:
            self.rbac = dict(rbac)

    def _rules(self, user, groups):
        with self.lock:
            rules = list(self.rbac.get(user) or [])
            for g in groups:
                rules += self.rbac.get(g) or []
        return rules

    def allowed(self, user, groups, verb, group, resource, namespace, name):
        """resource is 'cronjobs/status' for subresources; namespace None is cluster scope."""
        def hit(lst, value):
            return not lst or "*" in lst or value in lst
        for r in self._rules(user, groups):
            if r.get("nonResourceURLs"):
                continue
            if not hit(r.get("verbs"), verb) or not hit(r.get("apiGroups"), group):
                continue
            if not hit(r.get("resources"), resource):
                continue
            ns = r.get("namespaces")
            if ns and (namespace is None or namespace not in ns):
                continue
            names = r.get("resourceNames")
            if names and (not name or name not in names):
                continue
            return True
        return False

    def allowed_path(self, user, groups, verb, path):
        if verb == "get" and any(path == p or path.startswith(p + "/") for p in DISCOVERY_PATHS):
            return True
        for r in self._rules(user, groups):
            for u in r.get("nonResourceURLs") or []:
                if (u == path or u == "*" or (u.endswith("*") and path.startswith(u[:-1]))) \
                        and (not r.get("verbs") or verb in r["verbs"] or "*" in r["verbs"]):
                    return True
        return False
