from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "weizhong.clinic"
    label = "clinic"
    verbose_name = "weizhong clinic"
    default_auto_field = "django.db.models.BigAutoField"
