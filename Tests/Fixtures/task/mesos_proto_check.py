#!/usr/bin/env python3
"""Checks `sitepack task` JSON on stdin strictly against Apache Mesos's own protobuf classes.

Usage: mesos_proto_check.py < accept-or-taskinfo.json   (prints "ok")

mesos.interface (PyPI) ships mesos_pb2, generated from mesos.proto; that is the v0 API, whose TaskInfo
differs from v1 only in naming the agent `slave_id`. Every TaskInfo, the launch operation around it and
the filters are parsed with protobuf's JSON parser with unknown fields as errors, then checked for
missing required fields. `make test-deps` installs the classes into .build/mesos-proto-python.

Exit codes: 0 valid, 1 invalid (the reason on stderr), 3 mesos.interface or protobuf not importable.
"""
import json
import sys

try:
    from google.protobuf import json_format
    from mesos.interface import mesos_pb2 as m
except Exception as error:  # ImportError, or protobuf>=4 refusing mesos_pb2's old generated code (TypeError)
    print(f"{sys.executable} cannot load Mesos's protobuf classes ({type(error).__name__}: {error}); "
          "run `make test-deps`, which installs mesos.interface==1.7.2 protobuf==3.20.3 into .build/mesos-proto-python",
          file=sys.stderr)
    sys.exit(3)


def v0(task):
    task = dict(task)
    task["slave_id"] = task.pop("agent_id")
    return task


def strict(message, value):
    parsed = json_format.Parse(json.dumps(value), message, ignore_unknown_fields=False)
    missing = parsed.FindInitializationErrors()
    assert not missing, f"{type(message).__name__} misses required fields {missing}"


d = json.loads(sys.stdin.read())
if "accept" in d:
    assert set(d) == {"framework_id", "type", "accept"}, sorted(d)
    assert set(d["accept"]) == {"offer_ids", "operations", "filters"}, sorted(d["accept"])
    strict(m.Filters(), d["accept"]["filters"])
    for op in d["accept"]["operations"]:
        strict(m.Offer.Operation(), dict(op, launch={"task_infos": [v0(t) for t in op["launch"]["task_infos"]]}))
    tasks = [t for op in d["accept"]["operations"] for t in op["launch"]["task_infos"]]
else:
    tasks = [d]
for t in tasks:
    strict(m.TaskInfo(), v0(t))
print("ok")
