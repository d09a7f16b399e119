"""Unfolding in time: the looped RNN drawn out as k explicit copies of one step.

``keras.layers.RNN`` runs a loop; ``unfold(cell, k)`` builds the same
computation as a feed-forward graph with k calls of the same cell layer (so
one set of weights ``W_x, W_h, b`` shared by every copy)::

        y_1        y_2        y_3
         ^          ^          ^
  h_0 -> [A] -h_1-> [A] -h_2-> [A] -> h_3
         ^          ^          ^
        x_1        x_2        x_3

This is the network that backpropagation through time differentiates.
"""

import keras
from keras import ops

from zoo import cells as zoo_cells


@keras.saving.register_keras_serializable(package="zoo")
class TimeStep(keras.layers.Layer):
    """Takes ``x_t`` (step ``t``, 0-based) out of a ``(batch, T, ...)`` sequence."""

    def __init__(self, t, **kwargs):
        super().__init__(**kwargs)
        self.t = t

    def call(self, sequence):
        return sequence[:, self.t]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *input_shape[2:])

    def get_config(self):
        return {**super().get_config(), "t": self.t}


@keras.saving.register_keras_serializable(package="zoo")
class StackSteps(keras.layers.Layer):
    """Stacks per-step outputs ``[y_1, ..., y_k]`` into ``(batch, k, ...)``."""

    def call(self, steps):
        return ops.stack(steps, axis=1)

    def compute_output_shape(self, input_shapes):
        return (input_shapes[0][0], len(input_shapes), *input_shapes[0][1:])


def unfold(cell, k, input_dim=None, *, units=None, output_layer=None, name=None):
    """Returns the explicit k-step network of ``cell`` as a functional model.

    Inputs are ``[x, *h_0]`` with ``x`` of shape ``(batch, k, input_dim)``;
    outputs are ``[y, *h_k]`` with ``y`` the stacked step outputs (passed
    through ``output_layer``, e.g. the ``Dense`` of ``y_t = f(W_y h_t + b_y)``,
    when one is given). The outputs equal
    ``keras.layers.RNN(cell, return_sequences=True, return_state=True)``'s on
    the same inputs and states, because it is the same cell.

    Args:
        cell: a cell instance (built or not; its weights are shared, not
            copied) or a name ("simplernn", "gru", "lstm") with ``units``.
        k: number of time steps to unfold.
        input_dim: size of ``x_t``; taken from the cell's kernel if it is built.

    >>> import numpy as np
    >>> from zoo import unfold
    >>> from zoo.cells import GRUCell
    >>> model = unfold(GRUCell(4), k=3, input_dim=2)
    >>> y, h = model([np.ones((1, 3, 2)), np.zeros((1, 4))])
    >>> tuple(y.shape), tuple(h.shape)
    ((1, 3, 4), (1, 4))
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"`k` must be a positive integer, got {k!r}.")
    cell = zoo_cells.get(cell, units)
    if input_dim is None:
        if not cell.built:
            raise ValueError("`input_dim` is required for a cell that is not built yet.")
        input_dim = cell.kernel.shape[0]
    sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]

    x = keras.Input(shape=(k, input_dim), name="x")
    h0 = [keras.Input(shape=(size,), name=f"h0_{j}") for j, size in enumerate(sizes)]
    state, outputs = list(h0), []
    for t in range(k):
        x_t = TimeStep(t, name=f"x_{t + 1}")(x)
        y_t, state = cell(x_t, state)
        state = list(state)
        outputs.append(output_layer(y_t) if output_layer is not None else y_t)
    y = StackSteps(name="y")(outputs)
    return keras.Model([x, *h0], [y, *state], name=name or f"unfolded_{k}_steps")


def render(cell, k):
    """A text picture of ``cell`` unfolded over ``k`` steps, with its shared weights.

    >>> from zoo.cells import SimpleRNNCell
    >>> print(render(SimpleRNNCell(3), 2).splitlines()[2])
      h_0 --> [A] --h_1--> [A] --> h_2
    """
    cell = zoo_cells.get(cell)
    box, link = "[A]", "--h_{}-->"
    top = bottom = arrows = "      " + " " * (len(" --> ") - 1)
    chain = "  h_0 --> "
    for t in range(1, k + 1):
        col = len(chain) + 1
        top = top.ljust(col - 1) + f"y_{t}"
        arrows = arrows.ljust(col) + "^"
        bottom = bottom.ljust(col - 1) + f"x_{t}"
        chain += box + (" " + link.format(t) + " " if t < k else f" --> h_{k}")
    name = cell.__class__.__name__
    lines = [top.rstrip(), arrows.rstrip(), chain, arrows.rstrip(), bottom.rstrip(), ""]
    lines.append(f"A = {name}(units={cell.units}): one layer called {k} times, so every copy")
    if cell.built:
        shapes = ", ".join(f"{w.path.split('/')[-1]} {tuple(w.shape)}" for w in cell.weights)
        lines.append(f"shares the same weights: {shapes}.")
    else:
        lines.append("shares the same weights (W_x = kernel, W_h = recurrent_kernel, b = bias).")
    return "\n".join(lines)


def plot(cell, k, path):
    """Draws ``cell`` unfolded over ``k`` steps to an image (PNG, SVG, PDF by
    the file's suffix), one box per time step, the shared weights named once.

    Keras' ``plot_model`` draws a shared layer as a single node with a loop:
    the rolled-up view. This draws the unrolled one, with the same tools
    (pydot and Graphviz); a ``RuntimeError`` names whichever is missing.
    """
    try:
        import pydot
    except ImportError:
        raise RuntimeError("Drawing needs pydot: pip install pydot (and Graphviz: apt-get install graphviz).") from None
    cell = zoo_cells.get(cell)
    name = cell.__class__.__name__
    graph = pydot.Dot(graph_type="digraph", rankdir="LR", newrank="true",
                      label=f"{name}(units={cell.units}) unfolded over {k} steps: "
                            "every box is the same layer, with the same W_x, W_h, b",
                      labelloc="b", fontname="Helvetica")
    graph.set_node_defaults(fontname="Helvetica")
    graph.set_edge_defaults(fontname="Helvetica")
    graph.add_node(pydot.Node("h_0", shape="plaintext", label="h_0"))
    previous = "h_0"
    for t in range(1, k + 1):
        step = pydot.Subgraph(f"step_{t}", rank="same")
        step.add_node(pydot.Node(f"y_{t}", shape="circle", label=f"y_{t}"))  # on top
        step.add_node(pydot.Node(f"A_{t}", shape="box", style="filled",
                                 fillcolor="lightblue", label=f"{name}\\nstep {t}"))
        step.add_node(pydot.Node(f"x_{t}", shape="circle", label=f"x_{t}"))
        graph.add_subgraph(step)
        # drawn as x_t -> A -> y_t, declared the other way so y_t sits on top
        graph.add_edge(pydot.Edge(f"A_{t}", f"x_{t}", dir="back"))
        graph.add_edge(pydot.Edge(f"y_{t}", f"A_{t}", dir="back"))
        graph.add_edge(pydot.Edge(previous, f"A_{t}", label=f"h_{t - 1}" if t > 1 else ""))
        previous = f"A_{t}"
    graph.add_node(pydot.Node(f"h_{k}", shape="plaintext", label=f"h_{k}"))
    graph.add_edge(pydot.Edge(previous, f"h_{k}"))
    path = str(path)
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else "png"
    try:
        graph.write(path, format=suffix)
    except (FileNotFoundError, OSError) as error:
        raise RuntimeError(f"Graphviz could not draw {path} ({error}): apt-get install graphviz.") from None
    return path
