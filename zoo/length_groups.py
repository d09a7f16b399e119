"""How a text classifier cuts a batch of texts, sorted by length, into calls.

Each call pads its texts to a power of two rows and runs the recurrent layers
for its longest text's length class, so one call for a batch of random reviews
costs as much as its longest review in every row. Cutting the sorted batch
into groups of similar length, each run as its own call, saves the steps the
short texts would wait through, at the price of one more call per group.
``split_by_length`` picks the groups of least estimated cost.
"""

import numpy as np

#: A call's estimated cost in row-steps (one row through one step of the
#: recurrent layers): ``steps * (rows + STEP_ROWS) + CALL_ROW_STEPS``: a step
#: costs as much as a few more rows, a call as many row-steps besides its own.
#: Chosen by timing ``imdb-bilstm-distilled``'s ``predict`` on random IMDB
#: test reviews, 32 at a time, on 2 CPU cores: these gave 1.16x the rate of
#: one call per batch, in the middle of a flat range (1.12-1.17x) that falls
#: off with cheaper calls (0.97x at (1, 400)) or dearer ones (1.06x at
#: (4, 4000)); see docs/performance.md.
STEP_ROWS = 4
CALL_ROW_STEPS = 2000


def split_by_length(lengths, classes, compiled, whole=True):
    """``[(start, stop), ...]``: the groups of consecutive texts to run as
    one call each, covering ``lengths`` in order, of least estimated cost.

    ``lengths`` are the texts' token counts in increasing order; ``classes``
    the step counts a call may run (increasing, the last at least the longest
    length). A group may run if ``compiled(rows, steps)`` says its shape (its
    texts padded to ``rows``, cut at ``steps``) is, or if it is the whole batch
    and ``whole``. Where no split into such groups exists, the whole batch is
    one group.

    >>> split_by_length([10, 12, 20, 25, 30, 31, 31, 590], [32, 600], lambda rows, steps: True)
    [(0, 7), (7, 8)]
    """
    n = len(lengths)
    classes = np.asarray(classes)
    # A group's steps: the length class of its last (longest) text.
    steps = classes[np.searchsorted(classes, np.maximum(np.asarray(lengths), 1))]
    log_rows = np.array([0] + [(count - 1).bit_length() for count in range(1, n + 1)])
    rows = 1 << log_rows  # a group of `count` texts runs rows[count]
    shapes = {}  # steps -> whether (2**k rows, steps) may run, by k
    best = np.full(n + 1, np.inf)  # best[j]: least cost of the first j texts
    best[0] = 0.0
    start = np.zeros(n + 1, int)  # where the last group of that split starts
    for stop in range(1, n + 1):
        s = int(steps[stop - 1])
        if s not in shapes:
            shapes[s] = np.array([compiled(1 << k, s) for k in range(log_rows[n] + 1)])
        counts = stop - np.arange(stop)  # a last group starting at 0, 1, ..., stop - 1
        cost = best[:stop] + s * (rows[counts] + STEP_ROWS) + CALL_ROW_STEPS
        ok = shapes[s][log_rows[counts]]
        ok[0] |= whole and stop == n
        cost[~ok] = np.inf
        start[stop] = int(np.argmin(cost))
        best[stop] = cost[start[stop]]
    if not np.isfinite(best[n]):
        return [(0, n)]
    groups, stop = [], n
    while stop:
        groups.append((int(start[stop]), stop))
        stop = groups[-1][0]
    return groups[::-1]
