-- Registry model, third step (docs/model-v2.md): marker results without a
-- number, immunohistochemistry, genetics, quality of life, comorbidities,
-- symptom counts. Generated from crates/netra-clinical/src/registry/schema.rs
-- by crates/netra-store/src/sql.rs (model_v3_migration).

ALTER TABLE biomarker ALTER COLUMN value DROP NOT NULL;
ALTER TABLE biomarker ALTER COLUMN unit DROP NOT NULL;
ALTER TABLE biomarker ADD COLUMN result TEXT;
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
);

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
);
CREATE INDEX genetic_test_patient_tumour ON genetic_test (patient, tumour);

CREATE TABLE qol_response (
    patient TEXT NOT NULL,
    questionnaire TEXT NOT NULL,
    date TEXT NOT NULL,
    item BIGINT NOT NULL,
    response BIGINT NOT NULL,
    PRIMARY KEY (patient, questionnaire, date, item),
    FOREIGN KEY (patient) REFERENCES patient (patient)
);

CREATE TABLE comorbidity (
    patient TEXT NOT NULL,
    condition TEXT NOT NULL,
    condition_detail TEXT NOT NULL DEFAULT '',
    date TEXT,
    notes TEXT,
    PRIMARY KEY (patient, condition, condition_detail),
    FOREIGN KEY (patient) REFERENCES patient (patient)
);
