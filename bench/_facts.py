"""What the facts scripts (bench/keras_fix_facts.py, bench/inline_layer_facts.py) share: a fact is a function
whose result, or the exception it raises, is recorded under its name and printed as `name: result`."""

from __future__ import annotations

RESULTS: dict[str, str] = {}


def fact(name):
    def run(function):
        try:
            RESULTS[name] = repr(function())
        except Exception as error:  # the failure is the fact
            RESULTS[name] = f"{type(error).__name__}: {str(error).splitlines()[0][:110]}"
        return function
    return run


def print_results() -> None:
    for name, result in RESULTS.items():
        print(f"{name}: {result}")
