from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("clinic", "0012_appointments")]

    operations = [
        migrations.AddField(
            model_name="exam",
            name="reported",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
