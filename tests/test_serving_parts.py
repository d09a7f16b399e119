"""The service's parts that need no server: limits from the environment and
the adaptive batcher."""

import asyncio
import threading

import pytest

from serving.batching import Batcher
from serving.limits import Limits


def test_limits_from_environment_and_bad_values_name_the_variable():
    limits = Limits.from_env({"ZOO_SERVE_MAX_TEXTS": "3", "ZOO_SERVE_BATCHING": "off",
                              "ZOO_SERVE_MAX_TEMPERATURE": "1.5"})
    assert (limits.max_texts, limits.batching, limits.max_temperature) == (3, False, 1.5)
    assert Limits.from_env(limits.environ()) == limits
    for variable, value in (("ZOO_SERVE_MAX_TEXTS", "many"), ("ZOO_SERVE_MAX_LENGTH", "0"),
                            ("ZOO_SERVE_BATCHING", "maybe")):
        with pytest.raises(ValueError, match=variable):
            Limits.from_env({variable: value})


def test_batcher_gathers_concurrent_calls_and_returns_each_its_own_results():
    calls, release = [], threading.Event()

    def run(key, items):
        calls.append((key, list(items)))
        release.wait(5)  # the first call blocks while the others queue up
        return [f"{key}:{item}" for item in items]

    async def main():
        batcher = Batcher(run, max_batch_size=5)
        first = asyncio.create_task(batcher("a", [0]))
        await asyncio.sleep(0.05)
        rest = [asyncio.create_task(batcher(key, items)) for key, items in
                [("a", [1, 2]), ("b", [3]), ("a", [4, 5]), ("a", [6])]]
        await asyncio.sleep(0.05)
        release.set()
        return await first, [await task for task in rest]

    first, rest = asyncio.run(main())
    assert first == ["a:0"]
    assert rest == [["a:1", "a:2"], ["b:3"], ["a:4", "a:5"], ["a:6"]]
    # one call for the first request, then every waiting "a" (5 texts at most), then "b"
    assert calls == [("a", [0]), ("a", [1, 2, 4, 5, 6]), ("b", [3])]


def test_batcher_passes_errors_to_every_caller_of_the_batch_and_goes_on():
    def run(key, items):
        if "bad" in items:
            raise ValueError("bad item")
        return items

    async def main():
        batcher = Batcher(run)
        with pytest.raises(ValueError, match="bad item"):
            await batcher("k", ["bad"])
        return await batcher("k", ["good"])

    assert asyncio.run(main()) == ["good"]


def _call(app, method, path, headers):
    """(status, headers) of one request through the ASGI ``app``."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path,
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], dict(sent[0].get("headers", []))


async def _ok(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def test_api_key_guards_the_model_routes_only():
    from serving.api_key import ApiKey

    app = ApiKey(_ok, key="s3cret", protected=["/classify", "/models"])
    json_type = {"content-type": "application/json"}
    assert _call(app, "POST", "/classify", json_type)[0] == 401
    status, headers = _call(app, "POST", "/classify", {**json_type, "authorization": "Bearer wrong"})
    assert status == 401 and headers[b"www-authenticate"] == b"Bearer"
    assert _call(app, "POST", "/models", {"authorization": "s3cret"})[0] == 401  # the scheme is needed
    assert _call(app, "POST", "/classify", {**json_type, "authorization": "Bearer s3cret"})[0] == 200
    for open_path in ("/readyz", "/livez", "/metrics", "/ui/", "/docs.json"):
        assert _call(app, "GET", open_path, {})[0] == 200


def test_api_key_file_errors_name_the_file(tmp_path):
    from serving.api_key import read_key_file

    (tmp_path / "key").write_text("  s3cret \nsecond line\n")
    assert read_key_file(tmp_path / "key") == "s3cret"
    (tmp_path / "empty").write_text("\n")
    for path, message in ((tmp_path / "empty", "empty"), (tmp_path / "missing", "No such file")):
        with pytest.raises(ValueError, match=message):
            read_key_file(path)


def test_strict_http_refuses_other_media_types_and_ambiguous_lengths():
    from serving.strict_http import StrictHttp

    app = StrictHttp(_ok, json_routes=["/classify"])
    assert _call(app, "POST", "/classify", {"content-type": "application/json"})[0] == 200
    assert _call(app, "POST", "/classify", {"content-type": "application/json;charset=\"utf-8\""})[0] == 200
    for content_type in ("text/plain", "multipart/form-data; boundary=x", "application/json; charset=utf-16"):
        assert _call(app, "POST", "/classify", {"content-type": content_type, "content-length": "2"})[0] == 415
    assert _call(app, "POST", "/classify", {"content-length": "2"})[0] == 415  # a body, of no type
    assert _call(app, "POST", "/classify", {})[0] == 200  # no body: the schema then says what is missing
    assert _call(app, "GET", "/readyz", {})[0] == 200  # not a JSON route
    assert _call(app, "POST", "/classify", {"content-type": "application/json", "content-length": "2",
                                            "transfer-encoding": "chunked"})[0] == 400


def test_a_lane_bounds_its_calls_and_its_queue_and_refuses_the_rest_at_once():
    import time

    import anyio

    from serving.lanes import Busy, Lane

    lane = Lane("/generate", concurrency=2, queue=1, timeout=5.0, deadline=30.0)
    release, running, peak = threading.Event(), [], [0]

    def work(i):
        running.append(i)
        peak[0] = max(peak[0], len(running))
        release.wait(10)
        running.remove(i)
        return i

    async def main():
        results, refused = [], []

        async def call(i):
            try:
                results.append(await lane.run(work, i))
            except Busy as busy:
                refused.append((i, busy.retry_after, time.monotonic()))

        async with anyio.create_task_group() as tasks:
            for i in range(5):  # 2 run, 1 waits, 2 are refused at once
                tasks.start_soon(call, i)
                await anyio.sleep(0.05)
            started = time.monotonic()
            await anyio.sleep(0.2)
            assert len(refused) == 2 and all(t - started < 0.2 for _, _, t in refused)
            release.set()
        return results, refused

    results, refused = anyio.run(main)
    assert sorted(results) == [0, 1, 2] and [i for i, _, _ in refused] == [3, 4]
    assert peak[0] == 2 and all(retry >= 1 for _, retry, _ in refused)


def test_a_request_that_waits_past_the_timeout_is_refused():
    import anyio

    from serving.lanes import Busy, Lane

    lane = Lane("/translate", concurrency=1, queue=4, timeout=0.2, deadline=30.0)
    release = threading.Event()

    async def main():
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(lane.run, release.wait, 10)
            await anyio.sleep(0.05)
            with pytest.raises(Busy, match="no turn within 0.2 s"):
                await lane.run(print, "never")
            release.set()

    anyio.run(main)


def test_work_past_the_deadline_stops_at_its_next_step():
    import time

    import anyio

    from serving.lanes import Late, Lane
    from zoo import time_limit

    lane = Lane("/generate", concurrency=1, queue=4, timeout=5.0, deadline=0.3)
    steps = []

    def work(n):  # a model's loop: one check a step
        for i in range(n):
            time_limit.check()
            steps.append(i)
            time.sleep(0.01)
        return n

    assert anyio.run(lane.run, work, 5) == 5  # quick work is not limited
    for share, seconds in ((1.0, 0.3), (0.5, 0.15)):  # the costliest request, one half as costly
        steps.clear()
        started = time.monotonic()
        with pytest.raises(Late, match=f"deadline of {seconds:g} s") as late:
            anyio.run(lambda: lane.run(work, 1000, share=share))
        assert late.value.seconds == pytest.approx(seconds)
        assert seconds <= time.monotonic() - started < seconds + 0.7
        assert seconds * 33 < len(steps) < seconds * 133  # stopped, not run to its end (~100 steps/s)
    with pytest.raises(Late, match="deadline of 0.03 s"):  # a tiny request: a tenth at least
        anyio.run(lambda: lane.run(work, 1000, share=0.001))
    time_limit.check()  # the limit held for that work only


@pytest.mark.parametrize("name, work", [
    ("shakespeare-char", lambda m: m.generate("ROMEO:", 500, seed=0)),
    ("chorales-gru", lambda m: m.compose(steps=500, seed=0)),
    ("spa-eng-translator", lambda m: m.translate(["I love you."] * 200, beam_size=4)),
])
def test_the_shipped_models_loops_stop_at_a_time_limit(name, work):
    import time

    import zoo
    from zoo import time_limit

    model = zoo.load(name)
    started = time.monotonic()
    with time_limit.within(0.05), pytest.raises(time_limit.TimeLimitExceeded):
        work(model)  # the first step traces (a second or so), the next check stops it
    assert time.monotonic() - started < 5.0


def test_too_many_or_too_large_headers_are_431():
    from serving.strict_http import StrictHttp

    app = StrictHttp(_ok, json_routes=["/classify"])
    assert _call(app, "GET", "/readyz", {f"x-{i}": "1" for i in range(101)})[0] == 431
    assert _call(app, "GET", "/readyz", {"x-big": "a" * 17000})[0] == 431
    assert _call(app, "GET", "/readyz", {f"x-{i}": "1" for i in range(50)})[0] == 200


def test_a_body_that_does_not_arrive_in_time_is_408():
    import anyio

    from serving.body_limit import BodySizeLimit

    app = BodySizeLimit(_ok, max_bytes=1000, timeout=0.3)
    sent = []

    async def receive():  # the client sends part of its body, then nothing
        if not sent:
            sent.append(None)
            return {"type": "http.request", "body": b'{"te', "more_body": True}
        await anyio.sleep(60)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/classify", "headers": []}
    anyio.run(app, scope, receive, send)
    assert sent[1]["status"] == 408 and b"4 bytes came" in sent[2]["body"]


class _FakeClassifier:
    """What ``IdleCompiler`` reads of a ``zoo.models.TextClassifier``."""

    def __init__(self, shapes, missed=()):
        self.shapes, self.missed, self.compiled = list(shapes), {shape: 1 for shape in missed}, []

    def loops_to_compile(self, rows):
        todo = [s for s in self.shapes if s[0] <= rows and s not in self.compiled]
        return sorted(todo, key=lambda shape: -self.missed.get(shape, 0))

    def compile_loop(self, rows, steps):
        self.compiled.append((rows, steps))


def test_idle_compiler_takes_missed_shapes_first_then_the_defaults_and_waits_for_quiet():
    import time

    from serving.idle_compile import IdleCompiler

    default = _FakeClassifier([(1, 32), (1, 64), (2, 32), (64, 32)])
    other = _FakeClassifier([(1, 32), (4, 64)], missed=[(4, 64)])
    busy = {"until": time.monotonic() + 0.3, "started": 1}  # a request in flight for the first 0.3 s
    compiler = IdleCompiler(lambda: [default, object(), other], rows=8, quiet=0.2,
                            calls=lambda: (int(time.monotonic() < busy["until"]), busy["started"]))
    started = time.monotonic()
    assert compiler.step()
    assert other.compiled == [(4, 64)] and not default.compiled  # the shape a request missed
    assert time.monotonic() - started >= 0.45  # after the request (seen to 0.05 s), then 0.2 s of quiet
    started = time.monotonic()
    assert compiler.step() and time.monotonic() - started < 0.1  # no request since: no more waiting
    busy["started"] += 1  # a request came and went: 0.2 s of quiet first
    started = time.monotonic()
    assert compiler.step() and time.monotonic() - started >= 0.2
    while compiler.step():
        pass
    assert default.compiled == [(1, 32), (1, 64), (2, 32)]  # every shape up to 8 rows
    assert other.compiled == [(4, 64)] and compiler.compiled == 4  # of the others: what was missed
    other.missed[1, 32] = 1  # a later request misses a shape: it is compiled next
    assert compiler.step() and other.compiled[-1] == (1, 32)
    assert not compiler.step()


def test_model_calls_are_counted_from_any_thread():
    from serving.idle_compile import ModelCalls

    calls, inside = ModelCalls(), []

    def call():
        with calls():
            inside.append(calls.counts()[0])

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls.counts() == (0, 8) and min(inside) >= 1
    with pytest.raises(ValueError), calls():  # a call that fails is over too
        raise ValueError
    assert calls.counts() == (0, 9)
