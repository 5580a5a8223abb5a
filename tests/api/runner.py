"""Runs the identity API tests (tests/api/test_*.py) against a daemon that
run.sh started; prints one line per test, the failures in full, and as its
last line "N passed, M failed".

usage: runner.py [-k SUBSTRING]...   (only tests whose id contains one)
The whole-run checks (route coverage, request ids) run only without -k.
"""
import argparse
import os
import sys
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

FINAL = "test_zz_final"     # whole-run checks, always last


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


class Result(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.passed = 0
        self.failed = []            # (test id, text)
        self.t0 = 0.0

    def startTest(self, test):
        super().startTest(test)
        self.t0 = time.monotonic()

    def _line(self, word, test):
        print("%-4s %s (%.2fs)" % (word, test.id(), time.monotonic() - self.t0),
              flush=True)

    def addSuccess(self, test):
        self.passed += 1
        self._line("ok", test)

    def addFailure(self, test, err):
        self.failed.append((test.id(), self._exc_info_to_string(err, test)))
        self._line("FAIL", test)

    def addError(self, test, err):
        self.failed.append((test.id(), self._exc_info_to_string(err, test)))
        self._line("ERR", test)

    def addSkip(self, test, reason):
        # the suite has no skips: a skip is reported as a failure
        self.failed.append((test.id(), "skipped: %s" % reason))
        self._line("FAIL", test)

    def addExpectedFailure(self, test, err):
        self.failed.append((test.id(), "expectedFailure is not allowed"))
        self._line("FAIL", test)

    def addUnexpectedSuccess(self, test):
        self.addExpectedFailure(test, None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", action="append", default=[])
    args = ap.parse_args()

    loader = unittest.TestLoader()
    names = sorted(f[:-3] for f in os.listdir(HERE)
                   if f.startswith("test_") and f.endswith(".py"))
    tests, final = [], []
    for name in names:
        try:
            mod = __import__(name)
        except Exception:
            print("ERR  cannot import %s:\n%s" % (name, traceback.format_exc()))
            print("0 passed, 1 failed")
            return 1
        for t in iter_tests(loader.loadTestsFromModule(mod)):
            (final if name == FINAL else tests).append(t)
    if args.k:
        tests = [t for t in tests if any(k in t.id() for k in args.k)]
        final = []
    result = Result()
    t0 = time.monotonic()
    for t in tests + final:
        t.run(result)
    for tid, text in result.failed:
        print("\n" + "=" * 70 + "\nFAIL: %s\n" % tid + "-" * 70 + "\n" + text)
    print("\n%d tests in %.1fs" % (result.passed + len(result.failed),
                                   time.monotonic() - t0))
    print("%d passed, %d failed" % (result.passed, len(result.failed)))
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
