"""
=====================================
Dimensionality reduction against PCA
=====================================

Both PCA and :class:`~skaae.AAEClassifier` compress digits to two numbers per
row. They keep different things: PCA keeps the directions of largest
variance, which mix the digit's identity with its style; the autoencoder
gives the identity to its class head and keeps only the *style* in its code
z. This example measures both, on held-out rows.
"""

# %%
# Two numbers per row
# -------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.neighbors import KNeighborsClassifier

from skaae import AAEClassifier
from skaae.datasets import hide_labels
from skaae.plotting import plot_latent

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
pca = PCA(n_components=2).fit(X_train)
aae = AAEClassifier(
    hidden_layer_sizes=(256, 256),
    n_components=2,
    discriminator_layer_sizes=(64, 64),
    batch_size=128,
    max_iter=200,
    reconstruction_weight=1.0,
    adversarial_weight=1.0,
    random_state=0,
).fit(X_train, hide_labels(y_train, n_per_class=20, random_state=0))

fig, (ax_pca, ax_aae) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
Z_pca = pca.transform(X_test)
for label in range(10):
    ax_pca.scatter(*Z_pca[y_test == label].T, s=8, label=str(label))
ax_pca.set_title("PCA, 2 components")
plot_latent(aae, X_test, y_test, ax=ax_aae)
ax_aae.set_title("AAEClassifier style code z (n_components=2)")

# %%
# PCA's two components separate some digits. The style code mixes the
# classes much more, which is what it is trained for: the adversarial term
# pushes z towards a class-free normal prior, and the class lives in
# ``predict_proba``.
#
# How much of the digit does each code keep?
# ------------------------------------------
# A nearest-neighbour classifier on each 2-D code tells how much class
# information the code holds. Rebuilding the test rows tells how much of the
# image it keeps: PCA from its 2 numbers, the autoencoder from its 2 style
# numbers plus the class probabilities (``reconstruct``).
knn = KNeighborsClassifier(n_neighbors=5)
for name, codes in [("PCA", Z_pca), ("AAE z", aae.transform(X_test))]:
    accuracy = cross_val_score(knn, codes, y_test, cv=5).mean()
    print(f"5-NN accuracy on the {name} codes: {accuracy:.2f}")

pca_error = np.mean((pca.inverse_transform(Z_pca) - X_test) ** 2)
aae_error = np.mean((aae.reconstruct(X_test) - X_test) ** 2)
pixel_variance = X_test.var(axis=0).mean()
print(f"mean squared rebuild error, PCA (2 numbers):         {pca_error:.2f}")
print(f"mean squared rebuild error, AAE (class + 2 numbers): {aae_error:.2f}")
print(f"variance of the test pixels:                         {pixel_variance:.2f}")
