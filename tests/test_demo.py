"""The ``python -m skaae`` demo."""

import pytest

from skaae.__main__ import main


# With 3 labels per class no label reaches some training rows through
# LabelSpreading's knn graph, and for a test row whose neighbours are all such
# rows scikit-learn divides 0 by 0. The demo's defaults (5 labels per class,
# seed 0) do not meet this.
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_demo_prints_its_table(capsys):
    rows = main(["--max-iter", "1", "--labels-per-class", "3"])
    out = capsys.readouterr().out
    assert [name for name, _, _ in rows] == [
        "AAEClassifier (defaults)",
        "same network, supervised loss only",
        "LabelSpreading (knn)",
    ]
    for name, accuracy, seconds in rows:
        assert 0 <= accuracy <= 1 and seconds > 0
        assert name in out
    assert "30 labeled" in out


def test_demo_rejects_unknown_options():
    with pytest.raises(SystemExit):
        main(["--no-such-option"])


@pytest.mark.parametrize(
    "argv",
    [
        ["--max-iter", "0"],
        ["--max-iter", "many"],
        ["--labels-per-class", "0"],
        ["--seed", "-1"],
        ["--seed", str(2**32)],
    ],
)
def test_demo_refuses_bad_values_with_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert f"argument {argv[0]}: expected a whole number" in capsys.readouterr().err
