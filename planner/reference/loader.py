"""Load the shipped reference set into the reference tables: an idempotent upsert by natural key.

The shipped set is clinical-reference.yaml (copied, as it stands, from the clinical research notes)
plus curation.yaml (what that file says only in comments, written out as data). `build_rows` turns
them into one list of plain row dicts per table, and `load_reference` writes those rows:

- a row that does not exist yet is created;
- a row whose values equal the shipped ones is unchanged;
- a row a reference admin has edited since it was loaded (its values no longer hash to the
  `loaded_hash` the loader wrote) is kept as the admin left it, unless ``force``;
- any other row takes the shipped values, and loses its clinician review: a review vouches for
  the values it saw;
- a row loaded before but no longer shipped is deactivated, never deleted (records point at it).

Everything happens in one transaction: bad shipped data loads nothing.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import models, transaction

from patients import colcap
from planner import models as ref
from planner.reference import version as reference_version

HERE = Path(__file__).resolve().parent
CLINICAL_REFERENCE = HERE / "clinical-reference.yaml"
CURATION = HERE / "curation.yaml"

FLAGS = {
    "V": ref.Verification.VERIFIED,
    "P": ref.Verification.PARTLY_VERIFIED,
    "C": ref.Verification.COMPUTED,
    "U": ref.Verification.UNVERIFIED,
}
PATTERN_LEVELS = {"shoulder_girdle": ref.PosturePattern.Level.SHOULDER}
SOURCE_CODE = re.compile(r"\b[A-Z]+\d+[a-z]?\b")
PRESENTATION_UNITS = re.compile(r"^\s*(\d+)\s*U\s*/")


class ReferenceDataError(Exception):
    """The shipped data is inconsistent: nothing was loaded."""


@dataclass(frozen=True)
class Table:
    """One reference table: its natural key and the fields the shipped set fills in.

    Relation fields hold the related row's ``code``; many-to-many fields a list of codes.
    """

    model: type[models.Model]
    key: tuple[str, ...]
    fields: tuple[str, ...]
    m2m: tuple[str, ...] = ("sources",)

    @property
    def name(self):
        return self.model._meta.object_name

    def relation(self, name):
        model_field = self.model._meta.get_field(name)
        return model_field.related_model if model_field.is_relation else None


TABLES = (
    Table(ref.Source, ("code",), ("code", "citation", "url"), m2m=()),
    Table(ref.Muscle, ("code",), ("code", "name", "group", "depth", "guidance", "notes", "caution", "verification")),
    Table(
        ref.PosturePattern,
        ("code",),
        ("code", "name", "plane", "level", "directions", "joints", "definition", "verification"),
    ),
    Table(ref.PatternComponent, ("combined", "component"), ("combined", "component", "side", "verification")),
    Table(
        ref.SuggestionRule,
        ("pattern", "muscle", "side"),
        ("pattern", "muscle", "side", "priority", "needs_review", "note", "verification"),
    ),
    Table(
        ref.Product,
        ("code",),
        (
            "code",
            "generic_name",
            "brand_name",
            "toxin_type",
            "vial_sizes",
            "form",
            "form_note",
            "concentration_units_per_ml",
            "presentation_note",
            "notes",
            "verification",
        ),
    ),
    Table(
        ref.ProductLimit,
        ("product", "kind", "jurisdiction"),
        (
            "product",
            "kind",
            "jurisdiction",
            "value",
            "value_upper",
            "period_weeks",
            "note",
            "clinic_policy",
            "verification",
        ),
    ),
    Table(
        ref.DoseGuideline,
        ("product", "muscle", "kind"),
        (
            "product",
            "muscle",
            "kind",
            "min_units",
            "max_units",
            "median_units",
            "iqr_low",
            "iqr_high",
            "iqr_verification",
            "per_site_min",
            "per_site_max",
            "typical_sites",
            "per",
            "context",
            "note",
            "verification",
        ),
    ),
    Table(
        ref.DiluentVolume,
        ("product", "vial_units", "diluent_ml"),
        ("product", "vial_units", "diluent_ml", "note", "verification"),
    ),
    Table(
        ref.Caution,
        ("code",),
        ("code", "muscle", "pattern", "threshold_units", "text", "clinic_policy", "verification"),
        m2m=("sources", "products"),
    ),
    Table(ref.PolicySetting, ("code",), ("code", "value", "note", "verification")),
    Table(
        ref.ConditionCode,
        ("code",),
        ("code", "name", "kind", "level", "per_product", "message", "clinic_policy", "verification"),
        m2m=("sources", "products"),
    ),
    Table(
        ref.PostureContradiction,
        ("first", "second", "relation"),
        ("first", "second", "relation", "reason", "clinic_policy", "verification"),
    ),
)
TABLE_BY_MODEL = {table.model: table for table in TABLES}


# --- reading the shipped files --------------------------------------------------------------


def read_shipped(clinical_reference=CLINICAL_REFERENCE, curation=CURATION):
    with open(clinical_reference, encoding="utf-8") as data, open(curation, encoding="utf-8") as extra:
        return yaml.safe_load(data), yaml.safe_load(extra)


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _flag(code, where):
    try:
        return FLAGS[code]
    except KeyError:
        raise ReferenceDataError(f"{where}: unknown flag {code!r} (expected one of V, P, C, U)") from None


def _range(value):
    """A number or a [low, high] pair, as (low, high)."""
    if value is None:
        return None, None
    if isinstance(value, list):
        low, high = value
        return low, high
    return value, value


def build_rows(data, curation):
    """The shipped set as {Table: [row dict, ...]}: plain data, no database."""
    sources = {**data["sources"], **curation["extra_sources"]}
    known_sources = set(sources)

    def cited(*texts):
        return [code for text in texts if text for code in SOURCE_CODE.findall(text) if code in known_sources]

    rows = {table: [] for table in TABLES}
    by_model = {table.model: rows[table] for table in TABLES}

    for code, source in sources.items():
        by_model[ref.Source].append({"code": code, "citation": source["title"], "url": source.get("url") or ""})

    for muscle in data["muscles"]:
        by_model[ref.Muscle].append(
            {
                "code": muscle["code"],
                "name": muscle["name"],
                "group": muscle["group"],
                "depth": muscle["depth"],
                "guidance": muscle["guidance_recommended"],
                "notes": muscle.get("note") or "",
                "caution": muscle.get("caution") or "",
                "verification": _flag(muscle["flag"], f"muscle {muscle['code']}"),
                "sources": sorted(
                    set(curation["muscle_guidance_sources"]) | set(cited(muscle.get("note"), muscle.get("caution")))
                ),
            }
        )

    for pattern in data["patterns"]:
        code = pattern["code"]
        if code not in colcap.BY_CODE:
            raise ReferenceDataError(f"pattern {code}: not a Col-Cap component code (patients/colcap.py)")
        flag = _flag(pattern["flag"], f"pattern {code}")
        by_model[ref.PosturePattern].append(
            {
                "code": code,
                "name": pattern["name"],
                "plane": pattern.get("plane") or "",
                "level": PATTERN_LEVELS.get(pattern["level"], pattern["level"]),
                "directions": ref.PosturePattern.Directions.LEFT_RIGHT
                if colcap.BY_CODE[code].lateral
                else ref.PosturePattern.Directions.NONE,
                "joints": pattern.get("joints") or "",
                "definition": pattern["definition"],
                "verification": flag,
                "sources": list(pattern["sources"]),
            }
        )
        for component in pattern.get("components", []):
            by_model[ref.PatternComponent].append(
                {
                    "combined": code,
                    "component": component["pattern"],
                    "side": component["side"],
                    "verification": flag,
                    "sources": list(pattern["sources"]),
                }
            )

    for rule in data["rules"]:
        where = f"rule {rule['pattern']} / {rule['muscle']} / {rule['side']}"
        flag = _flag(rule["flag"], where)
        rule_sources = list(rule["sources"])
        if not rule_sources:
            if flag != ref.Verification.UNVERIFIED:
                raise ReferenceDataError(f"{where}: no source, yet flagged {rule['flag']}")
            rule_sources = [curation["unsourced_rules_cite"]]
        by_model[ref.SuggestionRule].append(
            {
                "pattern": rule["pattern"],
                "muscle": rule["muscle"],
                "side": rule["side"],
                "priority": rule["priority"],
                "needs_review": bool(rule.get("needs_review", False)),
                "note": rule.get("note") or "",
                "verification": flag,
                "sources": rule_sources,
            }
        )

    for product in data["products"]:
        code = product["code"]
        vial_sizes = product.get("vial_units")
        if vial_sizes is None:
            # A solution lists its presentations instead: "2500 U/0.5 mL".
            matches = [PRESENTATION_UNITS.match(text) for text in product.get("presentations", [])]
            if not matches or not all(matches):
                raise ReferenceDataError(f"product {code}: no vial sizes")
            vial_sizes = [int(match.group(1)) for match in matches]
        by_model[ref.Product].append(
            {
                "code": code,
                "generic_name": product["name"],
                "brand_name": product["brand"],
                "toxin_type": product["serotype"],
                "vial_sizes": vial_sizes,
                "form": ref.Product.Form.SOLUTION if "solution" in product["form"] else ref.Product.Form.POWDER,
                "form_note": product["form"],
                "concentration_units_per_ml": product.get("concentration_units_per_ml"),
                "presentation_note": ", ".join(product.get("presentations", [])),
                "notes": curation["product_notes"].get(code, ""),
                "verification": _flag(curation["product_flags"][code], f"product {code}"),
                "sources": list(product["sources"]),
            }
        )

    for limit in curation["product_limits"]:
        where = f"limit {limit['product']} {limit['kind']} {limit['jurisdiction']}"
        by_model[ref.ProductLimit].append(
            {
                "product": limit["product"],
                "kind": limit["kind"],
                "jurisdiction": limit["jurisdiction"],
                "value": limit.get("value"),
                "value_upper": limit.get("value_upper"),
                "period_weeks": limit.get("period_weeks"),
                "note": limit.get("note") or "",
                "clinic_policy": bool(limit.get("clinic_policy", False)),
                "verification": _flag(limit["flag"], where),
                "sources": list(limit["sources"]),
            }
        )

    for dose in data["doses"]:
        where = f"dose {dose['product']} {dose['muscle']} {dose['kind']}"
        per_site_min, per_site_max = _range(dose.get("per_site"))
        iqr_low, iqr_high = _range(dose.get("iqr"))
        by_model[ref.DoseGuideline].append(
            {
                "product": dose["product"],
                "muscle": dose["muscle"],
                "kind": dose["kind"],
                "min_units": dose.get("min"),
                "max_units": dose.get("max"),
                "median_units": dose.get("median"),
                "iqr_low": iqr_low,
                "iqr_high": iqr_high,
                "iqr_verification": _flag(dose["iqr_flag"], where) if dose.get("iqr_flag") else "",
                "per_site_min": per_site_min,
                "per_site_max": per_site_max,
                "typical_sites": dose.get("typical_sites"),
                "per": dose.get("per") or "",
                "context": dose.get("context") or "",
                "note": dose.get("note") or "",
                "verification": _flag(dose["flag"], where),
                "sources": _as_list(dose["source"]),
            }
        )

    for volume in data["dilution"]["table"]:
        where = f"dilution {volume['product']} {volume['vial_units']} U {volume['diluent_ml']} mL"
        by_model[ref.DiluentVolume].append(
            {
                "product": volume["product"],
                "vial_units": volume["vial_units"],
                "diluent_ml": volume["diluent_ml"],
                "note": volume.get("note") or "",
                "verification": _flag(volume["flag"], where),
                "sources": _as_list(volume["source"]),
            }
        )

    for warning in data["warnings"]:
        code = warning["code"]
        by_model[ref.Caution].append(
            {
                "code": code,
                "products": _as_list(warning.get("product")),
                "muscle": warning.get("muscle"),
                "pattern": warning.get("pattern"),
                "threshold_units": curation["caution_thresholds"].get(code),
                "text": warning["rule"],
                "clinic_policy": False,
                "verification": _flag(warning["flag"], f"caution {code}"),
                "sources": _as_list(warning["source"]),
            }
        )
    for caution in curation["extra_cautions"]:
        code = caution["code"]
        by_model[ref.Caution].append(
            {
                "code": code,
                "products": _as_list(caution["product"]),
                "muscle": caution.get("muscle"),
                "pattern": caution.get("pattern"),
                "threshold_units": caution.get("threshold"),
                "text": caution["rule"],
                "clinic_policy": bool(caution.get("clinic_policy", False)),
                "verification": _flag(caution["flag"], f"caution {code}"),
                "sources": list(caution["sources"]),
            }
        )

    for setting in curation["policy_settings"]:
        code = setting["code"]
        by_model[ref.PolicySetting].append(
            {
                "code": code,
                "value": setting["value"],
                "note": setting["note"],
                "verification": _flag(setting["flag"], f"policy setting {code}"),
                "sources": list(setting["sources"]),
            }
        )

    for entry in curation.get("condition_codes", []):
        code = entry["code"]
        by_model[ref.ConditionCode].append(
            {
                "code": code,
                "name": entry["name"],
                "kind": entry["kind"],
                "level": entry["level"],
                "per_product": bool(entry.get("per_product", False)),
                "message": entry["message"],
                "clinic_policy": bool(entry.get("clinic_policy", False)),
                "verification": _flag(entry["flag"], f"condition {code}"),
                "sources": list(entry["sources"]),
                "products": _as_list(entry.get("products")),
            }
        )
    for entry in curation.get("posture_contradictions", []):
        where = f"posture contradiction {entry['first']} / {entry['second']}"
        for component in (entry["first"], entry["second"]):
            if component not in colcap.BY_CODE:
                raise ReferenceDataError(f"{where}: {component} is not a Col-Cap component code (patients/colcap.py)")
        by_model[ref.PostureContradiction].append(
            {
                "first": entry["first"],
                "second": entry["second"],
                "relation": entry["relation"],
                "reason": entry["reason"],
                "clinic_policy": bool(entry.get("clinic_policy", False)),
                "verification": _flag(entry["flag"], where),
                "sources": list(entry["sources"]),
            }
        )

    for table_rows in rows.values():
        for row in table_rows:
            row["is_active"] = True
    return rows


# --- comparing rows -------------------------------------------------------------------------


def canonical(value):
    """One spelling per value, so 100, 100.0 and Decimal("100.00") compare (and hash) equal."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return format(Decimal(str(value)).normalize(), "f")
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    raise TypeError(f"cannot compare {value!r}")


# Fields added after rows were first loaded, left out of the fingerprint while they hold their default:
# the rows loaded before keep their hash, so the loader still tells them from rows an admin edited.
LATER_FIELD_DEFAULTS = {"clinic_policy": False}


def fingerprint(values):
    """SHA-256 of a row's curated values (fields, relation codes, sorted source codes, active flag)."""
    values = {
        name: value
        for name, value in values.items()
        if name not in LATER_FIELD_DEFAULTS or value != LATER_FIELD_DEFAULTS[name]
    }
    text = json.dumps({name: canonical(value) for name, value in values.items()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def shipped_values(table, row):
    return {name: sorted(row[name]) if name in table.m2m else row[name] for name in (*table.fields, *table.m2m)} | {
        "is_active": row["is_active"]
    }


def current_values(table, instance):
    """The same dict as `shipped_values`, read from a row (relations and m2m must be prefetched)."""
    values = {}
    for name in table.fields:
        if table.relation(name):
            related = getattr(instance, name)
            values[name] = related.code if related is not None else None
        else:
            values[name] = getattr(instance, name)
    for name in table.m2m:
        values[name] = sorted(item.code for item in getattr(instance, name).all())
    values["is_active"] = instance.is_active
    return values


def natural_key(table, values):
    return tuple(canonical(values[name]) for name in table.key)


def queryset(table):
    rows = table.model.objects.prefetch_related(*table.m2m)
    relations = [name for name in table.fields if table.relation(name)]
    return rows.select_related(*relations) if relations else rows


# --- writing --------------------------------------------------------------------------------


@dataclass
class TableReport:
    name: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: list = field(default_factory=list)
    deactivated: int = 0

    def summary(self):
        return (
            f"{self.name}: {self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.kept)} kept (edited locally), {self.deactivated} deactivated"
        )


class _Writer:
    def __init__(self, *, force, reason):
        self.force = force
        self.reason = reason
        self.codes = {}  # model -> {code: row}, read once per related table

    def lookup(self, model, code, where):
        if model not in self.codes:
            self.codes[model] = {row.code: row for row in model.objects.all()}
        try:
            return self.codes[model][code]
        except KeyError:
            raise ReferenceDataError(f"{where}: unknown {model._meta.verbose_name} code {code!r}") from None

    def load(self, table, rows):
        report = TableReport(table.model._meta.verbose_name_plural.capitalize())
        instances = list(queryset(table))
        # A loaded row is known by the key it was loaded with, even if an admin has changed it since;
        # a row an admin created, by its current key.
        existing = {
            natural_key(table, current_values(table, instance)): instance
            for instance in instances
            if not instance.loaded_key
        }
        existing |= {tuple(json.loads(instance.loaded_key)): instance for instance in instances if instance.loaded_key}
        shipped_keys = set()
        for row in rows:
            key = natural_key(table, row)
            if key in shipped_keys:
                raise ReferenceDataError(f"{table.name} {'/'.join(map(str, key))}: shipped twice")
            shipped_keys.add(key)
            values = shipped_values(table, row)
            instance = existing.get(key)
            if instance is None:
                self.write(table, table.model(), values, created=True)
                report.created += 1
                continue
            current_hash = fingerprint(current_values(table, instance))
            shipped_hash = fingerprint(values)
            if current_hash == shipped_hash:
                if instance.loaded_hash != shipped_hash or instance.loaded_key != json.dumps(key):
                    instance.loaded_hash, instance.loaded_key = shipped_hash, json.dumps(key)
                    instance.save_without_historical_record(update_fields=["loaded_hash", "loaded_key"])
                report.unchanged += 1
            elif current_hash != instance.loaded_hash and not self.force:
                report.kept.append(key)
            else:
                self.write(table, instance, values, created=False)
                report.updated += 1
        for key, instance in existing.items():
            if key in shipped_keys or not instance.loaded_hash or not instance.is_active:
                continue  # still shipped, created by an admin, or already inactive
            values = current_values(table, instance)
            if fingerprint(values) != instance.loaded_hash and not self.force:
                report.kept.append(key)
                continue
            self.write(table, instance, values | {"is_active": False}, created=False)
            report.deactivated += 1
        return report

    def write(self, table, instance, values, *, created):
        where = f"{table.name} {'/'.join(str(values[name]) for name in table.key)}"
        for name in table.fields:
            value = values[name]
            related = table.relation(name)
            if related is not None:
                value = None if value is None else self.lookup(related, value, where)
            elif value is not None and isinstance(table.model._meta.get_field(name), models.DecimalField):
                value = Decimal(str(value))
            setattr(instance, name, value)
        instance.is_active = values["is_active"]
        instance.loaded_hash = fingerprint(values)
        instance.loaded_key = json.dumps(natural_key(table, values))
        if not created and isinstance(instance, ref.Sourced):
            instance.reviewed_by = None
            instance.reviewed_at = None
        related_rows = {
            name: [self.lookup(table.relation(name), code, where) for code in values[name]] for name in table.m2m
        }
        try:
            # Related rows were just looked up by code, and the database checks uniqueness and the
            # constraints; re-checking them here would cost a query each per row.
            relations = [name for name in table.fields if table.relation(name)]
            instance.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)
            if isinstance(instance, ref.Sourced):
                instance.clean_related(related_rows)
        except ValidationError as error:
            raise ReferenceDataError(f"{where}: {error.message_dict}") from None
        instance._change_reason = self.reason
        if created and related_rows:
            self.create_with_relations(instance, related_rows)
            return
        instance.save()
        for name, wanted in related_rows.items():
            if sorted(item.code for item in getattr(instance, name).all()) != values[name]:
                instance._change_reason = self.reason
                getattr(instance, name).set(wanted)

    @staticmethod
    def create_with_relations(instance, related_rows):
        """A new row and its links (sources, muscles) as one history record and one audit entry, taken once
        the links are in place, rather than a "created" record without them and a "changed" one adding them:
        half the history and audit writes on a first load, and the creation record shows the whole row."""
        instance.skip_history_when_saving = True
        try:
            instance.save()
            for name, wanted in related_rows.items():
                getattr(instance, name).set(wanted)
        finally:
            del instance.skip_history_when_saving
        # simple-history records a creation from post_save; the signal is sent again now that the row is whole.
        models.signals.post_save.send(
            sender=type(instance),
            instance=instance,
            created=True,
            update_fields=None,
            raw=False,
            using=instance._state.db,
        )


def load_reference(*, force=False, clinical_reference=CLINICAL_REFERENCE, curation=CURATION):
    """Write the shipped set; returns (version, [TableReport, ...])."""
    from planner.reference.cycle_loader import CYCLE_TABLES, cycle_rows, read_cycle

    data, extra = read_shipped(clinical_reference, curation)
    version = str(data["meta"]["version"])
    rows = build_rows(data, extra)
    # The end-of-cycle tables (billing codes, prices, handout, response policy): cycle-reference.yaml.
    more_rows, more_sources = cycle_rows(read_cycle())
    rows[TABLES[0]] = [*rows[TABLES[0]], *more_sources]
    rows |= more_rows
    writer = _Writer(force=force, reason=f"loadreference {version}")
    with transaction.atomic():
        with reference_version.bumped_once():
            reports = [writer.load(table, rows[table]) for table in (*TABLES, *CYCLE_TABLES)]
        # The worklist's due dates follow the products' minimum intervals, and settle rows that have none yet.
        from planner.clinic.worklist import resettle_due_dates

        resettle_due_dates()
    return version, reports
