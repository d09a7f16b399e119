"""The pretrained zoo: cards, zoo.load with sha256 checks, task methods, the CLI.

Tiny models trained on the fixture data are published into a temporary zoo;
the entries shipped in zoo/pretrained/ are checked too (offline, and against
their cards' sample metrics when ZOO_DATA_DIR is given).
"""

import json
import os
import shutil

import keras
import pytest

from training.publish import publish
from zoo import registry
from zoo_cli.main import main

SHIPPED = registry.list_models()
# One worker builds the tiny zoo once (a module fixture is built again in every worker that runs the module).
pytestmark = pytest.mark.xdist_group("tiny-zoo")


@pytest.fixture(scope="module")
def tiny_zoo(data_dir, tmp_path_factory):
    """A zoo of three tiny entries: a classifier, a character model and a translator."""
    runs, out = tmp_path_factory.mktemp("runs"), tmp_path_factory.mktemp("zoo")
    trainings = {
        "imdb-lstm": ["--units", "8", "--embedding-dim", "8", "--vocab-size", "200",
                      "--sequence-length", "16", "--batch-size", "16", "--limit", "320",
                      "--learning-rate", "0.01", "--epochs", "2"],
        "shakespeare-char": ["--units", "16", "--layers", "1", "--embedding-dim", "8",
                             "--sequence-length", "20", "--bptt-k", "10", "--batch-size", "8",
                             "--limit", "4000", "--epochs", "1"],
        "spa-eng-translator": ["--units", "8", "--embedding-dim", "8", "--vocab-size", "100",
                               "--sequence-length", "8", "--limit", "200", "--epochs", "1"],
    }
    for name, options in trainings.items():
        assert main(["train", name, "--data-dir", str(data_dir), "--output-dir", str(runs / name),
                     "--quiet", *options]) == 0
        publish(name, runs / name, data_dir=data_dir, out_dir=out, strict=False)
    return out


@pytest.fixture
def zoo_dir(tiny_zoo, monkeypatch):
    monkeypatch.setattr(registry, "PRETRAINED", tiny_zoo)
    return tiny_zoo


def test_cards_hold_what_a_card_must(zoo_dir):
    assert registry.list_models() == ["imdb-lstm", "shakespeare-char", "spa-eng-translator"]
    for name in registry.list_models():
        card = registry.card(name)
        for key in ("task", "topology", "cell", "dataset", "metrics", "metrics_sample", "parameters",
                    "file", "recipe", "training", "curve"):
            assert key in card, (name, key)
        assert card["file"]["sha256"] == registry.sha256(zoo_dir / card["file"]["name"])
        assert (zoo_dir / card["curve"]).read_bytes()[:4] == b"\x89PNG"
        assert card["parameters"] > 0 and card["training"]["command"].startswith("zoo train")
        json.dumps(card)  # plain JSON


def test_classifier_reads_raw_strings(zoo_dir):
    model = registry.load("imdb-lstm")
    probs = model.predict(["a great and wonderful film", "awful boring plot", "superb"])
    assert probs.shape == (3,) and ((0 <= probs) & (probs <= 1)).all()
    assert probs[0] > probs[1]  # the fixture's signal words
    with pytest.raises(ValueError, match="strings"):
        model.predict([])


def test_classifier_reads_each_batch_only_to_its_longest_text(zoo_dir):
    """predict trims the padding after the batch's longest text; the result is
    the whole saved network's (padded to the recipe's length) to float32 rounding."""
    import numpy as np
    import tensorflow as tf

    model = registry.load("imdb-lstm")
    texts = ["", "great", "an awful boring plot " * 3, "wonderful film " * 40]  # up to 80 > 16 tokens
    padded = np.asarray(model.network(tf.constant(texts)[:, None])).ravel()
    np.testing.assert_allclose(model.predict(texts), padded, atol=1e-6)
    np.testing.assert_allclose([model.predict([t])[0] for t in texts], padded, atol=1e-6)


def test_a_classifier_reads_texts_by_length_and_compiles_the_big_batches():
    """Texts sorted by length; a batch of at least COMPILED_ROWS cut at its length
    class (the zoo layers' compiled loops), a smaller one at its longest text
    (Keras' loop); each text's result is the whole network's (every text padded
    to 600 tokens), in the order given."""
    import numpy as np
    import tensorflow as tf

    from zoo import topologies
    from zoo.layers import RNN
    from zoo.models import COMPILED_ROWS, TextClassifier, length_classes

    assert length_classes(600)[:5] == [32, 64, 96, 128, 192] and length_classes(600)[-2:] == [576, 600]
    rng = np.random.default_rng(0)
    words = ["good", "bad", "film", "plot", "wonderful", "boring", "actor"]
    texts = [" ".join(rng.choice(words, size=n)) for n in rng.integers(0, 700, size=70)]  # some cut at 600
    vectorizer = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=600, name="vectorizer")
    vectorizer.adapt(words)
    body = topologies.many_to_one("lstm", 8, vocab_size=20, bidirectional=True, pooling="mean+max")
    text = keras.Input((1,), dtype="string")
    network = keras.Model(text, body(vectorizer(text)))
    padded = np.asarray(network.predict(tf.constant(texts)[:, None], verbose=0)).ravel()
    layers = [layer for layer in network._flatten_layers() if isinstance(layer, RNN)]
    for layer in layers:
        layer.fast_path_runs = layer.keras_path_runs = 0
    classifier = TextClassifier(network)
    np.testing.assert_allclose(classifier.predict(texts, batch_size=64), padded, atol=1e-6)
    assert 70 - 64 < COMPILED_ROWS <= 64  # the 64 shortest compiled, the 6 longest in Keras' loop
    assert [(layer.fast_path_runs, layer.keras_path_runs) for layer in layers] == [(1, 1), (1, 1)]

    # a small batch runs Keras' loop until its shape is compiled; the shapes so missed come first
    assert classifier.missed == {(8, 600): 1}  # the 6 longest texts above
    classifier.predict(texts[9:11])
    missed = [shape for shape in classifier.missed if shape != (8, 600)]
    assert len(missed) == 1 and missed[0][0] == 2
    todo = classifier.loops_to_compile(rows=4)
    assert todo[0] == missed[0] and sorted(todo[1:]) == sorted(
        {(size, steps) for size in (1, 2, 4) for steps in length_classes(600)} - set(missed))
    assert todo[1:3] == [(1, 32), (1, 64)]  # then the smallest
    classifier.compile_loop(*missed[0])
    assert missed[0] not in classifier.loops_to_compile(rows=4)

    # compile_loops: small batches (rows 1, 2, 4 here) then run compiled loops too, same results
    assert classifier.compile_loops(rows=4) == 3 * len(length_classes(600)) - 1
    assert classifier.compile_loops(rows=4) == 0  # once
    ran = []
    run_compiled = classifier._run_compiled
    classifier._run_compiled = lambda tokens, size, steps, dtype: ran.append((size, steps)) or run_compiled(
        tokens, size, steps, dtype)
    missed = dict(classifier.missed)
    for batch in (texts[:1], texts[1:4], texts[4:9]):
        np.testing.assert_allclose(classifier.predict(batch), classifier.network.predict(
            tf.constant(batch)[:, None], verbose=0).ravel(), atol=1e-6)
    # 5 texts (8 rows) were not compiled: groups of 1, 2 or 4 rows ran instead of Keras' loop
    assert [size for size, _ in ran[:2]] == [1, 4] and {size for size, _ in ran[2:]} <= {1, 2, 4}
    assert len(ran) > 3 and classifier.missed == missed


def test_generator_is_reproducible_with_a_seed(zoo_dir):
    model = registry.load("shakespeare-char")
    a = model.generate("First", 40, temperature=1.0, seed=3)
    b = model.generate("First", 40, temperature=1.0, seed=3)
    assert a == b and a.startswith("First") and len(a) == 45
    with pytest.raises(ValueError, match="prompt"):
        model.generate("", 10)


def test_translator_greedy_and_beam(zoo_dir):
    model = registry.load("spa-eng-translator")
    greedy = model.translate(["I see two cats 5.", "We have one book 9."])
    beam = model.translate(["I see two cats 5."], beam_size=3)
    assert len(greedy) == 2 and all(isinstance(t, str) for t in greedy) and len(beam) == 1
    assert "[UNK]" not in " ".join(greedy + beam)  # never chosen
    with pytest.raises(ValueError, match="beam_size"):
        model.translate(["x"], beam_size=0)


def test_beam_search_of_a_batch_equals_each_text_alone_and_width_one_is_greedy(zoo_dir):
    from zoo import translation

    model = registry.load("spa-eng-translator")
    texts = ["I see two cats 5.", "We have one book 9.", "Tom", "I see one book 9 and two cats 5."]
    together = translation.beam(model.network, model.target_vocabulary, texts, 3, model.max_length)
    alone = [translation.beam(model.network, model.target_vocabulary, [t], 3, model.max_length)[0]
             for t in texts]
    assert together == alone
    assert translation.beam(model.network, model.target_vocabulary, texts, 1,
                            model.max_length) == translation.greedy(model.network, model.target_vocabulary,
                                                                    texts, model.max_length)


def test_corrupted_or_missing_file_and_unknown_name(zoo_dir, tmp_path, monkeypatch):
    copy = tmp_path / "zoo"
    shutil.copytree(zoo_dir, copy)
    monkeypatch.setattr(registry, "PRETRAINED", copy)
    with open(copy / "imdb-lstm.keras", "r+b") as f:
        f.seek(100)
        f.write(b"corrupted")
    with pytest.raises(registry.ZooError, match="sha256"):
        registry.load("imdb-lstm")
    (copy / "shakespeare-char.keras").unlink()
    with pytest.raises(registry.ZooError, match="missing"):
        registry.load("shakespeare-char")
    with pytest.raises(registry.ZooError, match=r"not a zoo name \(imdb-lstm, shakespeare-char"):
        registry.load("imdb-transformer")


def test_evaluate_on_a_sample_agrees_with_the_card(zoo_dir, data_dir, capsys):
    card = registry.card("imdb-lstm")
    assert main(["evaluate", "imdb-lstm", "--data-dir", str(data_dir), "--limit", "1000"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["weights"].endswith("imdb-lstm.keras")  # the zoo's file by default
    assert printed["accuracy"] == card["metrics_sample"]["accuracy"]
    assert printed["accuracy"] == card["metrics"]["accuracy"]  # the fixture's test split is < 1000


def test_list_info_predict(zoo_dir, capsys):
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "imdb-lstm" in listing and "accuracy" in listing and "nats/char" in listing
    assert main(["list", "--markdown"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| name") and len(table) == 2 + 3
    assert main(["info", "shakespeare-char"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "shakespeare-char"
    assert main(["predict", "imdb-lstm", "a great film", "awful"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].split("\t")[0] in ("positive", "negative")
    assert main(["predict", "shakespeare-char", "First", "--length", "10", "--seed", "1"]) == 0
    assert capsys.readouterr().out.startswith("First")
    with pytest.raises(SystemExit) as stop:
        main(["info", "nope"])
    assert "unknown model 'nope'" in str(stop.value.code)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_entry_loads_offline_and_works(name):
    card = registry.card(name)
    model = registry.load(name)
    if card["interface"] == "classifier":
        p = model.predict(["a wonderful, moving film", "dull and far too long"])
        assert p[0] > 0.5 > p[1]
        networks = [layer for layer in model.network.layers if isinstance(layer, keras.Model)]
        assert len(networks) == card["recipe"].get("ensemble", 1)  # an ensemble says so on its card
        assert card.get("ensemble", {"networks": 1})["networks"] == len(networks)
    elif card["interface"] == "generator":
        assert len(model.generate("ROMEO:", 50, seed=0)) == 56
    elif card["interface"] == "composer":
        piece = model.compose("C4 E4 G4", steps=8, seed=0)
        assert len(piece.chords) == 8 and piece.chords[0] == [60, 64, 67]
    else:
        assert all(model.translate(["How are you?"]))


@pytest.mark.skipif(not os.environ.get("ZOO_DATA_DIR"), reason="needs ZOO_DATA_DIR")
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_entry_reproduces_its_sample_metrics(name, capsys):
    card = registry.card(name)
    counts = [card["metrics_sample"].get(key) for key in ("examples", "pairs")]
    limit = next((n for n in counts if isinstance(n, int)), 1000)  # "examples" of a translator is a list
    assert main(["evaluate", name, "--limit", str(limit)]) == 0
    printed = json.loads(capsys.readouterr().out)
    for key, value in card["metrics_sample"].items():
        if isinstance(value, float):
            assert printed[key] == pytest.approx(value, abs=1e-6), key


@pytest.mark.skipif(not os.environ.get("ZOO_DATA_DIR"), reason="needs ZOO_DATA_DIR")
def test_vanishing_gradient_script(tmp_path, capsys):
    from training import vanishing

    out = tmp_path / "vanishing.png"
    assert vanishing.main(["--steps", "40", "--reviews", "8", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert out.read_bytes()[:4] == b"\x89PNG"
    rows = [line for line in printed.splitlines() if line.startswith(("simplernn", "gru", "lstm"))]
    assert len(rows) >= 3  # untrained curves, and trained ones where the zoo has them
