"""The runtime verifier: `command` (the `tflint-vars verify` face), `runner` (fixtures in subprocesses), `worker`
(the code that runs under TensorFlow), `judge` (evidence against claims), `declaration` (the `[verify]` tables),
`report`, and the proving ground (`prove`, `prove_worker`). It EXECUTES the code it is given. This package imports
nothing itself."""
