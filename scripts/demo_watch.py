#!/usr/bin/env python3
"""Watch a Lambda alias's live routing while `make demo` releases, printing each change.

  demo_watch.py FUNCTION ALIAS [--trip ALARM]   watch until killed; with --trip, set ALARM
                                                to ALARM as soon as the alias is split
  demo_watch.py --once FUNCTION ALIAS           print the routing once

Talks to the endpoint in AWS_ENDPOINT_URL. Writes "canary seen" to .demo/watch.flag when
the alias is first seen split, so the demo can check the audience saw it.
"""
import os
import sys
import time

import boto3


def describe(alias):
    primary = alias["FunctionVersion"]
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    if not weights:
        return f"100% → version {primary}"
    rest = 1 - sum(weights.values())
    parts = [f"{rest * 100:g}% → version {primary}"]
    parts += [f"{w * 100:g}% → version {v}" for v, w in sorted(weights.items())]
    return ", ".join(parts)


def main(argv):
    once = "--once" in argv
    argv = [a for a in argv if a != "--once"]
    trip = None
    if "--trip" in argv:
        i = argv.index("--trip")
        trip = argv[i + 1]
        del argv[i : i + 2]
    function, alias = argv[0], argv[1]
    lam = boto3.client("lambda")
    cw = boto3.client("cloudwatch")
    if once:
        print(describe(lam.get_alias(FunctionName=function, Name=alias)))
        return
    flag = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".demo", "watch.flag")
    last, start, seen_split = None, time.monotonic(), False
    while True:
        try:
            now = describe(lam.get_alias(FunctionName=function, Name=alias))
        except lam.exceptions.ResourceNotFoundException:
            now = "(no alias yet)"
        if now != last:
            print(f"  [watch +{time.monotonic() - start:4.1f}s] live routing: {now}", flush=True)
            last = now
            if "," in now and not seen_split:
                seen_split = True
                with open(flag, "w") as f:
                    f.write("canary seen\n")
                if trip:
                    cw.set_alarm_state(AlarmName=trip, StateValue="ALARM",
                                       StateReason="demo: 5xx errors on the canary")
                    print(f"  [watch +{time.monotonic() - start:4.1f}s] set alarm {trip} to ALARM "
                          "(as if the canary started failing)", flush=True)
        time.sleep(0.1)


if __name__ == "__main__":
    main(sys.argv[1:])
