"""Letter callbacks (R13): the questionnaire by post, its code, mailing, the returned scan, review."""
