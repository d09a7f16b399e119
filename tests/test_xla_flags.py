"""zoo.xla_flags: XLA's CPU vector width, set at ``import zoo`` where the CPU has AVX-512."""

import os
import subprocess
import sys

import pytest

from zoo.xla_flags import OPTION, has_avx512, prefer_wide_vectors

AVX512 = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma avx512f avx512dq\n"
AVX2 = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma avx512_bf16_lookalike\n"


@pytest.fixture
def cpuinfo(tmp_path):
    def write(text):
        path = tmp_path / "cpuinfo"
        path.write_text(text)
        return str(path)
    return write


def test_added_where_the_cpu_has_avx512(cpuinfo):
    env = {}
    assert prefer_wide_vectors(env, cpuinfo(AVX512))
    assert env["XLA_FLAGS"] == f"{OPTION}=512"


def test_other_flags_are_kept(cpuinfo):
    env = {"XLA_FLAGS": "--xla_dump_to=/tmp/x"}
    assert prefer_wide_vectors(env, cpuinfo(AVX512))
    assert env["XLA_FLAGS"] == f"--xla_dump_to=/tmp/x {OPTION}=512"


def test_a_width_already_chosen_wins(cpuinfo):
    env = {"XLA_FLAGS": f"{OPTION}=256"}
    assert not prefer_wide_vectors(env, cpuinfo(AVX512))
    assert env["XLA_FLAGS"] == f"{OPTION}=256"


@pytest.mark.parametrize("text", [AVX2, ""])
def test_nothing_without_avx512(cpuinfo, text):
    env = {}
    assert not prefer_wide_vectors(env, cpuinfo(text))
    assert env == {}


def test_unreadable_cpuinfo_means_no_avx512(tmp_path):
    assert not has_avx512(str(tmp_path / "missing"))


def test_import_zoo_sets_it_before_tensorflow_compiles():
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    code = "import os, zoo; print(os.environ.get('XLA_FLAGS', ''))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1:]
    assert out == ([f"{OPTION}=512"] if has_avx512() else [])
