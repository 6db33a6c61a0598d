"""The clinic web application: patients, examination, assessment, plans, visits, outcomes and
the patient portal, on top of the Django-free reasoning core and planner."""
