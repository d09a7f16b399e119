"""Bach chorales as piano rolls, the composer task and ``zoo.music``: a handful
of music21's corpus files, tiny models, no full corpus (that takes minutes)."""

import math

import mido
import numpy as np
import pytest

from training.data import chorales
from training.recipes import Recipe
from training.tasks import chorales as task
from zoo import kinds, music
from zoo.topologies import many_to_many_synced

# F major, G minor, D minor, A minor; bwv274 and bwv62.6 are one harmonisation under two numbers.
PATHS = ["bach/bwv1.6", "bach/bwv10.7", "bach/bwv101.7", "bach/bwv26.6", "bach/bwv274", "bach/bwv62.6"]


@pytest.fixture(scope="module")
def prepared():
    return chorales.prepare(PATHS)


@pytest.fixture(scope="module")
def rolls(prepared):
    return [roll for roll, _ in prepared[0].values()]


def test_transposed_to_c_by_the_analysed_key(prepared):
    pieces, _ = prepared
    assert {name: info["key"] for name, (_, info) in pieces.items()} == {
        "bwv1.6.mxl": "F major", "bwv10.7.mxl": "G minor", "bwv101.7.mxl": "D minor",
        "bwv26.6.mxl": "A minor", "bwv274.mxl": "G minor"}
    for name, (roll, info) in pieces.items():
        assert -5 <= info["shift"] <= 6
        last = roll[np.flatnonzero(roll.any(axis=1))[-1]]
        assert (np.flatnonzero(last)[0] + chorales.LOWEST) % 12 == 0, name  # the last bass note is a C
        classes = np.bincount((np.nonzero(roll)[1] + chorales.LOWEST) % 12, minlength=12)
        assert 0 in np.argsort(-classes)[:2], name  # C is the commonest or next to it


def test_transposition_moves_the_tonic_to_c_by_at_most_a_tritone():
    from music21 import key

    assert [chorales.transposition(key.Key(k)) for k in ["C", "F", "g", "F#", "B-", "a", "e"]] == \
        [0, -5, 5, 6, 2, 3, -4]


def test_quantised_to_quarter_notes_as_music21_chordifies_it(prepared):
    """Frame t holds what the voices sound at quarter t: checked against music21's own chordify
    (bwv1.6 also has a horn part, left out)."""
    from music21 import corpus

    roll, info = prepared[0]["bwv1.6.mxl"]
    score = corpus.parse("bach/bwv1.6").transpose(info["shift"])
    assert [p.partName for p in score.parts] == ["Horn 2", "Soprano", "Alto", "Tenor", "Bass"]
    assert [p.partName for p in chorales.voices(score)] == ["Soprano", "Alto", "Tenor", "Bass"]
    score.remove(score.parts[0])
    chords = list(score.chordify().flatten().notes)
    start = min(float(c.offset) for c in chords)
    end = max(float(c.offset + c.quarterLength) for c in chords)
    assert len(roll) == math.ceil(end - start)
    for t in range(len(roll)):
        sounding = set()
        for c in chords:
            if float(c.offset) - start <= t < float(c.offset + c.quarterLength) - start:
                sounding |= {p.midi for p in c.pitches}
        assert set(np.flatnonzero(roll[t]) + chorales.LOWEST) == sounding, t


def test_voices_are_the_sung_parts():
    from music21 import note, stream

    def score(*names):
        out = stream.Score()
        for name in names:
            part = stream.Part()
            part.partName = name
            part.append(note.Note("C4"))
            out.insert(0, part)
        return out

    names = ["Violin 1", "Soprano 1", "Soprano 2", "Alto", "Tenor\rViola", "Bass Continuo", "Timpani"]
    assert [p.partName for p in chorales.voices(score(*names))] == names[1:6]
    assert len(chorales.voices(score(None, None, None, None))) == 4
    assert chorales.voices(score("Piano", "Piano")) == []


def test_piano_roll_keeps_what_sounds_on_each_beat():
    roll = chorales.piano_roll([(0.0, 2.0, 48), (0.0, 0.5, 60), (0.5, 0.5, 62), (1.0, 1.0, 64),
                                (1.5, 1.5, 67), (3.0, 1.0, 21), (3.0, 1.0, 108)], 4)
    assert [list(np.flatnonzero(f) + 21) for f in roll] == [[48, 60], [48, 64], [67], [21, 108]]
    with pytest.raises(ValueError, match="pitch 109 is outside"):
        chorales.piano_roll([(0.0, 1.0, 109)], 1)


def test_piano_rolls_are_88_keys_of_zeros_and_ones(rolls):
    for roll in rolls:
        assert roll.dtype == np.uint8 and roll.shape[1] == 88 == chorales.KEYS
        assert set(np.unique(roll)) <= {0, 1} and roll.any()
        assert (roll.sum(axis=1) <= 8).all()


def test_duplicates_are_removed_keeping_the_first_name(prepared):
    pieces, dropped = prepared
    assert "bwv274.mxl" in pieces and "bwv62.6.mxl" not in pieces
    assert dropped == {"bwv62.6.mxl": "the same piano roll as bwv274.mxl (a duplicate)"}
    assert chorales.prepare_piece(chorales._resolve("bach/bwv62.6"))[0].tobytes() == \
        pieces["bwv274.mxl"][0].tobytes()


def test_split_is_by_name_and_stable_under_reordering(prepared):
    shuffled = chorales.prepare(PATHS[::-1])
    assert list(shuffled[0]) == list(prepared[0]) and shuffled[1] == prepared[1]
    a, b = chorales.splits_of(prepared[0]), chorales.splits_of(shuffled[0])
    assert list(a) == ["train", "validation", "test"]
    for split in a:
        assert [r.tobytes() for r in a[split]] == [r.tobytes() for r in b[split]]
    assert sum(map(len, a.values())) == 5
    assert chorales.split_of("bwv10.7.mxl") == chorales.split_of("/elsewhere/bwv10.7.mxl")
    shares = np.bincount([chorales.SPLITS.index(chorales.split_of(f"piece{i}.mxl")) for i in range(3000)])
    np.testing.assert_allclose(shares / 3000, [0.70, 0.15, 0.15], atol=0.03)


def test_batches_pad_whole_pieces_and_weigh_real_steps_only(rolls):
    batches = list(task.batches(rolls, batch_size=2, seed=1, epoch=0))
    assert len(batches) == 3
    steps = 0
    for x, y, w in batches:
        x, y, w = np.asarray(x), np.asarray(y), np.asarray(w)
        assert x.shape[0] == 2 and x.shape[1] % task.BUCKET == 0 and w.shape == x.shape[:2]
        assert not x[w == 0].any() and not y[w == 0].any()
        np.testing.assert_array_equal(x[:, 1:][w[:, 1:] > 0], y[:, :-1][w[:, 1:] > 0])  # y is x, one step on
        steps += int((w > 0).sum())
    assert steps == sum(len(r) - 1 for r in rolls)
    np.testing.assert_allclose(np.mean([np.asarray(w).mean() for _, _, w in batches]), 1.0, rtol=1e-6)
    again = list(task.batches(rolls, batch_size=2, seed=1, epoch=0))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(batches, again))


def test_a_tiny_model_learns(rolls):
    recipe = Recipe("chorales-gru", "chorales", "chorales", cell="gru", units=16, batch_size=2,
                    learning_rate=0.01)
    model = task.build_model(recipe)
    data = {"test": rolls}
    before = task.evaluate(model, data)
    assert before["pieces"] == 5 and before["steps"] == sum(len(r) - 1 for r in rolls)
    model.fit(task.batches(rolls, 2, seed=0, epoch=0), epochs=8, verbose=0, shuffle=False)
    after = task.evaluate(model, data)
    assert after["nll_per_step"] < before["nll_per_step"] - 10
    assert 0 <= after["frame_accuracy"] <= 1


def test_scores_are_summed_nats_and_bay_frame_accuracy():
    roll = np.zeros((3, 88), "uint8")
    roll[1, [39, 43]] = roll[2, [39]] = 1
    z = np.where(roll[1:] > 0, 10.0, -10.0)
    z[1, 50] = 10.0                                    # one false positive
    nats, steps, tp, fp, fn = task.scores([z], [roll])
    assert (steps, tp, fp, fn) == (2, 3, 1, 0)
    np.testing.assert_allclose(nats, 175 * np.log1p(np.exp(-10.0)) + 10 + np.log1p(np.exp(-10.0)))


@pytest.fixture(scope="module")
def composer():
    net = many_to_many_synced("lstm", 12, input_dim=88, output_dim=88, output_activation="sigmoid",
                              name="tiny")
    return kinds.KINDS["composer"].build(net, {"name": "tiny-composer"}, {})


def test_compose_is_reproducible_with_a_seed(composer):
    a = composer.compose("C4 E4 G4", steps=24, temperature=1.0, seed=3)
    b = composer.compose([60, 64, 67], steps=24, temperature=1.0, seed=3)
    c = composer.compose(None, steps=24, temperature=1.0, seed=4)
    assert a.chords == b.chords and a.chords != c.chords
    assert len(a.chords) == 24 and a.chords[0] == c.chords[0] == [60, 64, 67]
    assert all(21 <= m <= 108 for chord in a.chords for m in chord)
    assert composer.compose(steps=1).chords == [[60, 64, 67]]


def test_greedy_steps_equal_the_whole_network(composer):
    """Carrying the state one step at a time gives what the network gives on the whole piece."""
    piece = composer.compose("A3 C4 E4", steps=12, temperature=0)
    roll = piece.piano_roll().astype("float32")
    probs = np.asarray(composer(roll[None, :-1]))[0]
    np.testing.assert_array_equal(probs > 0.5, roll[1:] > 0)


def test_midi_file_reads_back_with_the_same_notes(composer, tmp_path):
    piece = composer.compose("D4 F#4 A4", steps=16, temperature=1.5, seed=0)
    piece.chords[5] = []  # a rest
    path = piece.to_midi(tmp_path / "piece.mid")
    song = mido.MidiFile(str(path))
    assert song.ticks_per_beat == music.TICKS_PER_QUARTER
    assert mido.tempo2bpm(next(m.tempo for m in song if m.type == "set_tempo")) == 120
    heard, tick = {}, 0
    for message in song.tracks[0]:
        tick += message.time
        if message.type == "note_on" and message.velocity > 0:
            assert tick % music.TICKS_PER_QUARTER == 0
            heard.setdefault(tick // music.TICKS_PER_QUARTER, []).append(message.note)
    assert {t: sorted(n) for t, n in heard.items()} == {t: c for t, c in enumerate(piece.chords) if c}
    assert song.length == pytest.approx(0.5 * len(piece.chords))  # a quarter note at 120 bpm: 0.5 s
    assert piece.midi_bytes() == path.read_bytes()


def test_the_kind_answers_and_shows(composer, tmp_path):
    import base64

    row = kinds.KINDS["composer"]
    answer = row.answer(composer, first_chord="C4 E4 G4", steps=8, temperature=1.0, seed=0)
    assert len(answer["chords"]) == 8 and answer["chords"][0] == [60, 64, 67]
    assert base64.b64decode(answer["midi_base64"])[:4] == b"MThd"
    lines = row.show(composer, ["C4", "E4", "G4"], {"steps": 8, "temperature": 1.0, "seed": 0,
                                                  "output": str(tmp_path / "out.mid")})
    assert lines[0] == "C4 E4 G4" and len(lines) == 8
    assert lines == [music.chord_names(c) for c in answer["chords"]]
    assert (tmp_path / "out.mid").read_bytes()[:4] == b"MThd"
    assert row.headline({"nll_per_step": 8.4012, "frame_accuracy": 0.3012, "split": "test"}) == \
        "8.40 nats/step, frame accuracy 0.301 (test)"
    assert not row.higher_is_better and row.route == "compose"


@pytest.mark.parametrize("chord, problem", [
    ("C4 E4 Q4", "cannot read 'Q4' as a note"),
    ("C4 E", "cannot read 'E' as a note"),
    ("A0 C9", "note 'C9' is MIDI 120, outside the piano roll's range 21..108"),
    ([60, 20], "MIDI 20, outside the piano roll's range 21..108"),
    ("", "empty chord"),
    ([], "empty chord"),
])
def test_bad_chords_name_the_problem(composer, chord, problem):
    with pytest.raises(ValueError, match=problem):
        music.parse_chord(chord)
    with pytest.raises(ValueError, match=problem):
        composer.compose(chord, steps=4)


def test_bad_steps_and_temperature(composer):
    with pytest.raises(ValueError, match="steps"):
        composer.compose(steps=0)
    with pytest.raises(ValueError, match="temperature"):
        composer.compose(temperature=-1)


def test_published_entries_show_a_piece(composer, tmp_path):
    model_file = tmp_path / "tiny.keras"
    composer.network.save(model_file)
    extras = task.published_extras("tiny", model_file, tmp_path)
    assert extras["piece"] == "tiny.piece.png" and (tmp_path / "tiny.piece.png").read_bytes()[:4] == b"\x89PNG"
    assert extras["piece_first_chords"][0] == "C4 E4 G4" and len(extras["piece_first_chords"]) == 8
    assert extras["piece_first_chords"] == [music.chord_names(c) for c in composer.compose(**task.PIECE).chords[:8]]
