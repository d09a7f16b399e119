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
