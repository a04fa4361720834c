"""Figures of the evaluation report, drawn with matplotlib (imported only when drawing)."""

import math

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from ..utils import import_optional

#: Rows per table drawn in the 2-D projection.
PROJECTION_MAX_ROWS = 2_000
#: Most categories drawn per categorical column; the rest share one bar.
_MAX_BARS = 15
_COLORS = {"real": "#1f77b4", "synthetic": "#ff7f0e"}


def _figure(**kwargs):
    figure_module = import_optional("matplotlib.figure", purpose="plotting the evaluation report")
    return figure_module.Figure(layout="constrained", **kwargs)


def marginals_figure(pair):
    """One panel per compared column: real and synthetic histograms or category bars."""
    columns = pair.encoder.columns_
    n_cols = min(4, len(columns))
    n_rows = math.ceil(len(columns) / n_cols)
    figure = _figure(figsize=(4 * n_cols, 3 * n_rows))
    axes = figure.subplots(n_rows, n_cols, squeeze=False).ravel()
    real, synthetic = pair.encoded("real"), pair.encoded("synthetic")
    for ax, name in zip(axes, columns):
        if name in pair.encoder.numeric_columns_:
            j = pair.encoder.numeric_columns_.index(name)
            _histogram(ax, pair.metadata[name], real.numeric[:, j], synthetic.numeric[:, j])
        else:
            j = pair.encoder.discrete_columns_.index(name)
            _bars(ax, pair.encoder.categories_[name], real.discrete[:, j],
                  synthetic.discrete[:, j])
        ax.set_title(f"{name} ({pair.metadata[name].kind})", fontsize=9)
    for ax in axes[len(columns):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=8)
    return figure


def _histogram(ax, column, real, synthetic):
    real, synthetic = real[~np.isnan(real)], synthetic[~np.isnan(synthetic)]
    low = min(real.min(), synthetic.min()) if len(synthetic) else real.min()
    high = max(real.max(), synthetic.max()) if len(synthetic) else real.max()
    edges = np.linspace(low, high if high > low else low + 1, 31)
    for label, values in (("real", real), ("synthetic", synthetic)):
        counts = np.histogram(values, bins=edges)[0] / max(len(values), 1)
        x = edges if column.kind != "datetime" else pd.to_datetime(edges,
                                                                   unit=column.datetime_unit)
        ax.stairs(counts, x, fill=True, alpha=0.45, color=_COLORS[label], label=label)
    ax.tick_params(axis="x", labelsize=7, labelrotation=30)
    ax.set_ylabel("share", fontsize=8)


def _bars(ax, categories, real, synthetic):
    n_categories = len(categories)
    labels = [str(c)[:14] for c in categories] + ["(missing)", "(unseen)"]
    counts = {label: np.bincount(codes, minlength=n_categories + 2) / len(codes)
              for label, codes in (("real", real), ("synthetic", synthetic))}
    order = [k for k in np.argsort(-counts["real"][:n_categories], kind="stable")
             if counts["real"][k] + counts["synthetic"][k] > 0]
    shown, rest = order[:_MAX_BARS], order[_MAX_BARS:]
    extra = [k for k in (n_categories, n_categories + 1)
             if counts["real"][k] + counts["synthetic"][k] > 0]
    names = [labels[k] for k in shown] + (["(other)"] if rest else []) + [labels[k]
                                                                          for k in extra]
    x = np.arange(len(names))
    for offset, label in ((-0.2, "real"), (0.2, "synthetic")):
        heights = [counts[label][k] for k in shown]
        heights += [counts[label][rest].sum()] if rest else []
        heights += [counts[label][k] for k in extra]
        ax.bar(x + offset, heights, width=0.4, color=_COLORS[label], alpha=0.8, label=label)
    ax.set_xticks(x, names, fontsize=7, rotation=45, ha="right")
    ax.set_ylabel("share", fontsize=8)


def associations_figure(matrices):
    """Heatmaps of the real and synthetic association matrices and their absolute difference."""
    figure = _figure(figsize=(15, 5))
    axes = figure.subplots(1, 3)
    real, synthetic = matrices["real"], matrices["synthetic"]
    panels = [("real", real, "coolwarm", -1), ("synthetic", synthetic, "coolwarm", -1),
              ("|real - synthetic|", (real - synthetic).abs(), "Reds", 0)]
    for ax, (title, matrix, cmap, low) in zip(axes, panels):
        image = ax.imshow(matrix.to_numpy(), cmap=cmap, vmin=low, vmax=1)
        ax.set_title(title, fontsize=10)
        if len(matrix) <= 40:
            ticks = np.arange(len(matrix))
            ax.set_xticks(ticks, matrix.columns, fontsize=7, rotation=90)
            ax.set_yticks(ticks, matrix.index, fontsize=7)
        figure.colorbar(image, ax=ax, shrink=0.8)
    return figure


def projection_figure(pair):
    """Real and synthetic rows on the first two principal axes of the real rows."""
    space = pair.space
    points = {name: space.transform(pair.encoded(name))[
        pair.subsample(name, PROJECTION_MAX_ROWS, "projection plot")]
        for name in ("real", "synthetic")}
    pca = PCA(n_components=min(2, points["real"].shape[1]), random_state=pair.seed)
    pca.fit(points["real"])
    figure = _figure(figsize=(6, 5))
    ax = figure.subplots()
    for name, rows in points.items():
        projected = pca.transform(rows)
        y = projected[:, 1] if projected.shape[1] > 1 else np.zeros(len(projected))
        ax.scatter(projected[:, 0], y, s=6, alpha=0.4, color=_COLORS[name], label=name)
    ax.set_xlabel("first principal axis of the real rows")
    ax.set_ylabel("second principal axis")
    ax.legend()
    return figure
