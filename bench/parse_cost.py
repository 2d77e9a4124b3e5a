"""Why detection runs on `ast`: parse time of the stdlib `ast` and of libcst over one corpus, every file and only the
files holding a trigger word. Usage: python bench/parse_cost.py .bench/corpus/tf_keras"""

import ast
import sys
import time
from pathlib import Path

import libcst

from tflint_vars.engine import TRIGGER_WORDS

sources = [p.read_bytes() for p in sorted(Path(sys.argv[1]).rglob("*.py"))]
triggered = [s for s in sources if any(word.encode() in s for word in TRIGGER_WORDS)]
for label, batch in (("all files", sources), ("files with a trigger word", triggered)):
    for parser, parse in (("ast", ast.parse), ("libcst", libcst.parse_module)):
        start = time.perf_counter()
        for source in batch:
            parse(source)
        print(f"{label:26} {len(batch):4} files  {parser:7} {time.perf_counter() - start:6.2f} s")
