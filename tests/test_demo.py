"""The ``python -m skaae`` demo."""

import pytest

from skaae.__main__ import main


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
