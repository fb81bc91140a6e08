"""Risk alerts (R5): a salesperson may be blocking the callback by writing their own phone."""
