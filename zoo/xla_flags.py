"""XLA's CPU options for the zoo's compiled loops, set in ``XLA_FLAGS`` by ``import zoo``.

``zoo.layers.RNN`` compiles its loops with XLA and runs one loop per CPU
core (its shards). Two of XLA's CPU defaults cost those loops time:

- ``--xla_cpu_prefer_vector_width=512`` (where the CPU has AVX-512): LLVM
  otherwise compiles XLA's element-wise kernels (the gates, their gradients,
  each step's writes) with 256-bit vectors. One shard's forward loops ran
  9-11% faster a step with 512-bit ones on the machine of the README's
  benchmarks (AMD EPYC with AVX-512), its backward loops 6-9%: the
  activations, vectorized polynomials, cost 4.7-5.5 times a multiply-add
  per element there. Set on every Keras backend.
- ``--xla_cpu_multi_thread_eigen=false`` (on the TensorFlow backend): XLA
  otherwise splits a step's matmul across the CPU's threads, which are all
  busy with the other shards' loops. Both shards' GRU inference loops took
  4.6-5.1 against 6.1-7.0 ms with it. It also keeps on one thread the
  matmuls of anything else compiled with XLA on the CPU in the process
  (Keras does not compile with XLA on a CPU unless asked, ``jit_compile=True``),
  and of a zoo layer given fewer ``shards`` than the CPU has cores; not set
  on the JAX backend, where XLA compiles every model.

XLA reads ``XLA_FLAGS`` once, when it first compiles something in the
process, so ``import zoo`` sets them before that. An option already named in
``XLA_FLAGS`` is left as it is: ``XLA_FLAGS="--xla_cpu_prefer_vector_width=256
--xla_cpu_multi_thread_eigen=true"`` keeps XLA's defaults.

Example:

>>> from zoo.xla_flags import set_defaults
>>> env = {"XLA_FLAGS": "--xla_cpu_multi_thread_eigen=true"}
>>> set_defaults(env, backend="tensorflow", avx512=False)   # already chosen: left as it is
[]
>>> env["XLA_FLAGS"]
'--xla_cpu_multi_thread_eigen=true'
"""

import os

VECTOR_WIDTH = "--xla_cpu_prefer_vector_width"
MULTI_THREAD_EIGEN = "--xla_cpu_multi_thread_eigen"


def set_defaults(environ=None, backend="tensorflow", avx512=None):
    """Adds each of the zoo's XLA options (above) to ``environ["XLA_FLAGS"]``
    (``os.environ`` by default) where it applies and ``XLA_FLAGS`` does not
    name it already. ``avx512``: whether the CPU has AVX-512 (None: ask
    ``has_avx512()``). Returns the options added."""
    environ = os.environ if environ is None else environ
    flags = environ.get("XLA_FLAGS", "")
    wanted = []
    if VECTOR_WIDTH not in flags and (has_avx512() if avx512 is None else avx512):
        wanted.append(f"{VECTOR_WIDTH}=512")
    if MULTI_THREAD_EIGEN not in flags and backend == "tensorflow":
        wanted.append(f"{MULTI_THREAD_EIGEN}=false")
    if wanted:
        environ["XLA_FLAGS"] = " ".join([flags, *wanted]).strip()
    return wanted


def has_avx512(cpuinfo="/proc/cpuinfo"):
    """Whether Linux's ``cpuinfo`` lists AVX-512 (``avx512f``); False where it
    cannot be read (other systems)."""
    try:
        with open(cpuinfo) as f:
            return any(line.startswith("flags") and "avx512f" in line.split() for line in f)
    except OSError:
        return False
