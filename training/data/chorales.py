"""Bach's chorales from music21's corpus, as piano rolls like the JSB Chorales
of Boulanger-Lewandowski et al. (2012).

Source: ``music21.corpus.getComposer("bach")`` (shipped inside the music21
package: no download). Each piece is

1. parsed by music21 (MusicXML ``.mxl``/``.xml`` and Humdrum ``.krn``);
2. cut to its voices: the parts named Soprano, Alto, Tenor or Bass (an
   instrument that doubles a voice, "Soprano Oboe 1 Violin1", counts as that
   voice; a score of four unnamed parts is taken whole), so that trumpets,
   horns, timpani, violins and continuo of the cantata settings are left out,
   as in the four-part JSB Chorales;
3. transposed to C major or C minor by its analysed key
   (``score.analyze("key")``, Krumhansl-Schmuckler, on the whole score), by
   the shift of -5..+6 semitones that moves the tonic to C;
4. quantised to quarter notes on the grid of beats through the downbeat of bar
   1: step ``t`` is the ``t``-th beat from the first note (a pickup shorter
   than a beat is skipped); it holds every pitch SOUNDING at that beat, i.e. of
   a note with ``onset <= beat < onset + duration`` (a passing eighth on the
   off-beat is not seen; a held or tied note appears in every quarter it
   covers; a step where every voice rests is an empty frame);
5. written as an 88-key piano roll: ``uint8 (T, 88)``, column ``k`` is MIDI
   pitch ``21 + k`` (A0 .. C8).

Dropped (music21 10.5.1: 433 files; ``python -m training.data.chorales``
prints these counts):

* the 20 ``riemenschneider*.rntxt`` files: Roman-numeral analyses, not Bach's
  voices;
* ``bwv846.mxl``: the C major prelude of the Well-Tempered Clavier (a piano
  piece, no voices);
* 4 pieces whose piano roll equals that of a piece earlier in name order
  after transposition (the same harmonisation filed twice, e.g. with and
  without its instruments): ``bwv18.5-w`` = ``bwv18.5-lz``, ``bwv190.7`` =
  ``bwv190.7-inst``, ``bwv398`` = ``bwv197.7-a``, ``bwv62.6`` = ``bwv274``;
  the one of the smaller name is kept;
* any piece that music21 cannot parse, that holds no note, or that has a pitch
  outside the piano's 88 keys (none in 10.5.1).

That leaves 408 pieces (218 analysed in major, 190 in minor; 406 of four
voices, 2 of five), 24 to 218 steps long (median 48); pitches span MIDI 31..84
after transposition; 88% of the steps hold four notes, 2% none (rests).

The split is fixed and independent of the order of the files: the piece's
file name (e.g. ``bwv10.7.mxl``) is hashed, ``u = int(sha1(name)[:8], 16) /
2**32``; ``u < 0.70`` is train, ``u < 0.85`` validation, the rest test (music21
10.5.1: 297 / 57 / 54 pieces, 16,784 / 3,344 / 2,884 steps). Within a split the
pieces are in name order. This is NOT the published JSB split (229 / 76 / 77
pieces of another edition), and its test pieces came out harder than its
validation pieces (a model's NLL per step about 0.4 nats higher).

Parsing every file takes a minute or two, so the rolls are kept in
``cache_dir()/chorales/music21-<version>-v<PREPARATION>.npz`` (``$ZOO_CACHE_DIR``, else
``~/.cache/rnn-zoo``); a new music21 version prepares them again.

>>> roll = piano_roll([(0.0, 1.0, 60), (0.0, 2.0, 64), (1.5, 0.5, 67)], 2)
>>> roll.shape, roll.dtype, [(np.flatnonzero(frame) + LOWEST).tolist() for frame in roll]
((2, 88), dtype('uint8'), [[60, 64], [64]])
>>> split_of("bwv10.7.mxl") in SPLITS
True
"""

import concurrent.futures
import hashlib
import json
import math
import os
import re
import tempfile
from pathlib import Path

import numpy as np

from .sources import DataError, cache_dir

LOWEST, HIGHEST = 21, 108           # MIDI pitches of the piano roll's first and last key (A0, C8)
KEYS = HIGHEST - LOWEST + 1         # 88
SPLITS = ("train", "validation", "test")
BOUNDS = (0.70, 0.85)               # the hash's cut points: train below 0.70, validation below 0.85
SKIPPED_SUFFIXES = (".rntxt",)      # Roman-numeral analyses, not notes
PREPARATION = 2                     # the cache's version: bump it when the preparation changes


def split_of(name):
    """The split of the piece whose corpus file is called ``name`` (its base name)."""
    u = int(hashlib.sha1(Path(name).name.encode("utf-8")).hexdigest()[:8], 16) / 2 ** 32
    return SPLITS[0] if u < BOUNDS[0] else SPLITS[1] if u < BOUNDS[1] else SPLITS[2]


def piano_roll(notes, steps):
    """``uint8 (steps, 88)`` from ``(onset, duration, midi)`` in quarter notes:
    frame ``t`` holds the pitches sounding at onset ``t``."""
    roll = np.zeros((steps, KEYS), "uint8")
    for onset, duration, midi in notes:
        if not LOWEST <= midi <= HIGHEST:
            raise ValueError(f"pitch {midi} is outside the piano roll's range {LOWEST}..{HIGHEST}")
        first, end = max(math.ceil(onset - 1e-9), 0), onset + duration
        for t in range(first, steps):
            if t >= end - 1e-9:
                break
            roll[t, midi - LOWEST] = 1
    return roll


def transposition(key):
    """Semitones (-5..+6) that move the tonic of a music21 ``Key`` to C."""
    shift = -key.tonic.pitchClass % 12
    return shift - 12 if shift > 6 else shift


VOICES = ("soprano", "alto", "tenor", "bass")


def voices(score):
    """The parts of ``score`` that sing: those named Soprano, Alto, Tenor or Bass
    (an instrument doubling a voice included, e.g. "Soprano Oboe 1 Violin1"),
    or every part of a score of four unnamed parts; ``[]`` if neither."""
    parts = list(score.parts)
    sung = [p for p in parts if re.match(r"\s*([a-z]*)", (p.partName or "").lower()).group(1) in VOICES]
    if len(sung) >= 4:
        return sung
    return parts if len(parts) == 4 and not sung else []


def prepare_piece(path):
    """``(roll, info)`` of one corpus file, or ``(None, reason)`` if it is dropped."""
    from music21 import converter

    path = Path(path)
    if path.suffix in SKIPPED_SUFFIXES:
        return None, "a Roman-numeral analysis, not notes"
    try:
        score = converter.parse(str(path))
        key = score.analyze("key")
    except Exception as error:  # music21 raises many kinds; the piece is dropped with the reason
        return None, f"music21 cannot read it ({type(error).__name__}: {error})"
    parts = voices(score)
    if not parts:
        names = ", ".join(p.partName or "?" for p in score.parts)
        return None, f"not a chorale of four or more voices (its parts: {names})"
    shift = transposition(key)
    notes = []
    for part in parts:
        for element in part.flatten().notes:
            duration = float(element.quarterLength)
            if duration <= 0:  # grace notes
                continue
            onset = float(element.offset)
            notes += [(onset, duration, p.midi + shift) for p in element.pitches]
    if not notes:
        return None, "no notes"
    first = min(onset for onset, _, _ in notes)
    # The grid of quarters runs through the downbeat of bar 1 (after a pickup of any length).
    bar_one = [float(m.offset) for m in parts[0].getElementsByClass("Measure") if m.number == 1]
    start = first + ((bar_one[0] - first) % 1.0 if bar_one else 0.0)
    notes = [(onset - start, duration, midi) for onset, duration, midi in notes]
    steps = math.ceil(max(onset + duration for onset, duration, _ in notes) - 1e-9)
    try:
        roll = piano_roll(notes, steps)
    except ValueError as error:
        return None, str(error)
    return roll, {"key": f"{key.tonic.name} {key.mode}", "shift": shift, "voices": len(parts)}


def corpus_paths():
    """Every file of music21's Bach corpus."""
    from music21 import corpus

    return [Path(p) for p in corpus.getComposer("bach")]


def _resolve(path):
    path = Path(path)
    if path.is_file():
        return path
    from music21 import corpus

    try:
        return Path(corpus.getWork(str(path)))
    except Exception as error:
        raise DataError(f"{path} is neither a file nor a work of music21's corpus ({error})") from None


def prepare(paths):
    """``(pieces, dropped)``: ``pieces`` maps each kept file name to its roll
    and info, ``dropped`` each dropped file name to the reason; duplicates are
    resolved by name order, so the result does not depend on the order of ``paths``."""
    pieces, dropped = {}, {}
    paths = sorted({_resolve(p) for p in paths}, key=lambda p: p.name)
    if len(paths) > 16 and (os.cpu_count() or 1) > 1:  # music21 parses in Python: one process a core
        with concurrent.futures.ProcessPoolExecutor(os.cpu_count()) as pool:
            prepared = list(pool.map(prepare_piece, paths, chunksize=8))
    else:
        prepared = [prepare_piece(path) for path in paths]
    for path, (roll, info) in zip(paths, prepared):
        if roll is None:
            dropped[path.name] = info
            continue
        pieces[path.name] = (roll, info)
    seen = {}
    for name in sorted(pieces):
        roll = pieces[name][0]
        digest = hashlib.sha1(repr(roll.shape).encode() + roll.tobytes()).hexdigest()
        if digest in seen:
            dropped[name] = f"the same piano roll as {seen[digest]} (a duplicate)"
            del pieces[name]
        else:
            seen[digest] = name
    return pieces, dropped


def _cache_file():
    import music21

    return cache_dir() / "chorales" / f"music21-{music21.__version__}-v{PREPARATION}.npz"


def _save(path, pieces, dropped):
    names = sorted(pieces)
    rolls = [pieces[n][0] for n in names]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
    os.close(fd)
    os.chmod(tmp, 0o644)
    try:
        np.savez_compressed(tmp, names=np.array(names), lengths=np.array([len(r) for r in rolls]),
                            rolls=np.concatenate(rolls) if rolls else np.zeros((0, KEYS), "uint8"),
                            info=json.dumps({n: pieces[n][1] for n in names}), dropped=json.dumps(dropped))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _load(path):
    with np.load(path) as f:
        names, lengths, rolls = list(f["names"]), f["lengths"], f["rolls"]
        info, dropped = json.loads(str(f["info"])), json.loads(str(f["dropped"]))
    parts = np.split(rolls, np.cumsum(lengths)[:-1]) if len(names) else []
    return {str(n): (r, info[str(n)]) for n, r in zip(names, parts)}, dropped


def prepared_corpus():
    """``(pieces, dropped)`` of the whole Bach corpus (see ``prepare``), cached."""
    path = _cache_file()
    if path.exists():
        try:
            return _load(path)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is prepared again
    pieces, dropped = prepare(corpus_paths())
    if not pieces:
        raise DataError("music21's corpus holds no Bach chorale: is music21 installed with its corpus?")
    _save(path, pieces, dropped)
    return pieces, dropped


def splits_of(pieces, limit=None):
    """``{split: [rolls]}``, each split in name order, cut to its first ``limit`` pieces."""
    out = {split: [] for split in SPLITS}
    for name in sorted(pieces):
        out[split_of(name)].append(pieces[name][0])
    return {split: rolls[:limit] if limit else rolls for split, rolls in out.items()}


def load_chorales(limit=None, paths=None):
    """``{"train": [rolls], "validation": [...], "test": [...]}``: ``uint8 (T, 88)``
    piano rolls (see the module). ``paths``: only these corpus files (paths, or
    corpus names like ``"bach/bwv10.7"``; not cached), e.g. for tests."""
    pieces = prepare(paths)[0] if paths is not None else prepared_corpus()[0]
    return splits_of(pieces, limit)


def corpus_report():
    """The counts the module docstring states: pieces and steps per split, what was dropped and why."""
    pieces, dropped = prepared_corpus()
    splits = {split: [] for split in SPLITS}
    for name in sorted(pieces):
        splits[split_of(name)].append(len(pieces[name][0]))
    return {"files": len(pieces) + len(dropped), "pieces": len(pieces),
            "splits": {s: {"pieces": len(v), "steps": int(sum(v))} for s, v in splits.items()},
            "keys": {mode: sum(info["key"].endswith(mode) for _, info in pieces.values())
                     for mode in ("major", "minor")},
            "dropped": dropped}


if __name__ == "__main__":
    print(json.dumps(corpus_report(), indent=1))
