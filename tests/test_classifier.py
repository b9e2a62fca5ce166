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
    a = fitted.weights_
    b = again.weights_
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


@pytest.mark.parametrize(
    "text",
    ["we truly appreciate your loyalty over the years", "a", "", "thanks!!! for, the... 9 yrs — ok?", "été café naïve", "x y z", "  spaced   out  "],
)
def test_numpy_scoring_of_loaded_models_matches_scikit_learn(fitted, tmp_path, text):
    fitted.save(tmp_path)
    loaded = UtteranceModels.load(tmp_path)
    assert loaded.features_ is None  # scoring a loaded model never needs scikit-learn
    assert np.allclose(loaded.predict_proba([text], "gratitude"), fitted.predict_proba([text], "gratitude"), atol=1e-6)


def test_a_weights_file_holding_objects_is_refused_without_unpickling(fitted, tmp_path):
    fitted.save(tmp_path)
    evil = np.array([print, "rm -rf"], dtype=object)
    np.save(tmp_path / "weights.npy", evil, allow_pickle=True)
    with pytest.raises(ModelError, match=r"weights\.npy: refused to load: not a plain numeric array"):
        UtteranceModels.load(tmp_path)


def test_weights_of_the_wrong_shape_are_refused(fitted, tmp_path):
    fitted.save(tmp_path)
    np.save(tmp_path / "weights.npy", np.zeros((1, 3), dtype=np.float32))
    with pytest.raises(ModelError, match=r"weights\.npy: expected a float array of shape"):
        UtteranceModels.load(tmp_path)


def test_a_corrupt_feature_file_is_a_clear_error(fitted, tmp_path):
    fitted.save(tmp_path)
    (tmp_path / "features.json").write_text("{not json")
    with pytest.raises(ModelError, match=r"features\.json: not a valid coach feature file"):
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
        _ = UtteranceModels().thresholds


def test_a_tampered_model_stops_scoring_with_a_message_naming_the_way_out(fitted, tmp_path):
    from coach.scoring import Analyzer

    fitted.save(tmp_path)
    np.save(tmp_path / "weights.npy", np.array([print], dtype=object), allow_pickle=True)
    with pytest.raises(ModelError, match=r"refused to load.*use --no-model"):
        Analyzer(models_dir=str(tmp_path))
    assert Analyzer(use_model=False, models_dir=str(tmp_path)).models is None
