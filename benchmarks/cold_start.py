"""How long `zoo serve` takes to be ready, and where the time goes (not a test).

    python benchmarks/cold_start.py [--repeats 3]

Prints the seconds from starting `zoo serve` (the shipped zoo) to `/readyz`
answering 200, median of ``--repeats`` starts, and a breakdown measured in a
fresh Python process, step by step as the server's worker does it: importing
TensorFlow and Keras, importing the service module (which resolves the served
models and their cards), then loading and warming up (tracing) each model:
each route's default before ready, the others after.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from serving import process  # noqa: E402

STEPS = r"""
import gc, json, os, sys, time
gc.disable()  # as in the server's worker until its models are loaded
times = {}
t = time.perf_counter()
import tensorflow, keras
times["import tensorflow + keras"] = time.perf_counter() - t
t = time.perf_counter()
import serving.service as service
times["import serving.service (cards, schemas, BentoML)"] = time.perf_counter() - t
import zoo
from zoo import kinds
defaults = set(service.DEFAULTS.values())
for alias, model in sorted(service.SERVED.items(), key=lambda item: item[0] not in defaults):
    when = "before ready" if alias in defaults else "after ready"
    t = time.perf_counter()
    loaded = zoo.load(model)
    times[f"load {alias} ({when})"] = time.perf_counter() - t
    t = time.perf_counter()
    kinds.get(service.CARDS[alias]["interface"]).warm_up(loaded)
    times[f"warm up {alias} ({when})"] = time.perf_counter() - t
print(json.dumps(times))
"""


def time_to_ready(env):
    port = process.free_port()
    started = time.monotonic()
    server = process.start(port, "--no-access-log", env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        process.wait_ready(port, server)
        return time.monotonic() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ZOO_SERVE_")},
           "BENTOML_HOME": tempfile.mkdtemp(prefix="cold-start-"), "BENTOML_DO_NOT_TRACK": "True",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    ready = [time_to_ready(env) for _ in range(args.repeats)]
    print(f"zoo serve -> /readyz 200: median {statistics.median(ready):.1f} s "
          f"({', '.join(f'{s:.1f}' for s in ready)}; {os.cpu_count()} cores)")
    result = subprocess.run([sys.executable, "-c", STEPS], env=env, capture_output=True, text=True,
                            check=True, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    steps = json.loads(result.stdout.strip().splitlines()[-1])
    print("breakdown, one fresh process:")
    for step, seconds in steps.items():
        print(f"  {step:<52} {seconds:6.2f} s")
    before = sum(v for k, v in steps.items() if "after ready" not in k)
    print(f"  {'total before ready':<52} {before:6.2f} s")
    print(f"  {'total':<52} {sum(steps.values()):6.2f} s")


if __name__ == "__main__":
    main()
