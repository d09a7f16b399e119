"""A small data directory in the layout of ../shared/data, made by the tests.

Its texts carry a signal a tiny model can learn in one epoch, and it holds
enough examples for the loaders' fixed split sizes (2,500 IMDB validation
reviews; 2,000 + 2,000 translation pairs).
"""

import io
import tarfile
import zipfile

POSITIVE = ["great", "wonderful", "moving", "brilliant", "superb"]
NEGATIVE = ["awful", "boring", "dull", "terrible", "weak"]
FILLER = ["the", "film", "plot", "actor", "scene", "story", "was", "and", "a", "very"]


def review(i, positive):
    words = [FILLER[(i * 7 + k) % len(FILLER)] for k in range(8)]
    words.insert(i % 8, (POSITIVE if positive else NEGATIVE)[i % 5])
    return " ".join(words) + ".<br /><br />The end."


def make_imdb(path, n_train=1500, n_test=100):
    """``aclImdb_labeled.tar.gz``: ``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt``."""
    with tarfile.open(path, "w:gz") as tar:
        for split, n in (("train", n_train), ("test", n_test)):
            for label, rating in (("pos", 9), ("neg", 2)):
                for i in range(n):
                    data = review(i + (0 if split == "train" else 10_000), label == "pos").encode()
                    info = tarfile.TarInfo(f"aclImdb/{split}/{label}/{i}_{rating}.txt")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))


def make_shakespeare(path, repeats=400):
    lines = ["First Citizen:", "Before we proceed any further, hear me speak.", "",
             "All:", "Speak, speak.", ""]
    path.write_text("\n".join(lines * repeats))


NUMBERS = [("one", "uno"), ("two", "dos"), ("three", "tres"), ("four", "cuatro"), ("five", "cinco")]
THINGS = [("cats", "gatos"), ("dogs", "perros"), ("books", "libros"), ("houses", "casas"),
          ("trees", "árboles"), ("cars", "coches"), ("birds", "pájaros"), ("apples", "manzanas")]
VERBS = [("I see", "Veo"), ("We have", "Tenemos"), ("They want", "Quieren"), ("You like", "Te gustan")]


def make_spa_eng(path, n=4400):
    lines = []
    for i in range(n):
        (v_en, v_es), (n_en, n_es), (t_en, t_es) = (VERBS[i % 4], NUMBERS[(i // 4) % 5],
                                                    THINGS[(i // 20) % 8])
        lines.append(f"{v_en} {n_en} {t_en} {i}.\t{v_es} {n_es} {t_es} {i}.")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("spa-eng/spa.txt", "\n".join(lines) + "\n")


def make_data_dir(root):
    """``root`` laid out like ../shared/data (IMDB, tiny shakespeare, spa-eng)."""
    (root / "imdb").mkdir(parents=True)
    make_imdb(root / "imdb" / "aclImdb_labeled.tar.gz")
    (root / "tinyshakespeare").mkdir()
    make_shakespeare(root / "tinyshakespeare" / "input.txt")
    (root / "spa-eng").mkdir()
    make_spa_eng(root / "spa-eng" / "spa-eng.zip")
    return root
