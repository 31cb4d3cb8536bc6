"""A trained model as bytes and as a file: the department model and the request-type model
trained with it, one joblib object.

Stored before request types were learned, a model is a bare pipeline; it loads
without a request-type model (the rules type its tickets).
"""
import io

from services.routing.learning.classifier import TextModel
from services.routing.learning.request_type_model import TypeModel


def _stored(model):
    """What is stored of a model: its pipeline and the request-type model's, if any."""
    return {"pipeline": model.pipeline, "types": model.types.pipeline if model.types is not None else None}


def _model(stored, version=0, meta=None):
    """A :class:`TextModel` from what :func:`_stored` stored (or a bare pipeline, as stored before
    the request-type model was)."""
    meta = dict(meta or {})
    if not isinstance(stored, dict):
        return TextModel(stored, version, meta)
    types = stored.get("types")
    return TextModel(stored["pipeline"], version, meta,
                     TypeModel(types, meta.get("request_type_model")) if types is not None else None)


def dumps(model):
    """Compressed bytes of a trained model: its pipeline and its request-type model's."""
    import joblib

    buffer = io.BytesIO()
    joblib.dump(_stored(model), buffer, compress=3)
    return buffer.getvalue()


def loads(data, version=0, meta=None):
    import joblib

    return _model(joblib.load(io.BytesIO(data)), version, meta)


def save_file(model, path):
    """A trained model with its figures in a file (written whole, then renamed into place)."""
    import os

    import joblib

    tmp = f"{path}.tmp"
    joblib.dump(dict(_stored(model), meta=model.meta), tmp, compress=3)
    os.replace(tmp, path)


def load_file(path):
    """``(model bytes, meta)`` of a file written by :func:`save_file`."""
    import joblib

    saved = joblib.load(path)
    meta = dict(saved.get("meta") or {})
    return dumps(_model(saved, meta=meta)), meta
