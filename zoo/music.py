"""Composing with a piano-roll model: from one chord, a piece, one chord per step.

A zoo composer (trained by ``zoo train chorales-gru``, ...) reads a frame of
88 piano keys (MIDI 21..108) and gives, for each key, the probability that it
sounds at the next step. ``Composer.compose`` feeds it the first chord, draws
the next chord key by key from those probabilities, feeds that back, and so
on, carrying the recurrent state: each chord costs one cell step.

>>> parse_chord("C4 E4 G4")
[60, 64, 67]
>>> parse_chord("Eb3, f#5 60")
[51, 60, 78]
>>> note_name(61), chord_names([60, 64, 67])
('C#4', 'C4 E4 G4')
>>> parse_chord("C9")
Traceback (most recent call last):
...
ValueError: note 'C9' is MIDI 120, outside the piano roll's range 21..108 (A0..C8)
>>> parse_chord("H2")
Traceback (most recent call last):
...
ValueError: cannot read 'H2' as a note: give a name with an octave (C4, F#3, Bb5) or a MIDI number 21..108
"""

import base64
import io
import re

import keras
import numpy as np
from keras import ops

from zoo import time_limit
from zoo.generation import _compiled
from zoo.topologies._stack import numbered_layers

LOWEST, HIGHEST = 21, 108   # the piano roll's keys: A0 .. C8
KEYS = HIGHEST - LOWEST + 1
C_MAJOR = [60, 64, 67]      # C4 E4 G4: the default first chord
NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
ALTER = {"": 0, "#": 1, "##": 2, "b": -1, "bb": -2, "-": -1, "--": -2, "♯": 1, "♭": -1}
NOTE = re.compile(r"^([A-Ga-g])(##|#|bb|b|--|-|♯|♭)?(-?\d+)$")
TICKS_PER_QUARTER = 480
TEMPO = 500_000             # microseconds per quarter note: 120 bpm
VELOCITY = 80


def note_name(midi):
    """``"C4"`` for 60 (sharps for the black keys)."""
    return f"{NAMES[midi % 12]}{midi // 12 - 1}"


def chord_names(chord):
    """A chord as note names, low to high; ``"-"`` for a rest."""
    return " ".join(note_name(m) for m in sorted(chord)) or "-"


def _pitch(token):
    if isinstance(token, (int, np.integer)) and not isinstance(token, bool):
        midi, what = int(token), f"MIDI {int(token)}"
    elif isinstance(token, str) and re.fullmatch(r"\d+", token.strip()):
        midi, what = int(token), f"MIDI {int(token)}"
    else:
        match = NOTE.match(token.strip()) if isinstance(token, str) else None
        if match is None:
            raise ValueError(f"cannot read {token!r} as a note: give a name with an octave "
                             f"(C4, F#3, Bb5) or a MIDI number {LOWEST}..{HIGHEST}")
        letter, accidental, octave = match.groups()
        midi = 12 * (int(octave) + 1) + STEPS[letter.upper()] + ALTER[accidental or ""]
        what = f"note {token.strip()!r} is MIDI {midi}"
    if not LOWEST <= midi <= HIGHEST:
        raise ValueError(f"{what}, outside the piano roll's range {LOWEST}..{HIGHEST} "
                         f"({note_name(LOWEST)}..{note_name(HIGHEST)})")
    return midi


def parse_chord(chord):
    """MIDI numbers (sorted, without repeats) of a chord given as text
    (``"C4 E4 G4"``, ``"60 64 67"``, commas allowed) or as a list of names or
    numbers; ``ValueError`` names a note it cannot read or out of range."""
    if isinstance(chord, str):
        tokens = [t for t in re.split(r"[\s,]+", chord) if t]
    elif isinstance(chord, (int, np.integer)):
        tokens = [chord]
    else:
        try:
            tokens = list(chord)
        except TypeError:
            raise ValueError(f"cannot read {chord!r} as a chord: give note names or MIDI numbers") from None
    if not tokens:
        raise ValueError("empty chord: give at least one note (e.g. 'C4 E4 G4')")
    return sorted({_pitch(t) for t in tokens})


class Piece:
    """A generated piece: ``chords``, one list of MIDI numbers per quarter note."""

    def __init__(self, chords):
        self.chords = [sorted(int(m) for m in chord) for chord in chords]

    def __len__(self):
        return len(self.chords)

    def __repr__(self):
        return f"Piece({len(self.chords)} chords: {' | '.join(chord_names(c) for c in self.chords[:4])} ...)"

    def piano_roll(self):
        """``uint8 (steps, 88)``, column ``k`` is MIDI ``21 + k``."""
        roll = np.zeros((len(self.chords), KEYS), "uint8")
        for t, chord in enumerate(self.chords):
            roll[t, [m - LOWEST for m in chord]] = 1
        return roll

    def midi_file(self):
        """A ``mido.MidiFile``: one track, 120 bpm, each chord a quarter note
        (a note held from one chord to the next is struck again)."""
        import mido

        song = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_QUARTER)
        track = mido.MidiTrack()
        song.tracks.append(track)
        track.append(mido.MetaMessage("set_tempo", tempo=TEMPO, time=0))
        track.append(mido.Message("program_change", program=0, time=0))  # acoustic grand piano
        wait = 0
        for chord in self.chords:
            for i, midi in enumerate(chord):
                track.append(mido.Message("note_on", note=midi, velocity=VELOCITY, time=wait if i == 0 else 0))
            if chord:
                wait = 0
            for i, midi in enumerate(chord):
                track.append(mido.Message("note_off", note=midi, velocity=0,
                                          time=TICKS_PER_QUARTER if i == 0 else 0))
            wait += 0 if chord else TICKS_PER_QUARTER  # a rest: the next chord waits a quarter
        track.append(mido.MetaMessage("end_of_track", time=wait))
        return song

    def midi_bytes(self):
        """The standard MIDI file, as bytes."""
        out = io.BytesIO()
        self.midi_file().save(file=out)
        return out.getvalue()

    def to_midi(self, path):
        """Writes the standard MIDI file to ``path``; returns the path."""
        self.midi_file().save(str(path))
        return path

    def midi_base64(self):
        return base64.b64encode(self.midi_bytes()).decode("ascii")


class Composer(keras.Model):
    """A piano-roll network that writes a piece from one chord, carrying its
    recurrent state (one cell step per chord).

    >>> from zoo.topologies import many_to_many_synced
    >>> net = many_to_many_synced("gru", 8, input_dim=88, output_dim=88, output_activation="sigmoid")
    >>> piece = Composer(net).compose("C4 E4 G4", steps=5, seed=0)
    >>> len(piece.chords), piece.chords[0]
    (5, [60, 64, 67])
    >>> piece.chords == Composer(net).compose([60, 64, 67], steps=5, seed=0).chords
    True
    """

    def __init__(self, network, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.head = network.get_layer("output")
        layers = numbered_layers(network, "rnn")
        if not layers:
            raise ValueError(f"Model {network.name!r} has no recurrent layer named 'rnn_0'.")
        if any(isinstance(layer, keras.layers.Bidirectional) for layer in layers):
            raise ValueError("A bidirectional model sees the future: it cannot compose step by step.")
        self.cells = [layer.cell for layer in layers]
        self._step = _compiled(self._step_eagerly)  # traced once, not per call

    def call(self, inputs):
        return self.network(inputs)

    def zero_state(self, batch_size=1):
        return [list(cell.get_initial_state(batch_size)) for cell in self.cells]

    def _step_eagerly(self, frame, state):
        x, new_state = frame, []
        for cell, layer_state in zip(self.cells, state):
            x, layer_state = cell(x, layer_state, training=False)
            new_state.append(list(layer_state))
        logits = ops.matmul(x, self.head.kernel)
        if self.head.use_bias:
            logits = logits + self.head.bias
        return logits, new_state

    def step(self, frame, state):
        """One step: a frame ``(batch, 88)`` and the state -> ``(logits of the next frame, new state)``."""
        return self._step(ops.convert_to_tensor(np.asarray(frame, "float32")), state)

    def compose(self, first_chord=None, steps=64, temperature=1.0, seed=None):
        """A ``Piece`` of ``steps`` chords, the first being ``first_chord`` (note
        names or MIDI numbers; ``None``: C4 E4 G4). Each key of the next chord is
        drawn on with probability ``sigmoid(logit / temperature)``;
        ``temperature=0`` takes the keys whose probability exceeds 0.5. Same
        seed, same piece."""
        chord = C_MAJOR if first_chord is None else parse_chord(first_chord)
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
            raise ValueError(f"`steps` must be a positive integer (chords in all, the first one "
                             f"included), got {steps!r}")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or temperature < 0:
            raise ValueError(f"`temperature` must be a number >= 0, got {temperature!r}")
        rng = np.random.default_rng(seed)
        frame = np.zeros((1, KEYS), "float32")
        frame[0, [m - LOWEST for m in chord]] = 1.0
        chords, state = [chord], self.zero_state(1)
        for _ in range(int(steps) - 1):
            time_limit.check()
            logits, state = self.step(frame, state)
            z = np.asarray(ops.convert_to_numpy(logits), "float64")[0]
            if temperature == 0:
                on = z > 0
            else:
                with np.errstate(over="ignore"):  # a tiny temperature: exp overflows to inf, p to 0
                    on = rng.random(KEYS) < 1.0 / (1.0 + np.exp(-z / temperature))
            frame = on[None].astype("float32")
            chords.append([LOWEST + int(k) for k in np.flatnonzero(on)])
        return Piece(chords)


def draw(piece, path, title=None):
    """A piano-roll picture of ``piece`` (PNG): time across, keys up (matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    roll = piece.piano_roll().T
    used = np.flatnonzero(roll.any(axis=1))
    low, high = (int(used.min()) - 2, int(used.max()) + 3) if len(used) else (39 - 12, 39 + 12)
    low, high = max(low, 0), min(high, KEYS)
    fig, ax = plt.subplots(figsize=(max(6.0, len(piece) / 8), 3.6))
    ax.imshow(roll[low:high], aspect="auto", origin="lower", cmap="Greys", interpolation="nearest",
              extent=(-0.5, len(piece) - 0.5, LOWEST + low - 0.5, LOWEST + high - 0.5))
    ticks = [m for m in range(LOWEST + low, LOWEST + high) if m % 12 == 0]
    ax.set_yticks(ticks, [note_name(m) for m in ticks])
    ax.set_xlabel("step (quarter note)")
    ax.set_ylabel("pitch")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
