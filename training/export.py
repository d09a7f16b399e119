"""``zoo export MODEL``: a model as a .keras file with its card, a TF
SavedModel, or an entry in the BentoML model store (what ``zoo serve``
serves from)."""

from pathlib import Path

import keras

FORMATS = ("keras", "savedmodel", "bentoml")


def drop_training_state(model):
    """Forgets the optimizer of ``model`` and of the models nested in it (a trained
    network inside an inference model), so that saving writes the weights alone."""
    for layer in [model, *model._flatten_layers(include_self=False)]:
        if isinstance(layer, keras.Model) and getattr(layer, "optimizer", None) is not None:
            layer.optimizer = None
            layer.compiled = False
    return model


def save_for_inference(model, path):
    drop_training_state(model).save(path)


def store_weights_as_float16(path):
    """Rewrites the .keras file at ``path`` with its float32 weights stored as
    float16: half the size; Keras loads them back into the float32 variables
    (the model still computes in float32, with weights rounded to 11 bits)."""
    import io
    import zipfile

    import h5py
    import numpy as np

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith(".weights.h5"):
                data = _h5_float16(io.BytesIO(data), h5py, np)
            zout.writestr(info, data)
    tmp.replace(path)


def quantize_embeddings(model):
    """Stores every ``Embedding`` table of ``model`` (nested models too) as int8
    with one float scale per row (Keras' ``quantize("int8")``): a quarter of
    the float32 size, for the zoo's largest tables. Returns how many."""
    tables = [layer for layer in model._flatten_layers(include_self=False)
              if isinstance(layer, keras.layers.Embedding)]
    for layer in tables:
        layer.quantize("int8")
    return len(tables)


def _h5_float16(source, h5py, np):
    import io

    out = io.BytesIO()
    with h5py.File(source, "r") as fin, h5py.File(out, "w") as fout:
        def copy(name, item):
            if isinstance(item, h5py.Dataset):
                value = item[()]
                fout.create_dataset(name, data=value.astype(np.float16) if value.dtype == np.float32 else value)
            else:
                fout.require_group(name)
            fout[name].attrs.update(dict(item.attrs))

        fin.visititems(copy)
        fout.attrs.update(dict(fin.attrs))
    return out.getvalue()


def export(entry, fmt, output=None, name=None):
    """Exports the model of ``entry`` (a ``zoo.registry.Entry``); returns where it went
    (a path, or the BentoML tag)."""
    from zoo.store import export_name, to_store, write_entry

    name = export_name(entry, name)
    if fmt == "keras":
        out = Path(output or Path("exports") / f"{name}.keras")
        write_entry(entry, out.parent, out.name, f"{out.stem}.json", prefix=f"{out.stem}.")
        return str(out)
    if fmt == "savedmodel":
        from zoo import registry

        out = Path(output or Path("exports") / f"{name}-savedmodel")
        keras.saving.load_model(registry.weights_path(entry)).export(str(out), format="tf_saved_model",
                                                                     verbose=False)
        write_entry(entry, out / "assets.extra", "model.keras", "card.json")
        (out / "assets.extra" / "model.keras").unlink()  # the SavedModel is the model here
        return str(out)
    if fmt == "bentoml":
        return str(to_store(entry, name).tag)
    raise ValueError(f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}.")
