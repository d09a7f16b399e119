"""zoo.xla_flags: XLA's CPU options for the zoo's loops, set by ``import zoo``."""

import os
import subprocess
import sys

import pytest

from zoo.xla_flags import MULTI_THREAD_EIGEN, VECTOR_WIDTH, has_avx512, set_defaults

WIDE, ONE_THREAD = f"{VECTOR_WIDTH}=512", f"{MULTI_THREAD_EIGEN}=false"


def test_both_on_tensorflow_with_avx512():
    env = {}
    assert set_defaults(env, "tensorflow", avx512=True) == [WIDE, ONE_THREAD]
    assert env["XLA_FLAGS"] == f"{WIDE} {ONE_THREAD}"


def test_other_flags_are_kept():
    env = {"XLA_FLAGS": "--xla_dump_to=/tmp/x"}
    set_defaults(env, "tensorflow", avx512=True)
    assert env["XLA_FLAGS"] == f"--xla_dump_to=/tmp/x {WIDE} {ONE_THREAD}"


@pytest.mark.parametrize("given", [f"{VECTOR_WIDTH}=256", f"{MULTI_THREAD_EIGEN}=true"])
def test_an_option_already_named_wins(given):
    env = {"XLA_FLAGS": given}
    added = set_defaults(env, "tensorflow", avx512=True)
    assert len(added) == 1 and added[0].split("=")[0] not in given
    assert env["XLA_FLAGS"] == f"{given} {added[0]}"


def test_no_wide_vectors_without_avx512():
    env = {}
    assert set_defaults(env, "tensorflow", avx512=False) == [ONE_THREAD]


def test_jax_keeps_multi_threaded_matmuls():
    env = {}
    assert set_defaults(env, "jax", avx512=True) == [WIDE]
    assert set_defaults({}, "jax", avx512=False) == []


@pytest.mark.parametrize("text,expected", [
    ("processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma avx512f avx512dq\n", True),
    ("processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma avx512fp16x\n", False),
    ("", False),
])
def test_avx512_read_from_cpuinfo(tmp_path, text, expected):
    path = tmp_path / "cpuinfo"
    path.write_text(text)
    assert has_avx512(str(path)) is expected


def test_unreadable_cpuinfo_means_no_avx512(tmp_path):
    assert not has_avx512(str(tmp_path / "missing"))


def test_import_zoo_sets_them():
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "KERAS_BACKEND")}
    code = "import os, zoo; print(os.environ.get('XLA_FLAGS', ''))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    assert out == " ".join(([WIDE] if has_avx512() else []) + [ONE_THREAD])
