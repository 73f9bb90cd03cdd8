import threading
import time

import pytest

from hupor.errors import HuporError
from hupor.prefetch import Prefetch


def _source(n, log, fail_at=None, delay=0.0):
    """Yields 0..n-1 (raising at ``fail_at``), recording the thread it runs in and its closing."""
    try:
        for i in range(n):
            log.setdefault("threads", set()).add(threading.current_thread().name)
            if i == fail_at:
                raise HuporError(f"bad item {i}")
            time.sleep(delay)
            yield i
    finally:
        log["closed_in"] = threading.current_thread().name


def _no_prefetch_threads():
    return not any(t.name == "hupor-prefetch" for t in threading.enumerate())


@pytest.mark.parametrize("depth", [0, 1, 2, 5])
def test_prefetch_keeps_order_and_items(depth):
    log = {}
    with Prefetch(_source(20, log, delay=0.001), depth=depth) as items:
        got = []
        for x in items:
            time.sleep(0.002 if x % 3 == 0 else 0.0)  # a consumer slower and faster than the reader
            got.append(x)
    assert got == list(range(20))
    reader = "MainThread" if depth == 0 else "hupor-prefetch"
    assert log["threads"] == {reader} and log["closed_in"] == reader
    assert _no_prefetch_threads()


def test_prefetch_error_raised_at_its_position():
    log, got = {}, []
    with pytest.raises(HuporError, match="bad item 3"):
        with Prefetch(_source(10, log, fail_at=3), depth=4) as items:
            for x in items:
                got.append(x)
    assert got == [0, 1, 2]
    assert _no_prefetch_threads()


@pytest.mark.parametrize("exc", [KeyboardInterrupt, RuntimeError])
def test_prefetch_consumer_error_stops_and_closes_reader(exc):
    def endless(log):  # a webcam: never ends by itself
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            log["closed_in"] = threading.current_thread().name

    log = {}
    with pytest.raises(exc):
        with Prefetch(endless(log), depth=2) as items:
            for x in items:
                if x == 5:
                    raise exc()
    assert log["closed_in"] == "hupor-prefetch"  # the generator's cleanup ran in its own thread
    assert _no_prefetch_threads()


def test_prefetch_break_and_reader_ahead():
    log = {}
    p = Prefetch(_source(100, log), depth=3)
    with p as items:
        assert next(items) == 0
        time.sleep(0.1)
        assert p.running  # blocked on the full queue, not running away
    assert not p.running and log["closed_in"] == "hupor-prefetch"
    with pytest.raises(ValueError):
        Prefetch([], depth=-1)
