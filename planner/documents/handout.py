"""The after-care handout of a signed session: one printable page for the patient, in plain language.

Every sentence comes from the reference data (planner.models.cycle.HandoutText) with its sources;
the handout only fills in the clinic's phone number (settings.CLINIC_PHONE) and the date the next
session is due, and lists the muscles injected in words (no doses, no unit table). Sentences are
picked for the session's product: a sentence without a product is for every product. Where the
reference data says nothing for a product (Myobloc's onset, for example), the handout says nothing.

`build_handout` is pure; `handout_for_session` reads the rows. `reading_grade` is the Flesch-Kincaid
grade the tests hold the handout to (patient materials aim for grade 8 or below).
"""

import re
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Prefetch, Q

from patients.sides import BOTH_SIDES
from planner.clinic.worklist import due_for
from planner.models import HandoutText, ProductLimit, Source
from planner.reference.selectors import policy_values

SECTIONS = (
    ("intro", "What was done today"),
    ("timing", "When it works"),
    ("expected", "What to expect"),
    ("not_expected", "What it does not do"),
    ("warning", "Get help at once"),
    ("contact", "Whom to call"),
    ("next", "Your next visit"),
)
NO_PHONE = "the number your clinic gave you"


@dataclass(frozen=True)
class Text:
    """A reference sentence as plain data."""

    code: str
    section: str
    text: str
    sources: tuple
    verification: str
    reviewed: bool
    position: int = 0


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    sentences: tuple  # Text, with the placeholders filled in


@dataclass(frozen=True)
class Handout:
    muscles: tuple  # "the splenius capitis, on both sides"
    sections: tuple
    next_due: date | None
    clinic_phone: str
    unreviewed: tuple  # codes of sentences no reference admin has reviewed yet
    sources: tuple  # (code, citation) of every source the sentences cite

    @property
    def text(self):
        """Every sentence of the handout, in order (what the reading grade is measured on)."""
        return " ".join(sentence.text for section in self.sections for sentence in section.sentences)


def muscles_in_words(rows):
    """'the splenius capitis, on both sides', in plan order; ``rows`` are (muscle name, side)."""
    sides = {}
    for name, side in rows:
        sides.setdefault(name, set()).add(side)
    words = []
    for name, on in sides.items():
        where = "on both sides" if on == BOTH_SIDES else f"on the {next(iter(on))} side"
        words.append(f"the {name[:1].lower()}{name[1:]}, {where}")
    return tuple(words)


def build_handout(*, texts, muscles, clinic_phone, next_due, sources=()):
    """The Handout from the product's sentences (``texts``: Text, already chosen for the product)."""
    due_text = f"{next_due:%A %d %B %Y}" if next_due else "the date your doctor gives you"
    filled = {
        "{clinic_phone}": clinic_phone or NO_PHONE,
        "{next_due}": due_text,
    }
    sections = []
    for key, title in SECTIONS:
        chosen = sorted((t for t in texts if t.section == key), key=lambda t: (t.position, t.code))
        sentences = []
        for text in chosen:
            body = text.text
            for token, value in filled.items():
                body = body.replace(token, value)
            sentences.append(Text(**{**text.__dict__, "text": body}))
        if sentences:
            sections.append(Section(key, title, tuple(sentences)))
    return Handout(
        muscles=tuple(muscles),
        sections=tuple(sections),
        next_due=next_due,
        clinic_phone=clinic_phone,
        unreviewed=tuple(t.code for t in texts if not t.reviewed),
        sources=tuple(sources),
    )


def handout_texts(product):
    """The active handout sentences for ``product`` (its own and those for every product) as Text."""
    rows = (
        HandoutText.objects.filter(is_active=True)
        .filter(Q(product=product) | Q(product__isnull=True))
        .exclude(section=HandoutText.Section.NON_RESPONSE)
        .prefetch_related(Prefetch("sources", queryset=Source.objects.only("id", "code", "citation")))
    )
    texts, sources = [], {}
    for row in rows:
        cited = sorted(row.sources.all(), key=lambda source: source.code)
        sources.update({source.code: source.citation for source in cited})
        texts.append(
            Text(
                code=row.code,
                section=row.section,
                text=row.text,
                sources=tuple(source.code for source in cited),
                verification=row.verification,
                reviewed=row.reviewed_by_id is not None,
                position=row.position,
            )
        )
    return texts, tuple(sorted(sources.items()))


def next_due(session):
    """When the next session is due: the planned interval, else the product's minimum, else the clinic's usual."""
    minimum = session.product.effective_limit(ProductLimit.Kind.MIN_INTERVAL_WEEKS).value
    return due_for(
        last_session=session.visit.date,
        product_name=session.product.brand_name,
        minimum_weeks=minimum,
        planned_weeks=session.planned_interval_weeks,
        policy=policy_values() if minimum is None and session.planned_interval_weeks is None else None,
    ).due


def handout_for_session(session):
    """The Handout of a signed session (its rows, the product's limits and sentences: a few queries)."""
    rows = session.injections.filter(dose__isnull=False).select_related("muscle").order_by("position", "pk")
    muscles = muscles_in_words((row.muscle.name, row.side) for row in rows)
    texts, sources = handout_texts(session.product)
    return build_handout(
        texts=texts,
        muscles=muscles,
        clinic_phone=getattr(settings, "CLINIC_PHONE", ""),
        next_due=next_due(session),
        sources=sources,
    )


# --- readability -------------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|\d+")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")


def syllables(word):
    """Syllables of an English word by vowel groups (the usual heuristic; a number counts as one)."""
    word = word.lower()
    if word.isdigit():
        return 1
    count = len(_VOWEL_GROUPS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1  # a silent final e: "time", "wears"
    if word.endswith(("ed", "es")) and len(word) > 3 and word[-3] not in "aeiouydt" and count > 1:
        count -= 1  # "helped", "makes"
    return max(count, 1)


def reading_grade(text):
    """Flesch-Kincaid grade level: 0.39 × words per sentence + 11.8 × syllables per word − 15.59."""
    words = _WORD.findall(text)
    if not words:
        return 0.0
    sentences = max(len(_SENTENCE_END.findall(text)), 1)
    total = sum(syllables(word) for word in words)
    return 0.39 * len(words) / sentences + 11.8 * total / len(words) - 15.59
