"""Your own models, trained once for the tests that use them (tests/conftest.py):
a 3-language classifier, a character model and a translator on data the tests
write, and ``zoo serve --model`` of them with a temporary BentoML store."""

import csv
import json
import os
import random
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from serving import process
from tests.fixtures import NUMBERS, THINGS, VERBS, make_shakespeare

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
    exe = [sys.executable, "-m", "zoo_cli"] if args[0] != "bentoml" else [
        os.path.join(os.path.dirname(sys.executable), "bentoml")]
    result = subprocess.run([*exe, *args[args[0] in ("zoo", "bentoml"):]], capture_output=True,
                            text=True, env=cli_env(home), timeout=300, **options)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def make_data(folder):
    pairs = [(f"{v} {n} {t}.", f"{ve} {ne} {te}.") for v, ve in VERBS for n, ne in NUMBERS for t, te in THINGS]
    with open(folder / "pairs.tsv", "w") as f:
        f.writelines(f"{en}\t{es}\tCC-BY 2.0\n" for en, es in pairs)
    make_shakespeare(folder / "corpus.txt", repeats=60)
    return {"train": write_csv(folder / "train.csv", sentences(100, 0)),
            "test": write_csv(folder / "test.csv", sentences(20, 1)),
            "pairs": folder / "pairs.tsv", "text": folder / "corpus.txt", "folder": folder}


def train_runs(data, out):
    """Three trained run directories: a 3-language classifier, a character model, a translator."""
    from zoo_cli.main import main

    assert main(["train", "imdb-gru", "--data", str(data["train"]), "--test-data", str(data["test"]),
                 "--epochs", "4", "--learning-rate", "0.02", "--output-dir", str(out / "langid"), *TINY]) == 0
    assert main(["train", "shakespeare-char", "--data", str(data["text"]), "--output-dir", str(out / "poems"),
                 "--units", "16", "--embedding-dim", "8", "--sequence-length", "20", "--bptt-k", "10",
                 "--batch-size", "8", "--epochs", "1", "--quiet"]) == 0
    assert main(["train", "spa-eng-translator", "--data", str(data["pairs"]), "--output-dir", str(out / "tr"),
                 "--units", "8", "--embedding-dim", "8", "--vocab-size", "100", "--sequence-length", "8",
                 "--epochs", "1", "--quiet"]) == 0
    return {"langid": out / "langid", "poems": out / "poems", "tr": out / "tr"}


def start_server(runs, folder):
    """``zoo serve`` of a store entry (the classifier, exported first) and two run
    directories, by alias; returns ``(server info, process, log)``."""
    home = folder / "bentoml"
    tag = run(["zoo", "export", str(runs["langid"]), "--format", "bentoml", "--name", "langid"],
              home).strip().splitlines()[-1]
    port = process.free_port()
    log = open(folder / "server.log", "w")
    started = process.start(port, "--model", "lid=langid:latest", "--model", f"poems={runs['poems']}",
                            "--model", f"tr={runs['tr']}", env=cli_env(home), stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        process.wait_ready(port, started)
    except RuntimeError as error:
        started.kill()
        raise AssertionError(f"{error}: {(folder / 'server.log').read_text()[-3000:]}") from None
    return {"url": f"http://127.0.0.1:{port}", "tag": tag, "home": home}, started, log


def post(server, route, body):
    request = urllib.request.Request(server["url"] + route, json.dumps(body).encode(),
                                     {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
