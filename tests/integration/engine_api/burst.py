"""burst.py WHERE SVC:WEIGHT ...: makes one plan per argument first, then
applies them back to back, each as soon as the one before is done, so they
all finish within a few hundred ms. Prints each plan's state and the time."""
import json
import sys
import time

sys.path.insert(0, sys.path[0])
import engapi

where = sys.argv[1]
ids = []
for arg in sys.argv[2:]:
    svc, w = arg.split(":")
    c, b = engapi.request(where, "/v1/plans", "POST",
                          body=json.dumps({"targets": [svc], "to": "green", "weight": int(w)}).encode())
    if c != 201:
        print("plan %s: %d %s" % (arg, c, b[:200]))
        sys.exit(1)
    ids.append(json.loads(b)["id"])
t0 = time.monotonic()
rc = 0
for i in ids:
    c, b = engapi.request(where, "/v1/plans/%s/apply" % i, "POST")
    state = "?"
    deadline = time.monotonic() + 5
    while c == 202 and time.monotonic() < deadline:
        state = json.loads(engapi.request(where, "/v1/plans/" + i)[1])["state"]
        if state != "applying":
            break
        time.sleep(0.005)
    print("%s %d %s %.0f ms" % (i, c, state, (time.monotonic() - t0) * 1000))
    rc |= c != 202 or state != "done"
sys.exit(rc)
