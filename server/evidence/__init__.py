"""Sealed evidence of every received visit (issue 8): manifest, Ed25519 seal, an append-only log.

The rules and the cryptography are in the framework-free ``signatures`` package; this domain
keeps the server's signing key, stores manifests, seals and tree heads, and answers verification.
"""
