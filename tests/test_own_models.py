"""Your data, your model, your server: `zoo train --data` -> run directory ->
`zoo.load` / `zoo evaluate` -> the BentoML model store -> `zoo serve --model`
-> HTTP, and `bentoml build` packing the served models.

Tiny models on data the tests write (tests/own.py, shared with the browser
tests through tests/conftest.py); the store lives in a temporary BENTOML_HOME
(the commands that use it run as subprocesses).
"""

import json
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import zoo
from tests.own import ROOT, TINY, post, run, write_csv
from zoo_cli.main import main

pytestmark = pytest.mark.xdist_group("own-models")


def test_a_run_directory_is_a_model_with_its_card(own_runs, own_data, capsys):
    run_dir = own_runs["langid"]
    for name in ("model.keras", "card.json", "history.csv", "curves.png", "recipe.json"):
        assert (run_dir / name).exists(), name
    card = json.loads((run_dir / "card.json").read_text())
    assert card["interface"] == "classifier" and card["labels"] == ["en", "es", "fr"]
    assert card["metrics"]["split"] == "test" and card["metrics"]["examples"] == 60
    assert card["metrics"]["accuracy"] > 0.8  # the words tell the language
    files = {f["role"]: f for f in card["dataset"]["files"]}
    assert files["test"]["examples"] == 60 and len(files["test"]["sha256"]) == 64
    assert card["dataset"]["counts"] == {"train": 270, "validation": 30, "test": 60}
    assert "sha1" in card["dataset"]["split"]
    assert card["training"]["command"].startswith("zoo train imdb-gru --data")
    assert card["file"]["sha256"] == zoo.registry.sha256(run_dir / "model.keras")

    model = zoo.load(run_dir)
    labels = model.classify(["la maison est verte", "the house is green", "la casa es verde"])
    assert [label for label, _ in labels] == ["fr", "en", "es"]
    assert all(0.34 < p <= 1 for _, p in labels)
    assert model.predict(["the cat"]).shape == (1, 3)

    capsys.readouterr()
    assert main(["evaluate", str(run_dir)]) == 0  # the card's numbers, computed again
    printed = json.loads(capsys.readouterr().out)
    assert printed["accuracy"] == card["metrics"]["accuracy"]
    assert printed["loss"] == pytest.approx(card["metrics"]["loss"], abs=1e-6)
    assert main(["evaluate", str(run_dir), "--data", str(own_data["test"])]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == card["metrics"]["accuracy"]

    assert main(["predict", str(run_dir), "la casa es grande"]) == 0
    assert capsys.readouterr().out.split("\t")[0] == "es"
    assert main(["info", str(run_dir / "model.keras")]) == 0  # a .keras file with card.json beside it
    assert json.loads(capsys.readouterr().out)["labels"] == ["en", "es", "fr"]


def test_character_model_and_translator_runs_load_and_work(own_runs):
    poems = zoo.load(own_runs["poems"])
    assert poems.generate("First", 20, seed=1) == poems.generate("First", 20, seed=1)
    card = json.loads((own_runs["poems"] / "card.json").read_text())
    assert card["metrics"]["split"] == "test" and card["metrics"]["loss_nats_per_char"] > 0
    assert card["extra_files"] == {"vocabulary": "vocabulary.json"}
    translator = zoo.load(own_runs["tr"])
    assert len(translator.translate(["I see two cats.", "We have one book."], beam_size=2)) == 2
    card = json.loads((own_runs["tr"] / "card.json").read_text())
    assert card["dataset"]["columns"] == {"source": "column 1", "target": "column 2"}
    assert 0 <= card["metrics"]["bleu"] <= 100 and card["metrics"]["pairs"] == card["dataset"]["counts"]["test"]


def test_raw_text_is_read_as_trained(own_runs):
    """Preprocessing lives in the model: <br /> is a space inside the vectorizer."""
    model = zoo.load(own_runs["langid"])
    np.testing.assert_allclose(model.predict(["la casa<br /><br />es verde"]),
                               model.predict(["la casa es verde"]), atol=1e-6)
    from zoo.text import lower_and_strip_punctuation

    assert lower_and_strip_punctuation(tf.constant("Great.<br /><br />Fine<br>")).numpy().decode() == "great fine "


def test_the_store_holds_each_model_once(own_runs, own_server):
    home, tag = own_server["home"], own_server["tag"]
    assert tag.startswith("langid:")
    again = run(["zoo", "export", str(own_runs["langid"]), "--format", "bentoml", "--name", "langid"], home)
    assert again.strip().splitlines()[-1] == tag  # the same model file is not stored twice
    stored = Path(home) / "models" / "langid" / tag.split(":")[1]
    assert {"model.keras", "card.json"} <= {p.name for p in stored.iterdir()}
    listed = run(["bentoml", "models", "list", "-o", "json"], home)
    assert tag in listed and len(listed.split('"tag": "')[1:]) == 3  # the run directories went in to be served


def test_served_aliases_answer_with_their_labels(own_runs, own_server):
    texts = ["la maison est verte", "the house is green", "la casa es verde"]
    status, body = post(own_server, "/classify", {"texts": texts, "model": "lid"})
    assert status == 200, body
    expected = zoo.load(own_runs["langid"]).classify(texts)
    assert [r["label"] for r in body["results"]] == [label for label, _ in expected] == ["fr", "en", "es"]
    assert [r["score"] for r in body["results"]] == pytest.approx([p for _, p in expected], abs=1e-6)
    assert post(own_server, "/classify", {"texts": texts})[1] == body  # the only classifier is the default
    status, body = post(own_server, "/generate", {"prompt": "First", "length": 10, "seed": 0, "model": "poems"})
    assert status == 200 and len(body["text"]) == 15
    status, body = post(own_server, "/translate", {"texts": ["I see two cats."], "beam_size": 2, "model": "tr"})
    assert status == 200 and len(body["translations"]) == 1
    status, body = post(own_server, "/classify", {"texts": texts, "model": "imdb-bilstm"})  # not served here
    assert status == 400 and "served: lid" in json.dumps(body)
    status, cards = post(own_server, "/models", {})
    assert {c["alias"]: c["interface"] for c in cards["models"]} == {
        "lid": "classifier", "poems": "generator", "tr": "translator"}
    assert cards["defaults"]["classify"] == "lid" and cards["defaults"]["translate"] == "tr"
    with urllib.request.urlopen(own_server["url"] + "/curves/lid") as response:
        assert response.read()[:4] == b"\x89PNG"


def test_bento_packs_exactly_the_served_store_entry(own_server):
    out = run(["bentoml", "build", "--arg", "models=lid=langid:latest", "-o", "tag"], own_server["home"], cwd=ROOT)
    bento = out.strip().splitlines()[-1].removeprefix("__tag__:")
    info = run(["bentoml", "get", bento, "-o", "json"], own_server["home"])
    assert own_server["tag"] in info and "poems" not in info


def test_fine_tune_from_a_trained_model(own_runs, own_data, tmp_path, capsys):
    out = tmp_path / "again"
    assert main(["train", "imdb-gru", "--data", str(own_data["train"]), "--test-data", str(own_data["test"]),
                 "--from", str(own_runs["langid"]), "--epochs", "1", "--output-dir", str(out), *TINY]) == 0
    card = json.loads((out / "card.json").read_text())
    first = json.loads((own_runs["langid"] / "card.json").read_text())
    assert card["training"]["from"]["model"] == "langid" and card["labels"] == ["en", "es", "fr"]
    assert card["metrics"]["accuracy"] >= first["metrics"]["accuracy"] - 0.05  # it went on from there
    with pytest.raises(SystemExit) as stop:  # a sentiment model has other labels
        main(["train", "imdb-gru", "--data", str(own_data["train"]), "--from", "imdb-lstm",
              "--output-dir", str(tmp_path / "no"), *TINY])
    assert "negative, positive" in str(stop.value.code) and "en, es, fr" in str(stop.value.code)


def test_bad_data_is_one_line_naming_the_file(own_data, tmp_path):
    def error(*args):
        with pytest.raises(SystemExit) as stop:
            main(["train", "imdb-gru", *args, "--output-dir", str(tmp_path / "out"), *TINY])
        message = str(stop.value.code)
        assert message.startswith("zoo train: error:") and "\n" not in message
        return message

    (tmp_path / "empty.csv").write_text("")
    assert "empty.csv" in error("--data", str(tmp_path / "empty.csv"))
    one = write_csv(tmp_path / "one.csv", [(f"text {i}", "en") for i in range(10)])
    assert "one.csv" in error("--data", str(one)) and "one label" in error("--data", str(one))
    headless = write_csv(tmp_path / "cols.csv", [("a", "b")], header=("body", "stars"))
    assert "cols.csv" in error("--data", str(headless)) and "body" in error("--data", str(headless))
    (tmp_path / "latin1.csv").write_bytes("text,label\ncaf\xe9,en\nthe,fr\n".encode("latin-1"))
    assert "UTF-8" in error("--data", str(tmp_path / "latin1.csv"))
    assert "--data" in error("--test-data", str(own_data["test"]))  # needs --data

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    assert "--overwrite" in error("--data", str(own_data["train"]))  # before any data is read
    assert "no run of `zoo train`" in error("--data", str(own_data["train"]), "--overwrite")
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"  # never lost


def test_tfds_text_set_through_mock_data(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=60):
        assert main(["train", "imdb-gru", "--data", "tfds:imdb_reviews", "--epochs", "1",
                     "--output-dir", str(tmp_path / "run"), *TINY]) == 0
    card = json.loads((tmp_path / "run" / "card.json").read_text())
    assert card["labels"] == ["neg", "pos"] and card["dataset"]["files"][0]["tfds"] == "imdb_reviews"
    assert card["metrics"]["split"] == "test" and card["metrics"]["examples"] > 0
