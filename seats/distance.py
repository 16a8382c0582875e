"""Distance on the ground, in SQL: "near me" for groups and events, without PostGIS.

`near_q` is a bounding box on plain latitude/longitude columns (the indexes can use it);
`distance_miles` is the exact great-circle distance (haversine, mean Earth radius 3,958.8
miles), computed by PostgreSQL for the rows the box lets through. A point exactly `miles`
away is in; the box is never smaller than the circle (longitude degrees shrink towards the
poles, so the box widens by 1/cos(latitude)).
"""

import math
from dataclasses import dataclass

from django.db.models import F, FloatField, Q, Value
from django.db.models.expressions import Func
from django.db.models.functions import ACos, Cos, Greatest, Least, Radians, Sin

EARTH_RADIUS_MILES = 3958.8
MILES_PER_DEGREE_LATITUDE = 2 * math.pi * EARTH_RADIUS_MILES / 360


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


def near_q(point: Point, miles: float, *, prefix: str = "") -> Q:
    """The bounding box around `point`, `miles` each way (a cheap prefilter)."""
    dlat = miles / MILES_PER_DEGREE_LATITUDE
    cos_lat = max(math.cos(math.radians(point.latitude)), 0.01)
    dlng = min(dlat / cos_lat, 180.0)
    return Q(
        **{
            f"{prefix}latitude__gte": point.latitude - dlat,
            f"{prefix}latitude__lte": point.latitude + dlat,
            f"{prefix}longitude__gte": point.longitude - dlng,
            f"{prefix}longitude__lte": point.longitude + dlng,
        }
    )


def distance_miles(point: Point, *, prefix: str = "") -> Func:
    """Great-circle miles from `point` to the row's latitude/longitude (spherical law of
    cosines, clamped to [-1, 1] so rounding never takes ACOS out of its domain)."""
    lat, lng = F(f"{prefix}latitude"), F(f"{prefix}longitude")
    here_lat = Value(math.radians(point.latitude), output_field=FloatField())
    here_lng = Value(math.radians(point.longitude), output_field=FloatField())
    cosine = Sin(here_lat) * Sin(Radians(lat)) + Cos(here_lat) * Cos(Radians(lat)) * Cos(
        Radians(lng) - here_lng
    )
    clamped = Greatest(Least(cosine, Value(1.0)), Value(-1.0))
    return ACos(clamped, output_field=FloatField()) * Value(EARTH_RADIUS_MILES)


def distance_miles_python(a: Point, b: Point) -> float:
    """The same formula in Python, for tests and for one-off distances."""
    la, lb = math.radians(a.latitude), math.radians(b.latitude)
    cosine = math.sin(la) * math.sin(lb) + math.cos(la) * math.cos(lb) * math.cos(
        math.radians(b.longitude - a.longitude)
    )
    return math.acos(max(-1.0, min(1.0, cosine))) * EARTH_RADIUS_MILES
