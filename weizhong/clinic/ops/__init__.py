"""Running a clinic: backups and restores (``backup``, ``restore``), the demo clinic and load
seeding (``demo``), the daily home-programme reminders (``reminders``)."""
