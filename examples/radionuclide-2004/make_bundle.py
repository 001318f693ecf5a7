#!/usr/bin/env python3
"""Converts patients.csv (the published per-patient tables) into a registry
bundle in bundle/. Deterministic: running it again rewrites identical files.

The paper gives intervals in months only, so every date is placed on a
synthetic calendar: study entry (first radionuclide administration in group
A, referral in group B) is ANCHOR for every patient. See bundle/README.md.
"""
import csv
import datetime as dt
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "bundle")
ANCHOR = dt.date(2000, 1, 1)
MONTH_DAYS = 30.4375  # 365.25 / 12


def after_months(months):
    return ANCHOR + dt.timedelta(days=round(months * MONTH_DAYS))


def month_offset(months_before):
    """YYYY-MM of the month `months_before` whole months before the anchor."""
    total = ANCHOR.year * 12 + (ANCHOR.month - 1) - months_before
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def add_months(d, k):
    total = d.year * 12 + d.month - 1 + k
    return dt.date(total // 12, total % 12 + 1, 1)


SITE = {"Midgut": ("gi_unspecified", "midgut"), "Hindgut": ("gi_unspecified", "hindgut"),
        "Pancreas": ("pancreas", ""), "Unknown": ("unknown", "")}
SYNDROME = {"Gastrinoma": "gastrinoma", "Vipoma": "vipoma", "Glucagonoma": "glucagonoma",
            "Insulinoma": "insulinoma", "Carcinoid": "", "NET": ""}
METS = {"L": ("liver", ""), "N": ("lymph_node", ""), "B": ("bone", ""), "P": ("peritoneum", ""),
        "A": ("adrenal", ""), "C": ("other", "chest")}
PREVIOUS = {"Sur": ("prior_surgery", "surgery"), "Chem": ("prior_chemotherapy", "chemotherapy"),
            "Rad": ("prior_radiotherapy", "external_radiotherapy"), "ChEmb": ("prior_tace", "tace")}
RESPONSE = {"Stabilization": "sd", "Progression": "pd", "Partial regression": "pr"}
SYMPTOMS = {"Improvement": "improved", "None": "stable", "Aggravation": "worsened",
            "Improvement then aggravation": "worsened"}
TRACER = {"111In-pentetreotide": "in111_pentetreotide", "131I-MIBG": "i131_mibg"}

HEAD = {
    "study.csv": ["study", "title", "description"],
    "sites.csv": ["site", "study", "name", "country"],
    "patients.csv": ["patient", "site", "sex", "age_at_entry", "diagnosis_date", "entry_date", "arm",
                     "excluded", "exclusion_reason", "last_followup_date", "vital_status",
                     "death_date", "notes"],
    "tumours.csv": ["patient", "tumour", "primary_site", "gi_segment", "reported_type",
                    "functional_syndrome", "krenning_uptake", "mibg_uptake"],
    "metastases.csv": ["patient", "site", "detail", "notes"],
    "treatments.csv": ["patient", "treatment", "type", "start_date", "end_date", "intent",
                       "stop_reason", "notes"],
    "treatment_agents.csv": ["patient", "treatment", "agent", "dose", "dose_unit", "notes"],
    "radionuclide_administrations.csv": ["patient", "treatment", "administration", "date",
                                         "activity_gbq"],
    "assessments.csv": ["patient", "assessment", "date", "modality", "criteria", "treatment",
                        "investigator_response", "notes"],
    "clinical_status.csv": ["patient", "date", "symptoms", "notes"],
    "biomarkers.csv": ["patient", "marker", "date", "value", "unit", "notes"],
}

# Biologic responses published as a percent change ("NSE -37%"): recorded as values relative to
# the baseline (100 at the first administration, 100 + change at 3 months), since the values
# themselves were not published. "5-HIAA normalized" gives no number and is kept in the notes.
MARKER = {"NSE": "nse", "5-HIAA": "urinary_5hiaa"}


def fmt(x):
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return s


def main():
    rows = {k: [] for k in HEAD}
    rows["study.csv"].append(["radionuclide-2004",
                              "Radionuclide therapy of advanced gastroenteropancreatic NETs (prospective, 2004)",
                              "32 patients in therapeutic deadlock: group A treated with 111In-pentetreotide "
                              "or 131I-MIBG (3 monthly administrations per course), group B untreated for "
                              "non-medical reasons. Dates are synthetic: study entry = 2000-01-01."])
    rows["sites.csv"].append(["rn2004", "radionuclide-2004", "Referral centre of the published study", ""])
    with open(os.path.join(HERE, "patients.csv"), newline="") as f:
        for r in csv.DictReader(f):
            p = r["patient"]
            entry = ANCHOR
            fu = float(r["followup_months"])
            death = r["death_months"]
            dead = death != ""
            last = after_months(max(fu, float(death)) if dead else fu)
            death_date = after_months(float(death)).isoformat() if dead else ""
            years = float(r["years_diagnosis_to_therapy"])
            diag = month_offset(round(years * 12))
            excluded = "yes" if r["excluded"] == "1" else ""
            notes = []
            if dead and float(death) > fu:
                notes.append(f"follow-up listed as {r['followup_months']} months, death at {death} months; the death time is used")
            rows["patients.csv"].append([
                p, "rn2004", {"M": "male", "F": "female"}[r["sex"]], r["age"], diag,
                entry.isoformat(), r["group"], excluded,
                "died during the second administration; excluded from the published analysis" if excluded else "",
                last.isoformat(), "dead" if dead else "alive", death_date, "; ".join(notes)])
            site, seg = SITE[r["primary_site"]]
            rows["tumours.csv"].append([p, "1", site, seg, r["primary_tumor"],
                                        SYNDROME[r["primary_tumor"]],
                                        r["pentetreotide_uptake_grade"], r["mibg_uptake_grade"]])
            for m in filter(None, r["metastatic_sites"].split(";")):
                s, detail = METS[m]
                rows["metastases.csv"].append([p, s, detail, "present at study entry"])
            for t in filter(None, r["previous_treatment"].split(";")):
                tid, ty = PREVIOUS[t]
                rows["treatments.csv"].append([p, tid, ty, "", "", "", "",
                                               "before study entry; dates not published"])
            ongoing = r["ongoing_treatment"]
            for part in filter(None, [x.strip() for x in ongoing.split("+")]):
                words = part.split()
                if words[0] in ("Octreotide", "Lanreotide"):
                    rows["treatments.csv"].append([p, "ssa", "somatostatin_analogue", "", "",
                                                   "symptom_control", "",
                                                   "ongoing at study entry; start not published"])
                    rows["treatment_agents.csv"].append([p, "ssa", words[0].lower(), words[1], words[2],
                                                         "dose as published"])
                else:
                    agent = {"analgesic": "analgesic", "Analgesic": "analgesic",
                             "parenteral": "parenteral_nutrition"}[words[0]]
                    rows["treatments.csv"].append([p, "supportive_" + agent, "supportive", "", "",
                                                   "symptom_control", "", "ongoing at study entry"])
                    rows["treatment_agents.csv"].append([p, "supportive_" + agent, agent, "", "", ""])
            if r["group"] == "A":
                courses = float(r["treatment_courses"])
                n = round(courses * 3)
                total = float(r["activity_gbq"])
                each = round(total / n, 2)
                dates = [add_months(ANCHOR, k) for k in range(n)]
                stop = "death" if dead and after_months(float(death)) <= dates[-1] + dt.timedelta(days=30) else (
                    "completed" if n % 3 == 0 else "")
                note = f"{r['treatment_courses']} course(s) of 3 monthly administrations; cumulative activity {r['activity_gbq']} GBq as published"
                if n % 3 != 0 and stop != "death":
                    note += "; stopped after 2 of 3 administrations (reason not published)"
                rows["treatments.csv"].append([p, "rnt", "radionuclide", ANCHOR.isoformat(),
                                               dates[-1].isoformat(), "palliative", stop, note])
                rows["treatment_agents.csv"].append([p, "rnt", TRACER[r["tracer"]], "", "", ""])
                for k, d in enumerate(dates):
                    act = each if k < n - 1 else round(total - each * (n - 1), 2)
                    rows["radionuclide_administrations.csv"].append([p, "rnt", str(k + 1), d.isoformat(), fmt(act)])
            resp = r["radiologic_response_3m"]
            if resp:
                parts = []
                if r["radiologic_response_duration_months"]:
                    parts.append(f"response lasted {r['radiologic_response_duration_months']} months (as published)")
                if r["biologic_response"]:
                    parts.append(f"biologic response: {r['biologic_response']}")
                if r["global_response"]:
                    parts.append(f"global response: {r['global_response']}")
                parts.append("WHO criteria, progression = increase >= 25%; modality not published")
                rows["assessments.csv"].append([p, "M3", after_months(3).isoformat(), "other", "who",
                                                "rnt" if r["group"] == "A" else "", RESPONSE[resp],
                                                "; ".join(parts)])
            duration = r["radiologic_response_duration_months"]
            if resp and duration and float(duration) < fu:
                # The response ended before the last follow-up: by progression (the paper gives
                # only the duration, counted from the first administration; group B: referral).
                rows["assessments.csv"].append([
                    p, "END", after_months(float(duration)).isoformat(), "other", "who",
                    "rnt" if r["group"] == "A" else "", "pd",
                    f"end of the radiologic response after {duration} months (as published); "
                    "progression assumed: the paper gives only the duration"])
            bio = r["biologic_response"].split()
            if len(bio) == 2 and bio[0] in MARKER and bio[1].endswith("%"):
                change = float(bio[1].rstrip("%"))
                note = f"relative to baseline = 100 (published: {r['biologic_response']}; values not published)"
                rows["biomarkers.csv"].append([p, MARKER[bio[0]], ANCHOR.isoformat(), "100",
                                               "% of baseline", note])
                rows["biomarkers.csv"].append([p, MARKER[bio[0]], after_months(3).isoformat(),
                                               fmt(100 + change), "% of baseline", note])
            if r["clinical_status"]:
                rows["clinical_status.csv"].append([p, after_months(3).isoformat(),
                                                    SYMPTOMS[r["clinical_status"]],
                                                    f"clinical status as published: {r['clinical_status']}"])
    os.makedirs(OUT, exist_ok=True)
    for name, header in HEAD.items():
        with open(os.path.join(OUT, name), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows[name])


if __name__ == "__main__":
    main()
