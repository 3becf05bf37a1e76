from django.conf import settings
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from patients.audit.services import log_access
from patients.chart import fragment_key
from patients.sides import BOTH_SIDES, SIDE_CHOICES
from planner.cycle.history import cycle_panel_context
from planner.cycle.selectors import cycle_record_context
from planner.documents.diagram import DiagramMark, neck_diagram_svg
from planner.models import InjectionSession, Muscle
from planner.plans import selectors, services
from planner.plans.editor import editor_diagram, last_doses, plan_status
from planner.plans.forms import AddMuscleForm, AmendForm, PlanForm, PreparationForm, RowForm, RowFormSet, SignForm
from planner.plans.history import last_sessions_with_events
from planner.rules import safety

GET_POST = require_http_methods(["GET", "POST"])


# --- Injection plans ---------------------------------------------------------------------------
# One helper per object: check the permission for the action, then load the session.


def _session(request, pk, permission="planner.view_injectionsession"):
    if not request.user.has_perm(permission):
        raise PermissionDenied
    try:
        return selectors.session_for_view(pk)
    except InjectionSession.DoesNotExist:
        raise Http404("No such injection session.") from None


def _newest_version(session):
    """Follow amendments to the newest version of a visit's plan."""
    while (amendment := selectors.amendment_of(session)) is not None:
        session = amendment
    return session


def _apply(form, error):
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _rows_from_formset(formset):
    """Cleaned rows the user kept, as services.RowInput."""
    return [
        services.RowInput(
            muscle=form.cleaned_data["muscle"],
            side=form.cleaned_data["side"],
            dose=form.cleaned_data.get("dose"),
            sites=form.cleaned_data["sites"],
            guidance=form.cleaned_data["guidance"],
        )
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("remove")
    ]


def _safety_rows(rows):
    return [
        safety.InjectionRow(
            muscle_code=row.muscle.code, side=row.side, dose=row.dose, sites=row.sites, guidance=row.guidance
        )
        for row in rows
    ]


def _initial_forms(session):
    plan_form = PlanForm(
        initial={
            "product": session.product_id,
            "doses_product": session.product_id or "",
            "default_guidance": session.default_guidance,
            "version": session.version,
        }
    )
    formset = RowFormSet(
        prefix="rows",
        initial=[
            {"muscle": row.muscle_id, "side": row.side, "dose": row.dose, "sites": row.sites, "guidance": row.guidance}
            for row in session.injections.all()
        ],
    )
    return plan_form, formset


DOSE_KINDS = {
    "trial_observed": "Seen in a pivotal trial",
    "label_table": "Label table",
    "expert_example": "Expert example",
}


# The badge for a rule that is not fully verified: (Bootstrap classes, words).
VERIFICATION_BADGES = {
    "unverified": ("text-bg-warning", "unverified"),
    "partly_verified": ("text-bg-light border", "partly verified"),
}


def _suggestion_rows(candidates, product, planned):
    """What the editor shows per candidate, as text; every dose range spelled out in the product's units.

    Composed here rather than in the template: two dozen candidates, each with its reasons and ranges,
    were most of the editor's template time.
    """
    shown = selectors.as_product(product) if product is not None else None
    items = []
    for candidate in candidates:
        name = f"{candidate.side} {candidate.muscle_name.lower()}"  # "left sternocleidomastoid"
        items.append(
            {
                "name": name[:1].upper() + name[1:],
                "add_value": f"add:{candidate.muscle_code}:{candidate.side}",
                "add_label": f"Add {name}",
                "in_plan": (candidate.muscle_code, candidate.side) in planned,
                "preselect": candidate.preselect,
                "priority": str(candidate.priority),
                "verification": VERIFICATION_BADGES.get(str(candidate.verification)),
                "needs_review": candidate.needs_review,
                "conflict": candidate.conflict,
                "unresolved_why": candidate.unresolved_why,
                "reasons": [
                    f"{reason.text} ({', '.join(reason.rule.source_codes)})"
                    if reason.rule.source_codes
                    else reason.text
                    for reason in candidate.reasons
                ],
                "ranges": [
                    {
                        "text": f"{DOSE_KINDS.get(dose_range.kind, 'Dose')}: {dose_range.describe(shown)} · "
                        f"{', '.join(dose_range.source_codes)}",
                        "unverified": ""
                        if dose_range.verification == "verified"
                        else str(dose_range.verification).replace("_", " "),
                    }
                    for dose_range in candidate.dose_ranges
                ]
                if shown is not None
                else [],
                "dose_note": candidate.dose_note if shown is not None else "",
            }
        )
    return items


def _feedback_context(session, product, rows, *, reference=None, previous=None):
    review = selectors.review_plan(
        session, product=product, rows=_safety_rows(rows), reference=reference, previous=previous
    )
    totals = selectors.session_totals(session, product, rows)
    return {
        "review": review,
        "totals": totals,
        "product": product,
        "errors": [f for f in review.findings if f.level == "error"],
        "overrides": [f for f in review.findings if f.level == "override"],
        "warnings": [f for f in review.findings if f.level == "warning"],
        "infos": [f for f in review.findings if f.level == "info"],
    }


def _editor_feedback(session, product, rows, *, can_plan, reference=None, previous=None):
    """The editor's right-hand side: totals, findings and the suggested muscles, rendered."""
    reference = reference or selectors.reference_inputs(product)
    context = _feedback_context(session, product, rows, reference=reference, previous=previous)
    planned = {(row.muscle.code, row.side) for row in rows}
    context["suggestion_list"] = _suggestion_list(session.visit, context["review"], product, planned, can_plan)
    context["diagram"] = editor_diagram(
        rows,
        product,
        context["review"].candidates,
        reference.active_muscle_codes if can_plan else None,
        title="Neck diagram of this plan: front and back views",
    )
    context["status_line"] = plan_status(context["totals"], product, context["review"].findings, rows_count=len(rows))
    return context


SUGGESTION_LIST = "planner/includes/suggestion_list.html"
SUGGESTION_LIST_SECONDS = 24 * 60 * 60


def _suggestion_list(visit, review, product, planned, can_plan):
    """The suggested muscles as HTML, kept rendered in Django's cache under what the list shows.

    The list is a function of the candidates (the reference data at the revision read in this request and
    the visit's posture), the product, which candidates the plan holds and whether the user may add them:
    its rows (_suggestion_rows) and notes say all of that, so their digest is the key, and a change to any
    of them is a new key rather than a stale list. Without a candidate the message reads the visit instead.
    """
    if not review.candidates:
        return render_to_string(SUGGESTION_LIST, {"review": review, "visit": visit, "can_plan": can_plan})
    items = _suggestion_rows(review.candidates, product, planned)
    key = fragment_key("planner:suggestion-list", (tuple(review.notes), items, can_plan))
    html = cache.get(key)
    if html is None:
        context = {
            "review": review,
            "suggestions": items,
            "can_plan": can_plan,
            "visit": visit,
            "nothing_to_add": not any(item["preselect"] and not item["in_plan"] for item in items),
        }
        html = render_to_string(SUGGESTION_LIST, context)  # autoescaped: a SafeString, cached as one
        cache.set(key, html, timeout=SUGGESTION_LIST_SECONDS)
    return html


@GET_POST
def plan_for_visit(request, visit_id):
    """The visit's plan: open it, or start one (empty, or from the last signed session)."""
    if not request.user.has_perm("planner.view_injectionsession"):
        raise PermissionDenied
    try:
        visit = selectors.visit_for_plan(visit_id)
    except selectors.Visit.DoesNotExist:
        raise Http404("No such visit.") from None
    original = InjectionSession.objects.filter(visit=visit, amends__isnull=True).first()
    if original is not None:
        return redirect("plans:editor", pk=_newest_version(original).pk)
    last = (
        InjectionSession.objects.current()
        .filter(visit__patient_id=visit.patient_id, visit__date__lte=visit.date)
        .select_related("visit", "product")
        .order_by("-visit__date", "-id")
        .first()
    )
    if request.method == "POST":
        if not request.user.has_perm("planner.plan_injectionsession"):
            raise PermissionDenied
        copy_from = last if request.POST.get("start") == "from_last" and last is not None else None
        try:
            session = services.session_start(visit=visit, acting_user=request.user, copy_from=copy_from)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("plans:for_visit", visit_id=visit.pk)
        if copy_from is not None:
            messages.success(request, f"Started from the session of {copy_from.visit.date:%d %b %Y}: check every row.")
        return redirect("plans:editor", pk=session.pk)
    log_access(request, visit, patient_id=visit.patient_id, what="plan start")
    return render(request, "planner/plan_start.html", {"visit": visit, "patient": visit.patient, "last": last})


@GET_POST
def plan_editor(request, pk):
    session = _session(request, pk)
    if session.is_signed:
        return _signed_view(request, session)
    can_plan = request.user.has_perm("planner.plan_injectionsession")
    if request.method == "POST":
        if not can_plan:
            raise PermissionDenied
        return _plan_post(request, session)
    plan_form, formset = _initial_forms(session)
    return _render_editor(request, session, plan_form, formset, session.product, _saved_rows(session))


def _render_editor(request, session, plan_form, formset, product, rows, status=200):
    log_access(request, session, patient_id=session.visit.patient_id, what="plan")
    reference = selectors.reference_inputs(product)
    # The signed sessions before this one: the safety checks and the treatment history both read them.
    previous = selectors.prior_sessions(session)
    can_plan = request.user.has_perm("planner.plan_injectionsession")
    context = {
        "session": session,
        "visit": session.visit,
        "patient": session.visit.patient,
        "plan_form": plan_form,
        # The formset itself is not in the context: the template's first lookup on it (formset["prefix"])
        # would build every row form, which _editor_rows avoids for a saved plan.
        "rows": _editor_rows(formset, reference.muscle_names, last_doses(previous)),
        "formset_errors": formset.non_form_errors(),
        "management": {
            "prefix": formset.prefix,
            "initial": formset.initial_form_count(),
            "min": formset.min_num,
            "max": formset.max_num,
        },
        "product_choices": [
            (pk, label, reference.product_units.get(pk, "U")) for pk, label in reference.product_choices
        ],
        "muscle_choices": reference.muscle_choices,
        "guidance_choices": InjectionSession.Guidance.choices,
        "side_choices": SIDE_CHOICES,
        "can_plan": can_plan,
        "can_prepare": request.user.has_perm("planner.prepare_injectionsession"),
        "can_sign": request.user.has_perm("planner.sign_injectionsession"),
        "history": last_sessions_with_events(
            session.visit.patient, before_date=session.visit.date, limit=3, sessions=previous
        ),
        **_editor_feedback(session, product, rows, can_plan=can_plan, reference=reference, previous=previous),
    }
    context |= cycle_panel_context(session=session, product=product, history=context["history"])
    return render(request, "planner/plan_editor.html", context, status=status)


def _editor_rows(formset, muscle_names, last=None):
    """Each row of the plan table as plain values: its header ("Left sternocleidomastoid") and, per field,
    the input's name, id, value and errors.

    A typed plan (a bound formset) is read from its forms, errors included. A plan as saved (unbound) is
    read straight from the initial values, as its forms would show them, without building a dozen forms
    (copying their fields was a tenth of the page's time). Names and ids follow the formset's scheme:
    "rows-0-dose", "id_rows-0-dose". ``last``: {(muscle pk, side): "45 U Botox"}, the last session's dose
    beside the row, in its own product's units.
    """
    last = last or {}
    if formset.is_bound:
        entries = [
            ({name: form[name].value() for name in RowForm.base_fields}, form.errors, form.non_field_errors())
            for form in formset.forms
        ]
    else:
        defaults = {name: field.initial for name, field in RowForm.base_fields.items()}
        entries = [({**defaults, **initial}, {}, ()) for initial in formset.initial or ()]
    rows = []
    for index, (values, errors, row_errors) in enumerate(entries):
        prefix = formset.add_prefix(index)
        fields = {
            name: {"name": f"{prefix}-{name}", "id": f"id_{prefix}-{name}", "value": value, "errors": errors.get(name)}
            for name, value in values.items()
        }
        muscle, side = values["muscle"], values["side"]
        name = muscle_names.get(int(muscle)) if str(muscle).isdigit() else None
        rows.append(
            {
                "header": f"{str(side).capitalize()} {name.lower()}" if name else "Unknown muscle",
                "last": last.get((int(muscle), side)) if str(muscle).isdigit() else None,
                "errors": row_errors,
                **fields,
            }
        )
    return rows


def _saved_rows(session):
    return [services.RowInput(r.muscle, r.side, r.dose, r.sites, r.guidance) for r in session.injections.all()]


def _doses_in_chosen_product(post, session):
    """The posted plan, with every dose blanked when the doses were typed in another product than the one
    chosen now. Returns (data, cleared: whether a number was blanked).

    ``doses_product`` names the product the doses were typed in: the page's script moves it to the new
    product when it clears the doses on a switch; without the script it stays on the old one, so the
    next submit clears them here. A post without it counts as typed in the saved product.
    """
    typed_in = post.get("doses_product", str(session.product_id or ""))
    chosen = post.get("product", "")
    if not typed_in or not chosen or typed_in == chosen:
        return post, False
    data = post.copy()
    cleared = False
    for key in post:
        if key.startswith("rows-") and key.endswith("-dose"):
            cleared = cleared or bool(post[key].strip())
            data[key] = ""
    data["doses_product"] = chosen
    return data, cleared


def _plan_post(request, session):
    action = request.POST.get("action", "save")
    data, cleared_here = _doses_in_chosen_product(request.POST, session)
    plan_form = PlanForm(data)
    formset = RowFormSet(data, prefix="rows")
    valid = plan_form.is_valid() and formset.is_valid()
    if action == "check":
        # Feedback on the plan as typed: nothing is saved.
        product = plan_form.cleaned_data.get("product") if plan_form.is_valid() else session.product
        rows = _rows_from_formset(formset) if formset.is_valid() else _saved_rows(session)
        if not request.htmx:
            return _render_editor(request, session, plan_form, formset, product, rows)
        can_plan = request.user.has_perm("planner.plan_injectionsession")
        context = _editor_feedback(session, product, rows, can_plan=can_plan)
        context.update(session=session, visit=session.visit, formset_invalid=not formset.is_valid(), oob=True)
        log_access(request, session, patient_id=session.visit.patient_id, what="plan check")
        return render(request, "planner/plan_editor.html#feedback", context)
    if not valid:
        messages.error(request, "Nothing was saved: correct the marked fields.")
        return _render_editor(request, session, plan_form, formset, session.product, _saved_rows(session), status=400)
    rows = _rows_from_formset(formset)
    product = plan_form.cleaned_data["product"]
    focus = None  # the row to put the focus on after the reload
    try:
        if action.startswith("add:") or action == "add_other":
            rows = _with_added_row(request, rows, action, session)
            focus = len(rows) - 1
        if action == "add_recommended":
            added = _with_recommended_rows(rows, session, product)
            if len(added) == len(rows):
                # A click on a list that changed since the page was drawn: say so, and keep what was typed.
                messages.info(request, "Every recommended muscle is already in the plan: nothing was added.")
            else:
                focus = len(rows)
            rows = added
        if action == "prefill":
            last = selectors.prior_sessions(session)
            if not last:
                raise ValidationError("There is no earlier signed session to start from.")
            session = services.session_prefill(
                session=session, version=plan_form.cleaned_data["version"], source=last[0], acting_user=request.user
            )
            messages.success(request, f"Rows copied from the session of {last[0].visit.date:%d %b %Y}: check each one.")
            return redirect("plans:editor", pk=session.pk)
        typed_in = data.get("doses_product")
        saved, cleared_by_service = services.session_save_plan(
            session=session,
            version=plan_form.cleaned_data["version"],
            product=product,
            default_guidance=plan_form.cleaned_data["default_guidance"],
            rows=rows,
            acting_user=request.user,
            **({} if typed_in is None else {"doses_product": int(typed_in) if typed_in.isdigit() else None}),
        )
    except ValidationError as error:
        _apply(plan_form, error)
        return _render_editor(
            request,
            session,
            plan_form,
            formset,
            session.product,
            rows,
            status=409 if getattr(error, "code", None) == "stale" else 400,
        )
    editor_url = reverse("plans:editor", args=[saved.pk])
    if cleared_here or cleared_by_service:
        messages.warning(
            request,
            f"Product changed to {product.brand_name}: every dose was cleared, because units of different "
            "products are not interchangeable. Enter the doses again in the new product's units.",
        )
        return redirect(editor_url)
    if action == "sign" and request.user.has_perm("planner.sign_injectionsession"):
        # "Review and sign" saves what is on the screen first: the sign page shows exactly what is signed.
        return redirect("plans:sign", pk=saved.pk)
    if focus is not None:
        return redirect(f"{editor_url}#row-{focus}")
    if action == "save":
        messages.success(request, "Plan saved.")
    return redirect(editor_url)


def _with_added_row(request, rows, action, session):
    if action == "add_other":
        add_form = AddMuscleForm(request.POST)
        if (
            not add_form.is_valid()
            or not add_form.cleaned_data.get("add_muscle")
            or not add_form.cleaned_data.get("add_side")
        ):
            raise ValidationError("Choose a muscle and a side to add.")
        muscle, side = add_form.cleaned_data["add_muscle"], add_form.cleaned_data["add_side"]
    else:
        _, code, side = action.split(":", 2)
        muscle = Muscle.objects.filter(code=code, is_active=True).first()
        if muscle is None or side not in BOTH_SIDES:
            raise ValidationError("That muscle cannot be added.")
    if any(row.muscle.pk == muscle.pk and row.side == side for row in rows):
        raise ValidationError(f"{side.capitalize()} {muscle.name.lower()} is already in the plan.")
    return [*rows, services.RowInput(muscle, side, None, 1, session.default_guidance)]


def _with_recommended_rows(rows, session, product):
    """Every recommended candidate not yet in the plan, without a dose (the neurologist sets each)."""
    review = selectors.review_plan(session, product=product, rows=_safety_rows(rows))
    planned = {(row.muscle.code, row.side) for row in rows}
    wanted = [c for c in review.candidates if c.preselect and (c.muscle_code, c.side) not in planned]
    if not wanted:
        return rows
    muscles = Muscle.objects.in_bulk([c.muscle_code for c in wanted], field_name="code")
    return [
        *rows,
        *(services.RowInput(muscles[c.muscle_code], c.side, None, 1, session.default_guidance) for c in wanted),
    ]


def _signed_view(request, session):
    if request.method != "GET":
        raise PermissionDenied("A signed session cannot be changed: amend it instead.")
    log_access(request, session, patient_id=session.visit.patient_id, what="signed session")
    return render(request, "planner/plan_signed.html", _record_context(session))


def _record_context(session):
    product = session.product
    rows = list(session.injections.all())
    unit_label = product.units_label if product else "U"
    marks = [
        DiagramMark(
            muscle_code=row.muscle.code,
            muscle_name=row.muscle.name,
            side=row.side,
            units=row.dose,
            unit_label=unit_label,
            sites=row.sites,
            note=row.get_guidance_display(),
        )
        for row in rows
    ]
    totals = selectors.session_totals(session, product, rows)
    return {
        "session": session,
        "visit": session.visit,
        "patient": session.visit.patient,
        "rows": rows,
        "totals": totals,
        "diagram": neck_diagram_svg(marks, title=f"Injection sites, {session.visit.date:%d %b %Y}"),
        "amendment": selectors.amendment_of(session),
        "findings": _findings_with_acknowledgements(session),
        **cycle_record_context(session, rows),
    }


def _findings_with_acknowledgements(session):
    """The findings stored at signing, each override and warning with who acknowledged it and why."""
    acknowledgements = {ack.finding_key: ack for ack in session.acknowledgements.select_related("acknowledged_by")}
    return [
        {**finding, "acknowledgement": acknowledgements.get(finding["key"])} for finding in session.findings_at_signing
    ]


@GET_POST
def plan_prepare(request, pk):
    session = _session(request, pk, "planner.prepare_injectionsession")
    if session.is_signed:
        raise PermissionDenied("A signed session cannot be changed: amend it instead.")
    if session.product is None:
        messages.error(request, "Choose the product in the plan before recording the preparation.")
        return redirect("plans:editor", pk=session.pk)
    initial = {
        "lot_number": session.lot_number,
        "lot_expiry": session.lot_expiry,
        "vial_units": session.vial_units,
        "vial_count": session.vial_count,
        "diluent_ml": session.diluent_ml,
        "reconstituted_at": session.reconstituted_at,
        "version": session.version,
    }
    form = PreparationForm(
        request.POST or None, initial=initial, product=session.product, visit_date=session.visit.date
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.session_prepare(
                session=session,
                version=data["version"],
                lot_number=data["lot_number"],
                lot_expiry=data["lot_expiry"],
                vial_units=data["vial_units"],
                vial_count=data["vial_count"],
                diluent_ml=data["diluent_ml"],
                reconstituted_at=data.get("reconstituted_at"),
                acting_user=request.user,
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, "Preparation recorded.")
            return redirect("plans:editor", pk=session.pk)
    log_access(request, session, patient_id=session.visit.patient_id, what="preparation form")
    return render(
        request, "planner/plan_prepare.html", {"session": session, "form": form, "patient": session.visit.patient}
    )


@GET_POST
def plan_sign(request, pk):
    session = _session(request, pk, "planner.sign_injectionsession")
    if session.is_signed:
        messages.info(request, "This session is already signed.")
        return redirect("plans:editor", pk=session.pk)
    rows = _saved_rows(session)
    feedback = _feedback_context(session, session.product, rows)
    form = SignForm(
        request.POST or None,
        warnings=feedback["warnings"],
        overrides=feedback["overrides"],
        initial={"version": session.version},
    )
    if request.method == "POST" and form.is_valid():
        try:
            # The gate recomputes the findings itself: only the neurologist's answers go in.
            services.session_sign(
                session=session,
                version=form.cleaned_data["version"],
                acknowledgements=form.acknowledgements(),
                acting_user=request.user,
                planned_interval_weeks=form.cleaned_data.get("planned_interval_weeks"),
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            # The signed page says it is signed and read-only: one banner, not two.
            return redirect("plans:editor", pk=session.pk)
    log_access(request, session, patient_id=session.visit.patient_id, what="sign form")
    return render(
        request,
        "planner/plan_sign.html",
        {
            "session": session,
            "patient": session.visit.patient,
            "form": form,
            "rows": rows,
            **feedback,
        },
        status=400 if request.method == "POST" else 200,
    )


@GET_POST
def plan_amend(request, pk):
    session = _session(request, pk, "planner.amend_injectionsession")
    if not session.is_signed:
        messages.info(request, "This plan is not signed yet: change it directly.")
        return redirect("plans:editor", pk=session.pk)
    form = AmendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            amendment = services.session_amend(
                original=session, reason=form.cleaned_data["reason"], acting_user=request.user
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, "Amendment started from the signed record. Correct it, then sign it.")
            return redirect("plans:editor", pk=amendment.pk)
    log_access(request, session, patient_id=session.visit.patient_id, what="amend form")
    return render(
        request, "planner/plan_amend.html", {"session": session, "patient": session.visit.patient, "form": form}
    )


@require_GET
def plan_record(request, pk):
    session = _session(request, pk)
    log_access(request, session, patient_id=session.visit.patient_id, what="printable record")
    return render(request, "planner/plan_record.html", _record_context(session))


@require_GET
def plan_record_pdf(request, pk):
    from weasyprint import HTML

    session = _session(request, pk)
    log_access(request, session, patient_id=session.visit.patient_id, what="record PDF")
    stylesheet = finders.find("css/record.css")
    with open(stylesheet, encoding="utf-8") as css:
        context = {**_record_context(session), "pdf_css": css.read()}
    html = render_to_string("planner/plan_record_pdf.html", context, request=request)
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"injection-record-{session.visit.patient.mrn}-{session.visit.date:%Y%m%d}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response
