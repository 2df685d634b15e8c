"""metav1.Status bodies, shaped like the ones k8s.io/apimachinery/pkg/api/errors builds.

Clients branch on code, reason and details, so each builder mirrors one
constructor there (NewNotFound, NewForbidden, NewConflict, NewInvalid, ...)
rather than inventing a shape per call site.
"""

import json


class ApiError(Exception):
    """Raised anywhere below the handler; the handler turns it into a response."""

    def __init__(self, code, body):
        super().__init__(body.get("message", ""))
        self.code = code
        self.body = body


def status(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message}
    if reason:
        body["reason"] = reason
    if details is not None:
        body["details"] = details
    body["code"] = code
    return ApiError(code, body)


def qualified(res):
    """'services' for core, 'cronjobs.batch' otherwise, as GroupResource.String() prints."""
    return res.name if not res.group else "%s.%s" % (res.name, res.group)


def _details(res, name, resource_name=None, **extra):
    d = {}
    if name:
        d["name"] = name
    if res is not None and res.group:
        d["group"] = res.group
    d["kind"] = resource_name or (res.name if res is not None else "")
    d.update(extra)
    return d


def unauthorized():
    return status(401, "Unauthorized", "Unauthorized")


def not_found_path():
    return status(404, "NotFound", "the server could not find the requested resource", {})


def not_found(res, name):
    return status(404, "NotFound", '%s "%s" not found' % (qualified(res), name),
                  _details(res, name))


def forbidden(res, resource_label, name, user, verb, group, namespace):
    """resource_label is 'cronjobs/status' for subresources, as RBAC sees it."""
    what = qualified(res) if res is not None else resource_label
    subject = '%s "%s"' % (what, name) if name else what
    scope = 'in the namespace "%s"' % namespace if namespace else "at the cluster scope"
    msg = '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s" %s' % (
        subject, user, verb, resource_label, group, scope)
    return status(403, "Forbidden", msg, _details(res, name, resource_label.split("/")[0]))


def forbidden_path(user, verb, path):
    return status(403, "Forbidden",
                  'forbidden: User "%s" cannot %s path "%s"' % (user, verb, path), {})


def conflict(res, name):
    msg = ('Operation cannot be fulfilled on %s "%s": the object has been modified; '
           'please apply your changes to the latest version and try again') % (qualified(res), name)
    return status(409, "Conflict", msg, _details(res, name))


def field_error(field, value, detail, reason="FieldValueInvalid"):
    return {"field": field, "value": value, "detail": detail, "reason": reason}


def _render_value(v):
    # field.Invalid prints strings quoted and other values with %v.
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


def invalid(kind, group, name, errs):
    """NewInvalid: message '<Kind>[.group] "name" is invalid: <errs>'."""
    causes, texts = [], []
    for e in errs:
        if e["reason"] == "FieldValueTypeInvalid":
            text = "Invalid value: %s: %s" % (_render_value(e["value"]), e["detail"])
        elif e["reason"] == "FieldValueRequired":
            text = "Required value" + (": " + e["detail"] if e["detail"] else "")
        else:
            text = "Invalid value: %s: %s" % (_render_value(e["value"]), e["detail"])
        causes.append({"reason": e["reason"], "message": text, "field": e["field"]})
        texts.append("%s: %s" % (e["field"], text))
    qkind = kind if not group else "%s.%s" % (kind, group)
    joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    d = {}
    if name:
        d["name"] = name
    if group:
        d["group"] = group
    if kind:
        d["kind"] = kind
    d["causes"] = causes
    return status(422, "Invalid", '%s "%s" is invalid: %s' % (qkind, name, joined), d)


def unprocessable(server_message):
    """NewGenericServerResponse(422, ...): what a failed json-patch op returns since 1.13."""
    return status(422, "Invalid", "the server rejected our request due to an error in our request",
                  {"causes": [{"reason": "UnexpectedServerResponse", "message": server_message}]})


def bad_request(message):
    return status(400, "BadRequest", message)


def unsupported_media(accepted):
    return status(415, "UnsupportedMediaType",
                  "the body of the request was in an unknown format - accepted media types include: "
                  + ", ".join(accepted))


def method_not_allowed():
    return status(405, "MethodNotAllowed",
                  "the server does not allow this method on the requested resource", {})


def internal(message):
    return status(500, "InternalError", "Internal error occurred: " + message,
                  {"causes": [{"message": message}]})
