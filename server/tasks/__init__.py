"""Visit tasks: what must be visited, by whom, by when (R1, R8, R12–R15)."""
