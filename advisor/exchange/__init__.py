"""Records leaving and entering the advisor: a client's visits exported and imported as
JSON, and the FHIR R4 mapping that clinics read (and that import reads back)."""
