from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from monitoring.models import Election


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
