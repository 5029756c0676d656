"""scikit-learn's own estimator checks."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from .conftest import small_aae

# check_classifiers_classes trains on labels such as [-1, 1], where -1 is the
# semi-supervised "unlabeled" marker, and on labels in a string dtype, which
# fit refuses as SelfTrainingClassifier does (it cannot hold -1): that one
# check cannot pass.
EXPECTED_FAILED = {
    "check_classifiers_classes": "-1 marks unlabeled rows, and a string dtype "
    "cannot hold it (semi-supervised convention)"
}


# The checks train on fully labeled y, which rightly warns every time.
@pytest.mark.filterwarnings("ignore:y contains no unlabeled rows")
@parametrize_with_checks(
    [small_aae(max_iter=20)],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
