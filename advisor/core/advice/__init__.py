"""From answers to advice: run the rules, then apply the tier's policy, the safety holds and
the declared order to make an Assessment (pipeline.assess is the one entry point)."""
