"""The clinic and other systems: CDS Hooks (``cds``), FHIR export and import, the research
export (``research``)."""
