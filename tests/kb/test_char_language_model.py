"""The character-level language model experiment: its CI size through the entry point, and the
properties its conclusions rest on: the cumulative-sum linear attention equals its masked
quadratic form, no model sees the future, the file split is disjoint and fixed, the FLOP count
follows the models' actual shapes, and validation scores every character exactly once."""

from __future__ import annotations

import math
import random

import pytest
import torch
from support.declared import assert_reports_its_metrics

from cortex.timing import Harness

EXPERIMENT = "char_language_model"  # the spec, entry and module fixtures (conftest) load it
MODELS = ["lstm", "softmax", "linear"]
SIZE_KNOBS = {"width", "steps", "batch"}  # all that ci and full may differ in
SMALL_VOCABULARY = 30


@pytest.fixture(scope="module")
def ci_results(spec, entry):
    bench = Harness("cpu")
    return {p["model"]: entry(p, bench) for p in spec.points("ci")}


def test_sizes_differ_only_in_the_size_knobs(spec):
    ci, full = spec.points("ci"), spec.points("full")
    assert [p["model"] for p in ci] == MODELS
    assert sorted({p["width"] for p in full}) == [16, 32, 64]
    assert {p["model"] for p in full} == set(MODELS)
    for name in set(spec.params) - SIZE_KNOBS:
        assert {p[name] for p in ci} == {p[name] for p in full}, name
    budgets = {p["steps"] * p["batch"] * p["context"] for p in full}
    assert len(budgets) == 1  # every model sees the same number of characters
    assert spec.device == "cpu" and spec.freeze


def test_every_ci_point_reports_every_metric_and_passes_the_runner_checks(spec, ci_results, module):
    assert set(ci_results) == set(MODELS)
    for model, metrics in ci_results.items():
        assert_reports_its_metrics(spec, metrics, model)
        assert metrics["params"] > 0 and metrics["train_flops"] > 0
        prompt = module.SAMPLE_PROMPT.replace("\n", module.NEWLINE_MARK)
        assert metrics["sample"].startswith(prompt)
        assert len(metrics["sample"]) == len(prompt) + module.SAMPLE_LENGTH
        assert "\n" not in metrics["sample"]


def test_validation_loss_falls_for_every_model(ci_results, module):
    uniform = math.log2(len(module.corpus().vocabulary))
    for model, metrics in ci_results.items():
        initial, final = metrics["initial_bpc"], metrics["val_bpc"]
        assert abs(initial.value - uniform) < 0.5, (model, initial.value, uniform)  # starts near uniform
        assert final.high < initial.low, (model, initial, final)  # every seed's quartile range is below


def test_the_linear_transformer_counts_fewer_flops_than_softmax_at_the_same_size(ci_results):
    assert ci_results["linear"]["params"] == ci_results["softmax"]["params"]
    assert ci_results["linear"]["train_flops"] < ci_results["softmax"]["train_flops"]
    assert ci_results["lstm"]["train_flops"] < ci_results["linear"]["train_flops"]


# -- attention -----------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [0.02, 1.0, 3.0])
def test_cumulative_sum_linear_attention_equals_the_masked_quadratic_form(module, scale):
    generator = torch.Generator().manual_seed(0)
    q, k, v = (scale * torch.randn(2, 3, 37, 16, generator=generator, dtype=torch.float64) for _ in range(3))
    fast = module.linear_attention(q, k, v)
    reference = module.linear_attention_quadratic(q, k, v)
    torch.testing.assert_close(fast, reference, rtol=1e-10, atol=1e-12)


def test_linear_attention_first_position_is_its_own_value(module):
    """Position 0 attends to itself alone: the output is v_0 (up to the small ε)."""
    q, k, v = (torch.randn(1, 1, 5, 16, dtype=torch.float64) for _ in range(3))
    torch.testing.assert_close(
        module.linear_attention(q, k, v)[..., 0, :], v[..., 0, :], rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("kind", MODELS)
def test_changing_a_future_character_changes_no_earlier_prediction(module, kind):
    model = module.build_model(kind, SMALL_VOCABULARY, width=32, context=40, seed=0)
    _scale_up(model)  # weights far from initialisation, so the attention is far from uniform
    model.eval()
    ids = torch.randint(1, SMALL_VOCABULARY, (2, 40), generator=torch.Generator().manual_seed(1))
    changed = ids.clone()
    changed[:, 25] = (changed[:, 25] % (SMALL_VOCABULARY - 1)) + 1
    with torch.no_grad():
        before, after = model(ids), model(changed)
    torch.testing.assert_close(after[:, :25], before[:, :25], rtol=0, atol=1e-6)
    assert (after[:, 25:] - before[:, 25:]).abs().amax() > 1e-3  # the change is seen from then on


def _scale_up(model: torch.nn.Module) -> None:
    generator = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=generator))


# -- the text ------------------------------------------------------------------------------------


def test_the_split_is_disjoint_complete_and_deterministic(module, spec):
    files = spec.data
    train, validation = module.split_files(files)
    assert set(train).isdisjoint(validation)
    assert set(train) | set(validation) == set(files)
    assert len(validation) == math.ceil(module.VALIDATION_FRACTION * len(files))
    shuffled = list(files)
    random.Random(3).shuffle(shuffled)
    assert module.split_files(shuffled) == (train, validation)  # the listing order does not matter
    assert module.split_files(files, seed=1) != (train, validation)  # the seed does


def test_the_text_is_exactly_the_declared_files(module, spec):
    corpus = module.corpus()
    assert "experiments/char_language_model.md" not in spec.data
    assert any(f.startswith("content/") for f in spec.data)
    assert any(f.startswith("experiments/") for f in spec.data)
    assert sorted(corpus.train_files + corpus.validation_files) == sorted(spec.data)


def test_each_half_is_its_files_concatenated_in_sorted_order(module, tmp_path):
    names = [f"page{i:02d}.md" for i in range(20)]
    for i, name in enumerate(names):
        (tmp_path / name).write_text("a" * (i + 1) + "é\n", encoding="utf-8")
    corpus = module.read_corpus(list(reversed(names)), root=tmp_path)
    assert len(corpus.validation_files) == 2 and list(corpus.train_files) == sorted(corpus.train_files)
    for files, text in ((corpus.train_files, corpus.train), (corpus.validation_files, corpus.validation)):
        expected = "".join((tmp_path / f).read_text(encoding="utf-8") for f in files)
        assert corpus.decode(text) == expected


def test_the_vocabulary_is_the_training_characters_after_the_unknown_symbol(module):
    vocabulary = module.build_vocabulary("banana\n")
    assert vocabulary == module.UNKNOWN + "\nabn"
    assert module.encode("nab§", vocabulary).tolist() == [4, 2, 3, 0]
    corpus = module.corpus()
    assert corpus.decode(corpus.encode("## Method")) == "## Method"
    assert 0 not in corpus.train.tolist()  # only validation text can hold unknown characters


@pytest.mark.parametrize("length", [2, 5, 128, 129, 130, 257, 1000])
def test_validation_windows_predict_every_character_but_the_first_once(module, length):
    windows = module.validation_windows(length, context=128)
    predicted = [i for start, end in windows for i in range(start + 1, end)]
    assert predicted == list(range(1, length))
    assert all(1 < end - start <= 129 for start, end in windows)


class _Uniform(torch.nn.Module):
    """Predicts every character with the same probability."""

    def __init__(self, vocabulary: int):
        super().__init__()
        self.vocabulary = vocabulary

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return torch.zeros(*ids.shape, self.vocabulary)


def test_a_uniform_model_scores_log2_of_the_vocabulary(module):
    text = torch.randint(0, 50, (3001,), generator=torch.Generator().manual_seed(0))
    assert module.bits_per_character(_Uniform(50), text, context=128) == pytest.approx(
        math.log2(50), rel=1e-6
    )


def test_the_unigram_reference_is_between_zero_and_uniform(module):
    corpus = module.corpus()
    assert 0 < module.unigram_bits(corpus) < math.log2(len(corpus.vocabulary))


# -- compute -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize("width", [16, 64])
def test_the_flop_formula_is_twice_the_models_weight_matrices_plus_attention(module, kind, width):
    """Every weight matrix outside the embeddings is used once per character as a multiply-add."""
    context = 128
    model = module.build_model(kind, SMALL_VOCABULARY, width, context, seed=0)
    matrices = sum(
        p.numel() for name, p in model.named_parameters() if p.dim() == 2 and not _is_embedding(name)
    )
    attention = (
        0 if kind == "lstm" else module.LAYERS * module.attention_flops_per_token(kind, width, context)
    )
    assert module.forward_flops_per_token(kind, width, context, SMALL_VOCABULARY) == 2 * matrices + attention


def _is_embedding(name: str) -> bool:
    return name.startswith(("token.", "position."))


@pytest.mark.parametrize("kind", MODELS)
def test_training_flops_scale_with_the_tokens(module, kind):
    one = module.training_flops(kind, 32, 128, 100, tokens=1000)
    assert module.training_flops(kind, 32, 128, 100, tokens=3000) == 3 * one
    assert one == 3 * 1000 * module.forward_flops_per_token(kind, 32, 128, 100)


def test_softmax_attention_grows_with_the_context_and_linear_attention_does_not(module):
    softmax = [module.attention_flops_per_token("softmax", 64, t) for t in (64, 128, 192)]
    linear = [module.attention_flops_per_token("linear", 64, t) for t in (64, 128, 192)]
    assert softmax[1] - softmax[0] == softmax[2] - softmax[1] > 0  # linear in the context
    assert len(set(linear)) == 1
    # a softmax position reads T + 1 keys on average over a window, linear a head_dim state
    assert module.attention_flops_per_token("softmax", 64, 2 * module.HEAD_DIM - 1) == pytest.approx(
        module.attention_flops_per_token("linear", 64, 128) - 2 * 64
    )


# -- training pieces -----------------------------------------------------------------------------


def test_the_learning_rate_warms_up_then_decays_to_a_tenth(module):
    steps = 200
    factors = [module.learning_rate_factor(s, steps) for s in range(steps)]
    warmup = round(module.WARMUP_FRACTION * steps)
    assert factors[0] == pytest.approx(1 / warmup)
    assert max(factors) == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(factors[warmup - 1 :], factors[warmup:], strict=False))
    assert factors[-1] == pytest.approx(module.FINAL_LR_FRACTION, abs=1e-3)


def test_training_batches_are_next_character_pairs(module):
    text = torch.arange(1000)
    inputs, targets = module.training_batch(text, 6, 128, torch.Generator().manual_seed(0))
    assert inputs.shape == targets.shape == (6, 128)
    assert torch.equal(targets[:, :-1], inputs[:, 1:])
    assert torch.equal(targets, inputs + 1)  # consecutive characters of the text


def test_generation_is_fixed_by_its_seed(module):
    corpus = module.corpus()
    model = module.build_model("softmax", len(corpus.vocabulary), 16, 128, seed=0)
    first, again = module.generate(model, corpus, 128), module.generate(model, corpus, 128)
    assert first == again
    assert module.generate(model, corpus, 128, seed=1) != first
