"""The offline sync protocol of 回访通, framework-free.

Home of: record and change-set schemas, push/pull rules, canonical hashing, conflict rules, the
resumable media state machine, and the Python reference client (issue #7). It must never import
``server`` or Flask; tests/test_boundaries.py checks that.
"""
