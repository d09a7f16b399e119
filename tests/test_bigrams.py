"""Word-pair features of the many-to-one models (zoo.layers.bigrams)."""

import json

import keras
import numpy as np
import pytest

from zoo_cli.main import main
from zoo.layers.bigrams import Bigrams, bigram_codes, frequent_bigrams
from zoo.topologies import many_to_one


def test_codes_are_aligned_with_the_tokens_and_zero_at_padding():
    tokens = np.array([[3, 4, 3, 4, 0, 0], [9, 3, 4, 0, 0, 0]])
    codes = np.asarray(bigram_codes(tokens, 10))
    assert codes.tolist() == [[3, 34, 43, 34, 0, 0], [9, 93, 34, 0, 0, 0]]


def test_frequent_bigrams_counts_ranks_and_drops_rare_pairs():
    tokens = np.array([[3, 4, 3, 4, 0, 0], [9, 3, 4, 0, 0, 0]])
    # 34: 3 times; 3, 9, 43, 93: once each
    assert frequent_bigrams(tokens, 10, size=5, min_count=1) == [34, 3, 9, 43, 93]
    assert frequent_bigrams(tokens, 10, size=5) == [34]
    assert frequent_bigrams(tokens, 10, size=2, min_count=1) == [34, 3]


def test_layer_maps_known_pairs_unknown_pairs_and_padding():
    layer = Bigrams(vocab_size=10, vocabulary=[34, 3])
    ids = np.asarray(layer(np.array([[3, 4, 3, 4, 0], [4, 3, 0, 0, 0]])))
    # 3 -> 3 (the first entry is id 2), 34 -> 2, 43 unknown -> 1, padding -> 0
    assert ids.tolist() == [[3, 2, 1, 2, 0], [1, 1, 0, 0, 0]]
    assert layer.size == 4


def test_many_to_one_with_bigrams_saves_loads_and_reads_word_order(tmp_path):
    keras.utils.set_random_seed(0)
    model = many_to_one("lstm", 8, vocab_size=50, embedding_dim=8, pooling="mean+max",
                        bidirectional=True, bigram_vocabulary=[7 * 50 + 8, 8 * 50 + 7])
    assert model.get_layer("bigram_embedding").input_dim == 4
    x = np.array([[7, 8, 9, 0, 0], [8, 7, 9, 0, 0]])
    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(again(x)), np.asarray(model(x)), atol=1e-6)
    out = np.asarray(model(x)).ravel()
    assert out[0] != out[1]  # the same words in another order: other pairs
    # padding changes nothing: the mask still comes from the word ids
    longer = np.pad(x, [(0, 0), (0, 3)])
    np.testing.assert_allclose(np.asarray(model(longer)), np.asarray(model(x)), atol=1e-6)


def test_bigrams_need_token_ids():
    with pytest.raises(ValueError, match="bigram_vocabulary"):
        many_to_one("gru", 4, input_dim=3, bigram_vocabulary=[1])


def test_training_with_bigrams_learns_the_pairs_from_the_training_split(data_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "imdb-gru", "--data-dir", str(data_dir), "--epochs", "1", "--bigrams", "30",
                 "--output-dir", str(run), "--units", "8", "--embedding-dim", "8",
                 "--vocab-size", "200", "--sequence-length", "16", "--batch-size", "16",
                 "--limit", "160", "--quiet"]) == 0
    capsys.readouterr()
    recipe = json.loads((run / "recipe.json").read_text())["recipe"]
    assert recipe["bigrams"] == 30
    network = keras.saving.load_model(run / "model.keras")
    layer = network.layers[-1].get_layer("bigrams")
    assert 0 < len(layer.vocabulary) <= 30
    assert main(["evaluate", str(run), "--data-dir", str(data_dir), "--split", "validation",
                 "--limit", "64"]) == 0
    assert json.loads(capsys.readouterr().out)["examples"] == 64
