"""The engines that run the rules: experta (with the matcher of rete.py) and the rules
compiled to Python, both reporting Firings; and the referral tier the answers settle."""
