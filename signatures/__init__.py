"""Handwritten signatures and sealed evidence of 回访通, framework-free.

Home of: the stroke format (x, y, t, pressure), validation, Pillow rendering, the evidence manifest
(canonical JSON, SHA-256, Ed25519) and its verification (issue #8). It must never import ``server``
or Flask; tests/test_boundaries.py checks that.
"""
