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


def _refusal_examples():
    """The same short reply is a refusal after an offer and not after a greeting: only context tells them apart."""
    offers = ["i can give you three months at half price", "how about we pause it instead", "i could drop you to the basic tier",
              "we can waive the fee if you stay", "let me offer you a free upgrade"]  # fmt: skip
    others = ["thanks for calling how can i help", "can i have your postcode", "is this the account holder",
              "what is the name on the account", "how are you doing today"]  # fmt: skip
    replies = ["no thanks", "no i'm good", "nah", "no that's fine", "no"]
    rows = [Example(r, "customer", frozenset({"refusal"}), o) for o in offers for r in replies]
    rows += [Example(r, "customer", frozenset(), o) for o in others for r in replies]
    return rows


def test_a_reply_is_read_with_the_turn_before_it():
    models = UtteranceModels(labels=("refusal",), seed=0, context_weight=0.5).fit(_refusal_examples(), _refusal_examples())
    after_offer, after_question = models.predict_proba(
        ["no thanks", "no thanks"], "refusal", contexts=["i could offer you the basic tier at half price", "can i have your postcode"]
    )
    assert after_offer > 0.5 > after_question


def test_context_weight_zero_reads_each_turn_alone():
    models = UtteranceModels(labels=("refusal",), seed=0, context_weight=0).fit(_refusal_examples(), _refusal_examples())
    a, b = models.predict_proba(["no thanks", "no thanks"], "refusal", contexts=["how about we pause it instead", "can i have your postcode"])
    assert a == b


def test_loaded_context_models_score_as_fitted(tmp_path):
    models = UtteranceModels(labels=("refusal",), seed=0, context_weight=0.5).fit(_refusal_examples(), _refusal_examples())
    models.save(tmp_path)
    loaded = UtteranceModels.load(tmp_path)
    texts, contexts = ["no thanks", "nah"], ["let me offer you a free upgrade", "is this the account holder"]
    assert loaded.context_weight == 0.5
    assert np.allclose(loaded.predict_proba(texts, "refusal", contexts), models.predict_proba(texts, "refusal", contexts), atol=1e-6)


def test_previous_turns_pairs_each_turn_with_the_other_partys_last_words():
    from coach.classifier import previous_turns
    from coach.model import Role, Turn

    roles = [Role.SYSTEM, Role.CUSTOMER, Role.AGENT, Role.AGENT, Role.CUSTOMER]
    turns = [Turn(index=i, speaker=str(r), role=r, text=f"t{i}") for i, r in enumerate(roles)]
    assert previous_turns(turns, [t.text for t in turns]) == ["", "", "t1", "t1", "t3"]
