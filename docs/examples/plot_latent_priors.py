"""
=================================
The style code under three priors
=================================

The ``prior`` parameter chooses the distribution that the style
discriminator compares z with, and so the shape the encoder gives its codes:
a standard normal, a mixture of ten Gaussians on a circle, or a swiss roll.
Each panel shows the codes of the test rows, coloured by class.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skaae import AAEClassifier
from skaae.datasets import hide_labels
from skaae.plotting import plot_latent

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
y_partial = hide_labels(y_train, n_per_class=20, random_state=0)

fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), layout="constrained")
for ax, prior in zip(axes, ["normal", "mixture", "swiss_roll"], strict=True):
    clf = AAEClassifier(
        hidden_layer_sizes=(256, 256),
        n_components=2,
        discriminator_layer_sizes=(64, 64),
        batch_size=128,
        max_iter=60,
        prior=prior,
        random_state=0,
    ).fit(X_train, y_partial)
    plot_latent(clf, X_test, y_test, ax=ax, s=6)
    ax.set_title(f'prior="{prior}", test accuracy {clf.score(X_test, y_test):.2f}')

# %%
# The codes take the prior's shape while every class spreads over all of it:
# the class is held by the class head, so the style code has no reason to
# cluster by digit. Under the mixture prior the ten arms are shared by all
# digits, they are not one arm per class (the paper's unsupervised variant,
# which ties arms to classes, is a different model).
