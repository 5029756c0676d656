"""Where and how torch runs: the device, the arithmetic and the thread count."""

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import torch


def resolve_device(device: str | torch.device) -> torch.device:
    """The torch device for ``device``; ``"auto"`` is CUDA when present.

    Raises
    ------
    ValueError
        If ``device`` names no torch device, or one that this machine and
        PyTorch build cannot hold tensors on.
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu', 'cuda' "
            "or 'cuda:N'."
        ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available in this "
            "PyTorch installation; use device='cpu' or device='auto'."
        )
    if resolved.type == "cuda" and (resolved.index or 0) >= torch.cuda.device_count():
        raise ValueError(
            f"device={device!r} was requested but this machine has "
            f"{torch.cuda.device_count()} CUDA device(s); use 'cuda:0' to "
            f"'cuda:{torch.cuda.device_count() - 1}'."
        )
    if resolved.type == "meta":
        raise ValueError(
            "device='meta' holds shapes but no values, so nothing can be trained "
            "on it; use 'cpu', 'cuda' or 'auto'."
        )
    if resolved.type != "cpu":
        _check_allocates(resolved)
    return resolved


def _check_allocates(device: torch.device) -> None:
    """Raise ValueError unless a tensor can be made on ``device``.

    A torch build without a backend refuses its devices only when they are
    used, each backend with an exception of its own (RuntimeError,
    NotImplementedError, AssertionError, ModuleNotFoundError): any of them
    here means that this build cannot train on the device.
    """
    try:
        torch.empty(1, device=device)
    except Exception as exc:
        raise ValueError(
            f"device={str(device)!r} is not usable with this PyTorch build "
            f"({type(exc).__name__}: {_first_sentence(exc)}); use "
            "'cpu', 'cuda' or 'auto'."
        ) from exc


def _first_sentence(exc: Exception) -> str:
    """The start of an exception's message; some run on for a screen."""
    return (str(exc).splitlines() or [""])[0].split(". ")[0]


def loading_device(device: str | torch.device) -> torch.device:
    """Where an unpickled model's networks go: its device, else the CPU."""
    try:
        return resolve_device(device)
    except ValueError:
        warnings.warn(
            f"This model was fitted with device={device!r}, which is not "
            "available here; its networks are loaded on the CPU. Set "
            "device='cpu' before fitting it again.",
            UserWarning,
            stacklevel=3,
        )
        return torch.device("cpu")


def native_bfloat16(device: torch.device) -> bool:
    """Whether the device multiplies bfloat16 matrices in hardware."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        # Without AVX512-BF16 or AMX, oneDNN emulates bfloat16: slower than float32.
        cpu = torch.cpu
        return any(
            getattr(cpu, name, lambda: False)()
            for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        )
    return False


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The dtype that training's forward passes autocast to; None for float32."""
    if precision == "bfloat16" or (precision == "auto" and native_bfloat16(device)):
        return torch.bfloat16
    return None


@contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Run the block with ``n_threads`` torch threads, then restore the caller's.

    None leaves torch's setting alone: torch reads ``OMP_NUM_THREADS``, which
    joblib's process workers and Dask's nanny-started workers set so that
    parallel fits do not oversubscribe the cores.
    """
    if n_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
