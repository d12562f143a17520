"""A rider's answers: validating an answer file, the interview that asks the questions,
and the bike-fit record beside the answers."""
