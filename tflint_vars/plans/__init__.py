"""Fix plans: what an `add_weight` replacement, a hoist into `build` or a statement move looks like, as data planned
on the stdlib `ast` (`edits.Edit`). The rules plan their fixes with these modules; the fixer (`tflint_vars.fixes`)
applies them with libcst. Only `weights` renders libcst nodes, and the rules import it inside `fix_edit`, so
detection never loads libcst."""
