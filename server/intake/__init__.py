"""Intake of visit needs from the policy system and from files (R1, R4, R5, R12–R15)."""
