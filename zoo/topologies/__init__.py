"""Builders for the classic RNN topologies; each returns a ``keras.Model``.

=====================  ==============================================
``one_to_one``         one input, one output (a single step)
``one_to_many``        one input conditions a generated sequence
``many_to_one``        a sequence in, one output (sentiment)
``many_to_many_synced``one output per input step (tagging, char-LM)
``encoder_decoder``    sequence to sequence of another length
=====================  ==============================================

Every builder takes the cell by name ("simplernn", "gru", "lstm") or as an
instance, and ends with the output layer ``y_t = f(W_y h_t + b_y)``.
"""

from zoo.topologies.encoder_decoder import encoder_decoder
from zoo.topologies.many_to_many import many_to_many_synced
from zoo.topologies.many_to_one import many_to_one
from zoo.topologies.one_to_many import one_to_many
from zoo.topologies.one_to_one import one_to_one

__all__ = ["encoder_decoder", "many_to_many_synced", "many_to_one", "one_to_many", "one_to_one"]
