"""`make prove`: generate Keras layer modules with hypothesis and prove tflint-vars' fixes on them.

    python tests/prove.py [--modules 500] [--seed 0] [--unsafe] [--fixer MODULE:FUNCTION] [--json FILE]

Prints each class of wrong fix with its smallest module (original and fixed), then one summary line: modules generated,
changed by the fix, fixes applied, discarded, proven, wrong, time. Exit 1 when any fix is wrong. The modules come from
`prove_strategies.cases()` with a fixed seed, so a run is repeatable; the runner is `tflint_vars.verify.prove`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402
from prove_strategies import cases  # noqa: E402

from tflint_vars.fixes.fixer import fix_bytes  # noqa: E402
from tflint_vars.verify.prove import Case, prove, summary, write_text  # noqa: E402
from tflint_vars.verify.runner import DEFAULT_FIXER, load_fixer  # noqa: E402


def generate(count: int, seed: int) -> list[Case]:
    """`count` distinct modules from the strategy, repeatable for a seed (hypothesis' own generation phase)."""
    found: dict[tuple, Case] = {}
    round_seed = seed
    while len(found) < count:
        # Hypothesis starts each run with its simplest examples, which repeat across runs: ask for a margin.
        @settings(max_examples=count - len(found) + count // 4 + 10, database=None, deadline=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @hypothesis_seed(round_seed)
        @given(cases())
        def collect(case: Case) -> None:
            key = (case.source, json.dumps(case.kwargs, sort_keys=True), case.policy, tuple(case.input_shape))
            found.setdefault(key, case)

        collect()
        round_seed += 1_000_003
    return list(found.values())[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--unsafe", action="store_true", help="also apply unsafe fixes (judged by a weaker standard)")
    parser.add_argument("--fixer", default=DEFAULT_FIXER)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", metavar="FILE", help="also write every outcome as JSON")
    parser.add_argument("--show", type=int, default=0, metavar="N", help="print the first N modules generated")
    args = parser.parse_args(argv)
    fixer = load_fixer(args.fixer)
    generated = generate(args.modules, args.seed)
    for case in generated[:args.show]:
        print(f"# {case.describe()}\n{case.source}")

    def count_fixes(source: str, path: str) -> int:
        return len(fix_bytes(source.encode(), path, unsafe=args.unsafe).fixed) if args.fixer == DEFAULT_FIXER else 1

    done = [0]

    def progress(label: str) -> None:
        done[0] += 1
        if done[0] % 50 == 0 or os.environ.get("PROVE_VERBOSE"):
            print(f"prove: {done[0]} fixed runs done ({label})", file=sys.stderr, flush=True)

    outcomes, facts = prove(generated, fixer, unsafe=args.unsafe, timeout=args.timeout, progress=progress,
                            count_fixes=count_fixes)
    write_text(outcomes, facts, sys.stdout, unsafe=args.unsafe, seed=args.seed)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "summary": summary(outcomes), **facts,
            "outcomes": [{"case": o.case.name, "status": o.status, "source": o.case.source, "fixed": o.fixed_source,
                          "kwargs": o.case.kwargs, "policy": o.case.policy, "note": o.note,
                          "wrong": [vars(w) for w in o.wrong], "untracked": o.untracked} for o in outcomes]},
            indent=1, default=str))
    counts = summary(outcomes)
    return 1 if counts["wrong"] or counts["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
