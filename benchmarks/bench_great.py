"""The real GReaT (the ``be_great`` package) as a benchmark peer, with a small GPT-2 built from
scratch, since the benchmark machine has no pretrained model and no network.

:class:`GReaTPeer` fits ``be_great.GReaT`` at its own defaults (100 epochs, batch size 8,
legacy sampling at temperature 0.7, batches of 100 rows) on the table, with the model of
``PredLLMSynthesizer()`` built from scratch (GPT-2, 3 layers of width 96, 4 heads) and a
byte-level BPE tokenizer trained on the table's text, saved in a local folder that GReaT
loads by path. Only ``max_length`` departs from GReaT's defaults (100 tokens): it is set to
1.25 times the longest training row, as GReaT's documentation asks for wide tables, so that no
row is cut.

:meth:`GReaTPeer.sample` keeps only valid rows, as the benchmark counts them: every value
parses, numbers lie inside the real range, categories are real ones. It samples until it has
the rows asked for, or until ``max_sample_seconds`` have passed (GReaT's small model writes
about one valid row per second on adult): it then returns the valid rows it has, so rows per
second are valid rows per second, and the quality metrics are computed on those rows.
``n_invalid_`` counts the rows GReaT returned that were not valid (it drops some itself
before).

Used by ``run.py`` under the name ``great`` (install with ``pip install be-great``).
"""

import shutil
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

#: skltab's default model built from scratch (PredLLMSynthesizer's ``model_config``).
_MODEL = {"n_layer": 3, "n_embd": 96, "n_head": 4, "vocab_size": 2048, "dropout": 0.1}
#: Rows GReaT writes per generation call (its ``k``) and the most calls without a valid row.
_BATCH, _MAX_EMPTY_CALLS = 100, 20


class GReaTPeer(BaseEstimator):
    """``be_great.GReaT`` on a GPT-2 built from scratch; ``sample`` returns valid rows only.

    Parameters
    ----------
    epochs : int, default=100
        GReaT's default.
    batch_size : int, default=8
        GReaT's default.
    max_sample_seconds : float, default=600
        Time after which :meth:`sample` returns the valid rows it has (at least one call's).
    random_state : int or None, default=None
        Seeds the model's weights, the training (Hugging Face ``Trainer``'s ``seed``) and
        sampling.
    """

    def __init__(self, epochs=100, batch_size=8, max_sample_seconds=600, random_state=None):
        self.epochs = epochs
        self.batch_size = batch_size
        self.max_sample_seconds = max_sample_seconds
        self.random_state = random_state

    def fit(self, X, y=None):
        from be_great import GReaT

        from skltab.metadata import infer_metadata

        self.metadata_ = infer_metadata(X)
        seed = 0 if self.random_state is None else int(self.random_state)
        folder = tempfile.mkdtemp(prefix="great_model_")
        try:
            longest = _save_scratch_model(X, folder, seed)
            self.max_length_ = int(np.ceil(1.25 * longest))
            self.great_ = GReaT(folder, experiment_dir=f"{folder}/trainer", epochs=self.epochs,
                                batch_size=self.batch_size, seed=seed, save_strategy="no",
                                logging_strategy="no", disable_tqdm=True, use_cpu=True)
            self.great_.fit(X)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return self

    def sample(self, n_samples, random_state=None):
        import torch

        torch.manual_seed(0 if random_state is None else int(random_state))
        valid, self.n_invalid_, empty_calls = [], 0, 0
        deadline = time.perf_counter() + self.max_sample_seconds
        while sum(len(rows) for rows in valid) < n_samples and (
                not valid or time.perf_counter() < deadline):
            rows = self.great_.sample(_BATCH, k=_BATCH, max_length=self.max_length_,
                                      device="cpu")
            kept = self._valid(rows)
            self.n_invalid_ += _BATCH - len(kept)
            empty_calls = empty_calls + 1 if kept.empty else 0
            if empty_calls >= _MAX_EMPTY_CALLS:
                raise RuntimeError(f"GReaT wrote no valid row in {empty_calls} calls.")
            valid.append(kept)
        table = pd.concat(valid, ignore_index=True).head(n_samples)
        return self.metadata_.cast(table[self.metadata_.columns])

    def _valid(self, rows):
        """The rows of ``rows`` whose every value is one the real column can hold."""
        rows = rows.reindex(columns=self.metadata_.columns)
        keep = np.ones(len(rows), dtype=bool)
        for column in self.metadata_:
            values = rows[column.name]
            missing = values.isna().to_numpy()
            if column.kind in ("continuous", "integer"):
                numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
                inside = (numbers >= column.min) & (numbers <= column.max)
                keep &= np.where(missing, column.nullable, inside)
            elif column.kind in ("categorical", "boolean"):
                texts = {str(c) for c in column.categories}
                known = values.astype(str).str.strip().isin(texts).to_numpy()
                keep &= np.where(missing, column.nullable, known)
        return rows[keep]


def _save_scratch_model(table, folder, seed):
    """Save a GPT-2 with random weights and a tokenizer trained on the table's GReaT text in
    ``folder``; return the longest training row in tokens."""
    import torch
    from transformers import PreTrainedTokenizerFast

    from skltab.llm._model import SPECIAL_TOKEN, build_model, check_model_config, train_tokenizer

    texts = [", ".join(f"{name} is {str(value).strip()}" for name, value in row.items())
             for _, row in table.iterrows()]
    # the corpus of PredLLMSynthesizer's tokenizer: names with their separator, and the
    # values of categorical columns (numbers are left to bytes)
    categorical = table.select_dtypes(exclude="number").columns
    segments = [", "] + [f"{name} is " for name in table.columns] * len(table) + [
        str(value).strip() for name in categorical for value in table[name]]
    config = check_model_config(_MODEL)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=train_tokenizer(segments, config["vocab_size"]),
        bos_token=SPECIAL_TOKEN, eos_token=SPECIAL_TOKEN, pad_token=SPECIAL_TOKEN)
    longest = max(len(tokenizer(text)["input_ids"]) for text in texts)
    torch.manual_seed(seed)
    model = build_model(config, len(tokenizer), max(1024, 2 * longest), 0)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return longest
