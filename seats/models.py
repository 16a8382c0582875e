from django.db import models

from seats.querysets import ConstituencyQuerySet
from seats.regions import Nation, Region


class BoundarySet(models.TextChoices):
    B2010 = "2010", "2010–2024 boundaries"
    B2024 = "2024", "2024 boundaries"
    SAMPLE = "sample", "Sample (demo data, fictional)"


class Constituency(models.Model):
    """A Westminster constituency on one boundary set; both sets live side by side."""

    ons_code = models.CharField("ONS code", max_length=9)
    name = models.CharField(max_length=120)
    boundary_set = models.CharField(max_length=8, choices=BoundarySet.choices)
    nation = models.CharField(max_length=20, choices=Nation.choices)
    region = models.CharField(max_length=9, choices=Region.choices)
    electorate = models.PositiveIntegerField(null=True, blank=True)
    hex_q = models.IntegerField(null=True, blank=True)
    hex_r = models.IntegerField(null=True, blank=True)

    objects = ConstituencyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "constituencies"
        constraints = [
            models.UniqueConstraint(
                fields=["ons_code", "boundary_set"], name="constituency_unique_code_per_set"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_sample(self) -> bool:
        return self.boundary_set == BoundarySet.SAMPLE
