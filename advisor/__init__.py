"""bikefit-advisor: a rule-based bike-fit and exercise advisor for cyclists with back pain."""

__version__ = "0.1.0"
