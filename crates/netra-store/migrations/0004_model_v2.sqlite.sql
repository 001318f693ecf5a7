-- Registry model, second version (docs/model-v2.md): dates known as ranges,
-- grading systems, treatment route/formulation/target, combined PRRT.
-- Generated from crates/netra-clinical/src/registry/schema.rs by
-- crates/netra-store/src/sql.rs (model_v2_migration).

ALTER TABLE patient ADD COLUMN diagnosis_date_not_before TEXT;
ALTER TABLE patient ADD COLUMN diagnosis_date_not_after TEXT;
ALTER TABLE patient ADD COLUMN metastatic_date_not_before TEXT;
ALTER TABLE patient ADD COLUMN metastatic_date_not_after TEXT;
ALTER TABLE patient ADD COLUMN death_date_not_before TEXT;
ALTER TABLE patient ADD COLUMN death_date_not_after TEXT;
ALTER TABLE tumour ADD COLUMN grade_system TEXT;
ALTER TABLE tumour ADD COLUMN reported_grade TEXT;
ALTER TABLE tumour ADD COLUMN mitoses_per_10hpf DOUBLE PRECISION;
ALTER TABLE tumour ADD COLUMN necrosis BIGINT;
ALTER TABLE treatment ADD COLUMN start_date_not_before TEXT;
ALTER TABLE treatment ADD COLUMN start_date_not_after TEXT;
ALTER TABLE treatment ADD COLUMN end_date_not_before TEXT;
ALTER TABLE treatment ADD COLUMN end_date_not_after TEXT;
ALTER TABLE treatment ADD COLUMN target_organ TEXT;
ALTER TABLE treatment ADD COLUMN target_lesions TEXT;
ALTER TABLE treatment_agent ADD COLUMN route TEXT;
ALTER TABLE treatment_agent ADD COLUMN formulation TEXT;
ALTER TABLE radionuclide_administration ADD COLUMN lu177_gbq DOUBLE PRECISION;
ALTER TABLE radionuclide_administration ADD COLUMN y90_gbq DOUBLE PRECISION;
ALTER TABLE radionuclide_administration ADD COLUMN tumour_dose_gy DOUBLE PRECISION;
ALTER TABLE assessment ADD COLUMN date_not_before TEXT;
ALTER TABLE assessment ADD COLUMN date_not_after TEXT;
