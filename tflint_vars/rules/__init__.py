"""The rules, one module each (`tfvNNN_name.py`), on the contract in `base`; `registry` lists them. This package
imports nothing, so importing one rule does not import them all."""
