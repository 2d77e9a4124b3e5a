"""The result cache and the run modes, through the real CLI on real files: cold, warm, serial and parallel runs
report the same; the cache follows content, configuration and tool changes; `--no-cache` leaves no trace; two
concurrent runs neither corrupt the index nor each other's output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from conftest import FIXTURES, ROOT, read_index

from tflint_vars.cache import FORMAT

CORPUS = ROOT.parent / "corpus"
# Corpus files with findings other than TFV008 (measured with `tflint-vars check` on the unpacked wheels).
CORPUS_FILES_WITH_FINDINGS = (
    "tf_keras/tf_keras/src/engine/base_preprocessing_layer.py",
    "tf_keras/tf_keras/src/engine/training.py",
    "tf_keras/tf_keras/src/layers/experimental/dynamic_lookup.py",
    "tf_keras/tf_keras/src/layers/preprocessing/index_lookup.py",
    "tensor2tensor/tensor2tensor/models/research/residual_shuffle_exchange.py",
)


def copy_sample(destination: Path) -> Path:
    """fixtures/ twice (so a run has enough files to use the process pool) and, when /work/corpus is there, the
    corpus files with findings plus every 25th file of each corpus."""
    for copy in ("a", "b"):
        shutil.copytree(FIXTURES, destination / "fixtures" / copy, ignore=shutil.ignore_patterns("*.toml"))
    if CORPUS.is_dir():
        chosen = {CORPUS / name for name in CORPUS_FILES_WITH_FINDINGS}
        for corpus in ("tf_keras", "tensor2tensor"):
            chosen.update(sorted((CORPUS / corpus).rglob("*.py"))[::25])
        for source in sorted(chosen):
            if source.is_file():
                target = destination / "corpus" / source.relative_to(CORPUS)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
    return destination


def check(*args: str, cache_dir: Path | None = None, cwd: Path | None = None,
          env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env_extra or {})}
    env.pop("TFLINT_VARS_CACHE_DIR", None)
    if cache_dir is not None:
        env["TFLINT_VARS_CACHE_DIR"] = str(cache_dir)
    result = subprocess.run([sys.executable, "-m", "tflint_vars", "check", *args], cwd=cwd or ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    return result


def index_files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("index-*.json"))



def write_index(index: Path, data: dict, secret: bytes | None = None) -> None:
    """Write an index signed with `secret` (default: this user's, as the CLI would)."""
    from tflint_vars.cache import sign, user_secret

    payload = json.dumps(data).encode()
    index.write_bytes(sign(secret or user_secret(), payload) + b"\n" + payload)


def test_cold_warm_serial_and_parallel_runs_report_the_same(tmp_path):
    sample = copy_sample(tmp_path / "sample")
    cache = tmp_path / "cache"
    reference = check("--no-cache", "-j", "1", "--output-format", "json", str(sample)).stdout
    codes = {d["code"] for d in json.loads(reference)}
    assert len(codes) >= 8, codes  # the sample exercises (nearly) every rule, or the comparison proves little
    runs = {
        "cold parallel": check("--no-cache", "-j", "2", "--output-format", "json", str(sample)).stdout,
        "first cached run": check("-j", "2", "--output-format", "json", str(sample), cache_dir=cache).stdout,
        "warm parallel": check("-j", "2", "--output-format", "json", str(sample), cache_dir=cache).stdout,
        "warm serial": check("-j", "1", "--output-format", "json", str(sample), cache_dir=cache).stdout,
    }
    for name, output in runs.items():
        assert output == reference, name
    assert len(index_files(cache)) == 1


def _tamper(cache: Path, marker: str) -> None:
    """Rewrite every remembered message, so a run that prints `marker` was answered from the cache."""
    (index,) = index_files(cache)
    data = read_index(index)
    for entry in data["files"].values():
        for row in entry[2]:
            row[3] = marker
    write_index(index, data)


def test_unchanged_files_come_from_the_cache_and_changed_ones_are_checked_again(tmp_path, monkeypatch):
    """In-process, with the racy-timestamp window closed, so the stat fast path is what answers."""
    from tflint_vars import cache as cache_module
    from tflint_vars.diagnostics import CodeSelection

    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    layer = FIXTURES / "seed1_variable_in_init.py"
    target = tmp_path / "layer.py"
    shutil.copyfile(layer, target)
    cache = tmp_path / "cache"

    def run() -> list:
        return sorted(cache_module.check_files_cached([str(target)], CodeSelection(), 1, str(cache)))

    real = run()
    assert real and all(d.path == str(target) for d in real)
    (index,) = index_files(cache)
    assert read_index(index)["files"][str(target)][0] is not None  # a stat fingerprint was kept
    _tamper(cache, "FROM-THE-CACHE")
    assert {d.message for d in run()} == {"FROM-THE-CACHE"}

    # Same size, same mtime, other content: the inode change time still moves, so the file is hashed again.
    time.sleep(0.05)  # past the kernel's timestamp granularity
    stat = target.stat()
    text = target.read_text()
    target.write_text(text.replace("tf.Variable(", "tf.Variable (", 1)[:len(text)])
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert target.stat().st_size == stat.st_size and target.stat().st_mtime_ns == stat.st_mtime_ns
    assert "FROM-THE-CACHE" not in {d.message for d in run()}

    # Back to the first content: checked again, and the same diagnostics as the first time.
    shutil.copyfile(layer, target)
    assert run() == real


def test_recent_files_are_hashed_not_trusted_by_their_timestamps(tmp_path):
    target = tmp_path / "layer.py"
    shutil.copyfile(FIXTURES / "seed1_variable_in_init.py", target)
    # Written "just now" for as long as the check takes to start: on a loaded machine that can exceed the 2 s racy
    # window, so the timestamp is put a minute ahead (what a clock step or a copy from a faster clock gives).
    ahead = time.time_ns() + 60 * 10**9
    os.utime(target, ns=(ahead, ahead))
    cache = tmp_path / "cache"
    check(str(target), cache_dir=cache)
    (index,) = index_files(cache)
    assert read_index(index)["files"][str(target)][0] is None  # not yet older than the racy window: not trusted


def test_touching_a_file_keeps_its_results_without_rechecking(tmp_path):
    target = tmp_path / "layer.py"
    shutil.copyfile(FIXTURES / "seed1_variable_in_init.py", target)
    cache = tmp_path / "cache"
    check(str(target), cache_dir=cache)
    _tamper(cache, "FROM-THE-CACHE")
    target.touch()  # same content, new mtime: hashed, equal, still a hit
    assert "FROM-THE-CACHE" in check(str(target), cache_dir=cache).stdout


def test_configuration_changes_do_not_reuse_results(tmp_path):
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    for name in ("seed1_variable_in_init.py", "seed4_tf_layers_dense.py", "tfv007_positional_name.py"):
        shutil.copyfile(FIXTURES / name, project / "src" / name)
    cache = tmp_path / "cache"

    def codes(*args: str) -> set[str]:
        out = check("--output-format", "json", *args, "src", cache_dir=cache, cwd=project).stdout
        return {d["code"] for d in json.loads(out)}

    everything = codes()
    assert {"TFV001", "TFV008", "TFV007"} <= everything
    assert codes("--select", "TFV008") == {"TFV008"}
    assert codes("--ignore", "TFV008") == everything - {"TFV008"}
    (project / "pyproject.toml").write_text('[tool.tflint-vars]\nignore = ["TFV001"]\n')
    assert codes() == everything - {"TFV001"}
    (project / "pyproject.toml").write_text('[tool.tflint-vars]\nper-file-ignores = { "seed4*" = ["TFV008"] }\n')
    assert codes() == everything - {"TFV008"}
    assert codes() == everything - {"TFV008"}  # warm, same answer
    assert len(index_files(cache)) == 4  # one index per selection: all, TFV008 only, without TFV008, without TFV001


def test_the_key_covers_tool_version_selection_and_python(monkeypatch):
    from tflint_vars import cache
    from tflint_vars.diagnostics import CodeSelection

    base = cache.configuration_key(CodeSelection(["TFV001", "TFV002"], ["TFV0"]))
    assert cache.configuration_key(CodeSelection(["TFV002", "TFV001"], ["TFV0"])) == base
    assert cache.configuration_key(CodeSelection(["TFV001"], ["TFV0"])) != base
    assert cache.configuration_key(CodeSelection(["TFV001", "TFV002"], [])) != base
    monkeypatch.setattr(cache, "__version__", "99.0")
    assert cache.configuration_key(CodeSelection(["TFV001", "TFV002"], ["TFV0"])) != base
    monkeypatch.undo()
    monkeypatch.setattr(cache.sys, "version", "3.99.0")
    assert cache.configuration_key(CodeSelection(["TFV001", "TFV002"], ["TFV0"])) != base


def test_entries_of_files_unseen_for_a_month_are_dropped(tmp_path):
    from tflint_vars.cache import PRUNE_AFTER_DAYS, FileResult, ResultCache
    from tflint_vars.diagnostics import CodeSelection

    cache = ResultCache(str(tmp_path), CodeSelection())
    for name in ("kept", "stale"):
        cache.remember(FileResult(f"/nowhere/{name}.py", [], None, "0" * 32), f"/nowhere/{name}.py")
    cache.entries["/nowhere/stale.py"][3] = cache.today - PRUNE_AFTER_DAYS - 1
    cache.save()
    assert set(ResultCache(str(tmp_path), CodeSelection()).entries) == {"/nowhere/kept.py"}


def test_no_cache_neither_writes_nor_reads(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    shutil.copyfile(FIXTURES / "seed1_variable_in_init.py", project / "layer.py")
    user_cache = tmp_path / "xdg-cache"
    check("--no-cache", "layer.py", cwd=project, env_extra={"XDG_CACHE_HOME": str(user_cache)})
    assert not user_cache.exists()

    # The default place: the user cache directory, one subdirectory per project; nothing in the project.
    check("layer.py", cwd=project, env_extra={"XDG_CACHE_HOME": str(user_cache)})
    assert sorted(p.name for p in project.iterdir()) == ["layer.py", "pyproject.toml"]
    (cache,) = (user_cache / "tflint-vars").iterdir()
    assert cache.name.startswith("project-")
    assert len(index_files(cache)) == 1 and (cache / "CACHEDIR.TAG").is_file()
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    _tamper(cache, "FROM-THE-CACHE")
    before = {p: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert "FROM-THE-CACHE" not in check("--no-cache", "layer.py", cwd=project,
                                         env_extra={"XDG_CACHE_HOME": str(user_cache)}).stdout
    assert {p: p.stat().st_mtime_ns for p in cache.iterdir()} == before


def test_a_broken_or_unwritable_cache_never_changes_the_results(tmp_path):
    target = tmp_path / "layer.py"
    shutil.copyfile(FIXTURES / "seed1_variable_in_init.py", target)
    expected = check("--no-cache", str(target)).stdout
    cache = tmp_path / "cache"
    check(str(target), cache_dir=cache)
    (index,) = index_files(cache)
    malformed_row = read_index(index)
    malformed_row["files"][str(target)][2][0][0] = "1"  # a line number that is not a number
    for garbage in ({"format": 2, "files": {str(target): [1, 2]}}, "{trunc", [], "", malformed_row):
        if isinstance(garbage, str):
            index.write_text(garbage)
        else:
            write_index(index, garbage)  # signed, so it is the content that is wrong
        assert check(str(target), cache_dir=cache).stdout == expected
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    result = check(str(target), cache_dir=blocked / "cache")  # its parent is a file: cannot be created
    assert result.stdout == expected
    assert "warning: cannot write the cache" in result.stderr


def test_concurrent_runs_do_not_corrupt_the_cache(tmp_path):
    """Two real processes check and write the same cache at once, over rounds that change files in between; each
    prints what a cache-less run prints, and the index stays valid JSON."""
    sample = copy_sample(tmp_path / "sample")
    files = sorted(sample.rglob("*.py"))
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TFLINT_VARS_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "tflint_vars", "check", "-j", "1", "--output-format", "json", str(sample)]
    for round_number in range(3):
        for path in files[round_number::7]:  # a different seventh of the files changes each round
            with open(path, "a") as handle:
                handle.write(f"\nROUND_{round_number} = 1\n")
        expected = check("--no-cache", "--output-format", "json", str(sample)).stdout
        runs = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for _ in range(2)]
        for run in runs:
            out, err = run.communicate(timeout=300)
            assert run.returncode in (0, 1), err
            assert err == ""
            assert out == expected
        for index in index_files(cache):
            assert read_index(index)["format"] == FORMAT
        assert not list(cache.glob(".index-*.tmp"))  # no temporary file left behind
    assert check("--output-format", "json", str(sample), cache_dir=cache).stdout == expected


WRITER = """
import sys
from tflint_vars.cache import FileResult, ResultCache
from tflint_vars.diagnostics import Diagnostic
from tflint_vars.diagnostics import CodeSelection

directory, writer, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
for round_number in range(rounds):
    cache = ResultCache(directory, CodeSelection())
    for index in range(1000):
        path = f"/nowhere/{writer}/{index}.py"
        cache.remember(FileResult(path, [Diagnostic(path, 1, 1, "TFV001", "m" * 40)], (1, 2, 3, 4), "d" * 32), path)
    cache.save()
print("done")
"""


def test_index_writes_are_atomic_under_concurrent_writers(tmp_path):
    """Two processes rewrite a large index over and over while this one reads it: every read is a whole index."""
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(cache), name, "15"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in "ab"]
    reads = 0
    while any(w.poll() is None for w in writers):
        for index in cache.glob("index-*.json"):
            try:
                blob = index.read_bytes()
            except FileNotFoundError:
                continue
            assert json.loads(blob.partition(b"\n")[2])["format"] == FORMAT  # a torn write would fail to parse here
            reads += 1
    for writer in writers:
        out, err = writer.communicate()
        assert writer.returncode == 0 and out.strip() == "done", err
    assert reads > 10
    assert not list(cache.glob(".index-*.tmp"))


# --- a cache that came with a checkout must never hide a finding -----------------------------------------------------

def _forged_clean_index(target: Path) -> dict:
    """An index that claims `target`, as it is on disk now, has no diagnostics: its stat fingerprint and content
    hash are right, so only the signature can tell it from a real one."""
    from tflint_vars.cache import FORMAT, content_digest

    stat = target.stat()
    fingerprint = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
    entry = [fingerprint, content_digest(target.read_bytes()), [], int(time.time() // 86400), {}]
    return {"format": FORMAT, "tool": "0.1.0", "files": {str(target): entry}}


def test_a_crafted_cache_committed_to_the_repository_does_not_hide_a_finding(tmp_path, monkeypatch):
    """The attack of issue 13: a pull request commits a cache directory that says a file with a finding is clean.
    Crafted in the old in-project place (unsigned, as format 1 wrote it, and with a forged signature), in the place
    TFLINT_VARS_CACHE_DIR names, and in the user cache directory (a CI cache restored from elsewhere): the real CLI
    reports the finding every time. Signed with this user's key, the same index is believed, so the checks below
    would fail if the signature were not what decides."""
    from tflint_vars.cache import CACHE_DIR_NAME, cache_directory, configuration_key, sign
    from tflint_vars.diagnostics import CodeSelection

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pyproject.toml").write_text("[project]\nname = 'victim'\n")
    target = repo / "layer.py"
    shutil.copyfile(FIXTURES / "seed1_variable_in_init.py", target)
    os.utime(target, ns=(1_600_000_000_000_000_000,) * 2)  # old: the stat fast path would trust the fingerprint
    name = f"index-{configuration_key(CodeSelection())}.json"
    forged = _forged_clean_index(target)
    attacker_key = os.urandom(32)
    user_cache = tmp_path / "xdg-cache"
    env = {"XDG_CACHE_HOME": str(user_cache)}

    committed = repo / CACHE_DIR_NAME
    committed.mkdir()
    (committed / name).write_text(json.dumps({**forged, "format": 1}))  # what the old, unsigned cache held
    result = check("layer.py", cwd=repo, env_extra=env)
    assert result.returncode == 1 and "layer.py:8:18: TFV001" in result.stdout

    payload = json.dumps(forged).encode()
    for blob in (payload, sign(attacker_key, payload) + b"\n" + payload):  # unsigned; signed with another key
        (committed / name).write_bytes(blob)
        result = check("layer.py", cwd=repo, cache_dir=committed, env_extra=env)
        assert result.returncode == 1 and "layer.py:8:18: TFV001" in result.stdout, result.stdout

    monkeypatch.setenv("XDG_CACHE_HOME", str(user_cache))
    monkeypatch.delenv("TFLINT_VARS_CACHE_DIR")
    user_dir = Path(cache_directory(str(target), str(repo / "pyproject.toml")))
    assert user_dir.parent == user_cache / "tflint-vars"
    user_dir.mkdir(parents=True, exist_ok=True)  # the first run above made it; the forgery replaces its index
    write_index(user_dir / name, forged, secret=attacker_key)
    result = check("layer.py", cwd=repo, env_extra=env)
    assert result.returncode == 1 and "layer.py:8:18: TFV001" in result.stdout
    assert len(index_files(user_dir)) == 1 and read_index(index_files(user_dir)[0])["files"][str(target)][2]

    # The control: the same claim signed with this user's key is believed (the file is reported clean).
    write_index(committed / name, forged)
    result = check("layer.py", cwd=repo, cache_dir=committed, env_extra=env)
    assert result.returncode == 0 and "All checks passed!" in result.stdout


def test_the_cache_key_is_private_and_a_shared_one_turns_the_cache_off(tmp_path):
    config = tmp_path / "config"
    target = tmp_path / "layer.py"
    shutil.copyfile(FIXTURES / "seed1_variable_in_init.py", target)
    expected = check("--no-cache", str(target)).stdout
    result = check(str(target), cache_dir=tmp_path / "cache", env_extra={"XDG_CONFIG_HOME": str(config)})
    key = config / "tflint-vars" / "cache-key"
    assert result.stdout == expected and result.stderr == ""
    assert key.stat().st_mode & 0o777 == 0o600 and len(bytes.fromhex(key.read_text())) == 32
    assert (config / "tflint-vars").stat().st_mode & 0o777 == 0o700
    key.chmod(0o644)  # readable by others: anyone could sign an index with it
    result = check(str(target), cache_dir=tmp_path / "cache", env_extra={"XDG_CONFIG_HOME": str(config)})
    assert result.stdout == expected
    assert "warning: the result cache is off" in result.stderr and "must belong to you and be private" in result.stderr


def test_a_file_that_starts_reading_the_regularization_collection_changes_a_cached_fix(tmp_path):
    """TFV004's regularizer fix is safe only where no file of the project reads TF1's regularization-loss collection:
    the cache re-asks that question, so a reader added later turns the cached safe fix unsafe, naming it."""
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "regularizer" / "unread", project)
    env = {**os.environ, "NO_COLOR": "1", "TFLINT_VARS_CACHE_DIR": str(tmp_path / "cache")}

    def fixes() -> set[tuple[str, str | None]]:
        result = subprocess.run([sys.executable, "-m", "tflint_vars", "check", "--output-format", "json", "."],
                                cwd=project, capture_output=True, text=True, env=env, timeout=300)
        return {(d["fix"], d.get("fix_reason")) for d in json.loads(result.stdout) if d["code"] == "TFV004"}

    assert fixes() == {("safe", None)}
    assert fixes() == {("safe", None)}  # warm
    (project / "train.py").write_text("import tensorflow as tf\nLOSS = tf.compat.v1.losses.get_regularization_loss\n")
    levels = fixes()
    assert {level for level, _ in levels} == {"unsafe"}
    assert any("`train.py` may read TF1's regularization-loss collection" in (reason or "") for _, reason in levels)
