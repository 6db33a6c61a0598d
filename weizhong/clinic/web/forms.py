"""Forms. The exam form is built from the knowledge's findings, so the web form, the case format
and the command line can never disagree about what may be recorded."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.forms.renderers import TemplatesSetting
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weizhong.clinic.models import SPINAL_REGIONS, Amendment, Clinic, Note, Patient, Plan, Visit
from weizhong.clinic.records import services
from weizhong.clinic.records.rules import Refused, amendment_text, psfs_activities
from weizhong.clinic.records.trigger_points import NEEDLED
from weizhong.clinic.web.visit_fields import IncrementsField, TriggerPointsField
from weizhong.knowledge.records import FindingDef
from weizhong.planning.safety import load_safety_rules

if TYPE_CHECKING:  # django-stubs makes ModelForm generic in its model; Django's is not, at run time
    PatientModelForm = forms.ModelForm[Patient]
    VisitModelForm = forms.ModelForm[Visit]
    NoteModelForm = forms.ModelForm[Note]
    AmendmentModelForm = forms.ModelForm[Amendment]
    ClinicModelForm = forms.ModelForm[Clinic]
else:
    PatientModelForm = VisitModelForm = NoteModelForm = forms.ModelForm
    AmendmentModelForm = ClinicModelForm = forms.ModelForm

TEXT_LIMIT = 4000  # characters of a visit's free text (other office care, response notes)

SECTION_TITLES = {
    "history": _("History"),
    "red_flags": _("Red-flag screen"),
    "neurodynamic": _("Neurodynamic tests"),
    "muscle_length": _("Muscle length"),
    "joints": _("Hip and lumbar joints"),
    "hamstring_origin": _("Hamstring origin"),
    "deep_gluteal": _("Deep gluteal (piriformis)"),
    "sacroiliac": _("Sacroiliac joint"),
    "neurological": _("Neurological"),
    "palpation": _("Palpation"),
    "vascular": _("Circulation (calf and foot)"),
    "movement": _("Movement"),
    "questionnaires": _("Questionnaires"),
}
# The order a clinician works in: talk, screen, then the table tests.
SECTION_ORDER = list(SECTION_TITLES)
NOT_EXAMINED = ("", _("not examined"))
NONE_FOUND = "__none"
BOOL_CHOICES = [NOT_EXAMINED, ("yes", _("yes")), ("no", _("no"))]


def _choices(values: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v.replace("_", " ")) for v in values]


class ExamForm(forms.Form):
    """Every finding of the case format, each optional: empty means not examined."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        k = services.knowledge()
        self.definitions: dict[str, FindingDef] = {}
        for fid, d in k.findings.items():
            field = self._field_for(d, k)
            if field is None:
                continue
            field.label = services.side_label(d)
            field.help_text = d.howto
            self.fields[fid] = field
            self.definitions[fid] = d
            if d.type in ("levels", "muscles"):
                # An empty list means "examined, none found"; nothing ticked means not examined.
                self.fields[fid + NONE_FOUND] = forms.BooleanField(
                    required=False, label=_("Examined: none found")
                )

    @staticmethod
    def _field_for(d: FindingDef, k: Any) -> forms.Field | None:
        if d.type == "bool":
            return forms.ChoiceField(choices=BOOL_CHOICES, required=False, widget=forms.RadioSelect)
        if d.type in ("int", "number"):
            number_attrs: dict[str, Any] = {
                "inputmode": "decimal" if d.type == "number" else "numeric"
            }
            if d.minimum is not None:
                number_attrs["min"] = d.minimum
            if d.maximum is not None:
                number_attrs["max"] = d.maximum
            if d.type == "number":
                number_attrs["step"] = "any"
            widget = forms.NumberInput(attrs=number_attrs)
            if d.type == "int":
                return forms.IntegerField(
                    required=False,
                    min_value=None if d.minimum is None else int(d.minimum),
                    max_value=None if d.maximum is None else int(d.maximum),
                    widget=widget,
                )
            return forms.FloatField(
                required=False, min_value=d.minimum, max_value=d.maximum, widget=widget
            )
        if d.type == "enum":
            return forms.ChoiceField(choices=[NOT_EXAMINED, *_choices(d.values)], required=False)
        if d.type == "regions":
            return forms.MultipleChoiceField(
                choices=_choices(sorted(k.vocabulary.regions)), required=False
            )
        if d.type == "levels":
            ids = [f"{lvl}_{side}" for lvl in d.levels for side in ("left", "right")]
            return forms.MultipleChoiceField(
                choices=_choices(ids), required=False, widget=forms.CheckboxSelectMultiple
            )
        if d.type == "muscles":
            ids = sorted(k.vocabulary.muscles)  # already sided: hamstrings_left, …
            return forms.MultipleChoiceField(
                choices=_choices(ids), required=False, widget=forms.CheckboxSelectMultiple
            )
        return None  # int_list (STarT Back answers) is entered as an outcome questionnaire

    def sections(self) -> list[dict[str, Any]]:
        """Bound fields grouped as the clinician examines, pain regions handled by the chart."""
        groups: dict[str, list[Any]] = {}
        for fid, d in self.definitions.items():
            if d.type == "regions":
                continue
            groups.setdefault(d.section, []).append(self[fid])
            if d.type in ("levels", "muscles"):
                groups[d.section].append(self[fid + NONE_FOUND])
        return [
            {"id": s, "title": SECTION_TITLES.get(s, s), "fields": groups[s]}
            for s in [*SECTION_ORDER, *sorted(set(groups) - set(SECTION_ORDER))]
            if s in groups
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for fid, d in self.definitions.items():
            if d.type in ("levels", "muscles") and data.get(fid) and data.get(fid + NONE_FOUND):
                self.add_error(fid + NONE_FOUND, _("Untick this or the items above: not both."))
        return data

    def findings(self) -> dict[str, Any]:
        """The examined findings in case-format types (only after is_valid())."""
        out: dict[str, Any] = {}
        for fid, d in self.definitions.items():
            value = self.cleaned_data.get(fid)
            if d.type in ("levels", "muscles") and not value:
                if self.cleaned_data.get(fid + NONE_FOUND):
                    out[fid] = []
                continue
            if value in (None, "") or (d.type == "regions" and not value):
                continue
            if d.type == "bool":
                out[fid] = value == "yes"
            else:
                out[fid] = list(value) if isinstance(value, list) else value
        return out

    @classmethod
    def initial_from(cls, findings: dict[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for fid, value in findings.items():
            initial[fid] = ("yes" if value else "no") if isinstance(value, bool) else value
            if value == []:
                initial[fid + NONE_FOUND] = True
        return initial


class _EveryValue:
    """A text widget that reads every value sent under its name, not only the last: the page
    sends one text ("BL40:both, GB30:left"), the API one value per list item (issue 14: a text
    widget reading ``QueryDict.get`` kept only the last of three points)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if hasattr(data, "getlist"):
            values = data.getlist(name)
            return values if len(values) > 1 else (values[0] if values else None)
        return data.get(name)


class ListTextInput(_EveryValue, forms.TextInput):
    pass


class ListTextarea(_EveryValue, forms.Textarea):
    pass


class MultiTextField(forms.CharField):
    """A comma- or line-separated list, stored as a JSON list of trimmed strings. Every value
    sent under the field's name is read (one text from the page, one value per item from the
    API), each split the same way, so the page and the API give the same list."""

    def __init__(self, *, rows: int | None = None, **kwargs: Any) -> None:
        kwargs["widget"] = ListTextarea(attrs={"rows": rows}) if rows else ListTextInput()
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        texts = value if isinstance(value, list | tuple) else [value]
        parts = []
        for text in texts:
            text = super().to_python(text) or ""
            parts += text.replace("\n", ",").split(",")
        return [p.strip() for p in parts if p.strip()]

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value


def _clinicians(clinic: Any) -> Any:
    from django.contrib.auth.models import User

    users = User.objects.filter(staff__role="clinician")
    return users.filter(staff__clinic=clinic) if clinic is not None else users.none()


# The patient's details that are clinical: a clinician records them; the front desk neither sees
# nor sets them (its form leaves them out, so what is stored is kept).
CLINICAL_PATIENT_FIELDS = ("pregnant", "medications", "devices", "conditions")


class PatientForm(PatientModelForm):
    medications = MultiTextField(
        label=_("Medications"),
        required=False,
        help_text=_("As written in the chart, separated by commas (generic or brand)."),
        rows=2,
    )
    devices = forms.MultipleChoiceField(
        label=_("Devices"), required=False, widget=forms.CheckboxSelectMultiple
    )
    conditions = forms.MultipleChoiceField(
        label=_("Conditions"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Patient
        fields = [
            "given_name", "family_name", "birth_date", "sex", "phone", "email", "occupation",
            "address", "payer", "member_id", "primary_clinician",
            "pregnant", "medications", "devices", "conditions", "reminders",
        ]  # fmt: skip
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}),
            "address": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, clinical: bool = True, **kwargs: Any) -> None:
        """``clinical=False`` (the front desk): without the clinical fields."""
        super().__init__(*args, **kwargs)
        vocabulary = services.knowledge().vocabulary
        self.fields["devices"].choices = _choices(vocabulary.devices)  # type: ignore[attr-defined]
        self.fields["conditions"].choices = _choices(vocabulary.conditions)  # type: ignore[attr-defined]
        if not clinical:
            for name in CLINICAL_PATIENT_FIELDS:
                del self.fields[name]
        self.fields["payer"].required = False  # blank means self-pay
        instance = kwargs.get("instance")
        clinic = instance.clinic if instance is not None else None
        self.fields["primary_clinician"].queryset = _clinicians(clinic)  # type: ignore[attr-defined]
        self.fields["primary_clinician"].label_from_instance = (  # type: ignore[attr-defined]
            lambda user: user.get_full_name() or user.get_username()
        )
        self.fields["primary_clinician"].empty_label = _("None chosen yet")  # type: ignore[attr-defined]

    def clean_payer(self) -> str:
        return str(self.cleaned_data.get("payer") or "self_pay")

    def clean_birth_date(self) -> Any:
        born = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(_("The date of birth is in the future."))
        if today.year - born.year > 120:
            raise forms.ValidationError(_("The date of birth is more than 120 years ago."))
        return born

    def clean_medications(self) -> list[str]:
        meds: list[str] = self.cleaned_data["medications"]
        too_long = [m for m in meds if len(m) > 100]
        if too_long:
            raise forms.ValidationError(_("A medication name is longer than 100 characters."))
        if len(meds) > 60:
            raise forms.ValidationError(_("At most 60 medications."))
        return meds

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("pregnant") and data.get("sex") == "male":
            self.add_error("pregnant", _("Pregnant is ticked but sex is male; check both."))
        if data.get("reminders") and not data.get("email"):
            self.add_error("email", _("Reminders need an e-mail address."))
        return data


class PlanSettingsForm(forms.Form):
    visits_per_week = forms.IntegerField(label=_("Visits per week"), min_value=1, max_value=7)
    planned_visits = forms.IntegerField(
        label=_("Visits before re-evaluation"), min_value=1, max_value=40
    )
    guideline = forms.ChoiceField(
        label=_("Guideline shown"),
        choices=[("ACP2017", "ACP 2017 (USA)"), ("NICE_NG59", "NICE NG59 (UK)")],
    )
    note = forms.CharField(
        label=_("Clinician's note"),
        required=False,
        max_length=2000,  # as the API
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def override_rules() -> dict[str, str]:
    """The safety rules a clinician may override (with a written reason)."""
    return {rule.id: rule.message for rule in load_safety_rules().values() if rule.overridable}


class VisitForm(VisitModelForm):
    points = MultiTextField(
        label=_("Points needled"),
        required=False,
        help_text=_("WHO codes with side, e.g. BL40:both, SI3:left. Carried from the last visit."),
        rows=2,
    )
    diagnoses = MultiTextField(
        label=_("Diagnoses (ICD-10-CM)"),
        required=False,
        help_text=_("Primary first, separated by commas, e.g. M54.50, M62.89."),
    )
    regions_adjusted = forms.MultipleChoiceField(
        label=_("Regions adjusted"),
        choices=SPINAL_REGIONS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    trigger_points = TriggerPointsField(
        label=_("Trigger points"),
        required=False,
        help_text=_("One row per trigger point: muscle, side, depth (blank if not measured)."),
    )
    stimulated_increments = IncrementsField(
        label=_("Increments with electrical stimulation"),
        help_text=_("Each 15 minutes of contact is an increment; 1 is the first."),
        error_messages={"invalid_choice": _("Increment %(value)s is not one of 1 to 8.")},
    )
    reinserted_increments = IncrementsField(
        first=2,
        label=_("Increments with needles re-inserted"),
        help_text=_("From the second increment on (the first is the initial insertion)."),
        error_messages={"invalid_choice": _("Increment %(value)s is not one of 2 to 8.")},
    )

    class Meta:
        model = Visit
        fields = [
            "date", "points", "trigger_points", "stimulated_increments",
            "reinserted_increments", "electro", "electro_settings", "needle_minutes",
            "contact_minutes", "reinsertions", "regions_adjusted", "exercise_minutes",
            "neuromuscular_minutes", "manual_therapy_minutes", "office_care", "response",
            "response_notes", "diagnoses",
        ]  # fmt: skip
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "office_care": forms.Textarea(attrs={"rows": 2}),
            "response_notes": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_points(self) -> list[str]:
        atlas = services.atlas()
        out: list[str] = []
        bad: list[str] = []
        for item in self.cleaned_data["points"]:
            code, _sep, side = item.partition(":")
            side = side.strip().lower() or "both"
            try:
                point = atlas.point(code)
            except KeyError:
                bad.append(item)
                continue
            if side not in ("left", "right", "both", "midline"):
                bad.append(item)
                continue
            key = f"{point.code}:{side}"
            if key not in out:
                out.append(key)
        if bad:
            raise forms.ValidationError(
                _("Not a point of the atlas with a side (left, right, both, midline): %(bad)s")
                % {"bad": ", ".join(bad)}
            )
        return out

    ZERO_IF_BLANK = (
        "needle_minutes", "contact_minutes", "reinsertions", "exercise_minutes",
        "neuromuscular_minutes", "manual_therapy_minutes",
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.ZERO_IF_BLANK:
            self.fields[name].required = False
        # The same limits as the API (and a note that stays readable).
        for name in ("office_care", "response_notes"):
            field = self.fields[name]
            field.max_length = TEXT_LIMIT  # type: ignore[attr-defined]
            field.validators.append(MaxLengthValidator(TEXT_LIMIT))
            field.widget.attrs["maxlength"] = str(TEXT_LIMIT)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in self.ZERO_IF_BLANK:
            if data.get(name) is None and name not in self.errors:
                data[name] = 0
        needled = [p for p in data.get("trigger_points") or () if p["technique"] in NEEDLED]
        if data.get("electro") and not data.get("points") and not needled:
            self.add_error("electro", _("Electro-acupuncture needs needled points."))
        self._check_increments(data)
        return data

    def _check_increments(self, data: dict[str, Any]) -> None:
        """The increments described must exist (contact time) and agree with the visit."""
        stimulated = data.get("stimulated_increments") or []
        reinserted = data.get("reinserted_increments") or []
        if not stimulated and not reinserted:
            return
        from weizhong.billing import billing_rules
        from weizhong.billing.acupuncture import supported_increments

        minutes = data.get("contact_minutes") or 0
        count = supported_increments(minutes, billing_rules()) if minutes else 0
        for name, chosen in (("stimulated_increments", stimulated),
                             ("reinserted_increments", reinserted)):  # fmt: skip
            beyond = [n for n in chosen if n > count]
            if beyond:
                self.add_error(
                    name,
                    _(
                        "%(minutes)s minutes of contact make %(count)s increment(s) of 15 "
                        "minutes; there is no increment %(beyond)s."
                    )
                    % {
                        "minutes": minutes,
                        "count": count,
                        "beyond": ", ".join(str(n) for n in beyond),
                    },
                )
        if stimulated and not data.get("electro") and "electro" not in self.errors:
            self.add_error(
                "stimulated_increments",
                _("Increments with stimulation are ticked, but electro-acupuncture is not."),
            )
        if "reinserted_increments" not in self.errors and "reinsertions" not in self.errors:
            if not data.get("reinsertions"):
                data["reinsertions"] = len(reinserted)
            elif data["reinsertions"] != len(reinserted):
                self.add_error(
                    "reinserted_increments",
                    _(
                        "%(n)s re-insertions are recorded but %(m)s increments are ticked as "
                        "re-inserted: make them agree."
                    )
                    % {"n": data["reinsertions"], "m": len(reinserted)},
                )

    def clean_diagnoses(self) -> list[str]:
        """Checked by the billing rules: format, retired codes, a required 7th character."""
        from weizhong.billing import PatientFacts, billing_rules
        from weizhong.billing.diagnoses import check_diagnoses, normalise

        codes = tuple(self.cleaned_data["diagnoses"])
        if not codes:
            return []
        nobody = PatientFacts(name="", birth_date=timezone.localdate())
        _rows, problems, _notices = check_diagnoses(codes, nobody, billing_rules())
        if problems:
            raise forms.ValidationError([p.message for p in problems])
        return list(dict.fromkeys(normalise(c) for c in codes))

    def clean_date(self) -> Any:
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A visit cannot be in the future."))
        return day


class NoteForm(NoteModelForm):
    class Meta:
        model = Note
        fields = ["subjective", "objective", "assessment", "plan"]
        widgets = {f: forms.Textarea(attrs={"rows": 5}) for f in fields}


class AmendmentForm(AmendmentModelForm):
    class Meta:
        model = Amendment
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Blank is refused with the words of the rule, as the API says it.
        self.fields["text"].error_messages["required"] = _("Write what is corrected and why.")

    def clean_text(self) -> str:
        try:
            return amendment_text(self.cleaned_data["text"])
        except Refused as refused:
            raise forms.ValidationError(refused.message) from None


class ClinicSettingsForm(ClinicModelForm):
    class Meta:
        model = Clinic
        fields = [
            "name", "address", "phone", "email", "provider_id", "tax_id",
            "rounds_before_reevaluation", "visits_per_week", "portal_link_days",
        ]  # fmt: skip


class OutcomeForm(forms.Form):
    """A questionnaire's items; with ``dated`` the day it was taken (not in the future); PSFS
    has the patient's own activity before each rating."""

    def clean_taken(self) -> Any:
        day = self.cleaned_data.get("taken")
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError(_("A score cannot be taken in the future."))
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        definition = self.instrument  # type: ignore[attr-defined]
        if definition.id == "psfs" and not self.errors:
            try:
                answers = answers_of(self)
                data["activities"] = psfs_activities(answers, activities_of(self))
            except Refused as refused:
                first = next(
                    (
                        f"activity_{n}"
                        for n in range(1, len(definition.answers) + 1)
                        if data.get(f"item_{n}") is not None and not data.get(f"activity_{n}")
                    ),
                    "activity_1",
                )
                self.add_error(first, refused.message)
        return data


def outcome_form(
    instrument: str,
    data: Any = None,
    *,
    dated: bool = False,
    activities: list[str] | None = None,
    for_patient: bool = False,
) -> forms.Form:
    """A form with one field per item of the questionnaire (labels are our short names: the
    questionnaires' wording is copyrighted and shown on the clinic's paper or licensed form).
    ``activities``: the patient's PSFS activities so far, offered again."""
    definition = services.instruments()[instrument]
    form = OutcomeForm(data)
    if dated:
        form.fields["taken"] = forms.DateField(
            label=_("Date taken"),
            required=False,  # blank: today
            initial=timezone.localdate,
            widget=forms.DateInput(attrs={"type": "date"}),
            help_text=_("The day the patient answered (a baseline keeps its own day)."),
        )
    for n, rule in enumerate(definition.answers, start=1):
        if definition.id == "psfs":
            form.fields[f"activity_{n}"] = forms.CharField(
                label=(
                    _("Activity %(n)s: something that is hard for you to do") % {"n": n}
                    if for_patient
                    else _("Activity %(n)s, in the patient's words") % {"n": n}
                ),
                required=False,
                max_length=80,
                initial=(activities or [])[n - 1] if n <= len(activities or []) else "",
            )
        label = (
            definition.item_labels[n - 1]
            if n <= len(definition.item_labels)
            else f"{definition.item_noun} {n}"
        )
        required = n <= definition.item_count.min and definition.missing is None
        form.fields[f"item_{n}"] = forms.IntegerField(
            label=f"{n}. {label}",
            min_value=int(rule.min),
            max_value=int(rule.max),
            required=required,
            widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "item"}),
        )
    form.instrument = definition  # type: ignore[attr-defined]
    return form


def taken_at(day: Any) -> Any:
    """The moment a score dated ``day`` was taken: now for today, else noon of that day."""
    import datetime as dt

    if day is None or day == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def activities_of(form: forms.Form) -> list[str]:
    """The PSFS activities as typed (blank where none), in the order of the ratings."""
    definition = form.instrument  # type: ignore[attr-defined]
    return [
        str(form.cleaned_data.get(f"activity_{n}") or "")
        for n in range(1, len(definition.answers) + 1)
    ]


def answers_of(form: forms.Form) -> list[int | float | None]:
    definition = form.instrument  # type: ignore[attr-defined]
    values = [form.cleaned_data.get(f"item_{n}") for n in range(1, len(definition.answers) + 1)]
    # Trailing unanswered optional items (PSFS rows 4-5) are not part of the questionnaire.
    while len(values) > definition.item_count.min and values[-1] is None:
        values.pop()
    return values


__all__ = ["AmendmentForm", "ExamForm", "NoteForm", "PatientForm", "Plan", "VisitForm"]


def submit_token_of(value: str | None) -> uuid.UUID | None:
    """The form's one-time token (a double submit stores once), or None when it is missing or
    not a token."""
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


def fields_of(form: forms.ModelForm[Any]) -> dict[str, Any]:
    """A valid model form's values as the record would take them (what ``form.save()`` would
    set), for an action to write: validation fills ``form.instance`` without saving it."""
    names = form._meta.fields or []
    return {name: getattr(form.instance, name) for name in names if name in form.fields}


class ClinicFormRenderer(TemplatesSetting):
    """Each field in its own ``div.field``, so grids and the exam's rows lay out whole fields."""

    field_template_name = "clinic/_field.html"
