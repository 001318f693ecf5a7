-- Registry model, third step (docs/model-v2.md): marker results without a
-- number, immunohistochemistry, genetics, quality of life, comorbidities,
-- symptom counts. Generated from crates/netra-clinical/src/registry/schema.rs
-- by crates/netra-store/src/sql.rs (model_v3_migration).

CREATE TABLE biomarker_v6 (
    patient TEXT NOT NULL,
    marker TEXT NOT NULL,
    marker_detail TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL,
    value DOUBLE PRECISION,
    unit TEXT,
    lower_limit DOUBLE PRECISION,
    upper_limit DOUBLE PRECISION,
    notes TEXT,
    result TEXT,
    PRIMARY KEY (patient, marker, marker_detail, date),
    FOREIGN KEY (patient) REFERENCES patient (patient)
) WITHOUT ROWID;
INSERT INTO biomarker_v6 (patient, marker, marker_detail, date, value, unit, lower_limit, upper_limit, notes) SELECT patient, marker, marker_detail, date, value, unit, lower_limit, upper_limit, notes FROM biomarker;
DROP TABLE biomarker;
ALTER TABLE biomarker_v6 RENAME TO biomarker;
ALTER TABLE clinical_status ADD COLUMN flushing_per_day DOUBLE PRECISION;
ALTER TABLE clinical_status ADD COLUMN diarrhoea_per_day DOUBLE PRECISION;

CREATE TABLE immunohistochemistry (
    patient TEXT NOT NULL,
    tumour TEXT NOT NULL,
    date TEXT NOT NULL,
    specimen TEXT NOT NULL DEFAULT '',
    stain TEXT NOT NULL,
    stain_detail TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL,
    percent_cells DOUBLE PRECISION,
    intensity BIGINT,
    score DOUBLE PRECISION,
    score_system TEXT,
    notes TEXT,
    PRIMARY KEY (patient, tumour, date, specimen, stain, stain_detail),
    FOREIGN KEY (patient, tumour) REFERENCES tumour (patient, tumour)
) WITHOUT ROWID;

CREATE TABLE genetic_test (
    patient TEXT NOT NULL,
    origin TEXT NOT NULL,
    gene TEXT NOT NULL,
    gene_detail TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL,
    variant TEXT,
    tumour TEXT,
    date TEXT,
    method TEXT,
    notes TEXT,
    PRIMARY KEY (patient, origin, gene, gene_detail),
    FOREIGN KEY (patient) REFERENCES patient (patient),
    FOREIGN KEY (patient, tumour) REFERENCES tumour (patient, tumour)
) WITHOUT ROWID;
CREATE INDEX genetic_test_patient_tumour ON genetic_test (patient, tumour);

CREATE TABLE qol_response (
    patient TEXT NOT NULL,
    questionnaire TEXT NOT NULL,
    date TEXT NOT NULL,
    item BIGINT NOT NULL,
    response BIGINT NOT NULL,
    PRIMARY KEY (patient, questionnaire, date, item),
    FOREIGN KEY (patient) REFERENCES patient (patient)
) WITHOUT ROWID;

CREATE TABLE comorbidity (
    patient TEXT NOT NULL,
    condition TEXT NOT NULL,
    condition_detail TEXT NOT NULL DEFAULT '',
    date TEXT,
    notes TEXT,
    PRIMARY KEY (patient, condition, condition_detail),
    FOREIGN KEY (patient) REFERENCES patient (patient)
) WITHOUT ROWID;
