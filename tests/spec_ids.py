"""Catalog ids the product contract (knowledge-spec section 4) promises."""

EXERCISES = (
    "suspension-bridge",
    "psoas-release",
    "kneeling-runners-stretch",
    "strap-stretch",
    "deadbug",
    "braced-deadbug",
    "bird-dog",
    "glute-bridge",
    "chin-tuck",
    "thoracic-extension",
)
