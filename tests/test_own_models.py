"""Your data, your model, your server: `zoo train --data` -> run directory ->
`zoo.load` / `zoo evaluate` -> the BentoML model store -> `zoo serve --model`
-> HTTP, and `bentoml build` packing the served models.

Tiny models on data the tests write; the store lives in a temporary
BENTOML_HOME (the commands that use it run as subprocesses).
"""

import csv
import json
import os
import random
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import zoo
from serving import process
from tests.fixtures import NUMBERS, THINGS, VERBS, make_shakespeare
from zoo.cli import main

pytestmark = pytest.mark.xdist_group("own-models")
ROOT = Path(__file__).resolve().parent.parent
WORDS = {"en": "the house is big and green my cat dog sees a red car".split(),
         "es": "la casa es grande y verde mi gato perro ve un coche rojo".split(),
         "fr": "la maison est grande et verte mon chat chien voit une voiture rouge".split()}
TINY = ["--units", "8", "--embedding-dim", "8", "--vocab-size", "100", "--sequence-length", "8",
        "--batch-size", "16", "--quiet"]


def sentences(n, seed):
    rng = random.Random(seed)
    return [(" ".join(rng.choice(WORDS[lang]) for _ in range(6)), lang)
            for lang in ("en", "es", "fr") for _ in range(n)]


def write_csv(path, rows, header=("text", "label")):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def cli_env(home):
    return {**{k: v for k, v in os.environ.items() if k not in ("ZOO_DATA_DIR", "ZOO_SERVE_MODELS")},
            "BENTOML_HOME": str(home), "BENTOML_DO_NOT_TRACK": "True"}


def run(args, home, **options):
    """A command (``zoo ...`` or ``bentoml ...``) in a subprocess with the test's BentoML store."""
    exe = [sys.executable, "-m", "zoo"] if args[0] != "bentoml" else [
        os.path.join(os.path.dirname(sys.executable), "bentoml")]
    result = subprocess.run([*exe, *args[args[0] in ("zoo", "bentoml"):]], capture_output=True,
                            text=True, env=cli_env(home), timeout=300, **options)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("own-data")
    pairs = [(f"{v} {n} {t}.", f"{ve} {ne} {te}.") for v, ve in VERBS for n, ne in NUMBERS for t, te in THINGS]
    with open(folder / "pairs.tsv", "w") as f:
        f.writelines(f"{en}\t{es}\tCC-BY 2.0\n" for en, es in pairs)
    make_shakespeare(folder / "corpus.txt", repeats=60)
    return {"train": write_csv(folder / "train.csv", sentences(100, 0)),
            "test": write_csv(folder / "test.csv", sentences(20, 1)),
            "pairs": folder / "pairs.tsv", "text": folder / "corpus.txt", "folder": folder}


@pytest.fixture(scope="module")
def runs(data, tmp_path_factory):
    """Three trained run directories: a 3-language classifier, a character model, a translator."""
    out = tmp_path_factory.mktemp("runs")
    assert main(["train", "imdb-gru", "--data", str(data["train"]), "--test-data", str(data["test"]),
                 "--epochs", "4", "--learning-rate", "0.02", "--output-dir", str(out / "langid"), *TINY]) == 0
    assert main(["train", "shakespeare-char", "--data", str(data["text"]), "--output-dir", str(out / "poems"),
                 "--units", "16", "--embedding-dim", "8", "--sequence-length", "20", "--bptt-k", "10",
                 "--batch-size", "8", "--epochs", "1", "--quiet"]) == 0
    assert main(["train", "spa-eng-translator", "--data", str(data["pairs"]), "--output-dir", str(out / "tr"),
                 "--units", "8", "--embedding-dim", "8", "--vocab-size", "100", "--sequence-length", "8",
                 "--epochs", "1", "--quiet"]) == 0
    return {"langid": out / "langid", "poems": out / "poems", "tr": out / "tr"}


def test_a_run_directory_is_a_model_with_its_card(runs, data, capsys):
    run_dir = runs["langid"]
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
    assert main(["evaluate", str(run_dir), "--data", str(data["test"])]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == card["metrics"]["accuracy"]

    assert main(["predict", str(run_dir), "la casa es grande"]) == 0
    assert capsys.readouterr().out.split("\t")[0] == "es"
    assert main(["info", str(run_dir / "model.keras")]) == 0  # a .keras file with card.json beside it
    assert json.loads(capsys.readouterr().out)["labels"] == ["en", "es", "fr"]


def test_character_model_and_translator_runs_load_and_work(runs):
    poems = zoo.load(runs["poems"])
    assert poems.generate("First", 20, seed=1) == poems.generate("First", 20, seed=1)
    card = json.loads((runs["poems"] / "card.json").read_text())
    assert card["metrics"]["split"] == "test" and card["metrics"]["loss_nats_per_char"] > 0
    assert card["extra_files"] == {"vocabulary": "vocabulary.json"}
    translator = zoo.load(runs["tr"])
    assert len(translator.translate(["I see two cats.", "We have one book."], beam_size=2)) == 2
    card = json.loads((runs["tr"] / "card.json").read_text())
    assert card["dataset"]["columns"] == {"source": "column 1", "target": "column 2"}
    assert 0 <= card["metrics"]["bleu"] <= 100 and card["metrics"]["pairs"] == card["dataset"]["counts"]["test"]


def test_raw_text_is_read_as_trained(runs):
    """Preprocessing lives in the model: <br /> is a space inside the vectorizer."""
    model = zoo.load(runs["langid"])
    np.testing.assert_allclose(model.predict(["la casa<br /><br />es verde"]),
                               model.predict(["la casa es verde"]), atol=1e-6)
    from zoo.text import lower_and_strip_punctuation

    assert lower_and_strip_punctuation(tf.constant("Great.<br /><br />Fine<br>")).numpy().decode() == "great fine "


def test_store_serve_and_build_the_served_models(runs, tmp_path):
    home = tmp_path / "bentoml"
    tag = run(["zoo", "export", str(runs["langid"]), "--format", "bentoml", "--name", "langid"],
              home).strip().splitlines()[-1]
    assert tag.startswith("langid:")
    again = run(["zoo", "export", str(runs["langid"]), "--format", "bentoml", "--name", "langid"], home)
    assert again.strip().splitlines()[-1] == tag  # the same model file is not stored twice
    listed = run(["bentoml", "models", "list"], home)
    assert tag in listed
    stored = Path(home) / "models" / "langid" / tag.split(":")[1]
    assert {"model.keras", "card.json"} <= {p.name for p in stored.iterdir()}

    port = process.free_port()
    log = open(tmp_path / "server.log", "w")
    server = process.start(port, "--model", "lid=langid:latest", "--model", f"poems={runs['poems']}",
                           "--model", f"tr={runs['tr']}", env=cli_env(home), stdout=log,
                           stderr=subprocess.STDOUT)
    try:
        try:
            process.wait_ready(port, server)
        except RuntimeError as error:
            raise AssertionError(f"{error}: {(tmp_path / 'server.log').read_text()[-3000:]}") from None

        def post(route, body):
            request = urllib.request.Request(f"http://127.0.0.1:{port}{route}", json.dumps(body).encode(),
                                             {"content-type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as error:
                return error.code, json.loads(error.read())

        texts = ["la maison est verte", "the house is green", "la casa es verde"]
        status, body = post("/classify", {"texts": texts, "model": "lid"})
        assert status == 200, body
        expected = zoo.load(runs["langid"]).classify(texts)
        assert [r["label"] for r in body["results"]] == [label for label, _ in expected] == ["fr", "en", "es"]
        assert [r["score"] for r in body["results"]] == pytest.approx([p for _, p in expected], abs=1e-6)
        assert post("/classify", {"texts": texts})[1] == body  # the only classifier is the default
        status, body = post("/generate", {"prompt": "First", "length": 10, "seed": 0, "model": "poems"})
        assert status == 200 and len(body["text"]) == 15
        status, body = post("/translate", {"texts": ["I see two cats."], "beam_size": 2, "model": "tr"})
        assert status == 200 and len(body["translations"]) == 1
        status, body = post("/classify", {"texts": texts, "model": "imdb-bilstm"})  # not served here
        assert status == 400 and "served: lid" in json.dumps(body)
        status, cards = post("/models", {})
        assert {c["alias"]: c["interface"] for c in cards["models"]} == {
            "lid": "classifier", "poems": "generator", "tr": "translator"}
        assert cards["defaults"] == {"classify": "lid", "generate": "poems", "translate": "tr"}
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
    stored_tags = set(run(["bentoml", "models", "list", "-o", "json"], home).split('"tag": "')[1:])
    assert len(stored_tags) == 3  # the two run directories were put in the store to be served

    out = run(["bentoml", "build", "--arg", "models=lid=langid:latest", "-o", "tag"], home, cwd=ROOT)
    bento = out.strip().splitlines()[-1].removeprefix("__tag__:")
    info = run(["bentoml", "get", bento, "-o", "json"], home)
    assert tag in info and "poems" not in info  # exactly the served model, packed


def test_fine_tune_from_a_trained_model(runs, data, tmp_path, capsys):
    out = tmp_path / "again"
    assert main(["train", "imdb-gru", "--data", str(data["train"]), "--test-data", str(data["test"]),
                 "--from", str(runs["langid"]), "--epochs", "1", "--output-dir", str(out), *TINY]) == 0
    card = json.loads((out / "card.json").read_text())
    first = json.loads((runs["langid"] / "card.json").read_text())
    assert card["training"]["from"]["model"] == "langid" and card["labels"] == ["en", "es", "fr"]
    assert card["metrics"]["accuracy"] >= first["metrics"]["accuracy"] - 0.05  # it went on from there
    with pytest.raises(SystemExit) as stop:  # a sentiment model has other labels
        main(["train", "imdb-gru", "--data", str(data["train"]), "--from", "imdb-lstm",
              "--output-dir", str(tmp_path / "no"), *TINY])
    assert "negative, positive" in str(stop.value.code) and "en, es, fr" in str(stop.value.code)


def test_bad_data_is_one_line_naming_the_file(data, tmp_path):
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
    assert "--data" in error("--test-data", str(data["test"]))  # needs --data

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    assert "--overwrite" in error("--data", str(data["train"]))  # before any data is read
    assert "no run of `zoo train`" in error("--data", str(data["train"]), "--overwrite")
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"  # never lost


def test_tfds_text_set_through_mock_data(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=60):
        assert main(["train", "imdb-gru", "--data", "tfds:imdb_reviews", "--epochs", "1",
                     "--output-dir", str(tmp_path / "run"), *TINY]) == 0
    card = json.loads((tmp_path / "run" / "card.json").read_text())
    assert card["labels"] == ["neg", "pos"] and card["dataset"]["files"][0]["tfds"] == "imdb_reviews"
    assert card["metrics"]["split"] == "test" and card["metrics"]["examples"] > 0
