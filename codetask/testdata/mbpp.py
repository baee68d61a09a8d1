import math
def max_of(a, b):
    return max(a, b)


__quanteval_tests = [
    "assert max_of(1, 2) == 2",
    "assert max_of(5, 3) == 5",
    "assert math.isclose(max_of(1.5, 1.25), 1.5)",
]
for __quanteval_i, __quanteval_t in enumerate(__quanteval_tests):
    try:
        exec(compile(__quanteval_t, "<test %d>" % __quanteval_i, "exec"), globals())
    except BaseException:
        __import__("os").write(2, __import__("traceback").format_exc().encode("utf-8", "replace"))
        __import__("os").write(2, ("\nNONCE FAIL %d\n" % __quanteval_i).encode())
        __import__("os")._exit(1)
__import__("os").write(2, b"\nNONCE PASS\n")
