"""The training loop: Keras ``fit`` one epoch at a time, with checkpoints that
resume exactly where a run stopped.

Every ``checkpoint_every`` batches and at the end of every epoch the run
directory gets ``checkpoint/last.weights.h5`` (model and optimizer state) and
``checkpoint/state.json`` (epoch, batches done in it, early-stopping state,
seconds trained so far: those of earlier runs included),
each written to a temporary file and renamed, so a ``kill -9`` at any moment
leaves the previous checkpoint whole. ``resume=True`` reloads them and skips
the batches already done: the data order of an epoch depends only on the
seed and the epoch, so the resumed run sees what the uninterrupted one would.

The weights with the best validation loss are kept in ``best.weights.h5``;
training stops early after ``patience`` epochs without improvement.
"""

import json
import math
import os
import time
from pathlib import Path

import keras

from training.run_dir import CHECKPOINT_DIR, ResumeError  # noqa: F401  (ResumeError: raised here too)
LAST_WEIGHTS = "last.weights.h5"
STATE = "state.json"
BEST_WEIGHTS = "best.weights.h5"


def _atomic_json(path, data):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


def _atomic_weights(model, path):
    tmp = path.with_name("tmp-" + path.name)
    model.save_weights(tmp)
    os.replace(tmp, path)


class _Checkpoint(keras.callbacks.Callback):
    """Saves the state every ``every`` batches; stops ``fit`` after one epoch."""

    def __init__(self, save, state, every):
        super().__init__()
        self.save, self.state, self.every = save, state, every

    def on_train_batch_end(self, batch, logs=None):
        self.state["batch"] += 1
        if self.every and self.state["batch"] % self.every == 0:
            self.save()

    def on_epoch_end(self, epoch, logs=None):
        self.model.stop_training = True  # one epoch per fit call; the loop goes on


class Run:
    """A run directory: checkpoints, best weights, logs."""

    def __init__(self, directory, model, *, resume=False, overwrite=False):
        self.dir = Path(directory)
        self.model = model
        self.ckpt_dir = self.dir / CHECKPOINT_DIR
        exists = (self.ckpt_dir / STATE).exists()
        if resume and not exists:
            raise ResumeError(f"Nothing to resume: no checkpoint in {self.ckpt_dir}.")
        if exists and not resume and not overwrite:
            raise ResumeError(
                f"{self.dir} already holds a run: pass --resume to continue it, "
                "--overwrite to start again, or choose another --output-dir.")
        self.ckpt_dir.mkdir(parents=True, exist_ok=True)
        self.resume = resume

    def save_checkpoint(self, state):
        _atomic_weights(self.model, self.ckpt_dir / LAST_WEIGHTS)
        _atomic_json(self.ckpt_dir / STATE, state)

    def load_checkpoint(self):
        state = json.loads((self.ckpt_dir / STATE).read_text())
        if not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        self.model.load_weights(self.ckpt_dir / LAST_WEIGHTS)
        return state


def fit(model, train_data, validation_data, run, *, epochs, patience=0,
        checkpoint_every=0, callbacks=(), verbose=1):
    """Trains ``model`` (compiled and built) with ``fit``.

    ``train_data(epoch)`` returns that epoch's ``tf.data.Dataset`` (the same on
    every call). Returns the state: epochs done, best validation loss and epoch,
    seconds trained (up to the last checkpoint of each earlier run, and all of this one).
    """
    fresh = {"epoch": 0, "batch": 0, "best_val_loss": math.inf, "best_epoch": -1,
             "stopped_early": False, "seconds": 0.0}
    state = run.load_checkpoint() if run.resume else fresh
    if run.resume and verbose:
        print(f"Resuming {run.dir} at epoch {state['epoch'] + 1}, batch {state['batch']}.")
    before, started = state.get("seconds", 0.0), time.monotonic()

    def save():
        state["seconds"] = round(before + time.monotonic() - started, 1)  # this run's time so far added
        run.save_checkpoint(state)

    checkpoint = _Checkpoint(save, state, checkpoint_every)
    while state["epoch"] < epochs and not state["stopped_early"]:
        epoch = state["epoch"]
        data = train_data(epoch)
        if state["batch"]:
            data = data.skip(state["batch"])
        history = model.fit(data, validation_data=validation_data, epochs=epochs,
                            initial_epoch=epoch, callbacks=[*callbacks, checkpoint],
                            verbose=verbose, shuffle=False)
        val_loss = history.history.get("val_loss", history.history["loss"])[-1]
        if val_loss < state["best_val_loss"]:
            state.update(best_val_loss=float(val_loss), best_epoch=epoch)
            _atomic_weights(model, run.dir / BEST_WEIGHTS)
        state.update(epoch=epoch + 1, batch=0)
        if patience and epoch - state["best_epoch"] >= patience:
            state["stopped_early"] = True
            if verbose:
                print(f"Stopping early: no better validation loss since epoch {state['best_epoch'] + 1}.")
        save()
    if (run.dir / BEST_WEIGHTS).exists():
        model.load_weights(run.dir / BEST_WEIGHTS)
    return state
