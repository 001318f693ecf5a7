#!/usr/bin/env python3
"""Writes bundle/: one fictitious patient whose five-year course has the
shape of a published gastrinoma case (issue 15, "Done when"): resection of
the primary, octreotide LAR i.m., interferon-alpha s.c., two TACE sessions,
radiofrequency and microwave ablation and 125I seed implantation, each aimed
at named liver lesions; WHO 2010 grading with mitoses per 10 HPF, an
immunohistochemistry panel, germline and somatic genetics, qualitative and
routine laboratory results with reference ranges, dates known as ranges,
QLQ-C30 and QLQ-GI.NET21 item responses, comorbidities and CTCAE v5 adverse
events. Every value is invented; no row uses a notes column to hold a
concept. Run from this folder: python3 make_bundle.py"""
import csv, os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bundle")
P = "G1"


def write(name, header, rows):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])


write("study.csv", ["study", "title", "description"],
      [{"study": "CASE", "title": "Course of a gastrinoma (fictitious)",
        "description": "one invented patient recorded without notes-only workarounds"}])
write("sites.csv", ["site", "study", "name", "country"],
      [{"site": "demo", "study": "CASE", "name": "Demo NET centre", "country": "DE"}])
write("patients.csv",
      ["patient", "site", "sex", "birth_date", "diagnosis_date", "metastatic_date",
       "metastatic_setting", "ecog", "last_followup_date", "vital_status", "death_date",
       "death_date_not_before", "death_date_not_after", "death_cause"],
      [{"patient": P, "site": "demo", "sex": "female", "birth_date": "1958",
        "diagnosis_date": "2009-03-10", "metastatic_date": "2009-03-10",
        "metastatic_setting": "metastatic_at_diagnosis", "ecog": "0",
        "last_followup_date": "2014-04", "vital_status": "dead", "death_date": "2014-04",
        "death_date_not_before": "2014-04-08", "death_date_not_after": "2014-04-20",
        "death_cause": "disease"}])
write("tumours.csv",
      ["patient", "tumour", "primary_site", "reported_type", "functional_syndrome",
       "differentiation", "ki67_percent", "who_grade", "grade_system", "reported_grade",
       "mitoses_per_10hpf", "stage", "krenning_uptake"],
      [{"patient": P, "tumour": "1", "primary_site": "pancreas",
        "reported_type": "Gastrinoma", "functional_syndrome": "gastrinoma",
        "differentiation": "well", "ki67_percent": "8", "who_grade": "g2",
        "grade_system": "who_2010", "reported_grade": "g2", "mitoses_per_10hpf": "3",
        "stage": "T2N1M1", "krenning_uptake": "3"}])
write("metastases.csv",
      ["patient", "site", "detail", "date", "at_metastatic_diagnosis", "liver_pattern"],
      [{"patient": P, "site": "liver", "date": "2009-03-10", "at_metastatic_diagnosis": "yes",
        "liver_pattern": "type_ii"},
       {"patient": P, "site": "lymph_node", "date": "2009-03-10",
        "at_metastatic_diagnosis": "yes"}])

markers = [
    ("gastrin", "2009-03-10", "1850", "ng/L", "", "", "100"),
    ("chromogranin_a", "2009-03-10", "420", "ug/L", "", "", "100"),
    ("cea", "2009-03-10", "", "", "normal", "", ""),
    ("creatinine", "2009-03-10", "72", "umol/L", "", "45", "90"),
    ("haemoglobin", "2009-03-10", "128", "g/L", "", "120", "160"),
    ("leukocytes", "2009-03-10", "6.1", "10*9/L", "", "4", "10"),
    ("platelets", "2009-03-10", "245", "10*9/L", "", "150", "400"),
    ("gastrin", "2010-08-20", "640", "ng/L", "", "", "100"),
    ("gastrin", "2012-09-10", "2300", "ng/L", "", "", "100"),
    ("chromogranin_a", "2012-09-10", "610", "ug/L", "", "", "100"),
]
write("biomarkers.csv",
      ["patient", "marker", "marker_detail", "date", "value", "unit", "result", "lower_limit",
       "upper_limit"],
      [{"patient": P, "marker": m, "date": d, "value": v, "unit": u, "result": r,
        "lower_limit": lo, "upper_limit": hi} for m, d, v, u, r, lo, hi in markers])

treatments = [
    # id, type, surgery, start, end, intent, stop, organ, lesions, start bounds
    ("T1", "surgery", "primary_resection", "2009-04-02", "", "palliative", "", "pancreas", "", ("", "")),
    ("T2", "somatostatin_analogue", "", "2009-05-04", "2012-09-14", "palliative", "progression", "", "", ("", "")),
    ("T3", "supportive", "", "2009-03-12", "", "symptom_control", "", "", "", ("", "")),
    ("T4", "interferon", "", "2010-09-01", "2011-03-01", "palliative", "toxicity", "", "", ("", "")),
    ("T5", "tace", "", "2011-05-10", "", "palliative", "", "liver", "L1;L2", ("", "")),
    ("T6", "tace", "", "2011-08-16", "", "palliative", "", "liver", "L1", ("", "")),
    ("T7", "rfa", "", "2012-02-07", "", "palliative", "", "liver", "L3", ("", "")),
    ("T8", "microwave_ablation", "", "2012-10-09", "", "palliative", "", "liver", "L2", ("", "")),
    ("T9", "seed_implantation", "", "2013-06", "", "palliative", "", "liver", "L1",
     ("2013-06-03", "2013-06-21")),
]
write("treatments.csv",
      ["patient", "treatment", "type", "surgery_type", "start_date", "start_date_not_before",
       "start_date_not_after", "end_date", "intent", "stop_reason", "target_organ",
       "target_lesions"],
      [{"patient": P, "treatment": t, "type": ty, "surgery_type": su, "start_date": st,
        "start_date_not_before": b[0], "start_date_not_after": b[1], "end_date": en,
        "intent": it, "stop_reason": sr, "target_organ": org, "target_lesions": les}
       for t, ty, su, st, en, it, sr, org, les, b in treatments])

agents = [
    ("T2", "octreotide", "30", "mg", "28", "im", "lar"),
    ("T3", "proton_pump_inhibitor", "40", "mg", "1", "oral", ""),
    ("T4", "interferon_alpha", "3", "MIU", "2", "sc", ""),
    ("T5", "doxorubicin", "50", "mg", "", "intra_arterial", ""),
    ("T5", "lipiodol", "10", "mL", "", "intra_arterial", ""),
    ("T5", "embolic_particles", "", "", "", "intra_arterial", ""),
    ("T6", "doxorubicin", "50", "mg", "", "intra_arterial", ""),
    ("T6", "lipiodol", "8", "mL", "", "intra_arterial", ""),
    ("T9", "i125_seeds", "0.8", "mCi", "", "intratumoural", ""),
]
write("treatment_agents.csv",
      ["patient", "treatment", "agent", "agent_detail", "dose", "dose_unit", "interval_days",
       "route", "formulation"],
      [{"patient": P, "treatment": t, "agent": a, "dose": d, "dose_unit": u,
        "interval_days": i, "route": r, "formulation": f} for t, a, d, u, i, r, f in agents])
write("radionuclide_administrations.csv",
      ["patient", "treatment", "administration", "date", "activity_gbq"], [])

# CT throughout (RECIST 1.1): two liver targets (at most two per organ),
# L3 followed as a non-target lesion (ablated in 2012), then a new lesion L4.
scans = [
    ("A0", "2009-04-20", None, "", {"L1": 42, "L2": 25}, {"L3": "present"}),
    ("A1", "2010-08-20", None, "T2", {"L1": 47, "L2": 29}, {"L3": "present"}),
    ("A2", "2011-04-28", None, "T4", {"L1": 55, "L2": 33}, {"L3": "present"}),
    ("A3", "2011-11-15", None, "T5", {"L1": 31, "L2": 21}, {"L3": "present"}),
    ("A4", "2012-09-10", None, "T2", {"L1": 33, "L2": 27}, {"L3": "absent", "L4": "new"}),
    ("A5", "2013-11", ("2013-10-15", "2013-12"), "T9", {"L1": 20, "L2": 10},
     {"L3": "absent", "L4": "present"}),
]
write("assessments.csv",
      ["patient", "assessment", "date", "date_not_before", "date_not_after", "modality",
       "criteria", "treatment"],
      [{"patient": P, "assessment": a, "date": d,
        "date_not_before": (r or ("", ""))[0], "date_not_after": (r or ("", ""))[1],
        "modality": "ct", "criteria": "recist_1_1", "treatment": t}
       for a, d, r, t, _, _ in scans])
lesion_rows = []
for a, _, _, _, sizes, others in scans:
    for l, mm in sizes.items():
        lesion_rows.append({"patient": P, "assessment": a, "lesion": l, "organ": "liver",
                            "role": "target", "longest_mm": str(mm)})
    for l, state in others.items():
        new = l == "L4"
        lesion_rows.append({"patient": P, "assessment": a, "lesion": l, "organ": "liver",
                            "organ_detail": "segment VI" if new else "segment II",
                            "role": "new" if new else "non_target",
                            "status": "present" if state == "new" else state})
write("lesions.csv",
      ["patient", "assessment", "lesion", "organ", "organ_detail", "role", "longest_mm",
       "status"], lesion_rows)
write("clinical_status.csv",
      ["patient", "date", "ecog", "symptoms", "weight_kg", "diarrhoea_per_day"],
      [{"patient": P, "date": "2009-03-10", "ecog": "0", "weight_kg": "64",
        "diarrhoea_per_day": "5"},
       {"patient": P, "date": "2009-06-15", "ecog": "0", "symptoms": "improved",
        "weight_kg": "66", "diarrhoea_per_day": "1"},
       {"patient": P, "date": "2011-03-01", "ecog": "1", "symptoms": "worsened",
        "weight_kg": "61", "diarrhoea_per_day": "2"}])
write("adverse_events.csv",
      ["patient", "event", "term", "grade", "onset_date", "resolution_date", "attribution",
       "serious", "treatment"],
      [{"patient": P, "event": "AE1", "term": "Flu like symptoms", "grade": "2",
        "onset_date": "2010-09-02", "resolution_date": "2010-10", "attribution": "definite",
        "serious": "no", "treatment": "T4"},
       {"patient": P, "event": "AE2", "term": "Fatigue", "grade": "3",
        "onset_date": "2011-01", "resolution_date": "2011-04", "attribution": "probable",
        "serious": "no", "treatment": "T4"},
       {"patient": P, "event": "AE3", "term": "Abdominal pain", "grade": "2",
        "onset_date": "2011-05-11", "resolution_date": "2011-05-16", "attribution": "definite",
        "serious": "no", "treatment": "T5"}])
stains = [("chromogranin_a", "positive", "90", "", ""), ("synaptophysin", "positive", "100", "", ""),
          ("cd56", "positive", "", "", ""), ("sstr2", "positive", "80", "3", "volante"),
          ("gastrin", "positive", "40", "", "")]
write("immunohistochemistry.csv",
      ["patient", "tumour", "date", "specimen", "stain", "stain_detail", "result",
       "percent_cells", "score", "score_system"],
      [{"patient": P, "tumour": "1", "date": "2009-04-02", "specimen": "primary", "stain": s,
        "result": r, "percent_cells": pc, "score": sc, "score_system": ss}
       for s, r, pc, sc, ss in stains])
write("genetics.csv",
      ["patient", "origin", "gene", "gene_detail", "result", "variant", "tumour", "date",
       "method"],
      [{"patient": P, "origin": "germline", "gene": "men1", "result": "no_variant",
        "date": "2009-05", "method": "Sanger"},
       {"patient": P, "origin": "somatic", "gene": "men1", "result": "pathogenic",
        "variant": "c.1546dupC", "tumour": "1", "date": "2009-06", "method": "NGS panel"},
       {"patient": P, "origin": "somatic", "gene": "mgmt", "result": "unmethylated",
        "tumour": "1", "date": "2009-06", "method": "methylation-specific PCR"}])
c30 = [2, 1, 1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 2, 1, 1, 3, 1, 2, 1, 1, 2, 2, 1, 2, 1, 1, 1, 2,
       5, 5]
ginet = [3, 2, 1, 2, 3, 2, 1, 1, 2, 2, 1, 3, 2, 2, 1, 1, 2, 2, 1, 2, 1]
qol = [{"patient": P, "questionnaire": "qlq_c30", "date": "2011-03-01", "item": str(i + 1),
        "response": str(r)} for i, r in enumerate(c30)]
qol += [{"patient": P, "questionnaire": "qlq_gi_net21", "date": "2011-03-01",
         "item": str(31 + i), "response": str(r)} for i, r in enumerate(ginet)]
write("qol_responses.csv", ["patient", "questionnaire", "date", "item", "response"], qol)
write("comorbidities.csv", ["patient", "condition", "condition_detail", "date"],
      [{"patient": P, "condition": "diabetes", "date": "2005"},
       {"patient": P, "condition": "peptic_ulcer_disease", "date": "2008"}])
