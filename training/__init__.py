"""Training for rnn-zoo models (TensorFlow backend): truncated BPTT; the data
loaders and the ``zoo train`` entrypoint build on it."""
