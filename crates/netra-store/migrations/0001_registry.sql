-- Registry tables, generated from crates/netra-clinical/src/registry/schema.rs
-- (see crates/netra-store/src/sql.rs). One table per bundle file; natural keys
-- are the primary keys; foreign keys follow the schema's references.

CREATE TABLE study (
    study TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    PRIMARY KEY (study)
);

CREATE TABLE site (
    site TEXT NOT NULL,
    study TEXT NOT NULL,
    name TEXT NOT NULL,
    country TEXT,
    PRIMARY KEY (site),
    FOREIGN KEY (study) REFERENCES study (study)
);
CREATE INDEX site_study ON site (study);

CREATE TABLE patient (
    patient TEXT NOT NULL,
    site TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date TEXT,
    age_at_entry BIGINT,
    diagnosis_date TEXT,
    metastatic_date TEXT,
    metastatic_setting TEXT,
    prior_stage TEXT,
    ecog BIGINT,
    entry_date TEXT,
    arm TEXT,
    excluded BIGINT,
    exclusion_reason TEXT,
    last_followup_date TEXT,
    vital_status TEXT NOT NULL,
    death_date TEXT,
    death_cause TEXT,
    notes TEXT,
    PRIMARY KEY (patient),
    FOREIGN KEY (site) REFERENCES site (site)
);
CREATE INDEX patient_site ON patient (site);

CREATE TABLE tumour (
    patient TEXT NOT NULL,
    tumour TEXT NOT NULL,
    primary_site TEXT NOT NULL,
    primary_site_detail TEXT,
    gi_segment TEXT,
    reported_type TEXT,
    functional_syndrome TEXT,
    differentiation TEXT,
    nec_cell_type TEXT,
    ki67_percent DOUBLE PRECISION,
    mitoses_per_2mm2 DOUBLE PRECISION,
    who_grade TEXT,
    seer_grade TEXT,
    stage TEXT,
    krenning_uptake BIGINT,
    mibg_uptake BIGINT,
    notes TEXT,
    PRIMARY KEY (patient, tumour),
    FOREIGN KEY (patient) REFERENCES patient (patient)
);

CREATE TABLE metastasis (
    patient TEXT NOT NULL,
    site TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    date TEXT,
    at_metastatic_diagnosis BIGINT,
    liver_pattern TEXT,
    notes TEXT,
    PRIMARY KEY (patient, site, detail),
    FOREIGN KEY (patient) REFERENCES patient (patient)
);

CREATE TABLE biomarker (
    patient TEXT NOT NULL,
    marker TEXT NOT NULL,
    marker_detail TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    unit TEXT NOT NULL,
    lower_limit DOUBLE PRECISION,
    upper_limit DOUBLE PRECISION,
    notes TEXT,
    PRIMARY KEY (patient, marker, marker_detail, date),
    FOREIGN KEY (patient) REFERENCES patient (patient)
);

CREATE TABLE treatment (
    patient TEXT NOT NULL,
    treatment TEXT NOT NULL,
    type TEXT NOT NULL,
    surgery_type TEXT,
    start_date TEXT,
    end_date TEXT,
    intent TEXT,
    stop_reason TEXT,
    line BIGINT,
    notes TEXT,
    PRIMARY KEY (patient, treatment),
    FOREIGN KEY (patient) REFERENCES patient (patient)
);

CREATE TABLE treatment_agent (
    patient TEXT NOT NULL,
    treatment TEXT NOT NULL,
    agent TEXT NOT NULL,
    agent_detail TEXT NOT NULL DEFAULT '',
    dose DOUBLE PRECISION,
    dose_unit TEXT,
    interval_days DOUBLE PRECISION,
    notes TEXT,
    PRIMARY KEY (patient, treatment, agent, agent_detail),
    FOREIGN KEY (patient, treatment) REFERENCES treatment (patient, treatment)
);

CREATE TABLE radionuclide_administration (
    patient TEXT NOT NULL,
    treatment TEXT NOT NULL,
    administration BIGINT NOT NULL,
    date TEXT,
    activity_gbq DOUBLE PRECISION NOT NULL,
    notes TEXT,
    PRIMARY KEY (patient, treatment, administration),
    FOREIGN KEY (patient, treatment) REFERENCES treatment (patient, treatment)
);

CREATE TABLE assessment (
    patient TEXT NOT NULL,
    assessment TEXT NOT NULL,
    date TEXT NOT NULL,
    modality TEXT NOT NULL,
    criteria TEXT,
    treatment TEXT,
    investigator_response TEXT,
    notes TEXT,
    PRIMARY KEY (patient, assessment),
    FOREIGN KEY (patient) REFERENCES patient (patient),
    FOREIGN KEY (patient, treatment) REFERENCES treatment (patient, treatment)
);
CREATE INDEX assessment_patient_treatment ON assessment (patient, treatment);

CREATE TABLE lesion (
    patient TEXT NOT NULL,
    assessment TEXT NOT NULL,
    lesion TEXT NOT NULL,
    organ TEXT NOT NULL,
    organ_detail TEXT,
    role TEXT NOT NULL,
    longest_mm DOUBLE PRECISION,
    perpendicular_mm DOUBLE PRECISION,
    short_axis_mm DOUBLE PRECISION,
    viable_mm DOUBLE PRECISION,
    attenuation_hu DOUBLE PRECISION,
    status TEXT,
    notes TEXT,
    PRIMARY KEY (patient, assessment, lesion),
    FOREIGN KEY (patient, assessment) REFERENCES assessment (patient, assessment)
);

CREATE TABLE clinical_status (
    patient TEXT NOT NULL,
    date TEXT NOT NULL,
    ecog BIGINT,
    symptom_score DOUBLE PRECISION,
    symptoms TEXT,
    weight_kg DOUBLE PRECISION,
    notes TEXT,
    PRIMARY KEY (patient, date),
    FOREIGN KEY (patient) REFERENCES patient (patient)
);

CREATE TABLE adverse_event (
    patient TEXT NOT NULL,
    event TEXT NOT NULL,
    term TEXT NOT NULL,
    grade BIGINT NOT NULL,
    onset_date TEXT,
    resolution_date TEXT,
    attribution TEXT,
    serious BIGINT,
    treatment TEXT,
    notes TEXT,
    PRIMARY KEY (patient, event),
    FOREIGN KEY (patient) REFERENCES patient (patient),
    FOREIGN KEY (patient, treatment) REFERENCES treatment (patient, treatment)
);
CREATE INDEX adverse_event_patient_treatment ON adverse_event (patient, treatment);

