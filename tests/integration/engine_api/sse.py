"""Event-stream checks against the engine.
  sse.py WHERE down SVC SET_URL BOUND_MS [TOKEN]
      snapshot first; wait for SVC's green side up; GET SET_URL (the
      simulator's control API); time until a delta says green is down.
  sse.py WHERE gaps SECONDS
      read for SECONDS; the most time between two deltas.
WHERE: a unix socket path or HOST:PORT."""
import json
import sys
import time
import urllib.request

sys.path.insert(0, sys.path[0])
import engapi


def green_health(data, svc):
    for s in json.loads(data).get("services", []):
        if s.get("name") == svc:
            return s["green"]["health"]
    return None


def down(where, svc, set_url, bound_ms):
    ev = engapi.Events(where)
    if ev.status != 200:
        print("status %d" % ev.status)
        return 1
    t, name, data = ev.next_event(5)
    if name != "snapshot":
        print("first event is %r, not snapshot" % name)
        return 1
    h = green_health(data, svc)
    deadline = time.monotonic() + 15
    deltas = 0
    while h != "up":
        t, name, data = ev.next_event(deadline - time.monotonic())
        if name == "delta":
            deltas += 1
            h = green_health(data, svc) or h
    urllib.request.urlopen(set_url, timeout=5).read()
    t0 = time.monotonic()
    deadline = t0 + 10
    while True:
        t, name, data = ev.next_event(deadline - time.monotonic())
        if name == "delta":
            deltas += 1
            if green_health(data, svc) == "down":
                break
    ms = (t - t0) * 1000
    print("first=snapshot deltas=%d down_after_ms=%.0f bound_ms=%s" % (deltas, ms, bound_ms))
    return 0 if ms <= float(bound_ms) else 1


def gaps(where, seconds):
    ev = engapi.Events(where)
    end = time.monotonic() + float(seconds)
    first = None
    last = None
    n = 0
    worst = 0.0
    worst_at = 0.0
    t_start = time.monotonic()
    names = {}
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        try:
            got = ev.next_event(min(left, 5))
        except Exception:  # noqa: a silence longer than the check shows as the gap
            continue
        if got is None:
            print("stream ended early")
            break
        t, name, data = got
        names[name] = names.get(name, 0) + 1
        if first is None:
            first = name
        if name == "delta":
            if last is not None and t - last > worst:
                worst, worst_at = t - last, last - t_start
            last = t
            n += 1
    if last is not None:
        worst = max(worst, time.monotonic() - last)
    print("first=%s deltas=%d max_gap_ms=%.0f (from %.1f s) bytes_per_s=%.0f events=%s" % (
          first, n, worst * 1000, worst_at, ev.bytes / float(seconds),
          ",".join("%s:%d" % kv for kv in sorted(names.items()))))
    return 0


if __name__ == "__main__":
    where, mode = sys.argv[1], sys.argv[2]
    if mode == "down":
        sys.exit(down(where, *sys.argv[3:6]))
    sys.exit(gaps(where, sys.argv[3]))
