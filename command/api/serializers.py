"""The coverage API's query and answer. The answer is built from the
computed `Coverage` (command.coverage); these serializers shape it and
document it in the OpenAPI schema."""

import datetime as dt
import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from monitoring.localtime import format_utc
from monitoring.models import Election

from ..coverage import Coverage, ObserverCoverage, State


class CoverageQuerySerializer(serializers.Serializer):
    election = serializers.SlugField(help_text="Election code, e.g. kz-majilis-2021.")
    at = serializers.CharField(
        required=False,
        max_length=40,
        help_text="The clock time to compute the coverage at (ISO 8601 with offset); default: now. What was sent later is left out.",
    )

    def validate_election(self, value):
        try:
            return Election.objects.get(code=value)
        except Election.DoesNotExist:
            raise serializers.ValidationError(_("Unknown election.")) from None

    def validate_at(self, value):
        # An unencoded "+06:00" in a query string arrives as " 06:00".
        value = re.sub(r" (\d\d:?\d\d)$", r"+\1", value.strip())
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise serializers.ValidationError(_("Use an ISO 8601 time with its UTC offset, e.g. 2021-01-10T08:00:00+06:00.")) from None
        if moment.tzinfo is None:
            raise serializers.ValidationError(_("Give the time with its UTC offset."))
        return moment


class CountsSerializer(serializers.Serializer):
    planned = serializers.IntegerField(help_text="Stations in the plan.")
    arrived = serializers.IntegerField(help_text="Stations where an observer of the plan has arrived.")
    reporting = serializers.IntegerField(help_text="Stations with a present observer who sent something after arriving, not silent.")
    silent = serializers.IntegerField(help_text="Stations whose present observers are all silent.")
    missing = serializers.IntegerField(help_text="Stations without an arrival COVERAGE_MISSING_AFTER_MINUTES into a shift.")


class RegionCountsSerializer(CountsSerializer):
    code = serializers.CharField()


class ObserverCoverageSerializer(serializers.Serializer):
    public_code = serializers.CharField()
    state = serializers.ChoiceField(choices=[s.value for s in State])
    since = serializers.CharField(
        allow_null=True, help_text="Since when: silent since the last submission, missing since the shift's start."
    )
    station = serializers.CharField(help_text="The post the state is about (empty for a mobile team).")
    region = serializers.CharField()
    shift_start = serializers.CharField(allow_null=True)
    shift_end = serializers.CharField(allow_null=True)
    last_seen_at = serializers.CharField(allow_null=True)
    last_station = serializers.CharField(allow_null=True)
    last_distance_m = serializers.FloatField(allow_null=True, help_text="From the fix of the last submission to its station.")
    next_shift_station = serializers.CharField(allow_null=True)
    next_shift_start = serializers.CharField(allow_null=True)
    contact_outcome = serializers.CharField(allow_null=True, help_text="The latest contact attempt: reached, unreachable or note.")
    contact_at = serializers.CharField(allow_null=True)
    unreachable = serializers.BooleanField(help_text="The latest contact found them unreachable and they have not checked in since.")


class CoverageSerializer(serializers.Serializer):
    as_of = serializers.CharField()
    totals = CountsSerializer()
    regions = RegionCountsSerializer(many=True)
    observers = ObserverCoverageSerializer(many=True)


def _utc(moment):
    return format_utc(moment) if moment is not None else None


def observer_row(o: ObserverCoverage) -> dict:
    seen, contact = o.last_seen, o.contact
    return {
        "public_code": o.public_code,
        "state": str(o.state),
        "since": _utc(o.since),
        "station": o.station_code,
        "region": o.region_code,
        "shift_start": _utc(o.shift_start),
        "shift_end": _utc(o.shift_end),
        "last_seen_at": _utc(seen.at) if seen else None,
        "last_station": seen.station_code if seen else None,
        "last_distance_m": round(seen.distance_m, 1) if seen and seen.distance_m is not None else None,
        "next_shift_station": o.next_shift_station or None,
        "next_shift_start": _utc(o.next_shift_start),
        "contact_outcome": contact.outcome if contact else None,
        "contact_at": _utc(contact.at) if contact else None,
        "unreachable": o.unreachable,
    }


def coverage_payload(coverage: Coverage) -> dict:
    return {
        "as_of": format_utc(coverage.as_of),
        "totals": vars(coverage.totals),
        "regions": [{"code": code, **vars(counts)} for code, counts in coverage.regions],
        "observers": [observer_row(o) for o in coverage.observers],
    }
