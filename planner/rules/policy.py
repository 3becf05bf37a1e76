"""Clinical classifications and clinic policy the code applies that are not rows of the reference data.

Pure constants (no ORM), so the pure layer (safety, suggest, titration) may use them as well as the
selectors that feed it. Each says where it comes from: a source code of the clinical reference set
(planner/reference/clinical-reference.md) or "clinic policy". A value that differs per product or per
muscle belongs in the reference data instead (ProductLimit, DoseGuideline, Caution, PolicySetting,
ResponsePolicy rows), where a reference admin curates it with its source.
"""

# --- which muscles count as what ------------------------------------------------------------------
# Muscle groups (planner.models.Muscle.Group values) whose injection counts as "anterior neck" for the
# dysphagia caution: the clinic's reading of D12 (SCM, small neck muscle mass) and D21 (dysphagia most
# often follows SCM injection).
ANTERIOR_NECK_GROUPS = frozenset({"anterolateral", "anterior", "prevertebral"})
# Muscles that count as anterior neck whatever group the reference data gives them (D21).
ANTERIOR_NECK_MUSCLES = frozenset({"SCM"})
# The basis the anterior-neck dysphagia caution cites (planner.rules.caution_inputs).
ANTERIOR_NECK_SOURCE_CODES = ("D12", "D21")
ANTERIOR_NECK_VERIFICATION = "verified"
# Posterior muscle groups whose injection on BOTH sides may weaken neck extension (clinical-reference.md
# §5); titration points at them after neck weakness or dysphagia.
POSTERIOR_NECK_GROUPS = frozenset({"posterior", "suboccipital"})


def is_anterior_neck(muscle_code, group):
    """Whether a muscle counts as anterior neck for the dysphagia caution."""
    return muscle_code in ANTERIOR_NECK_MUSCLES or group in ANTERIOR_NECK_GROUPS


# --- guidance --------------------------------------------------------------------------------------
# The reference set's note on a muscle's guidance level: "policy derived from G1, G4, G8, S9" (partly
# verified): the level is clinic policy read from those sources.
GUIDANCE_SOURCE_CODES = ("G1", "G4", "G8", "S9")
GUIDANCE_VERIFICATION = "partly_verified"

# --- titration -------------------------------------------------------------------------------------
# Side effects after which titration suggests reducing the muscles they usually follow (clinical-reference.md
# §5: D12, D21), with the words the hint uses for each (patients.models.AdverseEvent.Kind values).
REDUCING_KINDS = {"dysphagia": "dysphagia", "neck_weakness": "neck weakness"}
