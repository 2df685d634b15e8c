"""Validation of a patched object before it is stored.

Two layers, as in the apiserver: for built-in types a wrong JSON type fails
while decoding into the Go struct (reported against field "patch" with an
empty kind), and a well-typed but wrong value fails the type's validation
(reported as '<Kind> "name" is invalid'). CRDs (HTTPRoute) are checked by
their OpenAPI schema, which reports both kinds of error per field.
Only the fields listed in README.md are modeled.
"""

import json
import zoneinfo

import kstatus
from kstatus import field_error

_JSON_TYPE = {bool: "bool", int: "number", float: "number", str: "string",
              list: "array", dict: "object", type(None): "null"}


def _jtype(v):
    return _JSON_TYPE.get(type(v), "value")


class _Decode(Exception):
    pass


def _need(value, pytype, gostruct, path, gotype):
    if value is None:
        return
    ok = isinstance(value, pytype) and not (pytype is int and isinstance(value, bool))
    if not ok:
        raise _Decode("json: cannot unmarshal %s into Go struct field %s.%s of type %s"
                      % (_jtype(value), gostruct, path, gotype))


def _string_map(value, gostruct, path):
    _need(value, dict, gostruct, path, "map[string]string")
    for v in (value or {}).values():
        _need(v, str, gostruct, path, "string")


def _decode_builtin(res, obj):
    md = obj.get("metadata") or {}
    _string_map(md.get("labels"), "ObjectMeta", "metadata.labels")
    _string_map(md.get("annotations"), "ObjectMeta", "metadata.annotations")
    spec = obj.get("spec") or {}
    if res.name == "services":
        _string_map(spec.get("selector"), "ServiceSpec", "spec.selector")
        _need(spec.get("ports"), list, "ServiceSpec", "spec.ports", "[]v1.ServicePort")
        for p in spec.get("ports") or []:
            _need(p, dict, "ServiceSpec", "spec.ports", "v1.ServicePort")
            _need(p.get("port"), int, "ServicePort", "spec.ports.port", "int32")
    if res.name == "cronjobs":
        _need(spec.get("suspend"), bool, "CronJobSpec", "spec.suspend", "bool")
        _need(spec.get("schedule"), str, "CronJobSpec", "spec.schedule", "string")
        _need(spec.get("timeZone"), str, "CronJobSpec", "spec.timeZone", "string")
        _need(spec.get("startingDeadlineSeconds"), int, "CronJobSpec", "spec.startingDeadlineSeconds", "int64")
        _need(spec.get("concurrencyPolicy"), str, "CronJobSpec", "spec.concurrencyPolicy", "v1.ConcurrencyPolicy")
        for f in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
            _need(spec.get(f), int, "CronJobSpec", "spec." + f, "int32")


def parse_schedule(schedule):
    """Returns (croniter expression, seconds_first). Raises ValueError with the reason."""
    import croniter
    if not isinstance(schedule, str) or not schedule.strip():
        raise ValueError("schedule is required")
    if "TZ=" in schedule:
        raise ValueError("cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
    fields = schedule.split()
    if schedule.strip().startswith("@every"):
        raise ValueError("@every is not modeled by the double")
    seconds_first = len(fields) == 6
    expr = " ".join(fields[1:] + fields[:1]) if seconds_first else schedule
    if not seconds_first and not (len(fields) == 5 or (len(fields) == 1 and fields[0].startswith("@"))):
        raise ValueError("expected exactly 5 fields, found %d: %s" % (len(fields), schedule))
    if not croniter.croniter.is_valid(expr):
        raise ValueError("failed to parse schedule: %s" % schedule)
    return expr, seconds_first


def _cronjob_errors(spec):
    errs = []
    try:
        parse_schedule(spec.get("schedule"))
    except ValueError as e:
        if not spec.get("schedule"):
            errs.append(field_error("spec.schedule", "", "", "FieldValueRequired"))
        else:
            errs.append(field_error("spec.schedule", spec.get("schedule"), str(e)))
    tz = spec.get("timeZone")
    if tz is not None:
        try:
            zoneinfo.ZoneInfo(tz)
        except Exception:
            errs.append(field_error("spec.timeZone", tz, "unknown time zone " + tz))
    cp = spec.get("concurrencyPolicy")
    if cp is not None and cp not in ("Allow", "Forbid", "Replace"):
        errs.append({"field": "spec.concurrencyPolicy", "value": cp, "reason": "FieldValueNotSupported",
                     "detail": 'supported values: "Allow", "Forbid", "Replace"'})
    for f in ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        v = spec.get(f)
        if v is not None and v < 0:
            errs.append(field_error("spec." + f, v, "must be greater than or equal to 0"))
    return errs


def _service_errors(spec):
    errs = []
    for i, p in enumerate(spec.get("ports") or []):
        port = p.get("port")
        if port is None or not 1 <= port <= 65535:
            errs.append(field_error("spec.ports[%d].port" % i, port or 0,
                                    "must be between 1 and 65535, inclusive"))
    return errs


def _httproute_errors(spec):
    errs = []
    if not isinstance(spec, dict):
        return [field_error("spec", _jtype(spec), "spec in body must be of type object: %s" % json.dumps(_jtype(spec)),
                            "FieldValueTypeInvalid")]
    for i, rule in enumerate(spec.get("rules") or []):
        for j, ref in enumerate((rule or {}).get("backendRefs") or []):
            path = "spec.rules[%d].backendRefs[%d].weight" % (i, j)
            w = (ref or {}).get("weight")
            if w is None:
                continue
            if isinstance(w, bool) or not isinstance(w, int):
                errs.append(field_error(path, _jtype(w) if not isinstance(w, float) else "number",
                                        '%s in body must be of type integer: "%s"' % (path, _jtype(w)),
                                        "FieldValueTypeInvalid"))
            elif w < 0:
                errs.append(field_error(path, w, "%s in body should be greater than or equal to 0" % path))
            elif w > 1000000:
                errs.append(field_error(path, w, "%s in body should be less than or equal to 1000000" % path))
    return errs


def decode(res, new):
    """The decode step a built-in type goes through right after the patch is applied."""
    if res.builtin and isinstance(new, dict):
        try:
            _decode_builtin(res, new)
        except _Decode as e:
            raise kstatus.invalid("", "", "", [field_error("patch", json.dumps(new, separators=(",", ":")), str(e))])


def validate(res, old, new):
    """Raise kstatus.ApiError(422) if `new` may not replace `old`."""
    name = old["metadata"]["name"]
    if not isinstance(new, dict) or not isinstance(new.get("metadata"), dict):
        raise kstatus.invalid(res.kind, res.group, name,
                              [field_error("metadata", None, "metadata must be an object")])
    errs = []
    for f in ("name", "namespace", "uid"):
        if new["metadata"].get(f) != old["metadata"].get(f):
            errs.append(field_error("metadata." + f, new["metadata"].get(f), "field is immutable"))
    spec = new.get("spec") if new.get("spec") is not None else {}
    if res.name == "cronjobs":
        errs += _cronjob_errors(spec)
    elif res.name == "services":
        errs += _service_errors(spec)
    elif res.name == "httproutes":
        errs += _httproute_errors(spec)
    if errs:
        raise kstatus.invalid(res.kind, res.group, name, errs)
