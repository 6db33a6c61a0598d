"""The clinic web application: patients, examination, assessment, plans, visits, outcomes and
the patient portal, on top of the Django-free reasoning core and planner.

One Django app (label ``clinic``) in parts, each importing only the parts below it (the
contracts in ``pyproject.toml``, checked by ``lint-imports``)::

    web/ api/ portal/ interop/ ops/   pages, JSON API, patient portal, CDS Hooks and FHIR, backups
    accounts/                         access rules, sessions, second factor, portal links
    actions/                          every write: one do_* function each
    records/ audit/                   reads and rules of the record; the audit trail
    history/                          every version of every record
    models/                           the tables, re-exported from models/__init__.py
"""
