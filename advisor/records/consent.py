"""The consent a client gives before their answers are kept, in the words they are shown.

The version is stored with each client's consent, so a change of wording can be told from
the agreement a client gave to the earlier one. Change the text, change the version.
"""

CONSENT_VERSION = "2026-12"

CONSENT_TEXT = (
    "Your answers (symptoms, warning signs, measurements and the bike's settings) and this "
    "visit's advice will be kept in this studio's records, so your fitter can compare visits "
    "and print your report. Only the studio's fitters can read them. You can ask for your "
    "records to be erased at any time."
)

CONSENT_QUESTION = "Do you agree to your answers being kept?"
