"""How the clinic reasons: red flags, the differential, next best tests, triage and instruments."""
