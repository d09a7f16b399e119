"""XLA's CPU vector width for the zoo's compiled loops: 512 bits where the CPU has AVX-512.

XLA compiles the element-wise kernels of ``zoo.layers.RNN``'s loops (the
gates, their gradients, the writes of each step) with LLVM, which uses
256-bit vectors by default even on CPUs with AVX-512. With 512-bit vectors
one shard's forward loops (LSTM and GRU, training and inference) ran 9-11%
faster a step on the machine of the README's benchmarks (AMD EPYC with
AVX-512), its backward loops 6-9%. The activations, vectorized polynomials,
cost 4.7-5.5 times a multiply-add per element there (README, "what was tried").

XLA reads ``XLA_FLAGS`` once, when it first compiles something in the
process, so ``import zoo`` sets the option before that. It leaves
``XLA_FLAGS`` alone where it already names a vector width: set
``XLA_FLAGS=--xla_cpu_prefer_vector_width=256`` to keep LLVM's default.

Example:

>>> from zoo.xla_flags import prefer_wide_vectors
>>> env = {"XLA_FLAGS": "--xla_cpu_prefer_vector_width=256"}
>>> prefer_wide_vectors(env)   # already chosen: left as it is
False
>>> env["XLA_FLAGS"]
'--xla_cpu_prefer_vector_width=256'
"""

import os

OPTION = "--xla_cpu_prefer_vector_width"


def prefer_wide_vectors(environ=None, cpuinfo="/proc/cpuinfo"):
    """Adds ``--xla_cpu_prefer_vector_width=512`` to ``environ["XLA_FLAGS"]``
    (``os.environ`` by default) where the CPU has AVX-512 and no vector width
    is set there. Returns whether it added it."""
    environ = os.environ if environ is None else environ
    flags = environ.get("XLA_FLAGS", "")
    if OPTION in flags or not has_avx512(cpuinfo):
        return False
    environ["XLA_FLAGS"] = f"{flags} {OPTION}=512".strip()
    return True


def has_avx512(cpuinfo="/proc/cpuinfo"):
    """Whether Linux's ``cpuinfo`` lists AVX-512 (``avx512f``); False where it
    cannot be read (other systems)."""
    try:
        with open(cpuinfo) as f:
            return any(line.startswith("flags") and "avx512f" in line.split() for line in f)
    except OSError:
        return False
