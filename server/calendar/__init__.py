"""The mainland China working-day calendar: holidays and make-up working weekends (R8 due dates)."""
