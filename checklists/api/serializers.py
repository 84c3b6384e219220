import json

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from monitoring.models import Election
from reports.api.serializers import PhotoSerializer, SubmissionCreateSerializer, SubmissionOutput
from reports.models import Checklist

from ..answers import answers_check
from ..models import Form, FormVersion
from ..selectors import form_document
from ..services.filing import ChecklistInput


class FormQuerySerializer(serializers.Serializer):
    election = serializers.SlugField(help_text="Election code, e.g. kz-majilis-2021.")

    def validate_election(self, value):
        try:
            return Election.objects.get(code=value)
        except Election.DoesNotExist:
            raise serializers.ValidationError(_("Unknown election.")) from None


class ChoiceSerializer(serializers.Serializer):
    code = serializers.CharField()
    short_code = serializers.CharField(help_text="The answer's code in an SMS.")
    text = serializers.CharField()


class QuestionSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The key of this question's answer: {code: value}.")
    short_code = serializers.CharField(help_text="The question's code in an SMS.")
    type = serializers.ChoiceField(choices=["yes_no", "number", "choice", "text", "photo"])
    text = serializers.CharField()
    help = serializers.CharField(allow_blank=True)
    required = serializers.BooleanField()
    min = serializers.FloatField(allow_null=True, help_text="Number questions: the smallest answer allowed (null: no bound).")
    max = serializers.FloatField(allow_null=True, help_text="Number questions: the largest answer allowed (null: no bound).")
    integer = serializers.BooleanField(allow_null=True, help_text="Number questions: whole numbers only.")
    max_length = serializers.IntegerField(allow_null=True, help_text="Text questions: the longest answer allowed.")
    choices = ChoiceSerializer(many=True, help_text="Choice questions: the answers to choose from (their codes).")
    critical = serializers.ListField(
        child=serializers.JSONField(),
        help_text="Answers that are critical (true/false for yes/no, choice codes): flagged for coordinators.",
    )
    figure = serializers.CharField(allow_null=True, help_text="Results protocol: the figure this number holds (e.g. ballots_cast, votes).")
    party = serializers.CharField(allow_null=True, help_text="Results protocol: the party whose votes this number holds.")


class SectionSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    questions = QuestionSerializer(many=True)


class PartySerializer(serializers.Serializer):
    code = serializers.CharField()
    short_code = serializers.CharField()
    name = serializers.CharField()


class RuleSerializer(serializers.Serializer):
    code = serializers.CharField()
    expression = serializers.CharField(help_text="A QA rule over question codes, e.g. ballots_cast <= ballots_issued.")
    text = serializers.CharField(help_text="What the rule checks, for people.")


class FormSerializer(serializers.Serializer):
    code = serializers.CharField()
    short_code = serializers.CharField(help_text="The form's code in an SMS.")
    phase = serializers.ChoiceField(choices=["opening", "voting", "closing", "counting"])
    version = serializers.IntegerField(help_text="The current version: answers are filed against it (form_version).")
    language = serializers.CharField(help_text="The language of every text below (kk, ru or en).")
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    parties = PartySerializer(many=True, help_text="Results protocol only: the parties, in ballot order.")
    sections = SectionSerializer(many=True)
    rules = RuleSerializer(many=True)


@extend_schema_field({"type": "object", "additionalProperties": True, "description": "{question code: value}"})
class AnswersField(serializers.Field):
    """{question code: value}: a JSON object, or (from a multipart form, beside
    the photos) the text of one."""

    default_error_messages = {"invalid": _('Send the answers as a JSON object: {{"question code": value}}.')}
    MAX_ANSWERS = 500

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, dict) or len(data) > self.MAX_ANSWERS:
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class ChecklistCreateSerializer(SubmissionCreateSerializer):
    conflict_key = "submission"
    conflict_message = _("This checklist was already sent with different content (same client_uuid).")

    form = serializers.SlugField(max_length=63, help_text="The form's code in the election (GET /api/v1/forms/).")
    form_version = serializers.IntegerField(min_value=1, help_text="The version of the form the answers are filed against.")
    answers = AnswersField(help_text="{question code: value}; in a multipart form, this object as JSON text.")
    photos = serializers.ListField(
        child=serializers.FileField(max_length=255, allow_empty_file=False),
        required=False,
        max_length=settings.DATA_UPLOAD_MAX_NUMBER_FILES,
        help_text="Multipart only: repeat the `photos` field for each photo; a photo question's answer is the photo's file name.",
    )

    def check_own_fields(self, attrs) -> dict:
        version = (
            FormVersion.objects.select_related("form")
            .filter(form__election=attrs["election"], form__code=attrs["form"], number=attrs["form_version"])
            .first()
        )
        if version is None:
            if not Form.objects.filter(election=attrs["election"], code=attrs["form"]).exists():
                return {
                    "form": [_("No form %(form)s in election %(election)s.") % {"form": attrs["form"], "election": attrs["election"].code}]
                }
            return {
                "form_version": [_("Form %(form)s has no version %(version)s.") % {"form": attrs["form"], "version": attrs["form_version"]}]
            }
        photos = [upload.name for upload in attrs.get("photos", [])]
        check = answers_check(form_document(version), attrs["answers"], photos=photos)
        if not check.ok:
            return {"answers": check.errors}
        attrs["form_version"] = version
        attrs["answers"] = check.values
        return {}

    def to_input(self) -> ChecklistInput:
        d = self.validated_data
        return ChecklistInput(**self.common(), form_version=d["form_version"], answers=d["answers"])


class ChecklistSerializer(SubmissionOutput, serializers.ModelSerializer):
    form = serializers.CharField(source="filed_answers.form_version.form.code")
    form_version = serializers.IntegerField(source="filed_answers.form_version.number")
    answers = serializers.JSONField(source="filed_answers.answers", help_text="{question code: value}, as checked and stored.")
    photos = PhotoSerializer(source="attachments", many=True)

    class Meta:
        model = Checklist
        fields = [
            "id",
            "client_uuid",
            "election",
            "station",
            "station_name",
            "form",
            "form_version",
            "answers",
            "occurred_at",
            "latitude",
            "longitude",
            "accuracy_m",
            "observer_code",
            "received_at",
            "state",
            "rejection_reasons",
            "flags",
            "geotag",
            "triage_status",
            "risk_score",
            "photos",
            "source",
            "content_sha256",
        ]
