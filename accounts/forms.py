from django import forms

from accounts.models import User
from alliance.forms import LabelledChoicesMixin


class ProfileForm(LabelledChoicesMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["name"]
        labels = {"name": "Your name"}
        help_texts = {"name": "Shown to other organisers and to groups you join."}
