"""The shipped, versioned reference data set and the code around it.

clinical-reference.yaml / .md  the sourced clinical research notes, copied as they stand
curation.yaml                  what those say only in comments or prose, written out as data
loader.py                      `manage.py loadreference`: upsert by natural key, keep local edits
cycle-reference.yaml           billing codes, vial prices, handout sentences, response policy (issue 16)
cycle_loader.py                cycle-reference.yaml as rows for the loader
limits.py                      the effective (most conservative) product limit for a safety check
dilution.py                    units per 0.1 mL and the volume to draw
"""
