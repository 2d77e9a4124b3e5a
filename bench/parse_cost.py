"""What parsing costs over one corpus, in CPU seconds: why detection runs on `ast` (ast against libcst, every file and
only the files holding a trigger word), and what the TFV000 syntax check costs on the files without a trigger word,
by each way Python offers to check syntax (the `ast.parse` TFV000 uses, `compile` to an AST only, `compile` to
bytecode). Usage: python bench/parse_cost.py .bench/corpus/tf-keras"""

import ast
import sys
import time
from pathlib import Path

import libcst

from tflint_vars.engine import TRIGGER_WORDS
from tflint_vars.sources import decode_source


def cpu_seconds(parse, batch: list[tuple[str, str]]) -> float:
    """The best of three runs: CPU time moves less than wall time when other work shares the machine."""
    runs = []
    for _ in range(3):
        start = time.process_time()
        for path, text in batch:
            parse(text, path)
        runs.append(time.process_time() - start)
    return min(runs)


sources = [(str(p), p.read_bytes()) for p in sorted(Path(sys.argv[1]).rglob("*.py"))]
texts = {path: decode_source(data) for path, data in sources}
triggered = [(p, text) for p, text in texts.items() if any(word in text for word in TRIGGER_WORDS)]
untriggered = [(p, text) for p, text in texts.items() if not any(word in text for word in TRIGGER_WORDS)]
every = list(texts.items())
PARSERS = {
    "ast": lambda text, path: ast.parse(text, filename=path),
    "libcst": lambda text, path: libcst.parse_module(text),
    "compile (AST only)": lambda text, path: compile(text, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True),
    "compile (bytecode)": lambda text, path: compile(text, path, "exec", dont_inherit=True),
}
for label, batch, parsers in (("all files", every, ("ast", "libcst")),
                              ("files with a trigger word", triggered, ("ast", "libcst")),
                              ("files without one", untriggered, ("ast", "compile (AST only)", "compile (bytecode)"))):
    size = sum(len(text.encode("utf-8", "surrogatepass")) for _, text in batch) / 1e6
    for parser in parsers:
        print(f"{label:26} {len(batch):4} files {size:5.1f} MB  {parser:19} {cpu_seconds(PARSERS[parser], batch):6.3f}"
              " s CPU")
