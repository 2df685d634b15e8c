"""A CronJob controller that follows the Kubernetes CronJob documentation, plus a run ledger.

Per tick and per CronJob it does what the docs describe for the controller:
count the schedules missed since status.lastScheduleTime (or creation), or only
those inside startingDeadlineSeconds when that is set; more than 100 is an
error event and nothing starts; otherwise only the most recent missed schedule
is started (the catch-up run). Suspended, and Forbid-skipped schedules are not
recorded in lastScheduleTime, so they count as missed later, as documented.

The ledger is the double's own bookkeeping for blue/green tests: it outlives
Job history cleanup and is never visible through the Kubernetes API.
"""

import datetime
import threading
import time
import zoneinfo

import croniter

import kstore
from kstore import rfc3339, parse_rfc3339
from kvalidate import parse_schedule

LEDGER_KEY = "double.test/ledger-key"
RUN_SECONDS = "double.test/run-seconds"
NAME_LABEL = "cronjob.double/name"
MISS_GRACE = 5.0
CRONJOBS = kstore.BY_NAME["cronjobs"]
JOBS = kstore.BY_NAME["jobs"]


def schedule_times(spec, after, until, limit):
    """Scheduled epochs t with after < t <= until, at most limit+1 of them."""
    expr, seconds_first = parse_schedule(spec.get("schedule"))
    tz = zoneinfo.ZoneInfo(spec["timeZone"]) if spec.get("timeZone") else datetime.timezone.utc
    it = croniter.croniter(expr, datetime.datetime.fromtimestamp(after, tz))
    out = []
    while len(out) <= limit:
        t = it.get_next(float)
        if t > until:
            break
        out.append(t)
    return out, seconds_first


class Controller(threading.Thread):
    def __init__(self, store, tick=0.2, log=None):
        super().__init__(name="cronjob-controller", daemon=True)
        self.store, self.tick, self.log = store, tick, log or (lambda m: None)
        self.stopping = threading.Event()
        self.started_at = time.time()
        self.runs = []            # ledger rows, append-only
        self.events = []
        self.run_until = {}       # (ns, job name) -> epoch the Job completes

    def stop(self):
        self.stopping.set()

    def run(self):
        while not self.stopping.wait(self.tick):
            try:
                self.sync_all(time.time())
            except Exception as e:  # a bad object must not kill the controller thread
                self.log("cronjob-controller: %r" % e)

    # --- events: deduplicated like the event recorder (count, lastTimestamp) ---
    def event(self, cj, etype, reason, message, now):
        obj = "%s/%s" % (cj["metadata"]["namespace"], cj["metadata"]["name"])
        for e in self.events:
            if (e["object"], e["reason"], e["message"]) == (obj, reason, message):
                e["count"] += 1
                e["lastTimestamp"] = rfc3339(now)
                return
        self.events.append({"object": obj, "type": etype, "reason": reason, "message": message,
                            "count": 1, "firstTimestamp": rfc3339(now), "lastTimestamp": rfc3339(now)})
        self.log("event %s %s %s: %s" % (obj, etype, reason, message))

    def sync_all(self, now):
        with self.store.lock:
            cronjobs, _ = self.store.list(CRONJOBS)
            for cj in cronjobs:
                self.sync(cj, now)

    def _owned_jobs(self, cj):
        jobs, _ = self.store.list(JOBS, cj["metadata"]["namespace"])
        uid = cj["metadata"]["uid"]
        return [j for j in jobs if any(o.get("uid") == uid and o.get("controller")
                                       for o in j["metadata"].get("ownerReferences") or [])]

    def _run_seconds(self, job, cj):
        for md in (job["metadata"], cj["metadata"]):
            v = (md.get("annotations") or {}).get(RUN_SECONDS)
            if v is not None:
                try:
                    return float(v)
                except ValueError:
                    pass
        return 1.0

    def _finish_jobs(self, cj, jobs, now):
        for i, job in enumerate(jobs):
            st = job.get("status") or {}
            if not st.get("active"):
                continue
            key = (job["metadata"]["namespace"], job["metadata"]["name"])
            until = self.run_until.get(key)
            if until is None:
                until = parse_rfc3339(st.get("startTime", rfc3339(now))) + self._run_seconds(job, cj)
            if now < until:
                continue
            st.pop("active", None)
            st.update({"succeeded": 1, "completionTime": rfc3339(now),
                       "conditions": [{"type": "Complete", "status": "True",
                                       "lastProbeTime": rfc3339(now), "lastTransitionTime": rfc3339(now)}]})
            job["status"] = st
            jobs[i] = self.store.put(JOBS, job)
            self.run_until.pop(key, None)
            self._ledger_end(job, now)
            self.event(cj, "Normal", "SawCompletedJob",
                       "Saw completed job: %s, condition: Complete" % job["metadata"]["name"], now)

    def _ledger_end(self, job, now):
        for r in self.runs:
            if r["job"] == job["metadata"]["name"] and r["namespace"] == job["metadata"]["namespace"] \
                    and r["finished"] is None:
                r["finished"] = now

    def _cleanup_history(self, cj, jobs, now):
        limit = (cj.get("spec") or {}).get("successfulJobsHistoryLimit", 3)
        done = [j for j in jobs if (j.get("status") or {}).get("succeeded")]
        done.sort(key=lambda j: j["status"].get("startTime", ""))
        for j in done[:max(0, len(done) - limit)]:
            self.store.delete(JOBS, j["metadata"]["namespace"], j["metadata"]["name"])
            self.event(cj, "Normal", "SuccessfulDelete", "Deleted job %s" % j["metadata"]["name"], now)

    def _write_status(self, cj, status):
        cur = self.store.get(CRONJOBS, cj["metadata"]["namespace"], cj["metadata"]["name"])
        if cur is None or (cur.get("status") or {}) == status:
            return cur          # no change, no write: resourceVersion only moves on real writes
        cur["status"] = status
        return self.store.put(CRONJOBS, cur)

    def sync(self, cj, now):
        spec = cj.get("spec") or {}
        jobs = self._owned_jobs(cj)
        self._finish_jobs(cj, jobs, now)
        self._cleanup_history(cj, jobs, now)
        status = dict(cj.get("status") or {})
        running = {j["metadata"]["name"] for j in jobs if (j.get("status") or {}).get("active")}
        active = [ref for ref in status.get("active") or [] if ref.get("name") in running]
        listed = {ref.get("name") for ref in active}
        for j in jobs:   # adopt running owned Jobs missing from status.active, as the controller does
            if j["metadata"]["name"] in running and j["metadata"]["name"] not in listed:
                active.append({"kind": "Job", "namespace": j["metadata"]["namespace"],
                               "name": j["metadata"]["name"], "uid": j["metadata"]["uid"],
                               "apiVersion": "batch/v1", "resourceVersion": j["metadata"]["resourceVersion"]})
        for j in jobs:
            st = j.get("status") or {}
            if st.get("completionTime") and st.get("succeeded") and \
                    st["completionTime"] > status.get("lastSuccessfulTime", ""):
                status["lastSuccessfulTime"] = st["completionTime"]
        if active:
            status["active"] = active
        else:
            status.pop("active", None)
        if spec.get("suspend") is True:
            self._write_status(cj, status)
            return
        earliest = parse_rfc3339(status.get("lastScheduleTime") or cj["metadata"]["creationTimestamp"])
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None:
            earliest = max(earliest, now - deadline)
        try:
            times, seconds_first = schedule_times(spec, earliest, now, 100)
        except (ValueError, KeyError, zoneinfo.ZoneInfoNotFoundError) as e:
            self.event(cj, "Warning", "UnparseableSchedule", "unparseable schedule: %s" % e, now)
            self._write_status(cj, status)
            return
        if not times:
            self._write_status(cj, status)
            return
        if len(times) > 100:
            self.event(cj, "Warning", "TooManyMissedTimes",
                       "Cannot determine if job needs to be started. Too many missed start time (> 100). "
                       "Set or decrease .spec.startingDeadlineSeconds or check clock skew.", now)
            self._write_status(cj, status)
            return
        scheduled = times[-1]
        if deadline is not None and scheduled + deadline < now:
            self.event(cj, "Warning", "MissSchedule", "Missed scheduled time to start a job: %s"
                       % rfc3339(scheduled), now)
            self._write_status(cj, status)
            return
        policy = spec.get("concurrencyPolicy") or "Allow"
        if policy == "Forbid" and active:
            # lastScheduleTime stays put: this schedule counts as missed, as documented.
            self.event(cj, "Normal", "JobAlreadyActive",
                       "Not starting job because prior execution is running and concurrency policy is Forbid", now)
            self._write_status(cj, status)
            return
        if policy == "Replace":
            for ref in active:
                gone = self.store.delete(JOBS, cj["metadata"]["namespace"], ref["name"])
                if gone is not None:
                    self._ledger_end(gone, now)
                    self.run_until.pop((cj["metadata"]["namespace"], ref["name"]), None)
                    self.event(cj, "Normal", "SuccessfulDelete", "Deleted job %s" % ref["name"], now)
            active = []
        name = "%s-%d" % (cj["metadata"]["name"], int(scheduled) if seconds_first else int(scheduled // 60))
        ns = cj["metadata"]["namespace"]
        if self.store.get(JOBS, ns, name) is None:
            job = self._create_job(cj, name, scheduled, now)
            active.append({"kind": "Job", "namespace": ns, "name": name, "uid": job["metadata"]["uid"],
                           "apiVersion": "batch/v1", "resourceVersion": job["metadata"]["resourceVersion"]})
        status["active"] = active
        if not active:
            status.pop("active")
        status["lastScheduleTime"] = rfc3339(scheduled)
        self._write_status(cj, status)

    def _create_job(self, cj, name, scheduled, now):
        tmpl = (cj.get("spec") or {}).get("jobTemplate") or {}
        tmd = tmpl.get("metadata") or {}
        md = cj["metadata"]
        labels = dict(tmd.get("labels") or {})
        labels[NAME_LABEL] = md["name"]
        annotations = dict(tmd.get("annotations") or {})
        annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"] = rfc3339(scheduled)
        job = {"apiVersion": "batch/v1", "kind": "Job",
               "metadata": {"name": name, "namespace": md["namespace"], "labels": labels,
                            "annotations": annotations,
                            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": md["name"],
                                                 "uid": md["uid"], "controller": True,
                                                 "blockOwnerDeletion": True}]},
               "spec": tmpl.get("spec") or {},
               "status": {"active": 1, "startTime": rfc3339(now)}}
        job = self.store.create(JOBS, job, now)
        self.run_until[(md["namespace"], name)] = now + self._run_seconds(job, cj)
        self.runs.append({"cronjob": "%s/%s" % (md["namespace"], md["name"]), "namespace": md["namespace"],
                          "scheduled": int(scheduled), "job": name, "started": now, "finished": None,
                          "key": (md.get("annotations") or {}).get(LEDGER_KEY)})
        self.event(cj, "Normal", "SuccessfulCreate", "Created job %s" % name, now)
        return job

    # --- ledger report ---
    def ledger(self, since=None, until=None, now=None):
        now = now if now is not None else time.time()
        since = self.started_at if since is None else since
        until = now if until is None else until
        with self.store.lock:
            runs = [dict(r) for r in self.runs]
            cronjobs, _ = self.store.list(CRONJOBS)
        overlaps = 0
        for i, a in enumerate(runs):
            for b in runs[i + 1:]:
                if a["key"] and a["key"] == b["key"] and a["cronjob"] != b["cronjob"]:
                    a_end = a["finished"] if a["finished"] is not None else now
                    b_end = b["finished"] if b["finished"] is not None else now
                    if a["started"] < b_end and b["started"] < a_end:
                        overlaps += 1
        doubles, missed = {}, {}
        keys = {(cj["metadata"].get("annotations") or {}).get(LEDGER_KEY) for cj in cronjobs} - {None}
        keys |= {r["key"] for r in runs if r["key"]}
        for key in sorted(keys):
            by_time = {}
            for r in runs:
                if r["key"] == key:
                    by_time.setdefault(r["scheduled"], []).append(r)
            doubles[key] = [{"scheduled": t, "cronjobs": sorted({r["cronjob"] for r in rs})}
                            for t, rs in sorted(by_time.items())
                            if len({r["cronjob"] for r in rs}) > 1 and since <= t <= until]
            expected = set()
            for cj in cronjobs:
                if (cj["metadata"].get("annotations") or {}).get(LEDGER_KEY) != key:
                    continue
                try:
                    times, _ = schedule_times(cj.get("spec") or {}, since - 0.001,
                                              min(until, now - MISS_GRACE), 10000)
                except Exception:
                    continue
                expected.update(int(t) for t in times)
            missed[key] = sorted(t for t in expected
                                 if not any(r["started"] <= t + MISS_GRACE for r in by_time.get(t, [])))
        out_runs = [{"cronjob": r["cronjob"], "scheduled": r["scheduled"], "job": r["job"],
                     "started": round(r["started"], 3),
                     "finished": round(r["finished"], 3) if r["finished"] is not None else None,
                     "key": r["key"]} for r in runs]
        return {"runs": out_runs, "overlaps": overlaps, "doubles": doubles, "missed": missed,
                "since": since, "until": until}
