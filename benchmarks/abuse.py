"""The service under abuse (not a test): starts `zoo serve` with the shipped zoo and
default limits on a free port and prints what it does.

    python benchmarks/abuse.py [--seconds 60] [--clients 32]

1. **Stall**: while 4 x `/generate` of 2,000 characters and 8 x `/translate` of the
   largest work allowed (beam 8) are in flight, the latency of `/models` and of a
   one-text `/classify`, sampled back to back; the heavy requests' statuses and times.
2. **HTTP hygiene**: the answer to each malformed request (content types, Content-Length
   with chunked encoding, a body shorter than its Content-Length, huge headers) and how
   long an idle connection stays open.
3. **Load**: `--seconds` of one-text `/classify` from `--clients` threads: requests per
   second, errors, the server's memory before and after.
4. **SIGTERM** with 10 idle keep-alive connections and 4 `/generate` in flight: how many
   were answered and how long the server took to exit.
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from serving import process  # noqa: E402
from zoo import kinds  # noqa: E402

SENTENCES = "Where is the train station? I love you."  # two sentences: 64 texts x 2 x beam 8 = 1,024


def post(port, route, body, headers=None, timeout=300):
    """``(status, seconds)`` of one JSON POST."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", route, json.dumps(body).encode(),
                           {"content-type": "application/json", **(headers or {})})
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    except OSError as error:
        return type(error).__name__, time.perf_counter() - started
    finally:
        connection.close()


def p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def rss_mib(pid):
    """Resident memory of ``pid`` and its children, MiB."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read().split()
            if int(entry) == pid or int(stat[3]) == pid or _descends(int(stat[3]), pid):
                total += int(open(f"/proc/{entry}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            continue
    return total / 2**20


def _descends(ppid, root, depth=4):
    while depth and ppid > 1:
        if ppid == root:
            return True
        try:
            ppid = int(open(f"/proc/{ppid}/stat").read().split()[3])
        except OSError:
            return False
        depth -= 1
    return False


def stall(port):
    heavy = [("/generate", {"prompt": "KING:", "length": 2000, "seed": i}) for i in range(4)]
    heavy += [("/translate", {"texts": [SENTENCES] * 64, "beam_size": 8})] * 8
    with concurrent.futures.ThreadPoolExecutor(len(heavy)) as pool:
        futures = [pool.submit(post, port, route, body) for route, body in heavy]
        time.sleep(0.5)
        models, classify = [], []
        while not all(f.done() for f in futures):
            models.append(post(port, "/models", {})[1] * 1000)
            classify.append(post(port, "/classify", {"texts": ["a wonderful film"]})[1] * 1000)
        results = [f.result() for f in futures]
    print("1. stall: 4 x /generate 2000 + 8 x /translate beam 8 (1,024 sentence-beams) in flight")
    print(f"   /models   n={len(models):4d} p50 {p(models, .5):7.1f} ms  p99 {p(models, .99):7.1f} ms")
    print(f"   /classify n={len(classify):4d} p50 {p(classify, .5):7.1f} ms  p99 {p(classify, .99):7.1f} ms")
    for (route, _), (status, seconds) in zip(heavy, results):
        print(f"   {route:<10} {status} in {seconds:5.1f} s")


CHEAPEST = {"classifier": {"texts": ["good"]}, "generator": {"prompt": "A", "length": 1},
            "translator": {"texts": ["Hi."]}, "composer": {"steps": 1}}  # a request of each kind


def settle(port):
    """Waits until every served model has answered once (those after each route's
    default load once the server is ready), so the figures below are of a settled server."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("POST", "/models", b"{}", {"content-type": "application/json"})
    cards = json.loads(connection.getresponse().read())["models"]
    connection.close()
    for card in cards:
        post(port, "/" + kinds.get(card["interface"]).route, {**CHEAPEST[card["interface"]], "model": card["alias"]})
    print(f"all {len(cards)} models answered {time.perf_counter() - started:.1f} s after ready")


def raw(port, data, wait=10.0):
    """The status line (or what happened) of raw bytes sent to the server, and the seconds taken."""
    started = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
            sock.sendall(data)
            answer = sock.recv(200)
        line = answer.split(b"\r\n")[0].decode("latin-1") or "closed without an answer"
    except socket.timeout:
        line = f"no answer within {wait:g} s"
    except OSError as error:
        line = type(error).__name__
    return line, time.perf_counter() - started


def hygiene(port):
    body = b'{"texts": ["good"]}'

    def request(headers, payload=body):
        return (b"POST /classify HTTP/1.1\r\nHost: x\r\n" + b"".join(h + b"\r\n" for h in headers)
                + b"\r\n" + payload)

    length = b"Content-Length: %d" % len(body)
    cases = {
        "application/json": request([b"Content-Type: application/json", length]),
        "text/plain": request([b"Content-Type: text/plain", length]),
        "no Content-Type": request([length]),
        "multipart/form-data": request([b"Content-Type: multipart/form-data; boundary=x", length]),
        "Content-Length + chunked": request([b"Content-Type: application/json", length,
                                             b"Transfer-Encoding: chunked"], b"0\r\n\r\n"),
        "body shorter than Content-Length": request([b"Content-Type: application/json",
                                                     b"Content-Length: 100"]),
        "a 64 KB header": request([b"Content-Type: application/json", length, b"X-Big: " + b"a" * 65536]),
        "10,000 headers": request([b"Content-Type: application/json", length]
                                  + [b"X-%d: 1" % i for i in range(10000)]),
    }
    print("2. HTTP hygiene")
    for name, data in cases.items():
        line, seconds = raw(port, data, wait=30.0)
        print(f"   {name:<34} {line} ({seconds:.1f} s)")
    for name, data in (("connection that sends nothing", b""),
                       ("headers that never end", b"POST /classify HTTP/1.1\r\nHost: x\r\n")):
        line, seconds = raw(port, data, wait=30.0)
        print(f"   {name:<34} {line} ({seconds:.1f} s)")


def load(port, server_pid, seconds, clients):
    before = rss_mib(server_pid)
    end = time.monotonic() + seconds
    answers = [[] for _ in range(clients)]  # (status, ms) per client thread

    def client(mine):
        while time.monotonic() < end:
            status, took = post(port, "/classify", {"texts": ["a wonderful, moving film"]})
            mine.append((status, took * 1000))

    threads = [threading.Thread(target=client, args=(mine,)) for mine in answers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [answer for mine in answers for answer in mine]
    times = [ms for _, ms in every]
    statuses = {status: sum(1 for s, _ in every if s == status) for status in {s for s, _ in every}}
    done = len(every)
    print(f"3. load: {seconds} s of /classify at {clients} clients: {done / seconds:.0f} req/s, "
          f"p50 {p(times, .5):.0f} ms, p99 {p(times, .99):.0f} ms, statuses {statuses}, "
          f"RSS {before:.0f} -> {rss_mib(server_pid):.0f} MiB")


def sigterm(port, server):
    idle = []
    for _ in range(10):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.request("GET", "/livez")
        connection.getresponse().read()
        idle.append(connection)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(post, port, "/generate", {"prompt": "KING:", "length": 1000, "seed": i})
                   for i in range(4)]
        time.sleep(0.5)
        os.killpg(server.pid, signal.SIGTERM)
        signalled = time.monotonic()
        time.sleep(0.3)
        newcomer = raw(port, b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", wait=30.0)
        answers = [f.result()[0] for f in futures]
    try:
        server.wait(timeout=120)
        exited = f"exited after {time.monotonic() - signalled:.1f} s"
    except subprocess.TimeoutExpired:
        exited = "still running 120 s later"
    print(f"4. SIGTERM with 10 idle keep-alive connections and 4 /generate in flight: answers {answers}, "
          f"{exited}; a new /readyz meanwhile: {newcomer[0]} ({newcomer[1]:.1f} s)")
    for connection in idle:
        connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    port = process.free_port()
    home = tempfile.mkdtemp(prefix="abuse-bentoml-")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ZOO_SERVE_")},
           "BENTOML_HOME": home, "BENTOML_DO_NOT_TRACK": "True"}
    log = open(os.path.join(home, "server.log"), "w")
    server = process.start(port, "--no-access-log", env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        print(f"server ready in {process.wait_ready(port, server):.1f} s (log: {log.name})")
        settle(port)
        stall(port)
        hygiene(port)
        load(port, server.pid, args.seconds, args.clients)
        sigterm(port, server)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    text = open(log.name).read()
    print(f"log: {len(text)} bytes, {text.count('Traceback')} tracebacks")


if __name__ == "__main__":
    main()
