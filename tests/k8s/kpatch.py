"""RFC 7386 merge patch and RFC 6902 JSON patch over plain JSON values.

Errors are split the way the apiserver splits them: a patch document that
cannot be decoded is PatchDecodeError (400), one that decodes but cannot be
applied is PatchApplyError (422), and a failed `test` op is marked so the
old-server mode can answer 500 like pre-1.13 servers did.
"""

import copy


class PatchDecodeError(Exception):
    pass


class PatchApplyError(Exception):
    def __init__(self, message, test_failed=False, path=""):
        super().__init__(message)
        self.test_failed = test_failed
        self.path = path


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge_patch(result.get(k), v)
    return result


def json_equal(a, b):
    """Deep equality that keeps true apart from 1, as JSON does."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return a == b


def _tokens(pointer):
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchApplyError('JSON pointer "%s" must start with /' % pointer)
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _index(container, tok, path, allow_end=False):
    if tok == "-" and allow_end:
        return len(container)
    if not tok.isdigit() or (len(tok) > 1 and tok[0] == "0"):
        raise PatchApplyError("invalid array index %s in %s" % (tok, path))
    i = int(tok)
    limit = len(container) if allow_end else len(container) - 1
    if i > limit:
        raise PatchApplyError("index out of bounds: %d in %s" % (i, path))
    return i


def _parent(doc, path, op):
    toks = _tokens(path)
    if not toks:
        return None, None
    cur = doc
    for tok in toks[:-1]:
        if isinstance(cur, dict) and tok in cur:
            cur = cur[tok]
        elif isinstance(cur, list):
            try:
                cur = cur[_index(cur, tok, path)]
            except PatchApplyError:
                raise PatchApplyError("%s operation does not apply: doc is missing path: %s" % (op, path))
        else:
            raise PatchApplyError("%s operation does not apply: doc is missing path: %s" % (op, path))
    return cur, toks[-1]


def _get(doc, path, op):
    parent, key = _parent(doc, path, op)
    if parent is None and key is None:
        return doc
    if isinstance(parent, dict) and key in parent:
        return parent[key]
    if isinstance(parent, list):
        return parent[_index(parent, key, path)]
    raise PatchApplyError("%s operation does not apply: doc is missing path: %s" % (op, path))


def _add(doc, path, value, op="add"):
    parent, key = _parent(doc, path, op)
    if parent is None and key is None:
        return value
    if isinstance(parent, dict):
        parent[key] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, key, path, allow_end=True), value)
    else:
        raise PatchApplyError("%s operation does not apply: doc is missing path: %s" % (op, path))
    return doc


def _remove(doc, path, op="remove"):
    parent, key = _parent(doc, path, op)
    if isinstance(parent, dict) and key in parent:
        return parent.pop(key)
    if isinstance(parent, list):
        return parent.pop(_index(parent, key, path))
    raise PatchApplyError("%s operation does not apply: doc is missing path: %s" % (op, path))


def decode_json_patch(ops):
    if not isinstance(ops, list):
        raise PatchDecodeError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    for o in ops:
        if not isinstance(o, dict) or not isinstance(o.get("op"), str):
            raise PatchDecodeError("Unexpected kind: missing op")
        if o["op"] not in ("add", "remove", "replace", "test", "move", "copy"):
            raise PatchDecodeError("Unexpected kind: %s" % o["op"])
        if not isinstance(o.get("path"), str):
            raise PatchDecodeError("%s operation missing path" % o["op"])
        if o["op"] in ("add", "replace", "test") and "value" not in o:
            raise PatchDecodeError("%s operation missing value" % o["op"])
        if o["op"] in ("move", "copy") and not isinstance(o.get("from"), str):
            raise PatchDecodeError("%s operation missing from" % o["op"])
    return ops


def json_patch(doc, ops):
    doc = copy.deepcopy(doc)
    for o in decode_json_patch(ops):
        op, path = o["op"], o["path"]
        if op == "add":
            doc = _add(doc, path, copy.deepcopy(o["value"]))
        elif op == "remove":
            _remove(doc, path)
        elif op == "replace":
            _get(doc, path, "replace")
            parent, key = _parent(doc, path, "replace")
            if parent is None and key is None:
                doc = copy.deepcopy(o["value"])
            elif isinstance(parent, list):
                parent[_index(parent, key, path)] = copy.deepcopy(o["value"])
            else:
                parent[key] = copy.deepcopy(o["value"])
        elif op == "test":
            try:
                cur = _get(doc, path, "test")
            except PatchApplyError:
                cur = None
            if not json_equal(cur, o["value"]):
                # evanphx/json-patch v4: errors.Wrapf(ErrTestFailed, "testing value %s failed", path)
                raise PatchApplyError("testing value %s failed: test failed" % path,
                                      test_failed=True, path=path)
        elif op == "move":
            if path.startswith(o["from"] + "/"):
                raise PatchApplyError("move operation does not apply: cannot move %s into its own child %s"
                                      % (o["from"], path))
            value = _remove(doc, o["from"], "move")
            doc = _add(doc, path, value, "move")
        elif op == "copy":
            value = copy.deepcopy(_get(doc, o["from"], "copy"))
            doc = _add(doc, path, value, "copy")
    return doc
