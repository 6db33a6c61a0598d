"""Issue 12: receivers are connected in ClinicConfig.ready(), each to the sender it is about
(it used to be one post_save receiver for every model in the project, steered by private
attributes set on the instance)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import Signal

from weizhong.clinic import actions
from weizhong.clinic.history.versions import TRACKED
from weizhong.clinic.models import Clinic, RecordVersion


def _uids(signal: Signal) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for entry in signal.receivers:
        uid, sender_id = entry[0]
        found.setdefault(str(uid), set()).add(sender_id)
    return found


def test_the_history_receiver_listens_to_each_tracked_model_only() -> None:
    uids = _uids(post_save)
    mine = {uid for uid in uids if uid.startswith("weizhong-record-history")}
    assert mine == {f"weizhong-record-history-{name}" for name in TRACKED}
    from django.apps import apps

    for name in TRACKED:
        model = apps.get_model("clinic", name)
        assert uids[f"weizhong-record-history-{name}"] == {id(model)}


def test_sign_in_and_out_receivers_name_the_user_model() -> None:
    user = id(get_user_model())
    assert _uids(user_logged_in)["weizhong-sign-in"] == {user}
    assert _uids(user_logged_in)["weizhong-session"] == {user}
    assert _uids(user_logged_out)["weizhong-sign-out"] == {user}


def test_an_untracked_model_writes_no_version(db: Any) -> None:
    actions.do_create_clinic(name="Hillside", slug="hillside")
    assert Clinic.objects.count() == 1
    assert not RecordVersion.objects.exists()
