"""The clinic's fee schedule: the action (every kind of input), the Fees page (administrators
only; a refusal keeps what was typed), the API (the same rule, the same words: parity), and the
charges on the superbill in the page, the CSV, the PDF and the JSON."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from tests.clinic.conftest import logged_in, make_staff, past_second_factor
from tests.clinic.test_api import Api
from tests.clinic.test_billing_pages import billed_visit
from weizhong.billing import MAX_FEE_CENTS, billing_rules
from weizhong.clinic import actions
from weizhong.clinic.audit.events import ACTION_EVENTS
from weizhong.clinic.models import AuditEvent, Clinic, Fee, Patient, Plan, Staff
from weizhong.clinic.records.fees import fee_schedule
from weizhong.clinic.records.rules import Refused, fee_cents
from weizhong.numbers import money, money_plain

URL = "/settings/fees/"
CODES = list(billing_rules().procedures)


@pytest.fixture
def owner(clinic: Clinic) -> Any:
    return make_staff(clinic, "ana", Staff.CLINICIAN, is_admin=True)


@pytest.fixture
def admin(owner: Any) -> Client:
    client = logged_in(owner)
    return past_second_factor(client)


@pytest.fixture
def admin_api(owner: Any) -> Api:
    return Api(actions.do_create_api_token(user=owner, name="tests")[1])


@pytest.fixture
def desk_api(desk: Any) -> Api:
    return Api(actions.do_create_api_token(user=desk, name="tests")[1])


@pytest.fixture
def doc_api(clinician: Any) -> Api:
    return Api(actions.do_create_api_token(user=clinician, name="tests")[1])


def page_data(**typed: str) -> dict[str, str]:
    return {f"fee_{code}": typed.get(f"c{code}", "") for code in CODES}


# ------------------------------------------------------------------------------ the rule


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("85", 8500),
        ("85.5", 8550),
        ("85.50", 8550),
        ("$85.50", 8550),
        (" $ 85.50 ", 8550),
        ("85.", 8500),
        (".5", 50),
        ("0", 0),
        ("1,250", 125_000),
        ("$1,250.05", 125_005),
        ("100000", 10_000_000),
        ("100,000.00", 10_000_000),
        ("0.29", 29),  # no float rounding: 0.29 * 100 would be 28.999…
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_amounts_as_people_type_them_are_read_in_whole_cents(
    typed: str | None, cents: int | None
) -> None:
    assert fee_cents("97810", typed) == cents


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("-5", "cannot be negative"),
        ("$-5", "cannot be negative"),
        ("85.505", "at most two decimals"),
        ("85.500", "at most two decimals"),
        ("100000.01", "at most $100,000.00"),
        ("1e3", "is not an amount of money"),
        ("eighty", "is not an amount of money"),
        ("85,5", "is not an amount of money"),
        ("12,34,567", "is not an amount of money"),
        ("$", "is not an amount of money"),
        (".", "is not an amount of money"),
        ("٨٥", "is not an amount of money"),  # other scripts' digits are not read as money
        ("85 USD", "is not an amount of money"),
        ("NaN", "is not an amount of money"),
    ],
)
def test_a_bad_amount_is_refused_naming_the_code_and_what_is_allowed(typed: str, says: str) -> None:
    with pytest.raises(Refused) as refused:
        fee_cents("97140", typed)
    assert refused.value.field == "97140"
    assert refused.value.message.startswith("97140: ") and says in refused.value.message


# ---------------------------------------------------------------------------- the action


def test_the_action_sets_changes_and_clears_fees_and_returns_what_changed(
    clinic: Clinic, owner: Any
) -> None:
    change = actions.do_set_fees(clinic=clinic, fees={"97810": "85", "97140": "$60.50"}, by=owner)
    assert change.fees == {"97810": 8500, "97140": 6050}
    assert fee_schedule(clinic) == {"97810": 8500, "97140": 6050}
    assert change.describe() == "fees 97810 $85.00, 97140 $60.50"
    again = actions.do_set_fees(clinic=clinic, fees={"97810": "90", "97140": "60.50"}, by=owner)
    assert again.changed == {"97810": 9000}
    cleared = actions.do_set_fees(clinic=clinic, fees={"97810": ""}, by=owner)
    assert cleared.changed == {"97810": None, "97140": None}
    assert not Fee.objects.filter(clinic=clinic).exists()
    assert cleared.describe() == "fees 97810 no fee, 97140 no fee"


def test_the_action_refuses_every_bad_fee_at_once_and_saves_nothing(
    clinic: Clinic, owner: Any
) -> None:
    actions.do_set_fees(clinic=clinic, fees={"97810": "85"}, by=owner)
    with pytest.raises(actions.FeesRefused) as refused:
        actions.do_set_fees(
            clinic=clinic,
            fees={"97810": "90", "97811": "-1", "97140": "1.234", "99213": "100"},
            by=owner,
        )
    fields = [p.field for p in refused.value.problems]
    assert sorted(fields) == ["97140", "97811", "99213"]
    unknown = next(p for p in refused.value.problems if p.field == "99213")
    assert "not a CPT code weizhong bills" in unknown.message and "97810" in unknown.message
    assert fee_schedule(clinic) == {"97810": 8500}  # the valid 97810 change was not saved


def test_fees_belong_to_their_clinic(clinic: Clinic, other_clinic: Clinic, owner: Any) -> None:
    actions.do_set_fees(clinic=clinic, fees={"97810": "85"}, by=owner)
    assert fee_schedule(other_clinic) == {}


def test_outside_a_request_the_action_records_its_own_audit_event(
    clinic: Clinic, owner: Any
) -> None:
    actions.do_set_fees(clinic=clinic, fees={"97810": "85"}, by=owner)
    event = ACTION_EVENTS["do_set_fees"]
    (audited,) = AuditEvent.objects.filter(what=event.what)
    assert audited.username == "ana" and audited.clinic_id == clinic.pk


# ------------------------------------------------------------------------------ the page


def test_only_an_administrator_opens_or_posts_the_fees_page(
    admin: Client, doc: Client, desk_client: Client, clinic: Clinic
) -> None:
    assert admin.get(URL).status_code == 200
    assert doc.get(URL).status_code == 403
    assert desk_client.get(URL).status_code == 403
    assert doc.post(URL, page_data(c97810="85")).status_code == 403
    assert desk_client.post(URL, page_data(c97810="85")).status_code == 403
    assert not Fee.objects.exists()
    assert Client().get(URL).status_code == 302  # to sign in


def test_the_page_lists_every_billable_code_with_its_description_and_no_price(
    admin: Client,
) -> None:
    page = admin.get(URL)
    html = page.content.decode()
    for code, procedure in billing_rules().procedures.items():
        assert code in html and procedure.description in html
        assert page.context["form"][f"fee_{code}"].value() in ("", None)  # no default price
    assert "No fee is set for 11 services" in html


def test_an_administrator_sets_the_fees_and_the_change_is_audited(
    admin: Client, clinic: Clinic
) -> None:
    done = admin.post(URL, page_data(c97810="85", c97140="$60.5"))
    assert done.status_code == 302 and done["Location"] == URL
    assert fee_schedule(clinic) == {"97810": 8500, "97140": 6050}
    shown = admin.get(URL)
    assert shown.context["form"]["fee_97810"].value() == "85.00"
    assert shown.context["form"]["fee_97140"].value() == "60.50"
    event = ACTION_EVENTS["do_set_fees"]
    (audited,) = AuditEvent.objects.filter(what=event.what)
    assert audited.username == "ana" and audited.target == "fees 97810 $85.00, 97140 $60.50"
    assert audited.clinic_id == clinic.pk


def test_bad_input_re_renders_with_each_error_and_every_typed_value_kept(
    admin: Client, clinic: Clinic
) -> None:
    typed = page_data(c97810="85", c97811="-3", c97140="abc", c97110="12.345")
    response = admin.post(URL, typed)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert set(errors) == {"fee_97811", "fee_97140", "fee_97110"}
    html = response.content.decode()
    assert "97811: a fee cannot be negative." in html
    assert "97140: “abc” is not an amount of money" in html
    assert "97110: give at most two decimals" in html
    for name in ("fee_97810", "fee_97811", "fee_97140", "fee_97110"):
        assert f'value="{typed[name]}"' in html, name  # nothing typed is lost
    assert 'href="#id_fee_97140"' in html  # the summary links to the field
    assert not Fee.objects.exists()


def test_the_settings_page_links_to_the_fees_for_administrators(admin: Client, doc: Client) -> None:
    assert URL in admin.get(reverse("clinic_settings")).content.decode()
    assert URL not in doc.get(reverse("clinic_settings")).content.decode()


# ------------------------------------------------------------------------------- the API


def test_any_staff_member_reads_the_fee_schedule(
    admin_api: Api, desk_api: Api, doc_api: Api, clinic: Clinic, owner: Any
) -> None:
    actions.do_set_fees(clinic=clinic, fees={"97810": "85", "97140": "1,250"}, by=owner)
    for api in (admin_api, desk_api, doc_api):
        answer = api.get("/fees")
        assert answer.status_code == 200
        body = answer.json()
        assert body["currency"] == "USD"
        assert [f["cpt"] for f in body["fees"]] == CODES
        by_code = {f["cpt"]: f for f in body["fees"]}
        assert by_code["97810"]["cents"] == 8500 and by_code["97810"]["amount"] == "85.00"
        assert by_code["97140"]["amount"] == "1250.00"
        assert by_code["97811"]["cents"] is None and by_code["97811"]["amount"] is None


def test_only_an_administrator_changes_the_fees_through_the_api(
    admin_api: Api, desk_api: Api, doc_api: Api, clinic: Clinic, other_clinic: Clinic
) -> None:
    body = {"fees": {"97810": "85"}}
    assert doc_api.put("/fees", body).status_code == 403
    assert desk_api.put("/fees", body).status_code == 403
    assert Api(None).put("/fees", body).status_code == 401
    assert not Fee.objects.exists()
    elsewhere = make_staff(other_clinic, "olga", Staff.CLINICIAN, is_admin=True)
    their_api = Api(actions.do_create_api_token(user=elsewhere, name="tests")[1])
    assert their_api.put("/fees", {"fees": {"97810": "70"}}).status_code == 200
    assert fee_schedule(clinic) == {} and fee_schedule(other_clinic) == {"97810": 7000}
    answer = admin_api.put("/fees", {"fees": {"97810": "85", "97140": None, "97110": ""}})
    assert answer.status_code == 200
    assert fee_schedule(clinic) == {"97810": 8500}
    assert answer.json()["fees"][0] == {
        "cpt": "97810",
        "description": billing_rules().procedures["97810"].description,
        "cents": 8500,
        "amount": "85.00",
    }
    # the request's event (named, as for every API path, after the path's first operation)
    audited = (
        AuditEvent.objects.filter(path="/api/v1/fees", method="PUT", allowed=True)
        .order_by("seq")
        .last()
    )
    assert audited is not None and audited.action == "write"
    assert audited.target == "fees 97810 $85.00" and audited.username == "ana"


def test_put_replaces_the_schedule_a_code_left_out_has_no_fee(
    admin_api: Api, clinic: Clinic
) -> None:
    admin_api.put("/fees", {"fees": {"97810": "85", "97140": "60"}})
    admin_api.put("/fees", {"fees": {"97140": "60"}})
    assert fee_schedule(clinic) == {"97140": 6000}


def test_the_api_refuses_a_number_that_is_not_text_and_an_unknown_code(
    admin_api: Api, clinic: Clinic
) -> None:
    assert admin_api.put("/fees", {"fees": {"97810": 85.5}}).status_code == 422
    unknown = admin_api.put("/fees", {"fees": {"99213": "100"}})
    assert unknown.status_code == 422
    (problem,) = unknown.json()["detail"]
    assert problem["loc"] == ["body", "fees", "99213"]
    assert "not a CPT code weizhong bills" in problem["msg"]
    assert not Fee.objects.exists()


# The page and the API read a fee with the same rule: the same text is accepted or refused by
# both, with the same words naming the code.
PARITY = [
    ("85", True),
    ("85.5", True),
    ("$85.50", True),
    ("1,250.00", True),
    ("0", True),
    ("", True),
    ("-1", False),
    ("85.505", False),
    ("100000.01", False),
    ("eighty-five", False),
    ("1e3", False),
]


@pytest.mark.parametrize(("typed", "accepted"), PARITY)
def test_the_page_and_the_api_accept_and_refuse_the_same_fees_in_the_same_words(
    admin: Client, admin_api: Api, clinic: Clinic, typed: str, accepted: bool
) -> None:
    page = admin.post(URL, page_data(c97140=typed))
    assert page.status_code == (302 if accepted else 422)
    page_saved = fee_schedule(clinic)
    actions.do_set_fees(clinic=clinic, fees={}, by=None)  # start the API from nothing too
    api = admin_api.put("/fees", {"fees": {"97140": typed}})
    assert api.status_code == (200 if accepted else 422)
    assert fee_schedule(clinic) == page_saved
    if not accepted:
        page_words = [str(e) for e in page.context["form"].errors["fee_97140"]]
        (problem,) = api.json()["detail"]
        assert problem["loc"] == ["body", "fees", "97140"]
        assert page_words == [problem["msg"]]
        assert problem["msg"].startswith("97140: ")


# -------------------------------------------------------------------------- the superbill


@pytest.fixture
def billable(clinic: Clinic) -> Clinic:
    clinic.provider_id = "1234567893"
    clinic.save()
    return clinic


def _csv(client: Client, visit: Any) -> dict[str, dict[str, str]]:
    text = client.get(reverse("visit_superbill", args=[visit.pk, "csv"])).content.decode()
    return {row["cpt"]: row for row in csv.DictReader(io.StringIO(text))}


def _pdf(client: Client, visit: Any) -> str:
    pdf = client.get(reverse("visit_superbill", args=[visit.pk, "pdf"])).content
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


ALL_FEES = {"97813": "95", "97814": "40", "98940": "60", "97110": "35.25", "97140": "1,200"}


def test_the_superbill_with_every_fee_set_shows_each_charge_and_the_total(
    billable: Clinic, owner: Any, patient: Patient, plan: Plan, clinician: Any,
    doc: Client, desk_client: Client, doc_api: Api,
) -> None:  # fmt: skip
    actions.do_set_fees(clinic=billable, fees=ALL_FEES, by=owner)
    visit = billed_visit(patient, plan, clinician)
    # 97813 ×1 $95, 97814 ×1 $40, 98940 ×1 $60, 97110 ×2 $70.50, 97140 ×1 $1,200
    total = "$1,465.50"
    bill = doc_api.get(f"/visits/{visit.pk}/superbill").json()
    assert bill["format"] == "weizhong.superbill/1" and bill["currency"] == "USD"
    assert {line["cpt"]: line["charge"] for line in bill["lines"]} == {
        "97813": 9500, "97814": 4000, "98940": 6000, "97110": 7050, "97140": 120_000
    }  # fmt: skip
    assert bill["total_charge"] == 146_550
    assert not [w for w in bill["warnings"] if w["id"] == "fee-missing"]
    desk_page = desk_client.get(reverse("visit_bill", args=[visit.pk])).content.decode()
    assert "$1,200.00" in desk_page and "$70.50" in desk_page and total in desk_page
    assert "No fees are shown" not in desk_page
    assert total in doc.get(reverse("visit", args=[visit.pk])).content.decode()
    rows = _csv(desk_client, visit)
    assert rows["97110"]["unit_fee_usd"] == "35.25" and rows["97110"]["charge_usd"] == "70.50"
    assert rows["97140"]["charge_usd"] == "1200.00"
    text = _pdf(desk_client, visit)
    assert "$1,200.00" in text and total in text


def test_the_superbill_with_some_fees_names_the_missing_codes_everywhere(
    billable: Clinic, owner: Any, patient: Patient, plan: Plan, clinician: Any,
    desk_client: Client, doc_api: Api,
) -> None:  # fmt: skip
    actions.do_set_fees(clinic=billable, fees={"97813": "95", "98940": "60"}, by=owner)
    visit = billed_visit(patient, plan, clinician)
    said = "No fee is set for 97814, 97110, 97140: set them in Settings → Fees."
    bill = doc_api.get(f"/visits/{visit.pk}/superbill").json()
    assert bill["total_charge"] == 15_500
    assert {line["cpt"]: line["charge"] for line in bill["lines"]}["97814"] is None
    assert any(w["message"].startswith(said) for w in bill["warnings"])
    page = desk_client.get(reverse("visit_bill", args=[visit.pk])).content.decode()
    assert said in page and "$155.00" in page and "not set" in page
    assert reverse("fee_schedule") not in page  # the desk cannot set them: no link
    assert _csv(desk_client, visit)["97814"]["charge_usd"] == ""
    text = " ".join(_pdf(desk_client, visit).split())
    assert "$155.00" in text and "No fee is set for 97814, 97110, 97140" in text


def test_the_superbill_without_fees_shows_no_charge_and_asks_for_them(
    billable: Clinic, patient: Patient, plan: Plan, clinician: Any, owner: Any,
    admin: Client, doc_api: Api,
) -> None:  # fmt: skip
    visit = billed_visit(patient, plan, clinician)
    bill = doc_api.get(f"/visits/{visit.pk}/superbill").json()
    assert bill["total_charge"] is None
    assert all(line["charge"] is None and line["unit_fee"] is None for line in bill["lines"])
    page = admin.get(reverse("visit_bill", args=[visit.pk])).content.decode()
    assert "No fee is set for 97813, 97814, 98940, 97110, 97140" in page
    assert "no fees set" in page and "$" not in page.split("<main", 1)[-1]
    assert f'href="{reverse("fee_schedule")}"' in page  # an administrator is offered the page
    assert all(row["charge_usd"] == "" for row in _csv(admin, visit).values())
    assert "No fees are shown" in _pdf(admin, visit)


@settings(max_examples=300, deadline=None)
@given(cents=st.integers(0, MAX_FEE_CENTS))
def test_every_amount_a_page_or_bill_shows_reads_back_to_the_same_cents(cents: int) -> None:
    """What the Fees page puts back in a box ("1234.50") and what a bill shows ("$1,234.50")
    are both read back to the very same whole cents: integer arithmetic, no float."""
    assert fee_cents("97810", money_plain(cents)) == cents
    assert fee_cents("97810", money(cents)) == cents
    dollars, rest = divmod(cents, 100)
    assert fee_cents("97810", f"{dollars}.{rest:02d}") == cents
    if rest % 10 == 0:
        assert fee_cents("97810", f"{dollars}.{rest // 10}") == cents  # "85.5"
