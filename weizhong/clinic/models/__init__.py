"""The clinic's records, one Django app (label ``clinic``): every model is defined in this
package, by area, and re-exported here (Zulip's ``zerver/models/__init__.py``). Models import
nothing of the app's other parts.

Clinical content is stored in the public formats of the core (a case is a ``weizhong.case/1``
object, a plan a ``weizhong.plan/1`` object) so that what the clinic saved can be re-read by the
command line, exported and re-assessed with newer knowledge. Every query for patient data goes
through a clinic: ``Patient.objects.filter(clinic=...)``; records of other clinics are never
reachable by id alone (see ``accounts/access.py``).
"""

from weizhong.clinic.models.accounts import (
    ApiToken,
    Authenticator,
    Clinic,
    Fee,
    RecoveryCode,
    Staff,
    UserSession,
)
from weizhong.clinic.models.appendonly import AppendOnly, AppendOnlyModel
from weizhong.clinic.models.audit import GENESIS, AuditEvent, AuditHead
from weizhong.clinic.models.history import RecordVersion
from weizhong.clinic.models.records import (
    PAYERS,
    RESPONSES,
    SEXES,
    SPINAL_REGIONS,
    Amendment,
    Exam,
    HomeLog,
    LiveManager,
    Note,
    Outcome,
    PainLog,
    Patient,
    Plan,
    QuestionnaireRequest,
    Visit,
    Voidable,
)
from weizhong.clinic.models.scheduling import (
    APPOINTMENT_KINDS,
    APPOINTMENT_STATUSES,
    HOLDING,
    Appointment,
    ClinicianCalendar,
    ClinicSchedule,
    Intake,
    Room,
    WorkingHours,
)

__all__ = [
    "APPOINTMENT_KINDS",
    "APPOINTMENT_STATUSES",
    "GENESIS",
    "HOLDING",
    "PAYERS",
    "RESPONSES",
    "SEXES",
    "SPINAL_REGIONS",
    "Amendment",
    "ApiToken",
    "AppendOnly",
    "AppendOnlyModel",
    "Appointment",
    "AuditEvent",
    "AuditHead",
    "Authenticator",
    "Clinic",
    "ClinicSchedule",
    "ClinicianCalendar",
    "Exam",
    "Fee",
    "HomeLog",
    "Intake",
    "LiveManager",
    "Note",
    "Outcome",
    "PainLog",
    "Patient",
    "Plan",
    "QuestionnaireRequest",
    "RecordVersion",
    "RecoveryCode",
    "Room",
    "Staff",
    "UserSession",
    "Visit",
    "Voidable",
    "WorkingHours",
]
