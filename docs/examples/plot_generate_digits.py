"""
=====================================
Generating digits by class and style
=====================================

The decoder of an :class:`~skaae.AAEClassifier` rebuilds a row from its class
and its style code z. Holding z fixed and changing the class draws the same
handwriting as different digits; holding the class fixed and changing z draws
one digit in different hands.
"""

# %%
# Fit on digits with a few labels
# -------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from skaae import AAEClassifier
from skaae.datasets import hide_labels
from skaae.plotting import plot_generated

X, y = load_digits(return_X_y=True)
clf = AAEClassifier(
    hidden_layer_sizes=(256, 256),
    n_components=2,
    discriminator_layer_sizes=(64, 64),
    batch_size=128,
    max_iter=200,
    reconstruction_weight=1.0,
    adversarial_weight=1.0,
    random_state=0,
).fit(X, hide_labels(y, n_per_class=20, random_state=0))
print(f"accuracy on all rows: {clf.score(X, y):.3f}")

# %%
# Classes in columns, styles in rows
# ----------------------------------
# Each row decodes one style drawn from the prior with every class.
fig = plot_generated(clf, n_styles=6, random_state=0)

# %%
# The styles of real digits
# -------------------------
# ``transform`` gives the style of real rows; ``plot_generated`` then draws
# each of them as every digit. The four rows below are the styles of the
# four digits drawn on the left.
rows = X[[0, 11, 22, 33]]
fig = plt.figure(figsize=(10, 3.4), layout="constrained")
left, right = fig.subfigures(1, 2, width_ratios=[1, 10])
for ax, row in zip(left.subplots(4, 1), rows, strict=True):
    ax.imshow(row.reshape(8, 8), cmap="gray_r")
    ax.set_axis_off()
plot_generated(clf, Z=clf.transform(rows), fig=right)

# %%
# Sampling one class
# ------------------
# ``sample`` draws new rows; ``y`` fixes their class. The model classifies its
# own samples, a rough check that the class input steers the decoder.
X_new, y_new = clf.sample(200, y=3, random_state=1)
print(f"samples of 3 classified as 3: {np.mean(clf.predict(X_new) == 3):.0%}")
fig, axes = plt.subplots(1, 8, figsize=(8, 1.2))
for ax, image in zip(axes, X_new, strict=False):
    ax.imshow(image.reshape(8, 8), cmap="gray_r")
    ax.set_axis_off()
