"""
==================================================
Semi-supervised digits in a Pipeline with a search
==================================================

Ten labels per class, the rest of the training rows unlabeled (``-1``). An
:class:`~skaae.AAEClassifier` in a :class:`~sklearn.pipeline.Pipeline` is tuned
with :class:`~sklearn.model_selection.GridSearchCV` on the training rows only,
then compared on held-out test rows with scikit-learn's
:class:`~sklearn.semi_supervised.LabelSpreading` on the same labels.
"""

# %%
# Hide all but ten labels per class
# ---------------------------------
# ``hide_labels`` keeps ``n_per_class`` labels of each class and marks every
# other row ``-1``, scikit-learn's convention for unlabeled rows.
import time

from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.semi_supervised import LabelSpreading

from skaae import AAEClassifier
from skaae.datasets import hide_labels
from skaae.plotting import plot_history

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
y_partial = hide_labels(y_train, n_per_class=10, random_state=0)
print(f"{(y_partial != -1).sum()} labeled rows, {(y_partial == -1).sum()} unlabeled")

# %%
# Search the VAT weight with cross-validation
# -------------------------------------------
# ``AAEClassifier.score`` counts the labeled rows only, so ``GridSearchCV``
# scores each fold on its held-out labeled rows while the fold's unlabeled
# rows still feed training. The folds are stratified on the partial labels, so
# each one holds labeled rows of every class. A small network keeps the
# example quick.
model = AAEClassifier(
    hidden_layer_sizes=(256, 256),
    discriminator_layer_sizes=(64, 64),
    batch_size=128,
    max_iter=60,
    random_state=0,
)
pipe = make_pipeline(MinMaxScaler(), model)
search = GridSearchCV(
    pipe,
    {"aaeclassifier__vat_weight": [1.0, 4.0]},
    cv=StratifiedKFold(n_splits=2, shuffle=True, random_state=0),
)
start = time.perf_counter()
search.fit(X_train, y_partial)
print(f"search: {time.perf_counter() - start:.0f} s")
for params, score in zip(
    search.cv_results_["params"], search.cv_results_["mean_test_score"], strict=True
):
    print(params, f"cross-validated accuracy on labeled rows: {score:.3f}")

# %%
# Compare with LabelSpreading on the test rows
# --------------------------------------------
spreading = LabelSpreading(kernel="knn", n_neighbors=7).fit(X_train, y_partial)
aae_error = 1 - search.score(X_test, y_test)
spreading_error = 1 - spreading.score(X_test, y_test)
print(f"AAEClassifier test error:  {100 * aae_error:.1f} %")
print(f"LabelSpreading test error: {100 * spreading_error:.1f} %")

# %%
# The training curves of the refitted model
# -----------------------------------------
# One panel per phase: reconstruction, the adversarial game of the two
# discriminators against the encoder, the semi-supervised losses, and the
# accuracy on the labeled batches.
fig = plot_history(search.best_estimator_)
