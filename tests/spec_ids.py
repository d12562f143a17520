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

SAFETY = (
    "rf_saddle_numbness_off_bike",
    "rf_bladder_bowel_change",
    "rf_sexual_dysfunction_new",
    "rf_leg_weakness_or_both_legs",
    "rf_chest_pain",
    "rf_crash_or_fall",
    "rf_fever_or_unwell",
    "rf_weight_loss",
    "rf_cancer_history",
    "rf_night_pain",
    "rf_steroids_or_osteoporosis",
)
