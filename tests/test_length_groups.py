"""zoo.length_groups: cutting a sorted batch of texts into calls of similar length."""

import itertools

import pytest

from zoo.length_groups import CALL_ROW_STEPS, STEP_ROWS, split_by_length
from zoo.models import length_classes

CLASSES = length_classes(600)


def cost(lengths, groups):
    """The estimate split_by_length minimizes, computed here from its definition."""
    total = 0
    for start, stop in groups:
        steps = next(c for c in CLASSES if c >= max(lengths[stop - 1], 1))
        rows = 1 << (stop - start - 1).bit_length()
        total += steps * (rows + STEP_ROWS) + CALL_ROW_STEPS
    return total


def splits(n):
    """Every way to cut n sorted texts into consecutive groups."""
    for cuts in itertools.product((False, True), repeat=n - 1):
        bounds = [0] + [i + 1 for i, cut in enumerate(cuts) if cut] + [n]
        yield list(zip(bounds, bounds[1:]))


@pytest.mark.parametrize("lengths", [
    [0, 0, 1], [5, 40, 41, 300, 600], [10] * 7, [30, 31, 33, 100, 101, 590, 600, 600],
    [1, 2, 3, 4, 5, 6, 7, 550], [120, 130, 140, 150, 160, 170, 180, 599],
])
def test_the_split_is_the_cheapest_of_all(lengths):
    groups = split_by_length(lengths, CLASSES, lambda rows, steps: True)
    assert [start for start, _ in groups] == [0] + [stop for _, stop in groups[:-1]]  # consecutive
    assert groups[-1][1] == len(lengths)
    assert cost(lengths, groups) == min(cost(lengths, split) for split in splits(len(lengths)))


def test_a_short_group_leaves_the_long_text_alone():
    everything = lambda rows, steps: True  # noqa: E731
    assert split_by_length([10, 12, 20, 25, 30, 31, 31, 590], CLASSES, everything) == [(0, 7), (7, 8)]
    assert split_by_length([10, 12, 20, 25, 30, 31, 31, 60], CLASSES, everything) == [(0, 8)]
    assert split_by_length([10, 12, 20, 590], CLASSES, everything) == [(0, 4)]  # 3 rows save less than a call


def test_only_compiled_shapes_or_the_whole_batch():
    lengths = [10, 12, 20, 590]
    # nothing compiled: the whole batch, allowed or not (the caller runs Keras' loop then)
    assert split_by_length(lengths, CLASSES, lambda rows, steps: False) == [(0, 4)]
    assert split_by_length(lengths, CLASSES, lambda rows, steps: False, whole=False) == [(0, 4)]
    # single rows compiled, the whole batch not allowed: one call per text
    one_row = lambda rows, steps: rows == 1  # noqa: E731
    assert split_by_length(lengths, CLASSES, one_row, whole=False) == [(0, 1), (1, 2), (2, 3), (3, 4)]
    # the whole batch allowed and cheaper than four calls
    assert split_by_length(lengths, CLASSES, one_row) == [(0, 4)]
    # a shape not compiled is never chosen for a part
    no_600 = lambda rows, steps: steps < 600  # noqa: E731
    assert split_by_length(lengths, CLASSES, no_600) == [(0, 4)]
