"""What an SMS reply says, in the active language (the caller sets the
observer's). Short: a reply is one or two SMS."""

import datetime as dt
from collections.abc import Mapping, Sequence

from django.utils.translation import gettext

from .codes import Vocabulary


def reference(submission_id) -> str:
    """A submission's short reference: the first 8 characters of its id, upper case
    (a coordinator finds it by searching the id's start)."""
    return str(submission_id)[:8].upper()


def checkin_confirmed(*, checkin_kind: str, station: str, moment: dt.datetime, ref: str) -> str:
    texts = {
        "arrived": gettext("Received: arrived at %(station)s, %(time)s. Ref %(ref)s"),
        "all_quiet": gettext("Received: all quiet at %(station)s, %(time)s. Ref %(ref)s"),
        "left": gettext("Received: left %(station)s, %(time)s. Ref %(ref)s"),
    }
    return texts[checkin_kind] % {"station": station, "time": f"{moment:%H:%M}", "ref": ref}


def incident_confirmed(*, category: str, station: str, moment: dt.datetime, ref: str) -> str:
    return gettext("Received: %(category)s at %(station)s, %(time)s. Ref %(ref)s") % {
        "category": category,
        "station": station,
        "time": f"{moment:%H:%M}",
        "ref": ref,
    }


def station_unknown(station: str) -> str:
    return gettext("station %(station)s is not in this election") % {"station": station}


def checklist_confirmed(*, form: str, station: str, moment: dt.datetime, ref: str) -> str:
    """`form`: the form's short code."""
    return gettext("Received: checklist %(form)s at %(station)s, %(time)s. Ref %(ref)s") % {
        "form": form,
        "station": station,
        "time": f"{moment:%H:%M}",
        "ref": ref,
    }


def protocol_confirmed(*, station: str, moment: dt.datetime, ref: str) -> str:
    return gettext("Received: results protocol of %(station)s, %(time)s. Ref %(ref)s") % {
        "station": station,
        "time": f"{moment:%H:%M}",
        "ref": ref,
    }


def form_not_in_election(form: str) -> str:
    return gettext("form %(form)s is not in this election") % {"form": form}


def answers_refused(*, invalid: Sequence[tuple[str, str]], missing: Sequence[str]) -> str:
    """What is wrong with a checklist's answers, each question by its short code:
    `invalid` (short code, the answer check's message), then the required
    questions left unanswered (`missing`)."""
    parts = [f"{short}: {problem}" for short, problem in invalid]
    if missing:
        parts.append(gettext("Required, not answered: %(list)s.") % {"list": ", ".join(missing)})
    parts.append(gettext("Nothing was filed."))
    return " ".join(parts)


def unknown_sender() -> str:
    return gettext("This number is not registered with an accredited observer organization. Nothing was filed.")


def help_text(*, vocabulary: Vocabulary, category_names: Mapping[str, str], topic: str = "") -> str:
    """The codes (topic ""), the categories' short codes with their names (R;
    `category_names`: code -> name), or the forms' and parties' short codes
    (C, P). Apart, so that each answer stays a few SMS long."""
    if topic == "R":
        categories = ", ".join(f"{short} {category_names.get(code, code)}" for short, code in vocabulary.categories.items())
        return gettext("Categories: %(list)s") % {"list": categories}
    if topic in ("C", "P"):
        lines = [gettext("Forms: %(list)s") % {"list": ", ".join(vocabulary.forms)}]
        protocol = vocabulary.protocol
        if protocol is not None:
            lines.append(gettext("Parties: %(list)s") % {"list": ", ".join(protocol.parties)})
        return "\n".join(lines)
    return "\n".join(help_lines())


def help_lines() -> list[str]:
    """The codes, one kind of message a line: the HELP reply, and the SMS card
    printed beside each badge (sms.badges)."""
    return [
        gettext("A 02001 arrived; Q 02001 all quiet; L 02001 left"),
        gettext("R 02001 BS 0930 text: incident (time optional)"),
        gettext("C 02001 OP A1 Y A2 7: checklist; P 02001 NO 1234: protocol"),
        gettext("HELP R: categories; HELP C: forms"),
    ]
