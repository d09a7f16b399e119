"""Where a run goes: ``runs/NAME`` by default, never written over by accident.

Light on purpose (no TensorFlow): the command line checks the output
directory before anything slow starts.
"""

import shutil
from pathlib import Path

from zoo import registry

CHECKPOINT_DIR = "checkpoint"


class ResumeError(Exception):
    """A run directory that cannot be resumed, or would be overwritten."""


def default_output_dir(name):
    return Path("runs") / name


def check_output_dir(output_dir, resume=False, overwrite=False, delete=True):
    """Refuses to write over an existing run without ``overwrite`` (or to
    ``resume`` nothing); with ``overwrite``, empties a run directory first
    (unless ``delete`` is False: a check only)."""
    output_dir = Path(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise ResumeError(f"{output_dir} is a file, not a run directory: choose another --output-dir.")
    used = output_dir.is_dir() and any(output_dir.iterdir())
    if resume:
        if not (output_dir / CHECKPOINT_DIR).is_dir():
            raise ResumeError(f"Nothing to resume: no checkpoint in {output_dir / CHECKPOINT_DIR}.")
        return
    if used and not overwrite:
        raise ResumeError(f"{output_dir} already holds files: pass --overwrite to start again there "
                               "(its files are deleted), --resume to continue its run, or choose another "
                               "--output-dir.")
    if used:
        if not any((output_dir / name).exists() for name in ("recipe.json", registry.CARD, CHECKPOINT_DIR)):
            raise ResumeError(f"{output_dir} holds files but no run of `zoo train`: "
                                   "--overwrite deletes runs only; choose another --output-dir.")
        if delete:
            shutil.rmtree(output_dir)
