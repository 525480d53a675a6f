from django.apps import AppConfig


class EncountersConfig(AppConfig):
    name = "hms.encounters"
    label = "encounters"
    verbose_name = "Encounters"
