"""The utterance models: reproducible training, safe loading (trusted types only), clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from coach.classifier import Example, UtteranceModels
from coach.errors import ModelError

GRATITUDE = [
    "thank you for your business over the years", "we appreciate you being with us so long", "thanks for being a loyal member",
    "grateful for your loyalty all this time", "it has been a pleasure having you as a customer", "we valued having you aboard",
    "thank you for the nine years with us", "really appreciate your custom", "thanks for sticking with us", "we are thankful you chose us",
]  # fmt: skip
OTHER = [
    "thanks for calling how can i help", "please hold while i check", "thank you for your patience", "what is your postcode",
    "i can offer you a discount", "your account is closed now", "is there anything else", "let me pull up the account",
    "thanks for holding", "can you confirm your date of birth", "have a good day", "i will send a confirmation email",
]  # fmt: skip


def _examples():
    return [Example(t, "agent", frozenset({"gratitude"})) for t in GRATITUDE] + [Example(t, "agent", frozenset()) for t in OTHER]


@pytest.fixture(scope="module")
def fitted():
    return UtteranceModels(labels=("gratitude",), seed=3).fit(_examples(), _examples())


def test_training_is_reproducible_with_a_fixed_seed(fitted):
    again = UtteranceModels(labels=("gratitude",), seed=3).fit(_examples(), _examples())
    a = fitted.classifiers_["gratitude"].coef_
    b = again.classifiers_["gratitude"].coef_
    assert np.array_equal(a, b)


def test_model_scores_a_paraphrase_above_courtesy_thanks(fitted):
    p = fitted.predict_proba(["we truly appreciate your loyalty over the years", "thanks for holding"], "gratitude")
    assert p[0] > 0.5 > p[1]


def test_save_and_load_round_trip(fitted, tmp_path):
    fitted.save(tmp_path)
    loaded = UtteranceModels.load(tmp_path)
    texts = ["thank you for being with us", "what is your account number"]
    assert np.allclose(loaded.predict_proba(texts, "gratitude"), fitted.predict_proba(texts, "gratitude"))
    assert loaded.thresholds == fitted.thresholds


def test_a_model_file_asking_for_untrusted_types_is_refused(fitted, tmp_path):
    import skops.io as sio
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    fitted.save(tmp_path)
    evil = Pipeline([("run", FunctionTransformer(func=print))])
    sio.dump(evil, tmp_path / "gratitude.skops")
    with pytest.raises(ModelError, match=r"gratitude\.skops: refused to load: the file asks for types coach does not trust"):
        UtteranceModels.load(tmp_path)


def test_a_corrupt_model_file_is_a_clear_error(fitted, tmp_path):
    fitted.save(tmp_path)
    (tmp_path / "gratitude.skops").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ModelError, match=r"gratitude\.skops: not a readable skops model file"):
        UtteranceModels.load(tmp_path)


def test_missing_manifest_says_how_to_train(tmp_path):
    with pytest.raises(ModelError, match=r"no model manifest; train models with 'coach train GOLD_DIR -o"):
        UtteranceModels.load(tmp_path)


def test_manifest_from_another_format_version_is_refused(fitted, tmp_path):
    fitted.save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["format_version"] = 99  # noqa: B018
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="model format 99"):
        UtteranceModels.load(tmp_path)


def test_unfitted_models_say_so():
    with pytest.raises(ModelError, match="not fitted yet. Call 'fit'"):
        UtteranceModels().thresholds
