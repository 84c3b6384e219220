from django import forms
from django.utils.translation import gettext_lazy as _


class ActivationForm(forms.Form):
    code = forms.CharField(
        label=_("Activation code"),
        max_length=40,
        help_text=_("The code printed under the QR code of your badge, e.g. K7QF-93XB-2MWD."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    device_label = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)
