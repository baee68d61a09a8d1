from __future__ import annotations
from typing import List


def add_all(xs: List[int]) -> int:
    """Return the sum of xs.
    >>> add_all([1, 2])
    3
    """


def add_all(xs):
    return sum(xs)




METADATA = {"author": "test"}


def check(candidate):
    assert candidate([1, 2]) == 3
    assert candidate([]) == 0
    assert candidate([5, -5, 7]) == 7

try:
    check(add_all)
except BaseException:
    __import__("os").write(2, __import__("traceback").format_exc().encode("utf-8", "replace"))
    __import__("os").write(2, b"\nNONCE FAIL\n")
    __import__("os")._exit(1)
__import__("os").write(2, b"\nNONCE PASS\n")
