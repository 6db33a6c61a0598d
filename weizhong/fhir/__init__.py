"""FHIR R4: export a patient's record as a Bundle, import a Bundle back into plain dicts.

This package sits at the edge of the core: it imports no web framework, reads and returns plain
dicts, and uses ``fhir.resources.R4B`` only to build and check resources (every exported resource
and every imported one is validated with its R4B model).

Export — ``export_bundle(record, *, base_url=..., timestamp=None)`` returns a Bundle of type
``collection``. Each entry's fullUrl is ``{base_url}/{type}/{id}`` and references are relative
(``Patient/12``), so they resolve inside the bundle. It holds:

* Organization (the clinic) and Patient (name, birthDate, gender = sex, telecom, an identifier in
  ``{base_url}/sid/patient``);
* the patient's safety history: MedicationStatement per medication (the class weizhong reads in
  a note), Device per implanted device, Condition (category problem-list-item) per standing
  condition, and an Observation LOINC 82810-3 pregnancy status (SNOMED 77386006 / 60001007);
* per exam: an Encounter (class AMB); one Observation per examined finding; a Condition for the
  top condition of the assessment and any other above 30 %, coded with ICD-10-CM (by side) and
  SNOMED CT where checked (``knowledge/data/fhir_codes.toml``: codes and their sources), the side
  also in bodySite; one Flag (category clinical, status active) per red flag. Flags of every exam
  are exported active: a receiving clinician should see them and decide;
* per saved plan: a CarePlan, ``active`` for the newest version and ``revoked`` (replaced) for
  older ones, with the home exercises (timing from dose and schedule), the visit frequency, the
  re-evaluation and the acupuncture points as activities;
* per visit: an Encounter, a Procedure for acupuncture (SNOMED 44868003; points as bodySite,
  electrostimulation in a note), one for spinal manipulation (SNOMED 46947000) when regions were
  adjusted, one for other office care;
* per outcome: a QuestionnaireResponse (one item per answer, a skipped item has no answer;
  ``source`` = the patient when taken in the portal) and an Observation of the score (LOINC
  72514-3 for NPRS; no LOINC code is claimed for the other instruments) derived from it.

How a finding is written: bool → valueBoolean; a measured number (``_deg``, ``_cm``,
``_hours_per_day``, ``_days``) → valueQuantity with its UCUM unit; another int → valueInteger;
an outcome score → valueQuantity in UCUM ``{score}`` (``%`` for a percentage);
enum → valueCodeableConcept in the finding-value system; regions / levels / muscles → one
component per item (valueBoolean true), and an empty list (examined, none found) → no component
and valueBoolean false; startback_answers → components ``item-1``… with valueInteger.

Code systems (canonical URLs; codes are weizhong's own ids):

=================================================  ==========================================
``https://weizhong.dev/fhir/CodeSystem/finding``    finding ids of the case format (display =
                                                    the finding's label)
``…/CodeSystem/finding-value``                      enum values (``posterior_thigh_stretch``)
``…/CodeSystem/finding-item``                       ``item-N`` of an answer list
``…/CodeSystem/region``, ``/level``, ``/muscle``    body-chart regions, ``L5_left``,
                                                    ``hamstrings_left``
``…/CodeSystem/instrument``                         odi, rmdq, startback, nprs, psfs, lefs, fabq
``https://weizhong.dev/fhir/Questionnaire/<id>``    the questionnaire of each instrument
``…/CodeSystem/condition``, ``/red-flag``           ids the assessment ranks and raises
``…/CodeSystem/acupoint``, ``/spinal-region``,      WHO point codes, adjusted regions,
``/exercise``                                       home-programme exercise ids
``…/CodeSystem/patient-condition``, ``/device``     the case format's patient vocabularies
=================================================  ==========================================

Import — ``import_bundle(bundle)`` accepts a Bundle of type collection, transaction, batch,
searchset or document with exactly one Patient. It returns an ``ImportResult``: the patient dict,
the findings of the latest exam (the Observations with the latest effectiveDateTime; earlier ones
are listed in ``ignored``), checked with ``weizhong.case.validate_case``, and the outcomes. An
outcome comes from a weizhong QuestionnaireResponse (re-scored) or, without one, from the score
Observation: LOINC 72514-3 or the instrument code. An NPRS score alone gives answers ``[score]``;
another instrument's score alone is kept with answers None (range-checked). Pregnancy status,
current MedicationStatements, weizhong-coded Devices and problem-list Conditions fill the patient.
Everything else (Encounters, diagnoses, CarePlans, Procedures, Flags, Observations with codes
weizhong does not read) is listed in ``ignored`` with the reason: weizhong assesses and plans
from the findings itself. Any problem (not a Bundle, no or two Patients, a resource R4B rejects,
an unknown finding code, a value of the wrong type or out of range) raises ``FhirImportError``
whose ``outcome`` is an OperationOutcome with one issue per problem, each naming the entry and
field (``Bundle.entry[3].resource.valueQuantity.value``); nothing is returned half-imported.
"""

# First, before any R4B model class is built: the models' null check made once per class.
from weizhong.fhir import r4b_speed  # noqa: F401  # isort: skip

from weizhong.fhir.export import export_bundle
from weizhong.fhir.importer import FhirImportError, ImportResult, import_bundle

__all__ = ["FhirImportError", "ImportResult", "export_bundle", "import_bundle"]
