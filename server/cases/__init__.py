"""Problem, compliance and re-sign cases (R4, R15, R16): someone owns each until it is resolved."""
