"""Ctrl-C during fit: finish the current mini-batch, then stop cleanly."""

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def deferred_interrupt() -> Iterator[Callable[[], bool]]:
    """Turn the first SIGINT into a request that training polls between batches.

    Yields a function that tells whether Ctrl-C was pressed. A second Ctrl-C
    raises ``KeyboardInterrupt`` at once. Signal handlers can only be set
    from the main thread, and a handler the user installed is theirs to
    keep: in both cases nothing changes and the function always answers
    False.
    """
    requested = False

    def handler(signum, frame) -> None:
        nonlocal requested
        if requested:
            raise KeyboardInterrupt
        requested = True

    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield lambda: False
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: requested
    finally:
        signal.signal(signal.SIGINT, previous)
