"""The training entrypoint on a small data directory in the real layout."""

import json
import os
import subprocess
import sys
import time

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from training import loop
from zoo_cli.main import main

TINY_IMDB = ["--units", "8", "--embedding-dim", "8", "--vocab-size", "200", "--sequence-length", "16",
             "--batch-size", "16", "--limit", "320", "--quiet"]


def train(capsys, *args):
    assert main(["train", *args]) == 0
    return json.loads(capsys.readouterr().out)


def evaluate(capsys, *args):
    assert main(["evaluate", *args]) == 0
    return json.loads(capsys.readouterr().out)


def weights(path):
    arrays = []
    with h5py.File(path) as f:
        f.visititems(lambda name, obj: arrays.append(obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return arrays


@pytest.mark.parametrize("command", ["train", "evaluate", "export"])
def test_help_describes_every_option(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    expected = {
        "train": ["--epochs", "--batch-size", "--cell", "--units", "--layers", "--bidirectional",
                  "--sequence-length", "--vocab-size", "--learning-rate", "--seed", "--bptt-k",
                  "--output-dir", "--resume", "--strategy", "--mixed-precision", "--data-dir"],
        "evaluate": ["MODEL", "--split", "--data-dir", "--data"],
        "export": ["MODEL", "--format", "--name", "--output"],
    }[command]
    for option in expected:
        assert option in text, option


def test_sentiment_one_epoch_logs_checkpoints_and_evaluates(data_dir, tmp_path, capsys):
    run = tmp_path / "run"
    summary = train(capsys, "imdb-lstm", "--data-dir", str(data_dir), "--epochs", "2",
                    "--output-dir", str(run), "--learning-rate", "0.01", *TINY_IMDB)
    assert summary["epochs_done"] == 2 and summary["replicas"] == 1
    for name in ("model.keras", "best.weights.h5", "history.csv", "recipe.json",
                 "checkpoint/last.weights.h5", "checkpoint/state.json"):
        assert (run / name).exists(), name
    assert list((run / "tensorboard").rglob("events.out.tfevents.*"))
    history = (run / "history.csv").read_text().splitlines()
    assert history[0].startswith("epoch") and len(history) == 3
    metrics = evaluate(capsys, str(run), "--data-dir", str(data_dir), "--split", "validation",
                       "--limit", "320")
    assert metrics["examples"] == 320
    assert abs(metrics["loss"] - summary["best_val_loss"]) < 1e-4  # the same number, both ways
    assert metrics["accuracy"] > 0.7  # the fixture's words carry the label


def test_same_seed_same_weights_and_resume_after_a_crash(data_dir, tmp_path, capsys, monkeypatch):
    common = ["imdb-gru", "--data-dir", str(data_dir), "--epochs", "2", "--checkpoint-every", "3",
              *TINY_IMDB]
    train(capsys, *common, "--output-dir", str(tmp_path / "a"))
    train(capsys, *common, "--output-dir", str(tmp_path / "b"))
    a, b = weights(tmp_path / "a" / "best.weights.h5"), weights(tmp_path / "b" / "best.weights.h5")
    assert all(np.array_equal(x, y) for x, y in zip(a, b))

    original = loop._Checkpoint.on_train_batch_end

    def crash_after_batch_4(self, batch, logs=None):
        original(self, batch, logs)
        if self.state["epoch"] == 1 and self.state["batch"] == 4:
            raise RuntimeError("simulated crash")  # the checkpoint of batch 3 survives

    monkeypatch.setattr(loop._Checkpoint, "on_train_batch_end", crash_after_batch_4)
    with pytest.raises(RuntimeError, match="simulated crash"):
        main(["train", *common, "--output-dir", str(tmp_path / "c")])
    state = json.loads((tmp_path / "c" / "checkpoint" / "state.json").read_text())
    assert (state["epoch"], state["batch"]) == (1, 3) and state["seconds"] > 0
    monkeypatch.setattr(loop._Checkpoint, "on_train_batch_end", original)
    capsys.readouterr()
    train(capsys, *common, "--output-dir", str(tmp_path / "c"), "--resume")
    c = weights(tmp_path / "c" / "best.weights.h5")
    assert all(np.array_equal(x, y) for x, y in zip(a, c))
    summary = json.loads((tmp_path / "c" / "summary.json").read_text())  # the crashed run's time counts too
    assert summary["train_seconds_total"] > summary["train_seconds_this_session"] + state["seconds"] / 2


def test_existing_run_is_not_overwritten_and_nothing_to_resume(data_dir, tmp_path, capsys):
    (tmp_path / "run" / "checkpoint").mkdir(parents=True)
    (tmp_path / "run" / "checkpoint" / "state.json").write_text("{}")
    with pytest.raises(SystemExit) as stop:
        main(["train", "imdb-lstm", "--data-dir", str(data_dir), "--output-dir", str(tmp_path / "run"),
              *TINY_IMDB])
    assert "--resume" in str(stop.value.code) and "--overwrite" in str(stop.value.code)
    with pytest.raises(SystemExit) as stop:
        main(["train", "imdb-lstm", "--data-dir", str(data_dir), "--output-dir", str(tmp_path / "new"),
              "--resume", *TINY_IMDB])
    assert "Nothing to resume" in str(stop.value.code)


def test_truncated_bptt_character_model(data_dir, tmp_path, capsys):
    run = tmp_path / "char"
    summary = train(capsys, "shakespeare-char", "--data-dir", str(data_dir), "--output-dir", str(run),
                    "--epochs", "1", "--units", "16", "--layers", "1", "--embedding-dim", "8",
                    "--sequence-length", "20", "--bptt-k", "5", "--batch-size", "8",
                    "--limit", "4000", "--quiet")
    assert summary["epochs_done"] == 1
    recipe = json.loads((run / "recipe.json").read_text())["recipe"]
    assert recipe["bptt_k"] == 5 and recipe["sequence_length"] == 20
    metrics = evaluate(capsys, str(run), "--data-dir", str(data_dir), "--limit", "4000")
    assert metrics["split"] == "validation"
    assert 0 < metrics["loss_nats_per_char"] < np.log(30)  # better than uniform over the characters
    assert metrics["bits_per_char"] == pytest.approx(metrics["loss_nats_per_char"] / np.log(2))


def test_bigram_and_translation_train_and_evaluate(data_dir, tmp_path, capsys):
    train(capsys, "shakespeare-bigram", "--data-dir", str(data_dir), "--output-dir", str(tmp_path / "bi"),
          "--epochs", "1", "--limit", "3000", "--quiet")
    bigram = evaluate(capsys, str(tmp_path / "bi"), "--data-dir", str(data_dir), "--limit", "3000")
    assert bigram["characters"] == 2999

    train(capsys, "spa-eng-translator", "--data-dir", str(data_dir), "--output-dir", str(tmp_path / "tr"),
          "--epochs", "1", "--units", "8", "--embedding-dim", "8", "--vocab-size", "100",
          "--sequence-length", "8", "--limit", "200", "--quiet")
    scores = evaluate(capsys, str(tmp_path / "tr"), "--data-dir", str(data_dir), "--limit", "20")
    assert scores["pairs"] == 20 and 0 <= scores["bleu"] <= 100 and 0 <= scores["chrf"] <= 100
    assert len(scores["examples"]) == 5


def test_export_round_trips(data_dir, tmp_path, capsys):
    run = tmp_path / "run"
    train(capsys, "imdb-lstm", "--data-dir", str(data_dir), "--epochs", "1", "--output-dir", str(run),
          *TINY_IMDB)
    texts = tf.constant([["a great and wonderful film"], ["awful boring plot"]])
    expected = keras.saving.load_model(run / "model.keras").predict(texts, verbose=0)

    assert main(["export", str(run), "--output", str(tmp_path / "m.keras")]) == 0
    assert json.loads((tmp_path / "m.json").read_text())["file"]["name"] == "m.keras"  # its card beside it
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "m.keras").predict(texts, verbose=0),
                               expected, atol=1e-6)

    assert main(["export", str(tmp_path / "m.keras"), "--format", "savedmodel",
                 "--output", str(tmp_path / "sm")]) == 0
    assert (tmp_path / "sm" / "assets.extra" / "card.json").exists()
    served = tf.saved_model.load(str(tmp_path / "sm"))
    np.testing.assert_allclose(served.serve(texts).numpy(), expected, atol=1e-6)

    capsys.readouterr()
    assert main(["export", str(run), "--format", "bentoml"]) == 0
    tag = capsys.readouterr().out.strip().splitlines()[-1]
    listed = subprocess.run([os.path.join(os.path.dirname(sys.executable), "bentoml"), "models", "list"],
                            capture_output=True, text=True, env={**os.environ})
    assert tag.split(":")[0] in listed.stdout  # the session's store (tests/conftest.py)
    np.testing.assert_allclose(zoo.load(tag).predict(["a great and wonderful film", "awful boring plot"]),
                               expected.ravel(), atol=1e-6)


def run_cli(args, env_extra, timeout=120):
    env = {k: v for k, v in os.environ.items() if k != "ZOO_DATA_DIR"}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "zoo_cli", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def test_offline_without_data_dir_is_one_clear_line(tmp_path):
    offline = {"ZOO_CACHE_DIR": str(tmp_path / "cache"), "http_proxy": "http://127.0.0.1:9",
               "https_proxy": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
               "HTTPS_PROXY": "http://127.0.0.1:9"}
    started = time.time()
    result = run_cli(["train", "imdb-lstm", "--output-dir", str(tmp_path / "run")], offline)
    assert time.time() - started < 60
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("zoo train: error:") and "ZOO_DATA_DIR" in last


def test_mirrored_strategy_on_two_logical_cpus(data_dir, tmp_path):
    result = run_cli(["train", "imdb-lstm", "--data-dir", str(data_dir), "--epochs", "1",
                      "--output-dir", str(tmp_path / "run"), "--strategy", "mirrored",
                      "--cpu-devices", "2", *TINY_IMDB], {})
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert summary["strategy"] == "MirroredStrategy" and summary["replicas"] == 2
    assert (tmp_path / "run" / "model.keras").exists()


def test_weights_stored_as_float16_halve_the_file_and_load_as_float32(tmp_path):
    import numpy as np

    from training.export import save_for_inference, store_weights_as_float16
    from zoo.topologies import many_to_one

    model = many_to_one("lstm", 32, vocab_size=2000, embedding_dim=64)
    x = np.random.default_rng(0).integers(1, 2000, (4, 12))
    path = tmp_path / "m.keras"
    save_for_inference(model, path)
    before = path.stat().st_size
    store_weights_as_float16(path)
    assert path.stat().st_size < 0.6 * before
    loaded = keras.saving.load_model(path)
    assert all(w.dtype == "float32" for w in loaded.weights)
    for original, stored in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(stored, original.astype("float16").astype("float32"))
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-3)


def test_ensemble_trains_members_in_turn_and_averages_them(data_dir, tmp_path, capsys):
    from zoo.models import TextClassifier

    common = ["imdb-lstm", "--data-dir", str(data_dir), "--epochs", "1", "--learning-rate", "0.01",
              *TINY_IMDB]
    single = train(capsys, *common, "--output-dir", str(tmp_path / "single"))
    summary = train(capsys, *common, "--ensemble", "2", "--output-dir", str(tmp_path / "ens"))
    assert summary["epochs_done"] == 2 and summary["best_epoch"] == [1, 1]
    assert summary["best_val_loss"][0] == pytest.approx(single["best_val_loss"], abs=1e-6)
    for member in ("member-1", "member-2"):
        for name in ("best.weights.h5", "history.csv", "checkpoint/state.json"):
            assert (tmp_path / "ens" / member / name).exists(), (member, name)
    # member 1 is the single run of the same seed; member 2 has its own seed and data order
    first, second = (weights(tmp_path / "ens" / m / "best.weights.h5") for m in ("member-1", "member-2"))
    for a, b in zip(weights(tmp_path / "single" / "best.weights.h5"), first):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(first, second))

    model = keras.saving.load_model(tmp_path / "ens" / "model.keras")
    members = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    assert [m.name for m in members] == ["imdb_lstm_member1", "imdb_lstm_member2"]
    texts = tf.constant([["a great and wonderful film"], ["awful boring plot"], [""]])
    tokens = model.layers[1](texts)
    mean = (np.asarray(members[0](tokens)) + np.asarray(members[1](tokens))) / 2
    np.testing.assert_allclose(model.predict(texts, verbose=0), mean, atol=1e-6)
    # zoo.load's classifier trims the padding and averages the members the same way
    classifier = TextClassifier(model)
    assert classifier._parts is not None
    np.testing.assert_allclose(classifier.predict([t[0].decode() for t in texts.numpy()]),
                               mean.ravel(), atol=1e-5)
    metrics = evaluate(capsys, str(tmp_path / "ens"), "--data-dir", str(data_dir), "--split", "validation",
                       "--limit", "320")
    assert metrics["accuracy"] > 0.7


def test_ensemble_of_a_model_that_has_none_is_one_clear_line(data_dir, tmp_path):
    with pytest.raises(SystemExit, match="--ensemble works for the sentiment models only"):
        main(["train", "shakespeare-char", "--ensemble", "2", "--data-dir", str(data_dir),
              "--output-dir", str(tmp_path / "run")])
    assert not (tmp_path / "run").exists()


def test_a_teacher_takes_its_share_of_the_training_targets(data_dir, tmp_path, capsys):
    from training.tasks.sentiment import random_crops, teacher_probabilities

    common = ["imdb-lstm", "--data-dir", str(data_dir), "--epochs", "1", "--learning-rate", "0.01",
              *TINY_IMDB]
    teacher = str(tmp_path / "teacher")
    train(capsys, *common, "--output-dir", teacher)
    texts = ["a great and wonderful film", "awful boring plot", "a film"]
    labels = np.array([1.0, 0.0, 1.0], "float32")
    probs = teacher_probabilities(teacher, texts, ["negative", "positive"])
    capsys.readouterr()
    np.testing.assert_allclose(probs, zoo.load(teacher).predict(texts), atol=1e-6)
    assert probs.shape == (3,) and not np.allclose(probs, labels)
    crops = random_crops(["one two three four five six seven eight", "a b"], 3, seed=1)
    assert len(crops) == 6 and crops == random_crops(["one two three four five six seven eight", "a b"], 3, 1)
    for crop in crops[:3]:  # a run of 2 to 6 of the 8 words
        assert crop in "one two three four five six seven eight" and 2 <= len(crop.split()) <= 6
    assert set(crops[3:]) <= {"a", "b"}

    assert main(["train", *common, "--teacher", teacher, "--teacher-weight", "0.7", "--teacher-crops", "1",
                 "--output-dir", str(tmp_path / "student")]) == 0
    printed = capsys.readouterr()
    assert json.loads(printed.out)["epochs_done"] == 1
    assert "Reading 640 training texts" in printed.err  # 320 texts and a window of each
    card = json.loads((tmp_path / "student" / "card.json").read_text())
    assert card["recipe"]["teacher"] == teacher and card["recipe"]["teacher_weight"] == 0.7
    taught = card["training"]["teacher"]
    assert taught["weight"] == 0.7 and taught["crops_per_text"] == 1 and taught["sha256"] == json.loads(
        (tmp_path / "teacher" / "card.json").read_text())["file"]["sha256"]
    assert card["metrics"]["accuracy"] > 0.7
    # the training history's accuracy counts hard labels, as evaluation does
    history = (tmp_path / "student" / "history.csv").read_text().splitlines()
    val_accuracy = float(history[1].split(",")[history[0].split(",").index("val_accuracy")])
    metrics = evaluate(capsys, str(tmp_path / "student"), "--data-dir", str(data_dir), "--split",
                       "validation", "--limit", "320")
    assert val_accuracy == pytest.approx(metrics["accuracy"], abs=1e-6)


@pytest.mark.parametrize("teacher, message", [
    ("no-such-model", "unknown model 'no-such-model'"),
    ("spa-eng-translator", "a translator, not a classifier"),
])
def test_a_teacher_that_cannot_teach_is_one_clear_line(data_dir, tmp_path, teacher, message):
    with pytest.raises(SystemExit, match=message):
        main(["train", "imdb-lstm", "--teacher", teacher, "--data-dir", str(data_dir), *TINY_IMDB,
              "--output-dir", str(tmp_path / "run")])


def test_embedding_tables_stored_as_int8_load_and_agree(tmp_path):
    from training.export import quantize_embeddings, save_for_inference, store_weights_as_float16
    from zoo.topologies import many_to_one

    rng = np.random.default_rng(0)
    pairs = sorted(set((rng.integers(1, 3000, 4000) * 3000 + rng.integers(1, 3000, 4000)).tolist()))
    model = many_to_one("lstm", 16, vocab_size=3000, embedding_dim=64, bigram_vocabulary=pairs)
    x = rng.integers(0, 3000, (8, 20))
    expected = model.predict(x, verbose=0)
    path = tmp_path / "m.keras"
    save_for_inference(model, path)
    before = path.stat().st_size
    assert quantize_embeddings(model) == 2  # words and word pairs
    save_for_inference(model, path)
    store_weights_as_float16(path)
    assert path.stat().st_size < 0.35 * before
    loaded = keras.saving.load_model(path)
    tables = [layer for layer in loaded._flatten_layers() if isinstance(layer, keras.layers.Embedding)]
    assert [t.quantization_mode for t in tables] == ["int8", "int8"]
    assert {t._embeddings.dtype for t in tables} == {"int8"}
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=5e-3)
