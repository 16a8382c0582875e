"""The events app's enums, apart so querysets can use them (models import the querysets)."""

from django.db import models


class EventKind(models.TextChoices):
    CANVASSING = "canvassing", "Canvassing / campaign session"
    STREET_STALL = "street_stall", "Street stall"
    RALLY = "rally", "Rally / march"
    VIGIL = "vigil", "Vigil"
    LOBBYING = "lobbying", "Lobbying"
    PUBLIC_MEETING = "public_meeting", "Public meeting / debate"
    HUSTINGS = "hustings", "Hustings"
    TRAINING = "training", "Training"
    SOCIAL = "social", "Social"
    OTHER = "other", "Other"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public: anyone"
    ALLIANCE = "alliance", "Alliance: signed-in members of any group and party staff"
    GROUP = "group", "Group: this group's members only"


class EventStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class RsvpAnswer(models.TextChoices):
    GOING = "going", "Going"
    MAYBE = "maybe", "Maybe"
    NOT_GOING = "not_going", "Not going"
    WAITING = "waiting", "On the waiting list"
