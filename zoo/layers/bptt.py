"""Backpropagation through time written out by hand (TensorFlow backend).

A recurrent layer computes, for ``t = 1..T``::

    p_t = W_x x_t + b_x                   one matmul for all steps, before the loop
    q_t = W_h h_{t-1} + b_h               the only matmul inside the loop
    s_t = transition(p_t, q_t, s_{t-1})   the cell's element-wise step; s_t = [h_t, ...]

Where nothing after the forward loop reads ``p_t`` (inference, and
training of a cell that keeps records), a cell's ``joint_step`` may compute
``p_t`` and ``q_t`` inside the loop instead, from ``x_t`` and ``h_{t-1}``: one
matmul ``[x_t, h_{t-1}] [W_x; W_h] + b`` for the simple RNN and the LSTM,
three for a GRU of up to 256 units. The loop then reads ``x`` as given, and
no ``p`` for all steps is written and read back: for small layers the
per-step cost of carrying ``p_t`` outweighs one larger matmul before the loop.

``scan`` runs that loop forward and, for the gradient, backward: the
backward loop carries only ``dL/ds_t`` and writes the per-step gradients
``dL/dp_t`` and ``dL/dq_t``. The weight gradients are then single large
matmuls over all steps, as cuDNN does::

    dL/dW_h = sum_t h_{t-1}^T dL/dq_t        (one (units, T*batch) x (T*batch, gates) matmul)
    dL/db_h = sum_t dL/dq_t
    dL/dW_x = sum_t x_t^T dL/dp_t,  dL/db_x = sum_t dL/dp_t,  dL/dx_t = dL/dp_t W_x^T

(the bias sums are added up by the backward loop as it goes).

The element-wise part of a backward step is, for a cell that keeps a
per-step record (LSTM and GRU: the gate activations), its ``record_grad``
from that record and ``s_{t-1}``: nothing is recomputed but ``tanh(c_t)``.
Otherwise it is the cell's ``transition_grad`` (the chain rule through the
gates, written out), or autodiff of its ``transition`` for activations it
does not cover; both recompute the step from ``p_t``, ``q_t`` and
``s_{t-1}``. Both loops are compiled with XLA (once per input shape), which
fuses a step's element-wise work.

Masks follow Keras' convention: where a row is masked at step ``t`` its
state is carried over unchanged.
"""

import functools
import weakref

import tensorflow as tf

#: Layers at least this wide whose cell keeps no record keep q_t = W_h h_{t-1} + b_h
#: from the forward pass for the backward one (narrower ones recompute it in one matmul).
KEEP_Q_UNITS = 128


def scan(cell, x, w_x, b_x, states, w_h, b_h=None, mask=None, return_sequences=True,
         store=True, shards=1):
    """Runs ``cell``'s recurrence over ``x`` ``(batch, T, features)``.

    ``w_x`` is ``(features, gates)``, ``w_h`` ``(units, gates)``, ``b_x`` and
    ``b_h`` ``(gates,)`` or None, ``states`` the initial states
    (``states[0]`` is ``h_0``), ``mask`` ``(batch, T)`` bool or None.
    Returns ``(h, final_states)``: ``h`` ``(T, batch, units)``, time-major,
    holds the carried ``h_t`` of every step (None unless ``return_sequences``).

    The backward pass needs every ``s_t``: ``store=True`` keeps them from the
    forward pass (training); ``store=False`` keeps only what the outputs
    need and, should a gradient be asked for, runs the forward pass again.
    ``shards > 1`` splits the batch into that many parts with their own
    projection, loops and weight-gradient matmuls, which run at the same
    time on different CPU cores (one loop's small per-step matmuls keep
    about one core busy). What the backward pass reads stays with its shard:
    only ``x``, ``h`` and their gradients are split or joined, and each shard
    puts its own part of ``x`` in time-major order.
    """
    x, w_x, w_h = (tf.convert_to_tensor(a) for a in (x, w_x, w_h))  # tensors: their gradients are ours
    states = [tf.convert_to_tensor(s) for s in states]
    b_x, b_h = (None if b is None else tf.convert_to_tensor(b) for b in (b_x, b_h))
    n = len(states)
    if mask is not None:
        mask = tf.cast(mask, tf.bool)

    # The backward step needs the forward one's activations. A cell's record
    # of them saves recomputing them; else q_t is needed again: for wide
    # layers keeping it is cheaper than one more (T * batch, units) x
    # (units, gates) matmul.
    record = cell.record_width() is not None
    keep_q = store and not record and (w_h.shape[0] or 0) >= KEEP_Q_UNITS
    # Where nothing after the forward loop reads p_t (inference, or a cell
    # with a record), the loop of a cell with a joint form computes p_t and
    # q_t from x_t and h_{t-1} (the cell's joint_step) instead of reading p_t
    # from a projection of all steps made before it, and reads x in Keras'
    # batch-major order (measured: see the README).
    joint_w = None
    if not store or record:
        joint_w = cell.joint_weights(*(None if w is None else tf.stop_gradient(w)
                                       for w in (w_x, b_x, w_h, b_h)))
    joint = joint_w is not None
    forward = _compiled(cell, _forward_loop, keep_states=store, keep_h=return_sequences, keep_q=keep_q,
                       keep_record=store and record, joint=joint)
    # Without store, a gradient runs the forward loop again, keeping all it needs.
    rerun = None if store else _compiled(cell, _forward_loop, keep_q=not record, keep_record=record)
    backward = _compiled(cell, _backward_loop, sum_p=b_x is not None, sum_q=b_h is not None)
    present = [w is not None for w in (w_x, b_x, w_h, b_h)]
    weights = [w for w in (w_x, b_x, w_h, b_h) if w is not None]

    @tf.custom_gradient
    def run(x, *rest):
        # The loops are not differentiated (grad below is their gradient):
        # stop_gradient keeps tapes from recording them.
        given = iter(tf.stop_gradient(w) for w in rest[: len(weights)])
        w_x, b_x, w_h, b_h = [next(given) if there else None for there in present]
        s0 = [tf.stop_gradient(s) for s in rest[len(weights) :]]
        xs = _split(tf.stop_gradient(x), 0, shards)
        xs = xs if joint else [tf.transpose(x_i, [1, 0, 2]) for x_i in xs]
        masks = [None if m is None else tf.transpose(m)[:, :, None] for m in _split(mask, 0, shards)]
        s0s = _split(s0, 0, shards)
        if joint:
            outs = [forward(x_i, joint_w, None, s, m) for x_i, s, m in zip(xs, s0s, masks)]
        else:
            ps = [_project(x_i, w_x, b_x) for x_i in xs]
            outs = [forward(p, w_h, b_h, s, m) for p, s, m in zip(ps, s0s, masks)]
        kept = [kept_i for kept_i, _ in outs]
        finals = _join([finals_i for _, finals_i in outs], 0)

        def grad(*d_out):
            d_h_seq = d_out[0] if return_sequences else None
            d_finals = d_out[1:] if return_sequences else d_out
            d_finals = [tf.zeros_like(s) if d is None else d for s, d in zip(s0, d_finals)]
            units, gates = tf.shape(w_h)[0], tf.shape(w_h)[1]
            # W_hᵀ laid out once, outside XLA (which would fold a transpose
            # into the loop's matmul): a transposed operand measured 2x
            # slower there, 23 against 12 µs per step.
            w_h_t = tf.transpose(w_h)
            parts = []
            for i, (x_i, s0_i, d_h, d_f, m) in enumerate(zip(
                    xs, s0s, _split(d_h_seq, 1, shards), _split(d_finals, 0, shards), masks)):
                if joint:  # time-major, as dL/dp and h are; p_t only for a re-run
                    x_i = tf.transpose(x_i, [1, 0, 2])
                    p = None if store else _project(x_i, w_x, b_x)
                else:
                    p = ps[i]
                kept_i = kept[i] if store else rerun(p, w_h, b_h, s0_i, m)[0]
                # s_{t-1} for every step: the initial state, then the stored ones.
                s_prev = [tf.concat([s[None], seq[:-1]], 0) for s, seq in zip(s0_i, kept_i[:n])]
                h_prev = tf.reshape(s_prev[0], [-1, units])  # (T * batch, units): 2-D matmuls
                if record:
                    step_inputs = [kept_i[n]]
                elif keep_q or not store:
                    step_inputs = [p, kept_i[n]]
                else:  # q_t = W_h h_{t-1} + b_h for all steps in one matmul
                    q = tf.reshape(tf.matmul(h_prev, w_h), tf.shape(p))
                    step_inputs = [p, q if b_h is None else q + b_h]
                d_p, d_q, d_s0, d_b_x, d_b_h = backward(step_inputs, s_prev, w_h_t, d_h, d_f, m)
                d_q = d_p if d_q is None else d_q
                # The weight gradients: one matmul each over all steps.
                d_p, d_q = tf.reshape(d_p, [-1, gates]), tf.reshape(d_q, [-1, gates])
                d_x_i = tf.reshape(tf.matmul(d_p, w_x, transpose_b=True), tf.shape(x_i))
                parts.append([
                    tf.transpose(d_x_i, [1, 0, 2]),  # dL/dx, batch-major as x
                    tf.matmul(tf.reshape(x_i, [-1, tf.shape(x_i)[2]]), d_p, transpose_a=True),
                    d_b_x,
                    tf.matmul(h_prev, d_q, transpose_a=True),
                    d_b_h,
                    d_s0,
                ])
            d_x, *d_w, d_s0 = (_join([part[k] for part in parts], axis)
                               for k, axis in enumerate((0, None, None, None, None, 0)))
            return (d_x, *(d for d in d_w if d is not None), *d_s0)

        h = _join([kept_i[0] for kept_i in kept], 1) if return_sequences else None
        return ((h, *finals) if return_sequences else tuple(finals)), grad

    out = run(x, *weights, *states)
    if return_sequences:
        return out[0], list(out[1 : 1 + n])
    return None, list(out[:n])


#: Each cell's compiled loops, by loop and options: one function object per
#: loop, so that XLA compiles once per input shape whichever graph (or eager
#: call) uses it, instead of once per trace.
_COMPILED = weakref.WeakKeyDictionary()


def _compiled(cell, fn, **fixed):
    """``fn(cell, ..., **fixed)`` as an XLA-compiled ``tf.function``, made once per cell."""
    functions = _COMPILED.setdefault(cell, {})
    key = (fn, tuple(sorted(fixed.items())))
    if key not in functions:
        # the cell by a weak proxy: the cache must not keep its own key alive
        function = tf.function(functools.partial(fn, weakref.proxy(cell), **fixed), jit_compile=True,
                               autograph=False, reduce_retracing=True)
        function._omit_frequent_tracing_warning = True  # traced once per cell, by design
        functions[key] = function
    return functions[key]


def _project(x, w_x, b_x):
    """``p_t = W_x x_t + b_x`` for every step: one matmul."""
    p = tf.matmul(tf.reshape(x, [-1, tf.shape(x)[2]]), w_x)
    if b_x is not None:
        p = p + b_x
    return tf.reshape(p, [tf.shape(x)[0], tf.shape(x)[1], tf.shape(w_x)[1]])


def _split(x, axis, shards):
    """``x`` (a tensor, None or a list of tensors) split into ``shards`` parts
    of the batch along ``axis``; lists are split element by element."""
    if x is None:
        return [None] * shards
    if isinstance(x, (list, tuple)):
        if not x:
            return [[] for _ in range(shards)]
        return [list(parts) for parts in zip(*(_split(a, axis, shards) for a in x))]
    if shards == 1:
        return [x]
    size = tf.shape(x)[axis]
    sizes = [size // shards + tf.cast(i < size % shards, tf.int32) for i in range(shards)]
    return tf.split(x, tf.stack(sizes), axis=axis, num=shards)


def _join(parts, axis):
    """The shards' results joined along ``axis``, or summed where ``axis`` is
    None; lists are joined element by element."""
    if parts[0] is None:
        return None
    if isinstance(parts[0], (list, tuple)):
        return [_join(list(p), axis) for p in zip(*parts)]
    if len(parts) == 1:
        return parts[0]
    return tf.add_n(parts) if axis is None else tf.concat(parts, axis)


def _where(mask, new, old):
    return new if mask is None else tf.where(mask, new, old)


def _forward_loop(cell, p, w_h, b_h, s0, mask, keep_states=True, keep_h=True,
                  keep_q=False, keep_record=False, joint=False):
    """The forward loop. Returns ``(kept, final_states)``: ``kept`` is every
    state's sequence (``keep_states``), or ``[h]`` (``keep_h``), or ``[]``,
    followed by the sequence of ``q_t`` if ``keep_q`` or of the cell's
    records if ``keep_record``.

    ``joint``: ``p`` is ``x``, ``(batch, T, features)`` as Keras orders it,
    and ``w_h`` the cell's ``joint_weights``: a step computes ``p_t`` and
    ``q_t`` from ``x_t`` and ``h_{t-1}`` with the cell's ``joint_step``."""
    steps = tf.shape(p)[1 if joint else 0]
    kept = len(s0) if keep_states else int(keep_h)
    tas = [tf.TensorArray(s.dtype, size=steps) for s in s0[:kept]]
    tas += [tf.TensorArray(p.dtype, size=steps)] if keep_q or keep_record else []
    # A joint step slices x_t where it reads it (into the small concatenation,
    # which costs little); a step otherwise reads p_t carried from the last one.
    seqs = ([] if joint else [p]) + ([] if mask is None else [mask])

    def body(t, s, now, tas):
        m = now[-1] if mask is not None else None
        if joint:
            p_t, q = cell.joint_step(p[:, t], s[0], *w_h)
        else:
            p_t = now[0]
            q = tf.matmul(s[0], w_h)
            if b_h is not None:
                q = q + b_h
        if keep_record:
            new, record = cell.transition_record(p_t, q, s)
        else:
            new = cell.transition(p_t, q, s)
        new = [_where(m, a, b) for a, b in zip(new, s)]
        written = new[:kept] + ([q] if keep_q else []) + ([record] if keep_record else [])
        return (t + 1, new, _at(seqs, tf.minimum(t + 1, steps - 1)),
                [ta.write(t, a) for ta, a in zip(tas, written)])

    _, finals, _, tas = tf.while_loop(
        lambda t, *_: t < steps, body, (tf.constant(0), list(s0), _at(seqs, 0), tas),
        maximum_iterations=steps)
    return [ta.stack() for ta in tas], finals


def _at(seqs, t):
    """Step ``t`` of each sequence. The loops carry the next step's slices as
    loop variables instead of slicing inside the step: XLA fuses a slice at a
    loop-dependent index into the step's element-wise kernel, which then runs
    several times slower on a CPU (measured: a GRU step 3x)."""
    return [x[t] for x in seqs]


def _backward_loop(cell, step_inputs, s_prev, w_h_t, d_h_seq, d_finals, mask, sum_p=False,
                   sum_q=False):
    """Carries ``dL/ds_t`` from ``t = T`` down to 1.

    ``step_inputs`` is ``[records]`` (the cell's ``record_grad`` then gives a
    step's gradient) or ``[p, q]``; ``w_h_t`` is ``W_hᵀ`` ``(gates, units)``;
    ``d_h_seq`` is None where only the final states reach the loss. Returns
    ``dL/dp``, ``dL/dq`` (both ``(T, batch, gates)``; ``dL/dq`` is None where
    it is ``dL/dp``, as a compiled function copies a tensor it returns twice),
    ``dL/ds_0`` and, where ``sum_p`` and ``sum_q`` ask (else None), the bias
    gradients ``Σ_t dL/dp_t`` and ``Σ_t dL/dq_t``: summed step by step in the
    loop (TensorFlow's own sum of the ``(T, batch, gates)`` gradients took 1-2
    ms on this machine, XLA's after the loop 0.6-0.7 ms; the GRU's backward
    loops ran 10% faster with the sums inside)."""
    steps = tf.shape(step_inputs[0])[0]
    d_p_ta = tf.TensorArray(step_inputs[0].dtype, size=steps)
    d_q_ta = tf.TensorArray(step_inputs[0].dtype, size=steps)
    k = len(step_inputs) + (d_h_seq is not None)
    seqs = [*step_inputs, *([] if d_h_seq is None else [d_h_seq]), *s_prev]
    seqs += [] if mask is None else [mask]
    n = len(s_prev)
    # Each step writes dL/dp_t, and dL/dq_t too unless it is the same tensor
    # (p and q enter as p + q) or the cell derives it from dL/dp and the
    # records after the loop: a step's writes cost about as much as its
    # element-wise work.
    derive_q = len(step_inputs) == 1 and hasattr(cell, "record_d_q")
    same = []

    def body(t, d_s, now, d_p_ta, d_q_ta, d_b):
        s_t = now[k : k + n]
        m = now[-1] if mask is not None else None
        if d_h_seq is not None:  # h_t also reaches the loss directly
            d_s = [d_s[0] + now[k - 1]] + list(d_s[1:])
        d_new = [_where(m, d, tf.zeros_like(d)) for d in d_s]
        if len(step_inputs) == 1:
            d_p_t, d_q_t, d_direct = cell.record_grad(now[0], s_t, d_new)
        else:
            d_p_t, d_q_t, d_direct = _step_grad(cell, now[0], now[1], s_t, d_new)
        d_direct = [tf.zeros_like(d) if dd is None else dd for dd, d in zip(d_direct, d_s)]
        if m is not None:  # where masked, s_{t-1} was carried over: its gradient too
            d_direct = [dd + tf.where(m, tf.zeros_like(d), d) for dd, d in zip(d_direct, d_s)]
        d_direct[0] = d_direct[0] + tf.matmul(d_q_t, w_h_t)  # q_t = W_h h_{t-1}
        same[:] = [d_p_t is d_q_t]
        if not (same[0] or derive_q):
            d_q_ta = d_q_ta.write(t, d_q_t)
        # The bias gradients asked for (Σ_t dL/dp_t, Σ_t dL/dq_t), summed as the loop goes.
        summed = [d for d, wanted in zip((d_p_t, d_q_t), (sum_p, sum_q)) if wanted]
        d_b = [acc + tf.reduce_sum(d, 0) for acc, d in zip(d_b, summed)]
        return (t - 1, d_direct, _at(seqs, tf.maximum(t - 1, 0)), d_p_ta.write(t, d_p_t), d_q_ta,
                d_b)

    d_b0 = [tf.zeros([tf.shape(w_h_t)[0]], step_inputs[0].dtype)] * (sum_p + sum_q)
    _, d_s0, _, d_p_ta, d_q_ta, d_b = tf.while_loop(
        lambda t, *_: t >= 0, body,
        (steps - 1, list(d_finals), _at(seqs, steps - 1), d_p_ta, d_q_ta, d_b0),
        maximum_iterations=steps)
    d_p = d_p_ta.stack()
    d_q = None  # where it is dL/dp
    if not same[0]:
        d_q = cell.record_d_q(d_p, step_inputs[0]) if derive_q else d_q_ta.stack()
    d_b = iter(d_b)
    d_b_p = next(d_b) if sum_p else None
    d_b_q = next(d_b) if sum_q else None
    return d_p, d_q, d_s0, d_b_p, d_b_q


def _step_grad(cell, p_t, q_t, s_t, d_new):
    """The cell's hand-written step gradient, or else autodiff of its transition."""
    hand = cell.transition_grad(p_t, q_t, s_t, d_new)
    if hand is not None:
        d_p, d_q, d_s = hand
        return d_p, d_q, list(d_s)
    with tf.GradientTape() as tape:
        tape.watch([p_t, q_t, *s_t])
        new = cell.transition(p_t, q_t, s_t)
    d_p, d_q, *d_s = tape.gradient(new, [p_t, q_t, *s_t], output_gradients=d_new,
                                   unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return d_p, d_q, d_s
