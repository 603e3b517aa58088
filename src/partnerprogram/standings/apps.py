from django.apps import AppConfig


class StandingsConfig(AppConfig):
    name = "partnerprogram.standings"
    label = "standings"
    verbose_name = "Standings, cycles, claims and overrides"
