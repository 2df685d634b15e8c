#!/usr/bin/python3
"""Hands a job back and forth N times through `cutover move`, each request
at a chosen moment relative to the job's fires: one second before a fire
(inside the guard: it must wait), just after a fire (a run is active: it
must wait), or at random. Prints one line per handoff and a summary; the
calling suite checks the simulator's truth and cutover's ledger after.

usage: jobs_handoff.py BIN CONFIG JOB PERIOD_S N SEED LIMIT_S [FIRST_SIDE]
LIMIT_S: the most a handoff may take from intent to outcome (one period
plus the tool's time). Exit 0 when every move applied within it."""
import json
import random
import subprocess
import sys
import time


def outcomes(journal, job):
    """(intent time, outcome time) per plan of JOB, from the journal."""
    plans = {}
    with open(journal) as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get("service") != job or r.get("type") not in ("intent", "outcome"):
                continue
            t = r["time"]
            ts = time.mktime(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
            ts += float("0." + t[20:23]) if len(t) > 20 else 0
            p = plans.setdefault(r.get("plan"), {})
            p[r["type"]] = ts
            if r["type"] == "outcome":
                p["result"] = r.get("result")
    return plans


def main():
    binary, config, job, period, n, seed, limit = sys.argv[1:8]
    period, n, limit = float(period), int(n), float(limit)
    rnd = random.Random(int(seed))
    to = sys.argv[8] if len(sys.argv) > 8 else "green"
    bad = 0
    made = []
    for k in range(n):
        now = time.time()
        nxt = (int(now // period) + 1) * period
        mode = ("before-fire", "run-active", "random")[k % 3]
        if mode == "before-fire":
            at = nxt - 1.0
        elif mode == "run-active":
            at = nxt + 0.15
        else:
            at = now + rnd.uniform(0, period)
        if at < now:
            at += period
        time.sleep(max(0.0, at - time.time()))
        t0 = time.time()
        p = subprocess.run([binary, "move", "-c", config, job, "--to", to, "--yes"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        t1 = time.time()
        waited = "handoff waits" in p.stderr
        plan = ""
        for line in p.stdout.splitlines():
            if line.startswith("plan p-"):
                plan = line.split()[1].rstrip(":")
        ok = p.returncode == 0
        bad += not ok
        made.append(plan)
        print("handoff %3d to %-5s %-11s at %+5.2f s of the fire: exit %d, %.2f s%s" %
              (k + 1, to, mode, at - nxt if mode != "random" else at - nxt, p.returncode,
               t1 - t0, ", waited" if waited else ""))
        if not ok:
            print("    " + (p.stdout + p.stderr).replace("\n", "\n    ")[-1500:])
        to = "blue" if to == "green" else "green"
    cfg = json.load(open(config))
    plans = outcomes("%s/%s.journal.jsonl" % (cfg["state_dir"], cfg["release"]), job)
    slow = 0
    worst = 0.0
    for plan in made:
        p = plans.get(plan, {})
        if "intent" not in p or "outcome" not in p or p.get("result") != "applied":
            print("plan %s: no applied outcome in the journal: %s" % (plan, p))
            bad += 1
            continue
        took = p["outcome"] - p["intent"]
        worst = max(worst, took)
        if took > limit:
            print("plan %s took %.2f s > %.2f s" % (plan, took, limit))
            slow += 1
    print("handoffs: %d, failed %d, over the limit %d, slowest %.2f s (limit %.2f s)" %
          (n, bad, slow, worst, limit))
    return 0 if bad == 0 and slow == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
