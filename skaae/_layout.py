"""The features' own layout, read from their correlations, and moves along it.

Pixels of an image correlate most with the pixels beside them, so the
graph that links each feature to its most correlated features is a grid
that the estimator can find without being told that the rows are images.
Placed in a plane by a spectral embedding of that graph, each feature has
neighbours in every direction; giving each feature the value of its
neighbour ahead in one direction approximates a translation of the row.

Where the features are an image's pixels read row after row, the grid
itself shows in their order: a pixel correlates with the one a row below
it, ``width`` features on, more than with the pixels a few places along
its own row. That finds the image's exact shape, which a translation
needs.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from scipy.linalg import eigh
from scipy.sparse.csgraph import dijkstra

from ._rows import feature_offset

# Each feature's neighbours are its this many most correlated features.
_N_NEIGHBOURS = 8
# Directions of a move, evenly spaced on the plane of the embedding.
_N_DIRECTIONS = 8
# Rows whose correlations are read, drawn at random when X has more.
_N_ROWS = 10_000
# Wider X is not searched: the correlation matrix has n_features ** 2 entries.
_MAX_FEATURES = 4096
# Nor is X with fewer rows: the correlations of a handful of rows place the
# features near a curve, which reads as local. Random normal features
# (200-784 of them) looked laid out from 3 to 6 rows, never from 10; blurred
# 16 x 16 noise images were found from 20 rows on.
_MIN_ROWS = 20
# Rows of a sparse sample densified at a time.
_SPARSE_CHUNK = 256
# Features count as laid out when a feature's neighbourhood this many steps
# out in the graph holds less than this share of the features on average:
# a grid's neighbourhoods grow with the square of the steps (4 % of
# MNIST's pixels at 2 steps, 19 % at 4), a graph of features without a
# layout reaches nearly every feature in a few steps (wine, breast cancer,
# digits' 8 x 8 pixels and make_classification's features all at 4).
_LOCAL_STEPS = 4
_LOCAL_SHARE = 0.5
# A raster's sides (and a channel's height) are at least this many pixels.
_MIN_SIDE = 8
# A laid-out X is read as a raster of some width when its features that
# width apart correlate more, on average, than features 2 to width - 2
# apart, by at least this much: 0.35 on MNIST, 0.27 on Fashion-MNIST,
# 0.11 on Fashion-MNIST's images transposed. One correlation from 10 000
# rows has a standard error of about 0.01, and this is a mean of hundreds.
_RASTER_MARGIN = 0.05


def feature_correlations(
    sample: np.ndarray | sp.csr_matrix,
) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlations of the columns of ``sample``, and which vary.

    A constant column has no correlations: its row and column are 0.
    """
    if sp.issparse(sample):
        return _sparse_correlations(sample)
    sample = np.asarray(sample, dtype=np.float64)
    sample = np.ldexp(sample, -_exponent(np.abs(sample).max(initial=0.0)))
    centred = sample - sample.mean(axis=0)
    spread = np.sqrt(np.square(centred).mean(axis=0))
    live = _varying(spread)
    unit = np.divide(centred, spread, out=np.zeros_like(centred), where=live)
    return unit.T @ unit / len(sample), live


def _varying(spread: np.ndarray) -> np.ndarray:
    """Columns whose spread is not a rounding error beside the largest one."""
    return spread > 1e-8 * max(spread.max(initial=0.0), np.finfo(float).tiny)


def _exponent(peak: float) -> int:
    """The power of two just above ``peak``.

    Correlations do not depend on the scale; dividing by a power of two is
    exact, and brings entries near 1e300 down to where their squares are
    finite.
    """
    return int(np.frexp(peak)[1])


def _sparse_correlations(sample: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """:func:`feature_correlations` from moments, densifying a few rows at a time.

    A sparse X is never densified whole, as the estimator promises.
    """
    n_rows, n_features = sample.shape
    exponent = _exponent(float(abs(sample).max()))
    total = np.zeros(n_features)
    second = np.zeros((n_features, n_features))
    low = np.full(n_features, np.inf)
    high = np.full(n_features, -np.inf)
    for start in range(0, n_rows, _SPARSE_CHUNK):
        block = sample[start : start + _SPARSE_CHUNK].toarray().astype(np.float64)
        block = np.ldexp(block, -exponent)
        total += block.sum(axis=0)
        second += block.T @ block
        low = np.minimum(low, block.min(axis=0))
        high = np.maximum(high, block.max(axis=0))
    mean = total / n_rows
    covariance = second / n_rows - np.outer(mean, mean)
    spread = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    # Moments leave a constant column a rounding error of spread: its
    # range tells it apart.
    live = (high > low) & _varying(spread)
    unit = np.where(live, spread, 1.0)
    corr = covariance / np.outer(unit, unit)
    corr[~live] = 0.0
    corr[:, ~live] = 0.0
    return corr, live


def neighbour_graph(corr: np.ndarray, live: np.ndarray) -> np.ndarray:
    """Each feature's ``_N_NEIGHBOURS`` most correlated varying features."""
    ranked = np.where(live[None, :], corr, -np.inf)
    np.fill_diagonal(ranked, -np.inf)
    return np.argsort(-ranked, axis=1, kind="stable")[:, :_N_NEIGHBOURS]


def _adjacency(neighbours: np.ndarray, live: np.ndarray, weights: np.ndarray):
    """The symmetric graph of the varying features' neighbour links."""
    index = np.flatnonzero(live)
    position = np.full(len(live), -1)
    position[index] = np.arange(len(index))
    rows = np.repeat(position[index], neighbours.shape[1])
    cols = position[neighbours[index].ravel()]
    graph = sp.csr_matrix(
        (weights[index].ravel(), (rows, cols)), shape=(len(index), len(index))
    )
    return graph.maximum(graph.T)


def is_local(neighbours: np.ndarray, live: np.ndarray) -> bool:
    """Whether the neighbour graph is local, as a layout's is (module comments)."""
    if live.sum() <= _N_NEIGHBOURS:
        return False
    links = _adjacency(neighbours, live, np.ones(neighbours.shape, dtype=float))
    n = links.shape[0]
    # A few hundred sources at a time keep the distance matrix small.
    reached = sum(
        np.isfinite(
            dijkstra(
                links,
                directed=False,
                indices=sources,
                unweighted=True,
                limit=_LOCAL_STEPS,
            )
        ).sum()
        for sources in np.array_split(np.arange(n), -(-n // 512))
    )
    return reached / n**2 < _LOCAL_SHARE


def plane_coordinates(
    corr: np.ndarray, neighbours: np.ndarray, live: np.ndarray
) -> np.ndarray:
    """Each feature's place in a plane: a spectral embedding of the graph.

    The two leading non-trivial eigenvectors of the graph's normalised
    adjacency (links weighted by the positive correlations); constant
    features sit at the origin.
    """
    weights = np.clip(np.take_along_axis(corr, neighbours, axis=1), 0.0, None)
    adjacency = _adjacency(neighbours, live, weights).toarray()
    degree = adjacency.sum(axis=1)
    inverse_root = 1.0 / np.sqrt(np.maximum(degree, np.finfo(float).tiny))
    normalised = inverse_root[:, None] * adjacency * inverse_root[None, :]
    n = len(normalised)
    _, vectors = eigh(normalised, subset_by_index=[n - 3, n - 2])
    embedded = vectors * inverse_root[:, None]
    embedded /= np.maximum(embedded.std(axis=0), np.finfo(float).tiny)
    coordinates = np.zeros((len(live), 2))
    coordinates[live] = embedded
    return coordinates


def direction_moves(
    neighbours: np.ndarray, coordinates: np.ndarray, live: np.ndarray
) -> np.ndarray:
    """For each direction, the feature whose value each feature takes.

    A feature takes the value of the neighbour that lies furthest ahead of
    it in the direction, or keeps its own when none lies ahead; constant
    features keep theirs.
    """
    n_features = len(neighbours)
    own = np.arange(n_features)
    offsets = coordinates[neighbours] - coordinates[:, None, :]
    angles = 2 * np.pi * np.arange(_N_DIRECTIONS) / _N_DIRECTIONS
    ahead = offsets @ np.stack([np.cos(angles), np.sin(angles)])
    best = ahead.argmax(axis=1)
    moves = np.where(
        np.take_along_axis(ahead, best[:, None, :], axis=1)[:, 0] > 0,
        np.take_along_axis(neighbours, best, axis=1),
        own[:, None],
    )
    moves[~live] = own[~live, None]
    return moves.T.copy()


@dataclass(frozen=True, eq=False)
class Layout:
    """The correlations of X's features, whose neighbour graph is local."""

    corr: np.ndarray
    live: np.ndarray
    neighbours: np.ndarray

    def moves(self) -> np.ndarray:
        """The neighbour term's moves, of shape ``(_N_DIRECTIONS, n_features)``.

        Row d gives, for each feature, the feature whose value it takes in
        direction d.
        """
        coordinates = plane_coordinates(self.corr, self.neighbours, self.live)
        return direction_moves(self.neighbours, coordinates, self.live)

    def raster(self) -> tuple[int, int, int] | None:
        """``(channels, height, width)`` if the features are pixels in C order."""
        return raster_shape(self.corr, self.live)


def find_layout(
    X: np.ndarray | sp.csr_matrix, rng: np.random.Generator
) -> Layout | None:
    """X's features' layout, or None if they have none or X is not searched.

    Reads up to ``_N_ROWS`` rows of X drawn with ``rng``.
    """
    n_rows, n_features = X.shape
    if n_features > _MAX_FEATURES or n_rows < _MIN_ROWS:
        return None
    rows = np.sort(rng.choice(n_rows, size=min(n_rows, _N_ROWS), replace=False))
    corr, live = feature_correlations(X[rows])
    neighbours = neighbour_graph(corr, live)
    if not is_local(neighbours, live):
        return None
    return Layout(corr, live, neighbours)


def lag_correlation(corr: np.ndarray, live: np.ndarray, lag: int) -> float:
    """Mean correlation of the varying features ``lag`` apart in X's order.

    -inf when no two varying features are that far apart.
    """
    first = np.flatnonzero(live[: len(live) - lag] & live[lag:])
    return float(corr[first, first + lag].mean()) if len(first) else -np.inf


def raster_shape(corr: np.ndarray, live: np.ndarray) -> tuple[int, int, int] | None:
    """The image shape that the features' order reveals, or None.

    The width is the divisor of the number of features, at least
    ``_MIN_SIDE`` either way, at which the features correlate most; it
    counts if they correlate more there than at every lag from 2 to
    width - 2, by ``_RASTER_MARGIN``. Channels first stack their images
    into one tall image, each pixel above the same pixel of the next
    channel: the channels are the split of that image into equal parts,
    each at least ``_MIN_SIDE`` high, whose pixels correlate most with
    their counterparts, if more than with the pixels a row below.
    """
    n_features = len(live)
    widths = [
        w for w in range(_MIN_SIDE, n_features // _MIN_SIDE + 1) if n_features % w == 0
    ]
    if not widths:
        return None
    # Along a row of pixels the correlation falls with the distance. A rise
    # over the first lags means that each pixel's values sit side by side
    # (channels last), an order that a shift of whole features cannot read.
    first = [lag_correlation(corr, live, lag) for lag in range(1, _MIN_SIDE // 2 + 1)]
    if not np.isfinite(first).all() or np.any(np.diff(first) > 0):
        return None
    by_width = {w: lag_correlation(corr, live, w) for w in widths}
    width = max(by_width, key=by_width.get)
    below = by_width[width]
    along = max(lag_correlation(corr, live, lag) for lag in range(2, width - 1))
    # Lags without a pair of varying features (-inf) prove nothing.
    if not np.isfinite([below, along]).all() or below < along + _RASTER_MARGIN:
        return None
    height = n_features // width
    splits = [c for c in range(2, height // _MIN_SIDE + 1) if height % c == 0]
    by_channel = {c: lag_correlation(corr, live, n_features // c) for c in splits}
    channels = max(by_channel, key=by_channel.get, default=1)
    if channels == 1 or by_channel[channels] <= below:
        return 1, height, width
    return channels, height // channels, width


# eq=False: the fields are tensors, whose == is elementwise.
@dataclass(frozen=True, eq=False)
class NeighbourMoves:
    """Rows moved one step along their features' layout, in a random direction.

    Parameters
    ----------
    moves : tensor of shape (n_directions, n_features)
        From :meth:`Layout.moves`.
    offset : tensor of shape (n_features,)
        X's per-feature mean divided by its scale, so that the moved values
        are X's own values, standardised as the feature they land on.
    """

    moves: torch.Tensor
    offset: torch.Tensor

    @classmethod
    def for_rows(
        cls, moves: np.ndarray, mean: np.ndarray, scale: float, device: torch.device
    ) -> "NeighbourMoves":
        """The moves of rows that were standardised with ``mean`` and ``scale``."""
        return cls(
            torch.as_tensor(moves, dtype=torch.int64, device=device),
            feature_offset(mean, scale, device),
        )

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Each row of x moved in its own random direction."""
        direction = torch.randint(
            len(self.moves), (len(x),), generator=generator, device=x.device
        )
        moved = torch.gather(x + self.offset, 1, self.moves[direction])
        return moved - self.offset
