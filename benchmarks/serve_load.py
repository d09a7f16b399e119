"""Load benchmark of the HTTP service (not a test): prints a table.

    python benchmarks/serve_load.py [--seconds 15] [--model imdb-bilstm] [--data-dir DIR]

In one run, on this machine: the in-process batched ``predict`` throughput of
the model (the limit), then a server started with ``zoo serve`` (adaptive
batching on), one with ``--no-batching`` and a service that answers without a
model (``benchmarks/noop_service.py``: the ceiling of BentoML and HTTP here), each loaded by 1, 8 and 32
clients sending one review per ``/classify`` request on keep-alive
connections (real IMDB test reviews from ``--data-dir`` or ``ZOO_DATA_DIR``, else
synthetic ones of the same lengths: ``classifier_speed.reviews``) (asyncio, one thread); throughput, p50/p99 latency and ratios to the limit and to the
unbatched server; ``/generate`` characters per second; server cold start to
ready and peak RSS (the server's process tree). Nothing else should run on
the machine meanwhile (``--pause PID`` stops a process, e.g. a training, for
the run and resumes it after).
"""

import argparse
import asyncio
import http.client
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time

import psutil

from classifier_speed import reviews
from serving import process

def in_process_limit(model_name, texts, seconds):
    import zoo

    model = zoo.load(model_name)
    best = 0.0
    for batch in (32, 64, 128, 256):
        for i in range(0, len(texts), batch):  # warm: the shapes of the batches below compiled
            model.predict(texts[i:i + batch])
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 4:
            model.predict(texts[done % len(texts):][:batch] or texts[:batch])
            done += batch
        rate = done / (time.perf_counter() - start)
        print(f"  in-process predict, batch {batch:>3}: {rate:7.1f} texts/s", flush=True)
        best = max(best, rate)
    return best


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Server:
    def __init__(self, port, *options, noop=False):
        self.port = port
        if noop:  # benchmarks/noop_service.py: the same /classify, no model
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bentoml", "serve", "benchmarks.noop_service:NoOp", "--host", "127.0.0.1",
                 "--port", str(port)], cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, env={**os.environ, "ZOO_LAZY_IMPORT": "1"})
        else:
            self.process = process.start(port, *options, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.peak_rss = 0
        try:
            self.cold_start = process.wait_ready(port, self.process, while_waiting=self.sample_rss)
        except RuntimeError as error:
            sys.exit(str(error))
        self._watch = threading.Thread(target=self._watch_rss, daemon=True)
        self._watch.start()

    def settle(self, timeout=180):
        """Seconds until the server's processes are idle (below 10% of a core over a
        second): its work after ready (loading the other models, compiling the classifiers' loops) is done."""
        started = time.monotonic()
        root = psutil.Process(self.process.pid)
        while time.monotonic() - started < timeout:
            tree = [root, *root.children(recursive=True)]
            for p in tree:
                p.cpu_percent(None)
            time.sleep(1.0)
            if sum(p.cpu_percent(None) for p in tree) < 10:
                break
        return time.monotonic() - started

    def sample_rss(self):
        try:
            root = psutil.Process(self.process.pid)
            rss = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
            self.peak_rss = max(self.peak_rss, rss)
        except psutil.Error:
            pass

    def _watch_rss(self):
        while self.process.poll() is None:
            self.sample_rss()
            time.sleep(0.2)

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


def post(connection, route, payload):
    body = json.dumps(payload).encode()
    connection.request("POST", route, body, {"content-type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{route}: {response.status} {data[:200]!r}")
    return json.loads(data)


def load(port, texts, clients, seconds, model):
    """``clients`` concurrent clients (asyncio tasks on keep-alive connections, one
    thread: the load generator takes as little CPU from the server as it can),
    each sending one text per request for ``seconds``."""
    import aiohttp

    latencies, errors = [], []

    async def client(session, index, stop):
        i = index
        while time.perf_counter() < stop:
            start = time.perf_counter()
            try:
                async with session.post(f"http://127.0.0.1:{port}/classify",
                                        json={"texts": [texts[i % len(texts)]], "model": model}) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"status {response.status}")
            except Exception as error:  # reported below
                errors.append(error)
                return
            latencies.append(time.perf_counter() - start)
            i += clients

    async def main():
        connector = aiohttp.TCPConnector(limit=clients)
        async with aiohttp.ClientSession(connector=connector) as session:
            stop = time.perf_counter() + seconds
            await asyncio.gather(*(client(session, i, stop) for i in range(clients)))

    start = time.perf_counter()
    asyncio.run(main())
    elapsed = time.perf_counter() - start
    if errors:
        print(f"  {len(errors)} client errors, first: {errors[0]!r}")
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {"rps": len(latencies) / elapsed, "p50": q[49] * 1e3, "p99": q[98] * 1e3, "n": len(latencies)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="seconds of load per row (default 15)")
    parser.add_argument("--model", default=None, help="classifier (default: the best IMDB entry)")
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients (default 1,8,32)")
    parser.add_argument("--data-dir", default=os.environ.get("ZOO_DATA_DIR"),
                        help="data directory with the IMDB reviews (default $ZOO_DATA_DIR; else synthetic reviews)")
    parser.add_argument("--server-options", default="", help="more `zoo serve` options, e.g. '--no-access-log'")
    parser.add_argument("--pause", type=int, metavar="PID", help="SIGSTOP this process during the run")
    args = parser.parse_args()
    if args.pause:
        os.kill(args.pause, signal.SIGSTOP)
    try:
        run(args)
    finally:
        if args.pause:
            os.kill(args.pause, signal.SIGCONT)


def run(args):
    from zoo import registry

    model = args.model or registry.best_model("classifier")
    clients = [int(c) for c in args.clients.split(",")]
    import zoo

    texts, _, source = reviews(zoo.load(model), 600, args.data_dir)
    texts = [t for t in texts if len(t) <= 5000][:512]  # the service's limit on a text (else 400)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"model {model}; {len(texts)} {source}; {args.seconds:g} s per row", flush=True)
    limit = in_process_limit(model, texts, args.seconds)

    rows, servers = {}, {}
    for mode, options in (("batched", []), ("unbatched", ["--no-batching"]), ("no-op", None)):
        if options is None:
            server = Server(process.free_port(), noop=True)
        else:
            server = Server(process.free_port(), *options, *args.server_options.split())
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        post(connection, "/classify", {"texts": texts[:2], "model": model})
        print(f"  {mode}: ready after {server.cold_start:.1f} s, idle {server.settle():.1f} s later", flush=True)
        for c in clients:
            rows[mode, c] = load(server.port, texts, c, args.seconds, model)
            r = rows[mode, c]
            print(f"  {mode:>9}, {c:>2} clients: {r['rps']:7.1f} req/s, p50 {r['p50']:6.0f} ms, "
                  f"p99 {r['p99']:6.0f} ms ({r['n']} requests)", flush=True)
        connection.close()
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        if mode == "batched":
            speeds = []
            for seed in range(3):
                start = time.perf_counter()
                out = post(connection, "/generate", {"prompt": "ROMEO:", "length": 500, "seed": seed})
                speeds.append((len(out["text"]) - 6) / (time.perf_counter() - start))
            generate_cps = statistics.median(speeds)
        connection.close()
        server.stop()
        servers[mode] = server

    print()
    print(f"in-process limit ({model}, best batch): {limit:.1f} texts/s")
    print("| clients | batched req/s | p50 ms | p99 ms | unbatched req/s | p50 ms | p99 ms "
          "| no-op service req/s | p99 ms | batched / limit | batched / unbatched | batched / no-op |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for c in clients:
        b, u, n = rows["batched", c], rows["unbatched", c], rows["no-op", c]
        print(f"| {c} | {b['rps']:.1f} | {b['p50']:.0f} | {b['p99']:.0f} | {u['rps']:.1f} | {u['p50']:.0f} "
              f"| {u['p99']:.0f} | {n['rps']:.1f} | {n['p99']:.0f} | {b['rps'] / limit:.2f} "
              f"| {b['rps'] / u['rps']:.1f}x | {b['rps'] / n['rps']:.2f} |")
    print(f"/generate (shakespeare-char, 500 characters, 1 client): {generate_cps:.0f} characters/s")
    for mode, server in servers.items():
        if mode == "no-op":
            continue
        print(f"server ({mode}): cold start to ready {server.cold_start:.1f} s, "
              f"peak RSS {server.peak_rss / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()
