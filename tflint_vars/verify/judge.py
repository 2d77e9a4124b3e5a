"""Verdicts from the worker's evidence: pass, fail (which check, with the numbers), error (could not run), skip.

Pure Python, no TensorFlow: the rules that decide a verdict are readable (and testable) in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tflint_vars.verify.declaration import Exercise


@dataclass
class Judgement:
    verdict: str = "pass"  # pass | fail | error | skip
    reasons: list[str] = field(default_factory=list)
    claim: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def fail(self, reason: str) -> None:
        self.reasons.append(reason)
        if self.verdict == "pass":
            self.verdict = "fail"

    def error(self, reason: str) -> None:
        self.reasons.append(reason)
        self.verdict = "error"


def _message(error: dict[str, Any]) -> str:
    where = f" at {error['where']}" if error.get("where") else ""
    first_line = error["message"].splitlines()[0] if error["message"] else ""
    return f"{error['type']} during {error['stage']}{where}: {first_line[:300]}"


def _untracked(evidence: dict[str, Any]) -> list[str]:
    return [v["short"] for v in evidence.get("created", []) if v.get("tracked") is False]


def _made_on_every_call(original: dict[str, Any], unmatched: list[str]) -> list[str]:
    """The unmatched variables of an original that makes new variables on every call (its second call made more of
    the same short name) and tracks none of these: they are no state of the layer (nothing keeps, trains or saves
    them; Keras 3's `Dropout(r)(x)` in `call` makes a seed variable per call), so the fix need not keep them. What
    they did to the outputs is still compared."""
    if not original.get("created_per_call"):
        return []
    again = set(original.get("made_per_call", []))  # only the kinds the second call made again
    untracked = {v["name"] for v in original.get("created", []) if v.get("tracked") is False and v["short"] in again}
    return [name for name in unmatched if name in untracked]


def claim_reproduced(ex: Exercise, original: dict[str, Any]) -> tuple[bool, str]:
    """Whether the original shows what the diagnostic claims, and the evidence in words."""
    error = original.get("error")
    if ex.claim == "raises":
        match = re.search(ex.error or "", error["message"]) if error else None
        if error and match:
            line = next((ln for ln in error["message"].splitlines() if re.search(ex.error or "", ln)),
                        error["message"].splitlines()[0])
            return True, f"raises {error['type']}: {line.strip()[:200]}"
        if not error:
            return False, f"ran without the error /{ex.error}/"
        return False, f"raised something else: {_message(error)}"
    if error:
        return False, f"could not run: {_message(error)}"
    if ex.claim == "untracked":
        created = original.get("created", [])
        untracked = _untracked(original)
        return bool(untracked), f"{len(created) - len(untracked)}/{len(created)} created variables tracked" + (
            f" (untracked: {', '.join(untracked)})" if untracked else "")
    if ex.claim == "per-call":
        per_call = original.get("created_per_call", 0)
        return per_call > 0, f"{per_call} new variable(s) created by a second call"
    return False, ""


def judge_exercise(ex: Exercise, runtime: str, evidence: dict[str, Any], same_source: bool,
                   reference_save: dict[str, Any] | None = None) -> Judgement:
    """`reference_save`: the ORIGINAL's `.keras` round trip under Keras 2 (its `save` evidence), which the fixed
    layer's round trip under every runtime is held to; None when it is not known (Keras 2 not run, or the original
    did not run there)."""
    judgement = Judgement()
    if ex.kind == "skip":
        judgement.verdict = "skip"
        judgement.reasons.append(ex.reason or "")
        return judgement
    if evidence.get("exercise_error"):
        judgement.error(f"{ex.label}: {evidence['exercise_error']}")
        return judgement
    original = evidence.get("original", {})
    fixed = original if same_source else evidence.get("fixed", {})
    label = f"{ex.label}: " if ex.class_name else ""

    claim_holds = False
    if ex.claim:
        reproduced, words = claim_reproduced(ex, original)
        expected = ex.claim_expected(runtime)
        judgement.claim = {"claim": ex.claim, "reproduced": reproduced, "expected": expected, "evidence": words}
        if reproduced != expected:
            judgement.fail(f"{label}claim {ex.claim!r} expected {'' if expected else 'not '}to hold under {runtime}, "
                           f"but it {'did' if reproduced else 'did not'}: {words}")
        claim_holds = reproduced and ex.claim == "raises"
    if original.get("error") and not claim_holds and judgement.verdict == "pass":
        # The original failed, and no declared claim (checked above) explains it: the fixture could not run.
        judgement.error(f"{label}original {_message(original['error'])}")
        return judgement
    if same_source and claim_holds:
        judgement.notes.append(f"{label}no fix changes this file: the claim stands")
        return judgement
    if fixed.get("error"):
        judgement.fail(f"{label}fixed code {_message(fixed['error'])}")
        return judgement

    allowed = set(ex.allow_untracked)
    untracked_after = [name for name in _untracked(fixed) if name not in allowed]
    if untracked_after:
        judgement.fail(f"{label}untracked after the fix: {', '.join(untracked_after)}")
    not_reset = [name for name in fixed.get("not_reset", []) if name not in allowed]
    if not_reset:
        judgement.fail(f"{label}`reset_state()` leaves {', '.join(not_reset)} unreset after the fix")
    checks = evidence.get("checks", {})
    if ex.kind == "tf1-graph":
        _judge_graph(ex, fixed, judgement, label)
        return judgement
    unused = set(ex.unused)
    unmatched_original = checks.get("unmatched_original") or []
    per_call = _made_on_every_call(original, unmatched_original)
    if per_call:
        judgement.notes.append(f"{label}not required of the fix: {len(per_call)} variable(s) the original makes on "
                               f"every call and does not track ({', '.join(per_call)})")
        unmatched_original = [name for name in unmatched_original if name not in per_call]
    if unmatched_original or checks.get("unmatched_fixed"):
        judgement.fail(f"{label}variables differ: original only {unmatched_original}, "
                       f"fixed only {checks.get('unmatched_fixed')}")
    for key in ("trainable", "dtype", "shape"):
        for change in checks.get(f"{key}_changed", []):
            judgement.fail(f"{label}{key} changed for {change['variable']}: "
                           f"{change['original']} -> {change['fixed']}")
    for init in checks.get("initial_values", []):
        if init["equal"]:
            continue
        if not init["random"]:
            judgement.fail(f"{label}initial value of {init['variable']} changed "
                           f"(max |diff| {init['max_abs_diff']})")
        elif not (init["original_random"] and init["fixed_random"]):
            judgement.fail(f"{label}initial value of {init['variable']}: random "
                           f"{'original' if init['original_random'] else 'fixed'} only")
        else:
            o, f = init["original"], init["fixed"]
            judgement.fail(f"{label}initial distribution of {init['variable']} changed: mean {o['mean']:.4f} -> "
                           f"{f['mean']:.4f} (tol {init['mean_tolerance']:.4f}), std {o['std']:.4f} -> {f['std']:.4f} "
                           f"(rel tol {init['std_relative_tolerance']:.3f}), {o['n']}/{f['n']} values")
    outputs = checks.get("outputs")
    if outputs and outputs.get("error"):
        judgement.fail(f"{label}outputs: {_message(outputs['error'])}")
    elif outputs and not outputs["equal"] and outputs.get("original_reproducible") is False:
        # The original differs from a copy of itself given its variables' values: no fix can match its outputs.
        judgement.notes.append(f"{label}outputs not compared: the original's own copy, given its variables' values, "
                               f"computes other outputs (state outside its variables, drawn per instance); the "
                               f"fixed layer's differ by {outputs['max_abs_diff']}")
    elif outputs and not outputs["equal"]:
        judgement.fail(f"{label}outputs differ after copying the original's values (max |diff| "
                       f"{outputs['max_abs_diff']})")
    saved = fixed.get("save")
    if ex.save and saved is not None:
        _judge_save(runtime, saved, reference_save, judgement, label)
    for name, verb, key in (("grads", "no gradient for", "missing"), ("fit", "fit step left unchanged", "unchanged")):
        check = checks.get(name)
        if check is None:
            continue
        if check.get("error"):
            judgement.fail(f"{label}{name}: {_message(check['error'])}")
            continue
        bad = [v for v in check[key] if v not in unused]
        if bad:
            judgement.fail(f"{label}{verb} {', '.join(bad)} ({len(check['checked']) - len(check[key])}/"
                           f"{len(check['checked'])} ok)")
    regularized, losses = fixed.get("regularized", 0), fixed.get("losses")
    if regularized and losses is not None and losses < regularized:
        judgement.fail(f"{label}{regularized} add_weight regularizer(s) but {losses} regularization loss(es)")
    return judgement


def _judge_save(runtime: str, saved: dict[str, Any], reference: dict[str, Any] | None, judgement: Judgement,
                label: str) -> None:
    """Save/load "as under Keras 2": the fixed layer must round-trip where the original did under Keras 2. An
    original that cannot round-trip under Keras 2 sets no such bar: the fixed layer is judged on that basis, and
    the note says so."""
    if reference is not None and not reference.get("ok"):
        outcome = "passes" if saved.get("ok") else f"fails too ({saved.get('error')})"
        judgement.notes.append(f"{label}save/load not required: the original's own .keras round trip fails under "
                               f"Keras 2 ({reference.get('error')}); the fixed layer's under {runtime} {outcome}")
        return
    if saved.get("ok"):
        return
    basis = ("the original's round-trips under Keras 2" if reference is not None
             else "the original's Keras 2 round trip not known")
    judgement.fail(f"{label}save/load: the fixed layer's .keras round trip: {saved.get('error')} ({basis})")


def _judge_graph(ex: Exercise, fixed: dict[str, Any], judgement: Judgement, label: str) -> None:
    for scope, expected in ex.scopes.items():
        got = fixed.get("scopes", {}).get(scope, [])
        if sorted(got) != sorted(expected):
            judgement.fail(f"{label}GLOBAL_VARIABLES under {scope}/ are {got}, "
                           f"expected the shared set {sorted(expected)}")
    grads = fixed.get("grads")
    if grads and grads["missing"]:
        judgement.fail(f"{label}no gradient for {', '.join(grads['missing'])}")


def combine(judgements: list[Judgement]) -> Judgement:
    """A fixture's verdict from its exercises': error beats fail beats pass; all skipped is skip."""
    if all(j.verdict == "skip" for j in judgements):
        return Judgement(verdict="skip", reasons=[r for j in judgements for r in j.reasons])
    combined = Judgement()
    for judgement in judgements:
        if judgement.verdict == "skip":
            continue
        combined.reasons.extend(judgement.reasons)
        combined.notes.extend(judgement.notes)
        if judgement.verdict == "error" or (judgement.verdict == "fail" and combined.verdict == "pass"):
            combined.verdict = judgement.verdict
    return combined
